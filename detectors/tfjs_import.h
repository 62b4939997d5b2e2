/* Importer for TensorFlow.js graph models (model.json + weight shards) into
 * the graph IR. Supports float32 weights, float16- and uint8/uint16-quantized
 * weights (dequantized to float32 on load) and int32 constants. Any op the IR
 * cannot represent is rejected with a message naming the op and the node. */
#ifndef DD_DETECTORS_TFJS_IMPORT_H
#define DD_DETECTORS_TFJS_IMPORT_H

#include "detectors/graph.h"

/* Limits on what a model file may ask for. */
#define DD_TFJS_MAX_JSON_BYTES (64u << 20)
#define DD_TFJS_MAX_WEIGHT_BYTES (1024u << 20)

/* Loads model.json at json_path (weights next to it), prepares the graph
 * (topological order, shapes, constant folding). *out is owned by the caller. */
int dd_tfjs_load(const char *json_path, struct dd_graph **out, struct dd_err *err);

/* Parses an in-memory model.json whose weight shards are the concatenation
 * given in weights (the bytes of every shard of every group, in manifest
 * order). Used by dd_tfjs_load and by the fuzz tests. */
int dd_tfjs_parse(const char *json, size_t json_len, const unsigned char *weights,
                  size_t weights_len, struct dd_graph **out, struct dd_err *err);

/* Finds the single TF.js model JSON in dir (a file whose JSON has a
 * modelTopology); fails if there is none or more than one. path_out gets the
 * full path. */
int dd_tfjs_find_in_dir(const char *dir, char *path_out, size_t len, struct dd_err *err);

#endif

/* Float reference kernels of the graph IR, one per op, TensorFlow semantics.
 * Simple and exact rather than fast: these are the oracle the quantized
 * backends are measured against. */
#ifndef DD_DETECTORS_FLOAT_OPS_H
#define DD_DETECTORS_FLOAT_OPS_H

#include "detectors/graph.h"

/* Runs node nd. in[k] is the data of nd->inputs[k] (float or int32 as the
 * tensor's dtype says), out[k] the caller-allocated buffer of nd->outputs[k].
 * Shapes must have been inferred (dd_graph_infer_shapes). */
int dd_float_op_run(const struct dd_graph *g, const struct dd_node *nd, const void *const *in,
                    void *const *out, struct dd_err *err);

#endif

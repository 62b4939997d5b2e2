/* A ready-to-run float detector: a TF.js model loaded into the graph IR, its
 * family (input spec + decoder), and a float executor. Image in, detections
 * in source pixels out. */
#ifndef DD_DETECTORS_DETECTOR_H
#define DD_DETECTORS_DETECTOR_H

#include "detectors/float_exec.h"
#include "postproc/family.h"
#include "media/image.h"
#include "postproc/detection.h"
#include "postproc/letterbox.h"
#include "postproc/postprocess.h"

struct dd_detector {
    struct dd_graph *graph;
    struct dd_family_info family;
    struct dd_float_exec *exec;
};

/* model_path: a directory holding one model JSON, or the JSON file itself. */
int dd_detector_open(const char *model_path, struct dd_detector **out, struct dd_err *err);
void dd_detector_close(struct dd_detector *d);

/* Runs preprocessing, the float graph, decoding and NMS on one image. */
int dd_detector_detect(struct dd_detector *d, const struct dd_image *img,
                       const struct dd_detect_opts *opts, struct dd_det_list *out,
                       struct dd_err *err);

/* Decodes the executor's current outputs (after a run) for a given letterbox. */
int dd_detector_postprocess(struct dd_detector *d, const struct dd_letterbox *lb,
                            const struct dd_detect_opts *opts, struct dd_det_list *out,
                            struct dd_err *err);

#endif

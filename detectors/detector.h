/* A ready-to-run float detector: a TF.js model loaded into the graph IR, its
 * family (input spec + decoder), and a float executor. Image in, detections
 * in source pixels out. */
#ifndef DD_DETECTORS_DETECTOR_H
#define DD_DETECTORS_DETECTOR_H

#include "detectors/float_exec.h"
#include "detectors/model_family.h"
#include "pipeline/image.h"
#include "postproc/detection.h"
#include "postproc/letterbox.h"

struct dd_detect_opts {
    float score_threshold; /* < 0: the family's default */
    float iou_threshold;   /* < 0: the family's default */
    int max_detections;    /* <= 0: the family's default */
};

#define DD_DETECT_OPTS_DEFAULT                                                                     \
    {                                                                                              \
        -1.0f, -1.0f, 0                                                                            \
    }

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

/* Outputs of a model of family fi (outputs[k]: the k-th output, float) to
 * detections in source pixels: score threshold, decoding, NMS, letterbox
 * unmapping, with opts' values or the family's defaults. Shared by the float
 * and the quantized detectors. */
int dd_detections_from_outputs(const struct dd_family_info *fi, const float *const *outputs,
                               const struct dd_letterbox *lb, const struct dd_detect_opts *opts,
                               struct dd_det_list *out, struct dd_err *err);

/* Decodes the executor's current outputs (after a run) for a given letterbox. */
int dd_detector_postprocess(struct dd_detector *d, const struct dd_letterbox *lb,
                            const struct dd_detect_opts *opts, struct dd_det_list *out,
                            struct dd_err *err);

#endif

/* The one postprocessing path of every detector (float or quantized): a
 * family's outputs -> score threshold and decoding -> NMS -> letterbox
 * unmapping into source pixels. */
#ifndef DD_POSTPROC_POSTPROCESS_H
#define DD_POSTPROC_POSTPROCESS_H

#include "common/error.h"
#include "postproc/detection.h"
#include "postproc/family.h"
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

/* Outputs of a model of family fi (outputs[k]: the k-th output, float) to
 * detections in source pixels, with opts' values or the family's defaults. */
int dd_detections_from_outputs(const struct dd_family_info *fi, const float *const *outputs,
                               const struct dd_letterbox *lb, const struct dd_detect_opts *opts,
                               struct dd_det_list *out, struct dd_err *err);

#endif

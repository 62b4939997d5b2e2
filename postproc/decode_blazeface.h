/* BlazeFace decoder, portable scalar version.
 * Anchors: for each level (stride, anchors per cell) a grid of
 * (input / stride)^2 cells, row-major, anchors of a cell consecutive, centred
 * at ((x + 0.5) * stride, (y + 0.5) * stride). Regressors per anchor: dx, dy,
 * w, h, then keypoints (x, y) pairs, in input pixels relative to the anchor
 * centre. Scores are logits. */
#ifndef DD_POSTPROC_DECODE_BLAZEFACE_H
#define DD_POSTPROC_DECODE_BLAZEFACE_H

#include "postproc/detection.h"
#include "postproc/family.h"

struct dd_blazeface_level {
    const float *scores; /* [anchors] logits */
    const float *regs;   /* [anchors, n_regs] */
    int stride, anchors_per_cell;
};

/* Logits are clamped to +-clamp before the sigmoid (the model emits huge
 * values in padded regions). */
#define DD_BLAZEFACE_LOGIT_CLAMP 100.0f

int dd_decode_blazeface(const struct dd_blazeface_level *levels, int n_levels, int input_w,
                        int input_h, int n_regs, float score_threshold, struct dd_det_list *out);

/* The family: [1,N,1] logits + [1,N,16] regressors per stride 16/32. */
extern const struct dd_family dd_family_blazeface;

#endif

/* NanoDet (GFL head) decoder, portable scalar version.
 * Per level: class scores [cells, num_classes] (sigmoid already applied) and
 * box regression [cells, 4 * bins] (left, top, right, bottom, each a
 * distribution over bins distances). Cell i of a grid_w-wide level has its
 * centre at ((i % grid_w + 0.5) * stride, (i / grid_w + 0.5) * stride). */
#ifndef DD_POSTPROC_DECODE_NANODET_H
#define DD_POSTPROC_DECODE_NANODET_H

#include "postproc/detection.h"
#include "postproc/family.h"

#define DD_NANODET_MAX_BINS 32

struct dd_nanodet_level {
    const float *cls; /* [grid_w * grid_h, num_classes] */
    const float *reg; /* [grid_w * grid_h, 4 * bins] */
    int grid_w, grid_h, stride;
};

/* Appends one candidate per (cell, class) whose score is >= score_threshold,
 * boxes in model-input pixels. Returns -1 on allocation failure or bad bins. */
int dd_decode_nanodet(const struct dd_nanodet_level *levels, int n_levels, int num_classes,
                      int bins, float score_threshold, struct dd_det_list *out);

/* Expected distance (in bins) of one side's distribution: softmax then mean. */
float dd_nanodet_side_distance(const float *logits, int bins);

/* The family: [1,N,80] class scores + [1,N,44] box bins per stride 8/16/32. */
extern const struct dd_family dd_family_nanodet;

#endif

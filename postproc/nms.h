/* Class-aware greedy non-maximum suppression (IoU by the SIMD kernels of
 * postproc/f32_kernels.h, bit-exact with the scalar formula).
 * Candidates are ordered by descending score (ties: lower class, then earlier
 * candidate, so the result is deterministic); a candidate is dropped when it
 * overlaps a kept box of the same class with IoU > iou_threshold. At most
 * max_det boxes are kept (0: no limit). Works in place: list keeps the
 * survivors in score order. */
#ifndef DD_POSTPROC_NMS_H
#define DD_POSTPROC_NMS_H

#include "postproc/detection.h"

int dd_nms(struct dd_det_list *list, float iou_threshold, size_t max_det);

/* The same with given kernels (dd_nms uses the fastest; tests compare them). */
struct dd_postproc_kernels;
int dd_nms_with(const struct dd_postproc_kernels *k, struct dd_det_list *list, float iou_threshold,
                size_t max_det);

#endif

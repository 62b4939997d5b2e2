/* Detection-by-detection agreement of a quantized detector with its float
 * model at the threshold a user runs (what AP alone hides): for every float
 * detection >= T its quantized twin (same class, IoU >= 0.5, found among the
 * quantized candidates down to a low floor) gives the box IoU and |delta
 * score|, or the detection is lost; every quantized detection >= T without a
 * float twin >= the floor is a phantom (the float model sees nothing there),
 * one whose twin is below T a threshold flip. */
#ifndef DD_POSTPROC_AGREEMENT_H
#define DD_POSTPROC_AGREEMENT_H

#include <stddef.h>

#include "postproc/detection.h"

struct dd_agreement {
    float threshold;               /* T */
    float floor;                   /* twins are searched down to this score */
    size_t float_dets, quant_dets; /* >= T */
    size_t matched;                /* float >= T with a quantized twin (any score >= floor) */
    size_t lost;                   /* float >= T whose twin is < T or absent */
    size_t phantoms;               /* quantized >= T, no float twin >= floor */
    size_t flips;                  /* quantized >= T whose float twin is < T */
    double *iou, *dscore;          /* per matched pair */
    size_t cap;
};

void dd_agreement_init(struct dd_agreement *a, float threshold, float floor);
void dd_agreement_destroy(struct dd_agreement *a);
/* One frame: ref and quant hold each detector's detections >= floor. */
int dd_agreement_add_frame(struct dd_agreement *a, const struct dd_det_list *ref,
                           const struct dd_det_list *quant);

struct dd_agreement_summary {
    double iou_median, iou_p01, iou_min;          /* of matched pairs */
    double dscore_median, dscore_p99, dscore_max; /* |quant - float| */
};
void dd_agreement_summary(const struct dd_agreement *a, struct dd_agreement_summary *s);

#endif

/* Detections: boxes with a class and a score, and a growable list of them. */
#ifndef DD_POSTPROC_DETECTION_H
#define DD_POSTPROC_DETECTION_H

#include <stddef.h>

#define DD_DET_MAX_KEYPOINTS 6

struct dd_det {
    float x1, y1, x2, y2; /* corners; units depend on the stage (model input or source pixels) */
    float score;
    int cls;
    int n_keypoints;
    float kp[DD_DET_MAX_KEYPOINTS][2];
    int id; /* the tracker's object ID (tracking/tracker.h); 0: not tracked */
};

struct dd_det_list {
    struct dd_det *v;
    size_t n, cap;
};

void dd_det_list_init(struct dd_det_list *l);
void dd_det_list_destroy(struct dd_det_list *l);
void dd_det_list_clear(struct dd_det_list *l);
/* Appends d; returns -1 on allocation failure. */
int dd_det_list_push(struct dd_det_list *l, const struct dd_det *d);

/* Replaces dst's detections with src's; returns how many of them did not fit
 * (an allocation failure: dst then holds the first ones). */
size_t dd_det_list_copy(struct dd_det_list *dst, const struct dd_det_list *src);

/* Intersection over union of two boxes (0 when either is empty). */
float dd_det_iou(const struct dd_det *a, const struct dd_det *b);

#endif

/* Average precision at IoU 0.5 (all-point interpolation, as VOC 2010+), for
 * scoring one detector's boxes against reference boxes frame by frame. */
#ifndef DD_POSTPROC_AP_H
#define DD_POSTPROC_AP_H

#include "postproc/detection.h"

struct dd_ap_pred {
    float score;
    int tp;
};

struct dd_ap_class {
    struct dd_ap_pred *v;
    size_t n, cap;
    size_t n_gt;
};

struct dd_ap {
    int n_classes;
    float iou;
    struct dd_ap_class *cls;
};

int dd_ap_init(struct dd_ap *ap, int n_classes, float iou);
void dd_ap_destroy(struct dd_ap *ap);

/* Adds one frame: each prediction, best score first, claims the unclaimed
 * reference box of its class it overlaps most if IoU >= ap->iou (a true
 * positive), else it is a false positive. */
int dd_ap_add_frame(struct dd_ap *ap, const struct dd_det_list *ref,
                    const struct dd_det_list *pred);

/* AP of class c (NAN when it has no reference boxes). */
double dd_ap_class(const struct dd_ap *ap, int c);

/* Mean over classes with reference boxes; *n_classes gets their count. */
double dd_ap_mean(const struct dd_ap *ap, int *n_classes);

#endif

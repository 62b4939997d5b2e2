/* Letterbox geometry: a source image scaled uniformly to fit a model input and
 * centred, with padding. Maps boxes between the two coordinate systems. */
#ifndef DD_POSTPROC_LETTERBOX_H
#define DD_POSTPROC_LETTERBOX_H

#include <stdbool.h>

#include "postproc/detection.h"

struct dd_letterbox {
    int src_w, src_h;       /* source image */
    int dst_w, dst_h;       /* model input */
    int box_x, box_y;       /* top-left of the scaled image inside the input */
    int box_w, box_h;       /* size of the scaled image */
    float scale_x, scale_y; /* box_w / src_w, box_h / src_h */
};

/* Fits src into dst keeping the aspect ratio, in integers: the limiting side
 * fills dst, the other is round-half-up(src_other * dst / src_limiting); the
 * box is centred (offsets rounded down). Returns -1 on non-positive sizes. */
int dd_letterbox_fit(int src_w, int src_h, int dst_w, int dst_h, struct dd_letterbox *lb);

/* Maps a box from model-input pixels to source pixels, clamped to the image. */
void dd_letterbox_unmap(const struct dd_letterbox *lb, struct dd_det *d);

/* Whether position (y, x) of an h x w map over the model input looks at the
 * picture rather than the padding: its centre, in model-input pixels, is
 * inside the letterbox box. */
bool dd_letterbox_in_picture(const struct dd_letterbox *lb, int y, int x, int h, int w);

#endif

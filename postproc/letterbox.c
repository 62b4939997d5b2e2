#include "postproc/letterbox.h"

#include <stdint.h>

#include "isa/isa_input.h"

int dd_letterbox_fit(int src_w, int src_h, int dst_w, int dst_h, struct dd_letterbox *lb)
{
    if (src_w <= 0 || src_h <= 0 || dst_w <= 0 || dst_h <= 0) return -1;
    /* the quantized INPUT instruction's geometry, shared */
    int64_t bx, by, bw, bh;
    dd_isa_letterbox_box(src_w, src_h, dst_w, dst_h, &bx, &by, &bw, &bh);
    lb->src_w = src_w;
    lb->src_h = src_h;
    lb->dst_w = dst_w;
    lb->dst_h = dst_h;
    lb->box_w = (int)bw;
    lb->box_h = (int)bh;
    lb->box_x = (int)bx;
    lb->box_y = (int)by;
    lb->scale_x = (float)bw / (float)src_w;
    lb->scale_y = (float)bh / (float)src_h;
    return 0;
}

static float clampf(float v, float lo, float hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

void dd_letterbox_unmap(const struct dd_letterbox *lb, struct dd_det *d)
{
    float w = (float)lb->src_w, h = (float)lb->src_h;
    d->x1 = clampf((d->x1 - (float)lb->box_x) / lb->scale_x, 0.0f, w);
    d->x2 = clampf((d->x2 - (float)lb->box_x) / lb->scale_x, 0.0f, w);
    d->y1 = clampf((d->y1 - (float)lb->box_y) / lb->scale_y, 0.0f, h);
    d->y2 = clampf((d->y2 - (float)lb->box_y) / lb->scale_y, 0.0f, h);
    for (int k = 0; k < d->n_keypoints; k++) {
        d->kp[k][0] = (d->kp[k][0] - (float)lb->box_x) / lb->scale_x;
        d->kp[k][1] = (d->kp[k][1] - (float)lb->box_y) / lb->scale_y;
    }
}

bool dd_letterbox_in_picture(const struct dd_letterbox *lb, int y, int x, int h, int w)
{
    double iy = (y + 0.5) * lb->dst_h / h, ix = (x + 0.5) * lb->dst_w / w;
    return iy >= lb->box_y && iy < lb->box_y + lb->box_h && ix >= lb->box_x &&
           ix < lb->box_x + lb->box_w;
}

#include "postproc/f32_kernels.h"

int dd_f32_any_ge_scalar(const float *v, size_t n, float t)
{
    int any = 0;
    for (size_t i = 0; i < n; i++) any |= v[i] >= t;
    return any;
}

void dd_f32_iou_scalar(const float box[4], const float *x1, const float *y1, const float *x2,
                       const float *y2, size_t n, float *iou)
{
    for (size_t i = 0; i < n; i++) { /* a = box i, b = box */
        float ix1 = x1[i] > box[0] ? x1[i] : box[0], iy1 = y1[i] > box[1] ? y1[i] : box[1];
        float ix2 = x2[i] < box[2] ? x2[i] : box[2], iy2 = y2[i] < box[3] ? y2[i] : box[3];
        float iw = ix2 - ix1, ih = iy2 - iy1;
        if (iw <= 0.0f || ih <= 0.0f) {
            iou[i] = 0.0f;
            continue;
        }
        float inter = iw * ih;
        float area_a = (x2[i] - x1[i]) * (y2[i] - y1[i]);
        float area_b = (box[2] - box[0]) * (box[3] - box[1]);
        float uni = area_a + area_b - inter;
        iou[i] = uni > 0.0f ? inter / uni : 0.0f;
    }
}

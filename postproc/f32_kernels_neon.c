#include "postproc/f32_kernels.h"

#if defined(__aarch64__)
#include <arm_neon.h>

int dd_f32_any_ge_neon(const float *v, size_t n, float t)
{
    float32x4_t vt = vdupq_n_f32(t);
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        if (vmaxvq_u32(vcgeq_f32(vld1q_f32(v + i), vt))) return 1;
    return dd_f32_any_ge_scalar(v + i, n - i, t);
}

/* (a > b ? a : b) and (a < b ? a : b) exactly, NaNs included (vmaxq_f32 differs) */
static inline float32x4_t sel_max(float32x4_t a, float32x4_t b)
{
    return vbslq_f32(vcgtq_f32(a, b), a, b);
}
static inline float32x4_t sel_min(float32x4_t a, float32x4_t b)
{
    return vbslq_f32(vcltq_f32(a, b), a, b);
}

void dd_f32_iou_neon(const float box[4], const float *x1, const float *y1, const float *x2,
                     const float *y2, size_t n, float *iou)
{
    const float32x4_t bx1 = vdupq_n_f32(box[0]), by1 = vdupq_n_f32(box[1]);
    const float32x4_t bx2 = vdupq_n_f32(box[2]), by2 = vdupq_n_f32(box[3]);
    const float32x4_t area_b = vdupq_n_f32((box[2] - box[0]) * (box[3] - box[1]));
    const float32x4_t zero = vdupq_n_f32(0.0f);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        float32x4_t ax1 = vld1q_f32(x1 + i), ay1 = vld1q_f32(y1 + i);
        float32x4_t ax2 = vld1q_f32(x2 + i), ay2 = vld1q_f32(y2 + i);
        float32x4_t iw = vsubq_f32(sel_min(ax2, bx2), sel_max(ax1, bx1));
        float32x4_t ih = vsubq_f32(sel_min(ay2, by2), sel_max(ay1, by1));
        uint32x4_t empty = vorrq_u32(vcleq_f32(iw, zero), vcleq_f32(ih, zero));
        float32x4_t inter = vmulq_f32(iw, ih);
        float32x4_t area_a = vmulq_f32(vsubq_f32(ax2, ax1), vsubq_f32(ay2, ay1));
        float32x4_t uni = vsubq_f32(vaddq_f32(area_a, area_b), inter);
        uint32x4_t ok = vbicq_u32(vcgtq_f32(uni, zero), empty);
        float32x4_t q = vdivq_f32(inter, uni);
        vst1q_f32(iou + i, vreinterpretq_f32_u32(vandq_u32(ok, vreinterpretq_u32_f32(q))));
    }
    dd_f32_iou_scalar(box, x1 + i, y1 + i, x2 + i, y2 + i, n - i, iou + i);
}
#endif

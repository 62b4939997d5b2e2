/* The INPUT instruction's per-pixel arithmetic (docs/ISA.md), shared by the
 * golden model and the CPU backend so both compute the same bytes. */
#ifndef DD_ISA_ISA_INPUT_H
#define DD_ISA_ISA_INPUT_H

#include <stdint.h>
#include <string.h>

#include "isa/isa.h"

static inline uint8_t dd_isa_clamp255(int32_t v)
{
    return (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
}

/* BT.601 limited range, integer. */
static inline void dd_isa_yuv_to_rgb(int32_t y, int32_t u, int32_t v, uint8_t rgb[3])
{
    int32_t c = y - 16, d = u - 128, e = v - 128;
    rgb[0] = dd_isa_clamp255((298 * c + 409 * e + 128) >> 8);
    rgb[1] = dd_isa_clamp255((298 * c - 100 * d - 208 * e + 128) >> 8);
    rgb[2] = dd_isa_clamp255((298 * c + 516 * d + 128) >> 8);
}

static inline void dd_isa_frame_pixel_rgb(const struct dd_isa_frame *f, uint32_t x, uint32_t y,
                                          uint8_t rgb[3])
{
    switch (f->format) {
    case DD_FRAME_RGB24:
        memcpy(rgb, f->data + (size_t)y * f->stride + (size_t)x * 3, 3);
        return;
    case DD_FRAME_NV12: {
        const uint8_t *uv = f->uv + (size_t)(y / 2) * f->uv_stride + (size_t)(x / 2) * 2;
        dd_isa_yuv_to_rgb(f->data[(size_t)y * f->stride + x], uv[0], uv[1], rgb);
        return;
    }
    default: { /* YUYV */
        const uint8_t *px = f->data + (size_t)y * f->stride + (size_t)(x / 2) * 4;
        dd_isa_yuv_to_rgb(px[(x & 1) ? 2 : 0], px[1], px[3], rgb);
        return;
    }
    }
}

/* Half-pixel source coordinate of box index i (Q16), clamped at 0, and its taps. */
static inline void dd_isa_src_taps(uint32_t i, uint32_t src, uint32_t box, uint32_t *i0,
                                   uint32_t *i1, uint32_t *f8)
{
    int64_t s = ((int64_t)(2 * i + 1) * src * 32768) / box - 32768;
    if (s < 0) s = 0;
    *i0 = (uint32_t)(s >> 16);
    if (*i0 > src - 1) *i0 = src - 1;
    *i1 = *i0 + 1 < src ? *i0 + 1 : src - 1;
    *f8 = (uint32_t)((s & 0xffff) >> 8);
}

/* The INPUT letterbox: the box a src_w x src_h frame scales into inside a
 * dst_w x dst_h tensor (aspect kept, rounded half up, centred); integer and
 * exact, so postproc's unmapping uses the same geometry. */
static inline void dd_isa_letterbox_box(int64_t src_w, int64_t src_h, int64_t dst_w, int64_t dst_h,
                                        int64_t *box_x, int64_t *box_y, int64_t *box_w,
                                        int64_t *box_h)
{
    int64_t bw, bh;
    if (src_w * dst_h >= src_h * dst_w) { /* width-limited */
        bw = dst_w;
        bh = (src_h * dst_w * 2 + src_w) / (2 * src_w);
    } else {
        bh = dst_h;
        bw = (src_w * dst_h * 2 + src_h) / (2 * src_h);
    }
    *box_w = bw < 1 ? 1 : (bw > dst_w ? dst_w : bw);
    *box_h = bh < 1 ? 1 : (bh > dst_h ? dst_h : bh);
    *box_x = (dst_w - *box_w) / 2;
    *box_y = (dst_h - *box_h) / 2;
}

/* One channel of the bilinear sample in Q16 from the four taps (weights Q8). */
static inline int64_t dd_isa_bilerp(uint32_t p00, uint32_t p01, uint32_t p10, uint32_t p11,
                                    uint32_t fx, uint32_t fy)
{
    int64_t top = p00 * (256 - (int64_t)fx) + p01 * (int64_t)fx;
    int64_t bot = p10 * (256 - (int64_t)fx) + p11 * (int64_t)fx;
    return top * (256 - (int64_t)fy) + bot * (int64_t)fy;
}

static inline int8_t dd_isa_normalise(int64_t v16, int64_t a, int64_t b)
{
    int64_t q = (v16 * a + b + ((int64_t)1 << 31)) >> 32;
    return (int8_t)(q < -128 ? -128 : (q > 127 ? 127 : q));
}

#endif

/* The INPUT instruction's per-pixel arithmetic (docs/ISA.md), shared by the
 * golden model and the CPU backend so both compute the same bytes. */
#ifndef DD_ACCEL_ISA_INPUT_H
#define DD_ACCEL_ISA_INPUT_H

#include <stdint.h>
#include <string.h>

#include "accel/isa.h"

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

static inline void dd_isa_frame_rgb(const struct dd_isa_frame *f, uint32_t x, uint32_t y,
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

static inline int8_t dd_isa_normalise(int64_t v16, int64_t a, int64_t b)
{
    int64_t q = (v16 * a + b + ((int64_t)1 << 31)) >> 32;
    return (int8_t)(q < -128 ? -128 : (q > 127 ? 127 : q));
}

#endif

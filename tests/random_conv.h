/* A random one-instruction CONV package for comparing executors: shapes,
 * strides, paddings, int8/int4 weights, depthwise, leaky, fused 2x2 pool,
 * input channel slices and ReLU clamps. Header-only and framework-free, so the
 * aarch64 cross checker (tests/cross) builds it too. */
#ifndef DD_TESTS_RANDOM_CONV_H
#define DD_TESTS_RANDOM_CONV_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/package.h"

struct random_conv {
    struct dd_isa_tensor t[2];
    struct dd_isa_insn in;
    struct dd_pkg p; /* points into this struct: do not copy it */
    uint8_t *blob;   /* owned */
    char desc[128];  /* what was drawn, for failure messages */
};

/* rnd(n) draws uniformly from [0, n). */
static inline void random_conv_make(struct random_conv *r, uint32_t (*rnd)(uint32_t))
{
    memset(r, 0, sizeof(*r));
    struct dd_isa_insn *in = &r->in;
    bool dw = rnd(3) == 0;
    int ic = 1 + (int)rnd(70), oc = dw ? ic : 1 + (int)rnd(40);
    int k = 1 + (int)rnd(5), st = 1 + (int)rnd(2);
    int h = k + (int)rnd(12), w = k + (int)rnd(12);
    in->opcode = DD_ISA_CONV;
    in->kh = in->kw = (uint8_t)k;
    in->stride_h = in->stride_w = (uint8_t)st;
    in->pad_top = (uint8_t)rnd((uint32_t)k), in->pad_left = (uint8_t)rnd((uint32_t)k);
    in->pad_bottom = (uint8_t)rnd((uint32_t)k), in->pad_right = (uint8_t)rnd((uint32_t)k);
    in->wbits = rnd(2) ? 8 : 4;
    in->flags = (uint8_t)((dw ? DD_ISA_F_DEPTHWISE : 0) | (rnd(2) ? DD_ISA_F_LEAKY : 0));
    int oh = (h + in->pad_top + in->pad_bottom - k) / st + 1;
    int ow = (w + in->pad_left + in->pad_right - k) / st + 1;
    if (oh >= 2 && ow >= 2 && rnd(3) == 0) in->flags |= DD_ISA_F_POOL2X2, oh /= 2, ow /= 2;
    int pitch_in = ic + (int)rnd(3); /* sometimes a channel slice */
    r->t[0] = (struct dd_isa_tensor){0,
                                     (uint16_t)h,
                                     (uint16_t)w,
                                     (uint16_t)ic,
                                     (uint16_t)pitch_in,
                                     (int32_t)rnd(256) - 128,
                                     0.1f,
                                     0};
    uint32_t out_off = (uint32_t)(h * w * pitch_in + 64);
    r->t[1] = (struct dd_isa_tensor){out_off,      (uint16_t)oh,
                                     (uint16_t)ow, (uint16_t)oc,
                                     (uint16_t)oc, (int32_t)rnd(256) - 128,
                                     0.1f,         0};
    size_t per = (size_t)k * k * (dw ? 1 : ic), row = in->wbits == 4 ? (per + 1) / 2 : per;
    size_t wbytes = row * oc;
    in->bias = (uint32_t)((wbytes + 63) / 64 * 64);
    in->quant = (uint32_t)((in->bias + 4 * oc + 63) / 64 * 64);
    size_t blob_size = in->quant + 12 * (size_t)oc + 64;
    r->blob = calloc(1, blob_size);
    for (size_t i = 0; i < wbytes; i++) r->blob[i] = (uint8_t)rnd(256);
    int32_t *bias = (int32_t *)(r->blob + in->bias), *q = (int32_t *)(r->blob + in->quant);
    for (int c = 0; c < oc; c++) {
        bias[c] = (int32_t)rnd(20001) - 10000;
        q[3 * c] = (1 << 30) + (int32_t)rnd(1 << 30);
        q[3 * c + 1] = (in->flags & DD_ISA_F_LEAKY) ? (int32_t)rnd(1 << 30) : 0;
        q[3 * c + 2] = (int32_t)rnd(12) - 2;
    }
    in->in1 = DD_ISA_NO_TENSOR, in->out = 1;
    in->clamp_min = rnd(2) ? -128 : r->t[1].zero_point;
    in->clamp_max = 127;
    r->p.tensors = r->t, r->p.n_tensors = 2, r->p.insns = in, r->p.n_insns = 1;
    r->p.blob = r->blob, r->p.blob_size = blob_size;
    r->p.arena_size = out_off + (uint32_t)(oh * ow * oc) + 64;
    snprintf(r->desc, sizeof(r->desc), "%s k%d s%d ic%d oc%d %dx%d w%d flags 0x%x",
             dw ? "depthwise" : "dense", k, st, ic, oc, h, w, in->wbits, in->flags);
}

static inline void random_conv_free(struct random_conv *r)
{
    free(r->blob);
    r->blob = NULL;
}

#endif

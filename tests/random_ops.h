/* Random one-instruction packages of the non-convolution opcodes (POOL max
 * and average, ADD with and without a narrower second operand, UPSAMPLE
 * nearest and bilinear, D2S, LUT from a channel slice or in place), for
 * comparing executors. Header-only and framework-free, like random_conv.h. */
#ifndef DD_TESTS_RANDOM_OPS_H
#define DD_TESTS_RANDOM_OPS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "accel/package.h"

struct random_op {
    struct dd_isa_tensor t[3];
    struct dd_isa_insn in;
    uint8_t blob[256];
    struct dd_pkg p; /* points into this struct: do not copy it */
    char desc[96];   /* what was drawn, for failure messages */
};

static inline void random_op_init(struct random_op *r, int n_tensors, uint32_t arena_size)
{
    r->p.tensors = r->t, r->p.n_tensors = (uint32_t)n_tensors, r->p.insns = &r->in;
    r->p.n_insns = 1, r->p.blob = r->blob, r->p.blob_size = sizeof(r->blob);
    r->p.arena_size = arena_size;
}

/* rnd(n) draws uniformly from [0, n). */
static inline void random_pool_make(struct random_op *r, uint32_t (*rnd)(uint32_t))
{
    memset(r, 0, sizeof(*r));
    struct dd_isa_insn *in = &r->in;
    int c = 1 + (int)rnd(40), k = 1 + (int)rnd(4), st = 1 + (int)rnd(3);
    int h = k + (int)rnd(10), w = k + (int)rnd(10);
    in->opcode = DD_ISA_POOL, in->flags = rnd(2) ? DD_ISA_F_AVG : 0;
    in->kh = in->kw = (uint8_t)k, in->stride_h = in->stride_w = (uint8_t)st;
    in->pad_top = (uint8_t)rnd((uint32_t)k), in->pad_left = (uint8_t)rnd((uint32_t)k);
    in->pad_bottom = (uint8_t)rnd((uint32_t)k), in->pad_right = (uint8_t)rnd((uint32_t)k);
    int oh = (h + in->pad_top + in->pad_bottom - k) / st + 1,
        ow = (w + in->pad_left + in->pad_right - k) / st + 1;
    int zp = (int)rnd(256) - 128;
    r->t[0] =
        (struct dd_isa_tensor){0, (uint16_t)h, (uint16_t)w, (uint16_t)c, (uint16_t)c, zp, 0.1f, 0};
    uint32_t out_off = (uint32_t)(h * w * c);
    r->t[1] = (struct dd_isa_tensor){out_off,     (uint16_t)oh, (uint16_t)ow, (uint16_t)c,
                                     (uint16_t)c, zp,           0.1f,         0};
    in->in1 = DD_ISA_NO_TENSOR, in->out = 1;
    in->clamp_min = (int32_t)rnd(40) - 128, in->clamp_max = 127 - (int32_t)rnd(40);
    random_op_init(r, 2, out_off + (uint32_t)(oh * ow * c));
    snprintf(r->desc, sizeof(r->desc), "%s pool k%d s%d c%d %dx%d",
             (in->flags & DD_ISA_F_AVG) ? "avg" : "max", k, st, c, h, w);
}

/* ADD (with and without a narrower second operand) or UPSAMPLE (nearest, bilinear). */
static inline void random_elementwise_make(struct random_op *r, uint32_t (*rnd)(uint32_t))
{
    memset(r, 0, sizeof(*r));
    struct dd_isa_insn *in = &r->in;
    int c = 1 + (int)rnd(40), h = 1 + (int)rnd(9), w = 1 + (int)rnd(9);
    bool up = rnd(2);
    int oh = up ? 2 * h : h, ow = up ? 2 * w : w, cb = 1 + (int)rnd((uint32_t)c);
    int za = (int)rnd(256) - 128;
    r->t[0] =
        (struct dd_isa_tensor){0, (uint16_t)h, (uint16_t)w, (uint16_t)c, (uint16_t)c, za, 0.1f, 0};
    uint32_t ob = (uint32_t)(h * w * c), oo = ob + (uint32_t)(h * w * cb);
    r->t[1] = (struct dd_isa_tensor){ob,           (uint16_t)h,         (uint16_t)w, (uint16_t)cb,
                                     (uint16_t)cb, (int)rnd(256) - 128, 0.1f,        0};
    r->t[2] = (struct dd_isa_tensor){oo,           (uint16_t)oh,
                                     (uint16_t)ow, (uint16_t)c,
                                     (uint16_t)c,  up ? za : (int)rnd(256) - 128,
                                     0.1f,         0};
    in->in0 = 0, in->out = 2, in->in1 = DD_ISA_NO_TENSOR;
    in->clamp_min = (int32_t)rnd(40) - 128, in->clamp_max = 127 - (int32_t)rnd(40);
    if (up) {
        in->opcode = DD_ISA_UPSAMPLE, in->flags = rnd(2) ? DD_ISA_F_BILINEAR : 0;
    } else {
        /* the ISA's whole range: shifts 1..40, multipliers of either sign (saturating sums) */
        in->opcode = DD_ISA_ADD, in->shift = 1 + (int32_t)rnd(40);
        in->m0 = (int32_t)rnd(1u << 31) * (rnd(4) ? 1 : -1);
        if (rnd(2)) in->in1 = 1, in->m1 = (int32_t)rnd(1u << 31) * (rnd(4) ? 1 : -1);
    }
    random_op_init(r, 3, oo + (uint32_t)(oh * ow * c));
    snprintf(r->desc, sizeof(r->desc), "%s c%d %dx%d%s",
             up ? ((in->flags & DD_ISA_F_BILINEAR) ? "bilinear upsample" : "nearest upsample")
                : "add",
             c, h, w, in->in1 != DD_ISA_NO_TENSOR ? " two inputs" : "");
}

/* LUT with a random table and clamp, from a channel slice (pitch > c) or in place. */
static inline void random_lut_make(struct random_op *r, uint32_t (*rnd)(uint32_t))
{
    memset(r, 0, sizeof(*r));
    struct dd_isa_insn *in = &r->in;
    int c = 1 + (int)rnd(90), h = 1 + (int)rnd(20), w = 1 + (int)rnd(20);
    int pitch = c + (int)rnd(4);
    bool in_place = rnd(3) == 0;
    uint32_t out_off = in_place ? 0 : (uint32_t)(h * w * pitch);
    r->t[0] = (struct dd_isa_tensor){
        0, (uint16_t)h, (uint16_t)w, (uint16_t)c, (uint16_t)pitch, (int)rnd(256) - 128, 0.1f, 0};
    r->t[1] = (struct dd_isa_tensor){out_off,
                                     (uint16_t)h,
                                     (uint16_t)w,
                                     (uint16_t)c,
                                     (uint16_t)(in_place ? pitch : c),
                                     (int)rnd(256) - 128,
                                     0.1f,
                                     0};
    in->opcode = DD_ISA_LUT, in->in0 = 0, in->in1 = DD_ISA_NO_TENSOR, in->out = 1;
    in->clamp_min = (int32_t)rnd(60) - 128, in->clamp_max = 127 - (int32_t)rnd(60);
    for (int i = 0; i < 256; i++) r->blob[i] = (uint8_t)rnd(256);
    random_op_init(r, 2, in_place ? (uint32_t)(h * w * pitch) : out_off + (uint32_t)(h * w * c));
    snprintf(r->desc, sizeof(r->desc), "LUT c%d pitch %d%s", c, pitch, in_place ? " in place" : "");
}

/* D2S: C*4 channels at (y/2, x/2) -> C channels at (y, x), with a clamp. */
static inline void random_d2s_make(struct random_op *r, uint32_t (*rnd)(uint32_t))
{
    memset(r, 0, sizeof(*r));
    struct dd_isa_insn *in = &r->in;
    int c = 1 + (int)rnd(24), h = 1 + (int)rnd(8), w = 1 + (int)rnd(8);
    int zp = (int)rnd(256) - 128;
    r->t[0] = (struct dd_isa_tensor){
        0, (uint16_t)h, (uint16_t)w, (uint16_t)(4 * c), (uint16_t)(4 * c), zp, 0.1f, 0};
    uint32_t out_off = (uint32_t)(h * w * 4 * c);
    r->t[1] = (struct dd_isa_tensor){
        out_off, (uint16_t)(2 * h), (uint16_t)(2 * w), (uint16_t)c, (uint16_t)c, zp, 0.1f, 0};
    in->opcode = DD_ISA_D2S, in->in0 = 0, in->in1 = DD_ISA_NO_TENSOR, in->out = 1;
    in->clamp_min = (int32_t)rnd(60) - 128, in->clamp_max = 127 - (int32_t)rnd(60);
    random_op_init(r, 2, out_off + (uint32_t)(4 * h * w * c));
    snprintf(r->desc, sizeof(r->desc), "D2S c%d %dx%d", c, h, w);
}

#endif

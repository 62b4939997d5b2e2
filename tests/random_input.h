/* A random one-instruction INPUT package and a random RGB24 / NV12 / YUYV
 * frame of a random size (letterboxed both ways), for comparing executors.
 * Header-only and framework-free, like random_conv.h. */
#ifndef DD_TESTS_RANDOM_INPUT_H
#define DD_TESTS_RANDOM_INPUT_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/package.h"

struct random_input {
    struct dd_isa_tensor t;
    struct dd_isa_insn in;
    uint8_t blob[64];
    struct dd_pkg p; /* points into this struct: do not copy it */
    struct dd_isa_frame f;
    uint8_t *buf, *apart; /* owned: the frame's buffer, a separate UV plane */
    char desc[96];        /* what was drawn, for failure messages */
};

/* rnd(n) draws uniformly from [0, n). NV12's UV plane follows the Y plane in
 * one buffer, or with uv_apart lives in an allocation of its own. */
static inline void random_input_make(struct random_input *r, uint32_t (*rnd)(uint32_t),
                                     bool uv_apart)
{
    memset(r, 0, sizeof(*r));
    r->t = (struct dd_isa_tensor){
        0, (uint16_t)(8 + rnd(40)), (uint16_t)(8 + rnd(40)), 3, 3, (int32_t)rnd(256) - 128, 0.1f,
        0};
    struct dd_isa_insn *in = &r->in;
    in->opcode = DD_ISA_INPUT, in->in0 = in->in1 = DD_ISA_NO_TENSOR, in->out = 0;
    in->flags = rnd(2) ? DD_ISA_F_BGR : 0, in->m0 = (int32_t)rnd(256);
    in->clamp_min = -128, in->clamp_max = 127;
    int64_t nrm[6];
    for (int c = 0; c < 3; c++) {
        nrm[c] = 20000 + rnd(100000);
        nrm[3 + c] = -((int64_t)rnd(200) << 32);
    }
    memcpy(r->blob, nrm, sizeof(nrm));
    r->p.tensors = &r->t, r->p.n_tensors = 1, r->p.insns = in, r->p.n_insns = 1;
    r->p.blob = r->blob, r->p.blob_size = sizeof(r->blob);
    r->p.arena_size = (uint32_t)(r->t.h * r->t.w * 3);
    uint32_t fw = 1 + rnd(90), fh = 1 + rnd(90), fmt = 1 + rnd(3);
    uint32_t stride = fmt == DD_FRAME_RGB24 ? fw * 3 : fmt == DD_FRAME_YUYV ? (fw + 1) / 2 * 4 : fw;
    uint32_t uv_stride = (fw + 1) / 2 * 2;
    size_t ysz = (size_t)stride * fh, uvsz = (size_t)uv_stride * ((fh + 1) / 2);
    r->buf = malloc(ysz + uvsz);
    r->apart = malloc(uvsz);
    for (size_t i = 0; i < ysz + uvsz; i++) r->buf[i] = (uint8_t)rnd(256);
    memcpy(r->apart, r->buf + ysz, uvsz);
    const uint8_t *uv = fmt != DD_FRAME_NV12 ? NULL : uv_apart ? r->apart : r->buf + ysz;
    r->f = (struct dd_isa_frame){fmt, fw, fh, stride, uv_stride, r->buf, uv};
    snprintf(r->desc, sizeof(r->desc), "format %u %ux%u%s into %ux%u", fmt, fw, fh,
             fmt == DD_FRAME_NV12 && uv_apart ? " (UV apart)" : "", r->t.w, r->t.h);
}

static inline void random_input_free(struct random_input *r)
{
    free(r->buf);
    free(r->apart);
}

#endif

/* Cross-architecture check, built for aarch64 and run under qemu-user by
 * tests/cross/run-aarch64: the NEON qs8-gemm kernel against its scalar twin,
 * and random convolutions on the CPU backend (NEON) against the golden model,
 * byte for byte. Links no third-party library. Ends with "N passed, M failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/cpu/cpu_backend.h"
#include "accel/cpu/qs8_gemm.h"
#include "accel/golden.h"

static uint64_t s = 2024;
static uint32_t rnd(uint32_t n)
{
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(s >> 33) % n;
}

static int passed, failed;

static void check(int ok, const char *what, int it)
{
    if (ok)
        passed++;
    else if (failed++ < 10)
        fprintf(stderr, "FAIL: %s (case %d)\n", what, it);
}

static void gemm_case(dd_qs8_gemm_fn fn, int it)
{
    size_t k4 = 1 + rnd(200);
    uint8_t *a[4];
    int8_t *w = malloc(k4 * 128);
    for (int r = 0; r < 4; r++) {
        a[r] = malloc(k4 * 4);
        for (size_t i = 0; i < k4 * 4; i++) a[r][i] = (uint8_t)rnd(256);
    }
    for (size_t i = 0; i < k4 * 128; i++) w[i] = (int8_t)rnd(256);
    a[0][0] = 255, w[0] = -128;
    int32_t want[4][32], got[4][32];
    const uint8_t *const rows[4] = {a[0], a[1], a[2], a[3]};
    dd_qs8_gemm_4x32c4_scalar(rows, w, k4, want);
    fn(rows, w, k4, got);
    check(memcmp(want, got, sizeof(want)) == 0, "qs8-gemm variant vs scalar", it);
    for (int r = 0; r < 4; r++) free(a[r]);
    free(w);
}

static void conv_case(int it)
{
    struct dd_isa_tensor t[2];
    struct dd_isa_insn in;
    memset(&in, 0, sizeof(in));
    int dw = rnd(3) == 0, ic = 1 + (int)rnd(48), oc = dw ? ic : 1 + (int)rnd(40);
    int k = 1 + (int)rnd(4), st = 1 + (int)rnd(2), h = k + (int)rnd(9), w = k + (int)rnd(9);
    in.opcode = DD_ISA_CONV, in.kh = in.kw = (uint8_t)k, in.stride_h = in.stride_w = (uint8_t)st;
    in.pad_top = (uint8_t)rnd((uint32_t)k), in.pad_left = (uint8_t)rnd((uint32_t)k);
    in.pad_bottom = (uint8_t)rnd((uint32_t)k), in.pad_right = (uint8_t)rnd((uint32_t)k);
    in.wbits = rnd(2) ? 8 : 4;
    in.flags = (uint8_t)((dw ? DD_ISA_F_DEPTHWISE : 0) | (rnd(2) ? DD_ISA_F_LEAKY : 0));
    int oh = (h + in.pad_top + in.pad_bottom - k) / st + 1,
        ow = (w + in.pad_left + in.pad_right - k) / st + 1;
    if (oh >= 2 && ow >= 2 && rnd(3) == 0) in.flags |= DD_ISA_F_POOL2X2, oh /= 2, ow /= 2;
    t[0] = (struct dd_isa_tensor){
        0, (uint16_t)h, (uint16_t)w, (uint16_t)ic, (uint16_t)ic, (int32_t)rnd(256) - 128, 0.1f, 0};
    uint32_t off = (uint32_t)(h * w * ic + 64);
    t[1] = (struct dd_isa_tensor){
        off, (uint16_t)oh, (uint16_t)ow, (uint16_t)oc, (uint16_t)oc, (int32_t)rnd(256) - 128, 0.1f,
        0};
    size_t per = (size_t)k * k * (dw ? 1 : ic), row = in.wbits == 4 ? (per + 1) / 2 : per;
    size_t wbytes = row * oc;
    in.bias = (uint32_t)((wbytes + 63) / 64 * 64);
    in.quant = (uint32_t)((in.bias + 4 * oc + 63) / 64 * 64);
    size_t blob_size = in.quant + 12 * oc + 64;
    uint8_t *blob = calloc(1, blob_size);
    for (size_t i = 0; i < wbytes; i++) blob[i] = (uint8_t)rnd(256);
    int32_t *bias = (int32_t *)(blob + in.bias), *q = (int32_t *)(blob + in.quant);
    for (int c = 0; c < oc; c++) {
        bias[c] = (int32_t)rnd(20001) - 10000;
        q[3 * c] = (1 << 30) + (int32_t)rnd(1 << 30);
        q[3 * c + 1] = (in.flags & DD_ISA_F_LEAKY) ? (int32_t)rnd(1 << 30) : 0;
        q[3 * c + 2] = (int32_t)rnd(12) - 2;
    }
    in.in1 = DD_ISA_NO_TENSOR, in.out = 1, in.clamp_min = -128, in.clamp_max = 127;
    struct dd_pkg p = {0};
    p.tensors = t, p.n_tensors = 2, p.insns = &in, p.n_insns = 1, p.blob = blob,
    p.blob_size = blob_size;
    p.arena_size = off + (uint32_t)(oh * ow * oc) + 64;
    int8_t *a = malloc(p.arena_size), *b = malloc(p.arena_size);
    for (uint32_t i = 0; i < p.arena_size; i++) a[i] = (int8_t)rnd(256);
    memcpy(b, a, p.arena_size);
    struct dd_cpu_prog *cp;
    struct dd_err err;
    if (dd_cpu_prepare(&p, &cp, &err) != 0) {
        check(0, err.msg, it);
    } else {
        dd_golden_insn(&p, 0, a, NULL);
        dd_cpu_insn(cp, 0, b, NULL);
        check(memcmp(a, b, p.arena_size) == 0, "CPU backend convolution vs golden", it);
        dd_cpu_free(cp);
    }
    free(a);
    free(b);
    free(blob);
}

int main(void)
{
    const char *name;
    dd_qs8_gemm_fn fn = dd_qs8_gemm_best(&name);
    printf("kernel: %s\n", name);
#if defined(__aarch64__)
    check(strcmp(name, "qs8-gemm-4x32c4-neon") == 0, "NEON kernel selected", 0);
#endif
    for (int it = 0; it < 300; it++) gemm_case(fn, it);
    for (int it = 0; it < 200; it++) conv_case(it);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

/* Cross-architecture check, built for aarch64 and run under qemu-user by
 * tests/cross/run-aarch64: the NEON qs8-gemm kernel against its scalar twin,
 * and random convolutions on the CPU backend (NEON) against the golden model,
 * byte for byte. Links no third-party library. Ends with "N passed, M failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/cpu/cpu_backend.h"
#include "accel/cpu/cpu_kernels.h"
#include "accel/golden.h"
#include "postproc/f32_kernels.h"
#include "tests/random_conv.h"

static uint64_t rng_state = 2024;
static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33) % n;
}

static int passed, failed;

static void check(int ok, const char *what, int it)
{
    if (ok)
        passed++;
    else if (failed++ < 10)
        fprintf(stderr, "FAIL: %s (case %d)\n", what, it);
}

static void gemm_case(struct dd_qs8_gemm_kernel k, int it)
{
    size_t k4 = 1 + rnd(200);
    uint8_t *a[DD_QS8_GEMM_MR_MAX];
    int8_t *w = malloc(k4 * 128);
    for (int r = 0; r < k.mr; r++) {
        a[r] = malloc(k4 * 4);
        for (size_t i = 0; i < k4 * 4; i++) a[r][i] = (uint8_t)rnd(256);
    }
    for (size_t i = 0; i < k4 * 128; i++) w[i] = (int8_t)rnd(256);
    a[0][0] = 255, w[0] = -128;
    int32_t bias[32], want[DD_QS8_GEMM_MR_MAX][32], got[DD_QS8_GEMM_MR_MAX][32];
    for (int n = 0; n < 32; n++) bias[n] = (int32_t)rnd(1u << 24) - (1 << 23);
    const uint8_t *rows[DD_QS8_GEMM_MR_MAX];
    for (int r = 0; r < k.mr; r++) rows[r] = a[r];
    size_t ks = k4 % 3 == 0 ? 3 : 1, seg4 = k4 / ks; /* im2col rows or indirect segments */
    const uint8_t *segs[DD_QS8_GEMM_MR_MAX * 3];
    for (int r = 0; r < k.mr; r++)
        for (size_t sg = 0; sg < ks; sg++) segs[r * ks + sg] = rows[r] + sg * seg4 * 4;
    dd_qs8_gemm_scalar_for(k.mr)(segs, ks, seg4, w, bias, want);
    k.fn(segs, ks, seg4, w, bias, got);
    check(memcmp(want, got, (size_t)k.mr * sizeof(want[0])) == 0, "qs8-gemm variant vs scalar", it);
    for (int r = 0; r < k.mr; r++) free(a[r]);
    free(w);
}

static void conv_case(int it)
{
    struct random_conv rc;
    random_conv_make(&rc, rnd);
    const struct dd_pkg *p = &rc.p;
    int8_t *a = malloc(p->arena_size), *b = malloc(p->arena_size);
    for (uint32_t i = 0; i < p->arena_size; i++) a[i] = (int8_t)rnd(256);
    memcpy(b, a, p->arena_size);
    struct dd_cpu_prog *cp;
    struct dd_err err;
    if (dd_cpu_create(p, &cp, &err) != 0) {
        check(0, err.msg, it);
    } else {
        dd_golden_insn(p, 0, a, NULL);
        dd_cpu_insn(cp, 0, b, NULL);
        check(memcmp(a, b, p->arena_size) == 0, rc.desc, it);
        dd_cpu_destroy(cp);
    }
    free(a);
    free(b);
    random_conv_free(&rc);
}

/* The postprocessing kernels (NEON on aarch64) against their scalar twins. */
static void postproc_case(int it)
{
    const struct dd_postproc_kernels *k = dd_postproc_kernels_best(),
                                     *s = dd_postproc_kernels_scalar();
    unsigned seed = (unsigned)it * 2654435761u + 1;
    enum { N = 37 };
    float x1[N], y1[N], x2[N], y2[N], a[N], b[N], box[4];
    size_t n = (size_t)(it % N);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        x1[i] = (float)(seed >> 20) / 8.0f - 50.0f;
        y1[i] = (float)((seed >> 8) & 0xfff) / 8.0f - 50.0f;
        x2[i] = x1[i] + (float)((seed >> 4) & 0xff) - 20.0f;
        y2[i] = y1[i] + (float)(seed & 0xff) - 20.0f;
    }
    box[0] = 100.0f + (float)(it % 50), box[1] = 80.0f, box[2] = box[0] + 120.5f, box[3] = 300.25f;
    k->iou(box, x1, y1, x2, y2, n, a);
    s->iou(box, x1, y1, x2, y2, n, b);
    check(memcmp(a, b, n * sizeof(float)) == 0, "f32-iou vs scalar", it);
    check(k->any_ge(x1, n, 150.0f) == s->any_ge(x1, n, 150.0f), "f32-any-ge vs scalar", it);
}

int main(void)
{
    struct dd_cpu_kernels ks;
    dd_cpu_kernels_resolve(&ks);
    struct dd_qs8_gemm_kernel k = ks.gemm;
    printf("kernel: %s\n", k.name);
#if defined(__aarch64__)
    check(strcmp(k.name, "qs8-gemm-4x32c4-neon") == 0, "NEON kernel selected", 0);
#endif
    for (int it = 0; it < 300; it++) gemm_case(k, it);
    for (int it = 0; it < 200; it++) conv_case(it);
    printf("postproc kernels: %s\n", dd_postproc_kernels_best()->isa);
    for (int it = 0; it < 300; it++) postproc_case(it);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

/* Every qs8-gemm variant this CPU can run equals the scalar twin bit for bit. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "accel/cpu/cpu_kernels.h"
#include "postproc/f32_kernels.h"
#include "tests_common.h"

static uint64_t s = 99;
static uint8_t rnd8(void)
{
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint8_t)(s >> 56);
}

/* One variant against its scalar twin over k4 = 1..300 in 1 to 3 segments per row
 * (im2col rows and indirect kernel rows), random rows, weights and bias, with the
 * extreme products. */
static void compare(struct dd_qs8_gemm_kernel k)
{
    dd_qs8_gemm_fn twin = dd_qs8_gemm_scalar_for(k.mr);
    for (size_t k4 = 1; k4 <= 300; k4 += (k4 < 20 ? 1 : 23)) {
        size_t ks = k4 % 3 == 0 ? 3 : (k4 % 2 == 0 ? 2 : 1), seg4 = k4 / ks;
        uint8_t *a[DD_QS8_GEMM_MR_MAX];
        int8_t *w = malloc(k4 * 128);
        for (int r = 0; r < k.mr; r++) {
            a[r] = malloc(k4 * 4);
            for (size_t i = 0; i < k4 * 4; i++) a[r][i] = rnd8();
        }
        for (size_t i = 0; i < k4 * 128; i++) w[i] = (int8_t)rnd8();
        a[0][0] = 255, w[0] = -128, a[1][1] = 255, w[1] = 127; /* extremes */
        int32_t bias[32];
        for (int n = 0; n < 32; n++) bias[n] = (int32_t)((uint32_t)rnd8() << 16) - (1 << 23);
        int32_t want[DD_QS8_GEMM_MR_MAX][32], got[DD_QS8_GEMM_MR_MAX][32];
        const uint8_t *rows[DD_QS8_GEMM_MR_MAX * 3]; /* segments in reverse memory order */
        for (int r = 0; r < k.mr; r++)
            for (size_t sg = 0; sg < ks; sg++) rows[r * ks + sg] = a[r] + (ks - 1 - sg) * seg4 * 4;
        twin(rows, ks, seg4, w, bias, want);
        k.fn(rows, ks, seg4, w, bias, got);
        cr_assert_eq(memcmp(got, want, (size_t)k.mr * sizeof(want[0])), 0,
                     "%s differs from scalar at k4 = %zu", k.name, k4);
        for (int r = 0; r < k.mr; r++) free(a[r]);
        free(w);
    }
}

Test(qs8_gemm, scalar_against_a_direct_sum)
{
    uint8_t a0[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int8_t w[256] = {0};
    w[0] = 1, w[1] = 1, w[2] = 1, w[3] = 1; /* channel 0, k 0..3 */
    w[128 + 31 * 4 + 3] = -2;               /* channel 31, k 7 */
    int32_t bias[32] = {0};
    bias[31] = 1000;
    const uint8_t *const rows[8] = {a0, a0, a0, a0, a0, a0, a0, a0};
    int32_t out[8][32];
    dd_qs8_gemm_4x32c4_scalar(rows, 1, 2, w, bias, out);
    cr_assert_eq(out[2][0], 10);
    cr_assert_eq(out[3][31], 1000 - 16);
    cr_assert_eq(out[0][1], 0);
    dd_qs8_gemm_8x32c4_scalar(rows, 1, 2, w, bias, out);
    cr_assert_eq(out[7][31], 1000 - 16);
    cr_assert_eq(out[6][0], 10);
    /* two segments per row: the second segment's bytes come second in k */
    const uint8_t *const segs[8] = {a0 + 4, a0, a0 + 4, a0, a0 + 4, a0, a0 + 4, a0};
    dd_qs8_gemm_4x32c4_scalar(segs, 2, 1, w, bias, out);
    cr_assert_eq(out[1][0], 5 + 6 + 7 + 8);
    cr_assert_eq(out[1][31], 1000 - 8);
}

Test(qs8_gemm, every_variant_here_matches_its_scalar_twin)
{
    cr_assert_str_eq(dd_qs8_gemm_variants[dd_qs8_gemm_n_variants - 1].name,
                     "qs8-gemm-4x32c4-scalar");
    int ran = 0;
    EACH_VARIANT(dd_qs8_gemm_variants, dd_qs8_gemm_n_variants, v)
    {
        cr_log_info("qs8-gemm variant here: %s", v->name);
        compare((struct dd_qs8_gemm_kernel){(dd_qs8_gemm_fn)v->fn, v->param, v->name});
        ran++;
    }
    cr_assert_geq(ran, 1);
}

Test(cpu_kernels, one_cap_for_every_family)
{
    struct dd_cpu_kernels k;
    setenv("DETECTD_CPU_KERNEL", "scalar", 1);
    dd_cpu_kernels_resolve(&k);
    cr_assert_str_eq(k.gemm.name, "qs8-gemm-4x32c4-scalar");
    cr_assert_str_eq(k.requant_name, "qs8-requant-scalar");
    cr_assert_str_eq(k.requant_tile_name, "qs8-requant-tile-scalar");
    cr_assert_str_eq(k.input_nv12_name, "u8-input-nv12-scalar");
    cr_assert_str_eq(dd_postproc_kernels_best()->isa, "scalar");
    if (dd_cpu_has(DD_CPU_AVX2)) {
        /* avx2 caps every family at AVX2: no AVX-512 requantization under it */
        setenv("DETECTD_CPU_KERNEL", "avx2", 1);
        dd_cpu_kernels_resolve(&k);
        cr_assert_str_eq(k.gemm.name, "qs8-gemm-4x32c4-avx2");
        cr_assert_str_eq(k.requant_name, "qs8-requant-scalar");
        cr_assert_str_eq(k.requant_tile_name, "qs8-requant-tile-scalar");
        cr_assert_str_eq(k.input_nv12_name, "u8-input-nv12-avx2");
        cr_assert_str_eq(dd_postproc_kernels_best()->isa, "avx2");
    } else {
        cr_log_warn("skipped the avx2 cap: this CPU has no avx2");
    }
    setenv("DETECTD_CPU_KERNEL", "no-such-isa", 1);
    dd_cpu_kernels_resolve(&k);
    cr_assert_str_eq(k.gemm.name,
                     dd_kernel_pick(dd_qs8_gemm_variants, dd_qs8_gemm_n_variants)->name);
    unsetenv("DETECTD_CPU_KERNEL");
    dd_cpu_kernels_resolve(&k);
    for (size_t i = 0; i < dd_qs8_gemm_n_variants; i++)
        if (dd_cpu_has(dd_qs8_gemm_variants[i].level)) {
            cr_assert_str_eq(k.gemm.name, dd_qs8_gemm_variants[i].name, "the best one here");
            break;
        }
}

static void requant_rows(dd_qs8_requant_fn fn);

Test(qs8_requant, every_variant_here_matches_scalar)
{
    EACH_VARIANT(dd_qs8_requant_variants, dd_qs8_requant_n_variants, v)
    {
        cr_log_info("qs8-requant variant here: %s", v->name);
        requant_rows((dd_qs8_requant_fn)v->fn);
    }
}

static void requant_rows(dd_qs8_requant_fn fn)
{
    enum { N = 203 };
    static int32_t acc[N], m[N], mn[N], sh[N];
    for (int round = 0; round < 200; round++) {
        for (int c = 0; c < N; c++) {
            uint32_t r =
                (uint32_t)rnd8() << 24 | (uint32_t)rnd8() << 16 | (uint32_t)rnd8() << 8 | rnd8();
            acc[c] = (int32_t)r >> (rnd8() % 24); /* all magnitudes, both signs */
            m[c] = (int32_t)(0x40000000u + ((uint32_t)rnd8() << 20));
            mn[c] = (int32_t)((uint32_t)rnd8() << 22) - (1 << 29);
            sh[c] = (int32_t)(rnd8() % 62) - 30; /* the ISA's whole shift range */
        }
        acc[0] = INT32_MIN, acc[1] = INT32_MAX, sh[0] = -30, sh[1] = 31;
        struct dd_qs8_requant_params p = {
            m,        mn, sh, (int32_t)(rnd8() % 256) - 128, -128 + rnd8() % 20, 127 - rnd8() % 20,
            round & 1};
        int8_t want[N], got[N];
        for (int c = 0; c < N; c++) want[c] = got[c] = (int8_t)rnd8();
        int combine = (round >> 1) & 1;
        dd_qs8_requant_scalar(acc, N, &p, combine, want);
        fn(acc, N, &p, combine, got);
        cr_assert_eq(memcmp(got, want, N), 0, "round %d differs from scalar", round);
    }
}

static void requant_tiles(dd_qs8_requant_tile_fn fn);

Test(qs8_requant, every_tile_variant_here_matches_scalar_row_by_row)
{
    EACH_VARIANT(dd_qs8_requant_tile_variants, dd_qs8_requant_tile_n_variants, v)
    {
        cr_log_info("qs8-requant-tile variant here: %s", v->name);
        requant_tiles((dd_qs8_requant_tile_fn)v->fn);
    }
}

static void requant_tiles(dd_qs8_requant_tile_fn fn)
{
    static int32_t acc[8][32], m[32], mn[32], sh[32];
    for (int round = 0; round < 400; round++) {
        int n = 1 + round % 8;
        size_t nc = 1 + (size_t)(rnd8() % 32);
        for (int r = 0; r < 8; r++)
            for (int c = 0; c < 32; c++) {
                uint32_t v = (uint32_t)rnd8() << 24 | (uint32_t)rnd8() << 16 |
                             (uint32_t)rnd8() << 8 | rnd8();
                acc[r][c] = (int32_t)v >> (rnd8() % 24);
            }
        for (int c = 0; c < 32; c++) {
            m[c] = (int32_t)(0x40000000u + ((uint32_t)rnd8() << 20));
            mn[c] = (int32_t)((uint32_t)rnd8() << 22) - (1 << 29);
            sh[c] = (int32_t)(rnd8() % 62) - 30;
        }
        acc[0][0] = INT32_MIN, acc[0][1] = INT32_MAX, sh[0] = -30, sh[1] = 31;
        struct dd_qs8_requant_params p = {
            m,        mn, sh, (int32_t)(rnd8() % 256) - 128, -128 + rnd8() % 20, 127 - rnd8() % 20,
            round & 1};
        int combine[8];
        static int8_t want[8][40], got[8][40];
        int8_t *dw[8], *dg[8];
        for (int r = 0; r < 8; r++) {
            combine[r] = rnd8() & 1;
            for (int c = 0; c < 40; c++) want[r][c] = got[r][c] = (int8_t)rnd8();
            dw[r] = want[r], dg[r] = got[r];
        }
        size_t off = rnd8() % 8;
        dd_qs8_requant_tile_scalar((const int32_t(*)[32])acc, n, nc, &p, combine, dw, off);
        fn((const int32_t(*)[32])acc, n, nc, &p, combine, dg, off);
        cr_assert_eq(memcmp(got, want, sizeof(want)), 0, "round %d (n %d, nc %zu) differs", round,
                     n, nc);
    }
}

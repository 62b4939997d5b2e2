/* Every qs8-gemm variant this CPU can run equals the scalar twin bit for bit. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "accel/cpu/qs8_gemm.h"
#include "accel/cpu/qs8_requant.h"

static uint64_t s = 99;
static uint8_t rnd8(void)
{
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint8_t)(s >> 56);
}

static void compare(dd_qs8_gemm_fn fn, const char *name)
{
    for (size_t k4 = 1; k4 <= 300; k4 += (k4 < 20 ? 1 : 23)) {
        uint8_t *a[4];
        int8_t *w = malloc(k4 * 128);
        for (int r = 0; r < 4; r++) {
            a[r] = malloc(k4 * 4);
            for (size_t i = 0; i < k4 * 4; i++) a[r][i] = rnd8();
        }
        for (size_t i = 0; i < k4 * 128; i++) w[i] = (int8_t)rnd8();
        a[0][0] = 255, w[0] = -128, a[1][1] = 255, w[1] = 127; /* extremes */
        int32_t want[4][32], got[4][32];
        const uint8_t *const rows[4] = {a[0], a[1], a[2], a[3]};
        dd_qs8_gemm_4x32c4_scalar(rows, w, k4, want);
        fn(rows, w, k4, got);
        cr_assert_eq(memcmp(got, want, sizeof(want)), 0, "%s differs from scalar at k4 = %zu", name,
                     k4);
        for (int r = 0; r < 4; r++) free(a[r]);
        free(w);
    }
}

Test(qs8_gemm, scalar_against_a_direct_sum)
{
    uint8_t a0[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int8_t w[256] = {0};
    w[0] = 1, w[1] = 1, w[2] = 1, w[3] = 1; /* channel 0, k 0..3 */
    w[128 + 31 * 4 + 3] = -2;               /* channel 31, k 7 */
    const uint8_t *const rows[4] = {a0, a0, a0, a0};
    int32_t out[4][32];
    dd_qs8_gemm_4x32c4_scalar(rows, w, 2, out);
    cr_assert_eq(out[2][0], 10);
    cr_assert_eq(out[3][31], -16);
    cr_assert_eq(out[0][1], 0);
}

Test(qs8_gemm, best_variant_matches_scalar)
{
    const char *name;
    dd_qs8_gemm_fn fn = dd_qs8_gemm_best(&name);
    cr_log_info("best qs8-gemm variant here: %s", name);
    compare(fn, name);
}

#if defined(__x86_64__)
Test(qs8_gemm, avx512vnni_matches_scalar)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512vnni")) cr_skip_test("no AVX-512 VNNI on this CPU");
    compare(dd_qs8_gemm_4x32c4_avx512vnni, "avx512vnni");
}
#endif

Test(qs8_requant, best_variant_matches_scalar)
{
    enum { N = 203 };
    static int32_t acc[N], m[N], mn[N], sh[N];
    dd_qs8_requant_fn fn = dd_qs8_requant_best();
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

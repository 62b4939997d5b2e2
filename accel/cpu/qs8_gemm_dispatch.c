/* The run-time choice among the qs8-gemm variants for this CPU, and the x86-64
 * variants (compiled with per-function target attributes, so the binary still
 * runs on CPUs without them). */
#include <stdlib.h>
#include <string.h>

#include "accel/cpu/qs8_gemm.h"

#if defined(__x86_64__)
#include <immintrin.h>

/* vpdpbusd: 16 lanes x 4 (u8 x s8) products per register, 2 registers (32 channels) added to int32,
 * no saturation. */
__attribute__((target("avx512f,avx512vnni"))) void
dd_qs8_gemm_4x32c4_avx512vnni(const uint8_t *const a[4], const int8_t *w, size_t k4,
                              int32_t out[4][32])
{
    __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0, d0 = c0, d1 = c0, d2 = c0,
            d3 = c0;
    const uint8_t *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
    for (size_t kk = 0; kk < k4; kk++) {
        __m512i vw = _mm512_loadu_si512((const void *)(w + kk * 128));
        __m512i vv = _mm512_loadu_si512((const void *)(w + kk * 128 + 64));
        int32_t x0, x1, x2, x3;
        memcpy(&x0, a0 + 4 * kk, 4);
        memcpy(&x1, a1 + 4 * kk, 4);
        memcpy(&x2, a2 + 4 * kk, 4);
        memcpy(&x3, a3 + 4 * kk, 4);
        __m512i b0 = _mm512_set1_epi32(x0), b1 = _mm512_set1_epi32(x1), b2 = _mm512_set1_epi32(x2),
                b3 = _mm512_set1_epi32(x3);
        c0 = _mm512_dpbusd_epi32(c0, b0, vw);
        d0 = _mm512_dpbusd_epi32(d0, b0, vv);
        c1 = _mm512_dpbusd_epi32(c1, b1, vw);
        d1 = _mm512_dpbusd_epi32(d1, b1, vv);
        c2 = _mm512_dpbusd_epi32(c2, b2, vw);
        d2 = _mm512_dpbusd_epi32(d2, b2, vv);
        c3 = _mm512_dpbusd_epi32(c3, b3, vw);
        d3 = _mm512_dpbusd_epi32(d3, b3, vv);
    }
    _mm512_storeu_si512((void *)out[0], c0);
    _mm512_storeu_si512((void *)(out[0] + 16), d0);
    _mm512_storeu_si512((void *)out[1], c1);
    _mm512_storeu_si512((void *)(out[1] + 16), d1);
    _mm512_storeu_si512((void *)out[2], c2);
    _mm512_storeu_si512((void *)(out[2] + 16), d2);
    _mm512_storeu_si512((void *)out[3], c3);
    _mm512_storeu_si512((void *)(out[3] + 16), d3);
}
#endif

dd_qs8_gemm_fn dd_qs8_gemm_best(const char **name)
{
    const char *force = getenv("DETECTD_CPU_KERNEL");
#if defined(__x86_64__)
    __builtin_cpu_init();
    if ((!force || strcmp(force, "scalar") != 0) && __builtin_cpu_supports("avx512vnni")) {
        if (name) *name = "qs8-gemm-4x32c4-avx512vnni";
        return dd_qs8_gemm_4x32c4_avx512vnni;
    }
#elif defined(__aarch64__)
    if (!force || strcmp(force, "scalar") != 0) {
        if (name) *name = "qs8-gemm-4x32c4-neon";
        return dd_qs8_gemm_4x32c4_neon;
    }
#endif
    (void)force;
    if (name) *name = "qs8-gemm-4x32c4-scalar";
    return dd_qs8_gemm_4x32c4_scalar;
}

#include <stdlib.h>
#include <string.h>

#include "accel/cpu/qs8_requant.h"

#if defined(__x86_64__)
#include <immintrin.h>

/* 8 channels per step in 64-bit lanes: vpmuldq, variable rounding shift. */
__attribute__((target("avx512f,avx512vl,avx512bw"))) void
dd_qs8_requant_avx512(const int32_t *acc, size_t n, const struct dd_qs8_requant_params *p,
                      int combine, int8_t *out)
{
    const __m512i one = _mm512_set1_epi64(1), k31 = _mm512_set1_epi64(31);
    const __m512i zp = _mm512_set1_epi64(p->zp), lo = _mm512_set1_epi64(p->lo),
                  hi = _mm512_set1_epi64(p->hi);
    for (size_t c = 0; c < n; c += 8) {
        __mmask8 k = n - c >= 8 ? 0xff : (__mmask8)((1u << (n - c)) - 1);
        __m512i a = _mm512_cvtepi32_epi64(_mm256_maskz_loadu_epi32(k, acc + c));
        __m512i m = _mm512_cvtepi32_epi64(_mm256_maskz_loadu_epi32(k, p->m + c));
        if (p->leaky) {
            __m512i mn = _mm512_cvtepi32_epi64(_mm256_maskz_loadu_epi32(k, p->m_neg + c));
            m = _mm512_mask_blend_epi64(_mm512_cmplt_epi64_mask(a, _mm512_setzero_si512()), m, mn);
        }
        __m512i sh =
            _mm512_add_epi64(_mm512_cvtepi32_epi64(_mm256_maskz_loadu_epi32(k, p->s + c)), k31);
        __m512i prod = _mm512_mul_epi32(a, m); /* exact 32x32 -> 64 signed */
        __m512i rnd = _mm512_sllv_epi64(one, _mm512_sub_epi64(sh, one));
        __m512i r = _mm512_srav_epi64(_mm512_add_epi64(prod, rnd), sh);
        __m512i v = _mm512_min_epi64(_mm512_max_epi64(_mm512_add_epi64(r, zp), lo), hi);
        __m128i b = _mm512_cvtepi64_epi8(v); /* exact: already in the int8 range */
        if (combine) b = _mm_max_epi8(b, _mm_maskz_loadu_epi8(k, out + c));
        _mm_mask_storeu_epi8(out + c, k, b);
    }
}
#endif

dd_qs8_requant_fn dd_qs8_requant_best(void)
{
    const char *force = getenv("DETECTD_CPU_KERNEL");
#if defined(__x86_64__)
    __builtin_cpu_init();
    if ((!force || strcmp(force, "scalar") != 0) && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw"))
        return dd_qs8_requant_avx512;
#endif
    (void)force;
    return dd_qs8_requant_scalar;
}

#include <stdlib.h>
#include <string.h>

#include "accel/cpu/qs8_requant.h"

#if defined(__x86_64__)
#include <immintrin.h>

/* 16 channels per step: the even and odd int32 lanes go through vpmuldq
 * separately (exact 64-bit products), the rounding shift as
 * ((p >> (n - 1)) + 1) >> 1, which equals (p + 2^(n-1)) >> n for arithmetic
 * shifts; clamped in 64 bits to [lo - zp, hi - zp], so the zero point is
 * added in 32 bits without overflow. */
__attribute__((target("avx512f,avx512vl,avx512bw"))) void
dd_qs8_requant_avx512(const int32_t *acc, size_t n, const struct dd_qs8_requant_params *p,
                      int combine, int8_t *out)
{
    const __m512i one = _mm512_set1_epi64(1), k30 = _mm512_set1_epi32(30),
                  lo32 = _mm512_set1_epi64(0xffffffff);
    const __m512i lo = _mm512_set1_epi64((int64_t)p->lo - p->zp),
                  hi = _mm512_set1_epi64((int64_t)p->hi - p->zp), zp = _mm512_set1_epi32(p->zp);
    for (size_t c = 0; c < n; c += 16) {
        __mmask16 k = n - c >= 16 ? 0xffff : (__mmask16)((1u << (n - c)) - 1);
        __m512i a = _mm512_maskz_loadu_epi32(k, acc + c);
        __m512i m = _mm512_maskz_loadu_epi32(k, p->m + c);
        if (p->leaky)
            m = _mm512_mask_loadu_epi32(m, _mm512_cmplt_epi32_mask(a, _mm512_setzero_si512()) & k,
                                        p->m_neg + c);
        __m512i n1 = _mm512_add_epi32(_mm512_maskz_loadu_epi32(k, p->s + c), k30); /* n - 1 */
        __m512i pe = _mm512_mul_epi32(a, m);
        __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(a, 32), _mm512_srli_epi64(m, 32));
        __m512i re = _mm512_srai_epi64(
            _mm512_add_epi64(_mm512_srav_epi64(pe, _mm512_and_si512(n1, lo32)), one), 1);
        __m512i ro = _mm512_srai_epi64(
            _mm512_add_epi64(_mm512_srav_epi64(po, _mm512_srli_epi64(n1, 32)), one), 1);
        re = _mm512_min_epi64(_mm512_max_epi64(re, lo), hi);
        ro = _mm512_min_epi64(_mm512_max_epi64(ro, lo), hi);
        __m512i r = _mm512_mask_blend_epi32(0xaaaa, re, _mm512_slli_epi64(ro, 32));
        __m128i b = _mm512_cvtepi32_epi8(_mm512_add_epi32(r, zp)); /* in the int8 range */
        if (combine) b = _mm_max_epi8(b, _mm_maskz_loadu_epi8(k, out + c));
        _mm_mask_storeu_epi8(out + c, k, b);
    }
}

/* One 16-channel half of a tile: the per-channel values prepared once. */
struct half16 {
    __mmask16 k;
    __m512i m, m_neg, m_o, m_neg_o, n1_e, n1_o;
};

__attribute__((target("avx512f,avx512vl,avx512bw"))) static inline __m128i
requant16(__m512i a, const struct half16 *h, int leaky, __m512i lo, __m512i hi, __m512i zp)
{
    const __m512i one = _mm512_set1_epi64(1);
    __m512i m = h->m, m_o = h->m_o;
    if (leaky) {
        __mmask16 neg = _mm512_cmplt_epi32_mask(a, _mm512_setzero_si512());
        m = _mm512_mask_blend_epi32(neg, m, h->m_neg);
        m_o = _mm512_srli_epi64(m, 32);
    }
    __m512i pe = _mm512_mul_epi32(a, m);
    __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(a, 32), m_o);
    __m512i re = _mm512_srai_epi64(_mm512_add_epi64(_mm512_srav_epi64(pe, h->n1_e), one), 1);
    __m512i ro = _mm512_srai_epi64(_mm512_add_epi64(_mm512_srav_epi64(po, h->n1_o), one), 1);
    re = _mm512_min_epi64(_mm512_max_epi64(re, lo), hi);
    ro = _mm512_min_epi64(_mm512_max_epi64(ro, lo), hi);
    __m512i r = _mm512_mask_blend_epi32(0xaaaa, re, _mm512_slli_epi64(ro, 32));
    return _mm512_cvtepi32_epi8(_mm512_add_epi32(r, zp));
}

__attribute__((target("avx512f,avx512vl,avx512bw"))) void
dd_qs8_requant_tile_avx512(const int32_t (*acc)[32], int n, size_t nc,
                           const struct dd_qs8_requant_params *p, const int *combine,
                           int8_t *const *dst, size_t dst_off)
{
    const __m512i k30 = _mm512_set1_epi32(30), lo32 = _mm512_set1_epi64(0xffffffff);
    const __m512i lo = _mm512_set1_epi64((int64_t)p->lo - p->zp),
                  hi = _mm512_set1_epi64((int64_t)p->hi - p->zp), zp = _mm512_set1_epi32(p->zp);
    struct half16 h[2];
    int halves = nc > 16 ? 2 : 1;
    for (int i = 0; i < halves; i++) {
        size_t c = 16 * (size_t)i, left = nc - c;
        h[i].k = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
        h[i].m = _mm512_maskz_loadu_epi32(h[i].k, p->m + c);
        h[i].m_neg = p->leaky ? _mm512_maskz_loadu_epi32(h[i].k, p->m_neg + c) : h[i].m;
        h[i].m_o = _mm512_srli_epi64(h[i].m, 32);
        __m512i n1 = _mm512_add_epi32(_mm512_maskz_loadu_epi32(h[i].k, p->s + c), k30);
        h[i].n1_e = _mm512_and_si512(n1, lo32);
        h[i].n1_o = _mm512_srli_epi64(n1, 32);
    }
    for (int r = 0; r < n; r++) {
        int8_t *out = dst[r] + dst_off;
        for (int i = 0; i < halves; i++) {
            __m128i b = requant16(_mm512_maskz_loadu_epi32(h[i].k, acc[r] + 16 * i), &h[i],
                                  p->leaky, lo, hi, zp);
            if (h[i].k == 0xffff) { /* plain stores: masked ones are slow on some cores */
                if (combine[r])
                    b = _mm_max_epi8(b, _mm_loadu_si128((const __m128i *)(out + 16 * i)));
                _mm_storeu_si128((__m128i *)(out + 16 * i), b);
            } else {
                if (combine[r]) b = _mm_max_epi8(b, _mm_maskz_loadu_epi8(h[i].k, out + 16 * i));
                _mm_mask_storeu_epi8(out + 16 * i, h[i].k, b);
            }
        }
    }
}
#endif

dd_qs8_requant_tile_fn dd_qs8_requant_tile_best(void)
{
#if defined(__x86_64__)
    const char *force = getenv("DETECTD_CPU_KERNEL");
    __builtin_cpu_init();
    if ((!force || strcmp(force, "scalar") != 0) && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw"))
        return dd_qs8_requant_tile_avx512;
#endif
    return dd_qs8_requant_tile_scalar;
}

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

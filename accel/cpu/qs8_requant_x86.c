
#include "accel/cpu/qs8_requant.h"

#if defined(__x86_64__)
#include <immintrin.h>

/* 16 channels per step: the even and odd int32 lanes go through vpmuldq
 * separately (exact 64-bit products), the rounding shift as
 * ((p >> (n - 1)) + 1) >> 1, which equals (p + 2^(n-1)) >> n for arithmetic
 * shifts; clamped in 64 bits to [lo - zp, hi - zp], so the zero point is
 * added in 32 bits without overflow. */

/* The per-call constants. */
struct consts {
    __m512i lo, hi, zp;
    int leaky;
};

/* 16 channels' per-channel values (channels c .. c + 15 of p, the first left < 16 only). */
struct half16 {
    __mmask16 k;
    __m512i m, m_neg, m_o, n1_e, n1_o;
};

__attribute__((target("avx512f,avx512vl,avx512bw"))) static inline struct consts
prepare_consts(const struct dd_qs8_requant_params *p)
{
    return (struct consts){_mm512_set1_epi64((int64_t)p->lo - p->zp),
                           _mm512_set1_epi64((int64_t)p->hi - p->zp), _mm512_set1_epi32(p->zp),
                           p->leaky};
}

__attribute__((target("avx512f,avx512vl,avx512bw"))) static inline struct half16
prepare16(const struct dd_qs8_requant_params *p, size_t c, size_t left)
{
    struct half16 h;
    h.k = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
    h.m = _mm512_maskz_loadu_epi32(h.k, p->m + c);
    h.m_neg = p->leaky ? _mm512_maskz_loadu_epi32(h.k, p->m_neg + c) : h.m;
    h.m_o = _mm512_srli_epi64(h.m, 32);
    __m512i n1 = _mm512_add_epi32(_mm512_maskz_loadu_epi32(h.k, p->s + c),
                                  _mm512_set1_epi32(30)); /* n - 1 */
    h.n1_e = _mm512_and_si512(n1, _mm512_set1_epi64(0xffffffff));
    h.n1_o = _mm512_srli_epi64(n1, 32);
    return h;
}

/* Requantizes acc (16 lanes, h's channels) and writes or max-combines the bytes at out. */
__attribute__((target("avx512f,avx512vl,avx512bw"))) static inline void
requant16(const int32_t *acc, const struct half16 *h, const struct consts *k, int combine,
          int8_t *out)
{
    const __m512i one = _mm512_set1_epi64(1);
    __m512i a = _mm512_maskz_loadu_epi32(h->k, acc);
    __m512i m = h->m, m_o = h->m_o;
    if (k->leaky) {
        __mmask16 neg = _mm512_cmplt_epi32_mask(a, _mm512_setzero_si512());
        m = _mm512_mask_blend_epi32(neg, m, h->m_neg);
        m_o = _mm512_srli_epi64(m, 32);
    }
    __m512i pe = _mm512_mul_epi32(a, m);
    __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(a, 32), m_o);
    __m512i re = _mm512_srai_epi64(_mm512_add_epi64(_mm512_srav_epi64(pe, h->n1_e), one), 1);
    __m512i ro = _mm512_srai_epi64(_mm512_add_epi64(_mm512_srav_epi64(po, h->n1_o), one), 1);
    re = _mm512_min_epi64(_mm512_max_epi64(re, k->lo), k->hi);
    ro = _mm512_min_epi64(_mm512_max_epi64(ro, k->lo), k->hi);
    __m512i r = _mm512_mask_blend_epi32(0xaaaa, re, _mm512_slli_epi64(ro, 32));
    __m128i b = _mm512_cvtepi32_epi8(_mm512_add_epi32(r, k->zp)); /* in the int8 range */
    if (h->k == 0xffff) { /* plain stores: masked ones are slow on some cores */
        if (combine) b = _mm_max_epi8(b, _mm_loadu_si128((const __m128i *)out));
        _mm_storeu_si128((__m128i *)out, b);
    } else {
        if (combine) b = _mm_max_epi8(b, _mm_maskz_loadu_epi8(h->k, out));
        _mm_mask_storeu_epi8(out, h->k, b);
    }
}

__attribute__((target("avx512f,avx512vl,avx512bw"))) void
dd_qs8_requant_avx512(const int32_t *acc, size_t n, const struct dd_qs8_requant_params *p,
                      int combine, int8_t *out)
{
    struct consts k = prepare_consts(p);
    for (size_t c = 0; c < n; c += 16) {
        struct half16 h = prepare16(p, c, n - c);
        requant16(acc + c, &h, &k, combine, out + c);
    }
}

/* The tile: each half's per-channel values prepared once for all rows. */
__attribute__((target("avx512f,avx512vl,avx512bw"))) void
dd_qs8_requant_tile_avx512(const int32_t (*acc)[32], int n, size_t nc,
                           const struct dd_qs8_requant_params *p, const int *combine,
                           int8_t *const *dst, size_t dst_off)
{
    struct consts k = prepare_consts(p);
    struct half16 h[2];
    int halves = nc > 16 ? 2 : 1;
    for (int i = 0; i < halves; i++) h[i] = prepare16(p, 16 * (size_t)i, nc - 16 * (size_t)i);
    for (int r = 0; r < n; r++)
        for (int i = 0; i < halves; i++)
            requant16(acc[r] + 16 * i, &h[i], &k, combine[r], dst[r] + dst_off + 16 * i);
}
#endif

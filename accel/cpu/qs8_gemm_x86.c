/* The x86-64 qs8-gemm variants, compiled with per-function target attributes
 * so the binary still runs on CPUs without them. */
#include "accel/cpu/qs8_gemm.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

static inline int32_t load4(const uint8_t *p)
{
    int32_t x;
    memcpy(&x, p, 4);
    return x;
}

/* vpdpbusd: 16 lanes x 4 (u8 x s8) products per register, no saturation. Per
 * 4-byte step: 2 weight loads and 8 broadcasts feed 16 vpdpbusd. */
__attribute__((target("avx512f,avx512vnni"))) void
dd_qs8_gemm_8x32c4_avx512vnni(const uint8_t *const *a, size_t ks, size_t seg4, const int8_t *w,
                              const int32_t *bias, int32_t (*out)[DD_QS8_GEMM_NR])
{
    const __m512i b_lo = _mm512_loadu_si512((const void *)bias),
                  b_hi = _mm512_loadu_si512((const void *)(bias + 16));
    __m512i c0 = b_lo, c1 = b_lo, c2 = b_lo, c3 = b_lo, c4 = b_lo, c5 = b_lo, c6 = b_lo, c7 = b_lo;
    __m512i d0 = b_hi, d1 = b_hi, d2 = b_hi, d3 = b_hi, d4 = b_hi, d5 = b_hi, d6 = b_hi, d7 = b_hi;
    for (size_t s = 0; s < ks; s++) {
        const uint8_t *a0 = a[s], *a1 = a[ks + s], *a2 = a[2 * ks + s], *a3 = a[3 * ks + s],
                      *a4 = a[4 * ks + s], *a5 = a[5 * ks + s], *a6 = a[6 * ks + s],
                      *a7 = a[7 * ks + s];
        for (size_t kk = 0; kk < seg4; kk++, w += 128) {
            const __m512i vw = _mm512_loadu_si512((const void *)w);
            const __m512i vv = _mm512_loadu_si512((const void *)(w + 64));
            size_t o = 4 * kk;
            __m512i x = _mm512_set1_epi32(load4(a0 + o));
            c0 = _mm512_dpbusd_epi32(c0, x, vw), d0 = _mm512_dpbusd_epi32(d0, x, vv);
            x = _mm512_set1_epi32(load4(a1 + o));
            c1 = _mm512_dpbusd_epi32(c1, x, vw), d1 = _mm512_dpbusd_epi32(d1, x, vv);
            x = _mm512_set1_epi32(load4(a2 + o));
            c2 = _mm512_dpbusd_epi32(c2, x, vw), d2 = _mm512_dpbusd_epi32(d2, x, vv);
            x = _mm512_set1_epi32(load4(a3 + o));
            c3 = _mm512_dpbusd_epi32(c3, x, vw), d3 = _mm512_dpbusd_epi32(d3, x, vv);
            x = _mm512_set1_epi32(load4(a4 + o));
            c4 = _mm512_dpbusd_epi32(c4, x, vw), d4 = _mm512_dpbusd_epi32(d4, x, vv);
            x = _mm512_set1_epi32(load4(a5 + o));
            c5 = _mm512_dpbusd_epi32(c5, x, vw), d5 = _mm512_dpbusd_epi32(d5, x, vv);
            x = _mm512_set1_epi32(load4(a6 + o));
            c6 = _mm512_dpbusd_epi32(c6, x, vw), d6 = _mm512_dpbusd_epi32(d6, x, vv);
            x = _mm512_set1_epi32(load4(a7 + o));
            c7 = _mm512_dpbusd_epi32(c7, x, vw), d7 = _mm512_dpbusd_epi32(d7, x, vv);
        }
    }
    __m512i c[8] = {c0, c1, c2, c3, c4, c5, c6, c7}, d[8] = {d0, d1, d2, d3, d4, d5, d6, d7};
    for (int r = 0; r < 8; r++) {
        _mm512_storeu_si512((void *)out[r], c[r]);
        _mm512_storeu_si512((void *)(out[r] + 16), d[r]);
    }
}

/* AVX2: per 8-channel group, weights widened to int16 (2 registers of 4
 * channels x 4 inputs), each row's 4 bytes widened and broadcast, vpmaddwd
 * gives per-channel pair sums that are added at the end (vphaddd). */
__attribute__((target("avx2"))) void dd_qs8_gemm_4x32c4_avx2(const uint8_t *const *a, size_t ks,
                                                             size_t seg4, const int8_t *w,
                                                             const int32_t *bias,
                                                             int32_t (*out)[DD_QS8_GEMM_NR])
{
    for (int g = 0; g < 4; g++) {
        __m256i l0 = _mm256_setzero_si256(), l1 = l0, l2 = l0, l3 = l0, h0 = l0, h1 = l0, h2 = l0,
                h3 = l0;
        const int8_t *wg = w + 32 * g;
        for (size_t s = 0; s < ks; s++) {
            const uint8_t *a0 = a[s], *a1 = a[ks + s], *a2 = a[2 * ks + s], *a3 = a[3 * ks + s];
            for (size_t kk = 0; kk < seg4; kk++, wg += 128) {
                __m256i wl = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)wg));
                __m256i wh = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(wg + 16)));
                size_t o = 4 * kk;
                __m256i x =
                    _mm256_broadcastq_epi64(_mm_cvtepu8_epi16(_mm_cvtsi32_si128(load4(a0 + o))));
                l0 = _mm256_add_epi32(l0, _mm256_madd_epi16(x, wl));
                h0 = _mm256_add_epi32(h0, _mm256_madd_epi16(x, wh));
                x = _mm256_broadcastq_epi64(_mm_cvtepu8_epi16(_mm_cvtsi32_si128(load4(a1 + o))));
                l1 = _mm256_add_epi32(l1, _mm256_madd_epi16(x, wl));
                h1 = _mm256_add_epi32(h1, _mm256_madd_epi16(x, wh));
                x = _mm256_broadcastq_epi64(_mm_cvtepu8_epi16(_mm_cvtsi32_si128(load4(a2 + o))));
                l2 = _mm256_add_epi32(l2, _mm256_madd_epi16(x, wl));
                h2 = _mm256_add_epi32(h2, _mm256_madd_epi16(x, wh));
                x = _mm256_broadcastq_epi64(_mm_cvtepu8_epi16(_mm_cvtsi32_si128(load4(a3 + o))));
                l3 = _mm256_add_epi32(l3, _mm256_madd_epi16(x, wl));
                h3 = _mm256_add_epi32(h3, _mm256_madd_epi16(x, wh));
            }
        }
        /* l: [c0 c0 c1 c1 | c2 c2 c3 c3], h: [c4 c4 c5 c5 | c6 c6 c7 c7] (pair halves) */
        const __m256i bias8 = _mm256_loadu_si256((const __m256i *)(bias + 8 * g));
        __m256i l[4] = {l0, l1, l2, l3}, h[4] = {h0, h1, h2, h3};
        for (int r = 0; r < 4; r++) {
            __m256i s = _mm256_hadd_epi32(l[r], h[r]); /* [c0 c1 c4 c5 | c2 c3 c6 c7] */
            s = _mm256_permute4x64_epi64(s, 0xd8);     /* [c0 c1 c2 c3 | c4 c5 c6 c7] */
            _mm256_storeu_si256((__m256i *)(out[r] + 8 * g), _mm256_add_epi32(s, bias8));
        }
    }
}
#endif

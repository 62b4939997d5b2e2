#include "accel/cpu/u8_input.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2")))

/* 8 pixels' Y and UV bytes at column indices x (4-byte gathers, low byte kept). */
TARGET static inline void load_yuv(const uint8_t *yrow, const uint8_t *uvrow, __m256i x, __m256i *y,
                                   __m256i *u, __m256i *v)
{
    const __m256i ff = _mm256_set1_epi32(0xff);
    *y = _mm256_and_si256(_mm256_i32gather_epi32((const int *)(const void *)yrow, x, 1), ff);
    __m256i uvx = _mm256_slli_epi32(_mm256_srli_epi32(x, 1), 1);
    __m256i uv = _mm256_i32gather_epi32((const int *)(const void *)uvrow, uvx, 1);
    *u = _mm256_and_si256(uv, ff);
    *v = _mm256_and_si256(_mm256_srli_epi32(uv, 8), ff);
}

TARGET static inline __m256i clamp255(__m256i v)
{
    return _mm256_min_epi32(_mm256_max_epi32(v, _mm256_setzero_si256()), _mm256_set1_epi32(255));
}

/* dd_isa_yuv_to_rgb on 8 lanes */
TARGET static inline void to_rgb(__m256i y, __m256i u, __m256i v, __m256i rgb[3])
{
    __m256i c =
        _mm256_mullo_epi32(_mm256_sub_epi32(y, _mm256_set1_epi32(16)), _mm256_set1_epi32(298));
    __m256i d = _mm256_sub_epi32(u, _mm256_set1_epi32(128));
    __m256i e = _mm256_sub_epi32(v, _mm256_set1_epi32(128));
    __m256i r128 = _mm256_add_epi32(c, _mm256_set1_epi32(128));
    rgb[0] = clamp255(_mm256_srai_epi32(
        _mm256_add_epi32(r128, _mm256_mullo_epi32(e, _mm256_set1_epi32(409))), 8));
    rgb[1] = clamp255(_mm256_srai_epi32(
        _mm256_sub_epi32(_mm256_sub_epi32(r128, _mm256_mullo_epi32(d, _mm256_set1_epi32(100))),
                         _mm256_mullo_epi32(e, _mm256_set1_epi32(208))),
        8));
    rgb[2] = clamp255(_mm256_srai_epi32(
        _mm256_add_epi32(r128, _mm256_mullo_epi32(d, _mm256_set1_epi32(516))), 8));
}

/* (v * a + b + 2^31) >> 32 clamped to int8, for 4 int64 lanes from 4 int32 v */
TARGET static inline __m128i normalise4(__m128i v, __m256i a, __m256i b)
{
    __m256i p = _mm256_mul_epi32(_mm256_cvtepi32_epi64(v), a); /* |v| < 2^25, |a| < 2^31 */
    p = _mm256_add_epi64(_mm256_add_epi64(p, b), _mm256_set1_epi64x((int64_t)1 << 31));
    /* the high dword of each lane is the arithmetic shift by 32 */
    __m256i hi = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(1, 3, 5, 7, 1, 3, 5, 7));
    return _mm256_castsi256_si128(hi);
}

TARGET void dd_u8_input_nv12_avx2(const struct dd_input_row *r)
{
    for (int c = 0; c < 3; c++)
        if (r->nrm[c] < INT32_MIN || r->nrm[c] > INT32_MAX) {
            dd_u8_input_nv12_scalar(r); /* multipliers beyond 32 bits: the twin handles them */
            return;
        }
    size_t k = 0;
    /* vector part: every tap's 4-byte gather stays inside its row */
    size_t n_vec = r->n;
    while (n_vec > 0 && r->tx[n_vec - 1][1] + 4 > r->width) n_vec--; /* taps grow with k */
    const __m256i fy = _mm256_set1_epi32((int)r->fy), fy1 = _mm256_set1_epi32(256 - (int)r->fy);
    const __m256i k256 = _mm256_set1_epi32(256);
    __m256i a[3], b[3];
    for (int c = 0; c < 3; c++) {
        a[c] = _mm256_set1_epi64x(r->nrm[c]);
        b[c] = _mm256_set1_epi64x(r->nrm[3 + c]);
    }
    for (; k + 8 <= n_vec; k += 8) {
        int32_t ix0[8], ix1[8], ifx[8];
        for (int i = 0; i < 8; i++) {
            ix0[i] = (int32_t)r->tx[k + i][0];
            ix1[i] = (int32_t)r->tx[k + i][1];
            ifx[i] = (int32_t)r->tx[k + i][2];
        }
        __m256i x0 = _mm256_loadu_si256((const __m256i *)(const void *)ix0);
        __m256i x1 = _mm256_loadu_si256((const __m256i *)(const void *)ix1);
        __m256i fx = _mm256_loadu_si256((const __m256i *)(const void *)ifx);
        __m256i fx1 = _mm256_sub_epi32(k256, fx);
        __m256i y, u, v, p00[3], p01[3], p10[3], p11[3];
        load_yuv(r->y0, r->uv0, x0, &y, &u, &v);
        to_rgb(y, u, v, p00);
        load_yuv(r->y0, r->uv0, x1, &y, &u, &v);
        to_rgb(y, u, v, p01);
        load_yuv(r->y1, r->uv1, x0, &y, &u, &v);
        to_rgb(y, u, v, p10);
        load_yuv(r->y1, r->uv1, x1, &y, &u, &v);
        to_rgb(y, u, v, p11);
        int32_t q[3][8];
        for (int c = 0; c < 3; c++) {
            int col = r->bgr ? 2 - c : c;
            __m256i top = _mm256_add_epi32(_mm256_mullo_epi32(p00[col], fx1),
                                           _mm256_mullo_epi32(p01[col], fx));
            __m256i bot = _mm256_add_epi32(_mm256_mullo_epi32(p10[col], fx1),
                                           _mm256_mullo_epi32(p11[col], fx));
            __m256i val =
                _mm256_add_epi32(_mm256_mullo_epi32(top, fy1), _mm256_mullo_epi32(bot, fy));
            __m128i lo = normalise4(_mm256_castsi256_si128(val), a[c], b[c]);
            __m128i hi = normalise4(_mm256_extracti128_si256(val, 1), a[c], b[c]);
            __m256i all = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
            all = _mm256_min_epi32(_mm256_max_epi32(all, _mm256_set1_epi32(-128)),
                                   _mm256_set1_epi32(127));
            _mm256_storeu_si256((__m256i *)(void *)q[c], all);
        }
        for (int i = 0; i < 8; i++) {
            int8_t *dst = r->dst + (k + i) * r->pitch;
            dst[0] = (int8_t)q[0][i];
            dst[1] = (int8_t)q[1][i];
            dst[2] = (int8_t)q[2][i];
        }
    }
    struct dd_input_row rest = *r;
    rest.tx = r->tx + k;
    rest.n = r->n - k;
    rest.dst = r->dst + k * r->pitch;
    dd_u8_input_nv12_scalar(&rest);
}
#endif

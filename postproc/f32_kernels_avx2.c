#include "postproc/f32_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2"))) int dd_f32_any_ge_avx2(const float *v, size_t n, float t)
{
    __m256 vt = _mm256_set1_ps(t);
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        if (_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(v + i), vt, _CMP_GE_OQ))) return 1;
    return dd_f32_any_ge_scalar(v + i, n - i, t);
}

__attribute__((target("avx2"))) void dd_f32_iou_avx2(const float box[4], const float *x1,
                                                     const float *y1, const float *x2,
                                                     const float *y2, size_t n, float *iou)
{
    const __m256 bx1 = _mm256_set1_ps(box[0]), by1 = _mm256_set1_ps(box[1]);
    const __m256 bx2 = _mm256_set1_ps(box[2]), by2 = _mm256_set1_ps(box[3]);
    const __m256 area_b = _mm256_set1_ps((box[2] - box[0]) * (box[3] - box[1]));
    const __m256 zero = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 ax1 = _mm256_loadu_ps(x1 + i), ay1 = _mm256_loadu_ps(y1 + i);
        __m256 ax2 = _mm256_loadu_ps(x2 + i), ay2 = _mm256_loadu_ps(y2 + i);
        /* max_ps(a, b) is (a > b ? a : b) and min_ps(a, b) is (a < b ? a : b), NaNs included */
        __m256 iw = _mm256_sub_ps(_mm256_min_ps(ax2, bx2), _mm256_max_ps(ax1, bx1));
        __m256 ih = _mm256_sub_ps(_mm256_min_ps(ay2, by2), _mm256_max_ps(ay1, by1));
        __m256 empty =
            _mm256_or_ps(_mm256_cmp_ps(iw, zero, _CMP_LE_OQ), _mm256_cmp_ps(ih, zero, _CMP_LE_OQ));
        __m256 inter = _mm256_mul_ps(iw, ih);
        __m256 area_a = _mm256_mul_ps(_mm256_sub_ps(ax2, ax1), _mm256_sub_ps(ay2, ay1));
        __m256 uni = _mm256_sub_ps(_mm256_add_ps(area_a, area_b), inter);
        __m256 ok = _mm256_andnot_ps(empty, _mm256_cmp_ps(uni, zero, _CMP_GT_OQ));
        _mm256_storeu_ps(iou + i, _mm256_and_ps(ok, _mm256_div_ps(inter, uni)));
    }
    dd_f32_iou_scalar(box, x1 + i, y1 + i, x2 + i, y2 + i, n - i, iou + i);
}
#endif

#include "accel/cpu/qs8_gemm.h"

static inline void gemm_scalar(int mr, const uint8_t *const *a, size_t ks, size_t seg4,
                               const int8_t *w, const int32_t *bias, int32_t (*out)[DD_QS8_GEMM_NR])
{
    for (int r = 0; r < mr; r++)
        for (int n = 0; n < DD_QS8_GEMM_NR; n++) out[r][n] = bias[n];
    for (size_t s = 0; s < ks; s++)
        for (size_t kk = 0; kk < seg4; kk++, w += 4 * DD_QS8_GEMM_NR)
            for (int r = 0; r < mr; r++) {
                const uint8_t *ak = a[(size_t)r * ks + s] + kk * 4;
                for (int n = 0; n < DD_QS8_GEMM_NR; n++)
                    for (int j = 0; j < 4; j++) out[r][n] += (int32_t)ak[j] * w[n * 4 + j];
            }
}

void dd_qs8_gemm_4x32c4_scalar(const uint8_t *const *a, size_t ks, size_t seg4, const int8_t *w,
                               const int32_t *bias, int32_t (*out)[DD_QS8_GEMM_NR])
{
    gemm_scalar(4, a, ks, seg4, w, bias, out);
}

void dd_qs8_gemm_8x32c4_scalar(const uint8_t *const *a, size_t ks, size_t seg4, const int8_t *w,
                               const int32_t *bias, int32_t (*out)[DD_QS8_GEMM_NR])
{
    gemm_scalar(8, a, ks, seg4, w, bias, out);
}

dd_qs8_gemm_fn dd_qs8_gemm_scalar_for(int mr)
{
    return mr == 8 ? dd_qs8_gemm_8x32c4_scalar : dd_qs8_gemm_4x32c4_scalar;
}

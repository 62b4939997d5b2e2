#include "accel/cpu/qs8_gemm.h"

void dd_qs8_gemm_4x32c4_scalar(const uint8_t *const a[4], const int8_t *w, size_t k4,
                               int32_t out[4][32])
{
    for (int r = 0; r < 4; r++)
        for (int n = 0; n < 32; n++) out[r][n] = 0;
    for (size_t kk = 0; kk < k4; kk++) {
        const int8_t *wk = w + kk * 128;
        for (int r = 0; r < 4; r++) {
            const uint8_t *ak = a[r] + kk * 4;
            for (int n = 0; n < 32; n++)
                for (int j = 0; j < 4; j++) out[r][n] += (int32_t)ak[j] * wk[n * 4 + j];
        }
    }
}

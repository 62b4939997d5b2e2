/* aarch64 NEON variant (baseline ARMv8-A, no dot-product extension, so it
 * runs on Cortex-A53/A72 boards): u8 x s8 products fit int16 exactly
 * (255 * 128 < 32768), then pairs are accumulated into int32 (vpadalq). */
#include "accel/cpu/qs8_gemm.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <string.h>

void dd_qs8_gemm_4x32c4_neon(const uint8_t *const *a, size_t ks, size_t seg4, const int8_t *w,
                             const int32_t *bias, int32_t (*out)[DD_QS8_GEMM_NR])
{
    /* acc[r][g]: channels 4g..4g+3 of row r as half-sums [n j01, n j23, n+1 j01, n+1 j23] x 2 */
    int32x4_t acc[4][16];
    for (int r = 0; r < 4; r++)
        for (int g = 0; g < 16; g++) acc[r][g] = vdupq_n_s32(0);
    for (size_t s = 0; s < ks; s++)
        for (size_t kk = 0; kk < seg4; kk++) {
            const int8_t *wk = w + (s * seg4 + kk) * 128;
            int16x8_t wv[16];
            for (int g = 0; g < 8; g++) { /* 16 bytes = 4 channels x 4 inputs */
                int8x16_t b = vld1q_s8(wk + 16 * g);
                wv[2 * g] = vmovl_s8(vget_low_s8(b));      /* channels 4g, 4g+1 */
                wv[2 * g + 1] = vmovl_s8(vget_high_s8(b)); /* channels 4g+2, 4g+3 */
            }
            for (int r = 0; r < 4; r++) {
                uint32_t x;
                memcpy(&x, a[(size_t)r * ks + s] + 4 * kk, 4);
                int16x8_t xv = vreinterpretq_s16_u16(vmovl_u8(vreinterpret_u8_u32(vdup_n_u32(x))));
                for (int h = 0; h < 16; h++)
                    acc[r][h] = vpadalq_s16(acc[r][h], vmulq_s16(xv, wv[h]));
            }
        }
    for (int r = 0; r < 4; r++)
        for (int h = 0; h < 16; h++) {
            /* [n j01, n j23, n+1 j01, n+1 j23] -> n, n+1 */
            int32x2_t s = vpadd_s32(vget_low_s32(acc[r][h]), vget_high_s32(acc[r][h]));
            out[r][2 * h] = bias[2 * h] + vget_lane_s32(s, 0);
            out[r][2 * h + 1] = bias[2 * h + 1] + vget_lane_s32(s, 1);
        }
}
#endif

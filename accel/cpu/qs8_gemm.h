/* int8 GEMM microkernels for convolution, XNNPACK-style naming:
 *   qs8-gemm-<MR>x32c4-<isa>: MR rows (conv positions) x 32 output channels,
 *   inner dimension in groups of 4 bytes.
 *
 * Inputs: each row r is ks segments of seg4 * 4 unsigned bytes (the int8
 * activation XOR 0x80, i.e. +128) at a[r * ks + s] -- an im2col row is one
 * segment, a convolution reading a biased copy of its input gives one segment
 * per kernel row (indirect GEMM); the row's inner index i runs over the
 * segments in order, k4 = ks * seg4 groups of 4. Weights are packed per
 * 32-channel block as w[kk][n][j] = weight of channel n, input index 4*kk + j
 * (signed), and 32 int32 start values (the caller folds the bias and
 * -128 * sum(w) into them). Output:
 *   out[r][n] = bias[n] + sum over i of a_r[i] * w(n, i), exact int32.
 * Every variant equals its scalar twin (the same MR) bit for bit. */
#ifndef DD_ACCEL_CPU_QS8_GEMM_H
#define DD_ACCEL_CPU_QS8_GEMM_H

#include <stddef.h>
#include <stdint.h>

#define DD_QS8_GEMM_NR 32
#define DD_QS8_GEMM_MR_MAX 8

typedef void (*dd_qs8_gemm_fn)(const uint8_t *const *a, size_t ks, size_t seg4, const int8_t *w,
                               const int32_t *bias, int32_t (*out)[DD_QS8_GEMM_NR]);

struct dd_qs8_gemm_kernel {
    dd_qs8_gemm_fn fn;
    int mr; /* rows per call: a[0..mr), out[0..mr) */
    const char *name;
};

void dd_qs8_gemm_4x32c4_scalar(const uint8_t *const *a, size_t ks, size_t seg4, const int8_t *w,
                               const int32_t *bias, int32_t (*out)[DD_QS8_GEMM_NR]);
void dd_qs8_gemm_8x32c4_scalar(const uint8_t *const *a, size_t ks, size_t seg4, const int8_t *w,
                               const int32_t *bias, int32_t (*out)[DD_QS8_GEMM_NR]);
#if defined(__x86_64__)
/* AVX2 without VNNI: u8 and s8 widened to int16, vpmaddwd (exact). */
void dd_qs8_gemm_4x32c4_avx2(const uint8_t *const *a, size_t ks, size_t seg4, const int8_t *w,
                             const int32_t *bias, int32_t (*out)[DD_QS8_GEMM_NR]);
/* AVX-512 VNNI: vpdpbusd, 16 accumulators. */
void dd_qs8_gemm_8x32c4_avx512vnni(const uint8_t *const *a, size_t ks, size_t seg4, const int8_t *w,
                                   const int32_t *bias, int32_t (*out)[DD_QS8_GEMM_NR]);
#endif
#if defined(__aarch64__)
void dd_qs8_gemm_4x32c4_neon(const uint8_t *const *a, size_t ks, size_t seg4, const int8_t *w,
                             const int32_t *bias, int32_t (*out)[DD_QS8_GEMM_NR]);
#endif

/* The scalar twin of a variant with mr rows. */
dd_qs8_gemm_fn dd_qs8_gemm_scalar_for(int mr);

#endif

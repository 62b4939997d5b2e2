/* int8 GEMM microkernels for convolution, XNNPACK-style naming:
 *   qs8-gemm-4x32c4-<isa>: 4 rows (conv positions) x 32 output channels,
 *   inner dimension in groups of 4 bytes.
 *
 * Inputs: rows a[r][0..k4*4) as unsigned bytes (the int8 activation XOR 0x80,
 * i.e. +128), weights packed per 32-channel block as w[kk][n][j] = weight of
 * channel n, input index 4*kk + j (signed). Output: out[r][n] = sum over i of
 * a[r][i] * w(n, i), exact int32 (the caller subtracts 128 * sum(w) and adds
 * the bias). Every variant equals the scalar one bit for bit. */
#ifndef DD_ACCEL_CPU_QS8_GEMM_H
#define DD_ACCEL_CPU_QS8_GEMM_H

#include <stddef.h>
#include <stdint.h>

#define DD_QS8_GEMM_MR 4
#define DD_QS8_GEMM_NR 32

typedef void (*dd_qs8_gemm_fn)(const uint8_t *const a[DD_QS8_GEMM_MR], const int8_t *w, size_t k4,
                               int32_t out[DD_QS8_GEMM_MR][DD_QS8_GEMM_NR]);

void dd_qs8_gemm_4x32c4_scalar(const uint8_t *const a[4], const int8_t *w, size_t k4,
                               int32_t out[4][32]);
#if defined(__x86_64__)
void dd_qs8_gemm_4x32c4_avx512vnni(const uint8_t *const a[4], const int8_t *w, size_t k4,
                                   int32_t out[4][32]);
#endif
#if defined(__aarch64__)
void dd_qs8_gemm_4x32c4_neon(const uint8_t *const a[4], const int8_t *w, size_t k4,
                             int32_t out[4][32]);
#endif

/* The fastest variant this CPU runs and its name; DETECTD_CPU_KERNEL=scalar forces the scalar one.
 */
dd_qs8_gemm_fn dd_qs8_gemm_best(const char **name);

#endif

/* Requantization epilogue kernels: for channels c < n,
 *   v = clamp(requant(acc[c], (leaky && acc[c] < 0) ? m_neg[c] : m[c], s[c]) + zp, lo, hi)
 * written to out[c], or max-combined with out[c] when combine is set (fused
 * 2x2 max pool). requant() is the ISA's rule (accel/golden.h); the zero point is added
 * and the clamp applied in int64. Every variant equals the scalar one bit for bit. */
#ifndef DD_ACCEL_CPU_QS8_REQUANT_H
#define DD_ACCEL_CPU_QS8_REQUANT_H

#include <stddef.h>
#include <stdint.h>

struct dd_qs8_requant_params {
    const int32_t *m, *m_neg, *s; /* per channel */
    int32_t zp, lo, hi;
    int leaky;
};

typedef void (*dd_qs8_requant_fn)(const int32_t *acc, size_t n,
                                  const struct dd_qs8_requant_params *p, int combine, int8_t *out);

void dd_qs8_requant_scalar(const int32_t *acc, size_t n, const struct dd_qs8_requant_params *p,
                           int combine, int8_t *out);
#if defined(__x86_64__)
void dd_qs8_requant_avx512(const int32_t *acc, size_t n, const struct dd_qs8_requant_params *p,
                           int combine, int8_t *out);
#endif

/* The GEMM tile epilogue: rows r < n of acc (channels c < nc <= 32, the
 * params' arrays start at the tile's first channel), each requantized into
 * dst[r] + dst_off as above with combine[r]. Per-channel values are loaded
 * once per tile. Equals dd_qs8_requant_scalar row by row. */
typedef void (*dd_qs8_requant_tile_fn)(const int32_t (*acc)[32], int n, size_t nc,
                                       const struct dd_qs8_requant_params *p, const int *combine,
                                       int8_t *const *dst, size_t dst_off);

void dd_qs8_requant_tile_scalar(const int32_t (*acc)[32], int n, size_t nc,
                                const struct dd_qs8_requant_params *p, const int *combine,
                                int8_t *const *dst, size_t dst_off);
#if defined(__x86_64__)
void dd_qs8_requant_tile_avx512(const int32_t (*acc)[32], int n, size_t nc,
                                const struct dd_qs8_requant_params *p, const int *combine,
                                int8_t *const *dst, size_t dst_off);
#endif

#endif

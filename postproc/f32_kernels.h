/* SIMD kernels of the postprocessing (decoders, NMS), named datatype-op-ISA
 * after XNNPACK. Each has a portable scalar twin it matches bit for bit: the
 * same IEEE operations in the same order (the build disables FMA contraction),
 * with comparisons chosen to give the scalar code's result for NaNs too.
 *   any_ge: 1 if some v[i] >= t (the decoders' "any class above threshold")
 *   iou:    IoU of one box against n boxes in structure-of-arrays form, the
 *           formula of dd_det_iou(kept box, candidate) */
#ifndef DD_POSTPROC_F32_KERNELS_H
#define DD_POSTPROC_F32_KERNELS_H

#include <stddef.h>

#include "common/cpu_isa.h"

typedef int (*dd_f32_any_ge_fn)(const float *v, size_t n, float t);
typedef void (*dd_f32_iou_fn)(const float box[4], const float *x1, const float *y1, const float *x2,
                              const float *y2, size_t n, float *iou);

int dd_f32_any_ge_scalar(const float *v, size_t n, float t);
void dd_f32_iou_scalar(const float box[4], const float *x1, const float *y1, const float *x2,
                       const float *y2, size_t n, float *iou);
#if defined(__x86_64__)
int dd_f32_any_ge_avx2(const float *v, size_t n, float t);
void dd_f32_iou_avx2(const float box[4], const float *x1, const float *y1, const float *x2,
                     const float *y2, size_t n, float *iou);
#endif
#if defined(__aarch64__)
int dd_f32_any_ge_neon(const float *v, size_t n, float t);
void dd_f32_iou_neon(const float box[4], const float *x1, const float *y1, const float *x2,
                     const float *y2, size_t n, float *iou);
#endif

struct dd_postproc_kernels {
    const char *isa; /* "avx2", "neon" or "scalar" */
    dd_f32_any_ge_fn any_ge;
    dd_f32_iou_fn iou;
};

/* The kernels this CPU runs, as common/cpu_isa allows (DETECTD_CPU_KERNEL). */
const struct dd_postproc_kernels *dd_postproc_kernels_best(void);
const struct dd_postproc_kernels *dd_postproc_kernels_scalar(void);

/* The pairs' variants, best first (fn unused); dd_postproc_kernels_variant(i)
 * is the pair of variant i. Tests run every one the CPU has. */
extern const struct dd_kernel_variant dd_postproc_kernel_variants[];
extern const size_t dd_postproc_kernel_n_variants;
const struct dd_postproc_kernels *dd_postproc_kernels_variant(size_t i);

#endif

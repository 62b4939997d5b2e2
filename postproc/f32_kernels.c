/* The f32 kernels' variants, best first, resolved by common/cpu_isa. */
#include "postproc/f32_kernels.h"

#include "common/cpu_isa.h"

static const struct dd_postproc_kernels scalar = {"scalar", dd_f32_any_ge_scalar,
                                                  dd_f32_iou_scalar};
#if defined(__x86_64__)
static const struct dd_postproc_kernels avx2 = {"avx2", dd_f32_any_ge_avx2, dd_f32_iou_avx2};
#endif
#if defined(__aarch64__)
static const struct dd_postproc_kernels neon = {"neon", dd_f32_any_ge_neon, dd_f32_iou_neon};
#endif

/* One variant of the pair: fn is unused, param indexes sets[]. */
static const struct dd_postproc_kernels *const sets[] = {
#if defined(__x86_64__)
    &avx2,
#endif
#if defined(__aarch64__)
    &neon,
#endif
    &scalar,
};

const struct dd_kernel_variant dd_postproc_kernel_variants[] = {
#if defined(__x86_64__)
    {"f32-any-ge+f32-iou-avx2", DD_CPU_AVX2, NULL, 0},
#endif
#if defined(__aarch64__)
    {"f32-any-ge+f32-iou-neon", DD_CPU_NEON, NULL, 0},
#endif
    {"f32-any-ge+f32-iou-scalar", DD_CPU_SCALAR, NULL, 0},
};
const size_t dd_postproc_kernel_n_variants =
    sizeof(dd_postproc_kernel_variants) / sizeof(dd_postproc_kernel_variants[0]);

const struct dd_postproc_kernels *dd_postproc_kernels_variant(size_t i)
{
    return i < dd_postproc_kernel_n_variants ? sets[i] : NULL;
}

const struct dd_postproc_kernels *dd_postproc_kernels_scalar(void)
{
    return &scalar;
}

const struct dd_postproc_kernels *dd_postproc_kernels_best(void)
{
    const struct dd_kernel_variant *v =
        dd_kernel_pick(dd_postproc_kernel_variants, dd_postproc_kernel_n_variants);
    return sets[v - dd_postproc_kernel_variants];
}

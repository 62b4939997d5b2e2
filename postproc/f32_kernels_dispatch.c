#include <stdlib.h>
#include <string.h>

#include "postproc/f32_kernels.h"

static const struct dd_postproc_kernels scalar = {"scalar", dd_f32_any_ge_scalar,
                                                  dd_f32_iou_scalar};
#if defined(__x86_64__)
static const struct dd_postproc_kernels avx2 = {"avx2", dd_f32_any_ge_avx2, dd_f32_iou_avx2};
#endif
#if defined(__aarch64__)
static const struct dd_postproc_kernels neon = {"neon", dd_f32_any_ge_neon, dd_f32_iou_neon};
#endif

const struct dd_postproc_kernels *dd_postproc_kernels_scalar(void)
{
    return &scalar;
}

const struct dd_postproc_kernels *dd_postproc_kernels_best(void)
{
    const char *force = getenv("DETECTD_CPU_KERNEL");
    if (force && strcmp(force, "scalar") == 0) return &scalar;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) return &avx2;
#endif
#if defined(__aarch64__)
    return &neon;
#endif
    return &scalar;
}

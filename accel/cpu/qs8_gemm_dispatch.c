/* The run-time choice among the qs8-gemm variants for this CPU. */
#include <stdlib.h>
#include <string.h>

#include "accel/cpu/qs8_gemm.h"

size_t dd_qs8_gemm_variants(struct dd_qs8_gemm_kernel *out, size_t max)
{
    struct dd_qs8_gemm_kernel all[4];
    size_t n = 0;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni"))
        all[n++] = (struct dd_qs8_gemm_kernel){dd_qs8_gemm_8x32c4_avx512vnni, 8,
                                               "qs8-gemm-8x32c4-avx512vnni"};
    if (__builtin_cpu_supports("avx2"))
        all[n++] = (struct dd_qs8_gemm_kernel){dd_qs8_gemm_4x32c4_avx2, 4, "qs8-gemm-4x32c4-avx2"};
#elif defined(__aarch64__)
    all[n++] = (struct dd_qs8_gemm_kernel){dd_qs8_gemm_4x32c4_neon, 4, "qs8-gemm-4x32c4-neon"};
#endif
    all[n++] = (struct dd_qs8_gemm_kernel){dd_qs8_gemm_4x32c4_scalar, 4, "qs8-gemm-4x32c4-scalar"};
    if (n > max) n = max;
    memcpy(out, all, n * sizeof(*out));
    return n;
}

struct dd_qs8_gemm_kernel dd_qs8_gemm_best(void)
{
    struct dd_qs8_gemm_kernel v[4];
    size_t n = dd_qs8_gemm_variants(v, 4);
    const char *force = getenv("DETECTD_CPU_KERNEL");
    if (force) {
        size_t len = strlen(force);
        for (size_t i = 0; i < n; i++) {
            size_t nl = strlen(v[i].name);
            if (nl > len && strcmp(v[i].name + nl - len, force) == 0 &&
                v[i].name[nl - len - 1] == '-')
                return v[i];
        }
    }
    return v[0];
}

#include "common/cpu_isa.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static const char *const level_names[DD_CPU_LEVEL_COUNT] = {"scalar", "avx2", "avx512",
                                                            "avx512vnni", "neon"};

const char *dd_cpu_level_name(enum dd_cpu_level l)
{
    return (unsigned)l < DD_CPU_LEVEL_COUNT ? level_names[l] : "?";
}

bool dd_cpu_has(enum dd_cpu_level l)
{
    switch (l) {
    case DD_CPU_SCALAR:
        return true;
#if defined(__x86_64__)
    case DD_CPU_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2");
    case DD_CPU_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl");
    case DD_CPU_AVX512VNNI:
        return dd_cpu_has(DD_CPU_AVX512) && __builtin_cpu_supports("avx512vnni");
#endif
#if defined(__aarch64__)
    case DD_CPU_NEON:
        return true; /* part of AArch64 */
#endif
    default:
        return false;
    }
}

/* The cap DETECTD_CPU_KERNEL sets; DD_CPU_LEVEL_COUNT: none. */
static enum dd_cpu_level cap(void)
{
    const char *force = getenv("DETECTD_CPU_KERNEL");
    if (!force || !*force) return DD_CPU_LEVEL_COUNT;
    for (int l = 0; l < DD_CPU_LEVEL_COUNT; l++)
        if (strcmp(force, level_names[l]) == 0) return (enum dd_cpu_level)l;
    static atomic_int warned;
    if (!atomic_exchange(&warned, 1))
        DD_LOG_W("DETECTD_CPU_KERNEL=%s: unknown (scalar, avx2, avx512, avx512vnni, neon); "
                 "not capping the kernels",
                 force);
    return DD_CPU_LEVEL_COUNT;
}

bool dd_cpu_allowed(enum dd_cpu_level l)
{
    if (!dd_cpu_has(l)) return false;
    enum dd_cpu_level c = cap();
    if (c == DD_CPU_LEVEL_COUNT || l == DD_CPU_SCALAR) return true;
    if (c == DD_CPU_SCALAR) return false;
    /* neon and the x86 levels are different ladders: a cap of one ISA family
     * says nothing about the other (only one of them runs on a CPU) */
    bool l_arm = l == DD_CPU_NEON, c_arm = c == DD_CPU_NEON;
    if (l_arm != c_arm) return true;
    return l <= c;
}

const struct dd_kernel_variant *dd_kernel_pick(const struct dd_kernel_variant *table, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (dd_cpu_allowed(table[i].level)) return &table[i];
    return n ? &table[n - 1] : NULL;
}

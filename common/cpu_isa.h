/* The one place that decides which SIMD instruction sets the kernels may use:
 * what this CPU has, capped by DETECTD_CPU_KERNEL. Every kernel family (the
 * CPU backend's gemm, requantization and input kernels, postproc's f32
 * kernels) lists its variants best first in a table of dd_kernel_variant and
 * takes the first one dd_kernel_pick allows, so one setting rules them all.
 *
 * DETECTD_CPU_KERNEL=scalar|avx2|avx512|avx512vnni|neon caps the level: a
 * variant runs only when the CPU has its level and the level is at most the
 * cap on its architecture's ladder (x86-64: scalar < avx2 < avx512 <
 * avx512vnni; aarch64: scalar < neon). Unset or unknown (logged once): no cap. */
#ifndef DD_COMMON_CPU_ISA_H
#define DD_COMMON_CPU_ISA_H

#include <stdbool.h>
#include <stddef.h>

enum dd_cpu_level {
    DD_CPU_SCALAR = 0,
    DD_CPU_AVX2,       /* AVX2 (+FMA not used) */
    DD_CPU_AVX512,     /* AVX-512 F, BW, VL */
    DD_CPU_AVX512VNNI, /* the above and AVX-512 VNNI */
    DD_CPU_NEON,       /* AArch64 Advanced SIMD */
    DD_CPU_LEVEL_COUNT
};

const char *dd_cpu_level_name(enum dd_cpu_level l);
/* Whether this CPU (and this build's architecture) can run level l. */
bool dd_cpu_has(enum dd_cpu_level l);
/* dd_cpu_has(l) and DETECTD_CPU_KERNEL (read on every call) allows l. */
bool dd_cpu_allowed(enum dd_cpu_level l);

/* One variant of a kernel: its name (datatype-op-tile-isa, as XNNPACK), the
 * level it needs, the function, and a family-specific parameter (e.g. the
 * gemm's rows per call). */
struct dd_kernel_variant {
    const char *name;
    enum dd_cpu_level level;
    void (*fn)(void); /* cast to the family's function type */
    int param;
};

/* The first variant of table[0..n) that dd_cpu_allowed permits (tables end
 * with a scalar variant, which is always allowed). */
const struct dd_kernel_variant *dd_kernel_pick(const struct dd_kernel_variant *table, size_t n);

#endif

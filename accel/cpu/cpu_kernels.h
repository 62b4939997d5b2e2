/* The CPU backend's kernel families and their variants, best first, resolved
 * for this CPU by common/cpu_isa (DETECTD_CPU_KERNEL caps them all alike).
 * Tests iterate each table and run every variant this CPU has against the
 * family's scalar twin. */
#ifndef DD_ACCEL_CPU_CPU_KERNELS_H
#define DD_ACCEL_CPU_CPU_KERNELS_H

#include "accel/cpu/qs8_gemm.h"
#include "accel/cpu/qs8_requant.h"
#include "accel/cpu/u8_input.h"
#include "common/cpu_isa.h"

/* param: rows per call (MR) */
extern const struct dd_kernel_variant dd_qs8_gemm_variants[];
extern const size_t dd_qs8_gemm_n_variants;
extern const struct dd_kernel_variant dd_qs8_requant_variants[];
extern const size_t dd_qs8_requant_n_variants;
extern const struct dd_kernel_variant dd_qs8_requant_tile_variants[];
extern const size_t dd_qs8_requant_tile_n_variants;
extern const struct dd_kernel_variant dd_u8_input_nv12_variants[];
extern const size_t dd_u8_input_nv12_n_variants;
/* POOL, ADD and UPSAMPLE rows: compiler-vectorized C compiled per level (accel/cpu/cpu_backend.c)
 */
extern const struct dd_kernel_variant dd_i8_rowops_variants[];
extern const size_t dd_i8_rowops_n_variants;

/* The kernels one prepared program runs with. */
struct dd_cpu_kernels {
    struct dd_qs8_gemm_kernel gemm;
    dd_qs8_requant_fn requant;
    dd_qs8_requant_tile_fn requant_tile;
    dd_u8_input_nv12_fn input_nv12;
    const char *requant_name, *requant_tile_name, *input_nv12_name;
};

/* Picks each family's variant for this CPU and DETECTD_CPU_KERNEL (now). */
void dd_cpu_kernels_resolve(struct dd_cpu_kernels *k);

#endif

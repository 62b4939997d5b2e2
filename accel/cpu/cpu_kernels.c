#include "accel/cpu/cpu_kernels.h"

#define V(name, level, fn, param)                                                                  \
    {                                                                                              \
        name, level, (void (*)(void))(fn), param                                                   \
    }
#define N(table) (sizeof(table) / sizeof(table[0]))

const struct dd_kernel_variant dd_qs8_gemm_variants[] = {
#if defined(__x86_64__)
    V("qs8-gemm-8x32c4-avx512vnni", DD_CPU_AVX512VNNI, dd_qs8_gemm_8x32c4_avx512vnni, 8),
    V("qs8-gemm-4x32c4-avx2", DD_CPU_AVX2, dd_qs8_gemm_4x32c4_avx2, 4),
#endif
#if defined(__aarch64__)
    V("qs8-gemm-4x32c4-neon", DD_CPU_NEON, dd_qs8_gemm_4x32c4_neon, 4),
#endif
    V("qs8-gemm-4x32c4-scalar", DD_CPU_SCALAR, dd_qs8_gemm_4x32c4_scalar, 4),
};
const size_t dd_qs8_gemm_n_variants = N(dd_qs8_gemm_variants);

const struct dd_kernel_variant dd_qs8_requant_variants[] = {
#if defined(__x86_64__)
    V("qs8-requant-avx512", DD_CPU_AVX512, dd_qs8_requant_avx512, 0),
#endif
    V("qs8-requant-scalar", DD_CPU_SCALAR, dd_qs8_requant_scalar, 0),
};
const size_t dd_qs8_requant_n_variants = N(dd_qs8_requant_variants);

const struct dd_kernel_variant dd_qs8_requant_tile_variants[] = {
#if defined(__x86_64__)
    V("qs8-requant-tile-avx512", DD_CPU_AVX512, dd_qs8_requant_tile_avx512, 0),
#endif
    V("qs8-requant-tile-scalar", DD_CPU_SCALAR, dd_qs8_requant_tile_scalar, 0),
};
const size_t dd_qs8_requant_tile_n_variants = N(dd_qs8_requant_tile_variants);

const struct dd_kernel_variant dd_u8_input_nv12_variants[] = {
#if defined(__x86_64__)
    V("u8-input-nv12-avx2", DD_CPU_AVX2, dd_u8_input_nv12_avx2, 0),
#endif
    V("u8-input-nv12-scalar", DD_CPU_SCALAR, dd_u8_input_nv12_scalar, 0),
};
const size_t dd_u8_input_nv12_n_variants = N(dd_u8_input_nv12_variants);

void dd_cpu_kernels_resolve(struct dd_cpu_kernels *k)
{
    const struct dd_kernel_variant *g =
        dd_kernel_pick(dd_qs8_gemm_variants, N(dd_qs8_gemm_variants));
    k->gemm = (struct dd_qs8_gemm_kernel){(dd_qs8_gemm_fn)g->fn, g->param, g->name};
    const struct dd_kernel_variant *r =
        dd_kernel_pick(dd_qs8_requant_variants, N(dd_qs8_requant_variants));
    k->requant = (dd_qs8_requant_fn)r->fn;
    k->requant_name = r->name;
    const struct dd_kernel_variant *t =
        dd_kernel_pick(dd_qs8_requant_tile_variants, N(dd_qs8_requant_tile_variants));
    k->requant_tile = (dd_qs8_requant_tile_fn)t->fn;
    k->requant_tile_name = t->name;
    const struct dd_kernel_variant *i =
        dd_kernel_pick(dd_u8_input_nv12_variants, N(dd_u8_input_nv12_variants));
    k->input_nv12 = (dd_u8_input_nv12_fn)i->fn;
    k->input_nv12_name = i->name;
}

/* The INPUT row kernel for NV12 frames: SIMD against its scalar twin, bit for
 * bit, over random frames, taps, weights, channel orders and normalisations
 * (including multipliers too wide for the vector path). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "accel/cpu/cpu_kernels.h"
#include "isa/isa_input.h"
#include "tests_common.h"

static unsigned seed = 11;
static unsigned rnd(unsigned n)
{
    seed = seed * 1103515245u + 12345u;
    return (seed >> 8) % n;
}

static void check(dd_u8_input_nv12_fn best);

Test(u8_input, every_nv12_variant_here_matches_the_scalar_twin)
{
    EACH_VARIANT(dd_u8_input_nv12_variants, dd_u8_input_nv12_n_variants, v)
    {
        cr_log_info("u8-input-nv12 variant here: %s", v->name);
        check((dd_u8_input_nv12_fn)v->fn);
    }
}

static void check(dd_u8_input_nv12_fn best)
{
    for (int it = 0; it < 400; it++) {
        uint32_t w = 2 + 2 * rnd(200); /* even widths 2..400, read to the row's last byte */
        uint8_t *y0 = malloc(w), *y1 = malloc(w), *uv0 = malloc(w), *uv1 = malloc(w);
        for (uint32_t i = 0; i < w; i++)
            y0[i] = (uint8_t)rnd(256), y1[i] = (uint8_t)rnd(256), uv0[i] = (uint8_t)rnd(256),
            uv1[i] = (uint8_t)rnd(256);
        size_t n = 1 + rnd(300);
        uint32_t(*tx)[3] = malloc(n * sizeof(*tx));
        for (size_t k = 0; k < n; k++) /* the ISA's taps for a box of n columns */
            dd_isa_src_taps((uint32_t)k, w, (uint32_t)n, &tx[k][0], &tx[k][1], &tx[k][2]);
        int64_t nrm[6];
        for (int c = 0; c < 3; c++) {
            nrm[c] = (int64_t)rnd(4000) - 2000;
            if (it % 17 == 0) nrm[c] = (int64_t)1 << 33; /* beyond the vector path */
            nrm[3 + c] = ((int64_t)rnd(1 << 20) - (1 << 19)) * 4096;
        }
        size_t pitch = 3 + rnd(3);
        int8_t *a = calloc(n, pitch), *b = calloc(n, pitch);
        struct dd_input_row r = {y0, y1, uv0,   uv1,         w,  rnd(256), (const uint32_t(*)[3])tx,
                                 n,  a,  pitch, (int)rnd(2), nrm};
        best(&r);
        r.dst = b;
        dd_u8_input_nv12_scalar(&r);
        cr_assert_eq(memcmp(a, b, n * pitch), 0, "case %d (width %u, %zu pixels)", it, w, n);
        free(a), free(b), free(tx), free(y0), free(y1), free(uv0), free(uv1);
    }
}

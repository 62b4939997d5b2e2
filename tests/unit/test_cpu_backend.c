/* The CPU backend is bit-exact with the golden model: randomized single
 * convolutions over shapes, strides, paddings, bit widths and epilogues, and
 * every tensor of a whole compiled model. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "accel/cpu/cpu_backend.h"
#include "accel/golden.h"
#include "accel/qdetector.h"
#include "tests/random_conv.h"
#include "tests/random_input.h"
#include "tests/random_ops.h"
#include "tests_common.h"

static uint64_t s = 7;
static uint32_t rnd(uint32_t n)
{
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(s >> 33) % n;
}

/* Runs instruction 0 of p with both executors on the same random arena; true
 * when every byte of the arenas agrees afterwards. */
static bool same_as_golden(const struct dd_pkg *p, const struct dd_isa_frame *f)
{
    struct dd_err err = {{0}};
    cr_assert_eq(dd_pkg_check_insn(p, 0, &err), 0, "invalid instruction: %s", err.msg);
    int8_t *a = malloc(p->arena_size), *b = malloc(p->arena_size);
    for (uint32_t i = 0; i < p->arena_size; i++) a[i] = (int8_t)rnd(256);
    memcpy(b, a, p->arena_size);
    struct dd_cpu_prog *cp;
    cr_assert_eq(dd_cpu_create(p, &cp, &err), 0, "%s", err.msg);
    dd_golden_insn(p, 0, a, f);
    dd_cpu_insn(cp, 0, b, f);
    bool same = memcmp(a, b, p->arena_size) == 0;
    dd_cpu_destroy(cp);
    free(a);
    free(b);
    return same;
}

/* A random CONV (tests/random_conv.h) on both executors. */
static void random_conv(int it)
{
    struct random_conv rc;
    random_conv_make(&rc, rnd);
    cr_assert(same_as_golden(&rc.p, NULL), "iteration %d: %s differs from golden", it, rc.desc);
    random_conv_free(&rc);
}

static void random_pool(int it)
{
    struct random_op r;
    random_pool_make(&r, rnd);
    cr_assert(same_as_golden(&r.p, NULL), "iteration %d: %s differs from golden", it, r.desc);
}

static void random_elementwise(int it)
{
    struct random_op r;
    random_elementwise_make(&r, rnd);
    cr_assert(same_as_golden(&r.p, NULL), "iteration %d: %s differs from golden", it, r.desc);
}

static void random_lut(int it)
{
    struct random_op r;
    random_lut_make(&r, rnd);
    cr_assert(same_as_golden(&r.p, NULL), "iteration %d: %s differs from golden", it, r.desc);
}

Test(cpu_backend, random_luts_match_golden, .timeout = 120)
{
    for (int it = 0; it < 200; it++) random_lut(it);
}

Test(cpu_backend, random_adds_and_upsamples_match_golden, .timeout = 120)
{
    for (int it = 0; it < 300; it++) random_elementwise(it);
}

/* INPUT from random RGB24 / NV12 / YUYV frames of random sizes (letterboxed both ways). */
Test(cpu_backend, random_input_frames_match_golden, .timeout = 120)
{
    for (int it = 0; it < 60; it++) {
        struct random_input ri;
        random_input_make(&ri, rnd, false);
        struct dd_err err = {{0}};
        cr_assert_eq(dd_pkg_check_insn(&ri.p, 0, &err), 0, "%s", err.msg);
        cr_assert_eq(dd_isa_frame_check(&ri.f, &err), 0, "%s", err.msg);
        int8_t *a = calloc(1, ri.p.arena_size), *b = calloc(1, ri.p.arena_size);
        struct dd_cpu_prog *cp;
        cr_assert_eq(dd_cpu_create(&ri.p, &cp, &err), 0, "%s", err.msg);
        dd_golden_insn(&ri.p, 0, a, &ri.f);
        dd_cpu_insn(cp, 0, b, &ri.f);
        cr_assert_eq(memcmp(a, b, ri.p.arena_size), 0, "case %d: %s differs", it, ri.desc);
        dd_cpu_destroy(cp);
        free(a);
        free(b);
        random_input_free(&ri);
    }
}

Test(cpu_backend, random_pools_match_golden, .timeout = 120)
{
    for (int it = 0; it < 300; it++) random_pool(it);
}

Test(cpu_backend, random_convolutions_match_golden, .timeout = 300)
{
    for (int it = 0; it < 400; it++) random_conv(it);
}

Test(cpu_backend, random_convolutions_match_golden_on_the_scalar_kernel, .timeout = 300)
{
    setenv("DETECTD_CPU_KERNEL", "scalar", 1); /* read by dd_cpu_create */
    for (int it = 0; it < 150; it++) random_conv(it);
}

Test(cpu_backend, random_convolutions_match_golden_on_the_avx2_kernel, .timeout = 300)
{
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2")) cr_skip_test("no AVX2 on this CPU");
    setenv("DETECTD_CPU_KERNEL", "avx2", 1); /* read by dd_cpu_create */
    for (int it = 0; it < 150; it++) random_conv(it);
#else
    cr_skip_test("x86-64 only");
#endif
}

Test(cpu_backend, whole_blazeface_matches_golden_tensor_by_tensor, .timeout = 300)
{
    struct dd_pkg *p = tc_compile_blazeface(8, 2, NULL, NULL);
    struct dd_image img;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_image_load(tc_asset("media/faces/sample2.jpg"), &img, &err), 0, "%s", err.msg);
    struct dd_isa_frame f = dd_isa_frame_from_image(&img);
    int8_t *a = calloc(1, p->arena_size), *b = calloc(1, p->arena_size);
    struct dd_cpu_prog *cp;
    cr_assert_eq(dd_cpu_create(p, &cp, &err), 0, "%s", err.msg);
    cr_assert_eq(dd_golden_run(p, a, &f, &err), 0, "%s", err.msg);
    cr_assert_eq(dd_cpu_run(cp, b, &f, &err), 0, "%s", err.msg);
    cr_assert_eq(memcmp(a, b, p->arena_size), 0, "arena differs after the whole program");
    dd_cpu_destroy(cp);
    free(a);
    free(b);
    dd_image_destroy(&img);
    dd_pkg_destroy(p);
}

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
    struct dd_isa_tensor t[2];
    struct dd_isa_insn in;
    memset(&in, 0, sizeof(in));
    int c = 1 + (int)rnd(40), k = 1 + (int)rnd(4), st = 1 + (int)rnd(3);
    int h = k + (int)rnd(10), w = k + (int)rnd(10);
    in.opcode = DD_ISA_POOL, in.flags = rnd(2) ? DD_ISA_F_AVG : 0;
    in.kh = in.kw = (uint8_t)k, in.stride_h = in.stride_w = (uint8_t)st;
    in.pad_top = (uint8_t)rnd((uint32_t)k), in.pad_left = (uint8_t)rnd((uint32_t)k);
    in.pad_bottom = (uint8_t)rnd((uint32_t)k), in.pad_right = (uint8_t)rnd((uint32_t)k);
    int oh = (h + in.pad_top + in.pad_bottom - k) / st + 1,
        ow = (w + in.pad_left + in.pad_right - k) / st + 1;
    int zp = (int)rnd(256) - 128;
    t[0] =
        (struct dd_isa_tensor){0, (uint16_t)h, (uint16_t)w, (uint16_t)c, (uint16_t)c, zp, 0.1f, 0};
    uint32_t out_off = (uint32_t)(h * w * c);
    t[1] = (struct dd_isa_tensor){out_off,     (uint16_t)oh, (uint16_t)ow, (uint16_t)c,
                                  (uint16_t)c, zp,           0.1f,         0};
    in.in1 = DD_ISA_NO_TENSOR, in.out = 1;
    in.clamp_min = (int32_t)rnd(40) - 128, in.clamp_max = 127 - (int32_t)rnd(40);
    uint8_t blob[64] = {0};
    struct dd_pkg p = {0};
    p.tensors = t, p.n_tensors = 2, p.insns = &in, p.n_insns = 1, p.blob = blob, p.blob_size = 64;
    p.arena_size = out_off + (uint32_t)(oh * ow * c);
    cr_assert(same_as_golden(&p, NULL), "iteration %d: %s pool k%d s%d differs from golden", it,
              (in.flags & DD_ISA_F_AVG) ? "avg" : "max", k, st);
}

/* ADD (with and without a narrower second operand) and UPSAMPLE (nearest, bilinear). */
static void random_elementwise(int it)
{
    struct dd_isa_tensor t[3];
    struct dd_isa_insn in;
    memset(&in, 0, sizeof(in));
    int c = 1 + (int)rnd(40), h = 1 + (int)rnd(9), w = 1 + (int)rnd(9);
    bool up = rnd(2);
    int oh = up ? 2 * h : h, ow = up ? 2 * w : w, cb = 1 + (int)rnd((uint32_t)c);
    int za = (int)rnd(256) - 128;
    t[0] =
        (struct dd_isa_tensor){0, (uint16_t)h, (uint16_t)w, (uint16_t)c, (uint16_t)c, za, 0.1f, 0};
    uint32_t ob = (uint32_t)(h * w * c), oo = ob + (uint32_t)(h * w * cb);
    t[1] = (struct dd_isa_tensor){ob,           (uint16_t)h,         (uint16_t)w, (uint16_t)cb,
                                  (uint16_t)cb, (int)rnd(256) - 128, 0.1f,        0};
    t[2] = (struct dd_isa_tensor){oo,           (uint16_t)oh,
                                  (uint16_t)ow, (uint16_t)c,
                                  (uint16_t)c,  up ? za : (int)rnd(256) - 128,
                                  0.1f,         0};
    in.in0 = 0, in.out = 2, in.in1 = DD_ISA_NO_TENSOR;
    in.clamp_min = (int32_t)rnd(40) - 128, in.clamp_max = 127 - (int32_t)rnd(40);
    if (up) {
        in.opcode = DD_ISA_UPSAMPLE, in.flags = rnd(2) ? DD_ISA_F_BILINEAR : 0;
    } else {
        in.opcode = DD_ISA_ADD, in.shift = 1 + (int32_t)rnd(30);
        in.m0 = (int32_t)rnd(1u << 31);
        if (rnd(2)) in.in1 = 1, in.m1 = (int32_t)rnd(1u << 31);
    }
    uint8_t blob[64] = {0};
    struct dd_pkg p = {0};
    p.tensors = t, p.n_tensors = 3, p.insns = &in, p.n_insns = 1, p.blob = blob, p.blob_size = 64;
    p.arena_size = oo + (uint32_t)(oh * ow * c);
    cr_assert(same_as_golden(&p, NULL), "iteration %d: opcode %d differs from golden", it,
              in.opcode);
}

/* LUT with a random table and clamp, from a channel slice (pitch > c) or in place. */
static void random_lut(int it)
{
    struct dd_isa_tensor t[2];
    struct dd_isa_insn in;
    memset(&in, 0, sizeof(in));
    int c = 1 + (int)rnd(90), h = 1 + (int)rnd(20), w = 1 + (int)rnd(20);
    int pitch = c + (int)rnd(4);
    bool in_place = rnd(3) == 0;
    uint32_t out_off = in_place ? 0 : (uint32_t)(h * w * pitch);
    t[0] = (struct dd_isa_tensor){
        0, (uint16_t)h, (uint16_t)w, (uint16_t)c, (uint16_t)pitch, (int)rnd(256) - 128, 0.1f, 0};
    t[1] = (struct dd_isa_tensor){out_off,
                                  (uint16_t)h,
                                  (uint16_t)w,
                                  (uint16_t)c,
                                  (uint16_t)(in_place ? pitch : c),
                                  (int)rnd(256) - 128,
                                  0.1f,
                                  0};
    in.opcode = DD_ISA_LUT, in.in0 = 0, in.in1 = DD_ISA_NO_TENSOR, in.out = 1;
    in.clamp_min = (int32_t)rnd(60) - 128, in.clamp_max = 127 - (int32_t)rnd(60);
    uint8_t blob[256];
    for (int i = 0; i < 256; i++) blob[i] = (uint8_t)rnd(256);
    struct dd_pkg p = {0};
    p.tensors = t, p.n_tensors = 2, p.insns = &in, p.n_insns = 1, p.blob = blob, p.blob_size = 256;
    p.arena_size = in_place ? (uint32_t)(h * w * pitch) : out_off + (uint32_t)(h * w * c);
    cr_assert(same_as_golden(&p, NULL), "iteration %d: LUT c%d pitch %d%s differs from golden", it,
              c, pitch, in_place ? " in place" : "");
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

/* The accelerator kernel's C simulation (accel/hls) is bit-exact with the
 * golden model: random convolutions and INPUT frames, and the compiled
 * NanoDet and BlazeFace (int8 and int4) programs instruction by instruction,
 * from the kernel's own DRAM image of the program. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "accel/golden.h"
#include "accel/hls/dd_kernel.h"
#include "accel/hls/estimate.h"
#include "accel/hls/hlssim.h"
#include "accel/qdetector.h"
#include "media/image.h"
#include "tests/random_conv.h"
#include "tests/random_input.h"
#include "tests_common.h"

static uint64_t s = 11;
static uint32_t rnd(uint32_t n)
{
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(s >> 33) % n;
}

/* Instruction 0 on both executors from the same random arena. */
static int same_one(const struct dd_pkg *p, const struct dd_isa_frame *f)
{
    struct dd_err err = {{0}};
    int8_t *a = malloc(p->arena_size), *b = malloc(p->arena_size);
    for (uint32_t i = 0; i < p->arena_size; i++) a[i] = (int8_t)rnd(256);
    memcpy(b, a, p->arena_size);
    struct dd_hlssim *h;
    cr_assert_eq(dd_hlssim_create(p, &h, &err), 0, "%s", err.msg);
    dd_golden_insn(p, 0, a, f);
    cr_assert_eq(dd_hlssim_run(h, b, f, 0, 1, &err), 0, "%s", err.msg);
    int same = memcmp(a, b, p->arena_size) == 0;
    dd_hlssim_destroy(h);
    free(a);
    free(b);
    return same;
}

Test(hls, random_convolutions_match_golden, .timeout = 300)
{
    for (int it = 0; it < 300; it++) {
        struct random_conv rc;
        random_conv_make(&rc, rnd);
        cr_assert(same_one(&rc.p, NULL), "iteration %d: %s differs from golden", it, rc.desc);
        random_conv_free(&rc);
    }
}

Test(hls, random_input_frames_match_golden, .timeout = 120)
{
    for (int it = 0; it < 60; it++) {
        /* NV12: planes in one buffer (as a DMA-BUF) or apart (joined by the host) */
        struct random_input ri;
        random_input_make(&ri, rnd, it & 1);
        cr_assert(same_one(&ri.p, &ri.f), "case %d: %s differs", it, ri.desc);
        random_input_free(&ri);
    }
}

/* Every instruction of p on both executors in turn; the arenas must agree
 * after each one. */
static void program_matches(const struct dd_pkg *p, const struct dd_isa_frame *f, const char *what)
{
    struct dd_err err = {{0}};
    struct dd_hlssim *h;
    cr_assert_eq(dd_hlssim_create(p, &h, &err), 0, "%s", err.msg);
    size_t size;
    uint32_t toff;
    const uint8_t *img = dd_hlssim_program(h, &size, &toff);
    cr_assert_eq(size, (size_t)p->n_insns * 64 + (size_t)p->n_tensors * 24);
    cr_assert_eq(toff, p->n_insns * 64);
    cr_assert_eq(img[0], p->insns[0].opcode);
    int8_t *a = calloc(1, p->arena_size), *b = calloc(1, p->arena_size);
    for (uint32_t i = 0; i < p->n_insns; i++) {
        dd_golden_insn(p, i, a, f);
        cr_assert_eq(dd_hlssim_run(h, b, f, i, 1, &err), 0, "%s", err.msg);
        const struct dd_isa_tensor *o = &p->tensors[p->insns[i].out];
        cr_assert_eq(memcmp(a, b, p->arena_size), 0,
                     "%s: instruction %u (opcode %u, out %ux%ux%u) differs from golden", what, i,
                     p->insns[i].opcode, o->h, o->w, o->c);
    }
    /* and the whole program in one kernel call */
    memset(b, 0, p->arena_size);
    cr_assert_eq(dd_hlssim_run(h, b, f, 0, p->n_insns, &err), 0, "%s", err.msg);
    cr_assert_eq(memcmp(a, b, p->arena_size), 0, "%s: one-call run differs", what);
    cr_log_info("%s: %u instructions bit-exact with golden", what, p->n_insns);
    dd_hlssim_destroy(h);
    free(a);
    free(b);
}

Test(hls, nanodet_program_matches_golden_instruction_by_instruction, .timeout = 600)
{
    struct dd_pkg *p;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_pkg_load(tc_asset("packages/nanodet-w8a8.ddpkg"), &p, &err), 0, "%s", err.msg);
    struct dd_image img;
    cr_assert_eq(dd_image_load(tc_asset("media/faces/sample1.jpg"), &img, &err), 0, "%s", err.msg);
    struct dd_isa_frame f = dd_isa_frame_from_image(&img);
    program_matches(p, &f, "nanodet int8");
    dd_image_destroy(&img);
    dd_pkg_destroy(p);
}

Test(hls, blazeface_int8_and_int4_programs_match_golden, .timeout = 600)
{
    struct dd_image img;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_image_load(tc_asset("media/faces/sample2.jpg"), &img, &err), 0, "%s", err.msg);
    struct dd_isa_frame f = dd_isa_frame_from_image(&img);
    struct dd_pkg *p8 = tc_compile_blazeface(8, 2, NULL, NULL);
    program_matches(p8, &f, "blazeface int8");
    dd_pkg_destroy(p8);
    struct dd_pkg *p4 = tc_compile_blazeface(4, 2, NULL, NULL);
    program_matches(p4, &f, "blazeface w4a8");
    dd_pkg_destroy(p4);
    dd_image_destroy(&img);
}

Test(hls, the_hlssim_detector_finds_what_golden_finds)
{
    struct dd_qdetector *g, *h;
    struct dd_err err = {{0}};
    const char *pkg = tc_asset("packages/nanodet-w8a8.ddpkg");
    cr_assert_eq(dd_qdetector_open(pkg, DD_BACKEND_ONLY("golden"), &g, &err), 0, "%s", err.msg);
    cr_assert_eq(dd_qdetector_open(pkg, DD_BACKEND_ONLY("hlssim"), &h, &err), 0, "%s", err.msg);
    struct dd_image img;
    cr_assert_eq(dd_image_load(tc_asset("media/faces/sample3.jpg"), &img, &err), 0, "%s", err.msg);
    struct dd_isa_frame f = dd_isa_frame_from_image(&img);
    struct dd_detect_opts o = DD_DETECT_OPTS_DEFAULT;
    struct dd_det_list a, b;
    dd_det_list_init(&a);
    dd_det_list_init(&b);
    cr_assert_eq(dd_qdetector_detect(g, &f, &o, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(dd_qdetector_detect(h, &f, &o, &b, &err), 0, "%s", err.msg);
    cr_assert_gt(a.n, 0);
    cr_assert_eq(a.n, b.n);
    cr_assert_eq(memcmp(a.v, b.v, a.n * sizeof(a.v[0])), 0, "identical detections");
    cr_assert_eq(memcmp(g->arena, h->arena, g->pkg->arena_size), 0, "identical arenas");
    dd_det_list_destroy(&a);
    dd_det_list_destroy(&b);
    dd_image_destroy(&img);
    dd_qdetector_close(g);
    dd_qdetector_close(h);
}

Test(hls, programs_beyond_the_kernels_buffers_are_refused)
{
    struct random_conv rc;
    random_conv_make(&rc, rnd);
    rc.in.flags &= (uint8_t)~DD_ISA_F_DEPTHWISE;
    rc.t[0].c = 1024; /* 7x7x1024 weights per output channel: over the on-chip row buffer */
    rc.t[0].pitch = 1024;
    rc.in.kh = rc.in.kw = 7;
    struct dd_hlssim *h;
    struct dd_err err = {{0}};
    cr_assert_neq(dd_hlssim_create(&rc.p, &h, &err), 0);
    cr_assert(strstr(err.msg, "exceeds the kernel's 8192"), "%s", err.msg);
    random_conv_free(&rc);
}

Test(hls, the_estimate_follows_the_kernels_loops)
{
    struct dd_isa_tensor t[2] = {{0, 12, 12, 32, 32, 0, 1.0f, 0}, {4608, 10, 10, 8, 8, 0, 1.0f, 0}};
    struct dd_isa_insn in;
    memset(&in, 0, sizeof(in));
    in.opcode = DD_ISA_CONV, in.kh = in.kw = 3, in.stride_h = in.stride_w = 1, in.wbits = 8;
    in.in0 = 0, in.in1 = DD_ISA_NO_TENSOR, in.out = 1;
    struct dd_pkg p = {0};
    p.tensors = t, p.n_tensors = 2, p.insns = &in, p.n_insns = 1;
    struct dd_hls_insn_estimate per;
    struct dd_hls_estimate e;
    dd_hls_estimate(&p, 300.0, &per, &e);
    /* 8 output channels x (288-byte weight burst + pipeline fill + 100 points x 9 taps x
     * ceil(32 / 16) cycles) + the instruction's fixed overhead */
    cr_assert_eq(per.macs, 8u * 100 * 9 * 32);
    cr_assert_eq(per.cycles, 200u + 8u * (288 + 12 + 100 * 9 * 2));
    cr_assert_float_eq(e.ms_per_frame, 17000.0 / 300e3, 1e-9);
    in.flags = DD_ISA_F_DEPTHWISE, t[1].c = t[1].pitch = 32;
    dd_hls_estimate(&p, 300.0, &per, &e);
    cr_assert_eq(per.macs, 32u * 100 * 9);
    cr_assert_eq(per.cycles, 200u + 32u * (9 + 12 + 100 * 9));
}

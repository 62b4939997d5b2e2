/* The RTL accelerator (accel/rtl) in cycle-accurate simulation is bit-exact
 * with the golden model: random instructions of every opcode and flag on the
 * smallest configuration, random INPUT frames, and whole compiled programs
 * (BlazeFace int8 and W4A8) on the KV260 configuration (NanoDet on the Zynq-7020
 * configuration: test_detect_cli, through detect rtl-bench); programs beyond
 * its buffers are refused at load time and a run past its cycle budget stops. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "accel/golden.h"
#include "accel/kernel_image.h"
#include "accel/qdetector.h"
#include "accel/rtl/rtlsim.h"
#include "media/image.h"
#include "tests/random_conv.h"
#include "tests/random_input.h"
#include "tests/random_ops.h"
#include "tests_common.h"

static uint64_t s = 23;
static uint32_t rnd(uint32_t n)
{
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(s >> 33) % n;
}

/* Instruction 0 of p on golden and on the RTL (configuration cfg) from the same
 * random arena: 1 same, 0 differs, -1 refused by the host (err says why). */
static int same_one(const struct dd_pkg *p, const struct dd_isa_frame *f, const char *cfg,
                    struct dd_err *err)
{
    int8_t *a = malloc(p->arena_size), *b = malloc(p->arena_size);
    for (uint32_t i = 0; i < p->arena_size; i++) a[i] = (int8_t)rnd(256);
    memcpy(b, a, p->arena_size);
    struct dd_rtlsim *r;
    if (dd_rtlsim_create(p, dd_rtl_config_find(cfg), NULL, &r, err) != 0) {
        free(a);
        free(b);
        return -1;
    }
    dd_golden_insn(p, 0, a, f);
    cr_assert_eq(dd_rtlsim_run(r, b, f, 0, 1, err), 0, "%s", err->msg);
    int same = memcmp(a, b, p->arena_size) == 0;
    if (!same)
        for (uint32_t i = 0; i < p->arena_size; i++)
            if (a[i] != b[i]) {
                cr_log_error("first difference at arena byte %u: golden %d, rtl %d", i, a[i], b[i]);
                break;
            }
    dd_rtlsim_destroy(r);
    free(a);
    free(b);
    return same;
}

Test(rtl, random_convolutions_match_golden, .timeout = 900)
{
    int refused = 0;
    for (int it = 0; it < 150; it++) {
        struct random_conv rc;
        random_conv_make(&rc, rnd);
        struct dd_err err = {{0}};
        int r = same_one(&rc.p, NULL, "tiny", &err);
        if (r < 0) {
            /* the one layout rule of the RTL: int4 dense weights over an even channel count */
            cr_assert(strstr(err.msg, "even number of input channels"), "%s: %s", rc.desc, err.msg);
            refused++;
        } else {
            cr_assert_eq(r, 1, "iteration %d: %s differs from golden", it, rc.desc);
        }
        random_conv_free(&rc);
    }
    cr_log_info("random convolutions: %d refused (int4 over an odd channel count)", refused);
    cr_assert_lt(refused, 40);
}

static void random_ops(void (*make)(struct random_op *, uint32_t (*)(uint32_t)), int n)
{
    for (int it = 0; it < n; it++) {
        struct random_op r;
        make(&r, rnd);
        struct dd_err err = {{0}};
        int same = same_one(&r.p, NULL, "tiny", &err);
        cr_assert_geq(same, 0, "%s refused: %s", r.desc, err.msg);
        cr_assert_eq(same, 1, "iteration %d: %s differs from golden", it, r.desc);
    }
}

Test(rtl, random_pools_match_golden, .timeout = 300)
{
    random_ops(random_pool_make, 60);
}

Test(rtl, random_adds_and_upsamples_match_golden, .timeout = 300)
{
    random_ops(random_elementwise_make, 60);
}

Test(rtl, random_luts_and_d2s_match_golden, .timeout = 300)
{
    random_ops(random_lut_make, 40);
    random_ops(random_d2s_make, 40);
}

Test(rtl, random_input_frames_match_golden, .timeout = 300)
{
    for (int it = 0; it < 30; it++) {
        struct random_input ri;
        random_input_make(&ri, rnd, it & 1);
        struct dd_err err = {{0}};
        int same = same_one(&ri.p, &ri.f, "tiny", &err);
        cr_assert_geq(same, 0, "%s refused: %s", ri.desc, err.msg);
        cr_assert_eq(same, 1, "case %d: %s differs from golden", it, ri.desc);
        random_input_free(&ri);
    }
}

/* On a difference: the first instruction that differs, each run alone on the
 * RTL from golden's arena before it. */
static uint32_t first_differing(struct dd_rtlsim *r, const struct dd_pkg *p,
                                const struct dd_isa_frame *f)
{
    struct dd_err err = {{0}};
    int8_t *a = calloc(1, p->arena_size), *b = malloc(p->arena_size);
    uint32_t i = 0;
    for (; i < p->n_insns; i++) {
        memcpy(b, a, p->arena_size);
        dd_golden_insn(p, i, a, f);
        cr_assert_eq(dd_rtlsim_run(r, b, f, i, 1, &err), 0, "%s", err.msg);
        if (memcmp(a, b, p->arena_size) != 0) break;
    }
    free(a);
    free(b);
    return i;
}

/* The whole program in one kernel call on configuration cfg against golden's
 * (the arenas after the last instruction; tensors share arena space). */
static void program_matches(const struct dd_pkg *p, const struct dd_isa_frame *f, const char *cfg,
                            const char *what)
{
    struct dd_err err = {{0}};
    struct dd_rtlsim *r;
    cr_assert_eq(dd_rtlsim_create(p, dd_rtl_config_find(cfg), NULL, &r, &err), 0, "%s: %s", what,
                 err.msg);
    int8_t *a = calloc(1, p->arena_size), *b = calloc(1, p->arena_size);
    cr_assert_eq(dd_rtlsim_run(r, b, f, 0, p->n_insns, &err), 0, "%s: %s", what, err.msg);
    cr_assert_eq(dd_golden_run(p, a, f, &err), 0, "%s", err.msg);
    const struct dd_rtl_counts c = *dd_rtlsim_counts(r);
    if (memcmp(a, b, p->arena_size) != 0) {
        uint32_t i = first_differing(r, p, f);
        cr_assert_fail("%s: the arena differs from golden's; first differing instruction %u of %u",
                       what, i, p->n_insns);
    }
    cr_log_info(
        "%s on %s: %u instructions bit-exact with golden, %llu cycles, %llu DRAM bytes read, "
        "%llu written",
        what, cfg, p->n_insns, (unsigned long long)c.cycles, (unsigned long long)c.read_bytes,
        (unsigned long long)c.write_bytes);
    dd_rtlsim_destroy(r);
    free(a);
    free(b);
}

Test(rtl_programs, blazeface_int8_and_w4a8_match_golden_on_the_kv260_configuration, .timeout = 900)
{
    struct dd_image img;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_image_load(tc_asset("media/faces/sample2.jpg"), &img, &err), 0, "%s", err.msg);
    struct dd_isa_frame f = dd_isa_frame_from_image(&img);
    struct dd_pkg *p8 = tc_compile_blazeface(8, 2, NULL, NULL);
    program_matches(p8, &f, "kv260", "blazeface int8");
    dd_pkg_destroy(p8);
    struct dd_pkg *p4 = tc_compile_blazeface(4, 2, NULL, NULL);
    program_matches(p4, &f, "kv260", "blazeface w4a8");
    dd_pkg_destroy(p4);
    dd_image_destroy(&img);
}

Test(rtl, programs_beyond_the_configuration_are_refused_at_load)
{
    struct random_conv rc;
    random_conv_make(&rc, rnd);
    struct dd_rtlsim *r;
    struct dd_err err = {{0}};
    /* a weight row of 7x7x1024 bytes: over the 512-word weight buffer */
    rc.in.flags &= (uint8_t)~DD_ISA_F_DEPTHWISE;
    rc.in.wbits = 8;
    rc.t[0].c = rc.t[0].pitch = 1024;
    rc.in.kh = rc.in.kw = 7;
    cr_assert_neq(dd_rtlsim_create(&rc.p, dd_rtl_config_find("kv260"), NULL, &r, &err), 0);
    cr_assert(strstr(err.msg, "rtl kv260: instruction 0 (opcode 1): a weight row of 7x7x1024"),
              "%s", err.msg);
    /* a flag CONV does not have */
    rc.t[0].c = rc.t[0].pitch = 8;
    rc.in.kh = rc.in.kw = 3;
    rc.in.flags = DD_ISA_F_AVG;
    cr_assert_neq(dd_rtlsim_create(&rc.p, dd_rtl_config_find("kv260"), NULL, &r, &err), 0);
    cr_assert(strstr(err.msg, "flags 0x4 not implemented"), "%s", err.msg);
    /* an unknown opcode */
    rc.in.flags = 0;
    rc.in.opcode = 9;
    cr_assert_neq(dd_rtlsim_create(&rc.p, dd_rtl_config_find("tiny"), NULL, &r, &err), 0);
    cr_assert(strstr(err.msg, "unknown opcode"), "%s", err.msg);
    random_conv_free(&rc);
    /* the input rows of an output row beyond the input buffer */
    struct random_op op;
    random_pool_make(&op, rnd);
    op.t[0].w = 2000, op.t[0].c = op.t[0].pitch = 40, op.in.kh = 5;
    cr_assert_neq(dd_rtlsim_create(&op.p, dd_rtl_config_find("tiny"), NULL, &r, &err), 0);
    cr_assert(strstr(err.msg, "input rows of"), "%s", err.msg);
    /* the vector lanes finish in 16 bits: a clamp range beyond int8 */
    random_pool_make(&op, rnd);
    op.in.clamp_max = 300;
    cr_assert_neq(dd_rtlsim_create(&op.p, dd_rtl_config_find("tiny"), NULL, &r, &err), 0);
    cr_assert(strstr(err.msg, "clamp range [") && strstr(err.msg, ", 300] outside int8"), "%s",
              err.msg);
    /* the backend by name refuses an unknown configuration */
    struct dd_backend b;
    char why[128];
    struct dd_backend_choice c = {"rtlsim", {NULL, NULL, 0, "zu9"}, NULL};
    random_pool_make(&op, rnd);
    cr_assert_neq(dd_backend_open(&op.p, &c, &b, why, sizeof(why), &err), 0);
    cr_assert(strstr(err.msg, "unknown rtl configuration 'zu9'"), "%s", err.msg);
}

Test(rtl, a_run_past_its_cycle_budget_stops_with_an_error)
{
    struct random_conv rc;
    do {
        random_conv_make(&rc, rnd);
        if (rc.in.wbits == 4) random_conv_free(&rc);
    } while (rc.in.wbits == 4);
    struct dd_kernel_image img;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_kernel_image_create(&rc.p, &img, &err), 0);
    struct dd_rtl_model *m = dd_rtl_model_create(dd_rtl_config_find("tiny"), NULL);
    cr_assert_not_null(m);
    int8_t *arena = calloc(1, rc.p.arena_size);
    struct dd_rtl_call call = {img.program,
                               img.size,
                               rc.p.blob,
                               rc.p.blob_size,
                               (uint8_t *)arena,
                               rc.p.arena_size,
                               NULL,
                               0,
                               img.tensors_offset,
                               0,
                               1,
                               0,
                               0,
                               0,
                               0,
                               0,
                               0};
    struct dd_rtl_counts n = {0};
    char msg[256];
    cr_assert_neq(dd_rtl_model_call(m, &call, 50, &n, msg, sizeof(msg)), 0);
    cr_assert(strstr(msg, "did not finish within 50 cycles (instruction 0 running)"), "%s", msg);
    /* the model was reset: the same call with a budget completes and matches golden */
    int8_t *g = calloc(1, rc.p.arena_size);
    dd_golden_insn(&rc.p, 0, g, NULL);
    memset(arena, 0, rc.p.arena_size);
    cr_assert_eq(dd_rtl_model_call(m, &call, 10000000, &n, msg, sizeof(msg)), 0, "%s", msg);
    cr_assert_eq(memcmp(g, arena, rc.p.arena_size), 0, "%s after a reset", rc.desc);
    dd_rtl_model_destroy(m);
    dd_kernel_image_destroy(&img);
    free(arena);
    free(g);
    random_conv_free(&rc);
}

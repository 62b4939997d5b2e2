/* The RTL accelerator (accel/rtl) in cycle-accurate simulation is bit-exact
 * with the golden model: random instructions of every opcode and flag on the
 * smallest configuration, random INPUT frames, and whole compiled programs
 * (BlazeFace int8 and W4A8) on the KV260 configuration; programs beyond its
 * buffers are refused at load time and a run past its cycle budget stops. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "accel/golden.h"
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

Test(rtl, blazeface_int8_and_w4a8_programs_match_golden_on_the_kv260_configuration, .timeout = 900)
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

Test(rtl, nanodet_program_matches_golden_on_the_z7020_configuration, .timeout = 900)
{
    struct dd_pkg *p;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_pkg_load(tc_asset("packages/nanodet-w8a8.ddpkg"), &p, &err), 0, "%s", err.msg);
    struct dd_image img;
    cr_assert_eq(dd_image_load(tc_asset("media/faces/sample1.jpg"), &img, &err), 0, "%s", err.msg);
    struct dd_isa_frame f = dd_isa_frame_from_image(&img);
    program_matches(p, &f, "z7020", "nanodet int8");
    dd_image_destroy(&img);
    dd_pkg_destroy(p);
}

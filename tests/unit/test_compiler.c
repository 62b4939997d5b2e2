/* The PTQ compiler end to end: quantized detections agree with the float
 * model, per-layer similarity is high where it should be, bad inputs fail. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel/compiler.h"
#include "accel/equalize.h"
#include "accel/lower.h"
#include "accel/qdetector.h"
#include "accel/quality.h"
#include "common/file.h"
#include "postproc/agreement.h"
#include "tests_common.h"

static int matches(const struct dd_det *d, const struct dd_det_list *l, float min_iou)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].cls == d->cls && dd_det_iou(d, &l->v[i]) >= min_iou) return 1;
    return 0;
}

Test(compiler, blazeface_w8a8_finds_the_float_faces, .timeout = 300)
{
    struct dd_detector *det;
    struct lg_graph *lg;
    struct dd_err err = {{0}};
    struct dd_pkg *p = tc_compile_blazeface(8, 6, &det, &lg);

    /* the first layers are near-exact */
    struct dd_image img;
    cr_assert_eq(dd_image_load(tc_asset("media/faces/sample1.jpg"), &img, &err), 0, "%s", err.msg);
    double *cos = calloc(p->n_tensors, sizeof(double));
    cr_assert_eq(dd_quality_layers(det, lg, p, &img, cos, &err), 0, "%s", err.msg);
    cr_assert_gt(cos[0], 0.999, "input stage cosine %f", cos[0]);
    cr_assert_gt(cos[1], 0.999, "first convolution cosine %f", cos[1]);

    /* the faces the float model finds, the quantized one finds */
    char path[] = "/tmp/dd_pkg_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    cr_assert_eq(dd_pkg_write(p, path, &err), 0, "%s", err.msg);
    struct dd_qdetector *q;
    cr_assert_eq(dd_qdetector_open(path, DD_BACKEND_ONLY("golden"), &q, &err), 0, "%s", err.msg);
    struct dd_det_list fl, ql;
    dd_det_list_init(&fl);
    dd_det_list_init(&ql);
    struct dd_detect_opts opts = DD_DETECT_OPTS_DEFAULT;
    cr_assert_eq(dd_detector_detect(det, &img, &opts, &fl, &err), 0, "%s", err.msg);
    struct dd_isa_frame f = dd_isa_frame_from_image(&img);
    cr_assert_eq(dd_qdetector_detect(q, &f, &opts, &ql, &err), 0, "%s", err.msg);
    cr_assert_eq(fl.n, 3);
    for (size_t i = 0; i < fl.n; i++)
        cr_assert(matches(&fl.v[i], &ql, 0.5f), "float face %zu not found", i);
    dd_det_list_destroy(&fl);
    dd_det_list_destroy(&ql);
    dd_qdetector_close(q);
    unlink(path);
    free(cos);
    dd_image_destroy(&img);
    dd_lower_destroy(lg);
    dd_pkg_destroy(p);
    dd_detector_close(det);
}

/* W4A8 (post-training only) loses BlazeFace's faces: docs/QUANTIZATION.md. What
 * is pinned here is the mixed-precision policy that --wbits 4 applies. */
/* The arena reuses a tensor's space once it is dead: no two tensors of different roots that are
 * live at the same instruction (written or read there or in between; the outputs to the end)
 * share a byte, and the arena is a fraction of the sum of the roots (13.1 MB before reuse). */
Test(compiler, the_arena_shares_space_only_between_tensors_never_live_together, .timeout = 300)
{
    struct lg_graph *lg;
    struct dd_pkg *p = tc_compile_blazeface(8, 2, NULL, &lg);
    int n = (int)p->n_tensors, *first = malloc((size_t)n * sizeof(int)),
        *last = malloc((size_t)n * sizeof(int));
    uint64_t roots = 0;
    for (int i = 0; i < n; i++) {
        first[i] = 1 << 30, last[i] = -1;
        if (lg->t[i].parent < 0) roots += (uint64_t)lg->t[i].h * lg->t[i].w * lg->t[i].c;
    }
    for (uint32_t k = 0; k < p->n_insns; k++) {
        int ts[3] = {p->insns[k].in0, p->insns[k].in1, p->insns[k].out}, off;
        for (int j = 0; j < 3; j++) {
            if (ts[j] < 0 || ts[j] >= n) continue;
            int r = lg_root(lg, ts[j], &off);
            if ((int)k < first[r]) first[r] = (int)k;
            if ((int)k > last[r]) last[r] = (int)k;
        }
    }
    for (int k = 0; k < p->meta.n_outputs; k++) {
        int off, r = lg_root(lg, p->meta.outputs[k].tensor, &off);
        last[r] = (int)p->n_insns;
    }
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++) {
            int oa, ob, ra = lg_root(lg, a, &oa), rb = lg_root(lg, b, &ob);
            if (ra == rb || last[ra] < 0 || last[rb] < 0) continue;
            if (last[ra] < first[rb] || last[rb] < first[ra]) continue; /* never live together */
            const struct dd_isa_tensor *ta = &p->tensors[a], *tb = &p->tensors[b];
            uint64_t a0 = ta->offset, a1 = a0 + ((uint64_t)ta->h * ta->w - 1) * ta->pitch + ta->c;
            uint64_t b0 = tb->offset, b1 = b0 + ((uint64_t)tb->h * tb->w - 1) * tb->pitch + tb->c;
            cr_assert(a1 <= b0 || b1 <= a0,
                      "tensors %d [%d..%d] and %d [%d..%d] overlap in the arena while both live", a,
                      first[ra], last[ra], b, first[rb], last[rb]);
        }
    cr_log_info("arena %u bytes for %llu bytes of tensors", p->arena_size,
                (unsigned long long)roots);
    cr_assert_lt(p->arena_size, roots / 4, "arena %u of %llu", p->arena_size,
                 (unsigned long long)roots);
    free(first);
    free(last);
    dd_lower_destroy(lg);
    dd_pkg_destroy(p);
}

Test(compiler, w4_by_fan_in_applies_to_wide_dense_layers_only, .timeout = 300)
{
    struct dd_compile_opts o = DD_COMPILE_OPTS_DEFAULT;
    o.wbits = 4, o.calib_frames = 2, o.calib_step = 1;
    o.int4_share = -1; /* the fan-in rule, not the measured selection */
    struct dd_pkg *p = tc_compile_blazeface_opts(&o, NULL, NULL);
    int w4 = 0, w8 = 0;
    for (uint32_t i = 0; i < p->n_insns; i++) {
        const struct dd_isa_insn *in = &p->insns[i];
        if (in->opcode != DD_ISA_CONV) continue;
        const struct dd_isa_tensor *x = &p->tensors[in->in0];
        int fan_in = in->kh * in->kw * ((in->flags & DD_ISA_F_DEPTHWISE) ? 1 : x->c);
        /* dense, wide, and over an even channel count (the RTL's int4 weight layout) */
        int want = !(in->flags & DD_ISA_F_DEPTHWISE) && fan_in >= DD_W4_MIN_FAN_IN && x->c % 2 == 0
                       ? 4
                       : 8;
        cr_assert_eq(in->wbits, want, "instruction %u (fan-in %d) has %u-bit weights", i, fan_in,
                     in->wbits);
        w4 += want == 4, w8 += want == 8;
    }
    cr_assert_gt(w4, 0);
    cr_assert_gt(w8, 0);
    cr_assert_eq(p->meta.wbits, 4);
    dd_pkg_destroy(p);
}

Test(compiler, graph_without_a_lowering_is_rejected)
{
    struct dd_graph *g = dd_graph_create();
    int in = tc_input(g, "x", 4, (int64_t[]){1, 4, 4, 3});
    int k = tc_const_f32(g, "k", 1, (int64_t[]){3}, (float[]){1, 2, 3});
    int n = tc_node(g, "scale", DD_OP_MUL, 2, (int[]){in, k}, 1);
    g->outputs[g->n_outputs++] = g->nodes[n].outputs[0];
    struct dd_err err = {{0}};
    cr_assert_eq(dd_graph_prepare(g, &err), 0, "%s", err.msg);
    struct lg_graph *lg;
    cr_assert_neq(dd_lower(g, &lg, &err), 0);
    cr_assert(strstr(err.msg, "'scale'") && strstr(err.msg, "no lowering"), "%s", err.msg);
    dd_graph_destroy(g);
}

Test(compiler, calibration_needs_frames, .timeout = 60)
{
    struct dd_detector *det;
    struct dd_media_input *m;
    struct dd_pkg *p;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_detector_open(tc_asset("models/blazeface"), &det, &err), 0, "%s", err.msg);
    cr_assert_eq(dd_media_input_open(tc_asset("media/faces/sample1.jpg"), &m, &err), 0, "%s",
                 err.msg);
    struct dd_compile_opts o = DD_COMPILE_OPTS_DEFAULT;
    o.calib_step = 2; /* frame 0 is used... */
    o.calib_frames = 1;
    cr_assert_eq(dd_compile(det, m, &o, &p, &err), 0, "%s", err.msg);
    dd_pkg_destroy(p);
    dd_media_input_close(m);
    cr_assert_eq(dd_media_input_open(tc_asset("media/faces/sample1.jpg"), &m, &err), 0);
    struct dd_image img = {0};
    int idx;
    dd_media_input_next(m, &img, &idx, &err); /* ...so exhaust it first */
    dd_image_destroy(&img);
    cr_assert_neq(dd_compile(det, m, &o, &p, &err), 0);
    cr_assert(strstr(err.msg, "no frames"), "%s", err.msg);
    dd_media_input_close(m);
    dd_detector_close(det);
}

/* The package's agreement with the float model at the 0.5 threshold on face
 * photos 4-6 (held apart from the calibration photos 1-3), through the cpu backend. */
static void agree_on_held_apart_faces(const struct dd_pkg *p, struct dd_detector *det,
                                      struct dd_agreement *a)
{
    struct dd_err err = {{0}};
    char path[] = "/tmp/dd_pkg_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    cr_assert_eq(dd_pkg_write(p, path, &err), 0, "%s", err.msg);
    struct dd_qdetector *q;
    cr_assert_eq(dd_qdetector_open(path, DD_BACKEND_ONLY("cpu"), &q, &err), 0, "%s", err.msg);
    dd_agreement_init(a, 0.5f, 0.05f);
    struct dd_det_list fl, ql;
    dd_det_list_init(&fl);
    dd_det_list_init(&ql);
    struct dd_detect_opts opts = DD_DETECT_OPTS_DEFAULT;
    opts.score_threshold = 0.05f;
    for (int i = 4; i <= 6; i++) {
        char name[64];
        snprintf(name, sizeof(name), "media/faces/sample%d.jpg", i);
        struct dd_image img;
        cr_assert_eq(dd_image_load(tc_asset(name), &img, &err), 0, "%s", err.msg);
        cr_assert_eq(dd_detector_detect(det, &img, &opts, &fl, &err), 0, "%s", err.msg);
        struct dd_isa_frame f = dd_isa_frame_from_image(&img);
        cr_assert_eq(dd_qdetector_detect(q, &f, &opts, &ql, &err), 0, "%s", err.msg);
        cr_assert_eq(dd_agreement_add_frame(a, &fl, &ql), 0);
        dd_image_destroy(&img);
    }
    dd_det_list_destroy(&fl);
    dd_det_list_destroy(&ql);
    dd_qdetector_close(q);
    unlink(path);
}

/* Calibrated on photos 1-3, run through the fast backend on photos 4-6 held
 * apart: every face the float model finds at the 0.5 threshold is found, with
 * its box and score close, and no face the float model does not see appears
 * (ranges from the letterbox padding, where BlazeFace holds huge values, once
 * made 84 phantom faces on the six photos). */
Test(compiler, blazeface_w8a8_has_no_phantom_faces_on_held_apart_photos, .timeout = 300)
{
    struct dd_detector *det;
    struct dd_pkg *p = tc_compile_blazeface(8, 3, &det, NULL);
    struct dd_agreement a;
    agree_on_held_apart_faces(p, det, &a);
    struct dd_agreement_summary s;
    dd_agreement_summary(&a, &s);
    cr_log_info("faces: float %zu quantized %zu lost %zu phantoms %zu flips %zu; iou median %.3f; "
                "|dscore| max %.3f",
                a.float_dets, a.quant_dets, a.lost, a.phantoms, a.flips, s.iou_median,
                s.dscore_max);
    cr_assert_geq(a.float_dets, 10, "the photos hold faces (%zu)", a.float_dets);
    cr_assert_eq(a.lost, 0, "every float face kept");
    cr_assert_eq(a.phantoms, 0, "no face where the float model sees none");
    cr_assert_leq(a.flips, 1);
    cr_assert_geq(s.iou_median, 0.85, "boxes in place (median IoU %.3f)", s.iou_median);
    cr_assert_leq(s.dscore_max, 0.2, "scores close (max |delta| %.3f)", s.dscore_max);
    dd_agreement_destroy(&a);
    dd_pkg_destroy(p);
    dd_detector_close(det);
}

/* Cross-layer equalization leaves every equalized pair's products unchanged
 * and balances the two sides' weight ranges channel by channel. */
Test(compiler, equalization_keeps_the_function_and_balances_ranges, .timeout = 60)
{
    struct dd_detector *det;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_detector_open(tc_asset("models/blazeface"), &det, &err), 0, "%s", err.msg);
    struct lg_graph *lg;
    cr_assert_eq(dd_lower(det->graph, &lg, &err), 0, "%s", err.msg);
    int n = dd_equalize(lg, &err);
    cr_assert_gt(n, 10, "BlazeFace's depthwise -> 1x1 pairs are equalized (%d)", n);
    int checked = 0;
    for (int bi = 0; bi < lg->n_op; bi++) {
        const struct lg_op *b = &lg->op[bi];
        if (b->kind != LG_CONV || !lg->t[b->in0].eq) continue;
        const struct lg_tensor *t = &lg->t[b->in0];
        const struct lg_op *a = &lg->op[t->producer];
        int ka = a->kh * a->kw, kb = b->kh * b->kw, a_ic = lg->t[a->in0].c;
        int b_oc = lg->t[b->out].c;
        for (int ch = 0; ch < t->c; ch++) {
            /* A's output ch times B's input ch: t's scale cancels (only A's input and B's
             * output equalization, if any, remain) */
            int ia = a->depthwise ? ch : 0, ob = b->depthwise ? ch : 0;
            const float *wa_raw = lg->ir->tensors[a->weights].data;
            const float *wb_raw = lg->ir->tensors[b->weights].data;
            float raw_a = a->depthwise ? wa_raw[ch] : wa_raw[(size_t)ia * t->c + ch];
            float raw_b = b->depthwise ? wb_raw[ch] : wb_raw[(size_t)ch * b_oc + ob];
            const float *ein = lg->t[a->in0].eq, *eout = lg->t[b->out].eq;
            double want = (double)raw_a * raw_b * (ein ? ein[ia] : 1.0f) / (eout ? eout[ob] : 1.0f);
            double got = (double)dd_equalized_weight(lg, a, 0, ia, ch) *
                         dd_equalized_weight(lg, b, 0, ch, ob);
            cr_assert(fabs(got - want) <= 1e-5 * fabs(want) + 1e-12, "channel %d: %g vs %g", ch,
                      got, want);
            float r1 = 0, r2 = 0;
            for (int tap = 0; tap < ka; tap++)
                for (int i = 0; i < (a->depthwise ? 1 : a_ic); i++)
                    r1 = fmaxf(r1,
                               fabsf(dd_equalized_weight(lg, a, tap, a->depthwise ? ch : i, ch)));
            for (int tap = 0; tap < kb; tap++)
                for (int o = 0; o < (b->depthwise ? 1 : b_oc); o++)
                    r2 = fmaxf(r2,
                               fabsf(dd_equalized_weight(lg, b, tap, ch, b->depthwise ? ch : o)));
            if (r1 > 0 && r2 > 0 && t->eq[ch] < 255.0f && t->eq[ch] > 1.0f / 255.0f) {
                cr_assert(r1 / r2 > 0.5f && r1 / r2 < 2.0f, "channel %d: ranges %g vs %g", ch, r1,
                          r2);
                checked++;
            }
        }
    }
    cr_assert_gt(checked, 100);
    dd_lower_destroy(lg);
    dd_detector_close(det);
}

/* Mixed precision by measured sensitivity: 80% of the convolution MACs in
 * 4 bits, chosen layer by layer, and the faces of the held-apart photos are
 * all found, none invented (with the fan-in rule and plain rounding, BlazeFace
 * W4A8 found no face at all). */
Test(compiler, blazeface_w4a8_by_sensitivity_keeps_the_faces, .timeout = 300)
{
    struct dd_detector *det;
    struct dd_compile_opts o = DD_COMPILE_OPTS_DEFAULT;
    o.wbits = 4, o.calib_frames = 3, o.calib_step = 1;
    struct dd_pkg *p = tc_compile_blazeface_opts(&o, &det, NULL);
    double conv[2] = {0, 0}, eligible = 0;
    for (uint32_t i = 0; i < p->n_insns; i++) {
        const struct dd_isa_insn *in = &p->insns[i];
        if (in->opcode != DD_ISA_CONV) continue;
        const struct dd_isa_tensor *x = &p->tensors[in->in0], *y = &p->tensors[in->out];
        double macs = (double)y->h * y->w * y->c * in->kh * in->kw *
                      ((in->flags & DD_ISA_F_DEPTHWISE) ? 1 : x->c);
        conv[in->wbits == 4] += macs;
        /* int4 candidates: dense convolutions over an even channel count (the RTL's layout;
         * BlazeFace's 3-channel first layer, 16% of its MACs, stays int8) */
        if (!(in->flags & DD_ISA_F_DEPTHWISE) && x->c % 2 == 0) eligible += macs;
    }
    double share = conv[1] / (conv[0] + conv[1]);
    double budget = 0.8 * eligible / (conv[0] + conv[1]);
    cr_log_info("int4 share of convolution MACs: %.3f (budget %.3f)", share, budget);
    cr_assert_geq(share, budget - 1e-9,
                  "the budget: 80%% of the eligible MACs in 4 bits "
                  "(%.3f < %.3f)",
                  share, budget);
    struct dd_agreement a;
    agree_on_held_apart_faces(p, det, &a);
    cr_log_info("W4A8 faces: float %zu quantized %zu lost %zu phantoms %zu", a.float_dets,
                a.quant_dets, a.lost, a.phantoms);
    cr_assert_geq(a.float_dets, 10);
    cr_assert_leq(a.lost, 1, "the float faces kept (%zu lost)", a.lost);
    cr_assert_eq(a.phantoms, 0, "no invented face");
    dd_agreement_destroy(&a);
    dd_pkg_destroy(p);
    dd_detector_close(det);
}

#include <criterion/criterion.h>
#include <math.h>

#include "postproc/agreement.h"
#include "postproc/ap.h"

static void push(struct dd_det_list *l, float x, float s, int c)
{
    struct dd_det d = {.x1 = x, .y1 = 0, .x2 = x + 10, .y2 = 10, .score = s, .cls = c};
    dd_det_list_push(l, &d);
}

Test(ap, identical_detections_score_one)
{
    struct dd_ap ap;
    dd_ap_init(&ap, 2, 0.5f);
    struct dd_det_list ref;
    dd_det_list_init(&ref);
    push(&ref, 0, 0.9f, 0);
    push(&ref, 50, 0.8f, 1);
    dd_ap_add_frame(&ap, &ref, &ref);
    int n;
    cr_assert_float_eq(dd_ap_mean(&ap, &n), 1.0, 1e-12);
    cr_assert_eq(n, 2);
    dd_det_list_destroy(&ref);
    dd_ap_destroy(&ap);
}

Test(ap, hand_computed_curve)
{
    /* 2 reference boxes; predictions by score: TP, FP, TP -> precision 1, 1/2, 2/3 at
     * recall 1/2, 1/2, 1: AP = 0.5 * 1 + 0.5 * 2/3 = 5/6 */
    struct dd_ap ap;
    dd_ap_init(&ap, 1, 0.5f);
    struct dd_det_list ref, pred;
    dd_det_list_init(&ref);
    dd_det_list_init(&pred);
    push(&ref, 0, 1, 0);
    push(&ref, 100, 1, 0);
    push(&pred, 1, 0.9f, 0);   /* IoU 9/11 with the first */
    push(&pred, 300, 0.8f, 0); /* nothing there */
    push(&pred, 100, 0.7f, 0);
    push(&pred, 0, 0.6f, 0); /* duplicate of a claimed box: FP after the last TP */
    dd_ap_add_frame(&ap, &ref, &pred);
    cr_assert_float_eq(dd_ap_class(&ap, 0), 5.0 / 6.0, 1e-12);
    cr_assert(isnan(dd_ap_mean(&(struct dd_ap){0, 0.5f, NULL}, NULL)));
    dd_det_list_destroy(&ref);
    dd_det_list_destroy(&pred);
    dd_ap_destroy(&ap);
}

Test(ap, low_overlap_and_wrong_class_do_not_count)
{
    struct dd_ap ap;
    dd_ap_init(&ap, 2, 0.5f);
    struct dd_det_list ref, pred;
    dd_det_list_init(&ref);
    dd_det_list_init(&pred);
    push(&ref, 0, 1, 0);
    push(&pred, 6, 0.9f, 0); /* IoU 4/16 */
    push(&pred, 0, 0.9f, 1); /* other class */
    dd_ap_add_frame(&ap, &ref, &pred);
    int n;
    cr_assert_float_eq(dd_ap_mean(&ap, &n), 0.0, 1e-12);
    cr_assert_eq(n, 1, "class 1 has no reference boxes and is not averaged");
    dd_det_list_destroy(&ref);
    dd_det_list_destroy(&pred);
    dd_ap_destroy(&ap);
}

static struct dd_det box(float x, float y, float s, int cls)
{
    struct dd_det d = {0};
    d.x1 = x, d.y1 = y, d.x2 = x + 10, d.y2 = y + 10, d.score = s, d.cls = cls;
    return d;
}

Test(agreement, twins_lost_phantoms_and_flips_at_the_user_threshold)
{
    struct dd_det_list f, q;
    dd_det_list_init(&f);
    dd_det_list_init(&q);
    /* float: A 0.9, B 0.6, C 0.55 (class 1), D 0.2 (below T) */
    struct dd_det fa = box(0, 0, 0.9f, 0), fb = box(100, 0, 0.6f, 0), fc = box(200, 0, 0.55f, 1),
                  fd = box(300, 0, 0.2f, 0);
    dd_det_list_push(&f, &fa), dd_det_list_push(&f, &fb), dd_det_list_push(&f, &fc);
    dd_det_list_push(&f, &fd);
    /* quant: A moved 1 px, 0.88; B dropped to 0.4 (lost at T); C as class 0 (not its twin);
     * D's twin at 0.7 (a flip: float has it, below T); E at 0.8 where float sees nothing */
    struct dd_det qa = box(1, 0, 0.88f, 0), qb = box(100, 0, 0.4f, 0), qc = box(200, 0, 0.6f, 0),
                  qd = box(300, 0, 0.7f, 0), qe = box(400, 0, 0.8f, 0);
    dd_det_list_push(&q, &qa), dd_det_list_push(&q, &qb), dd_det_list_push(&q, &qc);
    dd_det_list_push(&q, &qd), dd_det_list_push(&q, &qe);
    struct dd_agreement a;
    dd_agreement_init(&a, 0.5f, 0.05f);
    cr_assert_eq(dd_agreement_add_frame(&a, &f, &q), 0);
    cr_assert_eq(a.float_dets, 3);
    cr_assert_eq(a.quant_dets, 4, "qa, qc, qd, qe");
    cr_assert_eq(a.matched, 2, "A and B have twins");
    cr_assert_eq(a.lost, 2, "B (twin below T) and C (no twin of its class)");
    cr_assert_eq(a.phantoms, 2, "qc (no class-0 float box there) and qe");
    cr_assert_eq(a.flips, 1, "qd: float has it at 0.2");
    struct dd_agreement_summary s;
    dd_agreement_summary(&a, &s);
    cr_assert_float_eq(s.dscore_max, 0.2, 1e-6);
    cr_assert_float_eq(s.iou_min, 90.0 / 110.0, 1e-6);
    dd_agreement_destroy(&a);
    dd_det_list_destroy(&f);
    dd_det_list_destroy(&q);
}

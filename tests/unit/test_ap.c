#include <criterion/criterion.h>
#include <math.h>

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

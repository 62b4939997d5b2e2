#include <criterion/criterion.h>

#include "postproc/nms.h"

static struct dd_det box(float x1, float y1, float x2, float y2, float s, int c)
{
    struct dd_det d = {0};
    d.x1 = x1, d.y1 = y1, d.x2 = x2, d.y2 = y2, d.score = s, d.cls = c;
    return d;
}

Test(nms, iou_basics)
{
    struct dd_det a = box(0, 0, 10, 10, 1, 0), b = box(5, 0, 15, 10, 1, 0),
                  c = box(20, 20, 30, 30, 1, 0);
    cr_assert_float_eq(dd_det_iou(&a, &b), 50.0f / 150.0f, 1e-6);
    cr_assert_eq(dd_det_iou(&a, &c), 0.0f);
    cr_assert_float_eq(dd_det_iou(&a, &a), 1.0f, 1e-6);
}

Test(nms, suppresses_same_class_only_and_orders_by_score)
{
    struct dd_det_list l;
    dd_det_list_init(&l);
    struct dd_det in[] = {
        box(0, 0, 10, 10, 0.6f, 0), box(1, 1, 11, 11, 0.9f, 0), /* overlaps: keep 0.9 */
        box(1, 1, 11, 11, 0.7f, 1),                             /* other class: kept */
        box(50, 50, 60, 60, 0.3f, 0),                           /* far: kept */
    };
    for (size_t i = 0; i < 4; i++) dd_det_list_push(&l, &in[i]);
    cr_assert_eq(dd_nms(&l, 0.5f, 0), 0);
    cr_assert_eq(l.n, 3);
    cr_assert_float_eq(l.v[0].score, 0.9f, 0);
    cr_assert_eq(l.v[1].cls, 1);
    cr_assert_float_eq(l.v[2].score, 0.3f, 0);
    dd_det_list_destroy(&l);
}

Test(nms, threshold_is_strict_and_max_det_caps)
{
    struct dd_det_list l;
    dd_det_list_init(&l);
    /* IoU exactly 1/3 */
    dd_det_list_push(&l, &(struct dd_det){.x1 = 0, .y1 = 0, .x2 = 10, .y2 = 10, .score = 0.9f});
    dd_det_list_push(&l, &(struct dd_det){.x1 = 5, .y1 = 0, .x2 = 15, .y2 = 10, .score = 0.8f});
    cr_assert_eq(dd_nms(&l, 1.0f / 3.0f, 0), 0);
    cr_assert_eq(l.n, 2, "IoU equal to the threshold is not suppressed");
    cr_assert_eq(dd_nms(&l, 0.3f, 0), 0);
    cr_assert_eq(l.n, 1);
    for (int i = 0; i < 10; i++)
        dd_det_list_push(
            &l,
            &(struct dd_det){.x1 = 100.0f * i, .x2 = 100.0f * i + 5, .y2 = 5, .score = 0.1f * i});
    cr_assert_eq(dd_nms(&l, 0.5f, 4), 0);
    cr_assert_eq(l.n, 4);
    dd_det_list_destroy(&l);
}

Test(nms, ties_are_deterministic)
{
    struct dd_det_list l;
    dd_det_list_init(&l);
    dd_det_list_push(&l, &(struct dd_det){.x1 = 0, .x2 = 10, .y2 = 10, .score = 0.5f, .cls = 3});
    dd_det_list_push(
        &l, &(struct dd_det){.x1 = 0, .x2 = 10, .y2 = 10, .score = 0.5f, .cls = 3, .y1 = 1});
    cr_assert_eq(dd_nms(&l, 0.5f, 0), 0);
    cr_assert_eq(l.n, 1);
    cr_assert_eq(l.v[0].y1, 0.0f, "the earlier of two equal-score boxes wins");
    dd_det_list_destroy(&l);
}

#include <criterion/criterion.h>

#include "postproc/letterbox.h"

Test(letterbox, vtest_into_nanodet_input)
{
    struct dd_letterbox lb;
    cr_assert_eq(dd_letterbox_fit(768, 576, 416, 416, &lb), 0);
    cr_assert_eq(lb.box_w, 416);
    cr_assert_eq(lb.box_h, 312);
    cr_assert_eq(lb.box_x, 0);
    cr_assert_eq(lb.box_y, 52);
}

Test(letterbox, portrait_pads_left_and_right)
{
    struct dd_letterbox lb;
    cr_assert_eq(dd_letterbox_fit(1080, 1920, 256, 256, &lb), 0);
    cr_assert_eq(lb.box_h, 256);
    cr_assert_eq(lb.box_w, 144);
    cr_assert_eq(lb.box_x, 56);
}

Test(letterbox, unmap_inverts_and_clamps)
{
    struct dd_letterbox lb;
    dd_letterbox_fit(1920, 1080, 416, 416, &lb);
    struct dd_det d = {.x1 = lb.box_x + 104.0f * lb.scale_x * 10,
                       .y1 = lb.box_y + 20 * lb.scale_y,
                       .x2 = lb.box_x + 500 * lb.scale_x,
                       .y2 = lb.box_y + 400 * lb.scale_y};
    dd_letterbox_unmap(&lb, &d);
    cr_assert_float_eq(d.x1, 1040, 0.01);
    cr_assert_float_eq(d.y1, 20, 0.01);
    cr_assert_float_eq(d.x2, 500, 0.01);
    cr_assert_float_eq(d.y2, 400, 0.01);
    struct dd_det out = {.x1 = -50, .y1 = -50, .x2 = 500, .y2 = 500};
    dd_letterbox_unmap(&lb, &out);
    cr_assert_eq(out.x1, 0.0f);
    cr_assert_eq(out.y1, 0.0f);
    cr_assert_eq(out.x2, 1920.0f);
    cr_assert_eq(out.y2, 1080.0f);
}

Test(letterbox, rejects_empty_sizes)
{
    struct dd_letterbox lb;
    cr_assert_neq(dd_letterbox_fit(0, 10, 416, 416, &lb), 0);
    cr_assert_neq(dd_letterbox_fit(10, 10, 416, -1, &lb), 0);
}

Test(letterbox, positions_of_a_map_in_the_picture_or_the_padding)
{
    struct dd_letterbox lb; /* 1920x1080 into 416x416: the picture is rows 91.. 324 */
    cr_assert_eq(dd_letterbox_fit(1920, 1080, 416, 416, &lb), 0);
    cr_assert_gt(lb.box_y, 0);
    /* a 13x13 map: cell rows of 32 input pixels, centres at 16, 48, ... */
    cr_assert(!dd_letterbox_in_picture(&lb, 0, 6, 13, 13), "row 0 (centre 16) is padding");
    cr_assert(dd_letterbox_in_picture(&lb, 6, 6, 13, 13), "the middle is picture");
    cr_assert(!dd_letterbox_in_picture(&lb, 12, 0, 13, 13), "the last row is padding");
    for (int x = 0; x < 13; x++) cr_assert(dd_letterbox_in_picture(&lb, 6, x, 13, 13));
    int rows = 0;
    for (int y = 0; y < 416; y++) rows += dd_letterbox_in_picture(&lb, y, 0, 416, 416);
    cr_assert_eq(rows, lb.box_h, "pixel rows in the picture = the box's height");
}

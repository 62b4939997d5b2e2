/* NanoDet and BlazeFace decoders on synthetic outputs with known answers. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "postproc/decode_blazeface.h"
#include "postproc/decode_nanodet.h"

Test(decode_nanodet, one_hot_bins_give_exact_distances)
{
    float logits[11];
    for (int k = 0; k < 11; k++) {
        for (int j = 0; j < 11; j++) logits[j] = j == k ? 1000.0f : 0.0f;
        cr_assert_float_eq(dd_nanodet_side_distance(logits, 11), (float)k, 1e-4);
    }
    for (int j = 0; j < 11; j++) logits[j] = 3.0f; /* uniform: mean of 0..10 */
    cr_assert_float_eq(dd_nanodet_side_distance(logits, 11), 5.0f, 1e-5);
}

Test(decode_nanodet, box_around_cell_centre)
{
    enum { W = 4, H = 3, C = 2, B = 11 };
    float cls[W * H * C] = {0}, reg[W * H * 4 * B];
    for (size_t i = 0; i < sizeof(reg) / sizeof(reg[0]); i++) reg[i] = 0.0f;
    int cell = 1 * W + 2; /* x = 2, y = 1 */
    cls[cell * C + 1] = 0.9f;
    cls[cell * C + 0] = 0.2f;
    float *r = reg + cell * 4 * B;
    int dist[4] = {1, 2, 3, 4}; /* left, top, right, bottom in bins */
    for (int s = 0; s < 4; s++)
        for (int k = 0; k < B; k++) r[s * B + k] = k == dist[s] ? 50.0f : 0.0f;
    struct dd_nanodet_level lv = {cls, reg, W, H, 8};
    struct dd_det_list out;
    dd_det_list_init(&out);
    cr_assert_eq(dd_decode_nanodet(&lv, 1, C, B, 0.5f, &out), 0);
    cr_assert_eq(out.n, 1);
    float cx = 2.5f * 8, cy = 1.5f * 8;
    cr_assert_eq(out.v[0].cls, 1);
    cr_assert_float_eq(out.v[0].score, 0.9f, 1e-6);
    cr_assert_float_eq(out.v[0].x1, cx - 8, 1e-3);
    cr_assert_float_eq(out.v[0].y1, cy - 16, 1e-3);
    cr_assert_float_eq(out.v[0].x2, cx + 24, 1e-3);
    cr_assert_float_eq(out.v[0].y2, cy + 32, 1e-3);
    /* a lower threshold adds the second class of the same cell */
    dd_det_list_clear(&out);
    cr_assert_eq(dd_decode_nanodet(&lv, 1, C, B, 0.1f, &out), 0);
    cr_assert_eq(out.n, 2);
    dd_det_list_destroy(&out);
}

Test(decode_nanodet, rejects_bad_bins)
{
    struct dd_det_list out;
    dd_det_list_init(&out);
    cr_assert_neq(dd_decode_nanodet(NULL, 0, 80, 0, 0.5f, &out), 0);
    cr_assert_neq(dd_decode_nanodet(NULL, 0, 80, 1000, 0.5f, &out), 0);
}

Test(decode_blazeface, anchor_offsets_and_clamped_logits)
{
    /* input 64x64, one level stride 32 with 2 anchors per cell: 2x2 cells, 8 anchors */
    float scores[8], regs[8 * 16] = {0};
    for (int i = 0; i < 8; i++) scores[i] = -11000.0f; /* as in padded regions */
    int a = 5;                                         /* cell 2 (x 0, y 1), anchor 1 */
    scores[a] = 2.0f;
    float *r = regs + a * 16;
    r[0] = 3.0f;  /* dx */
    r[1] = -4.0f; /* dy */
    r[2] = 20.0f; /* w */
    r[3] = 10.0f; /* h */
    r[4] = 1.0f;  /* keypoint 0 */
    r[5] = 2.0f;
    struct dd_blazeface_level lv = {scores, regs, 32, 2};
    struct dd_det_list out;
    dd_det_list_init(&out);
    cr_assert_eq(dd_decode_blazeface(&lv, 1, 64, 64, 16, 0.5f, &out), 0);
    cr_assert_eq(out.n, 1);
    float ax = 16.0f, ay = 48.0f;
    cr_assert_float_eq(out.v[0].score, 1.0f / (1.0f + expf(-2.0f)), 1e-6);
    cr_assert_float_eq(out.v[0].x1, ax + 3 - 10, 1e-4);
    cr_assert_float_eq(out.v[0].x2, ax + 3 + 10, 1e-4);
    cr_assert_float_eq(out.v[0].y1, ay - 4 - 5, 1e-4);
    cr_assert_float_eq(out.v[0].y2, ay - 4 + 5, 1e-4);
    cr_assert_eq(out.v[0].n_keypoints, 6);
    cr_assert_float_eq(out.v[0].kp[0][0], ax + 1, 1e-4);
    cr_assert_float_eq(out.v[0].kp[0][1], ay + 2, 1e-4);
    dd_det_list_destroy(&out);
}

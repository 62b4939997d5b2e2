/* Overlay drawing on NV12 and YUYV: exact pixels, clipping at the edges. */
#include <criterion/criterion.h>
#include <string.h>

#include "postproc/font8x16.h"
#include "postproc/overlay.h"

#define W 64
#define H 48

struct canvas {
    uint8_t y[W * H], uv[W * H / 2], yuyv[W * H * 2];
    struct dd_yuv_image nv12, packed;
};

static struct canvas *canvas(void)
{
    static struct canvas storage; /* one per test process */
    struct canvas *c = &storage;
    memset(c, 0, sizeof(*c));
    memset(c->y, 100, sizeof(c->y));
    memset(c->uv, 128, sizeof(c->uv));
    for (int i = 0; i < W * H * 2; i += 2) c->yuyv[i] = 100, c->yuyv[i + 1] = 128;
    c->nv12 = (struct dd_yuv_image){DD_YUV_NV12, W, H, c->y, c->uv, W, W};
    c->packed = (struct dd_yuv_image){DD_YUV_YUYV, W, H, c->yuyv, NULL, W * 2, 0};
    return c;
}

static uint8_t luma(const struct dd_yuv_image *img, int x, int y)
{
    return img->layout == DD_YUV_NV12 ? img->y[y * img->y_pitch + x]
                                      : img->y[y * img->y_pitch + (x / 2) * 4 + (x & 1) * 2];
}

static const struct dd_yuv_color red = {81, 90, 240};

static void check_box(const struct dd_yuv_image *img)
{
    dd_overlay_box(img, 10, 8, 30, 20, 2, red);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int inside = x >= 10 && x <= 30 && y >= 8 && y <= 20;
            int border = inside && (x < 12 || x > 28 || y < 10 || y > 18);
            cr_assert_eq(luma(img, x, y), border ? 81 : 100, "(%d,%d)", x, y);
        }
}

Test(overlay, box_outline_nv12)
{
    check_box(&canvas()->nv12);
}
Test(overlay, box_outline_yuyv)
{
    check_box(&canvas()->packed);
}

Test(overlay, chroma_of_the_box)
{
    struct canvas *c = canvas();
    dd_overlay_box(&c->nv12, 10, 8, 30, 20, 2, red);
    cr_assert_eq(c->uv[4 * W + 2 * 5], 90); /* (10,8) -> chroma (5,4) */
    cr_assert_eq(c->uv[4 * W + 2 * 5 + 1], 240);
    cr_assert_eq(c->uv[7 * W + 2 * 10], 128, "the interior keeps its colour");
}

Test(overlay, boxes_outside_the_frame_are_clipped)
{
    struct canvas *c = canvas();
    dd_overlay_box(&c->nv12, -20, -20, 10, 10, 3, red); /* top-left corner sticks out */
    cr_assert_eq(luma(&c->nv12, 9, 5), 81, "the visible right edge is drawn");
    cr_assert_eq(luma(&c->nv12, 5, 9), 81, "the visible bottom edge is drawn");
    cr_assert_eq(luma(&c->nv12, 0, 0), 100, "the off-frame left/top edges are not");
    dd_overlay_box(&c->nv12, 100, 100, 200, 200, 3, red); /* wholly outside */
    dd_overlay_box(&c->nv12, 50, 40, W + 50, H + 50, 3, red);
    cr_assert_eq(luma(&c->nv12, W - 1, H - 1), 100);
    cr_assert_eq(luma(&c->nv12, 55, 41), 81);
    struct dd_det_list l;
    dd_det_list_init(&l);
    struct dd_det far = {.x1 = -1e30f, .y1 = -1e30f, .x2 = 1e30f, .y2 = 5, .score = 0.9f};
    struct dd_det nan = {.x1 = 0.0f / 0.0f, .y1 = 0, .x2 = 4, .y2 = 4, .score = 0.5f};
    dd_det_list_push(&l, &far);
    dd_det_list_push(&l, &nan);
    struct dd_overlay_opts o = {2, 1, 1, NULL, 0};
    dd_overlay_detections(&c->packed, &l, &o); /* no crash, no out-of-bounds write (ASan) */
    dd_overlay_detections(&c->nv12, &l, &o);
    dd_det_list_destroy(&l);
}

Test(overlay, text_matches_the_font)
{
    struct canvas *c = canvas();
    struct dd_yuv_color white = {235, 128, 128};
    int w = dd_overlay_text(&c->nv12, 3, 2, "A7", 1, white);
    cr_assert_eq(w, 16);
    for (int ch = 0; ch < 2; ch++) {
        const uint8_t *g = dd_font8x16["A7"[ch] - DD_FONT_FIRST];
        for (int r = 0; r < 16; r++)
            for (int col = 0; col < 8; col++) {
                int set = (g[r] >> (7 - col)) & 1;
                cr_assert_eq(luma(&c->nv12, 3 + ch * 8 + col, 2 + r), set ? 235 : 100);
            }
    }
    dd_overlay_text(&c->nv12, W - 4, H - 4, "WW", 4, white); /* runs off the frame: clipped */
}

Test(overlay, label_tab_above_or_inside)
{
    struct canvas *c = canvas();
    struct dd_det_list l;
    dd_det_list_init(&l);
    struct dd_det d = {.x1 = 4, .y1 = 2, .x2 = 40, .y2 = 40, .score = 0.75f, .cls = 0};
    dd_det_list_push(&l, &d);
    const char *names[] = {"p"};
    struct dd_overlay_opts o = {1, 1, 1, names, 1};
    dd_overlay_detections(&c->nv12, &l, &o);
    /* no room above y=2: the tab (class colour) sits inside the box's top */
    struct dd_yuv_color cc = dd_overlay_class_color(0);
    int tab = 0;
    for (int x = 5; x < 20; x++) tab += luma(&c->nv12, x, 3) == cc.y;
    cr_assert_gt(tab, 3);
    dd_det_list_destroy(&l);
}

Test(overlay, rgb_to_yuv_matches_bt601)
{
    struct dd_yuv_color w = dd_yuv_from_rgb(255, 255, 255), k = dd_yuv_from_rgb(0, 0, 0);
    cr_assert_eq(w.y, 235);
    cr_assert_eq(k.y, 16);
    cr_assert_eq(w.u, 128);
    cr_assert_eq(k.v, 128);
}

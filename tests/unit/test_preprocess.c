#include <criterion/criterion.h>
#include <string.h>

#include "detectors/preprocess.h"

static struct dd_input_spec spec(bool nchw, bool bgr)
{
    struct dd_input_spec s = {.width = 8, .height = 8, .nchw = nchw, .bgr = bgr, .pad_pixel = 0};
    for (int c = 0; c < 3; c++) s.mean[c] = 100.0f, s.std[c] = 50.0f;
    return s;
}

static void fill(struct dd_image *img, uint8_t r, uint8_t g, uint8_t b)
{
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++) {
            uint8_t *p = img->rgb + (size_t)y * img->stride + (size_t)x * 3;
            p[0] = r, p[1] = g, p[2] = b;
        }
}

Test(preprocess, nchw_bgr_normalised_with_letterbox_padding)
{
    struct dd_image img;
    struct dd_err err;
    cr_assert_eq(dd_image_alloc(&img, 16, 8, &err), 0); /* 2:1 -> 8x4 box, 2 rows pad */
    fill(&img, 200, 150, 50);
    struct dd_input_spec s = spec(true, true);
    float t[8 * 8 * 3];
    struct dd_letterbox lb;
    cr_assert_eq(dd_preprocess_rgb_f32(&img, &s, t, &lb, &err), 0);
    cr_assert_eq(lb.box_y, 2);
    cr_assert_eq(lb.box_h, 4);
    /* planes: B, G, R */
    cr_assert_float_eq(t[0 * 64 + 3 * 8 + 4], (50 - 100) / 50.0f, 1e-6);
    cr_assert_float_eq(t[1 * 64 + 3 * 8 + 4], (150 - 100) / 50.0f, 1e-6);
    cr_assert_float_eq(t[2 * 64 + 3 * 8 + 4], (200 - 100) / 50.0f, 1e-6);
    /* padding rows take the normalised pad pixel */
    cr_assert_float_eq(t[0 * 64 + 0 * 8 + 0], -2.0f, 1e-6);
    cr_assert_float_eq(t[2 * 64 + 7 * 8 + 7], -2.0f, 1e-6);
    dd_image_destroy(&img);
}

Test(preprocess, nhwc_rgb_interpolates_a_gradient)
{
    struct dd_image img;
    struct dd_err err;
    cr_assert_eq(dd_image_alloc(&img, 16, 16, &err), 0); /* 2x downscale */
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 16; x++) {
            uint8_t *p = img.rgb + (size_t)y * img.stride + (size_t)x * 3;
            p[0] = (uint8_t)(x * 10), p[1] = 0, p[2] = 0;
        }
    struct dd_input_spec s = spec(false, false);
    s.mean[0] = 0, s.std[0] = 1;
    float t[8 * 8 * 3];
    struct dd_letterbox lb;
    cr_assert_eq(dd_preprocess_rgb_f32(&img, &s, t, &lb, &err), 0);
    /* half-pixel 2x down samples between source pixels 2x and 2x+1 */
    for (int x = 0; x < 8; x++)
        cr_assert_float_eq(t[(3 * 8 + x) * 3 + 0], (2 * x * 10 + (2 * x + 1) * 10) / 2.0f, 1e-4);
    dd_image_destroy(&img);
}

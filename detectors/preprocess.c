#include "detectors/preprocess.h"

#include <math.h>
#include <stdlib.h>

/* One axis of a half-pixel bilinear resample: source index pair and weight. */
struct tap {
    int i0, i1;
    float w1;
};

static struct tap *make_taps(int src, int dst)
{
    struct tap *t = malloc((size_t)dst * sizeof(*t));
    if (!t) return NULL;
    float scale = (float)src / (float)dst;
    for (int i = 0; i < dst; i++) {
        float f = ((float)i + 0.5f) * scale - 0.5f;
        if (f < 0.0f) f = 0.0f;
        int i0 = (int)floorf(f);
        if (i0 > src - 1) i0 = src - 1;
        int i1 = i0 + 1 < src ? i0 + 1 : src - 1;
        t[i] = (struct tap){i0, i1, f - (float)i0};
    }
    return t;
}

int dd_preprocess_rgb_f32(const struct dd_image *img, const struct dd_input_spec *spec,
                          float *tensor, struct dd_letterbox *lb, struct dd_err *err)
{
    int W = spec->width, H = spec->height;
    if (dd_letterbox_fit(img->width, img->height, W, H, lb) != 0)
        return dd_err_set(err, "bad image or model size");
    struct tap *tx = make_taps(img->width, lb->box_w), *ty = make_taps(img->height, lb->box_h);
    if (!tx || !ty) {
        free(tx);
        free(ty);
        return dd_err_set(err, "out of memory");
    }
    size_t plane = (size_t)W * (size_t)H;
    float inv_std[3], pad[3];
    for (int c = 0; c < 3; c++) {
        inv_std[c] = 1.0f / spec->std[c];
        pad[c] = (spec->pad_pixel - spec->mean[c]) * inv_std[c];
    }
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float px[3] = {0}; /* R, G, B */
            int bx = x - lb->box_x, by = y - lb->box_y;
            bool inside = bx >= 0 && by >= 0 && bx < lb->box_w && by < lb->box_h;
            if (inside) {
                const struct tap *a = &tx[bx], *b = &ty[by];
                const uint8_t *r0 = img->rgb + (size_t)b->i0 * img->stride;
                const uint8_t *r1 = img->rgb + (size_t)b->i1 * img->stride;
                for (int c = 0; c < 3; c++) {
                    float top = r0[a->i0 * 3 + c] + (r0[a->i1 * 3 + c] - r0[a->i0 * 3 + c]) * a->w1;
                    float bot = r1[a->i0 * 3 + c] + (r1[a->i1 * 3 + c] - r1[a->i0 * 3 + c]) * a->w1;
                    px[c] = top + (bot - top) * b->w1;
                }
            }
            for (int c = 0; c < 3; c++) {
                int src_c = spec->bgr ? 2 - c : c; /* model channel c reads image channel src_c */
                float v = inside ? (px[src_c] - spec->mean[c]) * inv_std[c] : pad[c];
                size_t idx = spec->nchw ? (size_t)c * plane + (size_t)y * (size_t)W + (size_t)x
                                        : ((size_t)y * (size_t)W + (size_t)x) * 3 + (size_t)c;
                tensor[idx] = v;
            }
        }
    free(tx);
    free(ty);
    return 0;
}

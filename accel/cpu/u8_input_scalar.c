
#include "accel/cpu/u8_input.h"
#include "isa/isa_input.h"

static void px(const uint8_t *yrow, const uint8_t *uvrow, uint32_t x, uint8_t rgb[3])
{
    const uint8_t *uv = uvrow + (size_t)(x / 2) * 2;
    dd_isa_yuv_to_rgb(yrow[x], uv[0], uv[1], rgb);
}

void dd_u8_input_nv12_scalar(const struct dd_input_row *r)
{
    int64_t fy = r->fy;
    for (size_t k = 0; k < r->n; k++) {
        const uint32_t *t = r->tx[k];
        uint8_t p00[3], p01[3], p10[3], p11[3];
        px(r->y0, r->uv0, t[0], p00);
        px(r->y0, r->uv0, t[1], p01);
        px(r->y1, r->uv1, t[0], p10);
        px(r->y1, r->uv1, t[1], p11);
        int64_t fx = t[2], v[3];
        for (int c = 0; c < 3; c++) {
            int64_t top = p00[c] * (256 - fx) + p01[c] * fx;
            int64_t bot = p10[c] * (256 - fx) + p11[c] * fx;
            v[c] = top * (256 - fy) + bot * fy;
        }
        int8_t *dst = r->dst + k * r->pitch;
        for (int c = 0; c < 3; c++)
            dst[c] = dd_isa_normalise(v[r->bgr ? 2 - c : c], r->nrm[c], r->nrm[3 + c]);
    }
}

#include "postproc/overlay.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "postproc/font8x16.h"

static uint8_t clamp8(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

struct dd_yuv_color dd_yuv_from_rgb(uint8_t r, uint8_t g, uint8_t b)
{
    struct dd_yuv_color c;
    c.y = clamp8(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16);
    c.u = clamp8(((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128);
    c.v = clamp8(((112 * r - 94 * g - 18 * b + 128) >> 8) + 128);
    return c;
}

struct dd_yuv_color dd_overlay_class_color(int cls)
{
    static const uint8_t rgb[][3] = {
        {255, 56, 56},  {255, 157, 151}, {255, 112, 31}, {255, 178, 29},  {207, 210, 49},
        {72, 249, 10},  {146, 204, 23},  {61, 219, 134}, {26, 147, 52},   {0, 212, 187},
        {44, 153, 168}, {0, 194, 255},   {52, 69, 147},  {100, 115, 255}, {0, 24, 236},
        {132, 56, 255}, {82, 0, 133},    {203, 56, 255}, {255, 149, 200}, {255, 55, 199}};
    const uint8_t *p = rgb[(unsigned)(cls < 0 ? 0 : cls) % (sizeof(rgb) / sizeof(rgb[0]))];
    return dd_yuv_from_rgb(p[0], p[1], p[2]);
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void dd_overlay_fill(const struct dd_yuv_image *img, int x0, int y0, int x1, int y1,
                     struct dd_yuv_color c)
{
    x0 = clampi(x0, 0, (int)img->width);
    x1 = clampi(x1, 0, (int)img->width);
    y0 = clampi(y0, 0, (int)img->height);
    y1 = clampi(y1, 0, (int)img->height);
    if (x0 >= x1 || y0 >= y1) return;
    if (img->layout == DD_YUV_NV12) {
        for (int y = y0; y < y1; y++)
            memset(img->y + (size_t)y * img->y_pitch + x0, c.y, (size_t)(x1 - x0));
        int cx0 = x0 / 2, cx1 = (x1 + 1) / 2;
        uint16_t uv = (uint16_t)(c.u | c.v << 8); /* little-endian U then V */
        for (int y = y0 / 2; y < (y1 + 1) / 2; y++) {
            uint8_t *row = img->uv + (size_t)y * img->uv_pitch;
            for (int x = cx0; x < cx1; x++) memcpy(row + 2 * x, &uv, 2);
        }
    } else {
        int px0 = x0 / 2, px1 = (x1 + 1) / 2;
        for (int y = y0; y < y1; y++) {
            uint8_t *row = img->y + (size_t)y * img->y_pitch;
            for (int p = px0; p < px1; p++) {
                uint8_t *q = row + 4 * p;
                if (2 * p >= x0) q[0] = c.y;
                if (2 * p + 1 < x1) q[2] = c.y;
                q[1] = c.u;
                q[3] = c.v;
            }
        }
    }
}

void dd_overlay_box(const struct dd_yuv_image *img, int x1, int y1, int x2, int y2, int t,
                    struct dd_yuv_color c)
{
    if (x2 < x1 || y2 < y1 || t < 1) return;
    if (t > (x2 - x1 + 1) / 2 + 1) t = (x2 - x1 + 1) / 2 + 1;
    if (t > (y2 - y1 + 1) / 2 + 1) t = (y2 - y1 + 1) / 2 + 1;
    dd_overlay_fill(img, x1, y1, x2 + 1, y1 + t, c);         /* top */
    dd_overlay_fill(img, x1, y2 + 1 - t, x2 + 1, y2 + 1, c); /* bottom */
    dd_overlay_fill(img, x1, y1, x1 + t, y2 + 1, c);         /* left */
    dd_overlay_fill(img, x2 + 1 - t, y1, x2 + 1, y2 + 1, c); /* right */
}

void dd_overlay_line(const struct dd_yuv_image *img, int x0, int y0, int x1, int y1, int t,
                     struct dd_yuv_color c)
{
    if (t < 1) t = 1;
    /* clip the walk to the frame grown by t: far-off endpoints cost nothing */
    int lim = 2 * (int)(img->width + img->height) + 4 * t;
    if (abs(x0) > lim || abs(y0) > lim || abs(x1) > lim || abs(y1) > lim) return;
    int dx = abs(x1 - x0), dy = abs(y1 - y0), steps = dx > dy ? dx : dy;
    for (int i = 0; i <= steps; i++) {
        int x = steps ? x0 + (int)((int64_t)(x1 - x0) * i / steps) : x0;
        int y = steps ? y0 + (int)((int64_t)(y1 - y0) * i / steps) : y0;
        dd_overlay_fill(img, x - t / 2, y - t / 2, x - t / 2 + t, y - t / 2 + t, c);
    }
}

static void put_pixel(const struct dd_yuv_image *img, int x, int y, struct dd_yuv_color c)
{
    if (x < 0 || y < 0 || x >= (int)img->width || y >= (int)img->height) return;
    if (img->layout == DD_YUV_NV12) {
        img->y[(size_t)y * img->y_pitch + (size_t)x] = c.y;
        uint8_t *uv = img->uv + (size_t)(y / 2) * img->uv_pitch + (size_t)(x / 2) * 2;
        uv[0] = c.u;
        uv[1] = c.v;
    } else {
        uint8_t *q = img->y + (size_t)y * img->y_pitch + (size_t)(x / 2) * 4;
        q[(x & 1) ? 2 : 0] = c.y;
        q[1] = c.u;
        q[3] = c.v;
    }
}

int dd_overlay_text(const struct dd_yuv_image *img, int x, int y, const char *text, int scale,
                    struct dd_yuv_color fg)
{
    scale = clampi(scale, 1, 4);
    int cx = x;
    for (const char *p = text; *p; p++) {
        int ch = (unsigned char)*p;
        if (ch < DD_FONT_FIRST || ch > DD_FONT_LAST) ch = '?';
        const uint8_t *g = dd_font8x16[ch - DD_FONT_FIRST];
        if (cx < (int)img->width && cx + DD_FONT_W * scale > 0 && y < (int)img->height &&
            y + DD_FONT_H * scale > 0) {
            for (int r = 0; r < DD_FONT_H * scale; r++) {
                uint8_t bits = g[r / scale];
                if (!bits) continue;
                for (int col = 0; col < DD_FONT_W * scale; col++)
                    if (bits & (0x80u >> (col / scale))) put_pixel(img, cx + col, y + r, fg);
            }
        }
        cx += DD_FONT_W * scale;
    }
    return cx - x;
}

void dd_overlay_detections(const struct dd_yuv_image *img, const struct dd_det_list *dets,
                           const struct dd_overlay_opts *opts)
{
    int t = opts->thickness > 0 ? opts->thickness : 3;
    int scale = clampi(opts->scale, 1, 4);
    const struct dd_yuv_color black = {16, 128, 128};
    for (size_t i = 0; i < dets->n; i++) {
        const struct dd_det *d = &dets->v[i];
        if (!isfinite(d->x1) || !isfinite(d->y1) || !isfinite(d->x2) || !isfinite(d->y2)) continue;
        /* clamp far-away coordinates before converting to int */
        int x1 = (int)lrintf(fmaxf(fminf(d->x1, 1e6f), -1e6f));
        int y1 = (int)lrintf(fmaxf(fminf(d->y1, 1e6f), -1e6f));
        int x2 = (int)lrintf(fmaxf(fminf(d->x2, 1e6f), -1e6f));
        int y2 = (int)lrintf(fmaxf(fminf(d->y2, 1e6f), -1e6f));
        struct dd_yuv_color c = dd_overlay_class_color(d->cls);
        dd_overlay_box(img, x1, y1, x2, y2, t, c);
        if (!opts->labels) continue;
        char label[64], id[16] = "";
        if (d->id > 0) snprintf(id, sizeof(id), " #%d", d->id); /* the tracker's object ID */
        if (opts->names && d->cls >= 0 && d->cls < opts->n_names)
            snprintf(label, sizeof(label), "%s %.2f%s", opts->names[d->cls], (double)d->score, id);
        else
            snprintf(label, sizeof(label), "%d %.2f%s", d->cls, (double)d->score, id);
        int tw = (int)strlen(label) * DD_FONT_W * scale + 4, th = DD_FONT_H * scale + 2;
        int lx = clampi(x1, 0, (int)img->width > tw ? (int)img->width - tw : 0);
        int ly = y1 - th >= 0 ? y1 - th : clampi(y1, 0, (int)img->height); /* above, else inside */
        dd_overlay_fill(img, lx, ly, lx + tw, ly + th, c);
        dd_overlay_text(img, lx + 2, ly + 1, label, scale, black);
    }
}

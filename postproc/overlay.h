/* Drawing detections in place on a YUV frame (NV12 or YUYV): box outlines in
 * the class's colour, a label "class score" on a filled tab with an 8x16
 * bitmap font, and text lines (e.g. an FPS line). Everything is clipped to the
 * frame, so boxes partly or wholly outside it are safe. Rows are filled with
 * memset and 16/32-bit pattern stores the compiler vectorizes. */
#ifndef DD_POSTPROC_OVERLAY_H
#define DD_POSTPROC_OVERLAY_H

#include <stdint.h>

#include "postproc/detection.h"

enum dd_yuv_layout { DD_YUV_NV12 = 1, DD_YUV_YUYV = 2 };

struct dd_yuv_image {
    enum dd_yuv_layout layout;
    uint32_t width, height; /* even */
    uint8_t *y;             /* NV12: Y plane; YUYV: packed pixels */
    uint8_t *uv;            /* NV12: interleaved UV plane */
    uint32_t y_pitch, uv_pitch;
};

struct dd_yuv_color {
    uint8_t y, u, v;
};

/* BT.601 limited range, the inverse of the instruction set's INPUT colours. */
struct dd_yuv_color dd_yuv_from_rgb(uint8_t r, uint8_t g, uint8_t b);
/* A distinct colour per class id. */
struct dd_yuv_color dd_overlay_class_color(int cls);

/* Fills [x0, x1) x [y0, y1) clipped to the image; chroma covers every 2x2
 * (NV12) or 2x1 (YUYV) block the rectangle touches. */
void dd_overlay_fill(const struct dd_yuv_image *img, int x0, int y0, int x1, int y1,
                     struct dd_yuv_color c);

/* Outline of the box with corners (x1, y1), (x2, y2), thickness t inwards. */
void dd_overlay_box(const struct dd_yuv_image *img, int x1, int y1, int x2, int y2, int t,
                    struct dd_yuv_color c);

/* A straight line from (x0, y0) to (x1, y1), t pixels wide, clipped to the image. */
void dd_overlay_line(const struct dd_yuv_image *img, int x0, int y0, int x1, int y1, int t,
                     struct dd_yuv_color c);

/* Text with its top-left corner at (x, y), scale 1..4; only the glyphs' set
 * pixels are written (luma fg, chroma of fg). Returns the width drawn. */
int dd_overlay_text(const struct dd_yuv_image *img, int x, int y, const char *text, int scale,
                    struct dd_yuv_color fg);

struct dd_overlay_opts {
    int thickness;            /* box line width in pixels (default 3) */
    int labels;               /* draw "name score" tabs */
    int scale;                /* font scale (1..4) */
    const char *const *names; /* class names (NULL: numbers) */
    int n_names;
};

/* Draws every detection (frame pixel coordinates). */
void dd_overlay_detections(const struct dd_yuv_image *img, const struct dd_det_list *dets,
                           const struct dd_overlay_opts *opts);

#endif

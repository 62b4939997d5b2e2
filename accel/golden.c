#include "accel/golden.h"

#include "isa/isa_input.h"
#include "postproc/letterbox.h"

#include <stdbool.h>
#include <string.h>

static inline int8_t *at(int8_t *arena, const struct dd_isa_tensor *t, int y, int x)
{
    return arena + dd_isa_offset(t, y, x);
}

/* Signed weight k of a row starting at byte `row` (int8, or int4 low nibble first). */
static inline int32_t weight(const uint8_t *row, uint32_t k, int wbits)
{
    if (wbits == 8) return (int8_t)row[k];
    uint8_t b = row[k / 2];
    int v = (k & 1) ? (b >> 4) : (b & 0x0f);
    return v >= 8 ? v - 16 : v;
}

/* Input element with padding: positions outside the tensor read its zero point. */
static inline int32_t in_or_zp(int8_t *arena, const struct dd_isa_tensor *t, int y, int x, int c)
{
    if (y < 0 || x < 0 || y >= t->h || x >= t->w) return t->zero_point;
    return at(arena, t, y, x)[c];
}

static int32_t conv_point(const struct dd_pkg *p, const struct dd_isa_insn *in, int8_t *arena,
                          const struct dd_isa_tensor *a, int oy, int ox, int oc)
{
    const int32_t *bias = (const int32_t *)(p->blob + in->bias);
    const int32_t *q = (const int32_t *)(p->blob + in->quant);
    bool dw = in->flags & DD_ISA_F_DEPTHWISE;
    uint32_t per = (uint32_t)in->kh * in->kw * (dw ? 1u : a->c);
    uint32_t row_bytes = in->wbits == 4 ? (per + 1) / 2 : per;
    const uint8_t *row = p->blob + in->weights + (size_t)oc * row_bytes;
    int32_t acc = bias[oc];
    uint32_t k = 0;
    for (int ky = 0; ky < in->kh; ky++)
        for (int kx = 0; kx < in->kw; kx++) {
            int iy = oy * in->stride_h - in->pad_top + ky,
                ix = ox * in->stride_w - in->pad_left + kx;
            if (dw) {
                acc += in_or_zp(arena, a, iy, ix, oc) * weight(row, k++, in->wbits);
            } else {
                for (int ic = 0; ic < a->c; ic++)
                    acc += in_or_zp(arena, a, iy, ix, ic) * weight(row, k++, in->wbits);
            }
        }
    int32_t m = q[3 * oc], s = q[3 * oc + 2];
    if ((in->flags & DD_ISA_F_LEAKY) && acc < 0) m = q[3 * oc + 1];
    const struct dd_isa_tensor *o = &p->tensors[in->out];
    return dd_isa_clamp(dd_isa_requant(acc, m, s) + o->zero_point, in->clamp_min, in->clamp_max);
}

static void conv(const struct dd_pkg *p, const struct dd_isa_insn *in, int8_t *arena)
{
    const struct dd_isa_tensor *a = &p->tensors[in->in0], *o = &p->tensors[in->out];
    int pool = (in->flags & DD_ISA_F_POOL2X2) ? 2 : 1;
    for (int y = 0; y < o->h; y++)
        for (int x = 0; x < o->w; x++)
            for (int c = 0; c < o->c; c++) {
                int32_t best = INT32_MIN;
                for (int dy = 0; dy < pool; dy++)
                    for (int dx = 0; dx < pool; dx++) {
                        int32_t v = conv_point(p, in, arena, a, y * pool + dy, x * pool + dx, c);
                        best = v > best ? v : best;
                    }
                at(arena, o, y, x)[c] = (int8_t)best;
            }
}

static void pool(const struct dd_pkg *p, const struct dd_isa_insn *in, int8_t *arena)
{
    const struct dd_isa_tensor *a = &p->tensors[in->in0], *o = &p->tensors[in->out];
    bool avg = in->flags & DD_ISA_F_AVG;
    for (int y = 0; y < o->h; y++)
        for (int x = 0; x < o->w; x++)
            for (int c = 0; c < o->c; c++) {
                int32_t acc = avg ? 0 : INT32_MIN, n = 0;
                for (int ky = 0; ky < in->kh; ky++)
                    for (int kx = 0; kx < in->kw; kx++) {
                        int iy = y * in->stride_h - in->pad_top + ky;
                        int ix = x * in->stride_w - in->pad_left + kx;
                        if (iy < 0 || ix < 0 || iy >= a->h || ix >= a->w) continue;
                        int32_t v = at(arena, a, iy, ix)[c];
                        acc = avg ? acc + v : (v > acc ? v : acc);
                        n++;
                    }
                /* average rounds half up: floor((2 * sum + n) / (2 * n)) */
                int32_t num = 2 * acc + n, den = 2 * n;
                int32_t v = avg ? (num >= 0 ? num / den : -((-num + den - 1) / den)) : acc;
                at(arena, o, y, x)[c] = (int8_t)dd_isa_clamp(v, in->clamp_min, in->clamp_max);
            }
}

static void add(const struct dd_pkg *p, const struct dd_isa_insn *in, int8_t *arena)
{
    const struct dd_isa_tensor *a = &p->tensors[in->in0], *o = &p->tensors[in->out];
    const struct dd_isa_tensor *b = in->in1 != DD_ISA_NO_TENSOR ? &p->tensors[in->in1] : NULL;
    int64_t half = (int64_t)1 << (in->shift - 1);
    for (int y = 0; y < o->h; y++)
        for (int x = 0; x < o->w; x++)
            for (int c = 0; c < o->c; c++) {
                int64_t acc = (int64_t)(at(arena, a, y, x)[c] - a->zero_point) * in->m0;
                if (b && c < b->c) acc += (int64_t)(at(arena, b, y, x)[c] - b->zero_point) * in->m1;
                int64_t v = ((acc + half) >> in->shift) + o->zero_point; /* int64: never wraps */
                at(arena, o, y, x)[c] = (int8_t)dd_isa_clamp(v, in->clamp_min, in->clamp_max);
            }
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* 2x upsampling; bilinear uses TensorFlow's half-pixel taps: output 2k reads
 * rows k-1 (1/4) and k (3/4), output 2k+1 rows k (3/4) and k+1 (1/4), clamped. */
static void upsample(const struct dd_pkg *p, const struct dd_isa_insn *in, int8_t *arena)
{
    const struct dd_isa_tensor *a = &p->tensors[in->in0], *o = &p->tensors[in->out];
    bool bil = in->flags & DD_ISA_F_BILINEAR;
    for (int y = 0; y < o->h; y++)
        for (int x = 0; x < o->w; x++)
            for (int c = 0; c < o->c; c++) {
                int32_t v;
                if (!bil) {
                    v = at(arena, a, y / 2, x / 2)[c];
                } else {
                    int y0 = y / 2, x0 = x / 2;
                    int y1 = clampi((y & 1) ? y0 + 1 : y0 - 1, 0, a->h - 1);
                    int x1 = clampi((x & 1) ? x0 + 1 : x0 - 1, 0, a->w - 1);
                    int32_t z = a->zero_point;
                    int32_t s = 9 * (at(arena, a, y0, x0)[c] - z) +
                                3 * (at(arena, a, y0, x1)[c] - z) +
                                3 * (at(arena, a, y1, x0)[c] - z) + (at(arena, a, y1, x1)[c] - z);
                    v = ((s + 8) >> 4) + z; /* /16, rounded half up */
                }
                at(arena, o, y, x)[c] = (int8_t)dd_isa_clamp(v, in->clamp_min, in->clamp_max);
            }
}

static void d2s(const struct dd_pkg *p, const struct dd_isa_insn *in, int8_t *arena)
{
    const struct dd_isa_tensor *a = &p->tensors[in->in0], *o = &p->tensors[in->out];
    for (int y = 0; y < o->h; y++)
        for (int x = 0; x < o->w; x++)
            for (int c = 0; c < o->c; c++) {
                int blk = (y & 1) * 2 + (x & 1);
                int32_t v = at(arena, a, y / 2, x / 2)[blk * o->c + c];
                at(arena, o, y, x)[c] = (int8_t)dd_isa_clamp(v, in->clamp_min, in->clamp_max);
            }
}

static void lut(const struct dd_pkg *p, const struct dd_isa_insn *in, int8_t *arena)
{
    const struct dd_isa_tensor *a = &p->tensors[in->in0], *o = &p->tensors[in->out];
    const int8_t *table = (const int8_t *)(p->blob + in->weights);
    for (int y = 0; y < o->h; y++)
        for (int x = 0; x < o->w; x++)
            for (int c = 0; c < o->c; c++) {
                int32_t v = table[at(arena, a, y, x)[c] + 128];
                at(arena, o, y, x)[c] = (int8_t)dd_isa_clamp(v, in->clamp_min, in->clamp_max);
            }
}

/* ---- INPUT: frame -> letterboxed, normalised, quantized tensor ---------- */

int dd_isa_frame_check(const struct dd_isa_frame *f, struct dd_err *err)
{
    if (!f || !f->data) return dd_err_set(err, "no input frame");
    if (f->width == 0 || f->height == 0 || f->width > 16384 || f->height > 16384)
        return dd_err_set(err, "frame size %ux%u out of range", f ? f->width : 0,
                          f ? f->height : 0);
    uint32_t min_stride = f->format == DD_FRAME_RGB24  ? f->width * 3
                          : f->format == DD_FRAME_YUYV ? (f->width + 1) / 2 * 4
                          : f->format == DD_FRAME_NV12 ? f->width
                                                       : 0;
    if (min_stride == 0) return dd_err_set(err, "unknown frame format %u", f->format);
    if (f->stride < min_stride)
        return dd_err_set(err, "frame stride %u < %u", f->stride, min_stride);
    if (f->format == DD_FRAME_NV12 && (!f->uv || f->uv_stride < (f->width + 1) / 2 * 2))
        return dd_err_set(err, "NV12 frame without a valid UV plane");
    return 0;
}

static void input(const struct dd_pkg *p, const struct dd_isa_insn *in, int8_t *arena,
                  const struct dd_isa_frame *f)
{
    const struct dd_isa_tensor *o = &p->tensors[in->out];
    const int64_t *nrm = (const int64_t *)(p->blob + in->quant); /* a[3], b[3] */
    struct dd_letterbox lb; /* INPUT geometry: the integer letterbox of postproc */
    dd_letterbox_fit((int)f->width, (int)f->height, o->w, o->h, &lb);
    uint32_t bx = (uint32_t)lb.box_x, by = (uint32_t)lb.box_y, bw = (uint32_t)lb.box_w,
             bh = (uint32_t)lb.box_h;
    bool bgr = in->flags & DD_ISA_F_BGR;
    for (uint32_t y = 0; y < o->h; y++)
        for (uint32_t x = 0; x < o->w; x++) {
            int64_t v[3]; /* R, G, B in Q16 */
            if (y < by || x < bx || y >= by + bh || x >= bx + bw) {
                v[0] = v[1] = v[2] = (int64_t)in->m0 << 16;
            } else {
                uint32_t x0, x1, fx, y0, y1, fy;
                dd_isa_src_taps(x - bx, f->width, bw, &x0, &x1, &fx);
                dd_isa_src_taps(y - by, f->height, bh, &y0, &y1, &fy);
                uint8_t p00[3], p01[3], p10[3], p11[3];
                dd_isa_frame_pixel_rgb(f, x0, y0, p00);
                dd_isa_frame_pixel_rgb(f, x1, y0, p01);
                dd_isa_frame_pixel_rgb(f, x0, y1, p10);
                dd_isa_frame_pixel_rgb(f, x1, y1, p11);
                for (int c = 0; c < 3; c++)
                    v[c] = dd_isa_bilerp(p00[c], p01[c], p10[c], p11[c], fx, fy);
            }
            int8_t *dst = at(arena, o, (int)y, (int)x);
            for (int c = 0; c < 3; c++)
                dst[c] = dd_isa_normalise(v[bgr ? 2 - c : c], nrm[c], nrm[3 + c]);
        }
}

void dd_golden_insn(const struct dd_pkg *p, uint32_t i, int8_t *arena,
                    const struct dd_isa_frame *frame)
{
    const struct dd_isa_insn *in = &p->insns[i];
    switch (in->opcode) {
    case DD_ISA_CONV:
        conv(p, in, arena);
        break;
    case DD_ISA_POOL:
        pool(p, in, arena);
        break;
    case DD_ISA_ADD:
        add(p, in, arena);
        break;
    case DD_ISA_UPSAMPLE:
        upsample(p, in, arena);
        break;
    case DD_ISA_D2S:
        d2s(p, in, arena);
        break;
    case DD_ISA_LUT:
        lut(p, in, arena);
        break;
    case DD_ISA_INPUT:
        input(p, in, arena, frame);
        break;
    default:
        break; /* rejected by validation */
    }
}

int dd_isa_check_range(const struct dd_pkg *p, uint32_t first, uint32_t count,
                       const struct dd_isa_frame *frame, int *reads_frame, struct dd_err *err)
{
    if (reads_frame) *reads_frame = 0;
    if (first > p->n_insns || count > p->n_insns - first)
        return dd_err_set(err, "instructions %u..%u out of the program's %u", first, first + count,
                          p->n_insns);
    for (uint32_t i = first; i < first + count; i++) {
        if (p->insns[i].opcode != DD_ISA_INPUT) continue;
        if (dd_isa_frame_check(frame, err) != 0)
            return dd_err_prefix(err, "instruction %u (INPUT)", i);
        if (reads_frame) *reads_frame = 1;
        break; /* one frame feeds them all */
    }
    return 0;
}

int dd_golden_run(const struct dd_pkg *p, int8_t *arena, const struct dd_isa_frame *frame,
                  struct dd_err *err)
{
    if (dd_isa_check_range(p, 0, p->n_insns, frame, NULL, err) != 0) return -1;
    for (uint32_t i = 0; i < p->n_insns; i++) dd_golden_insn(p, i, arena, frame);
    return 0;
}

/* ---- the backend plug-in: the state is the package ---- */

static int golden_open(const struct dd_pkg *pkg, const struct dd_backend_opts *opts, void **state,
                       struct dd_err *err)
{
    (void)opts;
    (void)err;
    *state = (void *)pkg;
    return 0;
}

static int golden_run(void *state, int8_t *arena, const struct dd_backend_frame *in, uint32_t first,
                      uint32_t count, struct dd_err *err)
{
    const struct dd_pkg *p = state;
    if (dd_isa_check_range(p, first, count, in->frame, NULL, err) != 0) return -1;
    for (uint32_t i = first; i < first + count; i++) dd_golden_insn(p, i, arena, in->frame);
    return 0;
}

static void golden_close(void *state)
{
    (void)state;
}

const struct dd_backend_ops dd_backend_golden = {
    "golden",     "the scalar golden model: the instruction set's specification, slow",
    golden_open,  NULL,
    golden_run,   NULL,
    golden_close,
};

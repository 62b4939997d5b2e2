/* The accelerator kernel (see dd_kernel.h). Every opcode follows
 * accel/golden.c's arithmetic exactly; the structure is the hardware's: an
 * instruction fetch and decode from DRAM, one datapath per opcode, weight
 * rows burst into on-chip memory, int64 requantization in DSPs. */
#include "accel/hls/dd_kernel.h"

#include "isa/isa.h"
#include "isa/isa_input.h"

#ifdef __SYNTHESIS__
#define DD_PRAGMA(x) _Pragma(#x)
#else
#define DD_PRAGMA(x)
#pragma GCC diagnostic ignored "-Wunused-label" /* loop labels name loops in HLS reports */
#endif

/* ---- DRAM access: little-endian records ---- */

static uint32_t ld16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int64_t ld64s(const uint8_t *p)
{
    return (int64_t)((uint64_t)ld32(p) | (uint64_t)ld32(p + 4) << 32);
}

struct tensor {
    uint32_t offset;
    int32_t h, w, c, pitch;
    int32_t zp;
};

struct insn {
    uint32_t opcode, flags, kh, kw, sh, sw, pt, pl, wbits;
    uint32_t in0, in1, out, weights, bias, quant;
    int32_t m0, m1, shift, cmin, cmax;
};

static void load_tensor(const uint8_t *program, uint32_t tensors_offset, uint32_t i,
                        struct tensor *t)
{
    const uint8_t *r = program + tensors_offset + (uint64_t)i * 24;
    t->offset = ld32(r);
    t->h = (int32_t)ld16(r + 4);
    t->w = (int32_t)ld16(r + 6);
    t->c = (int32_t)ld16(r + 8);
    t->pitch = (int32_t)ld16(r + 10);
    t->zp = (int32_t)ld32(r + 12);
}

static void load_insn(const uint8_t *program, uint32_t i, struct insn *in)
{
    const uint8_t *r = program + (uint64_t)i * 64;
    in->opcode = r[0];
    in->flags = r[1];
    in->kh = r[2];
    in->kw = r[3];
    in->sh = r[4];
    in->sw = r[5];
    in->pt = r[6];
    in->pl = r[7];
    in->wbits = r[10];
    in->in0 = ld16(r + 12);
    in->in1 = ld16(r + 14);
    in->out = ld16(r + 16);
    in->weights = ld32(r + 20);
    in->bias = ld32(r + 24);
    in->quant = ld32(r + 28);
    in->m0 = (int32_t)ld32(r + 32);
    in->m1 = (int32_t)ld32(r + 36);
    in->shift = (int32_t)ld32(r + 40);
    in->cmin = (int32_t)ld32(r + 44);
    in->cmax = (int32_t)ld32(r + 48);
}

static uint64_t addr(const struct tensor *t, int32_t y, int32_t x)
{
    return t->offset + ((uint64_t)(uint32_t)y * (uint32_t)t->w + (uint32_t)x) * (uint32_t)t->pitch;
}

/* ---- CONV (dense or depthwise, optional 2x2 max pool) ---- */

static int32_t wt(const int8_t *row, uint32_t k, uint32_t wbits)
{
    if (wbits == 8) return row[k];
    uint32_t b = (uint8_t)row[k / 2];
    int32_t v = (int32_t)((k & 1) ? (b >> 4) : (b & 0x0f));
    return v >= 8 ? v - 16 : v;
}

static void conv(const struct insn *in, const uint8_t *blob, int8_t *arena, const struct tensor *a,
                 const struct tensor *o)
{
    static int8_t wrow[DD_HLS_MAX_ROW];
    DD_PRAGMA(HLS ARRAY_PARTITION variable = wrow cyclic factor = 16)
    int dw = (in->flags & DD_ISA_F_DEPTHWISE) != 0;
    int pool = (in->flags & DD_ISA_F_POOL2X2) ? 2 : 1;
    uint32_t per = in->kh * in->kw * (dw ? 1u : (uint32_t)a->c);
    uint32_t row_bytes = in->wbits == 4 ? (per + 1) / 2 : per;
oc_loop:
    for (int32_t oc = 0; oc < o->c; oc++) {
        DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 1024)
        /* the output channel's weights, bias and multipliers: one burst */
        const uint8_t *src = blob + in->weights + (uint64_t)oc * row_bytes;
    load_w:
        for (uint32_t k = 0; k < row_bytes; k++) {
            DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 8192)
            DD_PRAGMA(HLS PIPELINE II = 1)
            wrow[k] = (int8_t)src[k];
        }
        int32_t bias = (int32_t)ld32(blob + in->bias + 4u * (uint32_t)oc);
        const uint8_t *q = blob + in->quant + 12u * (uint32_t)oc;
        int32_t m = (int32_t)ld32(q), m_neg = (int32_t)ld32(q + 4), s = (int32_t)ld32(q + 8);
    y_loop:
        for (int32_t y = 0; y < o->h; y++) {
            DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 1024)
        x_loop:
            for (int32_t x = 0; x < o->w; x++) {
                DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 1024)
                int32_t best = INT32_MIN;
                for (int32_t dy = 0; dy < pool; dy++)
                    for (int32_t dx = 0; dx < pool; dx++) {
                        int32_t oy = y * pool + dy, ox = x * pool + dx;
                        int32_t acc = bias;
                        uint32_t k = 0;
                    ky_loop:
                        for (uint32_t ky = 0; ky < in->kh; ky++) {
                            DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 7)
                        kx_loop:
                            for (uint32_t kx = 0; kx < in->kw; kx++) {
                                DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 7)
                                int32_t iy = oy * (int32_t)in->sh - (int32_t)in->pt + (int32_t)ky;
                                int32_t ix = ox * (int32_t)in->sw - (int32_t)in->pl + (int32_t)kx;
                                int inside = iy >= 0 && ix >= 0 && iy < a->h && ix < a->w;
                                const int8_t *px = inside ? arena + addr(a, iy, ix) : 0;
                                if (dw) {
                                    int32_t v = inside ? px[oc] : a->zp;
                                    acc += v * wt(wrow, k++, in->wbits);
                                } else {
                                ic_loop:
                                    for (int32_t ic = 0; ic < a->c; ic++) {
                                        DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 1024)
                                        DD_PRAGMA(HLS PIPELINE II = 1)
                                        DD_PRAGMA(HLS UNROLL factor = 16)
                                        int32_t v = inside ? px[ic] : a->zp;
                                        acc += v * wt(wrow, k + (uint32_t)ic, in->wbits);
                                    }
                                    k += (uint32_t)a->c;
                                }
                            }
                        }
                        int32_t mm = ((in->flags & DD_ISA_F_LEAKY) && acc < 0) ? m_neg : m;
                        int32_t v =
                            dd_isa_clamp(dd_isa_requant(acc, mm, s) + o->zp, in->cmin, in->cmax);
                        best = v > best ? v : best;
                    }
                arena[addr(o, y, x) + (uint32_t)oc] = (int8_t)best;
            }
        }
    }
}

/* ---- POOL, ADD, UPSAMPLE, D2S, LUT ---- */

static void pool_op(const struct insn *in, int8_t *arena, const struct tensor *a,
                    const struct tensor *o)
{
    int avg = (in->flags & DD_ISA_F_AVG) != 0;
    for (int32_t y = 0; y < o->h; y++) {
        DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 1024)
        for (int32_t x = 0; x < o->w; x++) {
            DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 1024)
            for (int32_t c = 0; c < o->c; c++) {
                DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 1024)
                DD_PRAGMA(HLS PIPELINE II = 1)
                int32_t acc = avg ? 0 : INT32_MIN, n = 0;
                for (uint32_t ky = 0; ky < in->kh; ky++)
                    for (uint32_t kx = 0; kx < in->kw; kx++) {
                        int32_t iy = y * (int32_t)in->sh - (int32_t)in->pt + (int32_t)ky;
                        int32_t ix = x * (int32_t)in->sw - (int32_t)in->pl + (int32_t)kx;
                        if (iy < 0 || ix < 0 || iy >= a->h || ix >= a->w) continue;
                        int32_t v = arena[addr(a, iy, ix) + (uint32_t)c];
                        acc = avg ? acc + v : (v > acc ? v : acc);
                        n++;
                    }
                int32_t num = 2 * acc + n, den = 2 * n;
                int32_t v = avg ? (num >= 0 ? num / den : -((-num + den - 1) / den)) : acc;
                arena[addr(o, y, x) + (uint32_t)c] = (int8_t)dd_isa_clamp(v, in->cmin, in->cmax);
            }
        }
    }
}

static void add_op(const struct insn *in, int8_t *arena, const struct tensor *a,
                   const struct tensor *b, int has_b, const struct tensor *o)
{
    int64_t half = (int64_t)1 << (in->shift - 1);
    for (int32_t y = 0; y < o->h; y++) {
        DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 1024)
        for (int32_t x = 0; x < o->w; x++) {
            DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 1024)
            for (int32_t c = 0; c < o->c; c++) {
                DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 1024)
                DD_PRAGMA(HLS PIPELINE II = 1)
                int64_t acc = (int64_t)(arena[addr(a, y, x) + (uint32_t)c] - a->zp) * in->m0;
                if (has_b && c < b->c)
                    acc += (int64_t)(arena[addr(b, y, x) + (uint32_t)c] - b->zp) * in->m1;
                int64_t v = ((acc + half) >> in->shift) + o->zp;
                arena[addr(o, y, x) + (uint32_t)c] = (int8_t)dd_isa_clamp(v, in->cmin, in->cmax);
            }
        }
    }
}

static int32_t clampi(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

static void upsample_op(const struct insn *in, int8_t *arena, const struct tensor *a,
                        const struct tensor *o)
{
    int bil = (in->flags & DD_ISA_F_BILINEAR) != 0;
    for (int32_t y = 0; y < o->h; y++) {
        DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 1024)
        for (int32_t x = 0; x < o->w; x++) {
            DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 1024)
            for (int32_t c = 0; c < o->c; c++) {
                DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 1024)
                DD_PRAGMA(HLS PIPELINE II = 1)
                int32_t y0 = y / 2, x0 = x / 2, v;
                if (!bil) {
                    v = arena[addr(a, y0, x0) + (uint32_t)c];
                } else {
                    int32_t y1 = clampi((y & 1) ? y0 + 1 : y0 - 1, 0, a->h - 1);
                    int32_t x1 = clampi((x & 1) ? x0 + 1 : x0 - 1, 0, a->w - 1);
                    int32_t z = a->zp;
                    int32_t s = 9 * (arena[addr(a, y0, x0) + (uint32_t)c] - z) +
                                3 * (arena[addr(a, y0, x1) + (uint32_t)c] - z) +
                                3 * (arena[addr(a, y1, x0) + (uint32_t)c] - z) +
                                (arena[addr(a, y1, x1) + (uint32_t)c] - z);
                    v = ((s + 8) >> 4) + z;
                }
                arena[addr(o, y, x) + (uint32_t)c] = (int8_t)dd_isa_clamp(v, in->cmin, in->cmax);
            }
        }
    }
}

static void d2s_op(const struct insn *in, int8_t *arena, const struct tensor *a,
                   const struct tensor *o)
{
    for (int32_t y = 0; y < o->h; y++) {
        DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 1024)
        for (int32_t x = 0; x < o->w; x++) {
            DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 1024)
            for (int32_t c = 0; c < o->c; c++) {
                DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 1024)
                DD_PRAGMA(HLS PIPELINE II = 1)
                int32_t blk = (y & 1) * 2 + (x & 1);
                int32_t v = arena[addr(a, y / 2, x / 2) + (uint32_t)(blk * o->c + c)];
                arena[addr(o, y, x) + (uint32_t)c] = (int8_t)dd_isa_clamp(v, in->cmin, in->cmax);
            }
        }
    }
}

static void lut_op(const struct insn *in, const uint8_t *blob, int8_t *arena,
                   const struct tensor *a, const struct tensor *o)
{
    int8_t table[256];
    DD_PRAGMA(HLS ARRAY_PARTITION variable = table complete)
    for (int i = 0; i < 256; i++) table[i] = (int8_t)blob[in->weights + (uint32_t)i];
    for (int32_t y = 0; y < o->h; y++) {
        DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 1024)
        for (int32_t x = 0; x < o->w; x++) {
            DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 1024)
            for (int32_t c = 0; c < o->c; c++) {
                DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 1024)
                DD_PRAGMA(HLS PIPELINE II = 1)
                int32_t v = table[arena[addr(a, y, x) + (uint32_t)c] + 128];
                arena[addr(o, y, x) + (uint32_t)c] = (int8_t)dd_isa_clamp(v, in->cmin, in->cmax);
            }
        }
    }
}

/* ---- INPUT: frame -> letterboxed, normalised, quantized tensor ---- */

struct frame_args {
    const uint8_t *data;
    uint32_t format, width, height, stride, uv_offset, uv_stride;
};

/* Pixel (x, y) of the frame in DRAM as RGB: isa/isa_input.h's rule, with
 * NV12's UV plane at uv_offset in the same buffer. */
static void frame_rgb(const struct frame_args *f, uint32_t x, uint32_t y, uint8_t rgb[3])
{
    if (f->format == DD_FRAME_RGB24) {
        const uint8_t *p = f->data + (uint64_t)y * f->stride + (uint64_t)x * 3;
        rgb[0] = p[0];
        rgb[1] = p[1];
        rgb[2] = p[2];
    } else if (f->format == DD_FRAME_NV12) {
        const uint8_t *uv =
            f->data + f->uv_offset + (uint64_t)(y / 2) * f->uv_stride + (uint64_t)(x / 2) * 2;
        dd_isa_yuv_to_rgb(f->data[(uint64_t)y * f->stride + x], uv[0], uv[1], rgb);
    } else {
        const uint8_t *px = f->data + (uint64_t)y * f->stride + (uint64_t)(x / 2) * 4;
        dd_isa_yuv_to_rgb(px[(x & 1) ? 2 : 0], px[1], px[3], rgb);
    }
}

static void input_op(const struct insn *in, const uint8_t *blob, int8_t *arena,
                     const struct tensor *o, const struct frame_args *f)
{
    int64_t a[3], b[3];
    for (int c = 0; c < 3; c++) {
        a[c] = ld64s(blob + in->quant + 8u * (uint32_t)c);
        b[c] = ld64s(blob + in->quant + 24u + 8u * (uint32_t)c);
    }
    int64_t bx64, by64, bw, bh;
    dd_isa_letterbox_box(f->width, f->height, o->w, o->h, &bx64, &by64, &bw, &bh);
    uint32_t bx = (uint32_t)bx64, by = (uint32_t)by64;
    int bgr = (in->flags & DD_ISA_F_BGR) != 0;
    for (uint32_t y = 0; y < (uint32_t)o->h; y++) {
        DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 640)
        for (uint32_t x = 0; x < (uint32_t)o->w; x++) {
            DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 640)
            DD_PRAGMA(HLS PIPELINE II = 4)
            int64_t v[3];
            if (y < by || x < bx || y >= by + (uint32_t)bh || x >= bx + (uint32_t)bw) {
                v[0] = v[1] = v[2] = (int64_t)in->m0 << 16;
            } else {
                uint32_t x0, x1, fx, y0, y1, fy;
                dd_isa_src_taps(x - bx, f->width, (uint32_t)bw, &x0, &x1, &fx);
                dd_isa_src_taps(y - by, f->height, (uint32_t)bh, &y0, &y1, &fy);
                uint8_t p00[3], p01[3], p10[3], p11[3];
                frame_rgb(f, x0, y0, p00);
                frame_rgb(f, x1, y0, p01);
                frame_rgb(f, x0, y1, p10);
                frame_rgb(f, x1, y1, p11);
                for (int c = 0; c < 3; c++)
                    v[c] = dd_isa_bilerp(p00[c], p01[c], p10[c], p11[c], fx, fy);
            }
            for (int c = 0; c < 3; c++)
                arena[addr(o, (int32_t)y, (int32_t)x) + (uint32_t)c] =
                    dd_isa_normalise(v[bgr ? 2 - c : c], a[c], b[c]);
        }
    }
}

/* ---- the top function ---- */

void dd_accel_kernel(const uint8_t *program, const uint8_t *blob, int8_t *arena,
                     const uint8_t *frame, uint32_t tensors_offset, uint32_t first, uint32_t count,
                     uint32_t frame_format, uint32_t frame_width, uint32_t frame_height,
                     uint32_t frame_stride, uint32_t frame_uv_offset, uint32_t frame_uv_stride)
{
    DD_PRAGMA(HLS INTERFACE m_axi port = program offset = slave bundle = gmem0 depth = 65536)
    DD_PRAGMA(HLS INTERFACE m_axi port = blob offset = slave bundle = gmem1 depth = 16777216)
    DD_PRAGMA(HLS INTERFACE m_axi port = arena offset = slave bundle = gmem2 depth = 16777216)
    DD_PRAGMA(HLS INTERFACE m_axi port = frame offset = slave bundle = gmem3 depth = 8294400)
    DD_PRAGMA(HLS INTERFACE s_axilite port = tensors_offset)
    DD_PRAGMA(HLS INTERFACE s_axilite port = first)
    DD_PRAGMA(HLS INTERFACE s_axilite port = count)
    DD_PRAGMA(HLS INTERFACE s_axilite port = frame_format)
    DD_PRAGMA(HLS INTERFACE s_axilite port = frame_width)
    DD_PRAGMA(HLS INTERFACE s_axilite port = frame_height)
    DD_PRAGMA(HLS INTERFACE s_axilite port = frame_stride)
    DD_PRAGMA(HLS INTERFACE s_axilite port = frame_uv_offset)
    DD_PRAGMA(HLS INTERFACE s_axilite port = frame_uv_stride)
    DD_PRAGMA(HLS INTERFACE s_axilite port = return )
    struct frame_args f = {frame,        frame_format,    frame_width,    frame_height,
                           frame_stride, frame_uv_offset, frame_uv_stride};
insn_loop:
    for (uint32_t i = first; i < first + count; i++) {
        DD_PRAGMA(HLS LOOP_TRIPCOUNT max = 256)
        struct insn in;
        struct tensor a, b, o;
        load_insn(program, i, &in);
        load_tensor(program, tensors_offset, in.out, &o);
        if (in.opcode != DD_ISA_INPUT) load_tensor(program, tensors_offset, in.in0, &a);
        int has_b = in.in1 != DD_ISA_NO_TENSOR;
        if (has_b) load_tensor(program, tensors_offset, in.in1, &b);
        switch (in.opcode) {
        case DD_ISA_CONV:
            conv(&in, blob, arena, &a, &o);
            break;
        case DD_ISA_POOL:
            pool_op(&in, arena, &a, &o);
            break;
        case DD_ISA_ADD:
            add_op(&in, arena, &a, &b, has_b, &o);
            break;
        case DD_ISA_UPSAMPLE:
            upsample_op(&in, arena, &a, &o);
            break;
        case DD_ISA_D2S:
            d2s_op(&in, arena, &a, &o);
            break;
        case DD_ISA_LUT:
            lut_op(&in, blob, arena, &a, &o);
            break;
        case DD_ISA_INPUT:
            input_op(&in, blob, arena, &o, &f);
            break;
        default:
            break; /* the host validated the program */
        }
    }
}

#include "detectors/float_ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/graph_shapes.h"

static const struct dd_shape *shape_of(const struct dd_graph *g, int t)
{
    return &g->tensors[t].shape;
}

static float activate(float v, enum dd_activation act, float alpha)
{
    switch (act) {
    case DD_ACT_RELU:
        return v > 0.0f ? v : 0.0f;
    case DD_ACT_RELU6:
        return v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v);
    case DD_ACT_LEAKY_RELU:
        return v < 0.0f ? v * alpha : v;
    default:
        return v;
    }
}

/* NHWC x HWIO convolution. The innermost loop runs over output channels with
 * contiguous weights so the compiler vectorises it. */
static int conv2d(const struct dd_graph *g, const struct dd_node *nd, const float *x,
                  const float *w, const float *bias, float *y, struct dd_err *err)
{
    const struct dd_shape *xs = shape_of(g, nd->inputs[0]), *ws = shape_of(g, nd->inputs[1]);
    const struct dd_shape *ys = shape_of(g, nd->outputs[0]);
    const struct dd_node_attrs *a = &nd->attrs;
    int64_t N = xs->d[0], H = xs->d[1], W = xs->d[2], C = xs->d[3];
    int64_t KH = ws->d[0], KW = ws->d[1], OC = ws->d[3], OH = ys->d[1], OW = ys->d[2];
    int64_t pt = dd_conv_pad_before(H, OH, (int)KH, a->strides[0], a->dilations[0], a->padding);
    int64_t pl = dd_conv_pad_before(W, OW, (int)KW, a->strides[1], a->dilations[1], a->padding);
    float *acc = malloc((size_t)OC * sizeof(float));
    if (!acc) return dd_err_set(err, "out of memory");
    for (int64_t n = 0; n < N; n++)
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++) {
                for (int64_t o = 0; o < OC; o++) acc[o] = bias ? bias[o] : 0.0f;
                for (int64_t ky = 0; ky < KH; ky++) {
                    int64_t iy = oy * a->strides[0] - pt + ky * a->dilations[0];
                    if (iy < 0 || iy >= H) continue;
                    for (int64_t kx = 0; kx < KW; kx++) {
                        int64_t ix = ox * a->strides[1] - pl + kx * a->dilations[1];
                        if (ix < 0 || ix >= W) continue;
                        const float *xp = x + ((n * H + iy) * W + ix) * C;
                        const float *wp = w + (ky * KW + kx) * C * OC;
                        for (int64_t c = 0; c < C; c++) {
                            float xv = xp[c];
                            const float *wr = wp + c * OC;
                            for (int64_t o = 0; o < OC; o++) acc[o] += xv * wr[o];
                        }
                    }
                }
                float *yp = y + ((n * OH + oy) * OW + ox) * OC;
                for (int64_t o = 0; o < OC; o++) yp[o] = activate(acc[o], a->act, a->alpha);
            }
    free(acc);
    return 0;
}

static void depthwise2d(const struct dd_graph *g, const struct dd_node *nd, const float *x,
                        const float *w, const float *bias, float *y)
{
    const struct dd_shape *xs = shape_of(g, nd->inputs[0]), *ws = shape_of(g, nd->inputs[1]);
    const struct dd_shape *ys = shape_of(g, nd->outputs[0]);
    const struct dd_node_attrs *a = &nd->attrs;
    int64_t N = xs->d[0], H = xs->d[1], W = xs->d[2], C = xs->d[3];
    int64_t KH = ws->d[0], KW = ws->d[1], M = ws->d[3], OH = ys->d[1], OW = ys->d[2];
    int64_t OC = C * M;
    int64_t pt = dd_conv_pad_before(H, OH, (int)KH, a->strides[0], a->dilations[0], a->padding);
    int64_t pl = dd_conv_pad_before(W, OW, (int)KW, a->strides[1], a->dilations[1], a->padding);
    for (int64_t n = 0; n < N; n++)
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++) {
                float *yp = y + ((n * OH + oy) * OW + ox) * OC;
                for (int64_t o = 0; o < OC; o++) yp[o] = bias ? bias[o] : 0.0f;
                for (int64_t ky = 0; ky < KH; ky++) {
                    int64_t iy = oy * a->strides[0] - pt + ky * a->dilations[0];
                    if (iy < 0 || iy >= H) continue;
                    for (int64_t kx = 0; kx < KW; kx++) {
                        int64_t ix = ox * a->strides[1] - pl + kx * a->dilations[1];
                        if (ix < 0 || ix >= W) continue;
                        const float *xp = x + ((n * H + iy) * W + ix) * C;
                        const float *wp = w + (ky * KW + kx) * OC;
                        for (int64_t o = 0; o < OC; o++) yp[o] += xp[o / M] * wp[o];
                    }
                }
                for (int64_t o = 0; o < OC; o++) yp[o] = activate(yp[o], a->act, a->alpha);
            }
}

static void pool2d(const struct dd_graph *g, const struct dd_node *nd, const float *x, float *y)
{
    const struct dd_shape *xs = shape_of(g, nd->inputs[0]), *ys = shape_of(g, nd->outputs[0]);
    const struct dd_node_attrs *a = &nd->attrs;
    int64_t N = xs->d[0], H = xs->d[1], W = xs->d[2], C = xs->d[3], OH = ys->d[1], OW = ys->d[2];
    int64_t pt = dd_conv_pad_before(H, OH, a->ksize[0], a->strides[0], 1, a->padding);
    int64_t pl = dd_conv_pad_before(W, OW, a->ksize[1], a->strides[1], 1, a->padding);
    bool is_max = nd->op == DD_OP_MAX_POOL;
    for (int64_t n = 0; n < N; n++)
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++)
                for (int64_t c = 0; c < C; c++) {
                    float acc = is_max ? -INFINITY : 0.0f;
                    int cnt = 0;
                    for (int ky = 0; ky < a->ksize[0]; ky++) {
                        int64_t iy = oy * a->strides[0] - pt + ky;
                        if (iy < 0 || iy >= H) continue;
                        for (int kx = 0; kx < a->ksize[1]; kx++) {
                            int64_t ix = ox * a->strides[1] - pl + kx;
                            if (ix < 0 || ix >= W) continue;
                            float v = x[((n * H + iy) * W + ix) * C + c];
                            acc = is_max ? (v > acc ? v : acc) : acc + v;
                            cnt++;
                        }
                    }
                    y[((n * OH + oy) * OW + ox) * C + c] = is_max ? acc : acc / (float)cnt;
                }
}

/* Row-major strides of s, padded to rank r from the left (broadcast dims get stride 0). */
static void bcast_strides(const struct dd_shape *s, const struct dd_shape *o, int64_t *st)
{
    int64_t acc = 1;
    for (int i = o->rank - 1; i >= 0; i--) {
        int si = s->rank - o->rank + i;
        int64_t d = si >= 0 ? s->d[si] : 1;
        st[i] = d == 1 ? 0 : acc;
        acc *= d;
    }
}

static void binary(const struct dd_graph *g, const struct dd_node *nd, const void *xa,
                   const void *xb, void *y)
{
    const struct dd_shape *o = shape_of(g, nd->outputs[0]);
    int64_t sa[DD_MAX_RANK], sb[DD_MAX_RANK], idx[DD_MAX_RANK] = {0};
    bcast_strides(shape_of(g, nd->inputs[0]), o, sa);
    bcast_strides(shape_of(g, nd->inputs[1]), o, sb);
    bool is_int = g->tensors[nd->outputs[0]].dtype == DD_DTYPE_I32;
    bool mul = nd->op == DD_OP_MUL;
    int64_t cnt = dd_shape_count(o), ia = 0, ib = 0;
    for (int64_t i = 0; i < cnt; i++) {
        if (is_int) {
            int32_t a = ((const int32_t *)xa)[ia], b = ((const int32_t *)xb)[ib];
            ((int32_t *)y)[i] = (int32_t)(mul ? (int64_t)a * b : (int64_t)a + b);
        } else {
            float a = ((const float *)xa)[ia], b = ((const float *)xb)[ib];
            ((float *)y)[i] = mul ? a * b : a + b;
        }
        for (int d = o->rank - 1; d >= 0; d--) { /* odometer increment */
            ia += sa[d];
            ib += sb[d];
            if (++idx[d] < o->d[d]) break;
            ia -= sa[d] * o->d[d];
            ib -= sb[d] * o->d[d];
            idx[d] = 0;
        }
    }
}

static void transpose(const struct dd_graph *g, const struct dd_node *nd, const uint32_t *x,
                      uint32_t *y)
{
    const struct dd_shape *xs = shape_of(g, nd->inputs[0]), *ys = shape_of(g, nd->outputs[0]);
    const int32_t *perm = g->tensors[nd->inputs[1]].data;
    int64_t xst[DD_MAX_RANK], st[DD_MAX_RANK], idx[DD_MAX_RANK] = {0};
    int64_t acc = 1;
    for (int i = xs->rank - 1; i >= 0; i--) xst[i] = acc, acc *= xs->d[i];
    for (int i = 0; i < ys->rank; i++) st[i] = xst[perm[i]];
    int64_t cnt = dd_shape_count(ys), ix = 0;
    for (int64_t i = 0; i < cnt; i++) {
        y[i] = x[ix];
        for (int d = ys->rank - 1; d >= 0; d--) {
            ix += st[d];
            if (++idx[d] < ys->d[d]) break;
            ix -= st[d] * ys->d[d];
            idx[d] = 0;
        }
    }
}

static void pad(const struct dd_graph *g, const struct dd_node *nd, const uint32_t *x,
                const void *value, uint32_t *y)
{
    const struct dd_shape *xs = shape_of(g, nd->inputs[0]), *ys = shape_of(g, nd->outputs[0]);
    const int32_t *p = g->tensors[nd->inputs[1]].data;
    uint32_t fill = 0;
    if (value) memcpy(&fill, value, 4);
    int64_t cnt = dd_shape_count(ys), xst[DD_MAX_RANK], idx[DD_MAX_RANK] = {0}, acc = 1;
    for (int i = xs->rank - 1; i >= 0; i--) xst[i] = acc, acc *= xs->d[i];
    for (int64_t i = 0; i < cnt; i++) {
        int64_t off = 0;
        bool inside = true;
        for (int d = 0; d < ys->rank && inside; d++) {
            int64_t s = idx[d] - p[2 * d];
            inside = s >= 0 && s < xs->d[d];
            off += s * xst[d];
        }
        y[i] = inside ? x[off] : fill;
        for (int d = ys->rank - 1; d >= 0; d--) {
            if (++idx[d] < ys->d[d]) break;
            idx[d] = 0;
        }
    }
}

/* Splits shape s at axis into outer (dims before) and inner (dims after) element counts. */
static void outer_inner(const struct dd_shape *s, int axis, int64_t *outer, int64_t *inner)
{
    *outer = 1;
    *inner = 1;
    for (int i = 0; i < axis; i++) *outer *= s->d[i];
    for (int i = axis + 1; i < s->rank; i++) *inner *= s->d[i];
}

static int axis_of(const struct dd_graph *g, int t, int rank)
{
    int v = ((const int32_t *)g->tensors[t].data)[0];
    return v < 0 ? v + rank : v;
}

static void concat(const struct dd_graph *g, const struct dd_node *nd, const void *const *in,
                   uint32_t *y)
{
    const struct dd_shape *ys = shape_of(g, nd->outputs[0]);
    int nx = nd->n_inputs - 1, axis = axis_of(g, nd->inputs[nx], ys->rank);
    int64_t outer, inner;
    outer_inner(ys, axis, &outer, &inner);
    int64_t yrow = ys->d[axis] * inner, off = 0;
    for (int k = 0; k < nx; k++) {
        int64_t len = shape_of(g, nd->inputs[k])->d[axis] * inner;
        for (int64_t o = 0; o < outer; o++)
            memcpy(y + o * yrow + off, (const uint32_t *)in[k] + o * len, (size_t)len * 4);
        off += len;
    }
}

static void splitv(const struct dd_graph *g, const struct dd_node *nd, const uint32_t *x,
                   void *const *out)
{
    const struct dd_shape *xs = shape_of(g, nd->inputs[0]);
    int axis = axis_of(g, nd->inputs[2], xs->rank);
    int64_t outer, inner;
    outer_inner(xs, axis, &outer, &inner);
    int64_t xrow = xs->d[axis] * inner, off = 0;
    for (int k = 0; k < nd->n_outputs; k++) {
        int64_t len = shape_of(g, nd->outputs[k])->d[axis] * inner;
        for (int64_t o = 0; o < outer; o++)
            memcpy((uint32_t *)out[k] + o * len, x + o * xrow + off, (size_t)len * 4);
        off += len;
    }
}

/* TensorFlow's source coordinate for output index i. */
static float resize_src(int64_t i, float scale, bool half_pixel)
{
    return half_pixel ? ((float)i + 0.5f) * scale - 0.5f : (float)i * scale;
}

static float resize_scale(int64_t in, int64_t out, bool align_corners)
{
    if (align_corners && out > 1) return (float)(in - 1) / (float)(out - 1);
    return (float)in / (float)out;
}

static void resize(const struct dd_graph *g, const struct dd_node *nd, const float *x, float *y)
{
    const struct dd_shape *xs = shape_of(g, nd->inputs[0]), *ys = shape_of(g, nd->outputs[0]);
    const struct dd_node_attrs *a = &nd->attrs;
    int64_t N = xs->d[0], H = xs->d[1], W = xs->d[2], C = xs->d[3], OH = ys->d[1], OW = ys->d[2];
    float sy = resize_scale(H, OH, a->align_corners), sx = resize_scale(W, OW, a->align_corners);
    bool bilinear = nd->op == DD_OP_RESIZE_BILINEAR;
    for (int64_t n = 0; n < N; n++)
        for (int64_t oy = 0; oy < OH; oy++) {
            float fy = resize_src(oy, sy, a->half_pixel_centers);
            for (int64_t ox = 0; ox < OW; ox++) {
                float fx = resize_src(ox, sx, a->half_pixel_centers);
                float *yp = y + ((n * OH + oy) * OW + ox) * C;
                if (bilinear) {
                    float y0f = floorf(fy), x0f = floorf(fx);
                    int64_t y0 = (int64_t)y0f < 0 ? 0 : (int64_t)y0f;
                    int64_t x0 = (int64_t)x0f < 0 ? 0 : (int64_t)x0f;
                    int64_t y1 = (int64_t)ceilf(fy) > H - 1 ? H - 1 : (int64_t)ceilf(fy);
                    int64_t x1 = (int64_t)ceilf(fx) > W - 1 ? W - 1 : (int64_t)ceilf(fx);
                    float ly = fy - y0f, lx = fx - x0f;
                    const float *p00 = x + ((n * H + y0) * W + x0) * C;
                    const float *p01 = x + ((n * H + y0) * W + x1) * C;
                    const float *p10 = x + ((n * H + y1) * W + x0) * C;
                    const float *p11 = x + ((n * H + y1) * W + x1) * C;
                    for (int64_t c = 0; c < C; c++) {
                        float top = p00[c] + (p01[c] - p00[c]) * lx;
                        float bot = p10[c] + (p11[c] - p10[c]) * lx;
                        yp[c] = top + (bot - top) * ly;
                    }
                } else {
                    float ry = a->align_corners
                                   ? roundf(fy)
                                   : floorf(fy + (a->half_pixel_centers ? 0.5f : 0.0f));
                    float rx = a->align_corners
                                   ? roundf(fx)
                                   : floorf(fx + (a->half_pixel_centers ? 0.5f : 0.0f));
                    int64_t iy = (int64_t)ry, ix = (int64_t)rx;
                    iy = iy < 0 ? 0 : (iy > H - 1 ? H - 1 : iy);
                    ix = ix < 0 ? 0 : (ix > W - 1 ? W - 1 : ix);
                    memcpy(yp, x + ((n * H + iy) * W + ix) * C, (size_t)C * sizeof(float));
                }
            }
        }
}

static int sparse_to_dense(const struct dd_graph *g, const struct dd_node *nd,
                           const void *const *in, uint32_t *y, struct dd_err *err)
{
    const struct dd_shape *ys = shape_of(g, nd->outputs[0]);
    const struct dd_shape *is = shape_of(g, nd->inputs[0]);
    const int32_t *idx = in[0];
    const uint32_t *val = in[2], *def = in[3];
    int64_t cnt = dd_shape_count(ys);
    for (int64_t i = 0; i < cnt; i++) y[i] = def[0];
    int64_t nidx = is->rank == 0 ? 1 : is->d[0];
    int per = is->rank < 2 ? 1 : (int)is->d[1];
    bool scalar_val = shape_of(g, nd->inputs[2])->rank == 0;
    for (int64_t k = 0; k < nidx; k++) {
        int64_t off = 0;
        for (int d = 0; d < per; d++) {
            int64_t v = idx[k * per + d];
            if (v < 0 || v >= ys->d[d]) return dd_err_set(err, "index out of range");
            off = off * ys->d[d] + v;
        }
        y[off] = scalar_val ? val[0] : val[k];
    }
    return 0;
}

int dd_float_op_run(const struct dd_graph *g, const struct dd_node *nd, const void *const *in,
                    void *const *out, struct dd_err *err)
{
    const struct dd_tensor *y = &g->tensors[nd->outputs[0]];
    int64_t cnt = dd_shape_count(&y->shape);
    const float *bias = nd->attrs.bias_input >= 0 ? in[nd->attrs.bias_input] : NULL;
    switch (nd->op) {
    case DD_OP_CONV2D:
        return conv2d(g, nd, in[0], in[1], bias, out[0], err);
    case DD_OP_DEPTHWISE_CONV2D:
        depthwise2d(g, nd, in[0], in[1], bias, out[0]);
        return 0;
    case DD_OP_MAX_POOL:
    case DD_OP_AVG_POOL:
        pool2d(g, nd, in[0], out[0]);
        return 0;
    case DD_OP_ADD:
    case DD_OP_MUL:
        binary(g, nd, in[0], in[1], out[0]);
        return 0;
    case DD_OP_RELU:
    case DD_OP_RELU6:
    case DD_OP_LEAKY_RELU: {
        enum dd_activation act = nd->op == DD_OP_RELU    ? DD_ACT_RELU
                                 : nd->op == DD_OP_RELU6 ? DD_ACT_RELU6
                                                         : DD_ACT_LEAKY_RELU;
        const float *x = in[0];
        float *o = out[0];
        for (int64_t i = 0; i < cnt; i++) o[i] = activate(x[i], act, nd->attrs.alpha);
        return 0;
    }
    case DD_OP_SIGMOID: {
        const float *x = in[0];
        float *o = out[0];
        for (int64_t i = 0; i < cnt; i++) o[i] = 1.0f / (1.0f + expf(-x[i]));
        return 0;
    }
    case DD_OP_PAD:
        pad(g, nd, in[0], nd->n_inputs == 3 ? in[2] : NULL, out[0]);
        return 0;
    case DD_OP_TRANSPOSE:
        transpose(g, nd, in[0], out[0]);
        return 0;
    case DD_OP_RESHAPE:
    case DD_OP_IDENTITY:
        memcpy(out[0], in[0], (size_t)cnt * 4);
        return 0;
    case DD_OP_CONCAT:
        concat(g, nd, in, out[0]);
        return 0;
    case DD_OP_SPLITV:
        splitv(g, nd, in[0], out);
        return 0;
    case DD_OP_RESIZE_BILINEAR:
    case DD_OP_RESIZE_NEAREST:
        resize(g, nd, in[0], out[0]);
        return 0;
    case DD_OP_SPARSE_TO_DENSE:
        return sparse_to_dense(g, nd, in, out[0], err);
    default:
        return dd_err_set(err, "no float kernel for op %s", dd_op_name(nd->op));
    }
}

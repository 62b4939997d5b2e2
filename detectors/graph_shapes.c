#include "detectors/graph_shapes.h"

#include <string.h>

#define MAX_ELEMS ((int64_t)1 << 28) /* per activation tensor: 1 GiB of float32 */

int dd_const_ints(const struct dd_graph *g, int tensor, int64_t *out, int max, int *n,
                  struct dd_err *err)
{
    const struct dd_tensor *t = &g->tensors[tensor];
    if (!t->is_const) return dd_err_set(err, "operand '%s' must be a constant", t->name);
    if (t->dtype != DD_DTYPE_I32) return dd_err_set(err, "operand '%s' must be integer", t->name);
    int64_t cnt = dd_shape_count(&t->shape);
    if (cnt < 0 || cnt > max)
        return dd_err_set(err, "operand '%s' has too many values (%lld)", t->name, (long long)cnt);
    const int32_t *v = t->data;
    for (int64_t i = 0; i < cnt; i++) out[i] = v[i];
    *n = (int)cnt;
    return 0;
}

int64_t dd_conv_out_size(int64_t in, int k, int stride, int dilation, enum dd_padding p)
{
    int64_t eff = (int64_t)(k - 1) * dilation + 1;
    if (p == DD_PADDING_SAME) return (in + stride - 1) / stride;
    if (in < eff) return 0;
    return (in - eff) / stride + 1;
}

int64_t dd_conv_pad_before(int64_t in, int64_t out, int k, int stride, int dilation,
                           enum dd_padding p)
{
    if (p == DD_PADDING_VALID) return 0;
    int64_t eff = (int64_t)(k - 1) * dilation + 1;
    int64_t total = (out - 1) * stride + eff - in;
    return total > 0 ? total / 2 : 0;
}

int dd_shape_broadcast(const struct dd_shape *a, const struct dd_shape *b, struct dd_shape *out)
{
    int r = a->rank > b->rank ? a->rank : b->rank;
    out->rank = r;
    for (int i = 0; i < r; i++) {
        int ia = a->rank - r + i, ib = b->rank - r + i;
        int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
        if (da != db && da != 1 && db != 1) return -1;
        out->d[i] = da == 1 ? db : da;
    }
    return 0;
}

static int need_inputs(const struct dd_node *nd, int lo, int hi, struct dd_err *err)
{
    if (nd->n_inputs < lo || nd->n_inputs > hi)
        return dd_err_set(err, "expects %d..%d inputs, has %d", lo, hi, nd->n_inputs);
    return 0;
}

static int need_rank(const struct dd_tensor *t, int rank, struct dd_err *err)
{
    if (t->shape.rank != rank)
        return dd_err_set(err, "input '%s' must have rank %d, has %d", t->name, rank,
                          t->shape.rank);
    return 0;
}

static int normalize_axis(int64_t axis, int rank, int *out, struct dd_err *err)
{
    if (axis < -rank || axis >= rank)
        return dd_err_set(err, "axis %lld out of range for rank %d", (long long)axis, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return 0;
}

static int infer_conv(struct dd_graph *g, const struct dd_node *nd, struct dd_shape *o,
                      struct dd_err *err)
{
    const struct dd_tensor *x = &g->tensors[nd->inputs[0]];
    const struct dd_tensor *w = &g->tensors[nd->inputs[1]];
    if (need_rank(x, 4, err) || need_rank(w, 4, err)) return -1;
    if (!w->is_const || w->dtype != DD_DTYPE_F32)
        return dd_err_set(err, "weights '%s' must be a float constant", w->name);
    if (w->shape.d[2] != x->shape.d[3])
        return dd_err_set(err, "weights '%s' expect %lld input channels, input has %lld", w->name,
                          (long long)w->shape.d[2], (long long)x->shape.d[3]);
    const struct dd_node_attrs *a = &nd->attrs;
    for (int i = 0; i < 2; i++)
        if (a->strides[i] < 1 || a->dilations[i] < 1 || a->strides[i] > 64 || a->dilations[i] > 64)
            return dd_err_set(err, "bad strides/dilations");
    int64_t cout = nd->op == DD_OP_CONV2D ? w->shape.d[3] : w->shape.d[2] * w->shape.d[3];
    if (a->bias_input >= 0) {
        const struct dd_tensor *b = &g->tensors[nd->inputs[a->bias_input]];
        if (!b->is_const || b->dtype != DD_DTYPE_F32 || dd_shape_count(&b->shape) != cout)
            return dd_err_set(err, "bias '%s' must be a float constant of %lld values", b->name,
                              (long long)cout);
    }
    o->rank = 4;
    o->d[0] = x->shape.d[0];
    o->d[1] = dd_conv_out_size(x->shape.d[1], (int)w->shape.d[0], a->strides[0], a->dilations[0],
                               a->padding);
    o->d[2] = dd_conv_out_size(x->shape.d[2], (int)w->shape.d[1], a->strides[1], a->dilations[1],
                               a->padding);
    o->d[3] = cout;
    if (o->d[1] < 1 || o->d[2] < 1) return dd_err_set(err, "kernel larger than input");
    return 0;
}

static int infer_pool(struct dd_graph *g, const struct dd_node *nd, struct dd_shape *o,
                      struct dd_err *err)
{
    const struct dd_tensor *x = &g->tensors[nd->inputs[0]];
    if (need_rank(x, 4, err)) return -1;
    const struct dd_node_attrs *a = &nd->attrs;
    for (int i = 0; i < 2; i++)
        if (a->ksize[i] < 1 || a->ksize[i] > 64 || a->strides[i] < 1 || a->strides[i] > 64)
            return dd_err_set(err, "bad pooling window or strides");
    *o = x->shape;
    o->d[1] = dd_conv_out_size(x->shape.d[1], a->ksize[0], a->strides[0], 1, a->padding);
    o->d[2] = dd_conv_out_size(x->shape.d[2], a->ksize[1], a->strides[1], 1, a->padding);
    if (o->d[1] < 1 || o->d[2] < 1) return dd_err_set(err, "pooling window larger than input");
    return 0;
}

static int infer_pad(struct dd_graph *g, const struct dd_node *nd, struct dd_shape *o,
                     struct dd_err *err)
{
    const struct dd_tensor *x = &g->tensors[nd->inputs[0]];
    int64_t p[2 * DD_MAX_RANK];
    int n;
    if (dd_const_ints(g, nd->inputs[1], p, 2 * DD_MAX_RANK, &n, err)) return -1;
    if (n != 2 * x->shape.rank) return dd_err_set(err, "paddings must hold 2 values per dim");
    if (nd->n_inputs == 3) {
        const struct dd_tensor *v = &g->tensors[nd->inputs[2]];
        if (!v->is_const || dd_shape_count(&v->shape) != 1 || v->dtype != x->dtype)
            return dd_err_set(err, "pad value must be one constant of the input's type");
    }
    *o = x->shape;
    for (int i = 0; i < x->shape.rank; i++) {
        if (p[2 * i] < 0 || p[2 * i + 1] < 0 || p[2 * i] > 4096 || p[2 * i + 1] > 4096)
            return dd_err_set(err, "paddings out of range");
        o->d[i] += p[2 * i] + p[2 * i + 1];
    }
    return 0;
}

static int infer_transpose(struct dd_graph *g, const struct dd_node *nd, struct dd_shape *o,
                           struct dd_err *err)
{
    const struct dd_tensor *x = &g->tensors[nd->inputs[0]];
    int64_t perm[DD_MAX_RANK];
    int n;
    if (dd_const_ints(g, nd->inputs[1], perm, DD_MAX_RANK, &n, err)) return -1;
    if (n != x->shape.rank)
        return dd_err_set(err, "perm has %d values for rank %d", n, x->shape.rank);
    bool seen[DD_MAX_RANK] = {0};
    o->rank = n;
    for (int i = 0; i < n; i++) {
        if (perm[i] < 0 || perm[i] >= n || seen[perm[i]]) return dd_err_set(err, "bad perm");
        seen[perm[i]] = true;
        o->d[i] = x->shape.d[perm[i]];
    }
    return 0;
}

static int infer_reshape(struct dd_graph *g, const struct dd_node *nd, struct dd_shape *o,
                         struct dd_err *err)
{
    const struct dd_tensor *x = &g->tensors[nd->inputs[0]];
    int64_t s[DD_MAX_RANK];
    int n;
    if (dd_const_ints(g, nd->inputs[1], s, DD_MAX_RANK, &n, err)) return -1;
    int64_t known = 1;
    int unknown = -1;
    for (int i = 0; i < n; i++) {
        if (s[i] == -1) {
            if (unknown >= 0) return dd_err_set(err, "more than one -1 in shape");
            unknown = i;
        } else if (s[i] < 0) {
            return dd_err_set(err, "negative dimension in shape");
        } else {
            known *= s[i];
            if (known > MAX_ELEMS) return dd_err_set(err, "shape too large");
        }
    }
    int64_t total = dd_shape_count(&x->shape);
    if (unknown >= 0) {
        if (known == 0 || total % known) return dd_err_set(err, "cannot infer -1 dimension");
        s[unknown] = total / known;
        known = total;
    }
    if (known != total)
        return dd_err_set(err, "reshape of %lld elements to %lld", (long long)total,
                          (long long)known);
    o->rank = n;
    memcpy(o->d, s, sizeof(int64_t) * (size_t)n);
    return 0;
}

static int infer_concat(struct dd_graph *g, const struct dd_node *nd, struct dd_shape *o,
                        struct dd_err *err)
{
    int nx = nd->n_inputs - 1;
    if (nx < 1) return dd_err_set(err, "needs at least one input and an axis");
    int64_t ax;
    int n, axis = 0;
    if (dd_const_ints(g, nd->inputs[nx], &ax, 1, &n, err)) return -1;
    if (n != 1) return dd_err_set(err, "axis must be a scalar");
    const struct dd_tensor *x0 = &g->tensors[nd->inputs[0]];
    if (normalize_axis(ax, x0->shape.rank, &axis, err)) return -1;
    *o = x0->shape;
    for (int k = 1; k < nx; k++) {
        const struct dd_tensor *xk = &g->tensors[nd->inputs[k]];
        if (xk->shape.rank != x0->shape.rank || xk->dtype != x0->dtype)
            return dd_err_set(err, "inputs differ in rank or type");
        for (int i = 0; i < o->rank; i++)
            if (i != axis && xk->shape.d[i] != x0->shape.d[i])
                return dd_err_set(err, "inputs differ outside the concat axis");
        o->d[axis] += xk->shape.d[axis];
    }
    return 0;
}

static int infer_splitv(struct dd_graph *g, const struct dd_node *nd, struct dd_err *err)
{
    const struct dd_tensor *x = &g->tensors[nd->inputs[0]];
    int64_t sizes[DD_MAX_NODE_OUTPUTS], ax;
    int n, na, axis = 0;
    if (dd_const_ints(g, nd->inputs[1], sizes, DD_MAX_NODE_OUTPUTS, &n, err)) return -1;
    if (dd_const_ints(g, nd->inputs[2], &ax, 1, &na, err)) return -1;
    if (na != 1 || normalize_axis(ax, x->shape.rank, &axis, err))
        return dd_err_set(err, "bad axis");
    if (n != nd->n_outputs) return dd_err_set(err, "%d sizes for %d outputs", n, nd->n_outputs);
    int64_t sum = 0;
    int unknown = -1;
    for (int i = 0; i < n; i++) {
        if (sizes[i] == -1 && unknown < 0)
            unknown = i;
        else if (sizes[i] < 0)
            return dd_err_set(err, "bad split sizes");
        else
            sum += sizes[i];
    }
    if (unknown >= 0) sizes[unknown] = x->shape.d[axis] - sum, sum = x->shape.d[axis];
    if (sum != x->shape.d[axis] || (unknown >= 0 && sizes[unknown] < 0))
        return dd_err_set(err, "split sizes do not add up to the axis length");
    for (int i = 0; i < n; i++) {
        struct dd_tensor *t = &g->tensors[nd->outputs[i]];
        t->shape = x->shape;
        t->shape.d[axis] = sizes[i];
        t->dtype = x->dtype;
    }
    return 0;
}

static int infer_resize(struct dd_graph *g, const struct dd_node *nd, struct dd_shape *o,
                        struct dd_err *err)
{
    const struct dd_tensor *x = &g->tensors[nd->inputs[0]];
    if (need_rank(x, 4, err)) return -1;
    int64_t s[2];
    int n;
    if (dd_const_ints(g, nd->inputs[1], s, 2, &n, err)) return -1;
    if (n != 2 || s[0] < 1 || s[1] < 1 || s[0] > 16384 || s[1] > 16384)
        return dd_err_set(err, "bad resize size");
    if (nd->attrs.align_corners && nd->attrs.half_pixel_centers)
        return dd_err_set(err, "align_corners and half_pixel_centers are exclusive");
    *o = x->shape;
    o->d[1] = s[0];
    o->d[2] = s[1];
    return 0;
}

static int infer_sparse_to_dense(struct dd_graph *g, const struct dd_node *nd, struct dd_shape *o,
                                 struct dd_err *err)
{
    int64_t s[DD_MAX_RANK];
    int n;
    if (dd_const_ints(g, nd->inputs[1], s, DD_MAX_RANK, &n, err)) return -1;
    const struct dd_tensor *idx = &g->tensors[nd->inputs[0]];
    const struct dd_tensor *val = &g->tensors[nd->inputs[2]];
    const struct dd_tensor *def = &g->tensors[nd->inputs[3]];
    if (idx->dtype != DD_DTYPE_I32 || dd_shape_count(&def->shape) != 1 || val->dtype != def->dtype)
        return dd_err_set(err, "bad operand types");
    int64_t nidx = idx->shape.rank == 0 ? 1 : idx->shape.d[0];
    int64_t nval = dd_shape_count(&val->shape);
    if (val->shape.rank != 0 && nval != nidx)
        return dd_err_set(err, "%lld values for %lld indices", (long long)nval, (long long)nidx);
    int per = idx->shape.rank < 2 ? 1 : (int)idx->shape.d[1];
    if (per != n && nidx > 0) return dd_err_set(err, "index rank differs from output rank");
    o->rank = n;
    for (int i = 0; i < n; i++) {
        if (s[i] < 0 || s[i] > 65536) return dd_err_set(err, "bad output shape");
        o->d[i] = s[i];
    }
    return 0;
}

int dd_graph_infer_shapes(struct dd_graph *g, const struct dd_node *nd, struct dd_err *err)
{
    struct dd_shape o = {0};
    const struct dd_tensor *x = nd->n_inputs > 0 ? &g->tensors[nd->inputs[0]] : NULL;
    enum dd_dtype dt = x ? x->dtype : DD_DTYPE_F32;
    int rc = 0;
    if (nd->n_outputs < 1) return dd_err_set(err, "node has no outputs");
    if (nd->op != DD_OP_SPLITV && nd->n_outputs != 1) return dd_err_set(err, "expects one output");
    switch (nd->op) {
    case DD_OP_CONV2D:
    case DD_OP_DEPTHWISE_CONV2D:
        rc = need_inputs(nd, 2, 3, err) || infer_conv(g, nd, &o, err);
        break;
    case DD_OP_MAX_POOL:
    case DD_OP_AVG_POOL:
        rc = need_inputs(nd, 1, 1, err) || infer_pool(g, nd, &o, err);
        break;
    case DD_OP_ADD:
    case DD_OP_MUL: {
        if (need_inputs(nd, 2, 2, err)) return -1;
        const struct dd_tensor *y = &g->tensors[nd->inputs[1]];
        if (x->dtype != y->dtype) return dd_err_set(err, "operand types differ");
        if (dd_shape_broadcast(&x->shape, &y->shape, &o) != 0)
            return dd_err_set(err, "operands '%s' and '%s' do not broadcast", x->name, y->name);
        break;
    }
    case DD_OP_RELU:
    case DD_OP_RELU6:
    case DD_OP_LEAKY_RELU:
    case DD_OP_SIGMOID:
    case DD_OP_IDENTITY:
        rc = need_inputs(nd, 1, 1, err);
        if (!rc && nd->op != DD_OP_IDENTITY && dt != DD_DTYPE_F32)
            return dd_err_set(err, "expects a float input");
        o = x ? x->shape : o;
        break;
    case DD_OP_PAD:
        rc = need_inputs(nd, 2, 3, err) || infer_pad(g, nd, &o, err);
        break;
    case DD_OP_TRANSPOSE:
        rc = need_inputs(nd, 2, 2, err) || infer_transpose(g, nd, &o, err);
        break;
    case DD_OP_RESHAPE:
        rc = need_inputs(nd, 2, 2, err) || infer_reshape(g, nd, &o, err);
        break;
    case DD_OP_CONCAT:
        rc = infer_concat(g, nd, &o, err);
        break;
    case DD_OP_SPLITV:
        return need_inputs(nd, 3, 3, err) || infer_splitv(g, nd, err) ? -1 : 0;
    case DD_OP_RESIZE_BILINEAR:
    case DD_OP_RESIZE_NEAREST:
        rc = need_inputs(nd, 2, 2, err) || infer_resize(g, nd, &o, err);
        break;
    case DD_OP_SPARSE_TO_DENSE:
        rc = need_inputs(nd, 4, 4, err) || infer_sparse_to_dense(g, nd, &o, err);
        dt = nd->n_inputs == 4 ? g->tensors[nd->inputs[2]].dtype : dt;
        break;
    default:
        return dd_err_set(err, "unknown op %d", (int)nd->op);
    }
    if (rc) return -1;
    int64_t count = dd_shape_count(&o);
    if (count < 0 || count > MAX_ELEMS) return dd_err_set(err, "output too large");
    g->tensors[nd->outputs[0]].shape = o;
    g->tensors[nd->outputs[0]].dtype = dt;
    return 0;
}

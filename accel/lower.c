#include "accel/lower.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/graph_shapes.h"

enum { PH = 0, PW = 1, PC = 2 };

/* What an IR tensor is, in lowered terms. */
struct value {
    bool set;
    int t; /* LG tensor */
    struct lg_view v;
    int pt, pb, pl, pr; /* pending spatial padding (applied by the consumer) */
    int cpad;           /* pending channel padding after the last channel */
    float pad_value;
};

struct lower {
    struct lg_graph *lg;
    const struct dd_graph *g;
    struct value *val; /* per IR tensor */
    int *ir_uses;      /* per IR tensor: consumers left (+1 for graph outputs) */
    struct dd_err *err;
    const struct dd_node *nd; /* current node, for messages */
};

static int fail(struct lower *L, const char *fmt, const char *detail)
{
    return dd_err_set(L->err, "node '%s' (%s): %s%s", L->nd ? L->nd->name : "?",
                      L->nd ? dd_op_name(L->nd->op) : "?", fmt, detail ? detail : "");
}

void dd_lower_destroy(struct lg_graph *lg)
{
    if (!lg) return;
    for (int i = 0; i < lg->n_op; i++) free(lg->op[i].bias);
    for (int i = 0; i < lg->n_t; i++) free(lg->t[i].eq);
    free(lg->op);
    free(lg->t);
    free(lg);
}

int lg_root(const struct lg_graph *lg, int t, int *ch_off)
{
    int off = 0;
    while (lg->t[t].parent >= 0) {
        off += lg->t[t].ch_off;
        t = lg->t[t].parent;
    }
    if (ch_off) *ch_off = off;
    return t;
}

int lg_quant_root(const struct lg_graph *lg, int t)
{
    for (;;) {
        if (lg->t[t].parent >= 0)
            t = lg->t[t].parent;
        else if (lg->t[t].tie >= 0)
            t = lg->t[t].tie;
        else
            return t;
    }
}

static int new_tensor(struct lower *L, int h, int w, int c)
{
    struct lg_graph *lg = L->lg;
    if (lg->n_t == lg->cap_t) {
        int cap = lg->cap_t ? 2 * lg->cap_t : 64;
        struct lg_tensor *t = realloc(lg->t, (size_t)cap * sizeof(*t));
        if (!t) return dd_err_set(L->err, "out of memory");
        lg->t = t;
        lg->cap_t = cap;
    }
    struct lg_tensor *t = &lg->t[lg->n_t];
    memset(t, 0, sizeof(*t));
    t->h = h, t->w = w, t->c = c;
    t->parent = t->tie = t->ir = t->producer = -1;
    return lg->n_t++;
}

static int new_op(struct lower *L, enum lg_kind kind, int in0, int in1, int out)
{
    struct lg_graph *lg = L->lg;
    if (lg->n_op == lg->cap_op) {
        int cap = lg->cap_op ? 2 * lg->cap_op : 64;
        struct lg_op *o = realloc(lg->op, (size_t)cap * sizeof(*o));
        if (!o) return dd_err_set(L->err, "out of memory");
        lg->op = o;
        lg->cap_op = cap;
    }
    struct lg_op *o = &lg->op[lg->n_op];
    memset(o, 0, sizeof(*o));
    o->kind = kind, o->in0 = in0, o->in1 = in1, o->out = out;
    o->weights = -1;
    o->ir_node = L->nd ? (int)(L->nd - L->g->nodes) : -1;
    lg->t[out].producer = lg->n_op;
    return lg->n_op++;
}

static struct lg_view view_nhwc(void)
{
    return (struct lg_view){4, {-1, PH, PW, PC}, {-1, PH, PW, PC}, false};
}

static bool is_nhwc(const struct lg_view *v)
{
    struct lg_view n = view_nhwc();
    return v->rank == 4 && memcmp(v->lo, n.lo, 4) == 0 && memcmp(v->hi, n.hi, 4) == 0;
}

static int channel_axis(const struct lg_view *v)
{
    for (int k = 0; k < v->rank; k++)
        if (v->lo[k] == PC && v->hi[k] == PC) return k;
    return -1;
}

/* Binds IR tensor ir to LG tensor t with view v; its consumers become uses of t. */
static void bind(struct lower *L, int ir, int t, struct lg_view v)
{
    struct value *x = &L->val[ir];
    memset(x, 0, sizeof(*x));
    x->set = true;
    x->t = t;
    x->v = v;
    L->lg->t[t].uses += L->ir_uses[ir];
    L->lg->t[t].ir = ir;
    L->lg->t[t].view = v;
}

static bool has_pending_pad(const struct value *x)
{
    return x->pt || x->pb || x->pl || x->pr || x->cpad;
}

static const struct value *input_value(struct lower *L, int k)
{
    int ir = L->nd->inputs[k];
    struct value *x = &L->val[ir];
    return x->set ? x : NULL;
}

/* A fresh LG tensor for the node's output 0 with an NHWC view. */
static int out_nhwc(struct lower *L)
{
    const struct dd_shape *s = &L->g->tensors[L->nd->outputs[0]].shape;
    if (s->rank != 4 || s->d[0] != 1) return fail(L, "output must be [1,H,W,C]", NULL), -1;
    int t = new_tensor(L, (int)s->d[1], (int)s->d[2], (int)s->d[3]);
    if (t >= 0) bind(L, L->nd->outputs[0], t, view_nhwc());
    return t;
}

static bool view_is_row_major(const struct lg_view *v, const struct lg_tensor *t);

/* ---- ops ------------------------------------------------------------------- */

static int lower_conv(struct lower *L)
{
    const struct dd_node *nd = L->nd;
    const struct value *x = input_value(L, 0);
    if (!is_nhwc(&x->v) || x->cpad) return fail(L, "input is not an NHWC activation", NULL);
    if (has_pending_pad(x) && x->pad_value != 0.0f) return fail(L, "non-zero padding value", NULL);
    const struct dd_shape *xs = &L->g->tensors[nd->inputs[0]].shape;
    const struct dd_shape *ws = &L->g->tensors[nd->inputs[1]].shape;
    const struct dd_shape *ys = &L->g->tensors[nd->outputs[0]].shape;
    const struct dd_node_attrs *a = &nd->attrs;
    if (a->dilations[0] != 1 || a->dilations[1] != 1)
        return fail(L, "dilation is not supported", NULL);
    if (nd->op == DD_OP_DEPTHWISE_CONV2D && ws->d[3] != 1)
        return fail(L, "depthwise multiplier must be 1", NULL);
    int kh = (int)ws->d[0], kw = (int)ws->d[1];
    int pt = (int)dd_conv_pad_before(xs->d[1], ys->d[1], kh, a->strides[0], 1, a->padding);
    int pl = (int)dd_conv_pad_before(xs->d[2], ys->d[2], kw, a->strides[1], 1, a->padding);
    int pb = (int)((ys->d[1] - 1) * a->strides[0] + kh - xs->d[1] - pt);
    int pr = (int)((ys->d[2] - 1) * a->strides[1] + kw - xs->d[2] - pl);
    pb = pb < 0 ? 0 : pb, pr = pr < 0 ? 0 : pr;
    int in_t = x->t;
    struct lg_op tmp = {0};
    tmp.pt = pt + x->pt, tmp.pb = pb + x->pb, tmp.pl = pl + x->pl, tmp.pr = pr + x->pr;
    if (tmp.pt > 255 || tmp.pb > 255 || tmp.pl > 255 || tmp.pr > 255 || kh > 15 || kw > 15 ||
        a->strides[0] > 255 || a->strides[1] > 255)
        return fail(L, "kernel, stride or padding beyond the ISA's fields", NULL);
    int out = out_nhwc(L);
    if (out < 0) return -1;
    int o = new_op(L, LG_CONV, in_t, -1, out);
    if (o < 0) return -1;
    struct lg_op *op = &L->lg->op[o];
    op->weights = nd->inputs[1];
    op->kh = kh, op->kw = kw, op->sh = a->strides[0], op->sw = a->strides[1];
    op->pt = tmp.pt, op->pb = tmp.pb, op->pl = tmp.pl, op->pr = tmp.pr;
    op->depthwise = nd->op == DD_OP_DEPTHWISE_CONV2D;
    op->act = a->act;
    op->alpha = a->alpha;
    int oc = L->lg->t[out].c;
    op->bias = calloc((size_t)oc, sizeof(float));
    if (!op->bias) return dd_err_set(L->err, "out of memory");
    if (a->bias_input >= 0)
        memcpy(op->bias, L->g->tensors[nd->inputs[a->bias_input]].data, (size_t)oc * 4);
    L->lg->t[in_t].need_means = true;
    return 0;
}

/* The LG op producing t if nothing else will read t (fusion is safe). */
static struct lg_op *sole_producer(struct lower *L, int t)
{
    const struct lg_tensor *lt = &L->lg->t[t];
    if (lt->uses != 0 || lt->producer < 0 || lt->parent >= 0) return NULL;
    return &L->lg->op[lt->producer];
}

static int lower_add(struct lower *L)
{
    const struct dd_node *nd = L->nd;
    const struct dd_tensor *ta = &L->g->tensors[nd->inputs[0]], *tb = &L->g->tensors[nd->inputs[1]];
    if (ta->is_const || tb->is_const) { /* bias add: fold into the producing convolution */
        int k = ta->is_const ? 1 : 0;
        const struct dd_tensor *cst = ta->is_const ? ta : tb;
        const struct value *x = input_value(L, k);
        int cax = channel_axis(&x->v);
        const struct dd_shape *xs = &L->g->tensors[nd->inputs[k]].shape;
        int64_t n = dd_shape_count(&cst->shape);
        if (cax < 0 || n != xs->d[cax] || has_pending_pad(x))
            return fail(L, "constant add is not a per-channel bias", NULL);
        for (int i = 0; i < cst->shape.rank;
             i++) { /* its one non-1 dim must align with the channel axis */
            int ax = xs->rank - cst->shape.rank + i;
            if (cst->shape.d[i] != 1 && ax != cax)
                return fail(L, "constant add is not a per-channel bias", NULL);
        }
        struct lg_op *p = sole_producer(L, x->t);
        if (!p || p->kind != LG_CONV || p->act != DD_ACT_NONE)
            return fail(L, "bias add does not follow a convolution", NULL);
        const float *b = cst->data;
        for (int64_t i = 0; i < n; i++) p->bias[i] += b[i];
        struct value nv = *x;
        bind(L, nd->outputs[0], x->t, x->v);
        L->val[nd->outputs[0]] = nv;
        return 0;
    }
    const struct value *a = input_value(L, 0), *b = input_value(L, 1);
    if (a->cpad) {
        const struct value *s = a;
        a = b, b = s;
    }
    if (a->cpad || a->pt || a->pb || a->pl || a->pr || b->pt || b->pb || b->pl || b->pr)
        return fail(L, "padded operands", NULL);
    if (memcmp(&a->v, &b->v, sizeof(a->v)) != 0)
        return fail(L, "operands have different layouts", NULL);
    const struct lg_tensor *at = &L->lg->t[a->t], *bt = &L->lg->t[b->t];
    if (at->h != bt->h || at->w != bt->w || bt->c + b->cpad != at->c)
        return fail(L, "operand shapes differ", NULL);
    int out = new_tensor(L, at->h, at->w, at->c);
    if (out < 0) return -1;
    int in0 = a->t, in1 = b->t;
    bind(L, nd->outputs[0], out, a->v);
    return new_op(L, LG_ADD, in0, in1, out) < 0 ? -1 : 0;
}

static int lower_activation(struct lower *L)
{
    const struct dd_node *nd = L->nd;
    const struct value *x = input_value(L, 0);
    if (has_pending_pad(x)) return fail(L, "activation of a padded tensor", NULL);
    struct lg_op *p = sole_producer(L, x->t);
    enum dd_activation act = nd->op == DD_OP_RELU    ? DD_ACT_RELU
                             : nd->op == DD_OP_RELU6 ? DD_ACT_RELU6
                                                     : DD_ACT_LEAKY_RELU;
    if (p && p->kind == LG_CONV && p->act == DD_ACT_NONE) {
        p->act = act;
        p->alpha = nd->attrs.alpha;
    } else if (p && p->kind == LG_ADD && act == DD_ACT_RELU && !p->relu) {
        p->relu = true;
    } else if (act == DD_ACT_RELU) { /* standalone ReLU: a clamped copy */
        const struct lg_tensor *xt = &L->lg->t[x->t];
        int out = new_tensor(L, xt->h, xt->w, xt->c);
        if (out < 0) return -1;
        struct lg_view v = x->v;
        int in = x->t;
        bind(L, nd->outputs[0], out, v);
        int o = new_op(L, LG_ADD, in, -1, out);
        if (o < 0) return -1;
        L->lg->op[o].relu = true;
        return 0;
    } else {
        return fail(L, "activation does not follow a convolution", NULL);
    }
    bind(L, nd->outputs[0], x->t, x->v);
    return 0;
}

static int lower_sigmoid(struct lower *L)
{
    const struct value *x = input_value(L, 0);
    if (has_pending_pad(x)) return fail(L, "sigmoid of a padded tensor", NULL);
    const struct lg_tensor *xt = &L->lg->t[x->t];
    int out = new_tensor(L, xt->h, xt->w, xt->c);
    if (out < 0) return -1;
    int in = x->t;
    struct lg_view v = x->v;
    bind(L, L->nd->outputs[0], out, v);
    L->lg->t[out].fixed_quant = true;
    return new_op(L, LG_SIGMOID, in, -1, out) < 0 ? -1 : 0;
}

static int lower_pool(struct lower *L, bool avg, int kh, int kw, int sh, int sw,
                      enum dd_padding pad)
{
    const struct value *x = input_value(L, 0);
    if (!is_nhwc(&x->v) || x->cpad) return fail(L, "input is not an NHWC activation", NULL);
    if (has_pending_pad(x) && (avg || !(x->pad_value <= -1e30f)))
        return fail(L, "pooling over explicit padding needs a -inf max pool", NULL);
    const struct dd_shape *xs = &L->g->tensors[L->nd->inputs[0]].shape;
    const struct dd_shape *ys = &L->g->tensors[L->nd->outputs[0]].shape;
    int pt = (int)dd_conv_pad_before(xs->d[1], ys->d[1], kh, sh, 1, pad);
    int pl = (int)dd_conv_pad_before(xs->d[2], ys->d[2], kw, sw, 1, pad);
    int pb = (int)((ys->d[1] - 1) * sh + kh - xs->d[1] - pt),
        pr = (int)((ys->d[2] - 1) * sw + kw - xs->d[2] - pl);
    pb = pb < 0 ? 0 : pb, pr = pr < 0 ? 0 : pr;
    int in_t = x->t;
    int t_pt = pt + x->pt, t_pb = pb + x->pb, t_pl = pl + x->pl, t_pr = pr + x->pr;
    if (t_pt >= kh || t_pb >= kh || t_pl >= kw || t_pr >= kw)
        return fail(L, "pooling padding as large as the window", NULL);
    int out = out_nhwc(L);
    if (out < 0) return -1;
    L->lg->t[out].tie = in_t;
    int o = new_op(L, LG_POOL, in_t, -1, out);
    if (o < 0) return -1;
    struct lg_op *op = &L->lg->op[o];
    op->avg = avg, op->kh = kh, op->kw = kw, op->sh = sh, op->sw = sw;
    op->pt = t_pt, op->pb = t_pb, op->pl = t_pl, op->pr = t_pr;
    return 0;
}

static int lower_resize(struct lower *L)
{
    const struct dd_node *nd = L->nd;
    const struct dd_shape *xs = &L->g->tensors[nd->inputs[0]].shape;
    const struct dd_shape *ys = &L->g->tensors[nd->outputs[0]].shape;
    bool bil = nd->op == DD_OP_RESIZE_BILINEAR;
    if (ys->d[1] == 2 * xs->d[1] && ys->d[2] == 2 * xs->d[2]) {
        if (bil && !nd->attrs.half_pixel_centers)
            return fail(L, "bilinear 2x up needs half-pixel centres", NULL);
        if (!bil && (nd->attrs.align_corners || nd->attrs.half_pixel_centers))
            return fail(L, "nearest 2x up must be plain", NULL);
        const struct value *x = input_value(L, 0);
        if (!is_nhwc(&x->v) || has_pending_pad(x))
            return fail(L, "input is not an NHWC activation", NULL);
        int in_t = x->t;
        int out = out_nhwc(L);
        if (out < 0) return -1;
        L->lg->t[out].tie = in_t;
        int o = new_op(L, LG_UPSAMPLE, in_t, -1, out);
        if (o < 0) return -1;
        L->lg->op[o].bilinear = bil;
        return 0;
    }
    if (bil && nd->attrs.half_pixel_centers && 2 * ys->d[1] == xs->d[1] && 2 * ys->d[2] == xs->d[2])
        return lower_pool(L, true, 2, 2, 2, 2, DD_PADDING_VALID); /* = 2x2 average pooling */
    return fail(L, "only 2x up- and (half-pixel bilinear) 2x down-sampling are supported", NULL);
}

static int lower_pad(struct lower *L)
{
    const struct dd_node *nd = L->nd;
    const struct value *x = input_value(L, 0);
    const int32_t *p = L->g->tensors[nd->inputs[1]].data;
    float value = nd->n_inputs == 3 ? *(const float *)L->g->tensors[nd->inputs[2]].data : 0.0f;
    struct value nv = *x;
    if (has_pending_pad(x) && value != x->pad_value)
        return fail(L, "padding with two values", NULL);
    nv.pad_value = value;
    for (int k = 0; k < x->v.rank; k++) {
        int before = p[2 * k], after = p[2 * k + 1];
        if (!before && !after) continue;
        if (x->v.lo[k] < 0 || x->v.lo[k] != x->v.hi[k])
            return fail(L, "padding of a merged axis", NULL);
        switch (x->v.lo[k]) {
        case PH:
            nv.pt += before, nv.pb += after;
            break;
        case PW:
            nv.pl += before, nv.pr += after;
            break;
        default:
            if (before || value != 0.0f)
                return fail(L, "channel padding must be zeros after the channels", NULL);
            nv.cpad += after;
        }
    }
    L->lg->t[x->t].uses += L->ir_uses[nd->outputs[0]];
    L->val[nd->outputs[0]] = nv;
    return 0;
}

static int lower_transpose(struct lower *L)
{
    const struct value *x = input_value(L, 0);
    const int32_t *perm = L->g->tensors[L->nd->inputs[1]].data;
    for (int k = 0; k < x->v.rank && x->v.flat; k++)
        if (perm[k] != k) return fail(L, "transpose of a reshaped (flat) tensor", NULL);
    struct value nv = *x;
    for (int k = 0; k < x->v.rank; k++)
        nv.v.lo[k] = x->v.lo[perm[k]], nv.v.hi[k] = x->v.hi[perm[k]];
    L->lg->t[x->t].uses += L->ir_uses[L->nd->outputs[0]];
    L->val[L->nd->outputs[0]] = nv;
    return 0;
}

/* Reshape: new axes must be runs of old axes covering adjacent physical ranges. */
static int lower_reshape(struct lower *L)
{
    const struct value *x = input_value(L, 0);
    if (has_pending_pad(x)) return fail(L, "reshape of a padded tensor", NULL);
    const struct dd_shape *os = &L->g->tensors[L->nd->inputs[0]].shape;
    const struct dd_shape *ns = &L->g->tensors[L->nd->outputs[0]].shape;
    struct value nv = *x;
    nv.v.rank = ns->rank;
    int i = 0;
    if (x->v.flat) { /* stays a byte reinterpretation */
        for (int k = 0; k < ns->rank; k++) nv.v.lo[k] = nv.v.hi[k] = -1;
        goto bound;
    }
    for (int j = 0; j < ns->rank; j++) {
        nv.v.lo[j] = nv.v.hi[j] = -1;
        if (ns->d[j] == 1) continue;
        int64_t prod = 1;
        int lo = -1, hi = -1;
        while (prod < ns->d[j] && i < os->rank) {
            if (os->d[i] == 1) {
                i++;
                continue;
            }
            if (x->v.lo[i] < 0 || (lo >= 0 && x->v.lo[i] != hi + 1))
                return fail(L, "reshape reorders physical axes", NULL);
            if (lo < 0) lo = x->v.lo[i];
            hi = x->v.hi[i];
            prod *= os->d[i++];
        }
        if (prod != ns->d[j]) {
            /* splits an axis: fine as a reinterpretation of bytes already in HWC order */
            if (!view_is_row_major(&x->v, &L->lg->t[x->t]))
                return fail(L, "reshape splits an axis of a transposed tensor", NULL);
            nv.v.flat = true;
            for (int k = 0; k < ns->rank; k++) nv.v.lo[k] = nv.v.hi[k] = -1;
            break;
        }
        nv.v.lo[j] = (int8_t)lo, nv.v.hi[j] = (int8_t)hi;
    }
bound:
    L->lg->t[x->t].uses += L->ir_uses[L->nd->outputs[0]];
    L->lg->t[x->t].view = nv.v;
    L->lg->t[x->t].ir = L->nd->outputs[0];
    L->val[L->nd->outputs[0]] = nv;
    return 0;
}

static int lower_concat(struct lower *L)
{
    const struct dd_node *nd = L->nd;
    int nx = nd->n_inputs - 1;
    const struct value *x0 = input_value(L, 0);
    int cax = channel_axis(&x0->v);
    int axis = ((const int32_t *)L->g->tensors[nd->inputs[nx]].data)[0];
    if (axis < 0) axis += x0->v.rank;
    if (cax < 0 || axis != cax) return fail(L, "concatenation along a non-channel axis", NULL);
    const struct lg_tensor *t0 = &L->lg->t[x0->t];
    int c = 0;
    for (int k = 0; k < nx; k++) {
        const struct value *x = input_value(L, k);
        if (has_pending_pad(x) || memcmp(&x->v, &x0->v, sizeof(x->v)) != 0)
            return fail(L, "inputs differ in layout", NULL);
        c += L->lg->t[x->t].c;
    }
    int h = t0->h, w = t0->w;
    struct lg_view v = x0->v;
    int out = new_tensor(L, h, w, c);
    if (out < 0) return -1;
    int off = 0;
    for (int k = 0; k < nx; k++) {
        const struct value *x = input_value(L, k);
        struct lg_tensor *xt = &L->lg->t[x->t];
        int xc = xt->c;
        bool free_slot =
            xt->parent < 0 && xt->tie < 0 && !xt->fixed_quant && xt->uses == 0 &&
            xt->producer >= 0 &&
            (L->lg->op[xt->producer].kind == LG_CONV || L->lg->op[xt->producer].kind == LG_ADD);
        if (free_slot) { /* its producer writes straight into the slice */
            xt->parent = out;
            xt->ch_off = off;
        } else { /* a rescaling copy into the slice */
            int in = x->t;
            int s = new_tensor(L, h, w, xc);
            if (s < 0) return -1;
            L->lg->t[s].parent = out;
            L->lg->t[s].ch_off = off;
            if (new_op(L, LG_ADD, in, -1, s) < 0) return -1;
        }
        off += xc;
    }
    bind(L, nd->outputs[0], out, v);
    return 0;
}

static int lower_splitv(struct lower *L)
{
    const struct dd_node *nd = L->nd;
    const struct value *x = input_value(L, 0);
    int cax = channel_axis(&x->v);
    int axis = ((const int32_t *)L->g->tensors[nd->inputs[2]].data)[0];
    if (axis < 0) axis += x->v.rank;
    if (cax < 0 || axis != cax || has_pending_pad(x))
        return fail(L, "split along a non-channel axis", NULL);
    int in = x->t, off = 0;
    struct lg_view v = x->v;
    for (int k = 0; k < nd->n_outputs; k++) {
        const struct lg_tensor *it = &L->lg->t[in];
        int c = (int)L->g->tensors[nd->outputs[k]].shape.d[axis];
        int s = new_tensor(L, it->h, it->w, c);
        if (s < 0) return -1;
        L->lg->t[s].parent = in;
        L->lg->t[s].ch_off = off;
        off += c;
        bind(L, nd->outputs[k], s, v);
    }
    return 0;
}

static int lower_node(struct lower *L)
{
    const struct dd_node *nd = L->nd;
    for (int k = 0; k < nd->n_inputs; k++) {
        const struct dd_tensor *t = &L->g->tensors[nd->inputs[k]];
        if (t->is_const) continue;
        if (!L->val[nd->inputs[k]].set) return fail(L, "input was not lowered", NULL);
        L->lg->t[L->val[nd->inputs[k]].t].uses--;
    }
    switch (nd->op) {
    case DD_OP_CONV2D:
    case DD_OP_DEPTHWISE_CONV2D:
        return lower_conv(L);
    case DD_OP_ADD:
        return lower_add(L);
    case DD_OP_RELU:
    case DD_OP_RELU6:
    case DD_OP_LEAKY_RELU:
        return lower_activation(L);
    case DD_OP_SIGMOID:
        return lower_sigmoid(L);
    case DD_OP_MAX_POOL:
    case DD_OP_AVG_POOL:
        return lower_pool(L, nd->op == DD_OP_AVG_POOL, nd->attrs.ksize[0], nd->attrs.ksize[1],
                          nd->attrs.strides[0], nd->attrs.strides[1], nd->attrs.padding);
    case DD_OP_RESIZE_BILINEAR:
    case DD_OP_RESIZE_NEAREST:
        return lower_resize(L);
    case DD_OP_PAD:
        return lower_pad(L);
    case DD_OP_TRANSPOSE:
        return lower_transpose(L);
    case DD_OP_RESHAPE:
        return lower_reshape(L);
    case DD_OP_CONCAT:
        return lower_concat(L);
    case DD_OP_SPLITV:
        return lower_splitv(L);
    case DD_OP_IDENTITY: {
        struct value nv = *input_value(L, 0);
        L->lg->t[nv.t].uses += L->ir_uses[nd->outputs[0]];
        L->val[nd->outputs[0]] = nv;
        return 0;
    }
    default:
        return fail(L, "op has no lowering to the instruction set", NULL);
    }
}

/* An output's view must list the physical axes in order (H, W, C): then the
 * tensor's HWC bytes are the output in its own row-major order. */
static bool view_is_row_major(const struct lg_view *v, const struct lg_tensor *t)
{
    if (v->flat) return true;
    int next = 0;
    int dims[3] = {t->h, t->w, t->c};
    for (int k = 0; k < v->rank; k++) {
        if (v->lo[k] < 0) continue;
        while (next < v->lo[k] && dims[next] == 1) next++;
        if (v->lo[k] != next) return false;
        next = v->hi[k] + 1;
    }
    while (next < 3 && dims[next] == 1) next++;
    return next == 3;
}

/* Whether any op reads t. */
static bool read_by_an_op(const struct lg_graph *lg, int t)
{
    for (int i = 0; i < lg->n_op; i++)
        if (lg->op[i].in0 == t || lg->op[i].in1 == t) return true;
    return false;
}

/* A dense convolution whose output is only read through channel slices (NanoDet's
 * heads: 80 class logits and 44 box-bin logits from one 124-channel convolution,
 * then SplitV) becomes one convolution per slice, each slice a tensor of its own
 * with its own quantization: the class logits feeding the sigmoid no longer share
 * a scale with the box logits. The same MACs; the unused whole shrinks to 1x1x1. */
static int split_sliced_convs(struct lower *L)
{
    struct lg_graph *lg = L->lg;
    for (int i = 0; i < lg->n_op; i++) {
        struct lg_op *op = &lg->op[i];
        int r = op->out, kids = 0, covered = 0;
        if (op->kind != LG_CONV || op->depthwise || lg->t[r].parent >= 0 || lg->t[r].tie >= 0)
            continue;
        bool ok = !read_by_an_op(lg, r);
        for (int k = 0; k < lg->n_outputs && ok; k++) ok = lg->outputs[k].tensor != r;
        for (int t = 0; t < lg->n_t && ok; t++) {
            if (lg->t[t].tie == r) ok = false;
            if (lg->t[t].parent != r) continue;
            for (int u = 0; u < lg->n_t; u++) /* slices of slices stay as they are */
                if (lg->t[u].parent == t) ok = false;
            kids++, covered += lg->t[t].c;
        }
        if (!ok || kids < 2 || covered != lg->t[r].c) continue;
        const struct lg_op whole = lg->op[i]; /* its bias is freed once every slice has a copy */
        int first = 1;
        for (int t = 0; t < lg->n_t; t++) {
            if (lg->t[t].parent != r) continue;
            struct lg_op nop = whole;
            nop.out = t;
            nop.oc_off = whole.oc_off + lg->t[t].ch_off;
            nop.bias = malloc((size_t)lg->t[t].c * sizeof(float));
            if (!nop.bias) return dd_err_set(L->err, "out of memory");
            memcpy(nop.bias, whole.bias + lg->t[t].ch_off, (size_t)lg->t[t].c * sizeof(float));
            lg->t[t].parent = -1;
            lg->t[t].ch_off = 0;
            if (first) { /* the op itself becomes the first slice's */
                lg->op[i] = nop;
                first = 0;
                continue;
            }
            if (lg->n_op == lg->cap_op) {
                int cap = 2 * lg->cap_op;
                struct lg_op *o = realloc(lg->op, (size_t)cap * sizeof(*o));
                if (!o) {
                    free(nop.bias);
                    return dd_err_set(L->err, "out of memory");
                }
                lg->op = o;
                lg->cap_op = cap;
            }
            memmove(&lg->op[i + 2], &lg->op[i + 1], (size_t)(lg->n_op - i - 1) * sizeof(*lg->op));
            lg->op[++i] = nop; /* right after its sibling: still before every reader */
            lg->n_op++;
        }
        free(whole.bias);
        lg->t[r].ir = -1;
        lg->t[r].h = lg->t[r].w = lg->t[r].c = 1;
    }
    for (int t = 0; t < lg->n_t; t++) lg->t[t].producer = -1;
    for (int i = 0; i < lg->n_op; i++) lg->t[lg->op[i].out].producer = i;
    return 0;
}

int dd_lower(const struct dd_graph *g, struct lg_graph **out, struct dd_err *err)
{
    *out = NULL;
    struct lower L = {0};
    L.g = g;
    L.err = err;
    L.lg = calloc(1, sizeof(*L.lg));
    L.val = calloc((size_t)g->n_tensors, sizeof(*L.val));
    L.ir_uses = calloc((size_t)g->n_tensors, sizeof(int));
    int rc = -1;
    if (!L.lg || !L.val || !L.ir_uses) {
        dd_err_set(err, "out of memory");
        goto done;
    }
    L.lg->ir = g;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++) L.ir_uses[g->nodes[i].inputs[k]]++;
    for (int k = 0; k < g->n_outputs; k++) L.ir_uses[g->outputs[k]]++;

    /* the INPUT stage produces the graph input in HWC */
    const struct dd_shape *is = &g->tensors[g->input].shape;
    struct lg_view v = {4, {-1, -1, -1, -1}, {-1, -1, -1, -1}, false};
    int h, w;
    if (is->rank == 4 && is->d[3] == 3) {
        h = (int)is->d[1], w = (int)is->d[2];
        v = view_nhwc();
    } else if (is->rank == 4 && is->d[1] == 3) {
        h = (int)is->d[2], w = (int)is->d[3];
        v.lo[1] = v.hi[1] = PC, v.lo[2] = v.hi[2] = PH, v.lo[3] = v.hi[3] = PW;
    } else {
        dd_err_set(err, "model input must be [1,H,W,3] or [1,3,H,W]");
        goto done;
    }
    int in_t = new_tensor(&L, h, w, 3);
    if (in_t < 0 || new_op(&L, LG_INPUT, -1, -1, in_t) < 0) goto done;
    bind(&L, g->input, in_t, v);
    L.lg->input = in_t;
    for (int i = 0; i < g->n_nodes; i++) {
        L.nd = &g->nodes[i];
        if (lower_node(&L) != 0) goto done;
    }
    for (int k = 0; k < g->n_outputs; k++) {
        const struct value *x = &L.val[g->outputs[k]];
        L.nd = NULL;
        if (!x->set || has_pending_pad(x) || !view_is_row_major(&x->v, &L.lg->t[x->t])) {
            dd_err_set(err, "output '%s' is not a plain HWC tensor after lowering",
                       g->tensors[g->outputs[k]].name);
            goto done;
        }
        L.lg->outputs[L.lg->n_outputs++] = (struct lg_output){g->outputs[k], x->t};
        L.lg->t[x->t].ir = g->outputs[k];
        L.lg->t[x->t].view = x->v;
    }
    L.nd = NULL;
    if (split_sliced_convs(&L) != 0) goto done;
    rc = 0;
done:
    free(L.val);
    free(L.ir_uses);
    if (rc == 0)
        *out = L.lg;
    else
        dd_lower_destroy(L.lg);
    return rc;
}

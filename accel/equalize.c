#include "accel/equalize.h"

#include <math.h>
#include <stdlib.h>

#define ROUNDS 4
#define MAX_SCALE 256.0f

/* The raw IR weight of conv op (HWIO; depthwise [kh, kw, c, 1]). */
static float raw_weight(const struct lg_graph *lg, const struct lg_op *op, int tap, int i, int o)
{
    const struct dd_tensor *wt = &lg->ir->tensors[op->weights];
    const float *w = wt->data;
    int oc = (int)wt->shape.d[op->depthwise ? 2 : 3], ic = lg->t[op->in0].c;
    return op->depthwise ? w[(size_t)tap * oc + o]
                         : w[((size_t)tap * ic + i) * oc + op->oc_off + o];
}

float dd_equalized_weight(const struct lg_graph *lg, const struct lg_op *op, int tap, int i, int o)
{
    const float *ein = lg->t[op->in0].eq, *eout = lg->t[op->out].eq;
    return raw_weight(lg, op, tap, i, o) * (ein ? ein[i] : 1.0f) / (eout ? eout[o] : 1.0f);
}

float dd_equalized_bias(const struct lg_graph *lg, const struct lg_op *op, int o)
{
    const float *eout = lg->t[op->out].eq;
    return op->bias[o] / (eout ? eout[o] : 1.0f);
}

/* How many ops read tensor t (and whether anything else pins its values). */
static int readers(const struct lg_graph *lg, int t, int *reader)
{
    int n = 0;
    for (int i = 0; i < lg->n_op; i++) {
        const struct lg_op *op = &lg->op[i];
        if (op->in0 == t || op->in1 == t) n++, *reader = i;
    }
    return n;
}

static bool pinned(const struct lg_graph *lg, int t)
{
    const struct lg_tensor *x = &lg->t[t];
    if (x->parent >= 0 || x->tie >= 0 || x->fixed_quant || t == lg->input) return true;
    for (int k = 0; k < lg->n_outputs; k++)
        if (lg_root(lg, lg->outputs[k].tensor, &(int){0}) == t) return true;
    for (int i = 0; i < lg->n_t; i++) /* a slice of t, or a tensor quantized like t */
        if (i != t && (lg->t[i].parent == t || lg->t[i].tie == t)) return true;
    return false;
}

/* The op index B when t = A's output can be equalized between A and B; -1 if not. */
static int pair_for(const struct lg_graph *lg, const struct lg_op *a)
{
    if (a->kind != LG_CONV) return -1;
    if (a->act != DD_ACT_NONE && a->act != DD_ACT_RELU && a->act != DD_ACT_LEAKY_RELU) return -1;
    int t = a->out, b = -1;
    if (pinned(lg, t) || readers(lg, t, &b) != 1) return -1;
    const struct lg_op *bo = &lg->op[b];
    if (bo->kind != LG_CONV || bo->in0 != t || bo->in1 >= 0) return -1;
    return b;
}

int dd_equalize(struct lg_graph *lg, struct dd_err *err)
{
    int pairs = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (int ai = 0; ai < lg->n_op; ai++) {
            const struct lg_op *a = &lg->op[ai];
            int bi = pair_for(lg, a);
            if (bi < 0) continue;
            const struct lg_op *b = &lg->op[bi];
            struct lg_tensor *t = &lg->t[a->out];
            int c = t->c, ka = a->kh * a->kw, kb = b->kh * b->kw;
            int a_ic = lg->t[a->in0].c, b_oc = lg->t[b->out].c;
            if (!t->eq) {
                if (!(t->eq = malloc((size_t)c * sizeof(float))))
                    return dd_err_set(err, "out of memory");
                for (int k = 0; k < c; k++) t->eq[k] = 1.0f;
                pairs++;
            }
            for (int ch = 0; ch < c; ch++) {
                float r1 = 0, r2 = 0;
                for (int tap = 0; tap < ka; tap++)
                    for (int i = 0; i < (a->depthwise ? 1 : a_ic); i++)
                        r1 = fmaxf(
                            r1, fabsf(dd_equalized_weight(lg, a, tap, a->depthwise ? ch : i, ch)));
                for (int tap = 0; tap < kb; tap++)
                    for (int o = 0; o < (b->depthwise ? 1 : b_oc); o++)
                        r2 = fmaxf(
                            r2, fabsf(dd_equalized_weight(lg, b, tap, ch, b->depthwise ? ch : o)));
                if (r1 <= 0 || r2 <= 0) continue; /* a dead channel: leave it */
                float s = sqrtf(r1 / r2), e = t->eq[ch] * s;
                if (e > MAX_SCALE) e = MAX_SCALE;
                if (e < 1.0f / MAX_SCALE) e = 1.0f / MAX_SCALE;
                t->eq[ch] = e;
            }
        }
    }
    return pairs;
}

#include "accel/compiler.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "accel/equalize.h"
#include "accel/gptq.h"
#include "accel/qdetector.h"
#include "accel/quality.h"
#include "accel/lower.h"
#include "detectors/preprocess.h"

/* ---- calibration statistics --------------------------------------------- */

struct stats {
    double min, max;   /* over all frames */
    double q_lo, q_hi; /* sums of per-frame quantiles */
    double m_lo, m_hi; /* sums of per-frame MSE-optimal clipping ranges */
    int frames;
    double *ch_sum; /* per channel, if means are needed */
    double ch_count;
    float scale; /* chosen quantization */
    int zp;
};

/* k-th smallest of v[0..n) (partially reorders v). */
static float select_kth(float *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        float pivot = v[(lo + hi) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) {
                float t = v[i];
                v[i] = v[j], v[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

/* Squared error of quantizing v[0..n) to int8 over [lo, hi]. */
static double range_error(const float *v, size_t n, size_t step, double lo, double hi)
{
    double scale = (hi - lo) / 255.0, e = 0;
    if (scale <= 0) return INFINITY;
    for (size_t i = 0; i < n; i += step) {
        double q = round((v[i] - lo) / scale);
        q = q < 0 ? 0 : (q > 255 ? 255 : q);
        double d = q * scale + lo - v[i];
        e += d * d;
    }
    return e;
}

/* The range [lo, hi] (shrunk from [mn, mx] towards 0) with the least error. */
static void mse_range(const float *v, size_t n, double mn, double mx, double *lo, double *hi)
{
    size_t step = n > 8192 ? n / 8192 : 1; /* a strided sample of at most ~8K values */
    mn = fmin(mn, 0), mx = fmax(mx, 0);
    double best = INFINITY;
    *lo = mn, *hi = mx;
    for (int a = 100; a >= 5; a -= 5)       /* shrink the negative side */
        for (int b = 100; b >= 5; b -= 5) { /* and the positive side */
            double l = mn * a / 100.0, h = mx * b / 100.0;
            if (h - l < 1e-6) continue;
            double e = range_error(v, n, step, l, h);
            if (e < best) best = e, *lo = l, *hi = h;
        }
}

/* Physical coordinates (y, x, c) of IR element idx under a tensor's view. */
static void element_phys(const struct lg_tensor *t, const struct dd_shape *s, int64_t idx,
                         int64_t phys[3])
{
    const int64_t dims[3] = {t->h, t->w, t->c};
    phys[0] = phys[1] = phys[2] = 0;
    if (t->view.flat) {
        phys[2] = idx % t->c, idx /= t->c;
        phys[1] = idx % t->w, phys[0] = idx / t->w;
        return;
    }
    int64_t rest = idx;
    for (int k = s->rank - 1; k >= 0; k--) {
        int64_t coord = rest % s->d[k];
        rest /= s->d[k];
        if (t->view.lo[k] < 0) continue;
        for (int a = t->view.hi[k]; a >= t->view.lo[k]; a--) { /* as ir_index composes them */
            phys[a] = coord % dims[a];
            coord /= dims[a];
        }
    }
}

/* One frame's statistics of every LG tensor with a float twin. Its values are
 * the IR values over eq (equalized tensors) and, with lb, only positions that
 * look at the picture: the letterbox padding holds values the runtime clamps
 * harmlessly (BlazeFace: about -10000 logits and box offsets of +-1000 there),
 * which would otherwise set the ranges and starve the picture of levels. */
static int collect(const struct lg_graph *lg, const struct dd_float_exec *fx,
                   const struct dd_letterbox *lb, enum dd_estimator est, struct stats *st,
                   float *scratch, float *vals)
{
    for (int i = 0; i < lg->n_t; i++) {
        const struct lg_tensor *t = &lg->t[i];
        if (t->ir < 0) continue;
        const struct dd_shape *s = &lg->ir->tensors[t->ir].shape;
        const float *d = dd_float_exec_tensor(fx, t->ir);
        size_t n = (size_t)dd_shape_count(s);
        struct stats *x = &st[i];
        if (t->need_means && !x->ch_sum && !(x->ch_sum = calloc((size_t)t->c, sizeof(double))))
            return -1;
        size_t m = 0;
        for (size_t k = 0; k < n; k++) {
            int64_t p[3];
            element_phys(t, s, (int64_t)k, p);
            if (lb && !dd_letterbox_in_picture(lb, (int)p[0], (int)p[1], t->h, t->w)) continue;
            float v = t->eq ? d[k] / t->eq[p[2]] : d[k];
            vals[m++] = v;
            if (x->ch_sum) x->ch_sum[p[2]] += v;
        }
        if (m == 0) { /* nothing of the picture at this resolution: every position */
            for (size_t k = 0; k < n; k++) {
                int64_t p[3];
                element_phys(t, s, (int64_t)k, p);
                vals[m++] = t->eq ? d[k] / t->eq[p[2]] : d[k];
                if (x->ch_sum) x->ch_sum[p[2]] += vals[m - 1];
            }
        }
        if (x->ch_sum) x->ch_count += (double)m / t->c;
        float mn = vals[0], mx = vals[0];
        for (size_t k = 0; k < m; k++) {
            mn = vals[k] < mn ? vals[k] : mn;
            mx = vals[k] > mx ? vals[k] : mx;
        }
        x->min = x->frames ? fmin(x->min, mn) : mn;
        x->max = x->frames ? fmax(x->max, mx) : mx;
        if (est == DD_ESTIMATOR_PERCENTILE) {
            memcpy(scratch, vals, m * sizeof(float));
            size_t k_lo = (size_t)(1e-4 * (double)(m - 1)),
                   k_hi = (size_t)((1 - 1e-4) * (double)(m - 1));
            x->q_lo += select_kth(scratch, m, k_lo);
            x->q_hi += select_kth(scratch, m, k_hi);
        }
        if (est == DD_ESTIMATOR_MSE) {
            double ml, mh;
            mse_range(vals, m, mn, mx, &ml, &mh);
            x->m_lo += ml;
            x->m_hi += mh;
        }
        x->frames++;
    }
    return 0;
}

/* Calibration frames kept for measuring the mixed-precision choices. */
#define KEEP_FRAMES 2
struct kept_frames {
    struct dd_image img[KEEP_FRAMES];
    int n, next;
};

static void keep_frame(struct kept_frames *k, const struct dd_image *img)
{
    struct dd_image *d = &k->img[k->next];
    struct dd_err e;
    if (d->width != img->width || d->height != img->height) {
        dd_image_destroy(d);
        if (dd_image_alloc(d, img->width, img->height, &e) != 0) return;
    }
    for (int y = 0; y < img->height; y++)
        memcpy(d->rgb + (size_t)y * d->stride, img->rgb + (size_t)y * img->stride,
               (size_t)img->width * 3);
    k->next = (k->next + 1) % KEEP_FRAMES;
    if (k->n < KEEP_FRAMES) k->n++;
}

static void kept_frames_destroy(struct kept_frames *k)
{
    for (int i = 0; i < KEEP_FRAMES; i++) dd_image_destroy(&k->img[i]);
}

/* LG tensor t's values in physical HWC order (IR values over eq). */
static void hwc_values(const struct lg_graph *lg, int t, const float *d, float *out)
{
    const struct lg_tensor *x = &lg->t[t];
    const struct dd_shape *s = &lg->ir->tensors[x->ir].shape;
    size_t n = (size_t)dd_shape_count(s);
    for (size_t k = 0; k < n; k++) {
        int64_t p[3];
        element_phys(x, s, (int64_t)k, p);
        out[((size_t)p[0] * x->w + (size_t)p[1]) * x->c + (size_t)p[2]] =
            x->eq ? d[k] / x->eq[p[2]] : d[k];
    }
}

#define GPTQ_POSITIONS 48 /* output positions sampled per frame and layer for its Hessian */

/* Adds the im2col patches of a few output positions of conv op (input in HWC)
 * to its Hessian; padding taps read 0, as the quantized convolution does. */
static void add_patches(const struct lg_graph *lg, const struct lg_op *op, const float *in,
                        struct dd_gptq_hessian *hs, float *patch, int frame)
{
    const struct lg_tensor *x = &lg->t[op->in0], *y = &lg->t[op->out];
    long n_pos = (long)y->h * y->w;
    for (int s = 0; s < GPTQ_POSITIONS; s++) {
        long pos = ((long)s * n_pos / GPTQ_POSITIONS + (long)frame * 7919) % n_pos;
        int oy = (int)(pos / y->w), ox = (int)(pos % y->w), k = 0;
        for (int ky = 0; ky < op->kh; ky++)
            for (int kx = 0; kx < op->kw; kx++) {
                int iy = oy * op->sh - op->pt + ky, ix = ox * op->sw - op->pl + kx;
                bool inside = iy >= 0 && iy < x->h && ix >= 0 && ix < x->w;
                const float *px = in + ((size_t)iy * x->w + (size_t)ix) * x->c;
                for (int i = 0; i < x->c; i++) patch[k++] = inside ? px[i] : 0.0f;
            }
        dd_gptq_hessian_add(hs, patch);
    }
}

static int calibrate(struct dd_detector *det, const struct lg_graph *lg, struct dd_media_input *m,
                     const struct dd_compile_opts *o, struct stats *st,
                     struct dd_gptq_hessian *hess, struct kept_frames *keep, struct dd_err *err)
{
    size_t max_n = 1;
    for (int i = 0; i < lg->n_t; i++)
        if (lg->t[i].ir >= 0) {
            size_t n = (size_t)dd_shape_count(&lg->ir->tensors[lg->t[i].ir].shape);
            max_n = n > max_n ? n : max_n;
        }
    size_t max_patch = 1;
    for (int i = 0; hess && i < lg->n_op; i++)
        if (hess[i].h && (size_t)hess[i].n > max_patch) max_patch = (size_t)hess[i].n;
    float *scratch = malloc(max_n * sizeof(float)), *scaled = malloc(max_n * sizeof(float));
    float *patch = malloc(max_patch * sizeof(float));
    if (!scratch || !scaled || !patch) {
        free(scratch);
        free(scaled);
        free(patch);
        return dd_err_set(err, "out of memory");
    }
    struct dd_image img = {0};
    int idx, rc = 0, used = 0;
    while (used < o->calib_frames && (rc = dd_media_input_next(m, &img, &idx, err)) == 1) {
        if (idx % o->calib_step != 0) continue;
        struct dd_letterbox lb;
        if (dd_preprocess_rgb_f32(&img, &det->family.input, dd_float_exec_input(det->exec), &lb,
                                  err) ||
            dd_float_exec_run(det->exec, err)) {
            rc = -1;
            break;
        }
        if (collect(lg, det->exec, o->picture_ranges ? &lb : NULL, o->estimator, st, scratch,
                    scaled) != 0) {
            rc = dd_err_set(err, "out of memory");
            break;
        }
        for (int i = 0; hess && i < lg->n_op; i++) {
            const struct lg_op *op = &lg->op[i];
            if (!hess[i].h || lg->t[op->in0].ir < 0) continue;
            hwc_values(lg, op->in0, dd_float_exec_tensor(det->exec, lg->t[op->in0].ir), scaled);
            add_patches(lg, op, scaled, &hess[i], patch, used);
        }
        if (keep) keep_frame(keep, &img);
        used++;
    }
    dd_image_destroy(&img);
    free(scratch);
    free(scaled);
    free(patch);
    if (rc < 0) return dd_err_prefix(err, "calibration");
    if (used == 0) return dd_err_set(err, "calibration: no frames");
    return used;
}

/* ---- quantization parameters -------------------------------------------- */

/* logit(0.5 / 255): sigmoid inputs beyond +-this give LUT outputs (scale
 * 1/255) of exactly 0 or 255/255, so their range can stop there losslessly. */
#define SIGMOID_SATURATION 6.25

static void choose_quant(const struct lg_graph *lg, struct stats *st, enum dd_estimator est,
                         const bool *logit_output)
{
    /* ranges of every tensor sharing a quantization root are merged into the root */
    int n = lg->n_t;
    double *lo = malloc((size_t)n * sizeof(double)), *hi = malloc((size_t)n * sizeof(double));
    bool *full = calloc((size_t)n, sizeof(bool)), *seen = calloc((size_t)n, sizeof(bool));
    if (!lo || !hi || !full || !seen) goto out;
    for (int i = 0; i < lg->n_op; i++)
        if (lg->op[i].kind == LG_SIGMOID) full[lg_quant_root(lg, lg->op[i].in0)] = true;
    bool *logit = calloc((size_t)n, sizeof(bool));
    if (!logit) goto out;
    for (int k = 0; k < lg->n_outputs; k++)
        if (logit_output[k]) logit[lg_quant_root(lg, lg->outputs[k].tensor)] = true;
    for (int i = 0; i < n; i++) {
        if (lg->t[i].ir < 0 || !st[i].frames) continue;
        int r = lg_quant_root(lg, i);
        double a = st[i].min, b = st[i].max;
        if (full[r]) /* beyond +-SIGMOID_SATURATION the LUT's output (1/255 steps) is 0 or 1 */
            a = fmax(a, -SIGMOID_SATURATION), b = fmin(b, SIGMOID_SATURATION);
        if (!full[r] && est == DD_ESTIMATOR_PERCENTILE)
            a = st[i].q_lo / st[i].frames, b = st[i].q_hi / st[i].frames;
        if (!full[r] && est == DD_ESTIMATOR_MSE)
            a = st[i].m_lo / st[i].frames, b = st[i].m_hi / st[i].frames;
        if (logit[r])
            a = fmax(st[i].min, -16.0),
            b = fmin(st[i].max, 16.0); /* full tail, no padding garbage */
        lo[r] = seen[r] ? fmin(lo[r], a) : a;
        hi[r] = seen[r] ? fmax(hi[r], b) : b;
        seen[r] = true;
    }
    for (int i = 0; i < n; i++) {
        int r = lg_quant_root(lg, i);
        if (lg->t[r].fixed_quant) {
            st[i].scale = 1.0f / 255.0f;
            st[i].zp = -128;
            continue;
        }
        double a = seen[r] ? fmin(lo[r], 0.0) : -1.0, b = seen[r] ? fmax(hi[r], 0.0) : 1.0;
        if (b - a < 1e-6) b = a + 1e-6;
        double scale = (b - a) / 255.0;
        long zp = lround(-128.0 - a / scale);
        st[i].scale = (float)scale;
        st[i].zp = (int)(zp < -128 ? -128 : (zp > 127 ? 127 : zp));
    }
    free(logit);
out:
    free(lo);
    free(hi);
    free(full);
    free(seen);
}

/* m * 2^-(31+s) ~= real, m in [2^30, 2^31) where possible. */
static void quant_multiplier(double real, int32_t *m, int32_t *s)
{
    if (real <= 0) {
        *m = 0, *s = 0;
        return;
    }
    int e;
    double f = frexp(real, &e); /* real = f * 2^e, f in [0.5, 1) */
    int64_t q = llround(f * (double)(1u << 31));
    if (q == ((int64_t)1 << 31)) q /= 2, e++;
    int shift = -e;
    while (shift > 31) q >>= 1, shift--; /* tiny multipliers lose precision, not range */
    if (shift < -30) q = INT32_MAX, shift = -30;
    *m = (int32_t)q;
    *s = shift;
}

/* ---- emission ------------------------------------------------------------ */

struct blob {
    uint8_t *d;
    size_t n, cap;
};

static int64_t blob_put(struct blob *b, const void *data, size_t len, size_t align)
{
    size_t off = (b->n + align - 1) / align * align;
    if (off + len > b->cap) {
        size_t cap = b->cap ? b->cap : 1u << 16;
        while (cap < off + len) cap *= 2;
        uint8_t *d = realloc(b->d, cap);
        if (!d) return -1;
        b->d = d;
        b->cap = cap;
    }
    memset(b->d + b->n, 0, off - b->n);
    if (data)
        memcpy(b->d + off, data, len);
    else
        memset(b->d + off, 0, len);
    b->n = off + len;
    return (int64_t)off;
}

static int clamp_range(const struct stats *o, enum dd_activation act, int32_t *lo, int32_t *hi)
{
    *lo = -128, *hi = 127;
    if (act == DD_ACT_RELU || act == DD_ACT_RELU6) *lo = o->zp;
    if (act == DD_ACT_RELU6) {
        long six = lround(6.0 / o->scale) + o->zp;
        *hi = six < 127 ? (int32_t)six : 127;
    }
    return 0;
}

/* Whether a convolution may get 4-bit weights when the mixed-precision
 * selection measures it: dense ones over an even number of input channels
 * (then every tap's weights start on a byte, the layout the RTL execution
 * unit's weight buffer reads; accel/rtl/README.md). */
static bool int4_candidate(const struct lg_graph *lg, const struct lg_op *op)
{
    return op->kind == LG_CONV && !op->depthwise && lg->t[op->in0].c % 2 == 0;
}

/* Weight bits of a convolution. Mixed precision: 4-bit weights only where a
 * channel has enough taps to average the rounding out; depthwise and
 * small-fan-in layers stay int8. */
static int conv_wbits(const struct lg_graph *lg, const struct lg_op *op,
                      const struct dd_compile_opts *o)
{
    int per = op->kh * op->kw * (op->depthwise ? 1 : lg->t[op->in0].c);
    return o->wbits == 4 && int4_candidate(lg, op) && per >= DD_W4_MIN_FAN_IN ? 4 : 8;
}

/* Whether weights of this many bits are rounded by GPTQ. */
static bool gptq_rounds(const struct dd_compile_opts *o, int wbits)
{
    return o->rounding == DD_ROUNDING_GPTQ || (o->rounding == DD_ROUNDING_GPTQ_W4 && wbits == 4);
}

/* Whether a convolution needs its Hessian (GPTQ may round it). */
static bool needs_hessian(const struct lg_graph *lg, const struct lg_op *op,
                          const struct dd_compile_opts *o)
{
    if (!int4_candidate(lg, op)) return false;
    if (o->rounding == DD_ROUNDING_GPTQ) return true;
    if (o->rounding != DD_ROUNDING_GPTQ_W4 || o->wbits != 4) return false;
    return o->int4_share >= 0 || conv_wbits(lg, op, o) == 4;
}

/* Quantizes one output channel's weights (n values) with the MSE-best clipping. */
static float quantize_row(const float *w, size_t n, int qmax, int8_t *q)
{
    float amax = 0;
    for (size_t k = 0; k < n; k++) amax = fmaxf(amax, fabsf(w[k]));
    if (amax == 0) {
        memset(q, 0, n);
        return 1.0f;
    }
    float best_s = amax / qmax;
    double best_e = INFINITY;
    for (int r = 100; r >= 50; r -= 2) {
        float s = amax * r / 100.0f / qmax;
        double e = 0;
        for (size_t k = 0; k < n; k++) {
            float v = fmaxf(-qmax, fminf(qmax, roundf(w[k] / s)));
            e += (double)(v * s - w[k]) * (v * s - w[k]);
        }
        if (e < best_e) best_e = e, best_s = s;
    }
    for (size_t k = 0; k < n; k++) q[k] = (int8_t)fmaxf(-qmax, fminf(qmax, roundf(w[k] / best_s)));
    return best_s;
}

static int emit_conv(const struct lg_graph *lg, const struct lg_op *op, const struct stats *st,
                     const struct dd_compile_opts *o, int wbits, struct dd_gptq_hessian *hs,
                     struct blob *b, struct dd_isa_insn *in, struct dd_err *err)
{
    const struct lg_tensor *x = &lg->t[op->in0], *y = &lg->t[op->out];
    int ic = x->c, oc = y->c, kk = op->kh * op->kw, per = kk * (op->depthwise ? 1 : ic);
    int qmax = wbits == 4 ? 7 : 127;
    const struct stats *sx = &st[op->in0], *sy = &st[op->out];
    const double *means = st[op->in0].ch_sum; /* NULL when the input has no float twin */
    double mcount = st[op->in0].ch_count;
    float *rows = malloc((size_t)oc * per * sizeof(float)), *work = NULL, *sws = NULL;
    int8_t *qs = malloc((size_t)oc * per);
    int32_t *bias = malloc((size_t)oc * 4), *rq = malloc((size_t)oc * 12);
    size_t row_bytes = wbits == 4 ? ((size_t)per + 1) / 2 : (size_t)per;
    uint8_t *packed = calloc((size_t)oc, row_bytes);
    int rc = -1;
    if (!rows || !qs || !bias || !rq || !packed || !(sws = malloc((size_t)oc * sizeof(float)))) {
        dd_err_set(err, "out of memory");
        goto out;
    }
    /* every row's weights and scale; nearest rounding, or GPTQ over the whole layer */
    for (int c = 0; c < oc; c++) {
        float *row = rows + (size_t)c * per;
        int k = 0;
        for (int t = 0; t < kk; t++) {
            if (op->depthwise)
                row[k++] = dd_equalized_weight(lg, op, t, c, c);
            else
                for (int i = 0; i < ic; i++) row[k++] = dd_equalized_weight(lg, op, t, i, c);
        }
        sws[c] = quantize_row(row, (size_t)per, qmax, qs + (size_t)c * per);
    }
    if (hs && hs->samples && gptq_rounds(o, wbits)) {
        if (hs->q && hs->qmax == qmax && hs->rows == oc) { /* rounded before (mixed precision) */
            memcpy(qs, hs->q, (size_t)oc * per);
            memcpy(sws, hs->scale, (size_t)oc * sizeof(float));
        } else {
            if (!(work = malloc((size_t)oc * per * sizeof(float)))) {
                dd_err_set(err, "out of memory");
                goto out;
            }
            memcpy(work, rows, (size_t)oc * per * sizeof(float));
            if (dd_gptq_quantize(hs, work, oc, sws, qmax, qs) < 0) {
                dd_err_set(err, "out of memory");
                goto out;
            }
            free(hs->q);
            free(hs->scale);
            hs->q = malloc((size_t)oc * per);
            hs->scale = malloc((size_t)oc * sizeof(float));
            if (hs->q && hs->scale) {
                memcpy(hs->q, qs, (size_t)oc * per);
                memcpy(hs->scale, sws, (size_t)oc * sizeof(float));
                hs->rows = oc, hs->qmax = qmax;
            }
        }
    }
    for (int c = 0; c < oc; c++) {
        const float *row = rows + (size_t)c * per;
        const int8_t *q = qs + (size_t)c * per;
        float sw = sws[c];
        double corr = 0, qsum = 0;
        for (int k2 = 0; k2 < per; k2++) {
            int ch = op->depthwise ? c : k2 % ic;
            if (o->bias_correction && means)
                corr += ((double)q[k2] * sw - row[k2]) * (means[ch] / mcount);
            qsum += q[k2];
        }
        double sxw = (double)sx->scale * sw;
        double bq =
            llround(((double)dd_equalized_bias(lg, op, c) - corr) / sxw) - (double)sx->zp * qsum;
        bias[c] = (int32_t)fmax(-2147483647.0, fmin(2147483647.0, bq));
        int32_t m, s;
        quant_multiplier(sxw / sy->scale, &m, &s);
        rq[3 * c] = m;
        rq[3 * c + 1] = op->act == DD_ACT_LEAKY_RELU ? (int32_t)llround((double)m * op->alpha) : 0;
        rq[3 * c + 2] = s;
        uint8_t *dst = packed + (size_t)c * row_bytes;
        for (int k2 = 0; k2 < per; k2++) {
            if (wbits == 8)
                dst[k2] = (uint8_t)q[k2];
            else
                dst[k2 / 2] |= (uint8_t)((q[k2] & 0x0f) << ((k2 & 1) * 4));
        }
    }
    int64_t ow = blob_put(b, packed, (size_t)oc * row_bytes, 64);
    int64_t ob = blob_put(b, bias, (size_t)oc * 4, 64);
    int64_t oq = blob_put(b, rq, (size_t)oc * 12, 64);
    if (ow < 0 || ob < 0 || oq < 0 || b->n > UINT32_MAX) {
        dd_err_set(err, "out of memory");
        goto out;
    }
    in->opcode = DD_ISA_CONV;
    in->flags = (uint8_t)((op->depthwise ? DD_ISA_F_DEPTHWISE : 0) |
                          (op->act == DD_ACT_LEAKY_RELU ? DD_ISA_F_LEAKY : 0));
    in->kh = (uint8_t)op->kh, in->kw = (uint8_t)op->kw;
    in->stride_h = (uint8_t)op->sh, in->stride_w = (uint8_t)op->sw;
    in->pad_top = (uint8_t)op->pt, in->pad_left = (uint8_t)op->pl;
    in->pad_bottom = (uint8_t)op->pb, in->pad_right = (uint8_t)op->pr;
    in->wbits = (uint8_t)wbits;
    in->weights = (uint32_t)ow, in->bias = (uint32_t)ob, in->quant = (uint32_t)oq;
    clamp_range(sy, op->act, &in->clamp_min, &in->clamp_max);
    rc = 0;
out:
    free(rows);
    free(work);
    free(sws);
    free(qs);
    free(bias);
    free(rq);
    free(packed);
    return rc;
}

static int emit_op(const struct lg_graph *lg, const struct lg_op *op, const struct stats *st,
                   const struct dd_compile_opts *o, int wbits, struct dd_gptq_hessian *hs,
                   const struct dd_input_spec *spec, struct blob *b, struct dd_isa_insn *in,
                   struct dd_err *err)
{
    memset(in, 0, sizeof(*in));
    in->in0 = op->in0 >= 0 ? (uint16_t)op->in0 : DD_ISA_NO_TENSOR;
    in->in1 = op->in1 >= 0 ? (uint16_t)op->in1 : DD_ISA_NO_TENSOR;
    in->out = (uint16_t)op->out;
    in->clamp_min = -128, in->clamp_max = 127;
    const struct stats *sy = &st[op->out];
    switch (op->kind) {
    case LG_CONV:
        return emit_conv(lg, op, st, o, wbits, hs, b, in, err);
    case LG_POOL:
        in->opcode = DD_ISA_POOL;
        in->flags = op->avg ? DD_ISA_F_AVG : 0;
        in->kh = (uint8_t)op->kh, in->kw = (uint8_t)op->kw;
        in->stride_h = (uint8_t)op->sh, in->stride_w = (uint8_t)op->sw;
        in->pad_top = (uint8_t)op->pt, in->pad_left = (uint8_t)op->pl;
        in->pad_bottom = (uint8_t)op->pb, in->pad_right = (uint8_t)op->pr;
        return 0;
    case LG_UPSAMPLE:
        in->opcode = DD_ISA_UPSAMPLE;
        in->flags = op->bilinear ? DD_ISA_F_BILINEAR : 0;
        return 0;
    case LG_ADD: {
        in->opcode = DD_ISA_ADD;
        in->shift = 20;
        double ma = (double)st[op->in0].scale / sy->scale * (1 << 20);
        double mb = op->in1 >= 0 ? (double)st[op->in1].scale / sy->scale * (1 << 20) : 0;
        if (ma >= 2147483647.0 || mb >= 2147483647.0)
            return dd_err_set(err, "ADD: operand scales differ too much from the output's");
        in->m0 = (int32_t)llround(ma);
        in->m1 = (int32_t)llround(mb);
        clamp_range(sy, op->relu ? DD_ACT_RELU : DD_ACT_NONE, &in->clamp_min, &in->clamp_max);
        return 0;
    }
    case LG_SIGMOID: {
        int8_t table[256];
        const struct stats *sx = &st[op->in0];
        for (int q = -128; q < 128; q++) {
            double x = sx->scale * (double)(q - sx->zp), yv = 1.0 / (1.0 + exp(-x));
            long v = lround(yv / sy->scale) + sy->zp;
            table[q + 128] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
        }
        int64_t off = blob_put(b, table, 256, 64);
        if (off < 0) return dd_err_set(err, "out of memory");
        in->opcode = DD_ISA_LUT;
        in->weights = (uint32_t)off;
        return 0;
    }
    case LG_INPUT: {
        int64_t nrm[6];
        for (int c = 0; c < 3; c++) {
            double k = 1.0 / ((double)spec->std[c] * sy->scale);
            nrm[c] = llround(65536.0 * k);
            nrm[3 + c] = llround(4294967296.0 * (sy->zp - (double)spec->mean[c] * k));
        }
        int64_t off = blob_put(b, nrm, sizeof(nrm), 64);
        if (off < 0) return dd_err_set(err, "out of memory");
        in->opcode = DD_ISA_INPUT;
        in->flags = spec->bgr ? DD_ISA_F_BGR : 0;
        in->quant = (uint32_t)off;
        in->m0 = (int32_t)lroundf(spec->pad_pixel);
        return 0;
    }
    }
    return dd_err_set(err, "unknown lowered op");
}

/* Emits every instruction into p (insns and blob, replacing earlier ones). */
static int emit_program(const struct dd_detector *det, const struct lg_graph *lg,
                        const struct stats *st, const struct dd_compile_opts *o,
                        struct dd_gptq_hessian *hess, const int *bits, struct dd_pkg *p,
                        struct dd_err *err)
{
    struct blob b = {0};
    free(p->insns);
    free(p->blob);
    p->blob = NULL;
    p->insns = calloc((size_t)lg->n_op, sizeof(*p->insns));
    if (!p->insns) return dd_err_set(err, "out of memory");
    for (int i = 0; i < lg->n_op; i++)
        if (emit_op(lg, &lg->op[i], st, o, bits[i], hess ? &hess[i] : NULL, &det->family.input, &b,
                    &p->insns[i], err) != 0) {
            const struct lg_op *op = &lg->op[i];
            free(b.d);
            return dd_err_prefix(err, "emitting node '%s'",
                                 op->ir_node >= 0 ? det->graph->nodes[op->ir_node].name : "input");
        }
    if (blob_put(&b, NULL, 0, 64) < 0) {
        free(b.d);
        return dd_err_set(err, "out of memory");
    }
    p->blob = b.d;
    p->blob_size = b.n;
    return 0;
}

/* The arena: every root tensor gets space for the instructions it lives through (from the
 * first that writes it or a slice of it to the last that reads it; the graph's outputs to the
 * end), and roots whose lives do not overlap share space. Greedy, largest first, each at the
 * lowest 64-byte-aligned offset clear of the roots it meets. Returns the arena's size
 * (UINT64_MAX: out of memory); root_off[r] for every root r. */
static uint64_t plan_arena(const struct lg_graph *lg, uint32_t *root_off)
{
    int n = lg->n_t;
    int *first = malloc((size_t)n * sizeof(int)), *last = malloc((size_t)n * sizeof(int));
    int *order = malloc((size_t)n * sizeof(int)), *placed = malloc((size_t)n * sizeof(int));
    uint64_t *size = malloc((size_t)n * sizeof(uint64_t));
    if (!first || !last || !order || !placed || !size) {
        free(first), free(last), free(order), free(placed), free(size);
        return UINT64_MAX;
    }
    for (int i = 0; i < n; i++) {
        first[i] = INT_MAX, last[i] = -1;
        size[i] = ((uint64_t)lg->t[i].h * lg->t[i].w * lg->t[i].c + 63) / 64 * 64;
    }
    for (int k = 0; k < lg->n_op; k++) {
        const struct lg_op *op = &lg->op[k];
        int ts[3] = {op->in0, op->in1, op->out}, off;
        for (int j = 0; j < 3; j++) {
            if (ts[j] < 0) continue;
            int r = lg_root(lg, ts[j], &off);
            if (k < first[r]) first[r] = k;
            if (k > last[r]) last[r] = k;
        }
    }
    for (int k = 0; k < lg->n_outputs; k++) {
        int off, r = lg_root(lg, lg->outputs[k].tensor, &off);
        last[r] = lg->n_op; /* read by the host after the run */
        if (first[r] == INT_MAX) first[r] = 0;
    }
    int nr = 0;
    for (int i = 0; i < n; i++) {
        if (lg->t[i].parent >= 0) continue;
        if (first[i] == INT_MAX) first[i] = 0, last[i] = lg->n_op; /* unused: kept apart */
        order[nr++] = i;
    }
    for (int a = 1; a < nr; a++) /* largest first (insertion sort: a few hundred roots) */
        for (int b = a; b > 0 && size[order[b]] > size[order[b - 1]]; b--) {
            int t = order[b];
            order[b] = order[b - 1], order[b - 1] = t;
        }
    uint64_t arena = 0;
    int np = 0;
    for (int a = 0; a < nr; a++) {
        int r = order[a];
        uint64_t off = 0;
        for (bool moved = true; moved;) { /* the lowest offset clear of every live neighbour */
            moved = false;
            for (int b = 0; b < np; b++) {
                int q = placed[b];
                if (last[q] < first[r] || last[r] < first[q]) continue; /* never live together */
                uint64_t qo = root_off[q];
                if (off < qo + size[q] && qo < off + size[r]) {
                    off = qo + size[q];
                    moved = true;
                }
            }
        }
        root_off[r] = (uint32_t)off;
        placed[np++] = r;
        if (off + size[r] > arena) arena = off + size[r];
    }
    free(first), free(last), free(order), free(placed), free(size);
    return arena;
}

/* The float model's outputs on the kept frames, as the comparisons read them:
 * HWC (the LG outputs are plain HWC tensors), logits passed through the sigmoid. */
struct reference {
    float *out[KEEP_FRAMES][DD_FAMILY_MAX_OUTPUTS];
    struct dd_letterbox lb[KEEP_FRAMES];
};

static float squash(const struct dd_detector *det, int k, float v)
{
    return dd_family_output_is_logits(&det->family, k) ? 1.0f / (1.0f + expf(-v)) : v;
}

static int reference_outputs(struct dd_detector *det, const struct lg_graph *lg,
                             const struct kept_frames *kf, struct reference *r, struct dd_err *err)
{
    for (int f = 0; f < kf->n; f++) {
        if (dd_preprocess_rgb_f32(&kf->img[f], &det->family.input, dd_float_exec_input(det->exec),
                                  &r->lb[f], err) ||
            dd_float_exec_run(det->exec, err))
            return -1;
        for (int k = 0; k < lg->n_outputs && k < DD_FAMILY_MAX_OUTPUTS; k++) {
            const struct lg_tensor *t = &lg->t[lg->outputs[k].tensor];
            size_t n = (size_t)t->h * t->w * t->c;
            const float *d = dd_float_exec_tensor(det->exec, lg->outputs[k].ir);
            if (!(r->out[f][k] = malloc(n * sizeof(float))))
                return dd_err_set(err, "out of memory");
            for (size_t i = 0; i < n; i++) r->out[f][k][i] = squash(det, k, d[i]);
        }
    }
    return 0;
}

static void reference_destroy(struct reference *r)
{
    for (int f = 0; f < KEEP_FRAMES; f++)
        for (int k = 0; k < DD_FAMILY_MAX_OUTPUTS; k++) free(r->out[f][k]);
}

/* 1 - cosine of the package's outputs with the float ones over the picture,
 * averaged over outputs and kept frames (run by the cpu backend). */
static int output_loss(const struct dd_detector *det, const struct lg_graph *lg,
                       const struct dd_pkg *p, const struct kept_frames *kf,
                       const struct reference *r, double *loss, struct dd_err *err)
{
    struct dd_backend be;
    if (dd_backend_open(p, DD_BACKEND_ONLY("cpu"), &be, NULL, 0, err) != 0) return -1;
    int8_t *arena = calloc(1, p->arena_size);
    size_t max_n = 0;
    for (int k = 0; k < lg->n_outputs; k++) {
        const struct lg_tensor *t = &lg->t[lg->outputs[k].tensor];
        size_t n = (size_t)t->h * t->w * t->c;
        max_n = n > max_n ? n : max_n;
    }
    float *q = malloc((max_n + 1) * sizeof(float)), *a = malloc((max_n + 1) * sizeof(float)),
          *b = malloc((max_n + 1) * sizeof(float));
    int rc = 0, terms = 0;
    double sum = 0;
    if (!arena || !q || !a || !b) rc = dd_err_set(err, "out of memory");
    for (int f = 0; rc == 0 && f < kf->n; f++) {
        struct dd_isa_frame fr = dd_isa_frame_from_image(&kf->img[f]);
        struct dd_backend_frame in = {&fr, -1, 0};
        if ((rc = be.ops->run(be.state, arena, &in, 0, p->n_insns, err)) != 0) break;
        for (int k = 0; k < lg->n_outputs && k < DD_FAMILY_MAX_OUTPUTS; k++) {
            const struct lg_tensor *t = &lg->t[lg->outputs[k].tensor];
            dd_qdetector_dequantize(p, arena, lg->outputs[k].tensor, q);
            bool all = true; /* a tensor with no picture position is compared whole */
            for (int y = 0; y < t->h && all; y++)
                for (int x = 0; x < t->w && all; x++)
                    all = !dd_letterbox_in_picture(&r->lb[f], y, x, t->h, t->w);
            size_t m = 0;
            for (int y = 0; y < t->h; y++)
                for (int x = 0; x < t->w; x++) {
                    if (!all && !dd_letterbox_in_picture(&r->lb[f], y, x, t->h, t->w)) continue;
                    for (int c = 0; c < t->c; c++) {
                        size_t i = ((size_t)y * t->w + x) * t->c + c;
                        a[m] = squash(det, k, q[i]);
                        b[m++] = r->out[f][k][i];
                    }
                }
            sum += 1.0 - dd_cosine(a, b, m);
            terms++;
        }
    }
    *loss = terms ? sum / terms : 0;
    free(q);
    free(a);
    free(b);
    free(arena);
    dd_backend_close(&be);
    return rc;
}

static double conv_macs(const struct lg_graph *lg, const struct lg_op *op)
{
    const struct lg_tensor *x = &lg->t[op->in0], *y = &lg->t[op->out];
    return (double)y->h * y->w * y->c * op->kh * op->kw * (op->depthwise ? 1 : x->c);
}

struct candidate {
    int op;
    double macs, loss;
};

static int by_loss_per_mac(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;
    double u = x->loss / x->macs, v = y->loss / y->macs;
    return (u > v) - (u < v);
}

/* Mixed precision by measured sensitivity: every dense convolution alone in
 * 4 bits (the rest in 8) is run on the kept calibration frames and its output
 * loss against the float model measured; the least sensitive per MAC get 4
 * bits until o->int4_share of all convolution MACs are 4-bit. */
static int choose_bits(struct dd_detector *det, const struct lg_graph *lg, const struct stats *st,
                       const struct dd_compile_opts *o, struct dd_gptq_hessian *hess,
                       const struct kept_frames *kf, struct dd_pkg *p, int *bits, cJSON **report,
                       struct dd_err *err)
{
    struct reference ref = {0};
    struct candidate *c = calloc((size_t)lg->n_op + 1, sizeof(*c));
    int n = 0, rc = -1;
    double total = 0, base = 0;
    if (!c) return dd_err_set(err, "out of memory");
    if (reference_outputs(det, lg, kf, &ref, err) != 0) goto out;
    for (int i = 0; i < lg->n_op; i++) {
        if (lg->op[i].kind != LG_CONV) continue;
        total += conv_macs(lg, &lg->op[i]);
        bits[i] = 8;
    }
    if (emit_program(det, lg, st, o, hess, bits, p, err) != 0 ||
        output_loss(det, lg, p, kf, &ref, &base, err) != 0)
        goto out;
    for (int i = 0; i < lg->n_op; i++) {
        if (!int4_candidate(lg, &lg->op[i])) continue;
        bits[i] = 4;
        double loss;
        if (emit_program(det, lg, st, o, hess, bits, p, err) != 0 ||
            output_loss(det, lg, p, kf, &ref, &loss, err) != 0)
            goto out;
        bits[i] = 8;
        c[n++] = (struct candidate){i, conv_macs(lg, &lg->op[i]), fmax(loss - base, 1e-9)};
    }
    qsort(c, (size_t)n, sizeof(*c), by_loss_per_mac);
    /* the budget is a share of the MACs that can be int4 (dense, even channel count) */
    double int4 = 0, eligible = 0;
    for (int k = 0; k < n; k++) eligible += c[k].macs;
    for (int k = 0; k < n && int4 < o->int4_share * eligible; k++) {
        bits[c[k].op] = 4;
        int4 += c[k].macs;
    }
    *report = cJSON_CreateObject();
    cJSON_AddNumberToObject(*report, "int4_share_target", o->int4_share);
    cJSON_AddNumberToObject(*report, "int4_share", total > 0 ? int4 / total : 0);
    cJSON_AddNumberToObject(*report, "int4_eligible_share", total > 0 ? eligible / total : 0);
    cJSON_AddNumberToObject(*report, "loss_all_int8", base);
    cJSON *layers = cJSON_AddArrayToObject(*report, "layers");
    for (int k = 0; k < n; k++) {
        cJSON *e = cJSON_CreateObject();
        const struct lg_op *op = &lg->op[c[k].op];
        cJSON_AddStringToObject(e, "node",
                                op->ir_node >= 0 ? det->graph->nodes[op->ir_node].name : "?");
        cJSON_AddNumberToObject(e, "instruction", c[k].op);
        cJSON_AddNumberToObject(e, "macs", c[k].macs);
        cJSON_AddNumberToObject(e, "loss_alone_int4", c[k].loss);
        cJSON_AddNumberToObject(e, "bits", bits[c[k].op]);
        cJSON_AddItemToArray(layers, e);
    }
    rc = 0;
out:
    reference_destroy(&ref);
    free(c);
    return rc;
}

static char *make_meta(const struct dd_detector *det, const struct lg_graph *lg,
                       const struct dd_compile_opts *o, int frames, const int *bits,
                       const cJSON *mixed)
{
    const struct dd_family_info *fi = &det->family;
    const struct dd_graph *g = det->graph;
    cJSON *j = cJSON_CreateObject(), *in = cJSON_AddObjectToObject(j, "input");
    cJSON_AddStringToObject(j, "family", fi->name);
    cJSON_AddNumberToObject(j, "wbits", o->wbits);
    cJSON_AddNumberToObject(in, "tensor", lg->input);
    cJSON *shape = cJSON_AddArrayToObject(in, "shape");
    const struct dd_shape *is = &g->tensors[g->input].shape;
    for (int k = 0; k < is->rank; k++)
        cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)is->d[k]));
    cJSON_AddBoolToObject(in, "bgr", fi->input.bgr);
    cJSON *mean = cJSON_AddArrayToObject(in, "mean"), *std = cJSON_AddArrayToObject(in, "std");
    for (int c = 0; c < 3; c++) {
        cJSON_AddItemToArray(mean, cJSON_CreateNumber(fi->input.mean[c]));
        cJSON_AddItemToArray(std, cJSON_CreateNumber(fi->input.std[c]));
    }
    cJSON_AddNumberToObject(in, "pad_pixel", fi->input.pad_pixel);
    cJSON *outs = cJSON_AddArrayToObject(j, "outputs");
    for (int k = 0; k < lg->n_outputs; k++) {
        cJSON *e = cJSON_CreateObject();
        const struct dd_tensor *t = &g->tensors[lg->outputs[k].ir];
        cJSON_AddStringToObject(e, "name", t->name);
        cJSON_AddNumberToObject(e, "tensor", lg->outputs[k].tensor);
        cJSON *s = cJSON_AddArrayToObject(e, "shape");
        for (int d = 0; d < t->shape.rank; d++)
            cJSON_AddItemToArray(s, cJSON_CreateNumber((double)t->shape.d[d]));
        cJSON_AddItemToArray(outs, e);
    }
    cJSON *cal = cJSON_AddObjectToObject(j, "calibration");
    cJSON_AddNumberToObject(cal, "frames", frames);
    cJSON_AddStringToObject(cal, "estimator",
                            o->estimator == DD_ESTIMATOR_MINMAX       ? "minmax"
                            : o->estimator == DD_ESTIMATOR_PERCENTILE ? "percentile"
                                                                      : "mse");
    cJSON_AddBoolToObject(cal, "bias_correction", o->bias_correction);
    cJSON_AddBoolToObject(cal, "equalization", o->equalize);
    cJSON_AddBoolToObject(cal, "picture_ranges", o->picture_ranges);
    double macs[2] = {0, 0}; /* 8-bit, 4-bit */
    for (int i = 0; i < lg->n_op; i++)
        if (lg->op[i].kind == LG_CONV) macs[bits[i] == 4] += conv_macs(lg, &lg->op[i]);
    cJSON_AddNumberToObject(j, "int4_mac_share",
                            macs[0] + macs[1] > 0 ? macs[1] / (macs[0] + macs[1]) : 0);
    if (mixed) cJSON_AddItemToObject(j, "mixed_precision", cJSON_Duplicate(mixed, 1));
    cJSON_AddStringToObject(cal, "rounding",
                            o->rounding == DD_ROUNDING_GPTQ      ? "gptq"
                            : o->rounding == DD_ROUNDING_GPTQ_W4 ? "gptq-w4"
                                                                 : "nearest");
    char *txt = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return txt;
}

int dd_compile(struct dd_detector *det, struct dd_media_input *calib,
               const struct dd_compile_opts *o, struct dd_pkg **out, struct dd_err *err)
{
    return dd_compile_traced(det, calib, o, out, NULL, err);
}

int dd_compile_traced(struct dd_detector *det, struct dd_media_input *calib,
                      const struct dd_compile_opts *o, struct dd_pkg **out,
                      struct lg_graph **lg_out, struct dd_err *err)
{
    *out = NULL;
    if (lg_out) *lg_out = NULL;
    if (o->wbits != 8 && o->wbits != 4) return dd_err_set(err, "weight bits must be 8 or 4");
    if (o->calib_frames < 1 || o->calib_step < 1)
        return dd_err_set(err, "need at least one calibration frame");
    struct lg_graph *lg;
    struct dd_gptq_hessian *hess = NULL; /* per op, for the convolutions GPTQ rounds */
    struct kept_frames cal = {0};
    int *bits = NULL;    /* weight bits per op */
    cJSON *mixed = NULL; /* the mixed-precision report */
    if (dd_lower(det->graph, &lg, err) != 0) return dd_err_prefix(err, "lowering");
    if (o->equalize && dd_equalize(lg, err) < 0) {
        dd_lower_destroy(lg);
        return -1;
    }
    struct stats *st = calloc((size_t)lg->n_t, sizeof(*st));
    struct dd_pkg *p = calloc(1, sizeof(*p));
    int rc = -1, frames;
    if (!st || !p) {
        dd_err_set(err, "out of memory");
        goto done;
    }
    for (int i = 0; i < lg->n_op; i++) {
        const struct lg_op *op = &lg->op[i];
        if (!needs_hessian(lg, op, o)) continue;
        if (!hess && !(hess = calloc((size_t)lg->n_op, sizeof(*hess)))) {
            dd_err_set(err, "out of memory");
            goto done;
        }
        if (dd_gptq_hessian_init(&hess[i], op->kh * op->kw * lg->t[op->in0].c) != 0) {
            dd_err_set(err, "out of memory");
            goto done;
        }
    }
    if ((frames = calibrate(det, lg, calib, o, st, hess, &cal, err)) < 0) goto done;
    bool logit_output[DD_MAX_NODE_OUTPUTS * 4] = {0};
    for (int k = 0; k < det->graph->n_outputs && k < DD_MAX_NODE_OUTPUTS * 4; k++)
        logit_output[k] = dd_family_output_is_logits(&det->family, k);
    choose_quant(lg, st, o->estimator, logit_output);

    /* tensors: roots get arena space, slices live inside their root */
    p->n_tensors = (uint32_t)lg->n_t;
    p->tensors = calloc((size_t)lg->n_t, sizeof(*p->tensors));
    uint32_t *root_off = calloc((size_t)lg->n_t, sizeof(uint32_t));
    if (!p->tensors || !root_off) {
        free(root_off);
        dd_err_set(err, "out of memory");
        goto done;
    }
    uint64_t arena = plan_arena(lg, root_off);
    if (arena == UINT64_MAX) {
        free(root_off);
        dd_err_set(err, "out of memory");
        goto done;
    }
    for (int i = 0; i < lg->n_t; i++) {
        int off, r = lg_root(lg, i, &off);
        struct dd_isa_tensor *t = &p->tensors[i];
        t->offset = root_off[r] + (uint32_t)off;
        t->h = (uint16_t)lg->t[i].h, t->w = (uint16_t)lg->t[i].w, t->c = (uint16_t)lg->t[i].c;
        t->pitch = (uint16_t)lg->t[r].c;
        t->zero_point = st[i].zp;
        t->scale = st[i].scale;
    }
    free(root_off);
    if (arena > (1u << 30)) {
        dd_err_set(err, "activation arena too large");
        goto done;
    }
    p->arena_size = (uint32_t)arena;
    p->n_insns = (uint32_t)lg->n_op;
    if (!(bits = malloc((size_t)lg->n_op * sizeof(int)))) {
        dd_err_set(err, "out of memory");
        goto done;
    }
    for (int i = 0; i < lg->n_op; i++)
        bits[i] = lg->op[i].kind == LG_CONV ? conv_wbits(lg, &lg->op[i], o) : 0;
    if (o->wbits == 4 && o->int4_share >= 0 &&
        choose_bits(det, lg, st, o, hess, &cal, p, bits, &mixed, err) != 0)
        goto done;
    if (emit_program(det, lg, st, o, hess, bits, p, err) != 0) goto done;
    p->meta_json = make_meta(det, lg, o, frames, bits, mixed);
    p->major = DD_ISA_VERSION_MAJOR;
    p->minor = DD_ISA_VERSION_MINOR;
    /* round-trip through the validating parser: what we return is what a loader accepts */
    uint8_t *data;
    size_t len;
    if (!p->meta_json || dd_pkg_serialize(p, &data, &len, err) != 0) goto done;
    rc = dd_pkg_parse(data, len, out, err);
    free(data);
done:
    for (int i = 0; st && i < lg->n_t; i++) free(st[i].ch_sum);
    for (int i = 0; hess && i < lg->n_op; i++) dd_gptq_hessian_destroy(&hess[i]);
    free(hess);
    free(bits);
    cJSON_Delete(mixed);
    kept_frames_destroy(&cal);
    free(st);
    dd_pkg_destroy(p);
    if (rc == 0 && lg_out)
        *lg_out = lg;
    else
        dd_lower_destroy(lg);
    return rc;
}

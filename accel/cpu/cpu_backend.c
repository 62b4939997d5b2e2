#include "accel/cpu/cpu_backend.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accel/cpu/qs8_gemm.h"
#include "accel/cpu/qs8_requant.h"
#include "accel/cpu/u8_input.h"
#include "accel/golden.h"
#include "accel/isa_input.h"
#include "postproc/letterbox.h"

#define THREADS 2

struct cpu_conv {
    int8_t *w;     /* dense: packed [oc/32][k4][32][4]; depthwise: [tap][c] (owned) */
    int32_t *wsum; /* dense: per output channel, sum of weights (owned) */
    int32_t *rq;   /* m[c], m_neg[c], s[c] deinterleaved, 3 * channels (owned) */
    struct dd_qs8_requant_params params;
    size_t k, k4; /* dense: kh * kw * ic, and in groups of 4 */
};

struct scratch {
    uint8_t *rows[DD_QS8_GEMM_MR]; /* im2col rows, biased by +128 */
    int32_t *acc;                  /* [MR][max channels] */
    int8_t *vals;                  /* max channels */
};

struct row_job;
struct dd_cpu_prog;

struct worker_arg {
    struct dd_cpu_prog *cp;
    int index; /* 1 .. THREADS-1; the caller is worker 0 */
};

/* Persistent workers, started once per prepared program: run_rows hands each
 * a band of rows and waits for all of them. */
struct workers {
    bool sync_ready; /* mutex and conditions initialised */
    int n;           /* running workers; 0: everything runs on the caller */
    pthread_t tid[THREADS];
    struct worker_arg args[THREADS];
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    unsigned generation; /* bumped for every call */
    int pending;         /* workers still busy with this generation */
    bool stop;
    const struct row_job *jobs;
};

struct dd_cpu_prog {
    const struct dd_pkg *pkg;
    struct cpu_conv *conv; /* per instruction (CONV only) */
    struct scratch scratch[THREADS];
    struct workers w;
    dd_qs8_gemm_fn gemm;
    dd_qs8_requant_fn requant;
    dd_u8_input_nv12_fn input_nv12;
    const char *kernel;
};

static void start_workers(struct dd_cpu_prog *cp);
static void stop_workers(struct workers *w);

static int8_t weight_at(const uint8_t *row, size_t k, int wbits)
{
    if (wbits == 8) return (int8_t)row[k];
    int v = (k & 1) ? row[k / 2] >> 4 : row[k / 2] & 0x0f;
    return (int8_t)(v >= 8 ? v - 16 : v);
}

static int prepare_conv(const struct dd_pkg *p, const struct dd_isa_insn *in, struct cpu_conv *cv)
{
    const struct dd_isa_tensor *x = &p->tensors[in->in0], *y = &p->tensors[in->out];
    bool dw = in->flags & DD_ISA_F_DEPTHWISE;
    size_t taps = (size_t)in->kh * in->kw, per = taps * (dw ? 1 : x->c);
    size_t row_bytes = in->wbits == 4 ? (per + 1) / 2 : per;
    const uint8_t *src = p->blob + in->weights;
    const int32_t *q = (const int32_t *)(p->blob + in->quant);
    cv->k = per;
    if (!(cv->rq = malloc(3 * (size_t)y->c * sizeof(int32_t)))) return -1;
    for (size_t c = 0; c < y->c; c++)
        cv->rq[c] = q[3 * c], cv->rq[y->c + c] = q[3 * c + 1], cv->rq[2 * y->c + c] = q[3 * c + 2];
    cv->params = (struct dd_qs8_requant_params){cv->rq,
                                                cv->rq + y->c,
                                                cv->rq + 2 * y->c,
                                                y->zero_point,
                                                in->clamp_min,
                                                in->clamp_max,
                                                (in->flags & DD_ISA_F_LEAKY) != 0};
    if (dw) {
        if (!(cv->w = malloc((size_t)y->c * per))) return -1;
        for (size_t c = 0; c < y->c; c++)
            for (size_t k = 0; k < per; k++)
                cv->w[k * y->c + c] = weight_at(src + c * row_bytes, k, in->wbits);
        return 0;
    }
    size_t ocb = ((size_t)y->c + DD_QS8_GEMM_NR - 1) / DD_QS8_GEMM_NR;
    cv->k4 = (per + 3) / 4;
    cv->w = calloc(ocb * cv->k4 * 4 * DD_QS8_GEMM_NR, 1);
    cv->wsum = calloc((size_t)y->c, sizeof(int32_t));
    if (!cv->w || !cv->wsum) return -1;
    for (size_t oc = 0; oc < y->c; oc++)
        for (size_t k = 0; k < per; k++) {
            int8_t v = weight_at(src + oc * row_bytes, k, in->wbits);
            cv->w[((oc / DD_QS8_GEMM_NR) * cv->k4 + k / 4) * 4 * DD_QS8_GEMM_NR +
                  (oc % DD_QS8_GEMM_NR) * 4 + k % 4] = v;
            cv->wsum[oc] += v;
        }
    return 0;
}

int dd_cpu_prepare(const struct dd_pkg *p, struct dd_cpu_prog **out, struct dd_err *err)
{
    *out = NULL;
    struct dd_cpu_prog *cp = calloc(1, sizeof(*cp));
    if (!cp) return dd_err_set(err, "out of memory");
    cp->pkg = p;
    cp->gemm = dd_qs8_gemm_best(&cp->kernel);
    cp->requant = dd_qs8_requant_best();
    cp->input_nv12 = dd_u8_input_nv12_best();
    cp->conv = calloc(p->n_insns, sizeof(*cp->conv));
    size_t max_k4 = 1, max_c = 1;
    for (uint32_t t = 0; t < p->n_tensors; t++)
        max_c = p->tensors[t].c > max_c ? p->tensors[t].c : max_c;
    if (!cp->conv) goto oom;
    for (uint32_t i = 0; i < p->n_insns; i++) {
        if (p->insns[i].opcode != DD_ISA_CONV) continue;
        if (prepare_conv(p, &p->insns[i], &cp->conv[i]) != 0) goto oom;
        max_k4 = cp->conv[i].k4 > max_k4 ? cp->conv[i].k4 : max_k4;
    }
    for (int t = 0; t < THREADS; t++) {
        struct scratch *s = &cp->scratch[t];
        for (int r = 0; r < DD_QS8_GEMM_MR; r++)
            if (!(s->rows[r] = malloc(max_k4 * 4))) goto oom;
        s->acc = malloc((max_c + DD_QS8_GEMM_NR) * DD_QS8_GEMM_MR * sizeof(int32_t));
        s->vals = malloc(max_c);
        if (!s->acc || !s->vals) goto oom;
    }
    start_workers(cp);
    *out = cp;
    return 0;
oom:
    dd_cpu_free(cp);
    return dd_err_set(err, "out of memory");
}

void dd_cpu_free(struct dd_cpu_prog *cp)
{
    if (!cp) return;
    stop_workers(&cp->w);
    for (uint32_t i = 0; cp->conv && i < cp->pkg->n_insns; i++) {
        free(cp->conv[i].w);
        free(cp->conv[i].wsum);
        free(cp->conv[i].rq);
    }
    free(cp->conv);
    for (int t = 0; t < THREADS; t++) {
        for (int r = 0; r < DD_QS8_GEMM_MR; r++) free(cp->scratch[t].rows[r]);
        free(cp->scratch[t].acc);
        free(cp->scratch[t].vals);
    }
    free(cp);
}

const char *dd_cpu_kernel_name(const struct dd_cpu_prog *cp)
{
    return cp->kernel;
}

static inline const int8_t *pixel(const int8_t *arena, const struct dd_isa_tensor *t, int y, int x)
{
    return arena + dd_isa_offset(t, y, x);
}

/* One biased im2col row for conv position (cy, cx): padding reads the zero point. */
static void im2col(const struct dd_isa_insn *in, const struct dd_isa_tensor *x, const int8_t *arena,
                   int cy, int cx, size_t k4, uint8_t *row)
{
    size_t ic = x->c;
    uint8_t *dst = row;
    for (int ky = 0; ky < in->kh; ky++)
        for (int kx = 0; kx < in->kw; kx++, dst += ic) {
            int iy = cy * in->stride_h - in->pad_top + ky,
                ix = cx * in->stride_w - in->pad_left + kx;
            if (iy < 0 || ix < 0 || iy >= x->h || ix >= x->w) {
                memset(dst, (uint8_t)(x->zero_point ^ 0x80), ic);
            } else {
                const int8_t *s = pixel(arena, x, iy, ix);
                for (size_t c = 0; c < ic; c++) dst[c] = (uint8_t)(s[c] ^ 0x80);
            }
        }
    memset(dst, 0x80, k4 * 4 - (size_t)(dst - row)); /* tail: weights there are zero */
}

/* Accumulators for up to MR conv positions: acc[r * stride + oc] = bias + sum. */
static void dense_acc(const struct dd_cpu_prog *cp, struct scratch *s, const struct dd_isa_insn *in,
                      const struct cpu_conv *cv, const int8_t *arena, const int *cy, const int *cx,
                      int n, size_t stride)
{
    const struct dd_pkg *p = cp->pkg;
    const struct dd_isa_tensor *x = &p->tensors[in->in0], *y = &p->tensors[in->out];
    const int32_t *bias = (const int32_t *)(p->blob + in->bias);
    const uint8_t *rows[DD_QS8_GEMM_MR];
    for (int r = 0; r < DD_QS8_GEMM_MR; r++) {
        if (r < n) im2col(in, x, arena, cy[r], cx[r], cv->k4, s->rows[r]);
        rows[r] = s->rows[r < n ? r : n - 1];
    }
    int32_t out[DD_QS8_GEMM_MR][DD_QS8_GEMM_NR];
    for (int ob = 0; ob * DD_QS8_GEMM_NR < y->c; ob++) {
        cp->gemm(rows, cv->w + (size_t)ob * cv->k4 * 4 * DD_QS8_GEMM_NR, cv->k4, out);
        for (int r = 0; r < n; r++)
            for (int j = 0; j < DD_QS8_GEMM_NR && ob * DD_QS8_GEMM_NR + j < y->c; j++) {
                int oc = ob * DD_QS8_GEMM_NR + j;
                s->acc[r * stride + oc] = bias[oc] + out[r][j] - 128 * cv->wsum[oc];
            }
    }
}

static void depthwise_acc(const struct dd_pkg *p, int32_t *acc, const struct dd_isa_insn *in,
                          const struct cpu_conv *cv, const int8_t *arena, int cy, int cx)
{
    const struct dd_isa_tensor *x = &p->tensors[in->in0], *y = &p->tensors[in->out];
    const int32_t *bias = (const int32_t *)(p->blob + in->bias);
    int C = y->c;
    for (int c = 0; c < C; c++) acc[c] = bias[c];
    for (int ky = 0, t = 0; ky < in->kh; ky++)
        for (int kx = 0; kx < in->kw; kx++, t++) {
            int iy = cy * in->stride_h - in->pad_top + ky,
                ix = cx * in->stride_w - in->pad_left + kx;
            const int8_t *wt = cv->w + (size_t)t * C;
            if (iy < 0 || ix < 0 || iy >= x->h || ix >= x->w) {
                for (int c = 0; c < C; c++) acc[c] += x->zero_point * wt[c];
            } else {
                const int8_t *xp = pixel(arena, x, iy, ix);
                for (int c = 0; c < C; c++) acc[c] += (int32_t)xp[c] * wt[c];
            }
        }
}

/* A band of output rows of one instruction, for one thread. */
struct row_job {
    struct dd_cpu_prog *cp;
    uint32_t insn;
    int8_t *arena;
    const struct dd_isa_frame *frame;
    const void *ctx; /* per-instruction precomputed data (INPUT: taps) */
    int row0, row1;
    struct scratch *s;
    void (*fn)(const struct row_job *j);
};

static void conv_rows(const struct row_job *j)
{
    const struct dd_pkg *p = j->cp->pkg;
    const struct dd_isa_insn *in = &p->insns[j->insn];
    const struct cpu_conv *cv = &j->cp->conv[j->insn];
    const struct dd_isa_tensor *y = &p->tensors[in->out];
    struct scratch *s = j->s;
    bool dw = in->flags & DD_ISA_F_DEPTHWISE, pool = in->flags & DD_ISA_F_POOL2X2;
    size_t stride = (size_t)y->c + DD_QS8_GEMM_NR;
    for (int oy = j->row0; oy < j->row1; oy++) {
        if (pool) { /* one output pixel = the 4 positions of its 2x2 block */
            for (int ox = 0; ox < y->w; ox++) {
                int cy[4] = {2 * oy, 2 * oy, 2 * oy + 1, 2 * oy + 1};
                int cx[4] = {2 * ox, 2 * ox + 1, 2 * ox, 2 * ox + 1};
                for (int r = 0; r < 4; r++) {
                    if (dw)
                        depthwise_acc(p, s->acc, in, cv, j->arena, cy[r], cx[r]);
                    else if (r == 0)
                        dense_acc(j->cp, s, in, cv, j->arena, cy, cx, 4, stride);
                    j->cp->requant(dw ? s->acc : s->acc + r * stride, (size_t)y->c, &cv->params,
                                   r > 0, s->vals);
                }
                memcpy(j->arena + dd_isa_offset(y, oy, ox), s->vals, y->c);
            }
            continue;
        }
        for (int ox = 0; ox < y->w; ox += DD_QS8_GEMM_MR) {
            int n = y->w - ox < DD_QS8_GEMM_MR ? y->w - ox : DD_QS8_GEMM_MR;
            int cy[4] = {oy, oy, oy, oy}, cx[4] = {ox, ox + 1, ox + 2, ox + 3};
            if (!dw) dense_acc(j->cp, s, in, cv, j->arena, cy, cx, n, stride);
            for (int r = 0; r < n; r++) {
                if (dw) depthwise_acc(p, s->acc, in, cv, j->arena, oy, ox + r);
                j->cp->requant(dw ? s->acc : s->acc + r * stride, (size_t)y->c, &cv->params, 0,
                               s->vals);
                memcpy(j->arena + dd_isa_offset(y, oy, ox + r), s->vals, y->c);
            }
        }
    }
}

static void *worker_main(void *arg)
{
    const struct worker_arg *a = arg;
    struct workers *w = &a->cp->w;
    unsigned seen = 0;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->stop && w->generation == seen) pthread_cond_wait(&w->work, &w->mu);
        if (w->stop) break;
        seen = w->generation;
        const struct row_job *j = &w->jobs[a->index];
        pthread_mutex_unlock(&w->mu);
        j->fn(j);
        pthread_mutex_lock(&w->mu);
        if (--w->pending == 0) pthread_cond_signal(&w->done);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int64_t dd_cpu_helper_cpu_ns(const struct dd_cpu_prog *cp)
{
    int64_t total = 0;
    for (int t = 0; t < cp->w.n; t++) {
        clockid_t id;
        struct timespec ts;
        if (pthread_getcpuclockid(cp->w.tid[t + 1], &id) == 0 && clock_gettime(id, &ts) == 0)
            total += (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    }
    return total;
}

static void stop_workers(struct workers *w)
{
    if (!w->sync_ready) return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->work);
    pthread_mutex_unlock(&w->mu);
    for (int t = 0; t < w->n; t++) pthread_join(w->tid[t + 1], NULL);
    w->n = 0;
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->done);
    pthread_mutex_destroy(&w->mu);
    w->sync_ready = false;
}

/* Starts THREADS-1 workers; with fewer than that, runs everything on the caller. */
static void start_workers(struct dd_cpu_prog *cp)
{
    struct workers *w = &cp->w;
    if (pthread_mutex_init(&w->mu, NULL) != 0) return;
    if (pthread_cond_init(&w->work, NULL) != 0) {
        pthread_mutex_destroy(&w->mu);
        return;
    }
    if (pthread_cond_init(&w->done, NULL) != 0) {
        pthread_cond_destroy(&w->work);
        pthread_mutex_destroy(&w->mu);
        return;
    }
    w->sync_ready = true;
    for (int t = 1; t < THREADS; t++) {
        w->args[t] = (struct worker_arg){cp, t};
        if (pthread_create(&w->tid[t], NULL, worker_main, &w->args[t]) != 0) break;
        w->n++;
    }
    if (w->n != THREADS - 1) stop_workers(w); /* partial start: keep it simple, run serially */
}

/* Runs fn over the output rows of instruction i, split across the threads;
 * the calling thread takes the first band. */
static void run_rows(struct dd_cpu_prog *cp, uint32_t i, int8_t *arena,
                     const struct dd_isa_frame *f, const void *ctx,
                     void (*fn)(const struct row_job *j))
{
    int h = cp->pkg->tensors[cp->pkg->insns[i].out].h;
    struct row_job jobs[THREADS];
    for (int t = 0; t < THREADS; t++)
        jobs[t] = (struct row_job){
            cp, i, arena, f, ctx, h * t / THREADS, h * (t + 1) / THREADS, &cp->scratch[t], fn};
    struct workers *w = &cp->w;
    if (w->n != THREADS - 1) { /* no workers: every band on the caller */
        for (int t = 0; t < THREADS; t++) fn(&jobs[t]);
        return;
    }
    pthread_mutex_lock(&w->mu);
    w->jobs = jobs;
    w->pending = w->n;
    w->generation++;
    pthread_cond_broadcast(&w->work);
    pthread_mutex_unlock(&w->mu);
    fn(&jobs[0]);
    pthread_mutex_lock(&w->mu);
    while (w->pending > 0) pthread_cond_wait(&w->done, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

/* POOL with channel-contiguous loops; same arithmetic as the golden model. */
static void pool_rows(const struct row_job *j)
{
    const struct dd_pkg *p = j->cp->pkg;
    const struct dd_isa_insn *in = &p->insns[j->insn];
    int8_t *arena = j->arena;
    const struct dd_isa_tensor *x = &p->tensors[in->in0], *y = &p->tensors[in->out];
    bool avg = in->flags & DD_ISA_F_AVG;
    int C = y->c;
    int32_t *sum = j->s->acc;
    int8_t *vals = j->s->vals;
    for (int oy = j->row0; oy < j->row1; oy++)
        for (int ox = 0; ox < y->w; ox++) {
            int n = 0;
            for (int ky = 0; ky < in->kh; ky++) {
                int iy = oy * in->stride_h - in->pad_top + ky;
                if (iy < 0 || iy >= x->h) continue;
                for (int kx = 0; kx < in->kw; kx++) {
                    int ix = ox * in->stride_w - in->pad_left + kx;
                    if (ix < 0 || ix >= x->w) continue;
                    const int8_t *src = pixel(arena, x, iy, ix);
                    if (avg) {
                        for (int c = 0; c < C; c++) sum[c] = (n ? sum[c] : 0) + src[c];
                    } else {
                        for (int c = 0; c < C; c++)
                            vals[c] = n && vals[c] > src[c] ? vals[c] : src[c];
                    }
                    n++;
                }
            }
            if (avg) {
                int32_t den = 2 * n;
                bool pow2 = (den & (den - 1)) == 0;
                int sh = __builtin_ctz((unsigned)den);
                for (int c = 0; c < C; c++) {
                    int32_t num =
                        2 * sum[c] + n; /* floor(num / den): the average rounded half up */
                    int32_t v =
                        pow2 ? num >> sh : (num >= 0 ? num / den : -((-num + den - 1) / den));
                    vals[c] = (int8_t)dd_isa_clamp(v, in->clamp_min, in->clamp_max);
                }
            } else {
                for (int c = 0; c < C; c++)
                    vals[c] = (int8_t)dd_isa_clamp(vals[c], in->clamp_min, in->clamp_max);
            }
            memcpy(arena + dd_isa_offset(y, oy, ox), vals, (size_t)C);
        }
}

/* ADD with channel-contiguous loops; same int64 arithmetic as the golden model. */
static void add_rows(const struct row_job *j)
{
    const struct dd_pkg *p = j->cp->pkg;
    const struct dd_isa_insn *in = &p->insns[j->insn];
    int8_t *arena = j->arena;
    const struct dd_isa_tensor *a = &p->tensors[in->in0], *y = &p->tensors[in->out];
    const struct dd_isa_tensor *b = in->in1 != DD_ISA_NO_TENSOR ? &p->tensors[in->in1] : NULL;
    int64_t half = (int64_t)1 << (in->shift - 1);
    int C = y->c, CB = b ? b->c : 0;
    for (int yy = j->row0; yy < j->row1; yy++)
        for (int x = 0; x < y->w; x++) {
            const int8_t *pa = pixel(arena, a, yy, x), *pb = b ? pixel(arena, b, yy, x) : NULL;
            int8_t *dst = arena + dd_isa_offset(y, yy, x);
            for (int c = 0; c < C; c++) {
                int64_t acc = (int64_t)(pa[c] - a->zero_point) * in->m0;
                if (c < CB) acc += (int64_t)(pb[c] - b->zero_point) * in->m1;
                dst[c] = (int8_t)dd_isa_clamp(((acc + half) >> in->shift) + y->zero_point,
                                              in->clamp_min, in->clamp_max);
            }
        }
}

/* UPSAMPLE 2x, channel-contiguous; the golden model's taps and rounding. */
static void upsample_rows(const struct row_job *j)
{
    const struct dd_pkg *p = j->cp->pkg;
    const struct dd_isa_insn *in = &p->insns[j->insn];
    int8_t *arena = j->arena;
    const struct dd_isa_tensor *a = &p->tensors[in->in0], *y = &p->tensors[in->out];
    bool bil = in->flags & DD_ISA_F_BILINEAR;
    int C = y->c;
    int32_t z = a->zero_point;
    for (int yy = j->row0; yy < j->row1; yy++)
        for (int x = 0; x < y->w; x++) {
            int8_t *dst = arena + dd_isa_offset(y, yy, x);
            int y0 = yy / 2, x0 = x / 2;
            const int8_t *p00 = pixel(arena, a, y0, x0);
            if (!bil) {
                for (int c = 0; c < C; c++)
                    dst[c] = (int8_t)dd_isa_clamp(p00[c], in->clamp_min, in->clamp_max);
                continue;
            }
            int y1 = (yy & 1) ? y0 + 1 : y0 - 1, x1 = (x & 1) ? x0 + 1 : x0 - 1;
            y1 = y1 < 0 ? 0 : (y1 > a->h - 1 ? a->h - 1 : y1);
            x1 = x1 < 0 ? 0 : (x1 > a->w - 1 ? a->w - 1 : x1);
            const int8_t *p01 = pixel(arena, a, y0, x1), *p10 = pixel(arena, a, y1, x0),
                         *p11 = pixel(arena, a, y1, x1);
            for (int c = 0; c < C; c++) {
                int32_t s = 9 * (p00[c] - z) + 3 * (p01[c] - z) + 3 * (p10[c] - z) + (p11[c] - z);
                dst[c] = (int8_t)dd_isa_clamp(((s + 8) >> 4) + z, in->clamp_min, in->clamp_max);
            }
        }
}

/* INPUT: the golden model's arithmetic with the horizontal taps computed once
 * per call instead of once per pixel; output rows split over the threads. */
struct input_ctx {
    struct dd_letterbox lb;
    uint32_t (*tx)[3]; /* per box column: x0, x1, weight */
    int8_t pad[3];
};

static void input_rows(const struct row_job *j)
{
    const struct dd_pkg *p = j->cp->pkg;
    const struct dd_isa_insn *in = &p->insns[j->insn];
    const struct dd_isa_tensor *o = &p->tensors[in->out];
    const int64_t *nrm = (const int64_t *)(p->blob + in->quant);
    const struct input_ctx *cx = j->ctx;
    const struct dd_letterbox *lb = &cx->lb;
    const struct dd_isa_frame *f = j->frame;
    bool bgr = in->flags & DD_ISA_F_BGR;
    for (int y = j->row0; y < j->row1; y++) {
        int8_t *row = j->arena + dd_isa_offset(o, y, 0);
        bool inside_y = y >= lb->box_y && y < lb->box_y + lb->box_h;
        uint32_t y0 = 0, y1 = 0, fy = 0;
        if (inside_y)
            dd_isa_src_taps((uint32_t)(y - lb->box_y), f->height, (uint32_t)lb->box_h, &y0, &y1,
                            &fy);
        if (inside_y && f->format == DD_FRAME_NV12) { /* the SIMD row kernel for the box */
            for (int x = 0; x < o->w; x++)
                if (x < lb->box_x || x >= lb->box_x + lb->box_w)
                    memcpy(row + (size_t)x * o->pitch, cx->pad, 3);
            struct dd_input_row r = {f->data + (size_t)y0 * f->stride,
                                     f->data + (size_t)y1 * f->stride,
                                     f->uv + (size_t)(y0 / 2) * f->uv_stride,
                                     f->uv + (size_t)(y1 / 2) * f->uv_stride,
                                     f->width,
                                     fy,
                                     (const uint32_t(*)[3])cx->tx,
                                     (size_t)lb->box_w,
                                     row + (size_t)lb->box_x * o->pitch,
                                     o->pitch,
                                     bgr,
                                     nrm};
            j->cp->input_nv12(&r);
            continue;
        }
        for (int x = 0; x < o->w; x++) {
            int8_t *dst = row + (size_t)x * o->pitch;
            if (!inside_y || x < lb->box_x || x >= lb->box_x + lb->box_w) {
                memcpy(dst, cx->pad, 3);
                continue;
            }
            const uint32_t *t = cx->tx[x - lb->box_x];
            uint8_t p00[3], p01[3], p10[3], p11[3];
            dd_isa_frame_rgb(f, t[0], y0, p00);
            dd_isa_frame_rgb(f, t[1], y0, p01);
            dd_isa_frame_rgb(f, t[0], y1, p10);
            dd_isa_frame_rgb(f, t[1], y1, p11);
            int64_t fx = t[2], v[3];
            for (int c = 0; c < 3; c++) {
                int64_t top = p00[c] * (256 - fx) + p01[c] * fx;
                int64_t bot = p10[c] * (256 - fx) + p11[c] * fx;
                v[c] = top * (256 - (int64_t)fy) + bot * (int64_t)fy;
            }
            for (int c = 0; c < 3; c++)
                dst[c] = dd_isa_normalise(v[bgr ? 2 - c : c], nrm[c], nrm[3 + c]);
        }
    }
}

static void input(struct dd_cpu_prog *cp, uint32_t i, int8_t *arena, const struct dd_isa_frame *f)
{
    const struct dd_pkg *p = cp->pkg;
    const struct dd_isa_insn *in = &p->insns[i];
    const struct dd_isa_tensor *o = &p->tensors[in->out];
    const int64_t *nrm = (const int64_t *)(p->blob + in->quant);
    struct input_ctx cx;
    dd_letterbox_fit((int)f->width, (int)f->height, o->w, o->h, &cx.lb);
    cx.tx = malloc((size_t)cx.lb.box_w * sizeof(*cx.tx));
    if (!cx.tx) { /* no memory for the taps: the golden code needs none */
        dd_golden_insn(p, i, arena, f);
        return;
    }
    for (int x = 0; x < cx.lb.box_w; x++)
        dd_isa_src_taps((uint32_t)x, f->width, (uint32_t)cx.lb.box_w, &cx.tx[x][0], &cx.tx[x][1],
                        &cx.tx[x][2]);
    for (int c = 0; c < 3; c++)
        cx.pad[c] = dd_isa_normalise((int64_t)in->m0 << 16, nrm[c], nrm[3 + c]);
    run_rows(cp, i, arena, f, &cx, input_rows);
    free(cx.tx);
}

void dd_cpu_insn(struct dd_cpu_prog *cp, uint32_t i, int8_t *arena, const struct dd_isa_frame *f)
{
    switch (cp->pkg->insns[i].opcode) {
    case DD_ISA_CONV:
        run_rows(cp, i, arena, f, NULL, conv_rows);
        break;
    case DD_ISA_POOL:
        run_rows(cp, i, arena, f, NULL, pool_rows);
        break;
    case DD_ISA_ADD:
        run_rows(cp, i, arena, f, NULL, add_rows);
        break;
    case DD_ISA_UPSAMPLE:
        run_rows(cp, i, arena, f, NULL, upsample_rows);
        break;
    case DD_ISA_INPUT:
        input(cp, i, arena, f);
        break;
    default:
        dd_golden_insn(cp->pkg, i, arena, f);
    }
}

int dd_cpu_run(struct dd_cpu_prog *cp, int8_t *arena, const struct dd_isa_frame *f,
               struct dd_err *err)
{
    const struct dd_pkg *p = cp->pkg;
    if (dd_isa_check_range(p, 0, p->n_insns, f, NULL, err) != 0) return -1;
    for (uint32_t i = 0; i < p->n_insns; i++) dd_cpu_insn(cp, i, arena, f);
    return 0;
}

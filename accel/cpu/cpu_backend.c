#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#endif
#include "accel/cpu/cpu_backend.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accel/cpu/cpu_kernels.h"
#include "common/clock.h"
#include "accel/cpu/u8_input.h"
#include "accel/golden.h"
#include "isa/isa_input.h"
#include "postproc/letterbox.h"

#define THREADS 2

struct cpu_conv {
    int8_t *w; /* dense: packed [oc/32][k4][32][4]; depthwise: [tap][c] (owned) */
    int32_t
        *bias;   /* dense: per output channel (padded to 32), bias - 128 * sum of weights (owned) */
    int32_t *rq; /* m[c], m_neg[c], s[c] deinterleaved, 3 * channels (owned) */
    struct dd_qs8_requant_params params;
    size_t k4; /* dense: kh * kw * icp in groups of 4 */
    /* dense: the kernel reads a biased, zero-point-padded copy of the input
     * (hp x wp pixels of icp bytes: ic, or ic rounded up to 4 when kw * ic is
     * not a multiple of 4, with zero weights for the extra channels), one
     * segment of kw * icp bytes per kernel row */
    size_t hp, wp, icp;
};

struct scratch {
    const uint8_t **segs; /* the GEMM's row segments: MR x the largest kh */
    int32_t *acc;         /* [MR][max channels] */
    int8_t *vals;         /* max channels */
};

struct dd_cpu_prog;

struct worker_arg {
    struct dd_cpu_prog *cp;
    int index; /* 1 .. THREADS-1; the caller is worker 0 */
};

/* Persistent workers, started once per prepared program: run_rows publishes an
 * instruction's rows and works on them itself; a worker that wakes in time joins
 * and claims chunks too. Between instructions both sides spin for up to SPIN_NS
 * before sleeping on the conditions: a futex wake-up costs tens of
 * microseconds here, and a frame runs ~50 instructions.
 *
 * On a shared machine a worker may not run for milliseconds (another process
 * has its core). The caller never waits for a worker that has not joined: when
 * it runs out of rows it closes the instruction, and a worker that comes later
 * sees it closed and skips it. The caller waits only for the workers that
 * joined, and those hold at most one chunk each. The join state is one word:
 * generation << 32 | closed << 31 | joined << 16 | finished. */
#define SPIN_NS 50000
#define GATE_CLOSED (1ull << 31)
#define GATE_JOINED (1ull << 16)
struct workers {
    bool sync_ready; /* mutex and conditions initialised */
    int n;           /* running workers; 0: everything runs on the caller */
    pthread_t tid[THREADS];
    struct worker_arg args[THREADS];
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    _Atomic unsigned generation; /* bumped (under mu) for every call */
    _Atomic uint64_t gate;       /* this generation's joins (see above) */
    _Atomic bool stop;
    const struct row_job *jobs;
};

struct row_job;
typedef void (*row_fn)(const struct row_job *j);
static const row_fn *rows_for_this_cpu(void);

struct dd_cpu_prog {
    const struct dd_pkg *pkg;
    struct cpu_conv *conv; /* per instruction (CONV only) */
    struct scratch scratch[THREADS];
    uint8_t *biased; /* the dense convolutions' padded, biased input (shared) */
    struct workers w;
    struct dd_qs8_gemm_kernel gemm;
    dd_qs8_requant_fn requant;
    dd_qs8_requant_tile_fn requant_tile;
    dd_u8_input_nv12_fn input_nv12;
    const row_fn *rows; /* POOL, ADD, UPSAMPLE (row_ops) */
};

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
    _Atomic int *next; /* the next unclaimed row: threads claim chunks until all rows are done */
    int rows, chunk;
};

/* Claims chunks of rows from the shared counter and runs them (dynamic
 * balance: a thread slowed by the machine takes fewer rows; every row's
 * result is the same whichever thread computes it). */
static void run_chunks(const struct row_job *j)
{
    struct row_job c = *j;
    for (;;) {
        int r = atomic_fetch_add_explicit(j->next, j->chunk, memory_order_relaxed);
        if (r >= j->rows) break;
        c.row0 = r;
        c.row1 = r + j->chunk < j->rows ? r + j->chunk : j->rows;
        j->fn(&c);
    }
}

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
    size_t ic = x->c, icp = in->kw * ic % 4 ? (ic + 3) / 4 * 4 : ic; /* packed k: tap * icp + c */
    size_t ch = y->h, cw = y->w; /* conv positions (before the fused pool) */
    if (in->flags & DD_ISA_F_POOL2X2) ch *= 2, cw *= 2;
    cv->icp = icp;
    cv->hp = (ch - 1) * in->stride_h + in->kh;
    cv->wp = (cw - 1) * in->stride_w + in->kw;
    cv->k4 = taps * icp / 4;
    cv->w = calloc(ocb * cv->k4 * 4 * DD_QS8_GEMM_NR, 1);
    cv->bias = calloc(ocb * DD_QS8_GEMM_NR, sizeof(int32_t));
    if (!cv->w || !cv->bias) return -1;
    const int32_t *bias = (const int32_t *)(p->blob + in->bias);
    for (size_t oc = 0; oc < y->c; oc++) {
        int32_t sum = 0;
        for (size_t k = 0; k < per; k++) {
            int8_t v = weight_at(src + oc * row_bytes, k, in->wbits);
            size_t kp = k / ic * icp + k % ic;
            cv->w[((oc / DD_QS8_GEMM_NR) * cv->k4 + kp / 4) * 4 * DD_QS8_GEMM_NR +
                  (oc % DD_QS8_GEMM_NR) * 4 + kp % 4] = v;
            sum += v;
        }
        cv->bias[oc] = bias[oc] - 128 * sum;
    }
    return 0;
}

int dd_cpu_create(const struct dd_pkg *p, struct dd_cpu_prog **out, struct dd_err *err)
{
    *out = NULL;
    struct dd_cpu_prog *cp = calloc(1, sizeof(*cp));
    if (!cp) return dd_err_set(err, "out of memory");
    cp->pkg = p;
    struct dd_cpu_kernels k;
    dd_cpu_kernels_resolve(&k);
    cp->gemm = k.gemm;
    cp->requant = k.requant;
    cp->requant_tile = k.requant_tile;
    cp->input_nv12 = k.input_nv12;
    cp->rows = rows_for_this_cpu();
    cp->conv = calloc(p->n_insns, sizeof(*cp->conv));
    size_t max_kh = 1, max_c = 1, max_biased = 0;
    for (uint32_t t = 0; t < p->n_tensors; t++)
        max_c = p->tensors[t].c > max_c ? p->tensors[t].c : max_c;
    if (!cp->conv) goto oom;
    for (uint32_t i = 0; i < p->n_insns; i++) {
        if (p->insns[i].opcode != DD_ISA_CONV) continue;
        if (prepare_conv(p, &p->insns[i], &cp->conv[i]) != 0) goto oom;
        const struct cpu_conv *cv = &cp->conv[i];
        max_kh = p->insns[i].kh > max_kh ? p->insns[i].kh : max_kh;
        size_t bytes = cv->hp * cv->wp * cv->icp;
        max_biased = bytes > max_biased ? bytes : max_biased;
    }
    if (max_biased && !(cp->biased = malloc(max_biased))) goto oom;
    for (int t = 0; t < THREADS; t++) {
        struct scratch *s = &cp->scratch[t];
        s->segs = malloc(DD_QS8_GEMM_MR_MAX * max_kh * sizeof(*s->segs));
        s->acc = malloc(max_c * sizeof(int32_t));
        s->vals = malloc(max_c);
        if (!s->segs || !s->acc || !s->vals) goto oom;
    }
    start_workers(cp);
    *out = cp;
    return 0;
oom:
    dd_cpu_destroy(cp);
    return dd_err_set(err, "out of memory");
}

void dd_cpu_destroy(struct dd_cpu_prog *cp)
{
    if (!cp) return;
    stop_workers(&cp->w);
    for (uint32_t i = 0; cp->conv && i < cp->pkg->n_insns; i++) {
        free(cp->conv[i].w);
        free(cp->conv[i].bias);
        free(cp->conv[i].rq);
    }
    free(cp->conv);
    free(cp->biased);
    for (int t = 0; t < THREADS; t++) {
        free(cp->scratch[t].segs);
        free(cp->scratch[t].acc);
        free(cp->scratch[t].vals);
    }
    free(cp);
}

const char *dd_cpu_kernel_name(const struct dd_cpu_prog *cp)
{
    return cp->gemm.name;
}

static inline const int8_t *pixel(const int8_t *arena, const struct dd_isa_tensor *t, int y, int x)
{
    return arena + dd_isa_offset(t, y, x);
}

/* dst[i] = src[i] ^ 0x80 (int8 -> biased u8), 8 bytes at a time. */
static inline void copy_biased(uint8_t *dst, const int8_t *src, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, src + i, 8);
        v ^= 0x8080808080808080ULL;
        memcpy(dst + i, &v, 8);
    }
    for (; i < n; i++) dst[i] = (uint8_t)(src[i] ^ 0x80);
}

/* Up to MR conv positions through the GEMM kernel, requantized straight into
 * their output pixels (combine: max with what is there, the fused 2x2 pool). */
static void dense_block(const struct dd_cpu_prog *cp, struct scratch *s,
                        const struct dd_isa_insn *in, const struct cpu_conv *cv, const int *cy,
                        const int *cx, int8_t *const *dst, const int *combine, int n)
{
    const struct dd_isa_tensor *y = &cp->pkg->tensors[in->out];
    const uint8_t **rows = s->segs;
    size_t ks = in->kh, seg4 = cv->k4 / ks, ic = cv->icp;
    for (int r = 0; r < cp->gemm.mr; r++) { /* rows past n repeat the last position */
        int q = r < n ? r : n - 1;
        const uint8_t *base =
            cp->biased +
            ((size_t)cy[q] * in->stride_h * cv->wp + (size_t)cx[q] * in->stride_w) * ic;
        for (size_t ky = 0; ky < ks; ky++) rows[r * ks + ky] = base + ky * cv->wp * ic;
    }
    int32_t out[DD_QS8_GEMM_MR_MAX][DD_QS8_GEMM_NR];
    for (int oc = 0; oc < y->c; oc += DD_QS8_GEMM_NR) {
        cp->gemm.fn(rows, ks, seg4, cv->w + (size_t)oc * cv->k4 * 4, cv->bias + oc, out);
        struct dd_qs8_requant_params rq = cv->params;
        rq.m += oc, rq.m_neg += oc, rq.s += oc;
        size_t nc = y->c - oc < DD_QS8_GEMM_NR ? (size_t)(y->c - oc) : DD_QS8_GEMM_NR;
        cp->requant_tile((const int32_t(*)[32])out, n, nc, &rq, combine, dst, (size_t)oc);
    }
}

/* The biased, padded copy of a dense convolution's input, a band of its rows. */
static void prebias_rows(const struct row_job *j)
{
    const struct dd_pkg *p = j->cp->pkg;
    const struct dd_isa_insn *in = &p->insns[j->insn];
    const struct cpu_conv *cv = &j->cp->conv[j->insn];
    const struct dd_isa_tensor *x = &p->tensors[in->in0];
    size_t ic = x->c, icp = cv->icp, row = cv->wp * icp;
    uint8_t zp = (uint8_t)(x->zero_point ^ 0x80);
    int left = in->pad_left, right = (int)cv->wp - left - x->w;
    if (right < 0) right = 0;
    int inner = (int)cv->wp - left - right; /* input columns read */
    for (int py = j->row0; py < j->row1; py++) {
        uint8_t *dst = j->cp->biased + (size_t)py * row;
        int iy = py - in->pad_top;
        if (iy < 0 || iy >= x->h) {
            memset(dst, zp, row);
            continue;
        }
        memset(dst, zp, (size_t)left * icp);
        dst += (size_t)left * icp;
        if (x->pitch == ic && icp == ic) {
            copy_biased(dst, pixel(j->arena, x, iy, 0), (size_t)inner * ic);
        } else if (icp == ic) {
            for (int ix = 0; ix < inner; ix++)
                copy_biased(dst + (size_t)ix * ic, pixel(j->arena, x, iy, ix), ic);
        } else if (icp == 4 && x->pitch >= ic) {
            /* 1-3 channels: 4 bytes per pixel at once; the extra bytes (the next
             * pixel's) meet zero weights. The row's last pixel is copied bytewise
             * (its next bytes may lie beyond the tensor). */
            int ix = 0;
            for (; ix + 1 < inner; ix++) {
                uint32_t v;
                memcpy(&v, pixel(j->arena, x, iy, ix), 4);
                v ^= 0x80808080u;
                memcpy(dst + (size_t)ix * 4, &v, 4);
            }
            for (; ix < inner; ix++) {
                const int8_t *s = pixel(j->arena, x, iy, ix);
                uint8_t *d = dst + (size_t)ix * 4;
                for (size_t c = 0; c < 4; c++) d[c] = c < ic ? (uint8_t)(s[c] ^ 0x80) : 0x80;
            }
        } else { /* extra channels: any value (their weights are zero); 0x80 */
            for (int ix = 0; ix < inner; ix++) {
                const int8_t *s = pixel(j->arena, x, iy, ix);
                uint8_t *d = dst + (size_t)ix * icp;
                for (size_t c = 0; c < ic; c++) d[c] = (uint8_t)(s[c] ^ 0x80);
                for (size_t c = ic; c < icp; c++) d[c] = 0x80;
            }
        }
        memset(dst + (size_t)inner * icp, zp, (size_t)right * icp);
    }
}

/* The dense convolution over a band of output rows: the band's positions in
 * raster order, in groups of the kernel's MR (a group may span two rows); with
 * the fused pool, the 4 positions of each output pixel's 2x2 block follow each
 * other (the first writes, the others combine). */
static void conv_dense_rows(const struct row_job *j)
{
    const struct dd_pkg *p = j->cp->pkg;
    const struct dd_isa_insn *in = &p->insns[j->insn];
    const struct cpu_conv *cv = &j->cp->conv[j->insn];
    const struct dd_isa_tensor *y = &p->tensors[in->out];
    bool pool = in->flags & DD_ISA_F_POOL2X2;
    int mr = j->cp->gemm.mr, per = pool ? 4 : 1;
    int npos = (j->row1 - j->row0) * y->w * per;
    int cy[DD_QS8_GEMM_MR_MAX], cx[DD_QS8_GEMM_MR_MAX], combine[DD_QS8_GEMM_MR_MAX];
    int8_t *dst[DD_QS8_GEMM_MR_MAX];
    int oy = j->row0, ox = 0, sub = 0; /* the next position, stepped without divisions */
    for (int p0 = 0; p0 < npos; p0 += mr) {
        int n = npos - p0 < mr ? npos - p0 : mr;
        for (int r = 0; r < n; r++) {
            cy[r] = pool ? 2 * oy + sub / 2 : oy;
            cx[r] = pool ? 2 * ox + sub % 2 : ox;
            combine[r] = sub != 0;
            dst[r] = j->arena + dd_isa_offset(y, oy, ox);
            if (++sub == per) {
                sub = 0;
                if (++ox == y->w) ox = 0, oy++;
            }
        }
        dense_block(j->cp, j->s, in, cv, cy, cx, dst, combine, n);
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

/* The depthwise convolution over a band of output rows. */
static void conv_dw_rows(const struct row_job *j)
{
    const struct dd_pkg *p = j->cp->pkg;
    const struct dd_isa_insn *in = &p->insns[j->insn];
    const struct cpu_conv *cv = &j->cp->conv[j->insn];
    const struct dd_isa_tensor *y = &p->tensors[in->out];
    struct scratch *s = j->s;
    bool pool = in->flags & DD_ISA_F_POOL2X2;
    for (int oy = j->row0; oy < j->row1; oy++)
        for (int ox = 0; ox < y->w; ox++) {
            int8_t *dst = j->arena + dd_isa_offset(y, oy, ox);
            for (int r = 0; r < (pool ? 4 : 1); r++) {
                int cy = pool ? 2 * oy + r / 2 : oy, cx = pool ? 2 * ox + r % 2 : ox;
                depthwise_acc(p, s->acc, in, cv, j->arena, cy, cx);
                j->cp->requant(s->acc, (size_t)y->c, &cv->params, r > 0, s->vals);
            }
            memcpy(dst, s->vals, y->c);
        }
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/* Spins until *v != value or SPIN_NS passed; returns whether it changed. */
static bool spin_while_uint(_Atomic unsigned *v, unsigned value)
{
    int64_t t0 = dd_now_ns();
    for (unsigned i = 1;; i++) {
        if (atomic_load_explicit(v, memory_order_acquire) != value) return true;
        cpu_relax();
        if (i % 64 == 0 && dd_now_ns() - t0 > SPIN_NS) return false;
    }
}

/* Whether every worker that joined the closed gate g has finished. */
static bool gate_done(uint64_t g)
{
    return ((g >> 16) & 0x7fff) == (g & 0xffff);
}

static bool spin_until_done(_Atomic uint64_t *gate)
{
    int64_t t0 = dd_now_ns();
    for (unsigned i = 1;; i++) {
        if (gate_done(atomic_load_explicit(gate, memory_order_acquire))) return true;
        cpu_relax();
        if (i % 64 == 0 && dd_now_ns() - t0 > SPIN_NS) return false;
    }
}

/* Joins generation gen unless it is closed or over; returns whether it did. */
static bool gate_join(_Atomic uint64_t *gate, unsigned gen)
{
    uint64_t g = atomic_load_explicit(gate, memory_order_acquire);
    for (;;) {
        if ((unsigned)(g >> 32) != gen || (g & GATE_CLOSED)) return false;
        if (atomic_compare_exchange_weak_explicit(gate, &g, g + GATE_JOINED, memory_order_acq_rel,
                                                  memory_order_acquire))
            return true;
    }
}

static void *worker_main(void *arg)
{
    const struct worker_arg *a = arg;
    struct workers *w = &a->cp->w;
    unsigned seen = 0;
    for (;;) {
        if (!spin_while_uint(&w->generation, seen)) {
            pthread_mutex_lock(&w->mu);
            while (!atomic_load(&w->stop) && atomic_load(&w->generation) == seen)
                pthread_cond_wait(&w->work, &w->mu);
            pthread_mutex_unlock(&w->mu);
        }
        if (atomic_load(&w->stop)) break;
        seen = atomic_load_explicit(&w->generation, memory_order_acquire);
        if (!gate_join(&w->gate, seen)) continue; /* the caller finished it without us */
        const struct row_job *j = &w->jobs[a->index];
        run_chunks(j);
        uint64_t g = atomic_fetch_add_explicit(&w->gate, 1, memory_order_acq_rel) + 1;
        if ((g & GATE_CLOSED) && gate_done(g)) {
            pthread_mutex_lock(&w->mu); /* the caller may be between its check and its wait */
            pthread_cond_signal(&w->done);
            pthread_mutex_unlock(&w->mu);
        }
    }
    return NULL;
}

int64_t dd_cpu_helper_cpu_ns(const struct dd_cpu_prog *cp)
{
    int64_t total = 0;
    for (int t = 0; t < cp->w.n; t++) {
        total += dd_pthread_cpu_ns(cp->w.tid[t + 1]);
    }
    return total;
}

static void stop_workers(struct workers *w)
{
    if (!w->sync_ready) return;
    pthread_mutex_lock(&w->mu);
    atomic_store(&w->stop, true);
    atomic_fetch_add(&w->generation, 1); /* wakes spinners too */
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
    cpu_set_t cpus;
    /* one CPU for this process (taskset, cgroup): a worker could only take turns with the
     * caller, and spinning would stall both; everything runs on the caller */
    if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) < 2) return;
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
static void run_rows_n(struct dd_cpu_prog *cp, uint32_t i, int8_t *arena,
                       const struct dd_isa_frame *f, const void *ctx, int h,
                       void (*fn)(const struct row_job *j))
{
    struct row_job jobs[THREADS];
    _Atomic int next = 0;
    int chunk = (h + 4 * THREADS - 1) / (4 * THREADS);
    for (int t = 0; t < THREADS; t++)
        jobs[t] =
            (struct row_job){cp, i, arena, f, ctx, 0, h, &cp->scratch[t], fn, &next, h, chunk};
    struct workers *w = &cp->w;
    if (w->n != THREADS - 1) { /* no workers: every row on the caller */
        fn(&jobs[0]);
        return;
    }
    pthread_mutex_lock(&w->mu);
    w->jobs = jobs;
    unsigned gen = atomic_load_explicit(&w->generation, memory_order_relaxed) + 1;
    atomic_store_explicit(&w->gate, (uint64_t)gen << 32, memory_order_release);
    atomic_store_explicit(&w->generation, gen, memory_order_release);
    pthread_cond_broadcast(&w->work);
    pthread_mutex_unlock(&w->mu);
    run_chunks(&jobs[0]);
    /* no rows left: close, then wait only for the workers that joined */
    uint64_t g = atomic_fetch_or_explicit(&w->gate, GATE_CLOSED, memory_order_acq_rel);
    if (!gate_done(g) && !spin_until_done(&w->gate)) {
        pthread_mutex_lock(&w->mu);
        while (!gate_done(atomic_load(&w->gate))) pthread_cond_wait(&w->done, &w->mu);
        pthread_mutex_unlock(&w->mu);
    }
}

/* run_rows_n over the instruction's output rows. */
static void run_rows(struct dd_cpu_prog *cp, uint32_t i, int8_t *arena,
                     const struct dd_isa_frame *f, const void *ctx,
                     void (*fn)(const struct row_job *j))
{
    run_rows_n(cp, i, arena, f, ctx, cp->pkg->tensors[cp->pkg->insns[i].out].h, fn);
}

/* LUT: the table with the clamp folded in, indexed by the biased byte. */
static void lut_rows(const struct row_job *j)
{
    const struct dd_pkg *p = j->cp->pkg;
    const struct dd_isa_insn *in = &p->insns[j->insn];
    const struct dd_isa_tensor *a = &p->tensors[in->in0], *y = &p->tensors[in->out];
    const int8_t *table = (const int8_t *)(p->blob + in->weights);
    int8_t tab[256];
    for (int v = 0; v < 256; v++)
        tab[v] = (int8_t)dd_isa_clamp(table[v], in->clamp_min, in->clamp_max);
    for (int yy = j->row0; yy < j->row1; yy++)
        for (int x = 0; x < y->w; x++) {
            const int8_t *src = pixel(j->arena, a, yy, x);
            int8_t *dst = j->arena + dd_isa_offset(y, yy, x);
            for (int c = 0; c < y->c; c++) dst[c] = tab[(uint8_t)src[c] ^ 0x80];
        }
}

/* POOL with channel-contiguous loops; same arithmetic as the golden model. */
static inline __attribute__((always_inline)) void pool_rows_body(const struct row_job *j)
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
                    if (avg && n == 0) {
                        for (int c = 0; c < C; c++) sum[c] = src[c];
                    } else if (avg) {
                        for (int c = 0; c < C; c++) sum[c] += src[c];
                    } else if (n == 0) {
                        memcpy(vals, src, (size_t)C);
                    } else {
                        for (int c = 0; c < C; c++) vals[c] = vals[c] > src[c] ? vals[c] : src[c];
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
            } else { /* the clamp is validated to lie in the int8 range */
                int8_t lo = (int8_t)in->clamp_min, hi = (int8_t)in->clamp_max;
                for (int c = 0; c < C; c++)
                    vals[c] = vals[c] < lo ? lo : (vals[c] > hi ? hi : vals[c]);
            }
            memcpy(arena + dd_isa_offset(y, oy, ox), vals, (size_t)C);
        }
}

/* ADD with channel-contiguous loops; same int64 arithmetic as the golden model. */
static inline __attribute__((always_inline)) void add_rows_body(const struct row_job *j)
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
static inline __attribute__((always_inline)) void upsample_rows_body(const struct row_job *j)
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

/* The element-wise loops (POOL, ADD, UPSAMPLE) are plain C that the compiler
 * vectorizes: each body is compiled once per instruction-set level (the same
 * source, so the same results) and the kernel registry (common/cpu_isa)
 * picks the copy, like every other kernel family (DETECTD_CPU_KERNEL caps it). */
#define ROW_SCALAR(op)                                                                             \
    static void op##_scalar(const struct row_job *j)                                               \
    {                                                                                              \
        op##_body(j);                                                                              \
    }
ROW_SCALAR(pool_rows)
ROW_SCALAR(add_rows)
ROW_SCALAR(upsample_rows)
#if defined(__x86_64__)
#define ROW_X86(op)                                                                                \
    __attribute__((target("avx2"))) static void op##_avx2(const struct row_job *j)                 \
    {                                                                                              \
        op##_body(j);                                                                              \
    }                                                                                              \
    __attribute__((target("avx2,avx512f,avx512bw,avx512vl"))) static void op##_avx512(             \
        const struct row_job *j)                                                                   \
    {                                                                                              \
        op##_body(j);                                                                              \
    }
ROW_X86(pool_rows)
ROW_X86(add_rows)
ROW_X86(upsample_rows)
#endif

/* The copies per level, best first: param indexes row_ops[]. */
static const row_fn row_ops[][3] = {
#if defined(__x86_64__)
    {pool_rows_avx512, add_rows_avx512, upsample_rows_avx512},
    {pool_rows_avx2, add_rows_avx2, upsample_rows_avx2},
#endif
    {pool_rows_scalar, add_rows_scalar, upsample_rows_scalar},
};
const struct dd_kernel_variant dd_i8_rowops_variants[] = {
#if defined(__x86_64__)
    {"i8-pool-add-upsample-avx512", DD_CPU_AVX512, NULL, 0},
    {"i8-pool-add-upsample-avx2", DD_CPU_AVX2, NULL, 1},
    {"i8-pool-add-upsample-scalar", DD_CPU_SCALAR, NULL, 2},
#else
    {"i8-pool-add-upsample-scalar", DD_CPU_SCALAR, NULL, 0},
#endif
};
const size_t dd_i8_rowops_n_variants =
    sizeof(dd_i8_rowops_variants) / sizeof(dd_i8_rowops_variants[0]);

static const row_fn *rows_for_this_cpu(void)
{
    return row_ops[dd_kernel_pick(dd_i8_rowops_variants, dd_i8_rowops_n_variants)->param];
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
            dd_isa_frame_pixel_rgb(f, t[0], y0, p00);
            dd_isa_frame_pixel_rgb(f, t[1], y0, p01);
            dd_isa_frame_pixel_rgb(f, t[0], y1, p10);
            dd_isa_frame_pixel_rgb(f, t[1], y1, p11);
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
        if (cp->pkg->insns[i].flags & DD_ISA_F_DEPTHWISE) {
            run_rows(cp, i, arena, f, NULL, conv_dw_rows);
            break;
        }
        run_rows_n(cp, i, arena, f, NULL, (int)cp->conv[i].hp, prebias_rows);
        run_rows(cp, i, arena, f, NULL, conv_dense_rows);
        break;
    case DD_ISA_POOL:
        run_rows(cp, i, arena, f, NULL, cp->rows[0]);
        break;
    case DD_ISA_ADD:
        run_rows(cp, i, arena, f, NULL, cp->rows[1]);
        break;
    case DD_ISA_UPSAMPLE:
        run_rows(cp, i, arena, f, NULL, cp->rows[2]);
        break;
    case DD_ISA_INPUT:
        input(cp, i, arena, f);
        break;
    case DD_ISA_LUT:
        run_rows(cp, i, arena, f, NULL, lut_rows);
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

/* ---- the backend plug-in ---- */

static int cpu_open(const struct dd_pkg *pkg, const struct dd_backend_opts *opts, void **state,
                    struct dd_err *err)
{
    (void)opts;
    return dd_cpu_create(pkg, (struct dd_cpu_prog **)state, err);
}

static int cpu_run(void *state, int8_t *arena, const struct dd_backend_frame *in, uint32_t first,
                   uint32_t count, struct dd_err *err)
{
    struct dd_cpu_prog *cp = state;
    if (dd_isa_check_range(cp->pkg, first, count, in->frame, NULL, err) != 0) return -1;
    for (uint32_t i = first; i < first + count; i++) dd_cpu_insn(cp, i, arena, in->frame);
    return 0;
}

static void cpu_get_stats(void *state, struct dd_backend_stats *out)
{
    const struct dd_cpu_prog *cp = state;
    out->kernel = cp->gemm.name;
    out->helper_cpu_ns = dd_cpu_helper_cpu_ns(cp);
}

static void cpu_close(void *state)
{
    dd_cpu_destroy(state);
}

const struct dd_backend_ops dd_backend_cpu = {
    "cpu",     "the optimized CPU engine (SIMD kernels, 2 threads), bit-exact with golden",
    cpu_open,  NULL,
    cpu_run,   cpu_get_stats,
    cpu_close,
};

/* bench_infer: median milliseconds per inference of the float reference
 * executor and of a package on an ISA executor, on one real frame.
 * usage: bench_infer --model DIR --input MEDIA [--frame N] [--package FILE] [--runs R] */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthread.h>

#include "accel/cpu/cpu_backend.h"
#include "accel/cpu/qs8_gemm.h"
#include "accel/golden.h"
#include "accel/cpu/cpu_kernels.h"
#include "accel/qdetector.h"
#include "detectors/detector.h"
#include "common/clock.h"
#include "common/file.h"
#include "media/media_input.h"
#include "detectors/preprocess.h"

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The kernel's own rate on data hot in L1 (one 64-step block, reused), GMAC/s per thread. */
static void *kernel_hot_thread(void *arg)
{
    struct dd_cpu_kernels ks;
    dd_cpu_kernels_resolve(&ks);
    struct dd_qs8_gemm_kernel k = ks.gemm;
    static _Alignas(64) uint8_t a[DD_QS8_GEMM_MR_MAX][256];
    static _Alignas(64) int8_t w[64 * 4 * DD_QS8_GEMM_NR];
    static const int32_t bias[DD_QS8_GEMM_NR];
    const uint8_t *rows[DD_QS8_GEMM_MR_MAX];
    for (int r = 0; r < DD_QS8_GEMM_MR_MAX; r++) rows[r] = a[r];
    int32_t out[DD_QS8_GEMM_MR_MAX][DD_QS8_GEMM_NR];
    long iters = 200000;
    double t0 = dd_now_ms();
    for (long i = 0; i < iters; i++) k.fn(rows, 1, 64, w, bias, out);
    double ms = dd_now_ms() - t0;
    *(double *)arg = (double)iters * k.mr * DD_QS8_GEMM_NR * 256 / ms / 1e6;
    return NULL;
}

#if defined(__x86_64__)
#include <immintrin.h>
/* This CPU's VNNI peak: independent register-only vpdpbusd (64 MACs each), GMAC/s per thread. */
__attribute__((target("avx512f,avx512vnni"))) static void *vnni_peak_thread(void *arg)
{
    __m512i x = _mm512_set1_epi32(0x01010101), y = _mm512_set1_epi32(0x02020202);
    /* distinct start values: identical chains would be merged by the compiler */
    __m512i c0 = _mm512_set1_epi32(0), c1 = _mm512_set1_epi32(1), c2 = _mm512_set1_epi32(2),
            c3 = _mm512_set1_epi32(3), c4 = _mm512_set1_epi32(4), c5 = _mm512_set1_epi32(5),
            c6 = _mm512_set1_epi32(6), c7 = _mm512_set1_epi32(7), c8 = _mm512_set1_epi32(8),
            c9 = _mm512_set1_epi32(9), c10 = _mm512_set1_epi32(10), c11 = _mm512_set1_epi32(11),
            c12 = _mm512_set1_epi32(12), c13 = _mm512_set1_epi32(13), c14 = _mm512_set1_epi32(14),
            c15 = _mm512_set1_epi32(15);
    long iters = 10000000;
    double t0 = dd_now_ms();
    for (long i = 0; i < iters; i++) { /* 16 independent chains, all in registers */
        c0 = _mm512_dpbusd_epi32(c0, x, y), c1 = _mm512_dpbusd_epi32(c1, x, y);
        c2 = _mm512_dpbusd_epi32(c2, x, y), c3 = _mm512_dpbusd_epi32(c3, x, y);
        c4 = _mm512_dpbusd_epi32(c4, x, y), c5 = _mm512_dpbusd_epi32(c5, x, y);
        c6 = _mm512_dpbusd_epi32(c6, x, y), c7 = _mm512_dpbusd_epi32(c7, x, y);
        c8 = _mm512_dpbusd_epi32(c8, x, y), c9 = _mm512_dpbusd_epi32(c9, x, y);
        c10 = _mm512_dpbusd_epi32(c10, x, y), c11 = _mm512_dpbusd_epi32(c11, x, y);
        c12 = _mm512_dpbusd_epi32(c12, x, y), c13 = _mm512_dpbusd_epi32(c13, x, y);
        c14 = _mm512_dpbusd_epi32(c14, x, y), c15 = _mm512_dpbusd_epi32(c15, x, y);
    }
    double ms = dd_now_ms() - t0;
    __m512i s = _mm512_add_epi32(
        _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(c0, c1), _mm512_add_epi32(c2, c3)),
                         _mm512_add_epi32(_mm512_add_epi32(c4, c5), _mm512_add_epi32(c6, c7))),
        _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(c8, c9), _mm512_add_epi32(c10, c11)),
                         _mm512_add_epi32(_mm512_add_epi32(c12, c13), _mm512_add_epi32(c14, c15))));
    volatile int sink = _mm512_reduce_add_epi32(s);
    (void)sink;
    *(double *)arg = (double)iters * 16 * 64 / ms / 1e6;
    return NULL;
}
#endif

/* Sum over 2 threads (both cores) of a per-thread rate. */
static double two_threads(void *(*fn)(void *))
{
    pthread_t t;
    double r0 = 0, r1 = 0;
    pthread_create(&t, NULL, fn, &r1);
    fn(&r0);
    pthread_join(t, NULL);
    return r0 + r1;
}

/* The VNNI peak on both cores, GMAC/s; 0 without AVX-512 VNNI. */
static double vnni_peak(void)
{
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512vnni")) return two_threads(vnni_peak_thread);
#endif
    return 0;
}

/* --profile: one line per instruction on stderr (mean ms, shape, MACs, GMAC/s), slowest last. */
static void print_profile(const struct dd_pkg *p, const double *insn_ms, int runs)
{
    static const char *const names[] = {"?",        "conv", "pool", "add",
                                        "upsample", "d2s",  "lut",  "input"};
    fprintf(stderr, "insn  op        out(h w c)      in_c/pitch  k  s flags      ms   GMAC/s\n");
    for (uint32_t i = 0; i < p->n_insns; i++) {
        const struct dd_isa_insn *in = &p->insns[i];
        const struct dd_isa_tensor *y = &p->tensors[in->out];
        int xc = in->in0 != DD_ISA_NO_TENSOR ? (int)p->tensors[in->in0].c : 0,
            xp = in->in0 != DD_ISA_NO_TENSOR ? (int)p->tensors[in->in0].pitch : 0;
        double ms = insn_ms[i] / runs, macs = 0;
        if (in->opcode == DD_ISA_CONV)
            macs = (double)y->h * y->w * y->c * ((in->flags & DD_ISA_F_POOL2X2) ? 4 : 1) * in->kh *
                   in->kw * ((in->flags & DD_ISA_F_DEPTHWISE) ? 1 : xc);
        fprintf(stderr, "%4u  %-8s %4d %4d %4d  %4d/%-4d %2d %2d 0x%02x %7.3f %8.1f\n", i,
                in->opcode < 8 ? names[in->opcode] : "?", (int)y->h, (int)y->w, (int)y->c, xc, xp,
                in->kh, in->stride_h, in->flags, ms, macs ? macs / ms / 1e6 : 0.0);
    }
}

int main(int argc, char **argv)
{
    static const struct option o[] = {{"model", 1, 0, 'm'},       {"input", 1, 0, 'i'},
                                      {"frame", 1, 0, 'f'},       {"package", 1, 0, 'p'},
                                      {"runs", 1, 0, 'r'},        {"tensor-out", 1, 0, 't'},
                                      {"profile", 0, 0, 'P'},     {"cpu-only", 0, 0, 'C'},
                                      {"repeat-insn", 1, 0, 'I'}, {0, 0, 0, 0}};
    const char *model = NULL, *input = NULL, *package = NULL, *tensor_out = NULL;
    int frame = 0, runs = 20, c, profile = 0, cpu_only = 0, repeat_insn = -1;
    while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
        if (c == 'm')
            model = optarg;
        else if (c == 'i')
            input = optarg;
        else if (c == 'f')
            frame = atoi(optarg);
        else if (c == 'p')
            package = optarg;
        else if (c == 'r')
            runs = atoi(optarg);
        else if (c == 't')
            tensor_out = optarg;
        else if (c == 'P')
            profile = 1;
        else if (c == 'C')
            cpu_only = 1;
        else if (c == 'I')
            repeat_insn = atoi(optarg);
        else
            return 2;
    }
    if (!model || !input || runs < 1) {
        fprintf(stderr,
                "<3>usage: bench_infer --model DIR --input MEDIA [--frame N] [--package FILE] "
                "[--runs R] [--tensor-out FILE] [--profile] [--cpu-only] [--repeat-insn N]\n");
        return 2;
    }
    struct dd_err err = {{0}};
    struct dd_detector *det;
    struct dd_image img = {0};
    if (dd_detector_open(model, &det, &err) || dd_media_load_frame(input, frame, &img, &err)) {
        fprintf(stderr, "<3>bench_infer: %s\n", err.msg);
        return 1;
    }
    struct dd_letterbox lb;
    dd_preprocess_rgb_f32(&img, &det->family.input, dd_float_exec_input(det->exec), &lb, &err);
    if (tensor_out) { /* the exact input, for peers measured on the same tensor */
        const struct dd_input_spec *s = &det->family.input;
        dd_file_write(tensor_out, dd_float_exec_input(det->exec),
                      (size_t)s->width * s->height * 3 * sizeof(float), &err);
    }
    double *t = malloc((size_t)runs * sizeof(double));
    for (int i = 0; i < (cpu_only ? 0 : runs); i++) {
        double t0 = dd_now_ms();
        dd_float_exec_run(det->exec, &err);
        t[i] = dd_now_ms() - t0;
    }
    printf("{\"model\":\"%s\",\"macs\":%lld,\"runs\":%d,\"float_ms\":%.2f", det->family.name,
           (long long)dd_graph_macs(det->graph), runs, cpu_only ? 0.0 : median(t, runs));
    if (package) {
        struct dd_qdetector *q;
        if (dd_qdetector_open(package, DD_BACKEND_ONLY("golden"), &q, &err)) {
            fprintf(stderr, "<3>bench_infer: %s\n", err.msg);
            return 1;
        }
        struct dd_isa_frame f = dd_isa_frame_from_image(&img);
        int gr = cpu_only ? 0 : runs < 5 ? runs : 5; /* the golden model is slow by design */
        for (int i = 0; i < gr; i++) {
            double t0 = dd_now_ms();
            dd_golden_run(q->pkg, q->arena, &f, &err);
            t[i] = dd_now_ms() - t0;
        }
        if (gr) printf(",\"golden_ms\":%.2f,\"golden_runs\":%d", median(t, gr), gr);
        dd_qdetector_close(q);
        if (dd_qdetector_open(package, DD_BACKEND_ONLY("cpu"), &q, &err)) {
            fprintf(stderr, "<3>bench_infer: %s\n", err.msg);
            return 1;
        }
        struct dd_cpu_prog *cp = q->backend.state; /* the "cpu" backend's state */
        for (int i = 0; i < runs; i++) {
            double t0 = dd_now_ms();
            dd_cpu_run(cp, q->arena, &f, &err);
            t[i] = dd_now_ms() - t0;
        }
        printf(",\"cpu_ms\":%.2f,\"cpu_kernel\":\"%s\"", median(t, runs), dd_cpu_kernel_name(cp));
        /* convolution share: CONV instructions timed alone (median over the runs of their sum),
         * their MACs counted; the VNNI peak measured before, between and after the runs, the
         * highest taken (the machine is shared: a low reading is interference, not the peak) */
        double macs = 0, peak = 0;
        double *insn_ms = calloc(q->pkg->n_insns, sizeof(double));
        for (int r = 0; r < runs; r++) {
            if (r == 0 || r == runs / 2) peak = fmax(peak, vnni_peak());
            t[r] = 0;
            for (uint32_t i = 0; i < q->pkg->n_insns; i++) {
                double t0 = dd_now_ms();
                dd_cpu_insn(cp, i, q->arena, &f);
                double dt = dd_now_ms() - t0;
                insn_ms[i] += dt;
                if (q->pkg->insns[i].opcode == DD_ISA_CONV) t[r] += dt;
            }
        }
        peak = fmax(peak, vnni_peak());
        double conv_ms = median(t, runs);
        if (profile) print_profile(q->pkg, insn_ms, runs);
        if (repeat_insn >= 0 && (uint32_t)repeat_insn < q->pkg->n_insns) { /* for perf record */
            double t0 = dd_now_ms();
            for (int r = 0; r < 100 * runs; r++)
                dd_cpu_insn(cp, (uint32_t)repeat_insn, q->arena, &f);
            fprintf(stderr, "instruction %d: %.3f ms\n", repeat_insn,
                    (dd_now_ms() - t0) / (100 * runs));
        }
        free(insn_ms);
        for (uint32_t i = 0; i < q->pkg->n_insns; i++) {
            const struct dd_isa_insn *in = &q->pkg->insns[i];
            if (in->opcode != DD_ISA_CONV) continue;
            const struct dd_isa_tensor *x = &q->pkg->tensors[in->in0],
                                       *y = &q->pkg->tensors[in->out];
            int pool = (in->flags & DD_ISA_F_POOL2X2) ? 4 : 1;
            macs += (double)y->h * y->w * y->c * pool * in->kh * in->kw *
                    ((in->flags & DD_ISA_F_DEPTHWISE) ? 1 : x->c);
        }
        printf(",\"conv_ms\":%.2f,\"conv_gmacs\":%.1f", conv_ms,
               macs / conv_ms / 1e6); /* the convolutions' MAC rate, both threads */
        double hot = two_threads(kernel_hot_thread);
        printf(",\"kernel_hot_gmacs\":%.1f", hot);
        /* the peak: the highest vpdpbusd rate seen, register-only chains or the VNNI kernel */
        if (peak > 0 && strstr(dd_cpu_kernel_name(cp), "vnni")) peak = fmax(peak, hot);
        if (peak > 0) printf(",\"vnni_peak_gmacs\":%.1f", peak);
        dd_qdetector_close(q);
    }
    printf("}\n");
    free(t);
    dd_image_destroy(&img);
    dd_detector_close(det);
    return 0;
}

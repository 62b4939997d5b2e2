/* bench_infer: median milliseconds per inference of the float reference
 * executor and of a package on an ISA executor, on one real frame.
 * usage: bench_infer --model DIR --input MEDIA [--frame N] [--package FILE] [--runs R] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthread.h>

#include "accel/cpu/cpu_backend.h"
#include "accel/cpu/qs8_gemm.h"
#include "accel/golden.h"
#include "accel/qdetector.h"
#include "common/file.h"
#include "pipeline/media_input.h"
#include "pipeline/preprocess.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

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

static void *peak_thread(void *arg)
{
    dd_qs8_gemm_fn fn = dd_qs8_gemm_best(NULL);
    static _Alignas(64) uint8_t a[4][256];
    static _Alignas(64) int8_t w[64 * 4 * DD_QS8_GEMM_NR];
    const uint8_t *const rows[4] = {a[0], a[1], a[2], a[3]};
    int32_t out[4][DD_QS8_GEMM_NR];
    double t0 = now_ms();
    long iters = 200000;
    for (long i = 0; i < iters; i++) fn(rows, w, 64, out);
    double ms = now_ms() - t0;
    *(double *)arg = (double)iters * 4 * DD_QS8_GEMM_NR * 256 / ms / 1e6; /* GMAC/s */
    return NULL;
}

static double kernel_peak(void)
{
    pthread_t t;
    double r0 = 0, r1 = 0;
    pthread_create(&t, NULL, peak_thread, &r1);
    peak_thread(&r0);
    pthread_join(t, NULL);
    return r0 + r1;
}

int main(int argc, char **argv)
{
    static const struct option o[] = {{"model", 1, 0, 'm'}, {"input", 1, 0, 'i'},
                                      {"frame", 1, 0, 'f'}, {"package", 1, 0, 'p'},
                                      {"runs", 1, 0, 'r'},  {"tensor-out", 1, 0, 't'},
                                      {0, 0, 0, 0}};
    const char *model = NULL, *input = NULL, *package = NULL, *tensor_out = NULL;
    int frame = 0, runs = 20, c;
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
        else
            return 2;
    }
    if (!model || !input || runs < 1) {
        fprintf(stderr,
                "<3>usage: bench_infer --model DIR --input MEDIA [--frame N] [--package FILE] "
                "[--runs R] [--tensor-out FILE]\n");
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
    for (int i = 0; i < runs; i++) {
        double t0 = now_ms();
        dd_float_exec_run(det->exec, &err);
        t[i] = now_ms() - t0;
    }
    printf("{\"model\":\"%s\",\"macs\":%lld,\"runs\":%d,\"float_ms\":%.2f", det->family.name,
           (long long)dd_graph_macs(det->graph), runs, median(t, runs));
    if (package) {
        struct dd_qdetector *q;
        if (dd_qdetector_open(package, DD_BACKEND_GOLDEN, &q, &err)) {
            fprintf(stderr, "<3>bench_infer: %s\n", err.msg);
            return 1;
        }
        struct dd_isa_frame f = dd_isa_frame_rgb(&img);
        int gr = runs < 5 ? runs : 5; /* the golden model is slow by design */
        for (int i = 0; i < gr; i++) {
            double t0 = now_ms();
            dd_golden_run(q->pkg, q->arena, &f, &err);
            t[i] = now_ms() - t0;
        }
        printf(",\"golden_ms\":%.2f,\"golden_runs\":%d", median(t, gr), gr);
        dd_qdetector_close(q);
        if (dd_qdetector_open(package, DD_BACKEND_CPU, &q, &err)) {
            fprintf(stderr, "<3>bench_infer: %s\n", err.msg);
            return 1;
        }
        for (int i = 0; i < runs; i++) {
            double t0 = now_ms();
            dd_cpu_run(q->cpu, q->arena, &f, &err);
            t[i] = now_ms() - t0;
        }
        printf(",\"cpu_ms\":%.2f,\"cpu_kernel\":\"%s\"", median(t, runs),
               dd_cpu_kernel_name(q->cpu));
        /* convolution share: CONV instructions timed alone, their MACs counted */
        double conv_ms = 0, macs = 0;
        for (int r = 0; r < runs; r++)
            for (uint32_t i = 0; i < q->pkg->n_insns; i++) {
                double t0 = now_ms();
                dd_cpu_insn(q->cpu, i, q->arena, &f);
                if (q->pkg->insns[i].opcode == DD_ISA_CONV) conv_ms += now_ms() - t0;
            }
        for (uint32_t i = 0; i < q->pkg->n_insns; i++) {
            const struct dd_isa_insn *in = &q->pkg->insns[i];
            if (in->opcode != DD_ISA_CONV) continue;
            const struct dd_isa_tensor *x = &q->pkg->tensors[in->in0],
                                       *y = &q->pkg->tensors[in->out];
            int pool = (in->flags & DD_ISA_F_POOL2X2) ? 4 : 1;
            macs += (double)y->h * y->w * y->c * pool * in->kh * in->kw *
                    ((in->flags & DD_ISA_F_DEPTHWISE) ? 1 : x->c);
        }
        printf(",\"conv_ms\":%.2f,\"conv_gmacs\":%.1f", conv_ms / runs,
               macs / (conv_ms / runs) /
                   1e6); /* the kernel's own rate, hot in L1, on every thread: the practical peak */
        printf(",\"kernel_peak_gmacs\":%.1f", kernel_peak());
        dd_qdetector_close(q);
    }
    printf("}\n");
    free(t);
    dd_image_free(&img);
    dd_detector_close(det);
    return 0;
}

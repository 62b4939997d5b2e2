#include "accel/quality.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "accel/golden.h"
#include "accel/qdetector.h"
#include "detectors/preprocess.h"

double dd_cosine(const float *a, const float *b, size_t n)
{
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < n; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    if (aa == 0 && bb == 0) return 1.0;
    if (aa == 0 || bb == 0) return 0.0;
    return ab / sqrt(aa * bb);
}

/* IR flat index of physical element (y, x, c) of tensor t under its view. */
static int64_t ir_index(const struct lg_tensor *t, const struct dd_shape *s, int y, int x, int c)
{
    if (t->view.flat) return ((int64_t)y * t->w + x) * t->c + c;
    int64_t phys[3] = {y, x, c}, dims[3] = {t->h, t->w, t->c}, idx = 0;
    for (int k = 0; k < s->rank; k++) {
        int64_t coord = 0;
        if (t->view.lo[k] >= 0)
            for (int a = t->view.lo[k]; a <= t->view.hi[k]; a++) coord = coord * dims[a] + phys[a];
        idx = idx * s->d[k] + coord;
    }
    return idx;
}

/* Whether LG tensor t is a model output its family passes through a sigmoid. */
static bool logits_tensor(const struct dd_detector *det, const struct lg_graph *lg, int t)
{
    for (int k = 0; k < lg->n_outputs; k++)
        if (lg->outputs[k].tensor == t && dd_family_output_is_logits(&det->family, k)) return true;
    return false;
}

/* Cosine of LG tensor i's quantized values (in arena) against the float model's, over the
 * positions that look at the picture. */
static int tensor_cos(struct dd_detector *det, const struct lg_graph *lg, const struct dd_pkg *pkg,
                      const struct dd_letterbox *lb, const int8_t *arena, uint32_t i, double *cos,
                      struct dd_err *err)
{
    const struct lg_tensor *t = &lg->t[i];
    *cos = NAN;
    if (t->ir < 0) return 0;
    const struct dd_shape *s = &lg->ir->tensors[t->ir].shape;
    size_t n = (size_t)t->h * t->w * t->c;
    float *q = malloc(n * sizeof(float)), *fl = malloc(n * sizeof(float));
    if (!q || !fl) {
        free(q);
        free(fl);
        return dd_err_set(err, "out of memory");
    }
    dd_qdetector_dequantize(pkg, arena, (int)i, q);
    const float *ref = dd_float_exec_tensor(det->exec, t->ir);
    size_t m = 0; /* the positions that look at the picture, not the letterbox padding */
    for (int y = 0; y < t->h; y++)
        for (int x = 0; x < t->w; x++) {
            if (!dd_letterbox_in_picture(lb, y, x, t->h, t->w)) continue;
            for (int c = 0; c < t->c; c++) {
                fl[m] = ref[ir_index(t, s, y, x, c)] / (t->eq ? t->eq[c] : 1.0f);
                q[m++] = q[((size_t)y * t->w + x) * t->c + c];
            }
        }
    if (m == 0) { /* a resolution too coarse to tell: every position */
        for (int y = 0; y < t->h; y++)
            for (int x = 0; x < t->w; x++)
                for (int c = 0; c < t->c; c++)
                    fl[m++] = ref[ir_index(t, s, y, x, c)] / (t->eq ? t->eq[c] : 1.0f);
        dd_qdetector_dequantize(pkg, arena, (int)i, q);
    }
    n = m;
    if (logits_tensor(det, lg, (int)i)) /* compared as the decoder reads them: scores */
        for (size_t k = 0; k < n; k++) {
            q[k] = 1.0f / (1.0f + expf(-q[k]));
            fl[k] = 1.0f / (1.0f + expf(-fl[k]));
        }
    *cos = dd_cosine(q, fl, n);
    free(q);
    free(fl);
    return 0;
}

int dd_quality_layers(struct dd_detector *det, const struct lg_graph *lg, const struct dd_pkg *pkg,
                      const struct dd_image *img, double *cos, struct dd_err *err)
{
    struct dd_letterbox lb;
    if (dd_preprocess_rgb_f32(img, &det->family.input, dd_float_exec_input(det->exec), &lb, err) ||
        dd_float_exec_run(det->exec, err))
        return -1;
    /* the arena reuses a tensor's space once it is dead: each tensor is measured right after
     * the last instruction that writes it or a slice of it */
    int8_t *arena = calloc(1, pkg->arena_size);
    int *at = malloc((size_t)pkg->n_tensors * sizeof(int));
    if (!arena || !at) {
        free(arena);
        free(at);
        return dd_err_set(err, "out of memory");
    }
    for (uint32_t i = 0; i < pkg->n_tensors; i++) at[i] = (int)pkg->n_insns - 1;
    for (uint32_t k = 0; k < pkg->n_insns; k++) /* the last writer of t or of a slice of t */
        for (int t = pkg->insns[k].out; t >= 0 && t < lg->n_t; t = lg->t[t].parent) at[t] = (int)k;
    struct dd_isa_frame f = dd_isa_frame_from_image(img);
    int rc = dd_isa_check_range(pkg, 0, pkg->n_insns, &f, NULL, err);
    for (uint32_t i = 0; i < pkg->n_tensors; i++) cos[i] = NAN;
    for (uint32_t k = 0; rc == 0 && k < pkg->n_insns; k++) {
        dd_golden_insn(pkg, k, arena, &f);
        for (uint32_t i = 0; rc == 0 && i < pkg->n_tensors; i++)
            if (at[i] == (int)k) rc = tensor_cos(det, lg, pkg, &lb, arena, i, &cos[i], err);
    }
    free(at);
    free(arena);
    return rc;
}

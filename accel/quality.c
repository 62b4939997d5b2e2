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

int dd_quality_layers(struct dd_detector *det, const struct lg_graph *lg, const struct dd_pkg *pkg,
                      const struct dd_image *img, double *cos, struct dd_err *err)
{
    struct dd_letterbox lb;
    if (dd_preprocess_rgb_f32(img, &det->family.input, dd_float_exec_input(det->exec), &lb, err) ||
        dd_float_exec_run(det->exec, err))
        return -1;
    int8_t *arena = calloc(1, pkg->arena_size);
    if (!arena) return dd_err_set(err, "out of memory");
    struct dd_isa_frame f = dd_isa_frame_from_image(img);
    if (dd_golden_run(pkg, arena, &f, err) != 0) {
        free(arena);
        return -1;
    }
    int rc = 0;
    for (uint32_t i = 0; i < pkg->n_tensors; i++) {
        const struct lg_tensor *t = &lg->t[i];
        cos[i] = NAN;
        if (t->ir < 0) continue;
        const struct dd_shape *s = &lg->ir->tensors[t->ir].shape;
        size_t n = (size_t)t->h * t->w * t->c;
        float *q = malloc(n * sizeof(float)), *fl = malloc(n * sizeof(float));
        if (!q || !fl) {
            free(q);
            free(fl);
            rc = dd_err_set(err, "out of memory");
            break;
        }
        dd_qdetector_dequantize(pkg, arena, (int)i, q);
        const float *ref = dd_float_exec_tensor(det->exec, t->ir);
        size_t m = 0; /* the positions that look at the picture, not the letterbox padding */
        for (int y = 0; y < t->h; y++)
            for (int x = 0; x < t->w; x++) {
                if (!dd_letterbox_in_picture(&lb, y, x, t->h, t->w)) continue;
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
        cos[i] = dd_cosine(q, fl, n);
        free(q);
        free(fl);
    }
    free(arena);
    return rc;
}

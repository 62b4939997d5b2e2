#include "postproc/agreement.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void dd_agreement_init(struct dd_agreement *a, float threshold, float floor)
{
    memset(a, 0, sizeof(*a));
    a->threshold = threshold;
    a->floor = floor;
}

void dd_agreement_destroy(struct dd_agreement *a)
{
    free(a->iou);
    free(a->dscore);
    a->iou = a->dscore = NULL;
}

/* The detection of `in` of d's class overlapping d most (IoU >= 0.5), not
 * taken yet; -1 if none. */
static long twin(const struct dd_det *d, const struct dd_det_list *in, const bool *taken,
                 float *iou)
{
    long best = -1;
    float best_iou = 0.5f;
    for (size_t k = 0; k < in->n; k++) {
        if ((taken && taken[k]) || in->v[k].cls != d->cls) continue;
        float v = dd_det_iou(d, &in->v[k]);
        if (v >= best_iou) best_iou = v, best = (long)k;
    }
    *iou = best_iou;
    return best;
}

static int push_pair(struct dd_agreement *a, double iou, double dscore)
{
    if (a->matched == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 256;
        double *i2 = realloc(a->iou, cap * sizeof(double));
        if (!i2) return -1;
        a->iou = i2;
        double *d2 = realloc(a->dscore, cap * sizeof(double));
        if (!d2) return -1;
        a->dscore = d2;
        a->cap = cap;
    }
    a->iou[a->matched] = iou;
    a->dscore[a->matched] = dscore;
    a->matched++;
    return 0;
}

int dd_agreement_add_frame(struct dd_agreement *a, const struct dd_det_list *ref,
                           const struct dd_det_list *quant)
{
    bool *taken = calloc(quant->n + 1, sizeof(bool));
    if (!taken) return -1;
    /* float detections >= T claim their quantized twins in list order (NMS
     * leaves lists strongest first) */
    int rc = 0;
    for (size_t i = 0; i < ref->n && rc == 0; i++) {
        const struct dd_det *f = &ref->v[i];
        if (f->score < a->threshold) continue;
        a->float_dets++;
        float iou;
        long k = twin(f, quant, taken, &iou);
        if (k < 0) {
            a->lost++;
            continue;
        }
        taken[k] = true;
        if (quant->v[k].score < a->threshold) a->lost++;
        rc = push_pair(a, iou, fabs((double)quant->v[k].score - f->score));
    }
    for (size_t k = 0; k < quant->n; k++) {
        const struct dd_det *q = &quant->v[k];
        if (q->score < a->threshold) continue;
        a->quant_dets++;
        float iou;
        long i = twin(q, ref, NULL, &iou);
        if (i < 0)
            a->phantoms++;
        else if (ref->v[i].score < a->threshold)
            a->flips++;
    }
    free(taken);
    return rc;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The q-quantile (nearest rank) of v[0..n), sorted in place. */
static double quantile(double *v, size_t n, double q)
{
    if (!n) return NAN;
    qsort(v, n, sizeof(double), cmp_double);
    size_t k = (size_t)ceil(q * (double)n);
    return v[k ? k - 1 : 0];
}

void dd_agreement_summary(const struct dd_agreement *a, struct dd_agreement_summary *s)
{
    size_t n = a->matched;
    double *v = malloc((n + 1) * sizeof(double));
    if (!v) {
        *s = (struct dd_agreement_summary){NAN, NAN, NAN, NAN, NAN, NAN};
        return;
    }
    memcpy(v, a->iou, n * sizeof(double));
    s->iou_median = quantile(v, n, 0.5);
    s->iou_p01 = quantile(v, n, 0.01);
    s->iou_min = n ? v[0] : NAN;
    memcpy(v, a->dscore, n * sizeof(double));
    s->dscore_median = quantile(v, n, 0.5);
    s->dscore_p99 = quantile(v, n, 0.99);
    s->dscore_max = n ? v[n - 1] : NAN;
    free(v);
}

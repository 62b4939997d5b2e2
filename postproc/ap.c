#include "postproc/ap.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int dd_ap_init(struct dd_ap *ap, int n_classes, float iou)
{
    ap->n_classes = n_classes;
    ap->iou = iou;
    ap->cls = calloc((size_t)n_classes, sizeof(*ap->cls));
    return ap->cls ? 0 : -1;
}

void dd_ap_destroy(struct dd_ap *ap)
{
    for (int c = 0; ap->cls && c < ap->n_classes; c++) free(ap->cls[c].v);
    free(ap->cls);
    ap->cls = NULL;
}

static int by_score_desc(const void *a, const void *b)
{
    const struct dd_det *x = *(const struct dd_det *const *)a,
                        *y = *(const struct dd_det *const *)b;
    return (x->score < y->score) - (x->score > y->score);
}

int dd_ap_add_frame(struct dd_ap *ap, const struct dd_det_list *ref, const struct dd_det_list *pred)
{
    bool *claimed = calloc(ref->n + 1, sizeof(bool));
    const struct dd_det **order = malloc((pred->n + 1) * sizeof(*order));
    if (!claimed || !order) {
        free(claimed);
        free(order);
        return -1;
    }
    for (size_t i = 0; i < ref->n; i++)
        if (ref->v[i].cls >= 0 && ref->v[i].cls < ap->n_classes) ap->cls[ref->v[i].cls].n_gt++;
    for (size_t i = 0; i < pred->n; i++) order[i] = &pred->v[i];
    qsort(order, pred->n, sizeof(*order), by_score_desc);
    int rc = 0;
    for (size_t i = 0; i < pred->n && rc == 0; i++) {
        const struct dd_det *p = order[i];
        if (p->cls < 0 || p->cls >= ap->n_classes) continue;
        float best = 0;
        size_t best_k = ref->n;
        for (size_t k = 0; k < ref->n; k++) {
            if (claimed[k] || ref->v[k].cls != p->cls) continue;
            float iou = dd_det_iou(p, &ref->v[k]);
            if (iou > best) best = iou, best_k = k;
        }
        int tp = best_k < ref->n && best >= ap->iou;
        if (tp) claimed[best_k] = true;
        struct dd_ap_class *c = &ap->cls[p->cls];
        if (c->n == c->cap) {
            size_t cap = c->cap ? 2 * c->cap : 64;
            struct dd_ap_pred *v = realloc(c->v, cap * sizeof(*v));
            if (!v) {
                rc = -1;
                break;
            }
            c->v = v, c->cap = cap;
        }
        c->v[c->n++] = (struct dd_ap_pred){p->score, tp};
    }
    free(claimed);
    free(order);
    return rc;
}

static int pred_desc(const void *a, const void *b)
{
    const struct dd_ap_pred *x = a, *y = b;
    return (x->score < y->score) - (x->score > y->score);
}

double dd_ap_class(const struct dd_ap *ap, int c)
{
    struct dd_ap_class *k = &ap->cls[c];
    if (k->n_gt == 0) return NAN;
    if (k->n == 0) return 0.0;
    qsort(k->v, k->n, sizeof(*k->v), pred_desc);
    double *prec = malloc(k->n * sizeof(double)), *rec = malloc(k->n * sizeof(double));
    if (!prec || !rec) {
        free(prec);
        free(rec);
        return NAN;
    }
    double tp = 0, fp = 0;
    for (size_t i = 0; i < k->n; i++) {
        tp += k->v[i].tp;
        fp += !k->v[i].tp;
        prec[i] = tp / (tp + fp);
        rec[i] = tp / (double)k->n_gt;
    }
    for (size_t i = k->n - 1; i > 0; i--) /* precision envelope */
        prec[i - 1] = fmax(prec[i - 1], prec[i]);
    double area = 0, prev_r = 0;
    for (size_t i = 0; i < k->n; i++) {
        area += (rec[i] - prev_r) * prec[i];
        prev_r = rec[i];
    }
    free(prec);
    free(rec);
    return area;
}

double dd_ap_mean(const struct dd_ap *ap, int *n_classes)
{
    double sum = 0;
    int n = 0;
    for (int c = 0; c < ap->n_classes; c++) {
        double v = dd_ap_class(ap, c);
        if (isnan(v)) continue;
        sum += v;
        n++;
    }
    if (n_classes) *n_classes = n;
    return n ? sum / n : NAN;
}

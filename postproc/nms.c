#include "postproc/nms.h"

#include <stdlib.h>

#include "postproc/f32_kernels.h"

struct ranked {
    struct dd_det d;
    size_t order;
};

static int cmp_ranked(const void *pa, const void *pb)
{
    const struct ranked *a = pa, *b = pb;
    if (a->d.score != b->d.score) return a->d.score > b->d.score ? -1 : 1;
    if (a->d.cls != b->d.cls) return a->d.cls < b->d.cls ? -1 : 1;
    return a->order < b->order ? -1 : (a->order > b->order);
}

int dd_nms_with(const struct dd_postproc_kernels *k, struct dd_det_list *list, float iou_threshold,
                size_t max_det)
{
    size_t n = list->n;
    if (n == 0) return 0;
    struct ranked *r = malloc(n * sizeof(*r));
    float *soa = malloc(5 * n * sizeof(float)); /* kept boxes: x1, y1, x2, y2, iou */
    int *cls = malloc(n * sizeof(int));
    if (!r || !soa || !cls) {
        free(r), free(soa), free(cls);
        return -1;
    }
    float *x1 = soa, *y1 = soa + n, *x2 = soa + 2 * n, *y2 = soa + 3 * n, *iou = soa + 4 * n;
    for (size_t i = 0; i < n; i++) r[i] = (struct ranked){list->v[i], i};
    qsort(r, n, sizeof(*r), cmp_ranked);
    size_t kept = 0;
    for (size_t i = 0; i < n && (max_det == 0 || kept < max_det); i++) {
        const struct dd_det *d = &r[i].d;
        const float box[4] = {d->x1, d->y1, d->x2, d->y2};
        k->iou(box, x1, y1, x2, y2, kept, iou); /* IoU against every kept box at once */
        int keep = 1;
        for (size_t j = 0; j < kept && keep; j++)
            if (cls[j] == d->cls && iou[j] > iou_threshold) keep = 0;
        if (!keep) continue;
        x1[kept] = d->x1, y1[kept] = d->y1, x2[kept] = d->x2, y2[kept] = d->y2;
        cls[kept] = d->cls;
        list->v[kept++] = *d;
    }
    list->n = kept;
    free(r), free(soa), free(cls);
    return 0;
}

int dd_nms(struct dd_det_list *list, float iou_threshold, size_t max_det)
{
    return dd_nms_with(dd_postproc_kernels_best(), list, iou_threshold, max_det);
}

#include "postproc/nms.h"

#include <stdlib.h>

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

int dd_nms(struct dd_det_list *list, float iou_threshold, size_t max_det)
{
    size_t n = list->n;
    if (n == 0) return 0;
    struct ranked *r = malloc(n * sizeof(*r));
    if (!r) return -1;
    for (size_t i = 0; i < n; i++) r[i] = (struct ranked){list->v[i], i};
    qsort(r, n, sizeof(*r), cmp_ranked);
    size_t kept = 0;
    for (size_t i = 0; i < n && (max_det == 0 || kept < max_det); i++) {
        int keep = 1;
        for (size_t k = 0; k < kept && keep; k++)
            if (list->v[k].cls == r[i].d.cls && dd_det_iou(&list->v[k], &r[i].d) > iou_threshold)
                keep = 0;
        if (keep) list->v[kept++] = r[i].d;
    }
    list->n = kept;
    free(r);
    return 0;
}

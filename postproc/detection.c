#include "postproc/detection.h"

#include <stdlib.h>

void dd_det_list_init(struct dd_det_list *l)
{
    l->v = NULL;
    l->n = l->cap = 0;
}

void dd_det_list_destroy(struct dd_det_list *l)
{
    free(l->v);
    dd_det_list_init(l);
}

void dd_det_list_clear(struct dd_det_list *l)
{
    l->n = 0;
}

int dd_det_list_push(struct dd_det_list *l, const struct dd_det *d)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct dd_det *v = realloc(l->v, cap * sizeof(*v));
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *d;
    return 0;
}

float dd_det_iou(const struct dd_det *a, const struct dd_det *b)
{
    float ix1 = a->x1 > b->x1 ? a->x1 : b->x1, iy1 = a->y1 > b->y1 ? a->y1 : b->y1;
    float ix2 = a->x2 < b->x2 ? a->x2 : b->x2, iy2 = a->y2 < b->y2 ? a->y2 : b->y2;
    float iw = ix2 - ix1, ih = iy2 - iy1;
    if (iw <= 0.0f || ih <= 0.0f) return 0.0f;
    float inter = iw * ih;
    float area_a = (a->x2 - a->x1) * (a->y2 - a->y1), area_b = (b->x2 - b->x1) * (b->y2 - b->y1);
    float uni = area_a + area_b - inter;
    return uni > 0.0f ? inter / uni : 0.0f;
}

size_t dd_det_list_copy(struct dd_det_list *dst, const struct dd_det_list *src)
{
    dd_det_list_clear(dst);
    for (size_t i = 0; i < src->n; i++)
        if (dd_det_list_push(dst, &src->v[i]) != 0) return src->n - i;
    return 0;
}

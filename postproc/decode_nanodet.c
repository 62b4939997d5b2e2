#include "postproc/decode_nanodet.h"

#include <math.h>

#include "postproc/f32_kernels.h"

float dd_nanodet_side_distance(const float *logits, int bins)
{
    float mx = logits[0];
    for (int k = 1; k < bins; k++) mx = logits[k] > mx ? logits[k] : mx;
    float sum = 0.0f, dot = 0.0f;
    for (int k = 0; k < bins; k++) {
        float e = expf(logits[k] - mx);
        sum += e;
        dot += e * (float)k;
    }
    return dot / sum;
}

int dd_decode_nanodet(const struct dd_nanodet_level *levels, int n_levels, int num_classes,
                      int bins, float score_threshold, struct dd_det_list *out)
{
    if (bins < 1 || bins > DD_NANODET_MAX_BINS || num_classes < 1) return -1;
    dd_f32_any_ge_fn any_ge = dd_postproc_kernels_best()->any_ge;
    for (int l = 0; l < n_levels; l++) {
        const struct dd_nanodet_level *lv = &levels[l];
        int cells = lv->grid_w * lv->grid_h;
        for (int i = 0; i < cells; i++) {
            const float *sc = lv->cls + (size_t)i * (size_t)num_classes;
            if (!any_ge(sc, (size_t)num_classes, score_threshold)) continue;
            const float *rg = lv->reg + (size_t)i * 4u * (size_t)bins;
            float cx = ((float)(i % lv->grid_w) + 0.5f) * (float)lv->stride;
            float cy = ((float)(i / lv->grid_w) + 0.5f) * (float)lv->stride;
            float s = (float)lv->stride;
            struct dd_det d = {0};
            d.x1 = cx - dd_nanodet_side_distance(rg, bins) * s;
            d.y1 = cy - dd_nanodet_side_distance(rg + bins, bins) * s;
            d.x2 = cx + dd_nanodet_side_distance(rg + 2 * bins, bins) * s;
            d.y2 = cy + dd_nanodet_side_distance(rg + 3 * bins, bins) * s;
            for (int c = 0; c < num_classes; c++) {
                if (sc[c] < score_threshold) continue;
                d.score = sc[c];
                d.cls = c;
                if (dd_det_list_push(out, &d) != 0) return -1;
            }
        }
    }
    return 0;
}

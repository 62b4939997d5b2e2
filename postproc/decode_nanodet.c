#include "postproc/decode_nanodet.h"

#include <math.h>
#include <string.h>

#include "postproc/labels.h"

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

/* ---- the family ---- */

static int nanodet_match(const struct dd_shape *outputs, int n, struct dd_family_info *fi)
{
    static const int strides[] = {8, 16, 32};
    const struct dd_input_spec *in = &fi->input;
    fi->n_levels = 0;
    for (int l = 0; l < 3; l++) {
        int64_t cells = (int64_t)(in->width / strides[l]) * (in->height / strides[l]);
        int cls = dd_family_find_output(outputs, n, cells, DD_COCO_CLASSES);
        int reg = dd_family_find_output(outputs, n, cells, 44);
        if (cls < 0 || reg < 0) return -1;
        fi->levels[fi->n_levels++] = (struct dd_family_level){strides[l], cls, reg, 1};
    }
    fi->num_classes = DD_COCO_CLASSES;
    fi->labels = dd_coco_labels;
    fi->box_params = 11;
    const float mean[3] = {103.53f, 116.28f, 123.675f}, std[3] = {57.375f, 57.12f, 58.395f};
    memcpy(fi->input.mean, mean, sizeof(mean));
    memcpy(fi->input.std, std, sizeof(std));
    fi->input.bgr = true;
    fi->input.pad_pixel = 0.0f; /* black, like upstream warpAffine */
    fi->default_score_threshold = 0.35f;
    fi->default_iou_threshold = 0.6f;
    fi->default_max_detections = 100;
    return 0;
}

static int nanodet_decode(const struct dd_family_info *fi, const float *const *outputs,
                          float score_threshold, struct dd_det_list *out)
{
    struct dd_nanodet_level lv[DD_FAMILY_MAX_LEVELS];
    for (int l = 0; l < fi->n_levels; l++) {
        const struct dd_family_level *f = &fi->levels[l];
        lv[l] = (struct dd_nanodet_level){outputs[f->out_score], outputs[f->out_box],
                                          fi->input.width / f->stride, fi->input.height / f->stride,
                                          f->stride};
    }
    return dd_decode_nanodet(lv, fi->n_levels, fi->num_classes, fi->box_params, score_threshold,
                             out);
}

const struct dd_family dd_family_nanodet = {
    "nanodet",
    "[1,N,80]+[1,N,44] per stride 8/16/32",
    DD_COCO_CLASSES,
    dd_coco_labels,
    nanodet_match,
    nanodet_decode,
    NULL, /* its class scores come out of a sigmoid */
};

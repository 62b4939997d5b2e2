#include "postproc/decode_blazeface.h"

#include <math.h>
#include <string.h>

#include "postproc/labels.h"

int dd_decode_blazeface(const struct dd_blazeface_level *levels, int n_levels, int input_w,
                        int input_h, int n_regs, float score_threshold, struct dd_det_list *out)
{
    if (n_regs < 4) return -1;
    int n_kp = (n_regs - 4) / 2;
    if (n_kp > DD_DET_MAX_KEYPOINTS) n_kp = DD_DET_MAX_KEYPOINTS;
    for (int l = 0; l < n_levels; l++) {
        const struct dd_blazeface_level *lv = &levels[l];
        int gw = input_w / lv->stride, gh = input_h / lv->stride;
        int n = gw * gh * lv->anchors_per_cell;
        for (int i = 0; i < n; i++) {
            float logit = lv->scores[i];
            if (logit > DD_BLAZEFACE_LOGIT_CLAMP) logit = DD_BLAZEFACE_LOGIT_CLAMP;
            if (logit < -DD_BLAZEFACE_LOGIT_CLAMP) logit = -DD_BLAZEFACE_LOGIT_CLAMP;
            float score = 1.0f / (1.0f + expf(-logit));
            if (score < score_threshold) continue;
            int cell = i / lv->anchors_per_cell;
            float ax = ((float)(cell % gw) + 0.5f) * (float)lv->stride;
            float ay = ((float)(cell / gw) + 0.5f) * (float)lv->stride;
            const float *r = lv->regs + (size_t)i * (size_t)n_regs;
            float cx = ax + r[0], cy = ay + r[1], w = r[2], h = r[3];
            struct dd_det d = {0};
            d.x1 = cx - 0.5f * w;
            d.y1 = cy - 0.5f * h;
            d.x2 = cx + 0.5f * w;
            d.y2 = cy + 0.5f * h;
            d.score = score;
            d.cls = 0;
            d.n_keypoints = n_kp;
            for (int k = 0; k < n_kp; k++) {
                d.kp[k][0] = ax + r[4 + 2 * k];
                d.kp[k][1] = ay + r[5 + 2 * k];
            }
            if (dd_det_list_push(out, &d) != 0) return -1;
        }
    }
    return 0;
}

/* ---- the family ---- */

static int blazeface_match(const struct dd_shape *outputs, int n, struct dd_family_info *fi)
{
    static const int strides[] = {16, 32}, anchors[] = {2, 6};
    const struct dd_input_spec *in = &fi->input;
    fi->n_levels = 0;
    for (int l = 0; l < 2; l++) {
        int64_t cells = (int64_t)(in->width / strides[l]) * (in->height / strides[l]) * anchors[l];
        int sc = dd_family_find_output(outputs, n, cells, 1),
            rg = dd_family_find_output(outputs, n, cells, 16);
        if (sc < 0 || rg < 0) return -1;
        fi->levels[fi->n_levels++] = (struct dd_family_level){strides[l], sc, rg, anchors[l]};
    }
    fi->num_classes = 1;
    fi->labels = dd_face_labels;
    fi->box_params = 16;
    for (int c = 0; c < 3; c++) fi->input.mean[c] = fi->input.std[c] = 127.5f;
    fi->input.bgr = false;
    fi->input.pad_pixel = 0.0f;
    fi->default_score_threshold = 0.5f;
    fi->default_iou_threshold = 0.3f;
    fi->default_max_detections = 50;
    return 0;
}

static int blazeface_decode(const struct dd_family_info *fi, const float *const *outputs,
                            float score_threshold, struct dd_det_list *out)
{
    struct dd_blazeface_level lv[DD_FAMILY_MAX_LEVELS];
    for (int l = 0; l < fi->n_levels; l++) {
        const struct dd_family_level *f = &fi->levels[l];
        lv[l] = (struct dd_blazeface_level){outputs[f->out_score], outputs[f->out_box], f->stride,
                                            f->anchors_per_cell};
    }
    return dd_decode_blazeface(lv, fi->n_levels, fi->input.width, fi->input.height, fi->box_params,
                               score_threshold, out);
}

/* Its score outputs are logits (the decoder applies the sigmoid). */
static bool blazeface_output_is_logits(const struct dd_family_info *fi, int output)
{
    for (int l = 0; l < fi->n_levels; l++)
        if (fi->levels[l].out_score == output) return true;
    return false;
}

const struct dd_family dd_family_blazeface = {
    "blazeface",      "[1,N,1]+[1,N,16] per stride 16/32", 1, dd_face_labels, blazeface_match,
    blazeface_decode, blazeface_output_is_logits,
};

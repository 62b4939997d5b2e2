#include "postproc/decode_blazeface.h"

#include <math.h>

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

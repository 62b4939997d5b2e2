#include "postproc/detection_filter.h"

#include <string.h>

void dd_detect_settings_default(struct dd_detect_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->opts = (struct dd_detect_opts)DD_DETECT_OPTS_DEFAULT;
    for (int c = 0; c < DD_MAX_CLASSES; c++) {
        s->class_threshold[c] = -1.0f;
        s->class_enabled[c] = 1;
    }
    s->roi[2] = s->roi[3] = 1.0f;
    s->overlay = 1;
}

void dd_detect_settings_filter(const struct dd_detect_settings *s, uint32_t w, uint32_t h,
                               struct dd_det_list *dets)
{
    size_t k = 0;
    for (size_t i = 0; i < dets->n; i++) {
        const struct dd_det *d = &dets->v[i];
        int c = d->cls;
        if (c >= 0 && c < DD_MAX_CLASSES) {
            if (!s->class_enabled[c]) continue;
            if (s->class_threshold[c] >= 0 && d->score < s->class_threshold[c]) continue;
        }
        if (s->roi_enabled) {
            float cx = (d->x1 + d->x2) * 0.5f / (float)w, cy = (d->y1 + d->y2) * 0.5f / (float)h;
            if (cx < s->roi[0] || cx > s->roi[2] || cy < s->roi[1] || cy > s->roi[3]) continue;
        }
        dets->v[k++] = *d;
    }
    dets->n = k;
}

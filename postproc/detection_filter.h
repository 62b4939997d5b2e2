/* The detection filter the pipeline applies after postprocessing, and the
 * settings that may change while it runs: thresholds, per-class thresholds
 * and enables, region of interest, what the overlay draws. */
#ifndef DD_POSTPROC_DETECTION_FILTER_H
#define DD_POSTPROC_DETECTION_FILTER_H

#include <stdint.h>

#include "postproc/detection.h"
#include "postproc/postprocess.h"

#define DD_MAX_CLASSES 128

struct dd_detect_settings {
    struct dd_detect_opts opts;            /* score/IoU threshold, max detections */
    float class_threshold[DD_MAX_CLASSES]; /* < 0: opts.score_threshold */
    uint8_t class_enabled[DD_MAX_CLASSES]; /* 0: dropped */
    int roi_enabled;
    float roi[4];      /* x0, y0, x1, y1 in 0..1 of the frame: keep boxes whose centre is inside */
    int overlay;       /* draw boxes and labels */
    int overlay_fps;   /* draw the FPS line */
    int overlay_zones; /* draw the scene's zones and lines with their counts */
};

void dd_detect_settings_default(struct dd_detect_settings *s);
/* Applies class enables, per-class thresholds and the ROI to a list (frame
 * pixels of a w x h frame), in place. */
void dd_detect_settings_filter(const struct dd_detect_settings *s, uint32_t w, uint32_t h,
                               struct dd_det_list *dets);

#endif

#include "postproc/postprocess.h"

#include "postproc/nms.h"

int dd_detections_from_outputs(const struct dd_family_info *fi, const float *const *outputs,
                               const struct dd_letterbox *lb, const struct dd_detect_opts *opts,
                               struct dd_det_list *out, struct dd_err *err)
{
    float thr = opts->score_threshold >= 0.0f ? opts->score_threshold : fi->default_score_threshold;
    float iou = opts->iou_threshold >= 0.0f ? opts->iou_threshold : fi->default_iou_threshold;
    int max_det = opts->max_detections > 0 ? opts->max_detections : fi->default_max_detections;
    dd_det_list_clear(out);
    if (dd_family_decode(fi, outputs, thr, out, err) != 0) return -1;
    if (dd_nms(out, iou, (size_t)max_det) != 0) return dd_err_set(err, "NMS: out of memory");
    for (size_t i = 0; i < out->n; i++) dd_letterbox_unmap(lb, &out->v[i]);
    return 0;
}

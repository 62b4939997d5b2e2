#include "detectors/detector.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "detectors/tfjs_import.h"
#include "pipeline/preprocess.h"
#include "postproc/nms.h"

int dd_detector_open(const char *model_path, struct dd_detector **out, struct dd_err *err)
{
    *out = NULL;
    char json[PATH_MAX];
    struct stat st;
    if (stat(model_path, &st) != 0)
        return dd_err_set(err, "%s: no such model file or directory", model_path);
    if (S_ISDIR(st.st_mode)) {
        if (dd_tfjs_find_in_dir(model_path, json, sizeof(json), err) != 0) return -1;
    } else if (snprintf(json, sizeof(json), "%s", model_path) >= (int)sizeof(json)) {
        return dd_err_set(err, "model path too long");
    }
    struct dd_detector *d = calloc(1, sizeof(*d));
    if (!d) return dd_err_set(err, "out of memory");
    if (dd_tfjs_load(json, &d->graph, err) != 0 ||
        dd_family_detect(d->graph, &d->family, err) != 0 ||
        dd_float_exec_create(d->graph, &d->exec, err) != 0) {
        dd_detector_close(d);
        return dd_err_prefix(err, "model %s", model_path);
    }
    *out = d;
    return 0;
}

void dd_detector_close(struct dd_detector *d)
{
    if (!d) return;
    dd_float_exec_destroy(d->exec);
    dd_graph_destroy(d->graph);
    free(d);
}

int dd_detector_postprocess(struct dd_detector *d, const struct dd_letterbox *lb,
                            const struct dd_detect_opts *opts, struct dd_det_list *out,
                            struct dd_err *err)
{
    const float *outs[DD_MAX_NODE_OUTPUTS * 4];
    for (int k = 0; k < d->graph->n_outputs; k++)
        outs[k] = dd_float_exec_tensor(d->exec, d->graph->outputs[k]);
    return dd_detections_from_outputs(&d->family, outs, lb, opts, out, err);
}

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

int dd_detector_detect(struct dd_detector *d, const struct dd_image *img,
                       const struct dd_detect_opts *opts, struct dd_det_list *out,
                       struct dd_err *err)
{
    struct dd_letterbox lb;
    if (dd_preprocess_rgb_f32(img, &d->family.input, dd_float_exec_input(d->exec), &lb, err) != 0)
        return -1;
    if (dd_float_exec_run(d->exec, err) != 0) return -1;
    return dd_detector_postprocess(d, &lb, opts, out, err);
}

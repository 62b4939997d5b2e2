#include "detectors/detector.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "detectors/tfjs_import.h"
#include "detectors/preprocess.h"
#include "postproc/nms.h"

/* The graph's family, from its input's and outputs' shapes. */
static int detect_family(const struct dd_graph *g, struct dd_family_info *fi, struct dd_err *err)
{
    struct dd_shape outs[DD_FAMILY_MAX_OUTPUTS];
    if (g->n_outputs > DD_FAMILY_MAX_OUTPUTS)
        return dd_err_set(err, "%d outputs: no known detector family has that many", g->n_outputs);
    for (int k = 0; k < g->n_outputs; k++) outs[k] = g->tensors[g->outputs[k]].shape;
    return dd_family_detect_shapes(&g->tensors[g->input].shape, outs, g->n_outputs, fi, err);
}

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
    if (dd_tfjs_load(json, &d->graph, err) != 0 || detect_family(d->graph, &d->family, err) != 0 ||
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

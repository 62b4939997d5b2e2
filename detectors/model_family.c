#include "detectors/model_family.h"

#include <string.h>

#include "detectors/labels.h"
#include "postproc/decode_blazeface.h"
#include "postproc/decode_nanodet.h"

struct shapes {
    const struct dd_shape *outputs;
    int n_outputs;
};

/* Finds the output of shape [1, cells, last]; -1 if none. */
static int find_output(const struct shapes *g, int64_t cells, int64_t last)
{
    for (int k = 0; k < g->n_outputs; k++) {
        const struct dd_shape *s = &g->outputs[k];
        if (s->rank == 3 && s->d[0] == 1 && s->d[1] == cells && s->d[2] == last) return k;
    }
    return -1;
}

static int input_geometry(const struct dd_shape *s, struct dd_input_spec *in, struct dd_err *err)
{
    if (s->rank != 4 || s->d[0] != 1)
        return dd_err_set(err, "model input must be [1,H,W,3] or [1,3,H,W]");
    if (s->d[3] == 3) {
        in->nchw = false;
        in->height = (int)s->d[1];
        in->width = (int)s->d[2];
    } else if (s->d[1] == 3) {
        in->nchw = true;
        in->height = (int)s->d[2];
        in->width = (int)s->d[3];
    } else {
        return dd_err_set(err, "model input must have 3 channels");
    }
    return 0;
}

static int detect_nanodet(const struct shapes *g, struct dd_family_info *fi)
{
    const struct dd_input_spec *in = &fi->input;
    static const int strides[] = {8, 16, 32};
    fi->n_levels = 0;
    for (int l = 0; l < 3; l++) {
        int64_t cells = (int64_t)(in->width / strides[l]) * (in->height / strides[l]);
        int cls = find_output(g, cells, DD_COCO_CLASSES), reg = find_output(g, cells, 44);
        if (cls < 0 || reg < 0) return -1;
        fi->levels[fi->n_levels++] = (struct dd_family_level){strides[l], cls, reg, 1};
    }
    fi->family = DD_FAMILY_NANODET;
    fi->name = "nanodet";
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

static int detect_blazeface(const struct shapes *g, struct dd_family_info *fi)
{
    const struct dd_input_spec *in = &fi->input;
    static const int strides[] = {16, 32}, anchors[] = {2, 6};
    fi->n_levels = 0;
    for (int l = 0; l < 2; l++) {
        int64_t n = (int64_t)(in->width / strides[l]) * (in->height / strides[l]) * anchors[l];
        int sc = find_output(g, n, 1), rg = find_output(g, n, 16);
        if (sc < 0 || rg < 0) return -1;
        fi->levels[fi->n_levels++] = (struct dd_family_level){strides[l], sc, rg, anchors[l]};
    }
    fi->family = DD_FAMILY_BLAZEFACE;
    fi->name = "blazeface";
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

int dd_family_detect_shapes(const struct dd_shape *input, const struct dd_shape *outputs,
                            int n_outputs, struct dd_family_info *fi, struct dd_err *err)
{
    memset(fi, 0, sizeof(*fi));
    if (input_geometry(input, &fi->input, err) != 0) return -1;
    struct shapes sh = {outputs, n_outputs};
    if (detect_nanodet(&sh, fi) == 0 || detect_blazeface(&sh, fi) == 0) return 0;
    return dd_err_set(err, "outputs match no known detector family (NanoDet: [1,N,80]+[1,N,44] "
                           "per stride 8/16/32; BlazeFace: [1,N,1]+[1,N,16] per stride 16/32)");
}

int dd_family_detect(const struct dd_graph *g, struct dd_family_info *fi, struct dd_err *err)
{
    struct dd_shape outs[DD_MAX_NODE_OUTPUTS * 4];
    for (int k = 0; k < g->n_outputs; k++) outs[k] = g->tensors[g->outputs[k]].shape;
    return dd_family_detect_shapes(&g->tensors[g->input].shape, outs, g->n_outputs, fi, err);
}

int dd_family_decode(const struct dd_family_info *fi, const float *const *outputs,
                     float score_threshold, struct dd_det_list *out, struct dd_err *err)
{
    int rc;
    if (fi->family == DD_FAMILY_NANODET) {
        struct dd_nanodet_level lv[DD_FAMILY_MAX_LEVELS];
        for (int l = 0; l < fi->n_levels; l++) {
            const struct dd_family_level *f = &fi->levels[l];
            lv[l] = (struct dd_nanodet_level){outputs[f->out_score], outputs[f->out_box],
                                              fi->input.width / f->stride,
                                              fi->input.height / f->stride, f->stride};
        }
        rc = dd_decode_nanodet(lv, fi->n_levels, fi->num_classes, fi->box_params, score_threshold,
                               out);
    } else {
        struct dd_blazeface_level lv[DD_FAMILY_MAX_LEVELS];
        for (int l = 0; l < fi->n_levels; l++) {
            const struct dd_family_level *f = &fi->levels[l];
            lv[l] = (struct dd_blazeface_level){outputs[f->out_score], outputs[f->out_box],
                                                f->stride, f->anchors_per_cell};
        }
        rc = dd_decode_blazeface(lv, fi->n_levels, fi->input.width, fi->input.height,
                                 fi->box_params, score_threshold, out);
    }
    return rc == 0 ? 0 : dd_err_set(err, "decoding %s outputs failed (out of memory)", fi->name);
}

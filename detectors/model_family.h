/* Detector families: what a graph's input expects (size, layout, channel
 * order, normalisation) and how its outputs decode into boxes. The family is
 * recognised from the graph's input and output shapes, so a model needs no
 * side file. */
#ifndef DD_DETECTORS_MODEL_FAMILY_H
#define DD_DETECTORS_MODEL_FAMILY_H

#include <stdbool.h>

#include "detectors/graph.h"
#include "postproc/detection.h"

enum dd_family {
    DD_FAMILY_NANODET = 1, /* GFL head, 80 COCO classes */
    DD_FAMILY_BLAZEFACE,   /* MediaPipe anchors, one class */
};

/* value = (pixel - mean[c]) / std[c], c in the model's channel order. */
struct dd_input_spec {
    int width, height;
    bool nchw; /* planar [1,3,H,W] rather than [1,H,W,3] */
    bool bgr;  /* channel order B,G,R */
    float mean[3], std[3];
    float pad_pixel; /* letterbox fill, in pixel units before normalisation */
};

#define DD_FAMILY_MAX_LEVELS 4

struct dd_family_level {
    int stride;
    int out_score; /* index into graph->outputs: class scores or face logits */
    int out_box;   /* index into graph->outputs: box regression */
    int anchors_per_cell;
};

struct dd_family_info {
    enum dd_family family;
    const char *name;
    struct dd_input_spec input;
    int num_classes;
    const char *const *labels;
    int box_params; /* nanodet: bins per side; blazeface: regressors per anchor */
    int n_levels;
    struct dd_family_level levels[DD_FAMILY_MAX_LEVELS];
    float default_score_threshold, default_iou_threshold;
    int default_max_detections;
};

int dd_family_detect(const struct dd_graph *g, struct dd_family_info *fi, struct dd_err *err);

/* The same from shapes alone: the model input's and its outputs' (in output order). */
int dd_family_detect_shapes(const struct dd_shape *input, const struct dd_shape *outputs,
                            int n_outputs, struct dd_family_info *fi, struct dd_err *err);

/* Decodes the graph outputs (outputs[k] is the data of g->outputs[k]) into
 * candidates in model-input pixels (no NMS). */
int dd_family_decode(const struct dd_family_info *fi, const float *const *outputs,
                     float score_threshold, struct dd_det_list *out, struct dd_err *err);

#endif

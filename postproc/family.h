/* Detector families as plug-ins: what a model's input expects (size, layout,
 * channel order, normalisation) and how its outputs decode into boxes. A
 * family is recognised from the shapes of the model's input and outputs, so a
 * model needs no side file.
 *
 * A new family is one decoder file that defines its `struct dd_family` and one
 * entry in the table of postproc/family.c. The compiler (which outputs carry
 * logits), the config (class names), the float and quantized detectors
 * (decoding) all go through this table. */
#ifndef DD_POSTPROC_FAMILY_H
#define DD_POSTPROC_FAMILY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/shape.h"
#include "postproc/detection.h"

/* value = (pixel - mean[c]) / std[c], c in the model's channel order. */
struct dd_input_spec {
    int width, height;
    bool nchw; /* planar [1,3,H,W] rather than [1,H,W,3] */
    bool bgr;  /* channel order B,G,R */
    float mean[3], std[3];
    float pad_pixel; /* letterbox fill, in pixel units before normalisation */
};

#define DD_FAMILY_MAX_LEVELS 4
#define DD_FAMILY_MAX_OUTPUTS 16

struct dd_family_level {
    int stride;
    int out_score; /* index into the outputs: class scores or face logits */
    int out_box;   /* index into the outputs: box regression */
    int anchors_per_cell;
};

struct dd_family;

/* One recognised model: its family and where each level's outputs are. */
struct dd_family_info {
    const struct dd_family *family;
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

/* The plug-in. */
struct dd_family {
    const char *name;
    const char *outputs_help; /* the output shapes it recognises, for error messages */
    int num_classes;
    const char *const *labels;
    /* Fills fi's levels, normalisation, labels and defaults when the outputs
     * match (fi->input's size and layout are already set); -1 when not. */
    int (*match)(const struct dd_shape *outputs, int n_outputs, struct dd_family_info *fi);
    /* Appends candidates in model-input pixels with score >= threshold (no
     * NMS); outputs[k] is the k-th output's data. -1: out of memory. */
    int (*decode)(const struct dd_family_info *fi, const float *const *outputs,
                  float score_threshold, struct dd_det_list *out);
    /* Whether output k holds logits its decoder passes through a sigmoid. */
    bool (*output_is_logits)(const struct dd_family_info *fi, int output);
};

/* The registered families, in recognition order. */
extern const struct dd_family *const dd_families[];
extern const size_t dd_n_families;

/* Recognises a model from its input's and its outputs' shapes (in output
 * order); err lists what each family expects when none matches. */
int dd_family_detect_shapes(const struct dd_shape *input, const struct dd_shape *outputs,
                            int n_outputs, struct dd_family_info *fi, struct dd_err *err);

/* Decodes outputs into candidates in model-input pixels (no NMS). */
int dd_family_decode(const struct dd_family_info *fi, const float *const *outputs,
                     float score_threshold, struct dd_det_list *out, struct dd_err *err);

/* Whether output k carries logits (the compiler keeps their range for ranking). */
bool dd_family_output_is_logits(const struct dd_family_info *fi, int output);

/* For match functions: the output of shape [1, cells, last]; -1 if none. */
int dd_family_find_output(const struct dd_shape *outputs, int n, int64_t cells, int64_t last);

/* The class index of name in fi's labels; -1 if it has no such class. */
int dd_family_class_index(const struct dd_family_info *fi, const char *name);
/* Whether any registered family has a class called name. */
bool dd_family_any_has_class(const char *name);

#endif

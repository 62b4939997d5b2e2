/* Lowering: graph IR -> lowered graph (LG), a list of ISA-level operations on
 * physical HWC tensors, still in float (weights, biases). The compiler then
 * calibrates and quantizes the LG and emits instructions.
 *
 * Every IR tensor the lowering meets is mapped to an LG tensor through a view:
 * for each IR axis, the range of physical axes (0 = H, 1 = W, 2 = C) it
 * covers, or none. Transposes and reshapes only change views; pads, bias adds
 * and activations fuse into neighbouring ops; SplitV makes channel slices and
 * ConcatV2 turns its inputs into channel slices of its output. */
#ifndef DD_ACCEL_LOWER_H
#define DD_ACCEL_LOWER_H

#include <stdbool.h>

#include "detectors/graph.h"

struct lg_view {
    int rank;
    int8_t lo[DD_MAX_RANK], hi[DD_MAX_RANK]; /* physical axis range; lo = -1: none */
    bool flat; /* no axis mapping, but the IR tensor's row-major order is the HWC order */
};

struct lg_tensor {
    int h, w, c;
    int parent, ch_off; /* channel slice of parent (-1: a root tensor) */
    int tie;            /* shares the quantization of this tensor (-1: own) */
    bool fixed_quant;   /* sigmoid outputs: scale 1/255, zero point -128 */
    int ir;             /* IR tensor holding this tensor's real values (-1: none) */
    struct lg_view view;
    int producer;    /* LG op index, -1 */
    int uses;        /* pending IR uses while lowering */
    bool need_means; /* a convolution input: per-channel means for bias correction */
    float *eq;       /* owned, [c] or NULL: cross-layer equalization, value = IR value / eq[c] */
};

enum lg_kind { LG_INPUT, LG_CONV, LG_POOL, LG_ADD, LG_UPSAMPLE, LG_SIGMOID };

struct lg_op {
    enum lg_kind kind;
    int in0, in1, out;
    int ir_node; /* for messages */
    /* CONV */
    int weights; /* IR constant tensor, HWIO (depthwise: [kh, kw, c, 1]) */
    int oc_off;  /* dense: output channel c is the weights' channel oc_off + c */
    float *bias; /* owned, [out c] */
    int kh, kw, sh, sw, pt, pl, pb, pr;
    bool depthwise;
    enum dd_activation act;
    float alpha;
    /* POOL */
    bool avg;
    /* UPSAMPLE */
    bool bilinear;
    /* ADD */
    bool relu;
};

struct lg_output {
    int ir;     /* IR graph output tensor */
    int tensor; /* LG tensor */
};

struct lg_graph {
    const struct dd_graph *ir;
    struct lg_tensor *t;
    int n_t, cap_t;
    struct lg_op *op;
    int n_op, cap_op;
    int input; /* LG tensor of the INPUT op */
    struct lg_output outputs[DD_MAX_NODE_OUTPUTS * 4];
    int n_outputs;
};

int dd_lower(const struct dd_graph *ir, struct lg_graph **out, struct dd_err *err);
void dd_lower_destroy(struct lg_graph *lg);

/* Root tensor of t (following channel-slice parents) and its channel offset in it. */
int lg_root(const struct lg_graph *lg, int t, int *ch_off);
/* Tensor whose quantization t uses (follows ties and parents). */
int lg_quant_root(const struct lg_graph *lg, int t);

#endif

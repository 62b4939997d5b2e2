/* Graph IR: a small, static-shape dataflow graph imported from a trained
 * model. Tensors are NHWC (TensorFlow semantics); constants carry their data,
 * activations do not (the executor owns their buffers).
 *
 * Ownership: a struct dd_graph owns every tensor, node, name and constant
 * buffer it holds; dd_graph_destroy() frees all of it. */
#ifndef DD_DETECTORS_GRAPH_H
#define DD_DETECTORS_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/shape.h"

#define DD_MAX_NODE_INPUTS 8
#define DD_MAX_NODE_OUTPUTS 4

enum dd_dtype {
    DD_DTYPE_F32,
    DD_DTYPE_I32,
};

struct dd_tensor {
    char *name; /* "node" for output 0, "node:k" for output k */
    enum dd_dtype dtype;
    struct dd_shape shape;
    bool is_const; /* data holds the value */
    void *data;    /* constants only: float or int32_t, row-major */
    int producer;  /* node index, -1 for constants and the graph input */
};

enum dd_op {
    DD_OP_CONV2D,           /* NHWC input, HWIO weights, optional fused bias + activation */
    DD_OP_DEPTHWISE_CONV2D, /* weights [kh, kw, cin, multiplier] */
    DD_OP_ADD,              /* broadcasting elementwise add (Add, AddV2, BiasAdd) */
    DD_OP_MUL,              /* broadcasting elementwise multiply */
    DD_OP_RELU,
    DD_OP_RELU6,
    DD_OP_LEAKY_RELU,
    DD_OP_SIGMOID,
    DD_OP_MAX_POOL,
    DD_OP_AVG_POOL,
    DD_OP_PAD,             /* constant padding: inputs x, paddings[, value] */
    DD_OP_TRANSPOSE,       /* inputs x, perm */
    DD_OP_RESHAPE,         /* inputs x, shape */
    DD_OP_CONCAT,          /* inputs x0..xn-1, axis */
    DD_OP_SPLITV,          /* inputs x, sizes, axis */
    DD_OP_RESIZE_BILINEAR, /* inputs x, size [h, w] */
    DD_OP_RESIZE_NEAREST,  /* inputs x, size [h, w] */
    DD_OP_SPARSE_TO_DENSE, /* inputs indices, output_shape, values, default */
    DD_OP_IDENTITY,
    DD_OP_COUNT_
};

enum dd_padding {
    DD_PADDING_VALID,
    DD_PADDING_SAME,
};

enum dd_activation {
    DD_ACT_NONE,
    DD_ACT_RELU,
    DD_ACT_RELU6,
    DD_ACT_LEAKY_RELU,
};

struct dd_node_attrs {
    /* convolution and pooling */
    int strides[2];   /* h, w */
    int dilations[2]; /* h, w */
    int ksize[2];     /* pooling window h, w */
    enum dd_padding padding;
    /* fused epilogue of convolutions: bias input index in inputs[] or -1 */
    int bias_input;
    enum dd_activation act;
    float alpha; /* LeakyRelu slope, for DD_OP_LEAKY_RELU and fused leaky ReLU */
    /* resize */
    bool align_corners;
    bool half_pixel_centers;
};

struct dd_node {
    char *name;
    enum dd_op op;
    int n_inputs;
    int inputs[DD_MAX_NODE_INPUTS]; /* tensor indices */
    int n_outputs;
    int outputs[DD_MAX_NODE_OUTPUTS]; /* tensor indices */
    struct dd_node_attrs attrs;
};

struct dd_graph {
    struct dd_tensor *tensors;
    int n_tensors, cap_tensors;
    struct dd_node *nodes; /* topologically ordered after dd_graph_prepare() */
    int n_nodes, cap_nodes;
    int input; /* tensor index of the single graph input */
    int outputs[DD_MAX_NODE_OUTPUTS * 4];
    int n_outputs;
};

const char *dd_op_name(enum dd_op op);
size_t dd_dtype_size(enum dd_dtype dt);
/* Elements of s; -1 for a negative extent or a count beyond int64. */
int64_t dd_shape_count(const struct dd_shape *s);
/* "[1,416,416,3]" into buf; returns buf. */
const char *dd_shape_str(const struct dd_shape *s, char *buf, size_t len);

struct dd_graph *dd_graph_create(void);
void dd_graph_destroy(struct dd_graph *g);

/* Appends a tensor and returns its index (or -1 on allocation failure). name is copied. */
int dd_graph_add_tensor(struct dd_graph *g, const char *name, enum dd_dtype dtype);
/* Appends a node (name copied) and returns its index, or -1. */
int dd_graph_add_node(struct dd_graph *g, const char *name, enum dd_op op);
int dd_graph_find_tensor(const struct dd_graph *g, const char *name);

/* Orders nodes topologically, infers every shape, folds constant subgraphs
 * and removes nodes nothing depends on. Fails with a message naming the node
 * on a cycle, a shape mismatch or a bad attribute. */
int dd_graph_prepare(struct dd_graph *g, struct dd_err *err);

/* Total multiply-accumulates of the convolutions. */
int64_t dd_graph_macs(const struct dd_graph *g);

#endif

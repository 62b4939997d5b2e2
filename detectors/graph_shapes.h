/* Shape inference for one node of the graph IR. Validates the node's inputs
 * (ranks, constant operands such as perm/paddings/axis) so that the kernels
 * can trust them; sets the output tensors' shapes and dtypes. */
#ifndef DD_DETECTORS_GRAPH_SHAPES_H
#define DD_DETECTORS_GRAPH_SHAPES_H

#include "detectors/graph.h"

int dd_graph_infer_shapes(struct dd_graph *g, const struct dd_node *nd, struct dd_err *err);

/* Reads a constant int32 tensor as a vector of at most max values; -1 if not constant/int. */
int dd_const_ints(const struct dd_graph *g, int tensor, int64_t *out, int max, int *n,
                  struct dd_err *err);

/* TensorFlow's SAME/VALID output size and leading pad for one spatial dimension. */
int64_t dd_conv_out_size(int64_t in, int k, int stride, int dilation, enum dd_padding p);
int64_t dd_conv_pad_before(int64_t in, int64_t out, int k, int stride, int dilation,
                           enum dd_padding p);

/* Broadcast shape of two shapes (numpy rules); -1 if incompatible. */
int dd_shape_broadcast(const struct dd_shape *a, const struct dd_shape *b, struct dd_shape *out);

#endif

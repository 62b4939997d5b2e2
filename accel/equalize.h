/* Cross-layer equalization (Nagel et al., "Data-Free Quantization Through
 * Weight Equalization and Bias Correction", 2019) on the lowered graph.
 *
 * For a convolution A whose output t feeds exactly one convolution B (and
 * nothing else: not an output, a slice, a concatenation or an add), through
 * no activation, ReLU or leaky ReLU (all positively homogeneous), scaling A's
 * output channel c by 1/s_c and B's input channel c by s_c leaves the network
 * unchanged in real arithmetic. Choosing s_c = sqrt(r1_c / r2_c), with r1_c
 * the range of A's weights for output channel c and r2_c the range of B's
 * weights for input channel c, gives both the same range: the channels of t
 * come out with similar ranges, so t's one activation scale (per tensor) no
 * longer wastes its 256 levels on a few loud channels, and neither weight
 * side loses precision. Depthwise-separable stacks (BlazeFace) need it most.
 *
 * The scales are recorded in lg->t[t].eq (the float model is not changed):
 * calibration statistics are taken of IR value / eq[c], the compiler divides
 * A's weights and bias and multiplies B's weights, and per-layer comparisons
 * divide the float twin. Iterated over all pairs a few rounds (each pair's
 * scales change its neighbours' ranges). */
#ifndef DD_ACCEL_EQUALIZE_H
#define DD_ACCEL_EQUALIZE_H

#include "accel/lower.h"
#include "common/error.h"

/* Returns the number of equalized tensors, or -1. */
int dd_equalize(struct lg_graph *lg, struct dd_err *err);

/* The effective weight of conv op for (tap t, input channel i, output channel
 * o) after equalization: W * eq_in[i] / eq_out[o] (depthwise: i == o). */
float dd_equalized_weight(const struct lg_graph *lg, const struct lg_op *op, int tap, int i, int o);
/* The effective bias of output channel o. */
float dd_equalized_bias(const struct lg_graph *lg, const struct lg_op *op, int o);

#endif

/* The PTQ compiler: a float graph (with its family) + calibration frames ->
 * a model package for the instruction set.
 *
 * Lowering (accel/lower) maps the graph to ISA-level ops; cross-layer
 * equalization (accel/equalize) balances conv -> conv pairs. Calibration runs
 * the float reference executor on real frames, letterboxed as the runtime
 * does, and records per lowered tensor the statistics its estimator needs
 * (min/max by default; 0.01%/99.99% quantiles; the MSE-optimal clipping)
 * over the positions that look at the picture: the letterbox padding holds
 * values the runtime clamps harmlessly (BlazeFace: about -10000 logits there),
 * which would otherwise set the ranges. Activations are int8 per tensor,
 * asymmetric; sigmoid inputs stop at +-6.25 (where the 1/255 LUT output
 * saturates) and score logits the decoder passes through a sigmoid at +-16.
 * Weights are quantized per output channel, symmetrically, with the clipping
 * ratio that minimises the squared error, rounded to nearest or by GPTQ
 * (accel/gptq: the 4-bit layers by default), and biases are corrected for the
 * mean error the weight rounding causes (E[(Wq - W) x]). With 4-bit weights,
 * which layers get them is measured: each dense convolution over an even
 * channel count (the int4 layout the RTL accelerator reads) alone in int4 is
 * run on two kept calibration frames (cpu backend) and the least output loss
 * per MAC goes first until int4_share of those layers' MACs are int4. */
#ifndef DD_ACCEL_COMPILER_H
#define DD_ACCEL_COMPILER_H

#include "accel/package.h"
#include "detectors/detector.h"
#include "media/media_input.h"

enum dd_estimator {
    DD_ESTIMATOR_MINMAX,
    DD_ESTIMATOR_PERCENTILE, /* 0.01% / 99.99% quantiles */
    DD_ESTIMATOR_MSE,        /* the clipping range with the least int8 round-trip error */
};

/* With wbits 4, dense convolutions with at least this many weights per output
 * channel get 4-bit weights; depthwise and smaller ones keep 8 bits. */
#define DD_W4_MIN_FAN_IN 64

enum dd_rounding {
    DD_ROUNDING_NEAREST, /* every weight to its nearest level */
    DD_ROUNDING_GPTQ_W4, /* GPTQ for the 4-bit layers, nearest for the 8-bit ones */
    DD_ROUNDING_GPTQ,    /* GPTQ for every dense convolution (accel/gptq.h) */
};

struct dd_compile_opts {
    int wbits;        /* 8, or 4 (mixed precision, see DD_W4_MIN_FAN_IN) */
    int calib_frames; /* frames used for calibration */
    int calib_step;   /* use every calib_step-th frame of the source */
    enum dd_estimator estimator;
    bool bias_correction;
    bool equalize;       /* cross-layer equalization (accel/equalize.h) */
    bool picture_ranges; /* activation ranges from the picture, not the letterbox padding */
    enum dd_rounding rounding;
    /* wbits 4: the share of the int4-capable convolution MACs (dense, even channel
     * count) to put in 4 bits, the layers chosen by measured sensitivity; < 0: the
     * fan-in rule (DD_W4_MIN_FAN_IN) instead */
    double int4_share;
};

#define DD_COMPILE_OPTS_DEFAULT                                                                    \
    {                                                                                              \
        8, 32, 8, DD_ESTIMATOR_MINMAX, true, true, true, DD_ROUNDING_GPTQ_W4, 0.8                  \
    }

/* Compiles det's graph, calibrating on frames from calib (consumed). */
int dd_compile(struct dd_detector *det, struct dd_media_input *calib,
               const struct dd_compile_opts *opts, struct dd_pkg **out, struct dd_err *err);

struct lg_graph;
/* The same, also returning the lowered graph: package tensor i is lowered
 * tensor i, whose float twin and layout lg->t[i].ir / .view give (for
 * per-layer comparisons). Free with dd_lower_destroy(). */
int dd_compile_traced(struct dd_detector *det, struct dd_media_input *calib,
                      const struct dd_compile_opts *opts, struct dd_pkg **out,
                      struct lg_graph **lg_out, struct dd_err *err);

#endif

/* Quantization quality: per-layer cosine similarity between a package's
 * quantized activations (dequantized) and their float twins, on one frame. */
#ifndef DD_ACCEL_QUALITY_H
#define DD_ACCEL_QUALITY_H

#include "accel/lower.h"
#include "accel/package.h"
#include "detectors/detector.h"

double dd_cosine(const float *a, const float *b, size_t n);

/* Runs the float graph and the golden model on img; cos[i] gets the cosine
 * similarity of package tensor i with its float twin (NAN where it has none)
 * over the positions that look at the picture (the letterbox padding is
 * clamped by design: accel/compiler.h);
 * outputs the family passes through a sigmoid are compared as scores. */
int dd_quality_layers(struct dd_detector *det, const struct lg_graph *lg, const struct dd_pkg *pkg,
                      const struct dd_image *img, double *cos, struct dd_err *err);

#endif

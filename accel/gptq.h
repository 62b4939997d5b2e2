/* Error-compensating weight rounding (GPTQ, Frantar et al. 2022, after OBQ):
 * a layer's weights are rounded one input column at a time and each column's
 * rounding error is folded into the columns not yet rounded, weighted by the
 * inverse Hessian of the layer's reconstruction error, H = E[x x^T] over the
 * layer's calibration inputs x (its im2col patches). Rows (output channels)
 * keep their own scale (chosen before, e.g. by the MSE-best clipping). */
#ifndef DD_ACCEL_GPTQ_H
#define DD_ACCEL_GPTQ_H

#include <stddef.h>
#include <stdint.h>

/* The running sum of x x^T over n-element input vectors. */
struct dd_gptq_hessian {
    int n;
    long samples;
    double *h; /* n x n, row-major (only the upper triangle is summed) */
    /* the last dd_gptq_quantize result (rows x n levels, their scales), kept by
     * the caller for emitting the same layer again */
    int8_t *q;
    float *scale;
    int rows, qmax;
};

int dd_gptq_hessian_init(struct dd_gptq_hessian *hs, int n);
void dd_gptq_hessian_destroy(struct dd_gptq_hessian *hs);
void dd_gptq_hessian_add(struct dd_gptq_hessian *hs, const float *x);

/* Rounds rows x n weights w (row r's scale scale[r], to [-qmax, qmax]) into q
 * with GPTQ; w is used as scratch. Returns -1 on allocation failure, 1 when the
 * Hessian could not be inverted (q then holds plain rounding), else 0. */
int dd_gptq_quantize(const struct dd_gptq_hessian *hs, float *w, int rows, const float *scale,
                     int qmax, int8_t *q);

#endif

/* GPTQ against nearest rounding on a layer with correlated inputs: the
 * layer's output error E||(Wq - W) x||^2 over the calibration samples is
 * lower, the levels stay in range, and a layer whose Hessian is degenerate
 * (dead inputs) still quantizes. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "accel/gptq.h"

static unsigned seed = 5;
static float gauss(void)
{
    double u1, u2;
    seed = seed * 1103515245u + 12345u;
    u1 = ((seed >> 8) + 1.0) / 16777218.0;
    seed = seed * 1103515245u + 12345u;
    u2 = ((seed >> 8) + 1.0) / 16777218.0;
    return (float)(sqrt(-2 * log(u1)) * cos(6.283185307 * u2));
}

enum { N = 48, ROWS = 16, SAMPLES = 400 };

static double output_error(const float *w, const int8_t *q, const float *scale, float x[][N])
{
    double e = 0;
    for (int s = 0; s < SAMPLES; s++)
        for (int r = 0; r < ROWS; r++) {
            double d = 0;
            for (int k = 0; k < N; k++)
                d += ((double)q[r * N + k] * scale[r] - w[r * N + k]) * x[s][k];
            e += d * d;
        }
    return e;
}

Test(gptq, lowers_the_layer_output_error_below_nearest_rounding)
{
    static float x[SAMPLES][N];
    float base[8];
    for (int s = 0; s < SAMPLES; s++) { /* inputs drawn from 8 latent factors: correlated */
        for (int f = 0; f < 8; f++) base[f] = gauss();
        for (int k = 0; k < N; k++) x[s][k] = base[k % 8] + 0.3f * gauss();
    }
    float w[ROWS * N], work[ROWS * N], scale[ROWS];
    int8_t qn[ROWS * N], qg[ROWS * N];
    for (int i = 0; i < ROWS * N; i++) w[i] = gauss();
    for (int qmax = 7; qmax <= 127; qmax += 120) {
        for (int r = 0; r < ROWS; r++) {
            float amax = 0;
            for (int k = 0; k < N; k++) amax = fmaxf(amax, fabsf(w[r * N + k]));
            scale[r] = amax / qmax;
            for (int k = 0; k < N; k++) {
                float v = roundf(w[r * N + k] / scale[r]);
                qn[r * N + k] = (int8_t)fmaxf(-qmax, fminf(qmax, v));
            }
        }
        struct dd_gptq_hessian hs;
        cr_assert_eq(dd_gptq_hessian_init(&hs, N), 0);
        for (int s = 0; s < SAMPLES; s++) dd_gptq_hessian_add(&hs, x[s]);
        memcpy(work, w, sizeof(w));
        cr_assert_eq(dd_gptq_quantize(&hs, work, ROWS, scale, qmax, qg), 0);
        for (int i = 0; i < ROWS * N; i++) cr_assert(qg[i] >= -qmax && qg[i] <= qmax);
        double en = output_error(w, qn, scale, x), eg = output_error(w, qg, scale, x);
        cr_log_info("%d-bit: output error nearest %.4g, GPTQ %.4g (%.2fx)", qmax == 7 ? 4 : 8, en,
                    eg, en / eg);
        cr_assert_lt(eg, 0.8 * en, "GPTQ %.4g vs nearest %.4g", eg, en);
        dd_gptq_hessian_destroy(&hs);
    }
}

Test(gptq, dead_inputs_and_no_samples_still_quantize)
{
    float w[2 * 4] = {0.5f, -0.25f, 0.125f, 1.0f, -1.0f, 0.3f, 0.2f, 0.1f}, work[8];
    float scale[2] = {1.0f / 7, 1.0f / 7};
    int8_t q[8];
    struct dd_gptq_hessian hs;
    cr_assert_eq(dd_gptq_hessian_init(&hs, 4), 0);
    memcpy(work, w, sizeof(w));
    cr_assert_eq(dd_gptq_quantize(&hs, work, 2, scale, 7, q), 1, "no samples: plain rounding");
    cr_assert_eq(q[3], 7);
    float x[4] = {1.0f, 0.0f, 2.0f, 0.0f}; /* inputs 1 and 3 never move */
    for (int s = 0; s < 10; s++) dd_gptq_hessian_add(&hs, x);
    memcpy(work, w, sizeof(w));
    cr_assert_eq(dd_gptq_quantize(&hs, work, 2, scale, 7, q), 0);
    for (int i = 0; i < 8; i++) cr_assert(q[i] >= -7 && q[i] <= 7);
    dd_gptq_hessian_destroy(&hs);
}

#include "accel/gptq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DAMP 0.01 /* of the mean diagonal, added to the diagonal */

int dd_gptq_hessian_init(struct dd_gptq_hessian *hs, int n)
{
    memset(hs, 0, sizeof(*hs));
    hs->n = n;
    hs->h = calloc((size_t)n * (size_t)n, sizeof(double));
    return hs->h ? 0 : -1;
}

void dd_gptq_hessian_destroy(struct dd_gptq_hessian *hs)
{
    free(hs->h);
    free(hs->q);
    free(hs->scale);
    hs->h = NULL;
    hs->q = NULL;
    hs->scale = NULL;
}

void dd_gptq_hessian_add(struct dd_gptq_hessian *hs, const float *x)
{
    int n = hs->n;
    for (int i = 0; i < n; i++) {
        double xi = x[i];
        if (xi == 0) continue;
        double *row = hs->h + (size_t)i * n;
        for (int j = i; j < n; j++) row[j] += xi * x[j];
    }
    hs->samples++;
}

/* In-place Cholesky A = L L^T (lower triangle of a); -1 if not positive definite. */
static int cholesky(double *a, int n)
{
    for (int j = 0; j < n; j++) {
        double d = a[(size_t)j * n + j];
        for (int k = 0; k < j; k++) d -= a[(size_t)j * n + k] * a[(size_t)j * n + k];
        if (!(d > 0)) return -1;
        d = sqrt(d);
        a[(size_t)j * n + j] = d;
        for (int i = j + 1; i < n; i++) {
            double s = a[(size_t)i * n + j];
            for (int k = 0; k < j; k++) s -= a[(size_t)i * n + k] * a[(size_t)j * n + k];
            a[(size_t)i * n + j] = s / d;
        }
    }
    return 0;
}

/* U (upper) with H^-1 = U^T U, from H = L L^T: M = L^-1 row by row, H^-1 =
 * M^T M as a sum of the rows' outer products, then the Cholesky factor of
 * H^-1, transposed (the factor GPTQ's column updates use). Every inner loop
 * runs along a row. */
static int inverse_upper_factor(const struct dd_gptq_hessian *hs, double *u)
{
    int n = hs->n;
    double *a = malloc((size_t)n * n * sizeof(double)), *m = calloc((size_t)n * n, sizeof(double));
    if (!a || !m) {
        free(a);
        free(m);
        return -2;
    }
    double inv_samples = 1.0 / (double)(hs->samples ? hs->samples : 1), mean_diag = 0;
    for (int i = 0; i < n; i++) mean_diag += hs->h[(size_t)i * n + i] * inv_samples;
    mean_diag /= n;
    double damp = DAMP * (mean_diag > 0 ? mean_diag : 1.0);
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++)
            a[(size_t)i * n + j] = a[(size_t)j * n + i] = hs->h[(size_t)i * n + j] * inv_samples;
    for (int i = 0; i < n; i++) {
        if (a[(size_t)i * n + i] == 0) a[(size_t)i * n + i] = 1; /* a dead input */
        a[(size_t)i * n + i] += damp;
    }
    int rc = cholesky(a, n); /* a = L (lower) */
    if (rc == 0) {
        for (int i = 0; i < n; i++) { /* row i of M: (e_i - sum_k<i L[i][k] M[k]) / L[i][i] */
            double *mi = m + (size_t)i * n;
            const double *li = a + (size_t)i * n;
            for (int k = 0; k < i; k++) {
                double f = li[k];
                if (f == 0) continue;
                const double *mk = m + (size_t)k * n;
                for (int j = 0; j <= k; j++) mi[j] -= f * mk[j];
            }
            mi[i] += 1.0;
            double d = 1.0 / li[i];
            for (int j = 0; j <= i; j++) mi[j] *= d;
        }
        memset(a, 0, (size_t)n * n * sizeof(double)); /* a = H^-1 = sum_k M[k]^T M[k] (lower) */
        for (int k = 0; k < n; k++) {
            const double *mk = m + (size_t)k * n;
            for (int i = 0; i <= k; i++) {
                double f = mk[i];
                if (f == 0) continue;
                double *ai = a + (size_t)i * n;
                for (int j = 0; j <= i; j++) ai[j] += f * mk[j];
            }
        }
        rc = cholesky(a, n); /* H^-1 = L' L'^T; U = L'^T */
        if (rc == 0)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    u[(size_t)i * n + j] = j >= i ? a[(size_t)j * n + i] : 0.0;
    }
    free(a);
    free(m);
    return rc;
}

static int8_t round_q(float v, float s, int qmax)
{
    float r = roundf(v / s);
    return (int8_t)(r < -qmax ? -qmax : (r > qmax ? qmax : r));
}

int dd_gptq_quantize(const struct dd_gptq_hessian *hs, float *w, int rows, const float *scale,
                     int qmax, int8_t *q)
{
    int n = hs->n;
    double *u = malloc((size_t)n * n * sizeof(double));
    if (!u) return -1;
    int rc = hs->samples ? inverse_upper_factor(hs, u) : -1;
    if (rc == -2) {
        free(u);
        return -1;
    }
    for (int r = 0; r < rows; r++) {
        float *row = w + (size_t)r * n;
        int8_t *qr = q + (size_t)r * n;
        for (int j = 0; j < n; j++) {
            qr[j] = round_q(row[j], scale[r], qmax);
            if (rc != 0) continue;
            double err = ((double)row[j] - (double)qr[j] * scale[r]) / u[(size_t)j * n + j];
            const double *uj = u + (size_t)j * n;
            for (int k = j + 1; k < n; k++) row[k] -= (float)(err * uj[k]);
        }
    }
    free(u);
    return rc == 0 ? 0 : 1;
}

#include "accel/cpu/qs8_requant.h"
#include "accel/golden.h"

void dd_qs8_requant_scalar(const int32_t *acc, size_t n, const struct dd_qs8_requant_params *p,
                           int combine, int8_t *out)
{
    for (size_t c = 0; c < n; c++) {
        int32_t a = acc[c];
        int32_t m = p->leaky && a < 0 ? p->m_neg[c] : p->m[c];
        int32_t v = dd_isa_clamp(dd_isa_requant(a, m, p->s[c]) + p->zp, p->lo, p->hi);
        if (!combine || v > out[c]) out[c] = (int8_t)v;
    }
}

void dd_qs8_requant_tile_scalar(const int32_t (*acc)[32], int n, size_t nc,
                                const struct dd_qs8_requant_params *p, const int *combine,
                                int8_t *const *dst, size_t dst_off)
{
    for (int r = 0; r < n; r++) dd_qs8_requant_scalar(acc[r], nc, p, combine[r], dst[r] + dst_off);
}

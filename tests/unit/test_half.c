#include <criterion/criterion.h>
#include <math.h>

#include "common/half.h"

Test(half, normal_values)
{
    cr_assert_eq(dd_half_to_float(0x3c00), 1.0f);
    cr_assert_eq(dd_half_to_float(0xc000), -2.0f);
    cr_assert_eq(dd_half_to_float(0x3555), 0.333251953125f);
    cr_assert_eq(dd_half_to_float(0x7bff), 65504.0f);
}

Test(half, zeros_and_subnormals)
{
    cr_assert_eq(dd_half_to_float(0x0000), 0.0f);
    cr_assert(signbit(dd_half_to_float(0x8000)));
    cr_assert_eq(dd_half_to_float(0x0001), ldexpf(1.0f, -24));
    cr_assert_eq(dd_half_to_float(0x03ff), ldexpf(1023.0f, -24));
    cr_assert_eq(dd_half_to_float(0x0400), ldexpf(1.0f, -14));
}

Test(half, specials)
{
    cr_assert(isinf(dd_half_to_float(0x7c00)) && dd_half_to_float(0x7c00) > 0);
    cr_assert(isinf(dd_half_to_float(0xfc00)) && dd_half_to_float(0xfc00) < 0);
    cr_assert(isnan(dd_half_to_float(0x7e00)));
}

Test(half, every_finite_value_round_trips_through_double)
{
    /* Each finite half equals sign * mantissa * 2^exp computed independently. */
    for (unsigned h = 0; h < 0x10000; h++) {
        unsigned e = (h >> 10) & 0x1f, m = h & 0x3ff;
        if (e == 0x1f) continue;
        double v = e == 0 ? ldexp((double)m, -24) : ldexp((double)(m | 0x400), (int)e - 25);
        if (h & 0x8000) v = -v;
        cr_assert_eq((double)dd_half_to_float((uint16_t)h), v, "half 0x%04x", h);
    }
}

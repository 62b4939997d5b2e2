/* The postprocessing SIMD kernels against their scalar twins, bit for bit,
 * and NMS with either kernel set giving the same detections. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "postproc/f32_kernels.h"
#include "postproc/nms.h"
#include "tests_common.h"

static float rnd(unsigned *s, float lo, float hi)
{
    *s = *s * 1103515245u + 12345u;
    return lo + (hi - lo) * (float)((*s >> 8) & 0xffff) / 65535.0f;
}

Test(postproc_kernels, the_best_set_here_is_selected)
{
    const struct dd_postproc_kernels *k = dd_postproc_kernels_best();
    if (dd_cpu_has(DD_CPU_AVX2)) cr_assert_str_eq(k->isa, "avx2");
    if (dd_cpu_has(DD_CPU_NEON)) cr_assert_str_eq(k->isa, "neon");
    cr_assert_not_null(k->iou);
}

static void any_ge_case(const struct dd_postproc_kernels *k)
{
    const struct dd_postproc_kernels *s = dd_postproc_kernels_scalar();
    unsigned seed = 1;
    float v[97];
    for (int it = 0; it < 5000; it++) {
        size_t n = (size_t)(it % 97);
        for (size_t i = 0; i < n; i++) v[i] = rnd(&seed, 0.0f, 0.5f);
        if (n && it % 3 == 0) v[it % n] = 0.5f; /* exactly at the threshold */
        if (n && it % 7 == 0) v[(it * 5) % n] = NAN;
        float t = it % 2 ? 0.5f : 0.49f;
        cr_assert_eq(k->any_ge(v, n, t), s->any_ge(v, n, t), "case %d", it);
    }
}

static void iou_case(const struct dd_postproc_kernels *k)
{
    const struct dd_postproc_kernels *s = dd_postproc_kernels_scalar();
    unsigned seed = 7;
    enum { N = 45 };
    float x1[N], y1[N], x2[N], y2[N], a[N], b[N];
    for (int it = 0; it < 3000; it++) {
        size_t n = (size_t)(it % N);
        for (size_t i = 0; i < n; i++) {
            x1[i] = rnd(&seed, -50, 400), y1[i] = rnd(&seed, -50, 400);
            x2[i] = x1[i] + rnd(&seed, -20, 200), y2[i] = y1[i] + rnd(&seed, -20, 200);
            if (i % 11 == 3) x2[i] = x1[i];              /* empty */
            if (i % 13 == 5 && it % 4 == 0) y1[i] = NAN; /* garbage in */
        }
        float box[4] = {rnd(&seed, 0, 300), rnd(&seed, 0, 300), 0, 0};
        box[2] = box[0] + rnd(&seed, 1, 150);
        box[3] = box[1] + rnd(&seed, 1, 150);
        if (n > 2) x1[2] = box[0], y1[2] = box[1], x2[2] = box[2], y2[2] = box[3]; /* identical */
        k->iou(box, x1, y1, x2, y2, n, a);
        s->iou(box, x1, y1, x2, y2, n, b);
        cr_assert_eq(memcmp(a, b, n * sizeof(float)), 0, "case %d", it);
        if (n > 2) cr_assert_eq(a[2], 1.0f);
        for (size_t i = 0; i < n; i++) cr_assert(a[i] >= 0.0f && a[i] <= 1.0f, "iou %g", a[i]);
    }
}

static void nms_case(const struct dd_postproc_kernels *k)
{
    unsigned seed = 3;
    for (int it = 0; it < 200; it++) {
        struct dd_det_list l1, l2;
        dd_det_list_init(&l1);
        dd_det_list_init(&l2);
        int n = 1 + it * 3;
        for (int i = 0; i < n; i++) {
            struct dd_det d = {0};
            d.x1 = rnd(&seed, 0, 300), d.y1 = rnd(&seed, 0, 300);
            d.x2 = d.x1 + rnd(&seed, 5, 80), d.y2 = d.y1 + rnd(&seed, 5, 80);
            d.score = rnd(&seed, 0.3f, 1.0f);
            d.cls = (int)rnd(&seed, 0, 3.99f);
            dd_det_list_push(&l1, &d);
            dd_det_list_push(&l2, &d);
        }
        cr_assert_eq(dd_nms_with(k, &l1, 0.45f, 0), 0);
        cr_assert_eq(dd_nms_with(dd_postproc_kernels_scalar(), &l2, 0.45f, 0), 0);
        cr_assert_eq(l1.n, l2.n);
        cr_assert_eq(memcmp(l1.v, l2.v, l1.n * sizeof(*l1.v)), 0);
        dd_det_list_destroy(&l1);
        dd_det_list_destroy(&l2);
    }
}

/* every variant this CPU has against the scalar twins */
#define EACH_SET(fn)                                                                               \
    EACH_VARIANT(dd_postproc_kernel_variants, dd_postproc_kernel_n_variants, v)                    \
    {                                                                                              \
        cr_log_info("postproc kernels here: %s", v->name);                                         \
        fn(dd_postproc_kernels_variant((size_t)(v - dd_postproc_kernel_variants)));                \
    }

Test(postproc_kernels, any_ge_matches_scalar)
{
    EACH_SET(any_ge_case);
}

Test(postproc_kernels, iou_matches_scalar_bit_for_bit)
{
    EACH_SET(iou_case);
}

Test(postproc_kernels, nms_same_with_every_kernel_set)
{
    EACH_SET(nms_case);
}

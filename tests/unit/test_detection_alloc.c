/* Detections lost to an allocation failure are counted, not silently dropped:
 * realloc is wrapped (-Wl,--wrap=realloc) to fail on demand. */
#include <criterion/criterion.h>
#include <stddef.h>

#include "postproc/detection.h"
#include "postproc/detection_filter.h"

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

static int fail_reallocs; /* > 0: that many reallocs from now on fail */

void *__wrap_realloc(void *p, size_t n)
{
    if (fail_reallocs > 0) {
        fail_reallocs--;
        return NULL;
    }
    return __real_realloc(p, n);
}

static void fill(struct dd_det_list *l, int n)
{
    dd_det_list_init(l);
    for (int i = 0; i < n; i++) {
        struct dd_det d = {(float)i, 0, (float)i + 10, 10, 0.5f, i % 3, 0, {{0}}, 0};
        cr_assert_eq(dd_det_list_push(l, &d), 0);
    }
}

Test(detections, a_copy_says_how_many_did_not_fit)
{
    struct dd_det_list src, dst;
    fill(&src, 100);
    dd_det_list_init(&dst);
    cr_assert_eq(dd_det_list_copy(&dst, &src), 0);
    cr_assert_eq(dst.n, 100);

    struct dd_det_list fresh;
    dd_det_list_init(&fresh);
    fail_reallocs = 1;
    cr_assert_eq(dd_det_list_copy(&fresh, &src), 100, "nothing fits: all 100 counted");
    cr_assert_eq(fresh.n, 0);
    fail_reallocs = 0;

    /* the list grows by doubling: the first 64 (what fitted) stay, the rest are counted */
    struct dd_det_list part;
    dd_det_list_init(&part);
    cr_assert_eq(dd_det_list_copy(&part, &src), 0);
    dd_det_list_clear(&part);
    cr_assert_eq(dd_det_list_copy(&part, &src), 0, "room already there: no allocation");
    dd_det_list_destroy(&part);
    dd_det_list_init(&part);
    struct dd_det_list small;
    fill(&small, 1);
    cr_assert_eq(dd_det_list_copy(&part, &small), 0);
    fail_reallocs = 1000;
    size_t dropped = dd_det_list_copy(&part, &src);
    fail_reallocs = 0;
    cr_assert_gt(dropped, 0);
    cr_assert_eq(part.n + dropped, 100, "kept + dropped = found (%zu + %zu)", part.n, dropped);
    for (size_t i = 0; i < part.n; i++) cr_assert_eq(part.v[i].x1, (float)i, "the first ones kept");
    dd_det_list_destroy(&small);
    dd_det_list_destroy(&part);
    dd_det_list_destroy(&fresh);
    dd_det_list_destroy(&dst);
    dd_det_list_destroy(&src);
}

/* Frame memory, frame pool, frame queue and stage statistics. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/frame_pool.h"
#include "pipeline/frame_queue.h"
#include "pipeline/stage_stats.h"

Test(buffer, alloc_maps_a_shareable_fd)
{
    struct dd_buffer b;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_buffer_alloc(&b, 1000, &err), 0, "%s", err.msg);
    cr_assert_geq(b.fd, 0);
    cr_assert_eq(b.size % (size_t)sysconf(_SC_PAGESIZE), 0);
    struct stat st;
    cr_assert_eq(fstat(b.fd, &st), 0);
    cr_assert_geq((size_t)st.st_size, b.size > 0 ? (size_t)1000 : 0);
    memset(b.map, 0x5a, b.size);
    /* the same pages through a second mapping of the fd: really shared memory */
    uint8_t byte = 0;
    cr_assert_eq(pread(b.fd, &byte, 1, 999), 1);
    cr_assert_eq(byte, 0x5a);
    dd_buffer_free(&b);
    cr_assert_eq(b.fd, -1);
}

Test(frame, nv12_and_yuyv_layouts)
{
    struct dd_frame f = {0};
    cr_assert_eq(dd_frame_layout(&f, DD_FRAME_NV12, 1920, 1080, 0), 1920u * 1080 * 3 / 2);
    cr_assert_eq(f.pitch[0], 1920);
    cr_assert_eq(f.offset[1], 1920u * 1080);
    cr_assert_eq(dd_frame_layout(&f, DD_FRAME_NV12, 100, 50, 0), 128u * 50 + 128u * 25);
    cr_assert_eq(dd_frame_layout(&f, DD_FRAME_YUYV, 100, 50, 0), 256u * 50);
    cr_assert_eq(dd_frame_layout(&f, DD_FRAME_RGB24, 100, 50, 0), 0);
    cr_assert_eq(dd_frame_layout(&f, DD_FRAME_NV12, 0, 50, 0), 0);
}

Test(frame_pool, hands_out_each_frame_once_and_recycles)
{
    struct dd_frame_pool *p;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_frame_pool_create(DD_FRAME_NV12, 64, 32, 3, &p, &err), 0, "%s", err.msg);
    struct dd_frame *f[3];
    for (int i = 0; i < 3; i++) {
        f[i] = dd_frame_pool_get(p, 0);
        cr_assert_not_null(f[i]);
        cr_assert_geq(f[i]->fd, 0);
        cr_assert_eq(f[i]->plane[1], f[i]->plane[0] + f[i]->offset[1]);
        for (int k = 0; k < i; k++) cr_assert_neq(f[i], f[k]);
    }
    cr_assert_null(dd_frame_pool_get(p, 10), "an empty pool times out");
    dd_frame_ref(f[1]);
    dd_frame_unref(f[1]);
    cr_assert_eq(dd_frame_pool_free_count(p), 0, "still referenced");
    f[1]->det_state = DD_DET_DONE;
    dd_frame_unref(f[1]);
    cr_assert_eq(dd_frame_pool_free_count(p), 1);
    struct dd_frame *again = dd_frame_pool_get(p, 0);
    cr_assert_eq(again, f[1]);
    cr_assert_eq(again->det_state, DD_DET_NONE, "annotations reset");
    /* destroying with frames out: freed when the last returns (ASan checks) */
    dd_frame_pool_destroy(p);
    dd_frame_unref(f[0]);
    dd_frame_unref(f[2]);
    dd_frame_unref(again);
}

Test(frame_pool, rejects_bad_sizes)
{
    struct dd_frame_pool *p;
    struct dd_err err = {{0}};
    cr_assert_neq(dd_frame_pool_create(DD_FRAME_NV12, 64, 32, 0, &p, &err), 0);
    cr_assert_neq(dd_frame_pool_create(DD_FRAME_RGB24, 64, 32, 2, &p, &err), 0);
    cr_assert(strstr(err.msg, "unsupported"), "%s", err.msg);
}

static struct dd_frame_pool *small_pool(unsigned n)
{
    struct dd_frame_pool *p;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_frame_pool_create(DD_FRAME_NV12, 16, 16, n, &p, &err), 0, "%s", err.msg);
    return p;
}

Test(frame_queue, fifo_and_latest_wins)
{
    struct dd_frame_pool *p = small_pool(4);
    struct dd_frame_queue q;
    cr_assert_eq(dd_frame_queue_init(&q, 2, NULL), 0);
    struct dd_frame *a = dd_frame_pool_get(p, 0), *b = dd_frame_pool_get(p, 0),
                    *c = dd_frame_pool_get(p, 0);
    cr_assert_null(dd_frame_queue_push_latest(&q, a));
    cr_assert_null(dd_frame_queue_push_latest(&q, b));
    cr_assert_eq(dd_frame_queue_push_latest(&q, c), a, "the oldest is evicted");
    dd_frame_unref(a);
    cr_assert_eq(dd_frame_queue_pop(&q, 0), b);
    cr_assert_eq(dd_frame_queue_pop(&q, 0), c);
    cr_assert_null(dd_frame_queue_pop(&q, 5), "empty: times out");
    dd_frame_queue_push(&q, b);
    dd_frame_queue_close(&q);
    cr_assert_eq(dd_frame_queue_push(&q, c), -1, "closed queues refuse");
    cr_assert_eq(dd_frame_queue_pop(&q, -1), b, "a closed queue drains");
    cr_assert_null(dd_frame_queue_pop(&q, -1));
    dd_frame_unref(b);
    dd_frame_unref(c);
    dd_frame_queue_destroy(&q);
    cr_assert_eq(dd_frame_pool_free_count(p), 4);
    dd_frame_pool_destroy(p);
}

struct producer {
    struct dd_frame_queue *q;
    struct dd_frame_pool *p;
    int n;
};

static void *produce(void *arg)
{
    struct producer *pr = arg;
    for (int i = 0; i < pr->n; i++) {
        struct dd_frame *f = dd_frame_pool_get(pr->p, -1);
        f->seq = (uint64_t)i;
        if (dd_frame_queue_push(pr->q, f) != 0) dd_frame_unref(f);
    }
    dd_frame_queue_close(pr->q);
    return NULL;
}

Test(frame_queue, blocking_push_keeps_order_across_threads)
{
    struct dd_frame_pool *p = small_pool(3);
    struct dd_frame_queue q;
    cr_assert_eq(dd_frame_queue_init(&q, 2, NULL), 0);
    struct producer pr = {&q, p, 500};
    pthread_t t;
    pthread_create(&t, NULL, produce, &pr);
    uint64_t expect = 0;
    struct dd_frame *f;
    while ((f = dd_frame_queue_pop(&q, -1))) {
        cr_assert_eq(f->seq, expect++);
        dd_frame_unref(f);
    }
    pthread_join(t, NULL);
    cr_assert_eq(expect, 500);
    dd_frame_queue_destroy(&q);
    dd_frame_pool_destroy(p);
}

Test(stage_stats, percentiles_within_a_bucket)
{
    struct dd_stage_stats s;
    dd_stage_stats_init(&s);
    for (int i = 1; i <= 1000; i++)
        dd_stage_stats_record(&s, (int64_t)i * 100000, 50000); /* 0.1..100 ms */
    struct dd_stage_summary sum;
    dd_stage_stats_summary(&s, &sum);
    cr_assert_eq(sum.count, 1000);
    cr_assert_float_eq(sum.p50_ms, 50.0, 50.0 * 0.03);
    cr_assert_float_eq(sum.p99_ms, 99.0, 99.0 * 0.03);
    cr_assert_float_eq(sum.max_ms, 100.0, 1e-9);
    cr_assert_float_eq(sum.mean_ms, 50.05, 1e-6);
    cr_assert_float_eq(sum.cpu_ms_per_item, 0.05, 1e-9);
    dd_stage_stats_reset(&s);
    dd_stage_stats_summary(&s, &sum);
    cr_assert_eq(sum.count, 0);
    cr_assert_eq(sum.p99_ms, 0);
    dd_stage_stats_destroy(&s);
}

Test(stage_stats, buckets_are_monotonic)
{
    int prev = 0;
    for (int64_t ns = 1; ns < 200000000000LL; ns = ns * 11 / 10 + 1) {
        int b = dd_hist_bucket(ns);
        cr_assert_geq(b, prev);
        cr_assert_lt(b, DD_HIST_BUCKETS);
        if (ns > 2000 && ns < 50000000000LL) {
            double v = dd_hist_bucket_value_ns(b);
            cr_assert(v > ns * 0.96 && v < ns * 1.04, "%lld -> %f", (long long)ns, v);
        }
        prev = b;
    }
}

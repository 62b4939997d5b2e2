/* The pipeline's threads with everything a daemon does to them meanwhile: the
 * stats read every few milliseconds, the settings changed, a new detector
 * swapped in. A plain program (Criterion's fixed-address arena does not run
 * under ThreadSanitizer), run by ctest in every configuration and, in the
 * suite's TSan configuration (DD_SANITIZE_THREAD), under ThreadSanitizer,
 * which then fails it on any data race. Prints "N passed, N failed". */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "media/gst_util.h"
#include "pipeline/pipeline.h"
#include "tests_common.h"

static int passed, failed;

static void check(int ok, const char *what)
{
    printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    ok ? passed++ : failed++;
}

struct reader {
    struct dd_pipeline *p;
    atomic_int stop;
    int reads, monotonic;
};

static void *read_stats(void *arg)
{
    struct reader *r = arg;
    uint64_t last = 0;
    r->monotonic = 1;
    while (!atomic_load(&r->stop)) {
        struct dd_pipeline_stats s;
        dd_pipeline_get_stats(r->p, &s);
        if (s.frames_output < last) r->monotonic = 0;
        last = s.frames_output;
        struct dd_detect_settings set;
        dd_pipeline_get_settings(r->p, &set);
        set.opts.score_threshold = (r->reads & 1) ? 0.4f : 0.5f;
        dd_pipeline_set_settings(r->p, &set);
        r->reads++;
        usleep(2000);
    }
    return NULL;
}

int main(void)
{
    struct dd_pipeline_config c = {0};
    c.source.spec = tc_asset("media/vtest-1080p.mp4");
    c.source.format = DD_FRAME_NV12;
    c.source.width = 320, c.source.height = 180;
    c.model = tc_asset("packages/nanodet-w8a8.ddpkg");
    c.backend.name = "cpu";
    c.policy = DD_DETECT_EVERY;
    c.sink.spec = "null";
    c.max_frames = 40;
    dd_detect_settings_default(&c.settings);
    struct dd_err err = {{0}};
    struct dd_pipeline *p;
    if (dd_pipeline_create(&c, &p, &err) != 0 || dd_pipeline_start(p, &err) != 0) {
        printf("FAIL: pipeline: %s\n0 passed, 1 failed\n", err.msg);
        return 1;
    }
    struct reader r = {p, 0, 0, 0};
    pthread_t tid;
    pthread_create(&tid, NULL, read_stats, &r);
    struct dd_qdetector *q = NULL;
    for (int i = 0; i < 200; i++) { /* a new detector once frames flow */
        struct dd_pipeline_stats s;
        dd_pipeline_get_stats(p, &s);
        if (s.frames_processed >= 5) break;
        usleep(20000);
    }
    check(dd_qdetector_open(c.model, DD_BACKEND_ONLY("cpu"), &q, &err) == 0, "second detector");
    if (q) dd_pipeline_swap_detector(p, q);
    check(dd_pipeline_wait(p, 120000) == 1, "the pipeline ends after max_frames");
    atomic_store(&r.stop, 1);
    pthread_join(tid, NULL);
    dd_pipeline_stop(p);
    struct dd_pipeline_stats s;
    dd_pipeline_get_stats(p, &s);
    check(s.frames_output == 40, "40 frames out");
    check(s.detector_swaps == 1, "the detector swapped while running");
    check(r.reads > 10 && r.monotonic, "stats read while running, counters never go back");
    printf("%d stats reads, %llu frames, last error '%s'\n", r.reads,
           (unsigned long long)s.frames_output, s.last_error);
    dd_pipeline_destroy(p);
    dd_gst_deinit();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

/* The real-time pipeline end to end on real video: GStreamer sources (files,
 * descriptions, looping), zero-copy accounting, sinks, the detector policies,
 * the overlay in the encoded output, the clear errors for absent devices, and
 * the `detect pipeline` JSON summary. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "media/gst_util.h"
#include "postproc/labels.h"
#include "pipeline/pipeline.h"
#include "media/video_file.h"
#include "postproc/overlay.h"
#include "tests_common.h"

#define DEMO "media/vtest-1080p.mp4"
#define PACKAGE "packages/nanodet-w8a8.ddpkg"

static char tmpdir[64];

static void make_tmp(void)
{
    strcpy(tmpdir, "/tmp/dd-pipeline-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    cr_assert_eq(system(cmd), 0);
    dd_gst_deinit();
}

TestSuite(pipeline, .init = make_tmp, .fini = remove_tmp, .timeout = 600);

static struct dd_source *open_source(const char *spec, uint32_t w, uint32_t h, int loop)
{
    struct dd_source_config c = {
        .spec = spec, .width = w, .height = h, .format = DD_FRAME_NV12, .loop = loop};
    struct dd_source *s;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_source_open(&c, &s, &err), 0, "%s: %s", spec, err.msg);
    return s;
}

static int count_frames(struct dd_source *s, int limit)
{
    int n = 0;
    while (n < limit) {
        struct dd_frame *f;
        struct dd_err err = {{0}};
        enum dd_source_result r = dd_source_next(s, &f, 5000, &err);
        if (r == DD_SOURCE_END) return n;
        if (r == DD_SOURCE_TIMEOUT) continue; /* e.g. seeking back to loop */
        cr_assert_eq(r, DD_SOURCE_FRAME, "result %d: %s", r, err.msg);
        n++;
        dd_frame_unref(f);
    }
    return n;
}

Test(pipeline, file_source_delivers_writable_uncopied_1080p_nv12)
{
    struct dd_source *s = open_source(tc_asset(DEMO), 0, 0, 0);
    for (int i = 0; i < 10; i++) {
        struct dd_frame *f;
        struct dd_err err = {{0}};
        cr_assert_eq(dd_source_next(s, &f, 5000, &err), DD_SOURCE_FRAME, "%s", err.msg);
        cr_assert_eq(f->format, DD_FRAME_NV12);
        cr_assert_eq(f->width, 1920);
        cr_assert_eq(f->height, 1080);
        cr_assert_geq(f->fd, 0, "shareable memory");
        cr_assert(f->kind == DD_BUF_MEMFD || dd_buf_kind_is_dmabuf(f->kind));
        cr_assert_eq(f->seq, (uint64_t)i);
        f->plane[0][0] = 7; /* ours to draw on */
        f->plane[1][1] = 9;
        dd_frame_unref(f);
    }
    cr_assert_eq(s->stats.copies, 0, "no frame was copied");
    dd_source_close(s);
}

Test(pipeline, shared_buffers_are_copied_and_counted)
{
    /* a tee hands the same buffers to a clock-synced branch that holds each one until its
     * time (frame 0 may be released at once): those frames arrive shared and must be copied */
    struct dd_source *s =
        open_source("gst:videotestsrc num-buffers=6 ! video/x-raw,format=NV12,width=320,height=240,"
                    "framerate=10/1 ! tee name=t ! queue ! appsink name=dd_sink t. ! queue ! "
                    "fakesink sync=true",
                    0, 0, 0);
    cr_assert_eq(count_frames(s, 100), 6);
    cr_assert_geq(s->stats.copies, 4, "copies: %llu", (unsigned long long)s->stats.copies);
    dd_source_close(s);
}

Test(pipeline, descriptions_end_and_files_loop)
{
    struct dd_source *s = open_source("gst:videotestsrc num-buffers=5", 320, 240, 0);
    cr_assert_eq(count_frames(s, 100), 5, "a finite description ends");
    dd_source_close(s);
    char clip[128], cmd[512];
    snprintf(clip, sizeof(clip), "%s/clip.avi", tmpdir);
    snprintf(cmd, sizeof(cmd),
             "gst-launch-1.0 -q videotestsrc num-buffers=5 ! video/x-raw,width=320,height=240 ! "
             "jpegenc ! avimux ! filesink location=%s",
             clip);
    cr_assert_eq(system(cmd), 0);
    s = open_source(clip, 0, 0, 1);
    cr_assert_eq(count_frames(s, 13), 13, "a looping 5-frame file keeps going");
    dd_source_close(s);
    s = open_source(clip, 160, 120, 0);
    struct dd_frame *f;
    cr_assert_eq(dd_source_next(s, &f, 5000, NULL), DD_SOURCE_FRAME);
    cr_assert_eq(f->width, 160, "scaled to the requested size");
    dd_frame_unref(f);
    dd_source_close(s);
}

static void expect_open_error(const struct dd_pipeline_config *cfg, const char *needle)
{
    struct dd_pipeline *p;
    struct dd_err err = {{0}};
    cr_assert_neq(dd_pipeline_create(cfg, &p, &err), 0);
    cr_assert(strstr(err.msg, needle), "'%s' lacks '%s'", err.msg, needle);
}

static struct dd_pipeline_config base_config(void)
{
    struct dd_pipeline_config c = {0};
    c.source.spec = tc_asset(DEMO);
    c.source.format = DD_FRAME_NV12;
    c.model = tc_asset(PACKAGE);
    c.backend.name = "cpu";
    c.policy = DD_DETECT_AUTO;
    c.sink.spec = "null";
    dd_detect_settings_default(&c.settings);
    return c;
}

Test(pipeline, clear_errors_for_bad_sources_sinks_and_models)
{
    struct dd_pipeline_config c = base_config();
    c.source.spec = "/nonexistent/video.mp4";
    expect_open_error(&c, "/nonexistent/video.mp4");
    c.source.spec = "/dev/video99";
    expect_open_error(&c, "/dev/video99");
    char junk[128];
    snprintf(junk, sizeof(junk), "%s/junk.mp4", tmpdir);
    FILE *f = fopen(junk, "w");
    fputs("this is not a video\n", f);
    fclose(f);
    c.source.spec = junk;
    expect_open_error(&c, "junk.mp4");
    c.source.spec = "gst:nosuchelement ! fakesink";
    expect_open_error(&c, "nosuchelement");
    c = base_config();
    c.sink.spec = "drm";
    expect_open_error(&c, "DRM");
    c.sink.spec = "hdmi";
    expect_open_error(&c, "unknown sink 'hdmi'");
    c.sink.spec = "gst:nosuchencoder ! fakesink";
    expect_open_error(&c, "nosuchencoder");
    c = base_config();
    c.model = junk;
    expect_open_error(&c, "not a model package");
}

struct probe {
    uint64_t seq;
    struct dd_det_list dets;
    int seen;
};

static void remember(void *user, struct dd_frame *f, const struct dd_det_list *dets,
                     const char *const *labels, int n_labels)
{
    (void)labels;
    (void)n_labels;
    struct probe *pr = user;
    if (f->seq != pr->seq) return;
    pr->seen = 1;
    for (size_t i = 0; i < dets->n; i++) dd_det_list_push(&pr->dets, &dets->v[i]);
}

static struct dd_pipeline_stats run(struct dd_pipeline_config *c, struct probe *pr)
{
    struct dd_pipeline *p;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_pipeline_create(c, &p, &err), 0, "%s", err.msg);
    if (pr) dd_pipeline_set_frame_callback(p, remember, pr);
    cr_assert_eq(dd_pipeline_start(p, &err), 0, "%s", err.msg);
    cr_assert_eq(dd_pipeline_wait(p, 300000), 1, "the pipeline finishes");
    dd_pipeline_stop(p);
    struct dd_pipeline_stats s;
    dd_pipeline_get_stats(p, &s);
    dd_pipeline_destroy(p);
    return s;
}

Test(pipeline, every_frame_detected_drawn_and_encoded_without_copies)
{
    struct dd_pipeline_config c = base_config();
    char out[128], sink[256];
    snprintf(out, sizeof(out), "%s/out.avi", tmpdir);
    snprintf(sink, sizeof(sink),
             "gst:videoconvert ! jpegenc quality=95 ! avimux ! filesink location=%s", out);
    c.sink.spec = sink;
    c.max_frames = 40;
    c.source.loop = 0;
    struct probe pr = {.seq = 30};
    dd_det_list_init(&pr.dets);
    struct dd_pipeline_stats s = run(&c, &pr);
    cr_assert_eq(s.frames_captured, 40);
    cr_assert_eq(s.frames_processed, 40, "every frame detected");
    cr_assert_eq(s.frames_output, 40);
    cr_assert_eq(s.frames_skipped + s.frames_dropped + s.frame_copies, 0);
    cr_assert_eq(s.sink_zero_copy, 40);
    cr_assert_gt(s.detections_per_class[0], 40, "people in vtest");
    cr_assert_eq(s.failed, 0, "%s", s.last_error);
    cr_assert_gt(s.stage[DD_STAGE_INFERENCE].count, 0);
    cr_assert_gt(s.latency.p99_ms, 0);
    cr_assert(pr.seen && pr.dets.n > 0);

    /* the encoded frame 30 carries the overlay: the middle of a box's top edge has the class colour
     */
    struct dd_video_file *v;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_video_file_open(out, &v, &err), 0, "%s", err.msg);
    struct dd_image img = {0};
    for (int i = 0; i <= 30; i++) cr_assert_eq(dd_video_file_read(v, &img, &err), 1, "%s", err.msg);
    cr_assert_eq(img.width, 1920);
    int matched = 0, checked = 0;
    for (size_t i = 0; i < pr.dets.n; i++) {
        const struct dd_det *d = &pr.dets.v[i];
        int x = (int)lrintf((d->x1 + d->x2) / 2), y = (int)lrintf(d->y1) + 1;
        if (d->y1 < 20 || x < 0 || x >= img.width || y >= img.height) continue; /* label tab */
        /* the box edge is 3 px thick; the label tab sits above it */
        const uint8_t *px = img.rgb + (size_t)y * img.stride + (size_t)x * 3;
        struct dd_yuv_color cc = dd_overlay_class_color(d->cls);
        int luma = (66 * px[0] + 129 * px[1] + 25 * px[2] + 128) / 256 + 16;
        checked++;
        matched += abs(luma - cc.y) <= 12;
    }
    cr_assert_gt(checked, 0);
    cr_assert_geq(matched * 10, checked * 8, "%d of %d box edges in the class colour", matched,
                  checked);
    dd_image_destroy(&img);
    dd_video_file_close(v);
    dd_det_list_destroy(&pr.dets);
}

Test(pipeline, latest_frame_wins_when_the_detector_is_slow)
{
    struct dd_pipeline_config c = base_config();
    c.backend.name = "golden"; /* ~200x slower than the frames arrive */
    c.policy = DD_DETECT_LATEST;
    c.max_frames = 30;
    struct dd_pipeline_stats s = run(&c, NULL);
    cr_assert_eq(s.frames_captured, 30);
    cr_assert_eq(s.frames_output, 30, "the display gets every frame");
    cr_assert_geq(s.frames_processed, 1);
    cr_assert_gt(s.frames_skipped, 20, "skipped %llu", (unsigned long long)s.frames_skipped);
    cr_assert_eq(s.frames_processed + s.frames_skipped, 30);
}

Test(pipeline, filters_classes_thresholds_and_roi)
{
    struct dd_detect_settings st;
    dd_detect_settings_default(&st);
    struct dd_det_list l;
    dd_det_list_init(&l);
    struct dd_det a = {.x1 = 10, .y1 = 10, .x2 = 20, .y2 = 20, .score = 0.5f, .cls = 0};
    struct dd_det b = {.x1 = 80, .y1 = 80, .x2 = 90, .y2 = 90, .score = 0.9f, .cls = 2};
    struct dd_det d = {.x1 = 10, .y1 = 80, .x2 = 20, .y2 = 90, .score = 0.4f, .cls = 0};
    dd_det_list_push(&l, &a);
    dd_det_list_push(&l, &b);
    dd_det_list_push(&l, &d);
    st.class_threshold[0] = 0.45f;
    dd_detect_settings_filter(&st, 100, 100, &l);
    cr_assert_eq(l.n, 2);
    st.class_enabled[2] = 0;
    dd_detect_settings_filter(&st, 100, 100, &l);
    cr_assert_eq(l.n, 1);
    cr_assert_eq(l.v[0].cls, 0);
    st.roi_enabled = 1;
    st.roi[0] = 0.5f;
    dd_detect_settings_filter(&st, 100, 100, &l);
    cr_assert_eq(l.n, 0, "the box's centre is left of the ROI");
    dd_det_list_destroy(&l);
}

Test(pipeline, cli_prints_a_json_summary_last)
{
    char cmd[1024];
    char *out = NULL, *err = NULL;
    snprintf(cmd, sizeof(cmd), "%s pipeline --source %s --model %s --frames 12 --sink null",
             DD_DETECT_BIN, tc_asset(DEMO), tc_asset(PACKAGE));
    cr_assert_eq(tc_run(cmd, &out, &err), 0, "%s", err);
    size_t len = strlen(out);
    cr_assert(len > 1 && out[len - 1] == '\n');
    out[len - 1] = 0;
    char *nl = strrchr(out, '\n');
    cJSON *j = cJSON_Parse(nl ? nl + 1 : out); /* the last line */
    cr_assert_not_null(j, "%s", out);
    const char *keys[] = {"frames_captured", "frames_processed", "frames_output",
                          "frames_dropped",  "frame_copies",     "fps",
                          "latency_p50_ms",  "latency_p99_ms",   "detections_dropped"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(j, keys[i])), "key %s", keys[i]);
    cr_assert_eq(cJSON_GetObjectItem(j, "frames_output")->valuedouble, 12);
    cr_assert_eq(cJSON_GetObjectItem(j, "detections_dropped")->valuedouble, 0);
    cr_assert(cJSON_IsObject(cJSON_GetObjectItem(j, "stage_cpu_ms")));
    cr_assert(
        cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "stage_cpu_ms"), "inference")));
    cJSON_Delete(j);
    free(out);
    free(err);
    snprintf(cmd, sizeof(cmd), "%s pipeline --source /dev/video99 --model %s", DD_DETECT_BIN,
             tc_asset(PACKAGE));
    cr_assert_eq(tc_run(cmd, &out, &err), 1);
    cr_assert(strstr(err, "/dev/video99"), "%s", err);
    free(out);
    free(err);
    snprintf(cmd, sizeof(cmd), "%s pipeline --source x --model %s --backend xrt", DD_DETECT_BIN,
             tc_asset(PACKAGE));
    cr_assert_eq(tc_run(cmd, &out, &err), 1);
    cr_assert(strstr(err, "xrt"), "%s", err);
    free(out);
    free(err);
}

/* The stats are read while every stage runs (as the daemon does every 100 ms): the
 * ThreadSanitizer configuration of the suite checks the reads are synchronised. */
/* --track: the people of the demo get object IDs, counted in the summary; without it none. */
Test(pipeline, cli_tracks_objects_and_counts_them)
{
    char cmd[1024];
    for (int track = 0; track < 2; track++) {
        char *out = NULL, *err = NULL;
        snprintf(cmd, sizeof(cmd),
                 "%s pipeline --source %s --model %s --frames 40 --detect every%s", DD_DETECT_BIN,
                 tc_asset(DEMO), tc_asset(PACKAGE), track ? " --track" : "");
        cr_assert_eq(tc_run(cmd, &out, &err), 0, "%s", err);
        size_t len = strlen(out);
        if (len && out[len - 1] == '\n') out[len - 1] = 0;
        char *nl = strrchr(out, '\n');
        const char *last = nl ? nl + 1 : out;
        cJSON *j = cJSON_Parse(last);
        cr_assert_not_null(j, "%s", out);
        double objects = cJSON_GetObjectItem(j, "objects_tracked")->valuedouble;
        const cJSON *person =
            cJSON_GetObjectItem(cJSON_GetObjectItem(j, "objects_per_class"), "person");
        if (track)
            cr_assert(objects >= 1 && cJSON_IsNumber(person) && person->valuedouble >= 1,
                      "no person tracked: %s", last);
        else
            cr_assert_eq(objects, 0, "IDs without --track: %s", last);
        cJSON_Delete(j);
        free(out);
        free(err);
    }
}

Test(pipeline, stats_read_while_every_stage_runs)
{
    struct dd_pipeline_config c = base_config();
    c.source.width = 320, c.source.height = 180;
    c.max_frames = 40;
    struct dd_err err = {{0}};
    struct dd_pipeline *p;
    cr_assert_eq(dd_pipeline_create(&c, &p, &err), 0, "%s", err.msg);
    cr_assert_eq(dd_pipeline_start(p, &err), 0, "%s", err.msg);
    struct dd_pipeline_stats s;
    uint64_t last = 0;
    int reads = 0;
    while (dd_pipeline_wait(p, 5) == 0) {
        dd_pipeline_get_stats(p, &s);
        cr_assert_geq(s.frames_output, last, "counters never go back");
        last = s.frames_output;
        reads++;
    }
    dd_pipeline_stop(p);
    dd_pipeline_get_stats(p, &s);
    cr_assert_eq(s.frames_output, 40, "%s", s.last_error);
    cr_assert_eq(s.frame_copies, 0);
    cr_assert_not_null(s.buffer_kind);
    cr_log_info("%d stats reads while running", reads);
    dd_pipeline_destroy(p);
}

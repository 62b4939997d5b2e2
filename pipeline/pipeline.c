#include "pipeline/pipeline.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "postproc/labels.h"
#include "pipeline/frame_queue.h"
#include "postproc/overlay.h"

#define OUTPUT_QUEUE_DEPTH 4
#define DETECT_QUEUE_DEPTH 2

struct dd_pipeline {
    struct dd_pipeline_config cfg;
    char *model_path, *source_spec, *sink_spec, *drm_device;
    struct dd_qdetector *det;         /* detect thread's; swapped between frames */
    struct dd_qdetector *pending_det; /* guarded by mu */
    uint64_t accel_base[3];           /* accel counters of detectors swapped out (mu) */
    const char *const *labels;        /* of det; guarded by mu */
    int n_labels;
    const char *model_name;
    struct dd_source *src;
    struct dd_sink *sink;
    enum dd_detect_policy policy;

    struct dd_frame_queue det_q, out_q;
    pthread_t capture_tid, detect_tid, output_tid;
    int started;
    _Atomic int stop;

    pthread_mutex_t mu; /* guards everything below and frames' det_state waits */
    pthread_cond_t det_cv, finished_cv;
    struct dd_detect_settings settings;
    struct dd_tracker_config track_cfg; /* wanted tracking, applied by the detect thread */
    int track_on, track_dirty;
    struct dd_pipeline_stats st; /* counters; summaries filled on read */
    /* the source's and sink's counters, copied by the threads that write them */
    struct dd_source_stats src_stats;
    struct dd_sink_stats sink_stats;
    int threads_done;
    struct dd_det_list last_dets;        /* output thread: the latest detections shown */
    struct dd_tracker *tracker;          /* detect thread */
    int last_id;                         /* detect thread: the highest object ID seen */
    struct dd_scene *scene;              /* borrowed (dd_pipeline_set_scene); guarded by mu */
    struct dd_scene_counts *draw_counts; /* output thread: the counts drawn (too big a stack) */
    dd_pipeline_frame_cb cb;
    void *cb_user;

    struct dd_stage_stats stage[DD_STAGE_COUNT], latency;
    int64_t t_start_ns, t_end_ns, cpu_start_ns, cpu_end_ns;
    int64_t t_first_out_ns;
};

const char *dd_pipeline_stage_name(enum dd_pipeline_stage s)
{
    static const char *names[] = {"capture",     "preprocess", "inference",
                                  "postprocess", "overlay",    "output"};
    return s < DD_STAGE_COUNT ? names[s] : "?";
}

static void set_error(struct dd_pipeline *p, const char *what, const struct dd_err *e)
{
    pthread_mutex_lock(&p->mu);
    snprintf(p->st.last_error, sizeof(p->st.last_error), "%s: %s", what, e->msg);
    pthread_mutex_unlock(&p->mu);
}

static void set_state(struct dd_pipeline *p, struct dd_frame *f, enum dd_frame_det_state s)
{
    pthread_mutex_lock(&p->mu);
    atomic_store(&f->det_state, s);
    pthread_cond_broadcast(&p->det_cv);
    pthread_mutex_unlock(&p->mu);
}

/* ---- capture ---- */

static void *capture_main(void *arg)
{
    struct dd_pipeline *p = arg;
    int live = p->src->live;
    int64_t t_prev = dd_now_ns(), cpu_prev = dd_thread_cpu_ns();
    while (!atomic_load(&p->stop)) {
        struct dd_frame *f = NULL;
        struct dd_err e = {{0}};
        enum dd_source_result r = dd_source_next(p->src, &f, 100, &e);
        pthread_mutex_lock(&p->mu);
        p->src_stats = p->src->stats; /* this thread alone writes them */
        pthread_mutex_unlock(&p->mu);
        if (r == DD_SOURCE_TIMEOUT) continue;
        if (r == DD_SOURCE_LOST) {
            DD_LOG_W("source lost: %s (reopening)", e.msg);
            set_error(p, "source", &e);
            continue;
        }
        if (r == DD_SOURCE_END) break;
        if (r == DD_SOURCE_ERROR) {
            DD_LOG_E("source: %s", e.msg);
            set_error(p, "source", &e);
            pthread_mutex_lock(&p->mu);
            p->st.failed = 1;
            pthread_mutex_unlock(&p->mu);
            break;
        }
        int64_t now = dd_now_ns(), cpu = dd_thread_cpu_ns();
        dd_stage_stats_record(&p->stage[DD_STAGE_CAPTURE], now - t_prev, cpu - cpu_prev);
        t_prev = now;
        cpu_prev = cpu;
        pthread_mutex_lock(&p->mu);
        p->st.frames_captured++;
        if (!p->st.width) {
            p->st.width = f->width;
            p->st.height = f->height;
        }
        pthread_mutex_unlock(&p->mu);
        if (live && dd_frame_queue_length(&p->out_q) >= OUTPUT_QUEUE_DEPTH) {
            pthread_mutex_lock(&p->mu);
            p->st.frames_dropped++; /* the output side is behind: keep the camera going */
            pthread_mutex_unlock(&p->mu);
            dd_frame_unref(f);
            continue;
        }
        atomic_store(&f->det_state, DD_DET_QUEUED);
        dd_frame_ref(f);
        if (p->policy == DD_DETECT_EVERY) {
            if (dd_frame_queue_push(&p->det_q, f) != 0) {
                atomic_store(&f->det_state, DD_DET_SKIPPED);
                dd_frame_unref(f);
            }
        } else {
            struct dd_frame *old = dd_frame_queue_push_latest(&p->det_q, f);
            if (old) {
                set_state(p, old, DD_DET_SKIPPED);
                if (old != f) {
                    pthread_mutex_lock(&p->mu);
                    p->st.frames_skipped++;
                    pthread_mutex_unlock(&p->mu);
                }
                dd_frame_unref(old);
            }
        }
        if (dd_frame_queue_push(&p->out_q, f) != 0) dd_frame_unref(f);
        if (p->cfg.max_frames && p->st.frames_captured >= p->cfg.max_frames) break;
        t_prev = dd_now_ns();
        cpu_prev = dd_thread_cpu_ns();
    }
    dd_frame_queue_close(&p->det_q);
    dd_frame_queue_close(&p->out_q);
    return NULL;
}

/* ---- detect ---- */

static void set_detector_names(struct dd_pipeline *p)
{
    p->labels = p->det->family.labels;
    p->n_labels = p->det->family.num_classes;
    p->model_name = p->det->family.name;
    p->st.backend = dd_qdetector_backend_name(p->det);
    snprintf(p->st.backend_fallback, sizeof(p->st.backend_fallback), "%s",
             p->det->backend_fallback);
    snprintf(p->st.model, sizeof(p->st.model), "%s", p->det->family.name);
}

static void apply_pending_detector(struct dd_pipeline *p)
{
    pthread_mutex_lock(&p->mu);
    struct dd_qdetector *q = p->pending_det, *old = NULL;
    if (q) {
        p->pending_det = NULL;
        old = p->det;
        p->det = q;
        set_detector_names(p);
        p->st.detector_swaps++;
        p->accel_base[0] = p->st.accel_imported;
        p->accel_base[1] = p->st.accel_userptr;
        p->accel_base[2] = p->st.accel_copied;
    }
    pthread_mutex_unlock(&p->mu);
    dd_qdetector_close(old);
}

void dd_pipeline_swap_detector(struct dd_pipeline *p, struct dd_qdetector *q)
{
    pthread_mutex_lock(&p->mu);
    struct dd_qdetector *old = p->pending_det;
    if (p->started) {
        p->pending_det = q;
    } else { /* no detect thread: swap now */
        old = p->det;
        p->det = q;
        set_detector_names(p);
        p->st.detector_swaps++;
    }
    pthread_mutex_unlock(&p->mu);
    dd_qdetector_close(old);
}

/* Detect thread: brings the tracker in line with the wanted tracking, tracks dets, and runs
 * the scene (zones, lines) over them, its events going on frame f. */
static int track(struct dd_pipeline *p, struct dd_frame *f, struct dd_det_list *dets,
                 struct dd_err *err)
{
    pthread_mutex_lock(&p->mu);
    int dirty = p->track_dirty, on = p->track_on;
    struct dd_tracker_config c = p->track_cfg;
    struct dd_scene *scene = p->scene;
    p->track_dirty = 0;
    pthread_mutex_unlock(&p->mu);
    if (dirty && !on) {
        dd_tracker_destroy(p->tracker);
        p->tracker = NULL;
        if (scene) dd_scene_reset_objects(scene);
    } else if (dirty && p->tracker) {
        if (dd_tracker_set_config(p->tracker, &c, err) != 0) return -1;
    } else if (dirty) {
        if (dd_tracker_create(&c, &p->tracker, err) != 0) return -1;
        p->last_id = 0; /* a new tracker counts from 1: its IDs are other objects */
        if (scene) dd_scene_reset_objects(scene);
    }
    if (!p->tracker) return 0;
    if (dd_tracker_update(p->tracker, dets, err) != 0) return -1;
    if (scene) {
        const int *ended;
        int n_ended = dd_tracker_ended(p->tracker, &ended);
        dd_scene_update(scene, dets, ended, n_ended, f->width, f->height, f->seq,
                        dd_realtime_ns() / 1000000, &f->events);
    }
    for (size_t i = 0; i < dets->n; i++) { /* IDs only grow: a higher one is a new object */
        const struct dd_det *d = &dets->v[i];
        if (d->id <= p->last_id) continue;
        p->last_id = d->id;
        pthread_mutex_lock(&p->mu);
        p->st.objects_tracked++;
        if (d->cls >= 0 && d->cls < DD_MAX_CLASSES) p->st.objects_per_class[d->cls]++;
        pthread_mutex_unlock(&p->mu);
    }
    return 0;
}

static void *detect_main(void *arg)
{
    struct dd_pipeline *p = arg;
    struct dd_det_list dets;
    dd_det_list_init(&dets);
    struct dd_frame *f;
    while ((f = dd_frame_queue_pop(&p->det_q, -1))) {
        apply_pending_detector(p);
        set_state(p, f, DD_DET_RUNNING);
        struct dd_detect_settings s;
        dd_pipeline_get_settings(p, &s);
        struct dd_isa_frame in = dd_frame_isa(f);
        struct dd_err e = {{0}};
        int64_t t0 = dd_now_ns(), c0 = dd_thread_cpu_ns(), h0 = dd_qdetector_helper_cpu_ns(p->det);
        dd_qdetector_set_frame_buffer(p->det, f->fd, f->offset[0]);
        dd_buffer_cpu_begin(f->fd, f->kind, 0);
        int rc = dd_qdetector_preprocess(p->det, &in, &e);
        dd_buffer_cpu_end(f->fd, f->kind, 0);
        int64_t t1 = dd_now_ns(), c1 = dd_thread_cpu_ns(), h1 = dd_qdetector_helper_cpu_ns(p->det);
        if (rc == 0) rc = dd_qdetector_infer_rest(p->det, &in, &e);
        int64_t t2 = dd_now_ns(), c2 = dd_thread_cpu_ns(), h2 = dd_qdetector_helper_cpu_ns(p->det);
        dd_det_list_clear(&dets);
        if (rc == 0) rc = dd_qdetector_postprocess(p->det, f->width, f->height, &s.opts, &dets, &e);
        if (rc == 0) dd_detect_settings_filter(&s, f->width, f->height, &dets);
        if (rc == 0) rc = track(p, f, &dets, &e);
        int64_t t3 = dd_now_ns(), c3 = dd_thread_cpu_ns();
        if (rc != 0) {
            set_error(p, "detector", &e);
            pthread_mutex_lock(&p->mu);
            p->st.detector_errors++;
            pthread_mutex_unlock(&p->mu);
            set_state(p, f, DD_DET_FAILED);
            dd_frame_unref(f);
            continue;
        }
        dd_stage_stats_record(&p->stage[DD_STAGE_PREPROCESS], t1 - t0, (c1 - c0) + (h1 - h0));
        dd_stage_stats_record(&p->stage[DD_STAGE_INFERENCE], t2 - t1, (c2 - c1) + (h2 - h1));
        dd_stage_stats_record(&p->stage[DD_STAGE_POSTPROCESS], t3 - t2, c3 - c2);
        size_t dropped = dd_det_list_copy(&f->dets, &dets);
        f->t_detected_ns = t3;
        struct dd_backend_stats bs;
        dd_qdetector_get_backend_stats(p->det, &bs);
        pthread_mutex_lock(&p->mu);
        /* totals of the running detector (a swap starts them again) */
        p->st.accel_imported = p->accel_base[0] + bs.frames_imported;
        p->st.accel_userptr = p->accel_base[1] + bs.frames_userptr;
        p->st.accel_copied = p->accel_base[2] + bs.frames_copied;
        p->st.frames_processed++;
        p->st.detections += dets.n - dropped;
        if (dropped) {
            p->st.detections_dropped += dropped;
            snprintf(p->st.last_error, sizeof(p->st.last_error),
                     "detector: out of memory: %zu detections of a frame dropped", dropped);
        }
        for (size_t i = 0; i < f->dets.n; i++)
            if (f->dets.v[i].cls >= 0 && f->dets.v[i].cls < DD_MAX_CLASSES)
                p->st.detections_per_class[f->dets.v[i].cls]++;
        atomic_store(&f->det_state, DD_DET_DONE);
        pthread_cond_broadcast(&p->det_cv);
        pthread_mutex_unlock(&p->mu);
        dd_frame_unref(f);
    }
    dd_det_list_destroy(&dets);
    return NULL;
}

/* ---- output ---- */

static void draw_fps(struct dd_pipeline *p, const struct dd_yuv_image *img)
{
    char line[96];
    pthread_mutex_lock(&p->mu);
    double secs = (double)(dd_now_ns() - p->t_first_out_ns) / 1e9;
    double fps = secs > 0 ? (double)p->st.frames_output / secs : 0.0;
    snprintf(line, sizeof(line), "%.1f fps  %s", fps, p->model_name);
    pthread_mutex_unlock(&p->mu);
    struct dd_yuv_color white = {235, 128, 128}, black = {16, 128, 128};
    dd_overlay_fill(img, 0, 0, (int)strlen(line) * 16 + 8, 36, black);
    dd_overlay_text(img, 4, 2, line, 2, white);
}

/* The scene's zones (outline, name and occupancy) and lines (name, in and out counts, a tick
 * on the "in" side). */
static void draw_scene(struct dd_pipeline *p, struct dd_scene *scene,
                       const struct dd_yuv_image *img)
{
    struct dd_scene_config c = {.n_zones = 0};
    struct dd_scene_counts *n = p->draw_counts;
    dd_scene_get_config(scene, &c);
    dd_scene_get_counts(scene, n);
    float w = (float)img->width, h = (float)img->height;
    struct dd_yuv_color zc = dd_yuv_from_rgb(255, 210, 0), lc = dd_yuv_from_rgb(0, 220, 255);
    struct dd_yuv_color black = {16, 128, 128};
    char text[96];
    for (int i = 0; i < c.n_zones; i++) {
        const struct dd_zone *z = &c.zones[i];
        for (int k = 0; k < z->n; k++) {
            int j = (k + 1) % z->n;
            dd_overlay_line(img, (int)(z->x[k] * w), (int)(z->y[k] * h), (int)(z->x[j] * w),
                            (int)(z->y[j] * h), 3, zc);
        }
        snprintf(text, sizeof(text), "%s: %d", z->name, n->zones[i].occupancy);
        float cx = 0, cy = 0; /* the label at the corners' mean, clear of the FPS line */
        for (int k = 0; k < z->n; k++) cx += z->x[k] / (float)z->n, cy += z->y[k] / (float)z->n;
        int x = (int)(cx * w) - (int)strlen(text) * 8, y = (int)(cy * h) - 16;
        dd_overlay_fill(img, x - 2, y - 2, x + (int)strlen(text) * 16 + 2, y + 32, black);
        dd_overlay_text(img, x, y, text, 2, zc);
    }
    for (int i = 0; i < c.n_lines; i++) {
        const struct dd_line *l = &c.lines[i];
        float ax = l->x0 * w, ay = l->y0 * h, bx = l->x1 * w, by = l->y1 * h;
        dd_overlay_line(img, (int)ax, (int)ay, (int)bx, (int)by, 4, lc);
        float mx = (ax + bx) / 2, my = (ay + by) / 2, len = hypotf(bx - ax, by - ay);
        /* the right of A->B (y down): (-dy, dx) */
        float nx = -(by - ay) / len, ny = (bx - ax) / len;
        dd_overlay_line(img, (int)mx, (int)my, (int)(mx + nx * 24), (int)(my + ny * 24), 4, lc);
        snprintf(text, sizeof(text), "%s in %llu out %llu", l->name,
                 (unsigned long long)n->lines[i].in, (unsigned long long)n->lines[i].out);
        int x = (int)(mx - nx * 40) - (int)strlen(text) * 8, y = (int)(my - ny * 40) - 16;
        dd_overlay_fill(img, x - 2, y - 2, x + (int)strlen(text) * 16 + 2, y + 32, black);
        dd_overlay_text(img, x, y, text, 2, lc);
    }
}

static void *output_main(void *arg)
{
    struct dd_pipeline *p = arg;
    struct dd_frame *f;
    while ((f = dd_frame_queue_pop(&p->out_q, -1))) {
        pthread_mutex_lock(&p->mu);
        int st;
        while ((st = atomic_load(&f->det_state)) == DD_DET_QUEUED || st == DD_DET_RUNNING)
            pthread_cond_wait(&p->det_cv, &p->mu);
        struct dd_detect_settings s = p->settings;
        const char *const *names = p->labels;
        int n_names = p->n_labels;
        struct dd_scene *scene = s.overlay_zones ? p->scene : NULL;
        pthread_mutex_unlock(&p->mu);
        size_t dropped = st == DD_DET_DONE ? dd_det_list_copy(&p->last_dets, &f->dets) : 0;
        if (dropped) {
            pthread_mutex_lock(&p->mu);
            p->st.detections_dropped += dropped;
            snprintf(p->st.last_error, sizeof(p->st.last_error),
                     "output: out of memory: %zu detections of a frame not drawn", dropped);
            pthread_mutex_unlock(&p->mu);
        }
        int64_t t0 = dd_now_ns(), c0 = dd_thread_cpu_ns();
        if (s.overlay || s.overlay_fps || scene) {
            struct dd_yuv_image img = {f->format == DD_FRAME_NV12 ? DD_YUV_NV12 : DD_YUV_YUYV,
                                       f->width,
                                       f->height,
                                       f->plane[0],
                                       f->plane[1],
                                       f->pitch[0],
                                       f->pitch[1]};
            struct dd_overlay_opts o = {3, 1, 1, names, n_names};
            dd_buffer_cpu_begin(f->fd, f->kind, 1);
            if (scene) draw_scene(p, scene, &img);
            if (s.overlay) dd_overlay_detections(&img, &p->last_dets, &o);
            if (s.overlay_fps) draw_fps(p, &img);
            dd_buffer_cpu_end(f->fd, f->kind, 1);
        }
        int64_t t1 = dd_now_ns(), c1 = dd_thread_cpu_ns();
        if (p->cb) p->cb(p->cb_user, f, &p->last_dets, names, n_names);
        struct dd_err e = {{0}};
        int rc = dd_sink_put(p->sink, f, &e);
        int64_t t2 = dd_now_ns(), c2 = dd_thread_cpu_ns();
        dd_stage_stats_record(&p->stage[DD_STAGE_OVERLAY], t1 - t0, c1 - c0);
        dd_stage_stats_record(&p->stage[DD_STAGE_OUTPUT], t2 - t1, c2 - c1);
        dd_stage_stats_record(&p->latency, t2 - f->t_capture_ns, 0);
        pthread_mutex_lock(&p->mu);
        p->sink_stats = p->sink->stats; /* this thread alone writes them */
        if (rc != 0) {
            p->st.sink_errors++;
            snprintf(p->st.last_error, sizeof(p->st.last_error), "sink: %s", e.msg);
        } else {
            if (!p->st.frames_output) p->t_first_out_ns = t2;
            p->st.frames_output++;
        }
        pthread_mutex_unlock(&p->mu);
        if (rc != 0) DD_LOG_W("sink: %s", e.msg);
        dd_frame_unref(f);
    }
    struct dd_err e = {{0}};
    if (dd_sink_finish(p->sink, &e) != 0) {
        DD_LOG_W("sink: %s", e.msg);
        set_error(p, "sink", &e);
    }
    pthread_mutex_lock(&p->mu);
    p->t_end_ns = dd_now_ns();
    p->cpu_end_ns = dd_process_cpu_ns();
    p->threads_done = 1;
    p->st.finished = 1;
    pthread_cond_broadcast(&p->finished_cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ---- lifecycle ---- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int dd_pipeline_create(const struct dd_pipeline_config *cfg, struct dd_pipeline **out,
                       struct dd_err *err)
{
    *out = NULL;
    if (!cfg->model) return dd_err_set(err, "no model package given");
    struct dd_pipeline *p = calloc(1, sizeof(*p));
    if (!p) return dd_err_set(err, "out of memory");
    p->cfg = *cfg;
    p->model_path = dup_or_null(cfg->model);
    p->source_spec = dup_or_null(cfg->source.spec);
    p->sink_spec = dup_or_null(cfg->sink.spec);
    p->drm_device = dup_or_null(cfg->sink.drm_device);
    p->cfg.model = p->model_path;
    p->cfg.source.spec = p->source_spec;
    p->cfg.sink.spec = p->sink_spec;
    p->cfg.sink.drm_device = p->drm_device;
    p->settings = cfg->settings;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->det_cv, NULL);
    pthread_cond_init(&p->finished_cv, NULL);
    for (int s = 0; s < DD_STAGE_COUNT; s++) dd_stage_stats_init(&p->stage[s]);
    dd_stage_stats_init(&p->latency);
    dd_det_list_init(&p->last_dets);
    p->draw_counts = malloc(sizeof(*p->draw_counts));
    *out = p; /* from here dd_pipeline_destroy cleans up */
    if (!p->draw_counts) {
        dd_err_set(err, "out of memory");
        goto fail;
    }
    if (!dd_qdetector_is_package(cfg->model)) {
        dd_err_set(err, "%s: not a model package (make one with `detect compile`)", cfg->model);
        goto fail;
    }
    if (dd_qdetector_open(cfg->model, &cfg->backend, &p->det, err) != 0) goto fail;
    if (dd_source_open(&p->cfg.source, &p->src, err) != 0) {
        dd_err_prefix(err, "source");
        goto fail;
    }
    if (dd_sink_open(&p->cfg.sink, &p->sink, err) != 0) goto fail;
    p->policy = cfg->policy == DD_DETECT_AUTO ? (p->src->live ? DD_DETECT_LATEST : DD_DETECT_EVERY)
                                              : cfg->policy;
    if (dd_frame_queue_init(&p->det_q, p->policy == DD_DETECT_LATEST ? 1 : DETECT_QUEUE_DEPTH,
                            err) != 0 ||
        dd_frame_queue_init(&p->out_q, OUTPUT_QUEUE_DEPTH + DETECT_QUEUE_DEPTH + 1, err) != 0)
        goto fail;
    set_detector_names(p);
    p->st.source_kind = p->src->ops->name;
    p->st.sink_kind = p->sink->ops->name;
    return 0;
fail:
    dd_pipeline_destroy(p);
    *out = NULL;
    return -1;
}

void dd_pipeline_set_frame_callback(struct dd_pipeline *p, dd_pipeline_frame_cb cb, void *user)
{
    p->cb = cb;
    p->cb_user = user;
}

int dd_pipeline_start(struct dd_pipeline *p, struct dd_err *err)
{
    if (p->started) return dd_err_set(err, "pipeline already started");
    p->t_start_ns = dd_now_ns();
    p->cpu_start_ns = dd_process_cpu_ns();
    if (pthread_create(&p->output_tid, NULL, output_main, p) != 0)
        return dd_err_set(err, "cannot start the output thread");
    if (pthread_create(&p->detect_tid, NULL, detect_main, p) != 0) {
        dd_frame_queue_close(&p->out_q);
        pthread_join(p->output_tid, NULL);
        return dd_err_set(err, "cannot start the detect thread");
    }
    if (pthread_create(&p->capture_tid, NULL, capture_main, p) != 0) {
        dd_frame_queue_close(&p->det_q);
        dd_frame_queue_close(&p->out_q);
        pthread_join(p->detect_tid, NULL);
        pthread_join(p->output_tid, NULL);
        return dd_err_set(err, "cannot start the capture thread");
    }
    p->started = 1;
    pthread_mutex_lock(&p->mu);
    p->st.running = 1;
    pthread_mutex_unlock(&p->mu);
    return 0;
}

int dd_pipeline_wait(struct dd_pipeline *p, int timeout_ms)
{
    struct timespec until = dd_deadline_ms(timeout_ms);
    pthread_mutex_lock(&p->mu);
    while (!p->threads_done && timeout_ms != 0) {
        int r = timeout_ms < 0 ? pthread_cond_wait(&p->finished_cv, &p->mu)
                               : pthread_cond_timedwait(&p->finished_cv, &p->mu, &until);
        if (r != 0 && timeout_ms >= 0) break;
    }
    int done = p->threads_done;
    pthread_mutex_unlock(&p->mu);
    return done;
}

void dd_pipeline_stop(struct dd_pipeline *p)
{
    if (!p->started) return;
    atomic_store(&p->stop, 1);
    pthread_join(p->capture_tid, NULL);
    pthread_join(p->detect_tid, NULL);
    pthread_join(p->output_tid, NULL);
    p->started = 0;
    pthread_mutex_lock(&p->mu);
    p->st.running = 0;
    p->src_stats = p->src->stats; /* the threads are gone: final counters */
    p->sink_stats = p->sink->stats;
    pthread_mutex_unlock(&p->mu);
}

void dd_pipeline_destroy(struct dd_pipeline *p)
{
    if (!p) return;
    dd_pipeline_stop(p);
    dd_frame_queue_destroy(&p->det_q);
    dd_frame_queue_destroy(&p->out_q);
    dd_sink_close(p->sink);
    dd_source_close(p->src);
    dd_qdetector_close(p->det);
    dd_qdetector_close(p->pending_det);
    dd_det_list_destroy(&p->last_dets);
    free(p->draw_counts);
    dd_tracker_destroy(p->tracker);
    for (int s = 0; s < DD_STAGE_COUNT; s++) dd_stage_stats_destroy(&p->stage[s]);
    dd_stage_stats_destroy(&p->latency);
    pthread_cond_destroy(&p->finished_cv);
    pthread_cond_destroy(&p->det_cv);
    pthread_mutex_destroy(&p->mu);
    free(p->model_path);
    free(p->source_spec);
    free(p->sink_spec);
    free(p->drm_device);
    free(p);
}

void dd_pipeline_get_stats(struct dd_pipeline *p, struct dd_pipeline_stats *out)
{
    pthread_mutex_lock(&p->mu);
    *out = p->st;
    int64_t t_end = p->threads_done ? p->t_end_ns : dd_now_ns();
    int64_t cpu_end = p->threads_done ? p->cpu_end_ns : dd_process_cpu_ns();
    int64_t t_first = p->t_first_out_ns;
    struct dd_source_stats src = p->src_stats;
    struct dd_sink_stats sink = p->sink_stats;
    pthread_mutex_unlock(&p->mu);
    out->frames_lost = src.lost;
    out->source_reopens = src.reopens;
    out->buffer_kind = dd_buf_kind_name(src.kind);
    out->frame_copies = src.copies + out->accel_copied + sink.copies;
    out->sink_zero_copy = sink.zero_copy;
    out->elapsed_s = (double)(t_end - p->t_start_ns) / 1e9;
    double out_s = t_first ? (double)(t_end - t_first) / 1e9 : 0.0;
    out->fps = out->frames_output > 1 && out_s > 0 ? (double)(out->frames_output - 1) / out_s : 0.0;
    double our_cpu = 0.0;
    for (int s = 0; s < DD_STAGE_COUNT; s++) {
        dd_stage_stats_summary(&p->stage[s], &out->stage[s]);
        out->stage_cpu_ms[s] = out->stage[s].cpu_ms_per_item;
        if (s != DD_STAGE_CAPTURE)
            our_cpu += out->stage[s].cpu_ms_per_item * (double)out->stage[s].count;
    }
    dd_stage_stats_summary(&p->latency, &out->latency);
    double total_ms = (double)(cpu_end - p->cpu_start_ns) / 1e6;
    if (out->frames_captured) /* the source's own thread plus decoder threads: the rest */
        out->stage_cpu_ms[DD_STAGE_CAPTURE] =
            (total_ms - our_cpu) > 0 ? (total_ms - our_cpu) / (double)out->frames_captured : 0.0;
    out->process_cpu_ms = out->frames_output ? total_ms / (double)out->frames_output : 0.0;
}

void dd_pipeline_set_settings(struct dd_pipeline *p, const struct dd_detect_settings *s)
{
    pthread_mutex_lock(&p->mu);
    p->settings = *s;
    pthread_mutex_unlock(&p->mu);
}

void dd_pipeline_set_scene(struct dd_pipeline *p, struct dd_scene *scene)
{
    pthread_mutex_lock(&p->mu);
    p->scene = scene;
    p->track_dirty = 1; /* objects of another pipeline's tracker: the scene forgets them */
    pthread_mutex_unlock(&p->mu);
}

int dd_pipeline_set_tracking(struct dd_pipeline *p, const struct dd_tracker_config *c,
                             struct dd_err *err)
{
    if (c && dd_tracker_config_check(c, err) != 0) return -1;
    pthread_mutex_lock(&p->mu);
    if (c) p->track_cfg = *c;
    p->track_on = c != NULL;
    p->track_dirty = 1;
    pthread_mutex_unlock(&p->mu);
    return 0;
}

void dd_pipeline_get_settings(struct dd_pipeline *p, struct dd_detect_settings *out)
{
    pthread_mutex_lock(&p->mu);
    *out = p->settings;
    pthread_mutex_unlock(&p->mu);
}

const struct dd_qdetector *dd_pipeline_detector(const struct dd_pipeline *p)
{
    return p->det;
}

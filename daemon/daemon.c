#include "daemon/daemon.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "config/config.h"
#include "daemon/detections_feed.h"
#include "daemon/event_store.h"
#include "daemon/history.h"
#include "daemon/mqtt.h"
#include "daemon/http_server.h"
#include "daemon/notify.h"
#include "daemon/pipeline_reaper.h"
#include "daemon/preview.h"
#include "daemon/settings.h"
#include "daemon/shutdown.h"
#include "daemon/status_board.h"
#include "media/gst_util.h"

#define TICK_MS 100
#define PUBLISH_NS 250000000LL
#define STATUS_NS 2000000000LL
#define RESTART_BACKOFF_MAX_S 30.0
#define SHUTDOWN_DEADLINE_S 2.0
/* starting a pipeline (a source's own waits: up to 10 s for its state, 10 s for a first frame)
 * and stopping one within these, or it is abandoned; no new start while this many are stuck */
#define PIPELINE_START_DEADLINE_S 30.0
#define PIPELINE_STOP_DEADLINE_S 5.0
#define PIPELINES_STUCK_MAX 4
/* after a failure or a stall, frames must flow this long before /healthz says healthy again */
#define RECOVERY_NS 3000000000LL
/* frames flowing this long after a (re)start: the restart delay starts again from 1 s */
#define HEALTHY_RESET_NS 30000000000LL

struct daemon {
    const char *config_path; /* NULL: embedded default */
    struct dd_config cfg;    /* the running (last good) config */
    uint64_t generation, reloads_ok, reloads_failed, restarts;
    char last_reload_error[DD_ERR_MSG_MAX + 64];
    char last_pipeline_error[DD_ERR_MSG_MAX + 64]; /* the last failure, kept across restarts */
    int64_t last_pipeline_error_ns;

    struct dd_pipeline *pl;
    struct dd_pipeline_strings strs; /* the running pipeline's */
    struct dd_family_info family;    /* the running model's */
    char model_path[DD_CFG_STR_MAX];

    struct dd_status_board *board;
    struct dd_feed *feed;
    struct dd_preview *preview;
    struct dd_history *hist;
    struct dd_http_server *http;
    struct dd_scene *scene;          /* zones, lines and their counters: outlive pipelines */
    struct dd_event_store *events;   /* the scene's events and snapshots */
    struct dd_mqtt *mqtt;            /* NULL: [mqtt] off */
    struct dd_mqtt_state mqtt_state; /* handed to it on each publish (too big for the stack) */

    int64_t t_start_ns, last_progress_ns, last_ping_ns, last_publish_ns, last_status_ns;
    int64_t last_second_ns, restart_at_ns, started_ns;
    uint64_t last_out, second_out, second_dets;
    double fps_now, dps_now, backoff_s;
    int ready_sent;
    int flowing, has_failed; /* /healthz hysteresis */
    int64_t flowing_since_ns;
    uint64_t watchdog_usec;
    struct dd_process_stats process; /* read once a second */
    int64_t last_process_ns;
};

static void apply_log_level(const struct dd_config *c)
{
    dd_log_set_level(c->log_level);
}

static struct dd_preview_config preview_config(const struct dd_config *c)
{
    return (struct dd_preview_config){c->preview_width, c->preview_fps, c->preview_quality};
}

static struct dd_event_store_config event_store_config(const struct dd_config *c)
{
    return (struct dd_event_store_config){c->events_history, c->events_snapshots,
                                          c->events_snapshot_width, c->events_snapshot_quality};
}

static void on_frame(void *user, struct dd_frame *f, const struct dd_det_list *dets,
                     const char *const *labels, int n_labels)
{
    struct daemon *d = user;
    double latency_ms = (double)(dd_now_ns() - f->t_capture_ns) / 1e6;
    dd_event_store_offer(d->events, f, labels, n_labels);
    dd_feed_publish(d->feed, f->seq, f->width, f->height, dets, labels, n_labels, latency_ms);
    dd_preview_offer(d->preview, f);
}

/* ---- pipeline ---- */

static void publish(struct daemon *d, int64_t now);
static void reap_pipeline(struct daemon *d, struct dd_pipeline *p);

/* While a start or stop is awaited: the status stays current (state "restarting"). */
static void wait_tick(void *user)
{
    struct daemon *d = user;
    int64_t now = dd_now_ns();
    d->last_publish_ns = now;
    publish(d, now);
}

/* Creates (not starts) a pipeline for c, with its detect settings. */
static int build_pipeline(struct daemon *d, const struct dd_config *c, struct dd_pipeline **out,
                          struct dd_pipeline_strings *strs, struct dd_family_info *fam,
                          struct dd_err *err)
{
    int stuck = dd_pipeline_reap_pending();
    if (stuck >= PIPELINES_STUCK_MAX)
        return dd_err_set(err, "%d pipelines are stuck starting or stopping: no new one", stuck);
    /* what the pipeline is made from, in one block a stuck create may keep (pipeline_reaper.h) */
    struct build_job {
        struct dd_pipeline_strings strs;
        struct dd_pipeline_config pc;
    } *job = malloc(sizeof(*job));
    if (!job) return dd_err_set(err, "out of memory");
    if (dd_pipeline_config_from(c, &job->strs, &job->pc, err) != 0) {
        free(job);
        return -1;
    }
    struct dd_pipeline *p;
    struct dd_reap_tick tick = {wait_tick, d, PUBLISH_NS / 1e9};
    int rc = dd_pipeline_create_within(&job->pc, job, PIPELINE_START_DEADLINE_S,
                                       d->board ? &tick : NULL, &p, err);
    if (rc == -2) return -1; /* abandoned: job is the creating thread's now */
    *strs = job->strs;
    free(job);
    if (rc != 0) return -1;
    *fam = dd_pipeline_detector(p)->family;
    struct dd_detect_settings s;
    if (dd_settings_from_config(c, fam, &s, err) != 0) {
        dd_pipeline_destroy(p);
        return -1;
    }
    dd_pipeline_set_settings(p, &s);
    struct dd_tracker_config tc;
    if (dd_pipeline_set_tracking(p, dd_tracker_config_from(c, &tc), err) != 0) {
        reap_pipeline(d, p);
        return -1;
    }
    dd_pipeline_set_scene(p, d->scene);
    dd_pipeline_set_frame_callback(p, on_frame, d);
    *out = p;
    return 0;
}

/* Destroys p with a deadline (daemon/pipeline_reaper.h): a source or sink stuck in a call that
 * does not return is abandoned, said so, and the main loop goes on. */
static void reap_pipeline(struct daemon *d, struct dd_pipeline *p)
{
    struct dd_reap_tick tick = {wait_tick, d, PUBLISH_NS / 1e9};
    if (dd_pipeline_reap(p, PIPELINE_STOP_DEADLINE_S, d->board ? &tick : NULL) == 1)
        DD_LOG_E("pipeline: stopping did not finish within %.0f s (a source or sink stuck in a "
                 "call); abandoned to finish on its own, %d so far",
                 PIPELINE_STOP_DEADLINE_S, dd_pipeline_reap_pending());
}

static void drop_pipeline(struct daemon *d)
{
    struct dd_pipeline *p = d->pl;
    if (!p) return;
    d->pl = NULL; /* the status no longer reads it */
    reap_pipeline(d, p);
}

static int start_pipeline(struct daemon *d, struct dd_pipeline *p,
                          const struct dd_pipeline_strings *strs, const struct dd_family_info *fam,
                          struct dd_err *err)
{
    int stuck = dd_pipeline_reap_pending();
    if (stuck >= PIPELINES_STUCK_MAX) {
        reap_pipeline(d, p);
        return dd_err_set(err, "%d pipelines are stuck starting or stopping: no new start", stuck);
    }
    struct dd_reap_tick tick = {wait_tick, d, PUBLISH_NS / 1e9};
    int rc = dd_pipeline_start_within(p, PIPELINE_START_DEADLINE_S, d->board ? &tick : NULL, err);
    if (rc != 0) {
        if (rc == -1) reap_pipeline(d, p); /* -2: abandoned, no longer ours */
        return -1;
    }
    d->pl = p;
    d->strs = *strs;
    d->family = *fam;
    snprintf(d->model_path, sizeof(d->model_path), "%s", strs->model);
    d->last_out = d->second_out = d->second_dets = 0;
    d->last_progress_ns = d->started_ns = dd_now_ns();
    return 0;
}

/* ---- status ---- */

static void publish(struct daemon *d, int64_t now)
{
    struct dd_daemon_status s;
    memset(&s, 0, sizeof(s));
    if (d->pl) dd_pipeline_get_stats(d->pl, &s.pipeline);
    s.labels = d->family.labels;
    s.n_labels = d->family.num_classes;
    int flowing = d->pl && s.pipeline.running &&
                  (double)(now - d->last_progress_ns) / 1e9 < d->cfg.watchdog_stall_s &&
                  s.pipeline.frames_output > 0;
    /* hysteresis: after a failure or a stall (not a reload's rebuild), healthy again only once
     * frames have flowed for RECOVERY_NS (a source failing every few seconds no longer flaps
     * /healthz) */
    if (flowing && !d->flowing) d->flowing_since_ns = now;
    if (!flowing && d->pl && s.pipeline.frames_output > 0) d->has_failed = 1; /* a stall */
    d->flowing = flowing;
    int healthy = flowing && (!d->has_failed || now - d->flowing_since_ns >= RECOVERY_NS);
    s.healthy = healthy;
    snprintf(s.state, sizeof(s.state), "%s",
             !d->pl                      ? "restarting"
             : !s.pipeline.frames_output ? "starting"
             : healthy                   ? "running"
             : flowing                   ? "recovering"
                                         : "stalled");
    s.uptime_s = (double)(now - d->t_start_ns) / 1e9;
    if (now - d->last_process_ns >= 1000000000LL) { /* /proc once a second */
        dd_process_stats_read(&d->process);
        d->last_process_ns = now;
    }
    s.process = d->process;
    s.fps_now = d->fps_now;
    s.detections_per_s = d->dps_now;
    s.config_generation = d->generation;
    s.reloads_ok = d->reloads_ok;
    s.reloads_failed = d->reloads_failed;
    s.pipeline_restarts = d->restarts;
    snprintf(s.config_path, sizeof(s.config_path), "%s",
             d->config_path ? d->config_path : "(embedded default)");
    snprintf(s.last_reload_error, sizeof(s.last_reload_error), "%s", d->last_reload_error);
    snprintf(s.last_pipeline_error, sizeof(s.last_pipeline_error), "%s", d->last_pipeline_error);
    s.last_pipeline_error_age_s =
        d->last_pipeline_error_ns ? (double)(now - d->last_pipeline_error_ns) / 1e9 : -1;
    snprintf(s.model_path, sizeof(s.model_path), "%s", d->model_path);
    dd_preview_get_stats(d->preview, &s.preview);
    dd_scene_get_counts(d->scene, &s.scene);
    dd_scene_get_config(d->scene, &s.scene_config);
    dd_event_store_get_stats(d->events, &s.events);
    if (d->mqtt) {
        dd_mqtt_get_stats(d->mqtt, &s.mqtt);
        s.mqtt_enabled = 1;
        struct dd_mqtt_state *ms = &d->mqtt_state;
        ms->scene = s.scene;
        ms->labels = s.labels;
        ms->n_labels = s.n_labels;
        ms->fps = s.fps_now;
        ms->latency_p50_ms = s.pipeline.latency.p50_ms;
        ms->latency_p99_ms = s.pipeline.latency.p99_ms;
        ms->uptime_s = s.uptime_s;
        ms->frames = s.pipeline.frames_output;
        ms->detections = s.pipeline.detections;
        ms->healthy = s.healthy;
        snprintf(ms->model, sizeof(ms->model), "%s", s.pipeline.model);
        dd_mqtt_set_state(d->mqtt, ms);
    }
    dd_status_board_publish(d->board, &s);

    if (d->watchdog_usec && healthy && now - d->last_ping_ns >= (int64_t)d->watchdog_usec * 250) {
        dd_notify_watchdog(); /* a quarter of the period: only while frames flow */
        d->last_ping_ns = now;
    }
    if (now - d->last_status_ns >= STATUS_NS) {
        d->last_status_ns = now;
        const struct dd_pipeline_stats *p = &s.pipeline;
        if (!d->pl)
            dd_notify_status("pipeline down, restarting: %s", p->last_error);
        else
            dd_notify_status("%s: %.1f fps, %.1f detections/s, latency p50 %.0f ms, %s on %s, "
                             "config generation %llu",
                             s.state, d->fps_now, d->dps_now, p->latency.p50_ms, p->model,
                             p->backend ? p->backend : "?", (unsigned long long)d->generation);
    }
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void second_tick(struct daemon *d, int64_t now)
{
    double dt = (double)(now - d->last_second_ns) / 1e9;
    d->last_second_ns = now;
    struct dd_pipeline_stats st;
    uint64_t out = 0, dets = 0;
    if (d->pl) {
        dd_pipeline_get_stats(d->pl, &st);
        out = st.frames_output;
        dets = st.detections;
    }
    uint64_t dout = out >= d->second_out ? out - d->second_out : 0;
    uint64_t ddet = dets >= d->second_dets ? dets - d->second_dets : 0;
    d->second_out = out;
    d->second_dets = dets;
    d->fps_now = dt > 0 ? (double)dout / dt : 0.0;
    d->dps_now = dt > 0 ? (double)ddet / dt : 0.0;
    float lat[512];
    int n = dd_feed_take_latencies(d->feed, lat, 512);
    qsort(lat, (size_t)n, sizeof(float), cmp_float);
    struct dd_history_sample hs = {(double)(now - d->t_start_ns) / 1e9, (float)d->fps_now,
                                   n ? lat[n / 2] : 0.0f, n ? lat[n - 1] : 0.0f, (float)d->dps_now};
    dd_history_add(d->hist, &hs);
}

/* ---- HTTP ---- */

static int start_http(struct daemon *d, const struct dd_config *c, struct dd_err *err)
{
    if (!c->http_enabled) return 0;
    struct dd_http_config hc = {c->http_listen,
                                c->http_token,
                                (unsigned)c->http_max_connections,
                                (unsigned)c->http_max_connections_per_ip,
                                (size_t)c->http_max_request_bytes,
                                (unsigned)c->http_timeout_s,
                                c->http_request_deadline_s};
    struct dd_http_sources src = {d->board, d->feed, d->preview, d->hist, d->events};
    if (dd_http_server_start(&hc, &src, &d->http, err) != 0) return -1;
    DD_LOG_N("http: dashboard on http://%s/%s", c->http_listen,
             *c->http_token ? " (bearer token required)" : "");
    return 0;
}

static void stop_http(struct daemon *d)
{
    dd_http_server_stop(d->http);
    d->http = NULL;
}

/* ---- MQTT ---- */

static int start_mqtt(struct daemon *d, const struct dd_config *c, struct dd_err *err)
{
    struct dd_mqtt_config mc;
    const struct dd_mqtt_config *m = dd_mqtt_config_from(c, &mc);
    if (!m) return 0;
    if (dd_mqtt_start(m, d->events, &d->mqtt, err) != 0) return -1;
    DD_LOG_N("mqtt: publishing to %s:%d%s", m->host, m->port, *m->tls_ca ? " (TLS)" : "");
    return 0;
}

static void stop_mqtt(struct daemon *d)
{
    dd_mqtt_stop(d->mqtt);
    d->mqtt = NULL;
}

/* ---- reload ---- */

/* The running pipeline holds a camera or a display, which a new pipeline may
 * not open while it does. */
static int holds_devices(const struct daemon *d)
{
    return strncmp(d->strs.source, "/dev/video", 10) == 0 ||
           strncmp(d->strs.source, "v4l2:", 5) == 0 || strncmp(d->strs.sink, "drm", 3) == 0;
}

static void reload_failed(struct daemon *d, const char *why)
{
    d->reloads_failed++;
    snprintf(d->last_reload_error, sizeof(d->last_reload_error), "%s", why);
    DD_LOG_E("reload: %s; still running config generation %llu", why,
             (unsigned long long)d->generation);
}

static void reload(struct daemon *d)
{
    dd_notify_reloading();
    if (!d->config_path) {
        DD_LOG_N("reload: running the embedded default (no --config): nothing to reload");
        dd_notify_ready();
        return;
    }
    DD_LOG_N("reload: reading %s", d->config_path);
    struct dd_config *nc = malloc(sizeof(*nc));
    struct dd_err err = {{0}};
    if (!nc) {
        reload_failed(d, "out of memory");
        dd_notify_ready();
        return;
    }
    dd_config_defaults(nc);
    if (dd_config_load(d->config_path, nc, &err) != 0) {
        reload_failed(d, err.msg);
        goto done;
    }
    unsigned diff = dd_config_diff(&d->cfg, nc);
    struct dd_pipeline_config pc;
    struct dd_pipeline_strings *strs = malloc(sizeof(*strs));
    if (!strs || dd_pipeline_config_from(nc, strs, &pc, &err) != 0) {
        reload_failed(d, strs ? err.msg : "out of memory");
        free(strs);
        goto done;
    }
    /* 1. prepare what can fail, changing nothing */
    struct dd_pipeline *np = NULL;
    struct dd_qdetector *nq = NULL;
    struct dd_family_info fam = d->family;
    struct dd_detect_settings settings;
    if ((diff & DD_APPLY_PIPELINE) || !d->pl) {
        if (build_pipeline(d, nc, &np, strs, &fam, &err) != 0 && d->pl && holds_devices(d)) {
            /* a camera or display the running pipeline holds: release and retry */
            DD_LOG_W("reload: new pipeline: %s; retrying without the running one", err.msg);
            drop_pipeline(d);
            d->restarts++;
            struct dd_err e2 = {{0}};
            if (build_pipeline(d, nc, &np, strs, &fam, &e2) != 0) {
                snprintf(err.msg, sizeof(err.msg), "%s", e2.msg);
                np = NULL;
            }
        }
        if (!np) {
            char why[DD_ERR_MSG_MAX + 32];
            snprintf(why, sizeof(why), "pipeline: %s", err.msg);
            reload_failed(d, why);
            if (!d->pl) d->restart_at_ns = dd_now_ns(); /* bring the old one back */
            free(strs);
            goto done;
        }
    } else if (diff & DD_APPLY_MODEL) {
        if (dd_qdetector_open(pc.model, &pc.backend, &nq, &err) != 0) nq = NULL;
        if (!nq) {
            char why[DD_ERR_MSG_MAX + 32];
            snprintf(why, sizeof(why), "model: %s", err.msg);
            reload_failed(d, why);
            free(strs);
            goto done;
        }
        fam = nq->family;
    }
    struct dd_tracker_config tcheck;
    const struct dd_tracker_config *tc = dd_tracker_config_from(nc, &tcheck);
    struct dd_scene_config scene_cfg;
    struct dd_mqtt_config mcheck;
    const struct dd_mqtt_config *mc = dd_mqtt_config_from(nc, &mcheck);
    if ((tc && dd_tracker_config_check(tc, &err) != 0) ||
        dd_scene_config_from(nc, &scene_cfg, &err) != 0 ||
        (mc && dd_mqtt_config_check(mc, &err) != 0)) {
        reload_failed(d, err.msg);
        reap_pipeline(d, np);
        dd_qdetector_close(nq);
        free(strs);
        goto done;
    }
    if (!np && dd_settings_from_config(nc, &fam, &settings, &err) != 0) {
        reload_failed(d, err.msg);
        dd_qdetector_close(nq);
        free(strs);
        goto done;
    }
    /* 2. the HTTP server (the only other step that can fail) */
    if (diff & DD_APPLY_HTTP) {
        stop_http(d);
        if (start_http(d, nc, &err) != 0) {
            struct dd_err e2 = {{0}};
            if (start_http(d, &d->cfg, &e2) != 0) DD_LOG_E("http: %s", e2.msg);
            reload_failed(d, err.msg);
            dd_pipeline_destroy(np);
            dd_qdetector_close(nq);
            free(strs);
            goto done;
        }
    }
    /* 3. commit */
    dd_scene_set_config(d->scene, &scene_cfg, NULL); /* checked above */
    struct dd_event_store_config ec = event_store_config(nc);
    dd_event_store_set_config(d->events, &ec);
    if (diff & DD_APPLY_MQTT) {
        stop_mqtt(d);
        if (start_mqtt(d, nc, &err) != 0) DD_LOG_E("mqtt: %s", err.msg); /* checked above */
    }
    if (np) {
        drop_pipeline(d);
        d->restarts++;
        if (start_pipeline(d, np, strs, &fam, &err) != 0) DD_LOG_E("pipeline: %s", err.msg);
        DD_LOG_N("reload: pipeline rebuilt (source %s, sink %s)", strs->source, strs->sink);
    } else {
        if (nq) {
            dd_pipeline_swap_detector(d->pl, nq);
            d->family = fam;
            snprintf(d->model_path, sizeof(d->model_path), "%s", strs->model);
            DD_LOG_N("reload: model %s (%s) swapped in", strs->model, fam.name);
        }
        dd_pipeline_set_settings(d->pl, &settings);
        if (diff & DD_APPLY_LIVE) dd_pipeline_set_tracking(d->pl, tc, NULL); /* checked above */
    }
    free(strs);
    dd_preview_set_config(d->preview, &(struct dd_preview_config){
                                          nc->preview_width, nc->preview_fps, nc->preview_quality});
    if (nc->history_s != d->cfg.history_s) dd_history_resize(d->hist, (size_t)nc->history_s);
    apply_log_level(nc);
    d->cfg = *nc;
    d->generation++;
    d->reloads_ok++;
    d->last_reload_error[0] = 0;
    DD_LOG_N("reload: config generation %llu applied (%s%s%s%s)", (unsigned long long)d->generation,
             diff ? "" : "no changes", diff & DD_APPLY_PIPELINE ? "pipeline " : "",
             diff & (DD_APPLY_MODEL) ? "model " : "", diff & DD_APPLY_HTTP ? "http" : "");
done:
    free(nc);
    publish(d, dd_now_ns());
    dd_notify_ready();
}

/* ---- main loop ---- */

void dd_daemon_block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Remembers why the pipeline went down (shown in /api/stats until the next failure) and
 * schedules the next start with a delay doubling up to RESTART_BACKOFF_MAX_S. */
static void pipeline_down(struct daemon *d, int64_t now, const char *why, const char *verb)
{
    snprintf(d->last_pipeline_error, sizeof(d->last_pipeline_error), "%s", why);
    d->last_pipeline_error_ns = now;
    d->has_failed = 1; /* healthy again only after RECOVERY_NS of frames */
    d->backoff_s = d->backoff_s ? fmin(d->backoff_s * 2, RESTART_BACKOFF_MAX_S) : 1.0;
    DD_LOG_E("pipeline: %s (%s in %.0f s)", why, verb, d->backoff_s);
    d->restart_at_ns = now + (int64_t)(d->backoff_s * 1e9);
}

static void check_pipeline(struct daemon *d, int64_t now, int *finished)
{
    if (!d->pl) {
        if (now < d->restart_at_ns) return;
        struct dd_pipeline *np;
        struct dd_pipeline_strings strs;
        struct dd_family_info fam;
        struct dd_err err = {{0}};
        d->restarts++;
        if (build_pipeline(d, &d->cfg, &np, &strs, &fam, &err) != 0 ||
            start_pipeline(d, np, &strs, &fam, &err) != 0) {
            pipeline_down(d, now, err.msg, "retrying");
            return;
        }
        DD_LOG_N("pipeline: restarted");
        return;
    }
    struct dd_pipeline_stats st;
    dd_pipeline_get_stats(d->pl, &st);
    if (st.frames_output != d->last_out) {
        d->last_out = st.frames_output;
        d->last_progress_ns = now;
        /* a restart that yields a few frames and fails again keeps its growing delay */
        if (now - d->started_ns >= HEALTHY_RESET_NS) d->backoff_s = 0;
        if (!d->ready_sent) {
            d->ready_sent = 1;
            publish(d, now); /* /healthz and /api/stats agree with READY from the start */
            dd_notify_ready();
            DD_LOG_N("ready: first frame out (%ux%u, %s on %s, source %s, sink %s)", st.width,
                     st.height, st.model, st.backend, st.source_kind, st.sink_kind);
        }
    }
    if (!dd_pipeline_wait(d->pl, 0)) {
        /* running but no frame out (a source that stopped without an error, a stuck stage):
         * rebuilt by the daemon itself, not only by systemd's watchdog */
        double idle_s = (double)(now - d->last_progress_ns) / 1e9;
        if (d->cfg.stall_restart_s > 0 && idle_s >= d->cfg.stall_restart_s) {
            char why[96];
            snprintf(why, sizeof(why), "no frame out for %.0f s (stalled)", idle_s);
            pipeline_down(d, now, why, "rebuilding"); /* its threads stop in drop_pipeline */
            publish(d, now);
            drop_pipeline(d);
        }
        return;
    }
    dd_pipeline_get_stats(d->pl, &st); /* finished or failed: its threads are ending */
    if (!st.failed) {
        DD_LOG_N("pipeline: end of stream after %llu frames", (unsigned long long)st.frames_output);
        *finished = 1;
        return;
    }
    pipeline_down(d, now, st.last_error, "restarting");
    publish(d, now);
    drop_pipeline(d);
}

int dd_daemon_run(const char *config_path)
{
    struct daemon *d = calloc(1, sizeof(*d));
    if (!d) return 1;
    int status = 1;
    struct dd_err err = {{0}};
    d->config_path = config_path;
    dd_config_defaults(&d->cfg);
    if (config_path && dd_config_load(config_path, &d->cfg, &err) != 0) {
        DD_LOG_E("config: %s", err.msg);
        free(d);
        return 1;
    }
    apply_log_level(&d->cfg);
    if (dd_shutdown_guard_start(SHUTDOWN_DEADLINE_S, &err) != 0) {
        DD_LOG_E("startup: %s", err.msg);
        free(d);
        return 1;
    }
    d->generation = 1;
    d->t_start_ns = d->last_second_ns = dd_now_ns();
    d->watchdog_usec = dd_notify_watchdog_usec();
    struct dd_preview_config pv = preview_config(&d->cfg);
    struct dd_scene_config sc;
    if (dd_scene_config_from(&d->cfg, &sc, &err) != 0) {
        DD_LOG_E("config: %s", err.msg);
        goto out;
    }
    struct dd_event_store_config ec = event_store_config(&d->cfg);
    if (dd_scene_create(&sc, &d->scene, &err) != 0 ||
        dd_event_store_create(&ec, &d->events, &err) != 0) {
        DD_LOG_E("startup: %s", err.msg);
        goto out;
    }
    if (dd_status_board_create(&d->board) != 0 || dd_feed_create(&d->feed) != 0 ||
        dd_history_create((size_t)d->cfg.history_s, &d->hist) != 0 ||
        dd_preview_create(&pv, &d->preview, &err) != 0) {
        DD_LOG_E("startup: %s", *err.msg ? err.msg : "out of memory");
        goto out;
    }
    struct dd_pipeline *np;
    struct dd_pipeline_strings strs;
    struct dd_family_info fam;
    dd_shutdown_stage("starting the pipeline");
    if (build_pipeline(d, &d->cfg, &np, &strs, &fam, &err) != 0 ||
        start_pipeline(d, np, &strs, &fam, &err) != 0) {
        DD_LOG_E("%s%s", err.msg, config_path ? "" : " (run scripts/setup for the demo assets)");
        goto out;
    }
    if (start_mqtt(d, &d->cfg, &err) != 0) {
        DD_LOG_E("%s", err.msg);
        goto out;
    }
    dd_shutdown_stage("starting the HTTP server");
    if (start_http(d, &d->cfg, &err) != 0) {
        DD_LOG_E("%s", err.msg);
        goto out;
    }
    DD_LOG_N("detectd %s: %s, model %s on %s, watchdog %s", DD_VERSION,
             config_path ? config_path : "embedded default config", d->model_path,
             d->cfg.model_backend, d->watchdog_usec ? "on" : "off");

    /* SIGTERM and SIGINT go to the shutdown guard's thread (daemon/shutdown.h); SIGHUP here */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    struct timespec tick = {0, TICK_MS * 1000000L};
    int finished = 0;
    status = 0;
    while (!finished) {
        dd_shutdown_stage("running");
        int sig = sigtimedwait(&set, NULL, &tick);
        int64_t now = dd_now_ns();
        int stop = dd_shutdown_requested();
        if (stop) {
            DD_LOG_N("%s: stopping", stop == SIGTERM ? "SIGTERM" : "SIGINT");
            break;
        }
        dd_shutdown_stage(sig == SIGHUP ? "reloading" : "watching the pipeline");
        if (sig == SIGHUP) reload(d);
        check_pipeline(d, now, &finished);
        if (now - d->last_second_ns >= 1000000000LL) second_tick(d, now);
        if (now - d->last_publish_ns >= PUBLISH_NS) {
            d->last_publish_ns = now;
            publish(d, now);
        }
    }
    dd_notify_stopping();
out:
    dd_shutdown_stage("stopping the pipeline");
    if (d->pl) {
        dd_pipeline_stop(d->pl);
        struct dd_pipeline_stats st;
        dd_pipeline_get_stats(d->pl, &st);
        DD_LOG_N("stopped: %llu frames out, %.1f fps, %llu detections",
                 (unsigned long long)st.frames_output, st.fps, (unsigned long long)st.detections);
    }
    dd_shutdown_stage("stopping MQTT");
    stop_mqtt(d);
    dd_shutdown_stage("stopping the HTTP server");
    stop_http(d);
    dd_shutdown_stage("releasing the pipeline");
    drop_pipeline(d);
    if (dd_pipeline_reap_pending() > 0) {
        /* an abandoned pipeline may still call on_frame: leave what it touches to the exit */
        DD_LOG_W("exiting with %d pipeline(s) still stopping", dd_pipeline_reap_pending());
        return status;
    }
    dd_preview_destroy(d->preview);
    dd_event_store_destroy(d->events);
    dd_scene_destroy(d->scene);
    dd_history_destroy(d->hist);
    dd_feed_destroy(d->feed);
    dd_status_board_destroy(d->board);
    dd_gst_deinit();
    free(d);
    return status;
}

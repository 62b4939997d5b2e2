#include "daemon/status_board.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/stats_json.h"

struct dd_status_board {
    pthread_mutex_t mu;
    struct dd_daemon_status s;
    uint64_t version;  /* publishes so far */
    char *json, *prom; /* renderings of the published snapshot */
    uint64_t json_version, prom_version;
    atomic_uint_fast64_t requests, errors;
};

int dd_status_board_create(struct dd_status_board **out)
{
    struct dd_status_board *b = calloc(1, sizeof(*b));
    if (!b) return -1;
    pthread_mutex_init(&b->mu, NULL);
    snprintf(b->s.state, sizeof(b->s.state), "starting");
    *out = b;
    return 0;
}

void dd_status_board_destroy(struct dd_status_board *b)
{
    if (!b) return;
    free(b->json);
    free(b->prom);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

void dd_status_board_publish(struct dd_status_board *b, const struct dd_daemon_status *s)
{
    pthread_mutex_lock(&b->mu);
    b->s = *s;
    b->version++;
    pthread_mutex_unlock(&b->mu);
}

/* Renders once per published snapshot; every request gets a copy. */
static char *cached(struct dd_status_board *b, char **text, uint64_t *version,
                    char *(*render)(const struct dd_daemon_status *))
{
    pthread_mutex_lock(&b->mu);
    if (!*text || *version != b->version) {
        struct dd_daemon_status s = b->s;
        uint64_t v = b->version;
        pthread_mutex_unlock(&b->mu);
        s.http_requests = atomic_load(&b->requests);
        s.http_errors = atomic_load(&b->errors);
        char *fresh = render(&s);
        pthread_mutex_lock(&b->mu);
        if (fresh) {
            free(*text);
            *text = fresh;
            *version = v;
        }
    }
    char *copy = *text ? strdup(*text) : NULL;
    pthread_mutex_unlock(&b->mu);
    return copy;
}

char *dd_status_board_json(struct dd_status_board *b)
{
    return cached(b, &b->json, &b->json_version, dd_status_json);
}

char *dd_status_board_prometheus(struct dd_status_board *b)
{
    return cached(b, &b->prom, &b->prom_version, dd_status_prometheus);
}

int dd_status_board_healthy(struct dd_status_board *b)
{
    pthread_mutex_lock(&b->mu);
    int h = b->s.healthy;
    pthread_mutex_unlock(&b->mu);
    return h;
}

void dd_status_board_count_request(struct dd_status_board *b, int error)
{
    atomic_fetch_add(&b->requests, 1);
    if (error) atomic_fetch_add(&b->errors, 1);
}

static cJSON *point(float x, float y)
{
    cJSON *p = cJSON_CreateArray();
    cJSON_AddItemToArray(p, cJSON_CreateNumber(round(x * 1e4) / 1e4));
    cJSON_AddItemToArray(p, cJSON_CreateNumber(round(y * 1e4) / 1e4));
    return p;
}

static void scene_json(cJSON *o, const struct dd_daemon_status *s)
{
    const struct dd_scene_counts *sc = &s->scene;
    const struct dd_scene_config *cf = &s->scene_config;
    cJSON *zones = cJSON_AddObjectToObject(o, "zones");
    for (int i = 0; i < sc->n_zones; i++) {
        const struct dd_zone_counts *z = &sc->zones[i];
        cJSON *zo = cJSON_AddObjectToObject(zones, z->name);
        uint64_t occ[DD_MAX_CLASSES];
        for (int c = 0; c < DD_MAX_CLASSES; c++)
            occ[c] = z->occupancy_per_class[c] > 0 ? (uint64_t)z->occupancy_per_class[c] : 0;
        cJSON_AddNumberToObject(zo, "occupancy", z->occupancy);
        dd_stats_json_per_class(zo, "occupancy_per_class", occ, s->labels, s->n_labels);
        cJSON_AddNumberToObject(zo, "entered", (double)z->entered);
        dd_stats_json_per_class(zo, "entered_per_class", z->entered_per_class, s->labels,
                                s->n_labels);
        for (int k = 0; k < cf->n_zones; k++) { /* fractions of the frame */
            if (strcmp(cf->zones[k].name, z->name) != 0) continue;
            cJSON *pts = cJSON_AddArrayToObject(zo, "points");
            for (int p = 0; p < cf->zones[k].n; p++)
                cJSON_AddItemToArray(pts, point(cf->zones[k].x[p], cf->zones[k].y[p]));
        }
    }
    cJSON *lines = cJSON_AddObjectToObject(o, "lines");
    for (int i = 0; i < sc->n_lines; i++) {
        const struct dd_line_counts *l = &sc->lines[i];
        cJSON *lo = cJSON_AddObjectToObject(lines, l->name);
        cJSON_AddNumberToObject(lo, "in", (double)l->in);
        cJSON_AddNumberToObject(lo, "out", (double)l->out);
        dd_stats_json_per_class(lo, "in_per_class", l->in_per_class, s->labels, s->n_labels);
        dd_stats_json_per_class(lo, "out_per_class", l->out_per_class, s->labels, s->n_labels);
        for (int k = 0; k < cf->n_lines; k++) {
            if (strcmp(cf->lines[k].name, l->name) != 0) continue;
            cJSON_AddItemToObject(lo, "a", point(cf->lines[k].x0, cf->lines[k].y0));
            cJSON_AddItemToObject(lo, "b", point(cf->lines[k].x1, cf->lines[k].y1));
        }
    }
    const struct dd_event_store_stats *e = &s->events;
    cJSON *ev = cJSON_AddObjectToObject(o, "events");
    cJSON_AddNumberToObject(ev, "total", (double)e->events);
    cJSON_AddNumberToObject(ev, "dropped", (double)sc->events_dropped);
    cJSON_AddNumberToObject(ev, "kept", e->history_kept);
    cJSON_AddNumberToObject(ev, "objects_followed", sc->objects);
    cJSON_AddNumberToObject(ev, "snapshots_encoded", (double)e->snapshots_encoded);
    cJSON_AddNumberToObject(ev, "snapshots_skipped", (double)e->snapshots_skipped);
    cJSON_AddNumberToObject(ev, "snapshots_kept", e->snapshots_kept);
    cJSON_AddNumberToObject(ev, "snapshot_bytes", (double)e->snapshot_bytes);
    cJSON_AddNumberToObject(ev, "snapshot_cpu_ms",
                            (double)(int64_t)(e->snapshot_cpu_ms * 1000) / 1000.0);
}

char *dd_status_json(const struct dd_daemon_status *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "state", s->state);
    cJSON_AddBoolToObject(o, "healthy", s->healthy);
    cJSON_AddNumberToObject(o, "uptime_s", (double)(int64_t)(s->uptime_s * 10) / 10.0);
    cJSON *proc = cJSON_AddObjectToObject(o, "process");
    cJSON_AddNumberToObject(proc, "rss_bytes", (double)s->process.rss_bytes);
    cJSON_AddNumberToObject(proc, "threads", s->process.threads);
    cJSON_AddNumberToObject(proc, "open_fds", s->process.open_fds);
    cJSON_AddNumberToObject(o, "fps_now", (double)(int64_t)(s->fps_now * 100) / 100.0);
    cJSON_AddNumberToObject(o, "detections_per_s",
                            (double)(int64_t)(s->detections_per_s * 100) / 100.0);
    cJSON *cfg = cJSON_AddObjectToObject(o, "config");
    cJSON_AddStringToObject(cfg, "path", s->config_path);
    cJSON_AddNumberToObject(cfg, "generation", (double)s->config_generation);
    cJSON_AddNumberToObject(cfg, "reloads_ok", (double)s->reloads_ok);
    cJSON_AddNumberToObject(cfg, "reloads_failed", (double)s->reloads_failed);
    cJSON_AddStringToObject(cfg, "last_reload_error", s->last_reload_error);
    cJSON_AddStringToObject(o, "model_path", s->model_path);
    cJSON_AddNumberToObject(o, "pipeline_restarts", (double)s->pipeline_restarts);
    cJSON_AddStringToObject(o, "last_pipeline_error", s->last_pipeline_error);
    cJSON_AddNumberToObject(o, "last_pipeline_error_age_s",
                            (double)(int64_t)(s->last_pipeline_error_age_s * 10) / 10.0);
    cJSON *pl = dd_pipeline_stats_json(&s->pipeline, s->labels, s->n_labels);
    /* per-stage rate: items through each stage per second of running */
    cJSON *stages = cJSON_GetObjectItem(pl, "stages");
    for (int i = 0; i < DD_STAGE_COUNT && stages; i++) {
        cJSON *st = cJSON_GetObjectItem(stages, dd_pipeline_stage_name((enum dd_pipeline_stage)i));
        double el = s->pipeline.elapsed_s;
        if (st)
            cJSON_AddNumberToObject(
                st, "fps",
                el > 0 ? (double)(int64_t)((double)s->pipeline.stage[i].count / el * 100) / 100.0
                       : 0.0);
    }
    cJSON_AddItemToObject(o, "pipeline", pl);
    scene_json(o, s);
    cJSON *mq = cJSON_AddObjectToObject(o, "mqtt");
    cJSON_AddBoolToObject(mq, "enabled", s->mqtt_enabled);
    cJSON_AddBoolToObject(mq, "connected", s->mqtt.connected);
    cJSON_AddNumberToObject(mq, "connects", (double)s->mqtt.connects);
    cJSON_AddNumberToObject(mq, "connect_failures", (double)s->mqtt.connect_failures);
    cJSON_AddNumberToObject(mq, "published", (double)s->mqtt.published);
    cJSON_AddNumberToObject(mq, "dropped", (double)s->mqtt.dropped);
    cJSON_AddNumberToObject(mq, "queued", s->mqtt.queued);
    cJSON_AddStringToObject(mq, "last_error", s->mqtt.last_error);
    cJSON *pv = cJSON_AddObjectToObject(o, "preview");
    cJSON_AddNumberToObject(pv, "encoded", (double)s->preview.encoded);
    cJSON_AddNumberToObject(pv, "encode_cpu_ms",
                            (double)(int64_t)(s->preview.encode_cpu_ms * 100) / 100.0);
    cJSON_AddNumberToObject(pv, "stream_clients", s->preview.watchers);
    cJSON *http = cJSON_AddObjectToObject(o, "http");
    cJSON_AddNumberToObject(http, "requests", (double)s->http_requests);
    cJSON_AddNumberToObject(http, "errors", (double)s->http_errors);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

struct buf {
    char *p;
    size_t n, cap;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) return;
        if (b->p && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = (b->cap ? b->cap * 2 : 8192) + (size_t)k;
        char *p = realloc(b->p, cap);
        if (!p) return;
        b->p = p;
        b->cap = cap;
    }
}

static void metric(struct buf *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP detectd_%s %s\n# TYPE detectd_%s %s\n", name, help, name, type);
}

/* Prometheus label values: backslash, quote and newline escaped. */
static void label_value(char *out, size_t size, const char *v)
{
    size_t k = 0;
    for (; *v && k + 3 < size; v++) {
        if (*v == '\\' || *v == '"') out[k++] = '\\';
        if (*v == '\n') {
            out[k++] = '\\';
            out[k++] = 'n';
            continue;
        }
        out[k++] = *v;
    }
    out[k] = 0;
}

/* Class c's name as a label value. */
static const char *class_label(const struct dd_daemon_status *s, int c, char *buf, size_t size)
{
    label_value(buf, size, s->labels && c < s->n_labels ? s->labels[c] : "?");
    return buf;
}

/* A counter by class: detectd_NAME{class="..."} for the classes with a non-zero count. */
static void per_class(struct buf *b, const struct dd_daemon_status *s, const char *name,
                      const char *help, const uint64_t *count)
{
    metric(b, name, "counter", help);
    char label[64];
    for (int c = 0; c < DD_MAX_CLASSES; c++)
        if (count[c])
            put(b, "detectd_%s{class=\"%s\"} %llu\n", name, class_label(s, c, label, sizeof(label)),
                (unsigned long long)count[c]);
}

static void scene_metrics(struct buf *b, const struct dd_daemon_status *s)
{
    const struct dd_scene_counts *sc = &s->scene;
    char cl[64];
    metric(b, "zone_occupancy", "gauge",
           "Objects in each zone now: all classes, and by class for the classes that entered.");
    for (int i = 0; i < sc->n_zones; i++) {
        const struct dd_zone_counts *z = &sc->zones[i];
        put(b, "detectd_zone_occupancy{zone=\"%s\"} %d\n", z->name, z->occupancy);
        for (int c = 0; c < DD_MAX_CLASSES; c++)
            if (z->entered_per_class[c])
                put(b, "detectd_zone_occupancy{zone=\"%s\",class=\"%s\"} %d\n", z->name,
                    class_label(s, c, cl, sizeof(cl)), z->occupancy_per_class[c]);
    }
    metric(b, "zone_entries_total", "counter", "Objects that entered each zone, by class.");
    for (int i = 0; i < sc->n_zones; i++)
        for (int c = 0; c < DD_MAX_CLASSES; c++)
            if (sc->zones[i].entered_per_class[c])
                put(b, "detectd_zone_entries_total{zone=\"%s\",class=\"%s\"} %llu\n",
                    sc->zones[i].name, class_label(s, c, cl, sizeof(cl)),
                    (unsigned long long)sc->zones[i].entered_per_class[c]);
    metric(b, "line_crossings_total", "counter",
           "Objects that crossed each line, by direction (in: left to right of A->B) and class.");
    for (int i = 0; i < sc->n_lines; i++) {
        const struct dd_line_counts *l = &sc->lines[i];
        for (int c = 0; c < DD_MAX_CLASSES; c++)
            for (int dir = 0; dir < 2; dir++) {
                uint64_t n = dir ? l->out_per_class[c] : l->in_per_class[c];
                if (!n) continue;
                put(b,
                    "detectd_line_crossings_total{line=\"%s\",direction=\"%s\",class=\"%s\"} "
                    "%llu\n",
                    l->name, dir ? "out" : "in", class_label(s, c, cl, sizeof(cl)),
                    (unsigned long long)n);
            }
    }
    if (s->mqtt_enabled) {
        metric(b, "mqtt_connected", "gauge", "1 while connected to the MQTT broker.");
        put(b, "detectd_mqtt_connected %d\n", s->mqtt.connected);
        metric(b, "mqtt_messages_total", "counter",
               "MQTT messages by result: published, or dropped (queue full while the broker was "
               "away).");
        put(b, "detectd_mqtt_messages_total{result=\"published\"} %llu\n",
            (unsigned long long)s->mqtt.published);
        put(b, "detectd_mqtt_messages_total{result=\"dropped\"} %llu\n",
            (unsigned long long)s->mqtt.dropped);
    }
    metric(b, "events_total", "counter", "Events raised (appeared, left, zones, lines).");
    put(b, "detectd_events_total %llu\n", (unsigned long long)s->events.events);
    metric(b, "event_snapshots_total", "counter",
           "Event snapshots by result: encoded, or skipped (the encoder was behind).");
    put(b, "detectd_event_snapshots_total{result=\"encoded\"} %llu\n",
        (unsigned long long)s->events.snapshots_encoded);
    put(b, "detectd_event_snapshots_total{result=\"skipped\"} %llu\n",
        (unsigned long long)s->events.snapshots_skipped);
}

char *dd_status_prometheus(const struct dd_daemon_status *s)
{
    const struct dd_pipeline_stats *p = &s->pipeline;
    struct buf b = {0};
    char model[128], backend[32];
    label_value(model, sizeof(model), p->model);
    label_value(backend, sizeof(backend), p->backend ? p->backend : "");
    metric(&b, "info", "gauge", "Build and running model.");
    put(&b, "detectd_info{version=\"%s\",model=\"%s\",backend=\"%s\"} 1\n", DD_VERSION, model,
        backend);
    metric(&b, "up", "gauge", "1 while frames flow through the pipeline.");
    put(&b, "detectd_up %d\n", s->healthy);
    metric(&b, "uptime_seconds", "gauge", "Seconds since the daemon started.");
    put(&b, "detectd_uptime_seconds %.1f\n", s->uptime_s);
    metric(&b, "process_resident_bytes", "gauge", "The daemon's resident memory.");
    put(&b, "detectd_process_resident_bytes %llu\n", (unsigned long long)s->process.rss_bytes);
    metric(&b, "process_threads", "gauge", "The daemon's threads.");
    put(&b, "detectd_process_threads %d\n", s->process.threads);
    metric(&b, "process_open_fds", "gauge", "The daemon's open file descriptors.");
    put(&b, "detectd_process_open_fds %d\n", s->process.open_fds);
    metric(&b, "config_generation", "gauge", "Config generation (1 at start, +1 per good reload).");
    put(&b, "detectd_config_generation %llu\n", (unsigned long long)s->config_generation);
    metric(&b, "config_reloads_total", "counter", "Config reloads by result.");
    put(&b, "detectd_config_reloads_total{result=\"ok\"} %llu\n",
        (unsigned long long)s->reloads_ok);
    put(&b, "detectd_config_reloads_total{result=\"failed\"} %llu\n",
        (unsigned long long)s->reloads_failed);
    metric(&b, "frames_total", "counter", "Frames by pipeline event.");
    const char *ev[] = {"captured", "processed", "output", "dropped", "skipped", "lost", "copied"};
    uint64_t val[] = {p->frames_captured, p->frames_processed, p->frames_output, p->frames_dropped,
                      p->frames_skipped,  p->frames_lost,      p->frame_copies};
    for (int i = 0; i < 7; i++)
        put(&b, "detectd_frames_total{event=\"%s\"} %llu\n", ev[i], (unsigned long long)val[i]);
    metric(&b, "accel_input_total", "counter",
           "Frames the accelerator (xrt backend) read, by path: imported DMA-BUF, user pointer, "
           "copy.");
    put(&b, "detectd_accel_input_total{path=\"imported\"} %llu\n",
        (unsigned long long)p->accel_imported);
    put(&b, "detectd_accel_input_total{path=\"userptr\"} %llu\n",
        (unsigned long long)p->accel_userptr);
    put(&b, "detectd_accel_input_total{path=\"copied\"} %llu\n",
        (unsigned long long)p->accel_copied);
    metric(&b, "fps", "gauge", "Frames out per second over the last second.");
    put(&b, "detectd_fps %.2f\n", s->fps_now);
    metric(&b, "stage_latency_ms", "gauge", "Wall time per frame of each stage, by quantile.");
    for (int i = 0; i < DD_STAGE_COUNT; i++) {
        const char *n = dd_pipeline_stage_name((enum dd_pipeline_stage)i);
        const struct dd_stage_summary *st = &p->stage[i];
        put(&b, "detectd_stage_latency_ms{stage=\"%s\",quantile=\"0.5\"} %.3f\n", n, st->p50_ms);
        put(&b, "detectd_stage_latency_ms{stage=\"%s\",quantile=\"0.9\"} %.3f\n", n, st->p90_ms);
        put(&b, "detectd_stage_latency_ms{stage=\"%s\",quantile=\"0.99\"} %.3f\n", n, st->p99_ms);
    }
    metric(&b, "stage_cpu_ms", "gauge", "CPU milliseconds per frame of each stage.");
    for (int i = 0; i < DD_STAGE_COUNT; i++)
        put(&b, "detectd_stage_cpu_ms{stage=\"%s\"} %.3f\n",
            dd_pipeline_stage_name((enum dd_pipeline_stage)i), p->stage_cpu_ms[i]);
    metric(&b, "latency_ms", "gauge", "End-to-end latency (capture to output) by quantile.");
    put(&b, "detectd_latency_ms{quantile=\"0.5\"} %.3f\n", p->latency.p50_ms);
    put(&b, "detectd_latency_ms{quantile=\"0.99\"} %.3f\n", p->latency.p99_ms);
    per_class(&b, s, "detections_total", "Detections drawn, by class.", p->detections_per_class);
    per_class(&b, s, "objects_total",
              "Distinct objects the tracker gave an ID, by class (this pipeline's run).",
              p->objects_per_class);
    scene_metrics(&b, s);
    metric(&b, "detections_dropped_total", "counter",
           "Detections lost to an allocation failure (not drawn or not reported).");
    put(&b, "detectd_detections_dropped_total %llu\n", (unsigned long long)p->detections_dropped);
    metric(&b, "errors_total", "counter", "Errors by stage.");
    put(&b, "detectd_errors_total{stage=\"detector\"} %llu\n",
        (unsigned long long)p->detector_errors);
    put(&b, "detectd_errors_total{stage=\"sink\"} %llu\n", (unsigned long long)p->sink_errors);
    metric(&b, "source_reopens_total", "counter", "Reopens of a lost capture device.");
    put(&b, "detectd_source_reopens_total %llu\n", (unsigned long long)p->source_reopens);
    metric(&b, "pipeline_restarts_total", "counter", "Pipeline rebuilds (reloads, failures).");
    put(&b, "detectd_pipeline_restarts_total %llu\n", (unsigned long long)s->pipeline_restarts);
    metric(&b, "preview_frames_total", "counter", "Preview JPEGs encoded.");
    put(&b, "detectd_preview_frames_total %llu\n", (unsigned long long)s->preview.encoded);
    metric(&b, "http_requests_total", "counter", "HTTP requests answered.");
    put(&b, "detectd_http_requests_total %llu\n", (unsigned long long)s->http_requests);
    return b.p;
}

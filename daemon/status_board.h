/* What the daemon publishes about itself: the main loop snapshots the
 * pipeline's stats a few times a second into the board; HTTP handlers read
 * the board (never the pipeline, which a reload may replace). Renders
 * /api/stats (JSON) and /metrics (Prometheus text). */
#ifndef DD_DAEMON_STATUS_BOARD_H
#define DD_DAEMON_STATUS_BOARD_H

#include <stdint.h>

#include "daemon/event_store.h"
#include "daemon/mqtt.h"
#include "daemon/preview.h"
#include "daemon/process_stats.h"
#include "pipeline/pipeline.h"
#include "tracking/scene.h"

struct dd_daemon_status {
    struct dd_pipeline_stats pipeline;
    const char *const *labels; /* the model's class names */
    int n_labels;
    char state[16]; /* starting | running | recovering | stalled | restarting | stopping */
    int healthy;    /* frames flowed within the stall window */
    double uptime_s;
    double fps_now, detections_per_s; /* over the last second */
    uint64_t config_generation, reloads_ok, reloads_failed, pipeline_restarts;
    char config_path[1024];
    char last_reload_error[DD_ERR_MSG_MAX + 64];
    char last_pipeline_error[DD_ERR_MSG_MAX + 64]; /* kept across restarts */
    double last_pipeline_error_age_s;              /* -1: none yet */
    char model_path[1024];
    struct dd_preview_stats preview;
    uint64_t http_requests, http_errors;
    struct dd_process_stats process;
    struct dd_scene_counts scene;        /* zones and lines */
    struct dd_scene_config scene_config; /* their geometry (for the dashboard) */
    struct dd_event_store_stats events;  /* history and snapshots */
    int mqtt_enabled;
    struct dd_mqtt_stats mqtt;
};

struct dd_status_board;

int dd_status_board_create(struct dd_status_board **out);
void dd_status_board_destroy(struct dd_status_board *b);
void dd_status_board_publish(struct dd_status_board *b, const struct dd_daemon_status *s);
int dd_status_board_healthy(struct dd_status_board *b);
/* Counts HTTP requests (served / answered with an error status). */
void dd_status_board_count_request(struct dd_status_board *b, int error);

/* The published snapshot as /api/stats JSON and /metrics text (malloc'd
 * copies; rendered once per publish, however many requests come). */
char *dd_status_board_json(struct dd_status_board *b);
char *dd_status_board_prometheus(struct dd_status_board *b);

/* Renderers (malloc'd text). */
char *dd_status_json(const struct dd_daemon_status *s);
char *dd_status_prometheus(const struct dd_daemon_status *s);

#endif

/* detectd's configuration: an INI file (parsed with inih) checked against the
 * schema in config/schema.c, which holds every key's type, range, default
 * and description in one place. Defaults go through the same parser as the
 * file, and the same table writes the documented sample (deploy/detectd.conf).
 *
 * Errors name the file, the line, the key and the accepted values; unknown
 * sections and keys are errors; a key given twice is an error. A value may
 * continue on indented lines (joined with a space), for long gst: pipelines. */
#ifndef DD_CONFIG_CONFIG_H
#define DD_CONFIG_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "common/log.h"
#include "isa/isa.h"
#include "pipeline/pipeline.h"

#define DD_CFG_STR_MAX 1024
#define DD_CFG_GEOM_MAX 384

struct dd_config {
    /* [source] */
    char source_uri[DD_CFG_STR_MAX];
    struct dd_cfg_size {
        uint32_t w, h; /* 0: the source's own */
    } source_size;
    enum dd_isa_frame_format source_format;
    int source_loop, source_realtime;
    int source_buffers;
    /* [model] */
    char model_package[DD_CFG_STR_MAX];
    char model_backend[32]; /* a name of the backend registry (accel/backend.h) */
    enum dd_detect_policy model_policy;
    char xclbin[DD_CFG_STR_MAX];
    char xrt_device[64];
    int rtl_config; /* an index of dd_cfg_rtl_configs */
    int xrt_timeout_ms;
    char backend_fallback[32]; /* a backend name, or "none" */
    /* [detector] (NaN / 0: the model's own) */
    float score_threshold, iou_threshold;
    int max_detections;
    char class_thresholds[DD_CFG_STR_MAX]; /* "name:score, ..." */
    char classes_allow[DD_CFG_STR_MAX];    /* "name, ..." (empty: all) */
    char classes_deny[DD_CFG_STR_MAX];
    struct dd_cfg_roi {
        int enabled;
        float v[4]; /* x0, y0, x1, y1 as fractions of the frame */
    } roi;
    /* [tracker] */
    int tracker_enabled;
    float tracker_high_score, tracker_low_score, tracker_match_iou, tracker_low_match_iou;
    int tracker_min_hits, tracker_max_misses;
    /* [zones], [lines]: "NAME: x,y x,y ..." or "" */
    char zones[8][DD_CFG_GEOM_MAX];
    char lines[8][DD_CFG_GEOM_MAX];
    int zones_anchor; /* enum dd_scene_anchor */
    int zones_min_frames;
    /* [events] */
    int events_history, events_snapshots, events_snapshot_width, events_snapshot_quality;
    /* [overlay] */
    int overlay_boxes, overlay_fps, overlay_zones;
    /* [sink] */
    char sink_output[DD_CFG_STR_MAX];
    char sink_drm_device[DD_CFG_STR_MAX];
    float sink_fps;
    /* [http] */
    int http_enabled;
    char http_listen[DD_CFG_STR_MAX]; /* HOST:PORT */
    char http_token[DD_CFG_STR_MAX];
    int http_max_connections, http_max_connections_per_ip;
    float http_request_deadline_s;
    int http_max_request_bytes, http_timeout_s;
    int preview_width;
    float preview_fps;
    int preview_quality;
    int history_s;
    /* [mqtt] */
    int mqtt_enabled, mqtt_port, mqtt_qos, mqtt_discovery, mqtt_queue_max, mqtt_keepalive_s;
    char mqtt_host[256], mqtt_client_id[128], mqtt_username[128];
    char mqtt_password_file[DD_CFG_STR_MAX], mqtt_tls_ca[DD_CFG_STR_MAX];
    char mqtt_topic_prefix[160], mqtt_discovery_prefix[128];
    float mqtt_stats_interval_s;
    /* [daemon] */
    enum dd_log_level log_level;
    float watchdog_stall_s;
    float stall_restart_s;
};

/* What a reload must redo when the listed keys differ (schema "apply"). */
enum dd_cfg_apply {
    DD_APPLY_LIVE = 1,     /* thresholds, classes, ROI, overlay, log level: set in place */
    DD_APPLY_MODEL = 2,    /* model package / backend: the detector is swapped */
    DD_APPLY_PIPELINE = 4, /* source, sink, policy: the pipeline is rebuilt */
    DD_APPLY_HTTP = 8,     /* listen address, limits: the HTTP server restarts */
    DD_APPLY_PREVIEW = 16, /* preview size/rate/quality, event history: set in place */
    DD_APPLY_MQTT = 32,    /* the MQTT client reconnects with the new settings */
};

/* The embedded default (every key at its schema default). */
void dd_config_defaults(struct dd_config *c);

/* Parses an INI file over the defaults. On error returns -1 and err says
 * "FILE:LINE: [section] key: what is wrong (accepted: ...)"; c is then
 * undefined (parse into a scratch copy to keep the last good one). */
int dd_config_load(const char *path, struct dd_config *c, struct dd_err *err);
/* The same from a string (name is used in messages). */
int dd_config_load_string(const char *name, const char *text, struct dd_config *c,
                          struct dd_err *err);

/* Sets one key from its text form (as in the file). */
int dd_config_set(struct dd_config *c, const char *section, const char *key, const char *value,
                  struct dd_err *err);

/* Calls fn(name, score, u) for each item of a class list ("person, car") or,
 * with_score, a class:score list ("person:0.5, car:0.4"), items trimmed.
 * Fails (bad says why) on an empty item, an item without a score in 0..1, or
 * when fn fails (fn writes its own reason). */
int dd_config_each_class(const char *list, int with_score,
                         int (*fn)(const char *name, float score, void *u), void *u, char *bad,
                         size_t bad_size);

/* Bitmask of dd_cfg_apply for the keys that differ. */
unsigned dd_config_diff(const struct dd_config *a, const struct dd_config *b);

/* Writes the documented sample config: every key with its description,
 * accepted values and default. */
void dd_config_write_sample(FILE *f);

#endif

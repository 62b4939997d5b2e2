#include "daemon/settings.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config/schema.h"
#include "daemon/paths.h"

int dd_pipeline_config_from(const struct dd_config *c, struct dd_pipeline_strings *strs,
                            struct dd_pipeline_config *out, struct dd_err *err)
{
    memset(out, 0, sizeof(*out));
    dd_resolve_source(c->source_uri, strs->source, sizeof(strs->source));
    dd_resolve_package(c->model_package, strs->model, sizeof(strs->model));
    snprintf(strs->sink, sizeof(strs->sink), "%s", c->sink_output);
    snprintf(strs->drm_device, sizeof(strs->drm_device), "%s", c->sink_drm_device);
    out->source.spec = strs->source;
    out->source.width = c->source_size.w;
    out->source.height = c->source_size.h;
    out->source.format = c->source_format;
    out->source.loop = c->source_loop;
    out->source.realtime = c->source_realtime;
    out->source.buffers = (unsigned)c->source_buffers;
    out->sink.spec = strs->sink;
    out->sink.drm_device = *strs->drm_device ? strs->drm_device : NULL;
    out->sink.fps = c->sink_fps;
    out->model = strs->model;
    dd_resolve_data(c->xclbin, "xclbin", "", strs->xclbin, sizeof(strs->xclbin));
    snprintf(strs->backend, sizeof(strs->backend), "%s", c->model_backend);
    snprintf(strs->fallback, sizeof(strs->fallback), "%s", c->backend_fallback);
    snprintf(strs->xrt_device, sizeof(strs->xrt_device), "%s", c->xrt_device);
    out->backend.name = strs->backend;
    out->backend.opts.xclbin = strs->xclbin;
    out->backend.opts.xrt_device = strs->xrt_device;
    out->backend.opts.timeout_ms = (unsigned)c->xrt_timeout_ms;
    out->backend.opts.rtl_config = dd_cfg_rtl_configs[c->rtl_config].name;
    out->backend.fallback = strcmp(strs->fallback, "none") == 0 ? NULL : strs->fallback;
    out->policy = c->model_policy;
    dd_detect_settings_default(&out->settings);
    (void)err;
    return 0;
}

struct class_visit {
    const struct dd_family_info *fam;
    int (*fn)(void *u, int cls, float score);
    void *u;
    char *bad;
    size_t bad_size;
};

static int visit_class(const char *name, float score, void *u)
{
    struct class_visit *v = u;
    int cls = dd_family_class_index(v->fam, name);
    if (cls < 0 || cls >= DD_MAX_CLASSES) {
        snprintf(v->bad, v->bad_size, "'%s' is not a class of the model %s", name, v->fam->name);
        return -1;
    }
    return v->fn(v->u, cls, score);
}

/* Calls fn(class, score) for each item of a "name[:score], ..." list. */
static int each_class(const char *list, const struct dd_family_info *fam, int with_score,
                      const char *key, int (*fn)(void *u, int cls, float score), void *u,
                      struct dd_err *err)
{
    char bad[DD_ERR_MSG_MAX / 2];
    struct class_visit v = {fam, fn, u, bad, sizeof(bad)};
    if (dd_config_each_class(list, with_score, visit_class, &v, bad, sizeof(bad)) != 0)
        return dd_err_set(err, "[detector] %s: %s", key, bad);
    return 0;
}

static int set_enabled(void *u, int cls, float score)
{
    (void)score;
    ((struct dd_detect_settings *)u)->class_enabled[cls] = 1;
    return 0;
}

static int set_disabled(void *u, int cls, float score)
{
    (void)score;
    ((struct dd_detect_settings *)u)->class_enabled[cls] = 0;
    return 0;
}

static int set_threshold(void *u, int cls, float score)
{
    ((struct dd_detect_settings *)u)->class_threshold[cls] = score;
    return 0;
}

int dd_settings_from_config(const struct dd_config *c, const struct dd_family_info *fam,
                            struct dd_detect_settings *out, struct dd_err *err)
{
    struct dd_detect_settings s;
    dd_detect_settings_default(&s);
    float global = isnan(c->score_threshold) ? fam->default_score_threshold : c->score_threshold;
    s.opts.score_threshold = global;
    s.opts.iou_threshold = isnan(c->iou_threshold) ? -1.0f : c->iou_threshold;
    s.opts.max_detections = c->max_detections;
    if (*c->classes_allow) {
        for (int i = 0; i < DD_MAX_CLASSES; i++) s.class_enabled[i] = 0;
        if (each_class(c->classes_allow, fam, 0, "classes_allow", set_enabled, &s, err) != 0)
            return -1;
    }
    if (each_class(c->classes_deny, fam, 0, "classes_deny", set_disabled, &s, err) != 0) return -1;
    if (each_class(c->class_thresholds, fam, 1, "class_thresholds", set_threshold, &s, err) != 0)
        return -1;
    /* the decoder keeps candidates down to the lowest per-class score; every
     * other class is then held to the global threshold */
    float lowest = global;
    for (int i = 0; i < DD_MAX_CLASSES; i++)
        if (s.class_threshold[i] >= 0 && s.class_threshold[i] < lowest)
            lowest = s.class_threshold[i];
    if (lowest < global) {
        s.opts.score_threshold = lowest;
        for (int i = 0; i < DD_MAX_CLASSES; i++)
            if (s.class_threshold[i] < 0) s.class_threshold[i] = global;
    }
    s.roi_enabled = c->roi.enabled;
    memcpy(s.roi, c->roi.v, sizeof(s.roi));
    s.overlay = c->overlay_boxes;
    s.overlay_fps = c->overlay_fps;
    s.overlay_zones = c->overlay_zones;
    *out = s;
    return 0;
}

const struct dd_mqtt_config *dd_mqtt_config_from(const struct dd_config *c,
                                                 struct dd_mqtt_config *out)
{
    if (!c->mqtt_enabled) return NULL;
    *out = (struct dd_mqtt_config){.host = c->mqtt_host,
                                   .port = c->mqtt_port,
                                   .client_id = c->mqtt_client_id,
                                   .username = c->mqtt_username,
                                   .password_file = c->mqtt_password_file,
                                   .tls_ca = c->mqtt_tls_ca,
                                   .topic_prefix = c->mqtt_topic_prefix,
                                   .qos = c->mqtt_qos,
                                   .stats_interval_s = c->mqtt_stats_interval_s,
                                   .discovery = c->mqtt_discovery,
                                   .discovery_prefix = c->mqtt_discovery_prefix,
                                   .queue_max = c->mqtt_queue_max,
                                   .keepalive_s = c->mqtt_keepalive_s};
    return out;
}

int dd_scene_config_from(const struct dd_config *c, struct dd_scene_config *out, struct dd_err *err)
{
    memset(out, 0, sizeof(*out));
    out->anchor = (enum dd_scene_anchor)c->zones_anchor;
    out->min_frames = c->zones_min_frames;
    for (int i = 0; i < 8; i++) {
        if (*c->zones[i] && dd_zone_parse(c->zones[i], &out->zones[out->n_zones++], err) != 0)
            return dd_err_prefix(err, "[zones] zone%d", i + 1);
        if (*c->lines[i] && dd_line_parse(c->lines[i], &out->lines[out->n_lines++], err) != 0)
            return dd_err_prefix(err, "[lines] line%d", i + 1);
    }
    if ((out->n_zones || out->n_lines) && !c->tracker_enabled)
        return dd_err_set(err, "[zones]/[lines] follow objects by their IDs: they need [tracker] "
                               "enabled = true");
    return dd_scene_config_check(out, err);
}

const struct dd_tracker_config *dd_tracker_config_from(const struct dd_config *c,
                                                       struct dd_tracker_config *out)
{
    if (!c->tracker_enabled) return NULL;
    *out = (struct dd_tracker_config){.high_score = c->tracker_high_score,
                                      .low_score = c->tracker_low_score,
                                      .match_iou = c->tracker_match_iou,
                                      .low_match_iou = c->tracker_low_match_iou,
                                      .min_hits = c->tracker_min_hits,
                                      .max_misses = c->tracker_max_misses};
    return out;
}

/* From the config to what the pipeline runs: the pipeline config (source,
 * sink, model path, backend, policy) and the live detect settings, with class
 * names resolved against the running model's labels. */
#ifndef DD_DAEMON_SETTINGS_H
#define DD_DAEMON_SETTINGS_H

#include "config/config.h"
#include "daemon/mqtt.h"
#include "postproc/family.h"
#include "pipeline/pipeline.h"
#include "tracking/scene.h"

/* Strings the pipeline config points into. */
struct dd_pipeline_strings {
    char source[DD_CFG_STR_MAX], model[DD_CFG_STR_MAX], sink[DD_CFG_STR_MAX],
        drm_device[DD_CFG_STR_MAX], xclbin[DD_CFG_STR_MAX], xrt_device[64], backend[32],
        fallback[32];
};

/* Fills out (pointing into strs); settings use the family defaults (set them
 * with dd_settings_from_config once the model is open). */
int dd_pipeline_config_from(const struct dd_config *c, struct dd_pipeline_strings *strs,
                            struct dd_pipeline_config *out, struct dd_err *err);

/* Thresholds, class allow/deny lists, per-class scores, ROI and overlay for a
 * model of family fam. Fails when a class is not one of the model's. */
int dd_settings_from_config(const struct dd_config *c, const struct dd_family_info *fam,
                            struct dd_detect_settings *out, struct dd_err *err);

/* The [tracker] section as the tracker's tuning; NULL-returning when tracking is off. */
const struct dd_tracker_config *dd_tracker_config_from(const struct dd_config *c,
                                                       struct dd_tracker_config *out);

/* The [mqtt] section as the client's config (pointing into c); NULL when MQTT is off. */
const struct dd_mqtt_config *dd_mqtt_config_from(const struct dd_config *c,
                                                 struct dd_mqtt_config *out);

/* The [zones] and [lines] sections as the scene's config: fails on names used twice, or zones
 * and lines while the tracker is off (they follow objects by their IDs). */
int dd_scene_config_from(const struct dd_config *c, struct dd_scene_config *out,
                         struct dd_err *err);

#endif

/* The pipeline's statistics as JSON (cJSON), shared by `detect pipeline`'s
 * summary line and the daemon's /api/stats. */
#ifndef DD_PIPELINE_STATS_JSON_H
#define DD_PIPELINE_STATS_JSON_H

#include <cjson/cJSON.h>

#include "pipeline/pipeline.h"

/* o[key]: {class name (or index): count} for the classes with a non-zero count. */
void dd_stats_json_per_class(cJSON *o, const char *key, const uint64_t *count,
                             const char *const *class_names, int num_classes);

/* class_names: num_classes labels for detections_per_class (NULL: numbers). */
cJSON *dd_pipeline_stats_json(const struct dd_pipeline_stats *s, const char *const *class_names,
                              int num_classes);

#endif

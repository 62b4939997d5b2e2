#include "pipeline/stats_json.h"

#include <math.h>
#include <stdio.h>

static double r3(double v)
{
    return isfinite(v) ? round(v * 1000.0) / 1000.0 : 0.0;
}

static cJSON *stage_json(const struct dd_stage_summary *s, double cpu_ms)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "count", (double)s->count);
    cJSON_AddNumberToObject(o, "mean_ms", r3(s->mean_ms));
    cJSON_AddNumberToObject(o, "p50_ms", r3(s->p50_ms));
    cJSON_AddNumberToObject(o, "p90_ms", r3(s->p90_ms));
    cJSON_AddNumberToObject(o, "p99_ms", r3(s->p99_ms));
    cJSON_AddNumberToObject(o, "max_ms", r3(s->max_ms));
    cJSON_AddNumberToObject(o, "cpu_ms", r3(cpu_ms));
    return o;
}

void dd_stats_json_per_class(cJSON *o, const char *key, const uint64_t *count,
                             const char *const *class_names, int num_classes)
{
    cJSON *pc = cJSON_AddObjectToObject(o, key);
    for (int c = 0; c < DD_MAX_CLASSES; c++) {
        if (!count[c]) continue;
        char num[16];
        snprintf(num, sizeof(num), "%d", c);
        cJSON_AddNumberToObject(pc, class_names && c < num_classes ? class_names[c] : num,
                                (double)count[c]);
    }
}

cJSON *dd_pipeline_stats_json(const struct dd_pipeline_stats *s, const char *const *class_names,
                              int num_classes)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "frames_captured", (double)s->frames_captured);
    cJSON_AddNumberToObject(o, "frames_processed", (double)s->frames_processed);
    cJSON_AddNumberToObject(o, "frames_output", (double)s->frames_output);
    cJSON_AddNumberToObject(o, "frames_dropped", (double)s->frames_dropped);
    cJSON_AddNumberToObject(o, "frames_skipped", (double)s->frames_skipped);
    cJSON_AddNumberToObject(o, "frames_lost", (double)s->frames_lost);
    cJSON_AddNumberToObject(o, "frame_copies", (double)s->frame_copies);
    cJSON_AddNumberToObject(o, "sink_zero_copy", (double)s->sink_zero_copy);
    cJSON *ai = cJSON_AddObjectToObject(o, "accel_input");
    cJSON_AddNumberToObject(ai, "imported", (double)s->accel_imported);
    cJSON_AddNumberToObject(ai, "userptr", (double)s->accel_userptr);
    cJSON_AddNumberToObject(ai, "copied", (double)s->accel_copied);
    cJSON_AddNumberToObject(o, "fps", r3(s->fps));
    cJSON_AddNumberToObject(o, "elapsed_s", r3(s->elapsed_s));
    cJSON_AddNumberToObject(o, "latency_p50_ms", r3(s->latency.p50_ms));
    cJSON_AddNumberToObject(o, "latency_p99_ms", r3(s->latency.p99_ms));
    cJSON_AddNumberToObject(o, "latency_max_ms", r3(s->latency.max_ms));
    cJSON *cpu = cJSON_AddObjectToObject(o, "stage_cpu_ms");
    cJSON *stages = cJSON_CreateObject();
    for (int i = 0; i < DD_STAGE_COUNT; i++) {
        const char *n = dd_pipeline_stage_name((enum dd_pipeline_stage)i);
        cJSON_AddNumberToObject(cpu, n, r3(s->stage_cpu_ms[i]));
        cJSON_AddItemToObject(stages, n, stage_json(&s->stage[i], s->stage_cpu_ms[i]));
    }
    cJSON_AddItemToObject(o, "stages", stages);
    cJSON_AddNumberToObject(o, "process_cpu_ms", r3(s->process_cpu_ms));
    cJSON_AddNumberToObject(o, "detections", (double)s->detections);
    cJSON_AddNumberToObject(o, "detections_dropped", (double)s->detections_dropped);
    dd_stats_json_per_class(o, "detections_per_class", s->detections_per_class, class_names,
                            num_classes);
    cJSON_AddNumberToObject(o, "objects_tracked", (double)s->objects_tracked);
    dd_stats_json_per_class(o, "objects_per_class", s->objects_per_class, class_names, num_classes);
    cJSON_AddNumberToObject(o, "detector_errors", (double)s->detector_errors);
    cJSON_AddNumberToObject(o, "sink_errors", (double)s->sink_errors);
    cJSON_AddNumberToObject(o, "source_reopens", (double)s->source_reopens);
    cJSON_AddStringToObject(o, "source", s->source_kind ? s->source_kind : "");
    cJSON_AddStringToObject(o, "sink", s->sink_kind ? s->sink_kind : "");
    cJSON_AddStringToObject(o, "buffers", s->buffer_kind ? s->buffer_kind : "");
    cJSON_AddStringToObject(o, "backend", s->backend ? s->backend : "");
    cJSON_AddStringToObject(o, "model", s->model);
    cJSON_AddStringToObject(o, "backend_fallback", s->backend_fallback);
    cJSON_AddNumberToObject(o, "detector_swaps", (double)s->detector_swaps);
    cJSON_AddNumberToObject(o, "width", s->width);
    cJSON_AddNumberToObject(o, "height", s->height);
    cJSON_AddStringToObject(o, "last_error", s->last_error);
    return o;
}

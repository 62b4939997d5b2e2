/* Timing of one pipeline stage: a histogram of wall durations with
 * logarithmic buckets (about 3% wide, 1 us .. 100 s) for percentiles, plus
 * counts and the CPU time the stage spent. Recorded by the stage's thread,
 * read by anyone (a mutex guards it; recording costs ~50 ns). */
#ifndef DD_PIPELINE_STAGE_STATS_H
#define DD_PIPELINE_STAGE_STATS_H

#include <pthread.h>
#include <stdint.h>

#define DD_HIST_BUCKETS 640

struct dd_stage_stats {
    pthread_mutex_t mu;
    uint64_t count;
    int64_t wall_ns_total, cpu_ns_total, wall_ns_max;
    uint32_t buckets[DD_HIST_BUCKETS];
};

void dd_stage_stats_init(struct dd_stage_stats *s);
void dd_stage_stats_destroy(struct dd_stage_stats *s);
void dd_stage_stats_reset(struct dd_stage_stats *s);
void dd_stage_stats_record(struct dd_stage_stats *s, int64_t wall_ns, int64_t cpu_ns);

struct dd_stage_summary {
    uint64_t count;
    double mean_ms, p50_ms, p90_ms, p99_ms, max_ms;
    double cpu_ms_per_item; /* CPU milliseconds per recorded item */
};

void dd_stage_stats_summary(struct dd_stage_stats *s, struct dd_stage_summary *out);

/* The bucket holding a duration and a bucket's representative value (its
 * geometric middle), exposed for tests. */
int dd_hist_bucket(int64_t ns);
double dd_hist_bucket_value_ns(int b);

#endif

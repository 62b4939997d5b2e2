#include "pipeline/stage_stats.h"

#include <math.h>
#include <string.h>

#define HIST_MIN_NS 1000.0 /* bucket 0 holds everything below 1 us */
#define HIST_RATIO 1.03

void dd_stage_stats_init(struct dd_stage_stats *s)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
}

void dd_stage_stats_destroy(struct dd_stage_stats *s)
{
    pthread_mutex_destroy(&s->mu);
}

void dd_stage_stats_reset(struct dd_stage_stats *s)
{
    pthread_mutex_lock(&s->mu);
    s->count = 0;
    s->wall_ns_total = s->cpu_ns_total = s->wall_ns_max = 0;
    memset(s->buckets, 0, sizeof(s->buckets));
    pthread_mutex_unlock(&s->mu);
}

int dd_hist_bucket(int64_t ns)
{
    if (ns <= (int64_t)HIST_MIN_NS) return 0;
    int b = 1 + (int)(log((double)ns / HIST_MIN_NS) / log(HIST_RATIO));
    return b >= DD_HIST_BUCKETS ? DD_HIST_BUCKETS - 1 : b;
}

double dd_hist_bucket_value_ns(int b)
{
    if (b <= 0) return HIST_MIN_NS / 2;
    return HIST_MIN_NS * pow(HIST_RATIO, (double)b - 0.5);
}

void dd_stage_stats_record(struct dd_stage_stats *s, int64_t wall_ns, int64_t cpu_ns)
{
    if (wall_ns < 0) wall_ns = 0;
    int b = dd_hist_bucket(wall_ns);
    pthread_mutex_lock(&s->mu);
    s->count++;
    s->wall_ns_total += wall_ns;
    s->cpu_ns_total += cpu_ns > 0 ? cpu_ns : 0;
    if (wall_ns > s->wall_ns_max) s->wall_ns_max = wall_ns;
    s->buckets[b]++;
    pthread_mutex_unlock(&s->mu);
}

static double percentile(const uint32_t *buckets, uint64_t count, double p, double max_ms)
{
    if (count == 0) return 0.0;
    uint64_t rank = (uint64_t)ceil(p * (double)count);
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (int b = 0; b < DD_HIST_BUCKETS; b++) {
        seen += buckets[b];
        if (seen >= rank) {
            double v = dd_hist_bucket_value_ns(b) / 1e6;
            return v > max_ms ? max_ms : v;
        }
    }
    return max_ms;
}

void dd_stage_stats_summary(struct dd_stage_stats *s, struct dd_stage_summary *out)
{
    uint32_t local[DD_HIST_BUCKETS];
    pthread_mutex_lock(&s->mu);
    memcpy(local, s->buckets, sizeof(local));
    uint64_t n = s->count;
    int64_t wall = s->wall_ns_total, cpu = s->cpu_ns_total, mx = s->wall_ns_max;
    pthread_mutex_unlock(&s->mu);
    memset(out, 0, sizeof(*out));
    out->count = n;
    if (!n) return;
    out->max_ms = (double)mx / 1e6;
    out->mean_ms = (double)wall / 1e6 / (double)n;
    out->cpu_ms_per_item = (double)cpu / 1e6 / (double)n;
    out->p50_ms = percentile(local, n, 0.50, out->max_ms);
    out->p90_ms = percentile(local, n, 0.90, out->max_ms);
    out->p99_ms = percentile(local, n, 0.99, out->max_ms);
}

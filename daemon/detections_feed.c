#include "daemon/detections_feed.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"

#define FEED_MAX_DETS 256
#define FEED_MAX_LATENCIES 512

struct dd_feed {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t seq, frame;
    double wall_s; /* CLOCK_REALTIME at publish */
    uint32_t width, height;
    const char *const *labels;
    int n_labels;
    size_t n;
    struct dd_det dets[FEED_MAX_DETS];
    float lat[FEED_MAX_LATENCIES];
    int n_lat;
};

int dd_feed_create(struct dd_feed **out)
{
    struct dd_feed *f = calloc(1, sizeof(*f));
    if (!f) return -1;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    *out = f;
    return 0;
}

void dd_feed_destroy(struct dd_feed *f)
{
    if (!f) return;
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

void dd_feed_publish(struct dd_feed *f, uint64_t frame, uint32_t width, uint32_t height,
                     const struct dd_det_list *dets, const char *const *labels, int n_labels,
                     double latency_ms)
{
    int64_t now = dd_realtime_ns();
    pthread_mutex_lock(&f->mu);
    f->seq++;
    f->frame = frame;
    f->wall_s = (double)now / 1e9;
    f->width = width;
    f->height = height;
    f->labels = labels;
    f->n_labels = n_labels;
    f->n = dets->n < FEED_MAX_DETS ? dets->n : FEED_MAX_DETS;
    if (f->n) memcpy(f->dets, dets->v, f->n * sizeof(struct dd_det));
    if (f->n_lat < FEED_MAX_LATENCIES) f->lat[f->n_lat++] = (float)latency_ms;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static double r1(double v)
{
    return round(v * 10.0) / 10.0;
}

/* Called with mu held. */
static char *render(struct dd_feed *f)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "seq", (double)f->seq);
    cJSON_AddNumberToObject(o, "frame", (double)f->frame);
    cJSON_AddNumberToObject(o, "time", round(f->wall_s * 1000.0) / 1000.0);
    cJSON_AddNumberToObject(o, "width", f->width);
    cJSON_AddNumberToObject(o, "height", f->height);
    cJSON *arr = cJSON_AddArrayToObject(o, "detections");
    for (size_t i = 0; i < f->n; i++) {
        const struct dd_det *d = &f->dets[i];
        cJSON *e = cJSON_CreateObject();
        if (d->id > 0) cJSON_AddNumberToObject(e, "id", d->id); /* the tracker's object ID */
        cJSON_AddNumberToObject(e, "class_id", d->cls);
        cJSON_AddStringToObject(e, "class",
                                d->cls >= 0 && d->cls < f->n_labels ? f->labels[d->cls] : "?");
        cJSON_AddNumberToObject(e, "score", round(d->score * 1000.0) / 1000.0);
        cJSON *box = cJSON_AddArrayToObject(e, "box");
        cJSON_AddItemToArray(box, cJSON_CreateNumber(r1(d->x1)));
        cJSON_AddItemToArray(box, cJSON_CreateNumber(r1(d->y1)));
        cJSON_AddItemToArray(box, cJSON_CreateNumber(r1(d->x2)));
        cJSON_AddItemToArray(box, cJSON_CreateNumber(r1(d->y2)));
        cJSON_AddItemToArray(arr, e);
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

char *dd_feed_json(struct dd_feed *f, uint64_t *seq)
{
    pthread_mutex_lock(&f->mu);
    char *s = f->seq ? render(f) : NULL;
    if (seq) *seq = f->seq;
    pthread_mutex_unlock(&f->mu);
    return s;
}

char *dd_feed_wait_json(struct dd_feed *f, uint64_t after_seq, int timeout_ms, uint64_t *seq)
{
    struct timespec until = dd_deadline_ms(timeout_ms);
    pthread_mutex_lock(&f->mu);
    while (f->seq <= after_seq)
        if (pthread_cond_timedwait(&f->cv, &f->mu, &until) != 0) break;
    char *s = f->seq > after_seq ? render(f) : NULL;
    if (seq) *seq = f->seq;
    pthread_mutex_unlock(&f->mu);
    return s;
}

int dd_feed_take_latencies(struct dd_feed *f, float *out, int max)
{
    pthread_mutex_lock(&f->mu);
    int n = f->n_lat < max ? f->n_lat : max;
    memcpy(out, f->lat, (size_t)n * sizeof(float));
    f->n_lat = 0;
    pthread_mutex_unlock(&f->mu);
    return n;
}

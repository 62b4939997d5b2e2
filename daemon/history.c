#include "daemon/history.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct dd_history {
    pthread_mutex_t mu;
    struct dd_history_sample *v;
    size_t cap, n, head; /* head: next write */
};

int dd_history_create(size_t capacity, struct dd_history **out)
{
    struct dd_history *h = calloc(1, sizeof(*h));
    if (!h || !(h->v = calloc(capacity, sizeof(*h->v)))) {
        free(h);
        return -1;
    }
    h->cap = capacity;
    pthread_mutex_init(&h->mu, NULL);
    *out = h;
    return 0;
}

void dd_history_destroy(struct dd_history *h)
{
    if (!h) return;
    pthread_mutex_destroy(&h->mu);
    free(h->v);
    free(h);
}

static const struct dd_history_sample *at(const struct dd_history *h, size_t i) /* oldest = 0 */
{
    return &h->v[(h->head + h->cap - h->n + i) % h->cap];
}

int dd_history_resize(struct dd_history *h, size_t capacity)
{
    struct dd_history_sample *v = calloc(capacity, sizeof(*v));
    if (!v) return -1;
    pthread_mutex_lock(&h->mu);
    size_t keep = h->n < capacity ? h->n : capacity;
    for (size_t i = 0; i < keep; i++) v[i] = *at(h, h->n - keep + i);
    free(h->v);
    h->v = v;
    h->cap = capacity;
    h->n = keep;
    h->head = keep % capacity;
    pthread_mutex_unlock(&h->mu);
    return 0;
}

void dd_history_add(struct dd_history *h, const struct dd_history_sample *s)
{
    pthread_mutex_lock(&h->mu);
    h->v[h->head] = *s;
    h->head = (h->head + 1) % h->cap;
    if (h->n < h->cap) h->n++;
    pthread_mutex_unlock(&h->mu);
}

static double r2(double v)
{
    return isfinite(v) ? round(v * 100.0) / 100.0 : 0.0;
}

char *dd_history_json(struct dd_history *h)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *t = cJSON_AddArrayToObject(o, "t"), *fps = cJSON_AddArrayToObject(o, "fps"),
          *p50 = cJSON_AddArrayToObject(o, "latency_p50_ms"),
          *mx = cJSON_AddArrayToObject(o, "latency_max_ms"),
          *dps = cJSON_AddArrayToObject(o, "detections_per_s");
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < h->n; i++) {
        const struct dd_history_sample *s = at(h, i);
        cJSON_AddItemToArray(t, cJSON_CreateNumber(r2(s->t)));
        cJSON_AddItemToArray(fps, cJSON_CreateNumber(r2(s->fps)));
        cJSON_AddItemToArray(p50, cJSON_CreateNumber(r2(s->latency_p50)));
        cJSON_AddItemToArray(mx, cJSON_CreateNumber(r2(s->latency_max)));
        cJSON_AddItemToArray(dps, cJSON_CreateNumber(r2(s->dets_per_s)));
    }
    pthread_mutex_unlock(&h->mu);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

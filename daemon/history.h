/* A ring of one-second samples (fps, latency, detections per second) for the
 * dashboard's chart: GET /api/history. */
#ifndef DD_DAEMON_HISTORY_H
#define DD_DAEMON_HISTORY_H

#include <stddef.h>

struct dd_history_sample {
    double t;          /* seconds since the daemon started */
    float fps;         /* frames out in that second */
    float latency_p50; /* end-to-end ms, median of that second's frames */
    float latency_max;
    float dets_per_s;
};

struct dd_history;

int dd_history_create(size_t capacity, struct dd_history **out);
void dd_history_destroy(struct dd_history *h);
/* Keeps the newest capacity samples (resizing keeps the newest). */
int dd_history_resize(struct dd_history *h, size_t capacity);
void dd_history_add(struct dd_history *h, const struct dd_history_sample *s);
/* {"t":[...],"fps":[...],"latency_p50_ms":[...],"latency_max_ms":[...],
 *  "detections_per_s":[...]} (malloc'd). */
char *dd_history_json(struct dd_history *h);

#endif

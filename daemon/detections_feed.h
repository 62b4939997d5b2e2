/* The latest frame's detections, for GET /api/detections and the
 * Server-Sent Events stream /api/events. The pipeline's output thread
 * publishes (a copy of a few boxes, no JSON work); readers render JSON. */
#ifndef DD_DAEMON_DETECTIONS_FEED_H
#define DD_DAEMON_DETECTIONS_FEED_H

#include <stdint.h>

#include "postproc/detection.h"

struct dd_feed;

int dd_feed_create(struct dd_feed **out);
void dd_feed_destroy(struct dd_feed *f);

/* frame: the source's sequence number; labels: the model's class names. */
void dd_feed_publish(struct dd_feed *f, uint64_t frame, uint32_t width, uint32_t height,
                     const struct dd_det_list *dets, const char *const *labels, int n_labels,
                     double latency_ms);

/* The latest detections as a JSON object (malloc'd) and their sequence
 * number; NULL before the first frame. */
char *dd_feed_json(struct dd_feed *f, uint64_t *seq);
/* The same, waiting up to timeout_ms for one newer than after_seq. */
char *dd_feed_wait_json(struct dd_feed *f, uint64_t after_seq, int timeout_ms, uint64_t *seq);

/* Moves the end-to-end latencies (ms) published since the last call into
 * out (at most max; the rest are dropped); returns how many. */
int dd_feed_take_latencies(struct dd_feed *f, float *out, int max);

#endif

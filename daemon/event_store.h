/* The scene's events for the HTTP API and MQTT: a bounded history (the oldest go first) and
 * JPEG snapshots of the latest ones. The pipeline's output thread offers each frame; a frame
 * carrying events (f->events) is recorded and, when snapshots are on, scaled once into I420
 * planes (like the previews: a small fraction of the frame); a thread at nice 10 draws each
 * event's box on its own copy and encodes it (libjpeg-turbo). When the encoder is SNAP_QUEUE
 * frames behind, the new frame's events get no snapshot (counted): the pipeline never waits. */
#ifndef DD_DAEMON_EVENT_STORE_H
#define DD_DAEMON_EVENT_STORE_H

#include <stdint.h>

#include "common/error.h"
#include "daemon/preview.h"
#include "pipeline/frame.h"

struct dd_event_store_config {
    int history;   /* events kept */
    int snapshots; /* snapshots kept (0: none taken) */
    int width;     /* snapshot width */
    int quality;   /* JPEG quality */
};

struct dd_event_store_stats {
    uint64_t events;            /* recorded since start */
    uint64_t snapshots_encoded; /* JPEGs made */
    uint64_t snapshots_skipped; /* events that got none: the encoder was behind */
    uint64_t snapshot_bytes;    /* bytes of the JPEGs kept now */
    int snapshots_kept, history_kept;
    double snapshot_cpu_ms; /* mean CPU per snapshot: scale share + draw + encode */
};

struct dd_event_store;

int dd_event_store_create(const struct dd_event_store_config *c, struct dd_event_store **out,
                          struct dd_err *err);
void dd_event_store_set_config(struct dd_event_store *es, const struct dd_event_store_config *c);
void dd_event_store_destroy(struct dd_event_store *es);

/* Output thread: records f's events (labels: class names of the model that found them, static
 * tables) and queues their snapshots. Never blocks on encoding. */
void dd_event_store_offer(struct dd_event_store *es, struct dd_frame *f, const char *const *labels,
                          int n_labels);

/* {"events": [...oldest first, seq > after, at most max...], "last": SEQ} (malloc'd). */
char *dd_event_store_json(struct dd_event_store *es, uint64_t after, int max);
/* The first event after `after` as one JSON object (malloc'd) and its type and seq, waiting up
 * to timeout_ms; NULL when none came. */
char *dd_event_store_next(struct dd_event_store *es, uint64_t after, int timeout_ms, uint64_t *seq,
                          const char **type);
/* The newest event's seq (0: none yet). */
uint64_t dd_event_store_last(struct dd_event_store *es);

enum dd_snapshot_status { DD_SNAPSHOT_OK, DD_SNAPSHOT_PENDING, DD_SNAPSHOT_NONE };
/* The snapshot of event seq (a reference: dd_jpeg_unref), or NULL with why. */
struct dd_jpeg *dd_event_store_snapshot(struct dd_event_store *es, uint64_t seq,
                                        enum dd_snapshot_status *why);

void dd_event_store_get_stats(struct dd_event_store *es, struct dd_event_store_stats *out);

#endif

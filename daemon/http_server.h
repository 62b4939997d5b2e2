/* The HTTP endpoint (libmicrohttpd, one thread per connection):
 *   GET /                 the dashboard (live preview, stats, fps/latency chart)
 *   GET /api/stats        JSON stats          GET /metrics   Prometheus text
 *   GET /api/history      chart samples       GET /healthz   200 while frames flow
 *   GET /api/detections   latest detections   GET /api/events  Server-Sent Events
 *   GET /snapshot.jpg     annotated preview   GET /stream.mjpg multipart MJPEG
 *   GET /api/events/recent[?after=SEQ][&max=N]   the event history (oldest first)
 *   GET /api/events/SEQ/snapshot.jpg              an event's snapshot
 * /api/events sends each frame's detections (event: detections) and the scene's events
 * (event: appeared | left | zone_enter | zone_leave | line_cross) as they happen.
 * With a token, every endpoint but /healthz needs "Authorization: Bearer T"
 * (or ?access_token=T, for the browser's <img> and EventSource). Only GET and
 * HEAD; requests over the size limit, unknown paths and methods get 4xx. */
#ifndef DD_DAEMON_HTTP_SERVER_H
#define DD_DAEMON_HTTP_SERVER_H

#include "common/error.h"
#include "daemon/detections_feed.h"
#include "daemon/event_store.h"
#include "daemon/history.h"
#include "daemon/preview.h"
#include "daemon/status_board.h"

struct dd_http_config {
    const char *listen; /* HOST:PORT */
    const char *token;  /* NULL or "": none */
    unsigned max_connections, max_connections_per_ip;
    size_t max_request_bytes;
    unsigned timeout_s;        /* idle */
    double request_deadline_s; /* a whole request head */
};

/* What the handlers read; all outlive the server. */
struct dd_http_sources {
    struct dd_status_board *board;
    struct dd_feed *feed;
    struct dd_preview *preview;
    struct dd_history *history;
    struct dd_event_store *events;
};

struct dd_http_server;

int dd_http_server_start(const struct dd_http_config *cfg, const struct dd_http_sources *src,
                         struct dd_http_server **out, struct dd_err *err);
/* Ends the streams, closes connections and joins the server's threads. */
void dd_http_server_stop(struct dd_http_server *s);
/* The bound port (useful with port 0). */
unsigned dd_http_server_port(const struct dd_http_server *s);

#endif

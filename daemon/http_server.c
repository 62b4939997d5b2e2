#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* POLLRDHUP */
#endif
#include "daemon/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/listen_addr.h"
#include "common/log.h"
#include "daemon/http_guard.h"

#define STREAM_BOUNDARY "detectdframe"
#define SSE_KEEPALIVE_NS 10000000000LL
#define WAIT_STEP_MS 500
#define HTTP_NICE 5
#define TOKEN_MAX 1024 /* the config's longest value, its NUL included */

extern const unsigned char dd_dashboard_html[];
extern const unsigned long dd_dashboard_html_len;

struct dd_http_server {
    struct MHD_Daemon *mhd;
    struct dd_http_guard *guard;
    struct dd_http_sources src;
    char token[TOKEN_MAX];
    atomic_int stopping;
    unsigned port;
};

/* ---- responses ---- */

static enum MHD_Result send_text(struct dd_http_server *s, struct MHD_Connection *c,
                                 unsigned status, const char *type, char *body, int take)
{
    if (!body) {
        body = "{\"error\":\"out of memory\"}";
        take = 0;
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(body), body, take ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        if (take) free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"detectd\"");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    dd_status_board_count_request(s->src.board, status >= 400);
    return ret;
}

/* {"KEY":"MSG"} (msg: our own literals, no escaping needed) */
static enum MHD_Result send_msg(struct dd_http_server *s, struct MHD_Connection *c, unsigned status,
                                const char *key, const char *msg)
{
    char *body = malloc(strlen(msg) + strlen(key) + 16);
    if (body) sprintf(body, "{\"%s\":\"%s\"}\n", key, msg);
    return send_text(s, c, status, "application/json", body, 1);
}

static enum MHD_Result send_error(struct dd_http_server *s, struct MHD_Connection *c,
                                  unsigned status, const char *msg)
{
    return send_msg(s, c, status, "error", msg);
}

/* ---- streams ---- */

/* Whether the client of a stream has gone (closed or half-closed its side, or
 * the socket failed): a stream that waits for frames that do not come (a
 * stalled pipeline) writes nothing, and would never notice otherwise. */
static int peer_gone(int fd)
{
    if (fd < 0) return 0;
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

static int connection_fd(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    return ci ? ci->connect_fd : -1;
}

struct mjpeg_stream {
    struct dd_http_server *s;
    int fd; /* the client's socket, polled for a hang-up while no frame comes */
    struct dd_jpeg *cur;
    uint64_t seq;
    char head[160];
    size_t head_len, off; /* off: into head + jpeg + "\r\n" */
};

static ssize_t mjpeg_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct mjpeg_stream *m = cls;
    while (!m->cur) {
        if (atomic_load(&m->s->stopping)) return MHD_CONTENT_READER_END_OF_STREAM;
        m->cur = dd_preview_wait(m->s->src.preview, m->seq, WAIT_STEP_MS);
        if (!m->cur) {
            if (peer_gone(m->fd)) return MHD_CONTENT_READER_END_WITH_ERROR;
            continue;
        }
        m->seq = m->cur->seq;
        m->off = 0;
        m->head_len = (size_t)snprintf(m->head, sizeof(m->head),
                                       "--" STREAM_BOUNDARY "\r\nContent-Type: image/jpeg\r\n"
                                       "Content-Length: %zu\r\n\r\n",
                                       m->cur->size);
    }
    size_t total = m->head_len + m->cur->size + 2, n = 0;
    while (n < max && m->off < total) {
        size_t o = m->off, chunk;
        if (o < m->head_len) {
            chunk = m->head_len - o < max - n ? m->head_len - o : max - n;
            memcpy(buf + n, m->head + o, chunk);
        } else if (o < m->head_len + m->cur->size) {
            size_t jo = o - m->head_len;
            chunk = m->cur->size - jo < max - n ? m->cur->size - jo : max - n;
            memcpy(buf + n, m->cur->data + jo, chunk);
        } else {
            size_t to = o - m->head_len - m->cur->size;
            chunk = 2 - to < max - n ? 2 - to : max - n;
            memcpy(buf + n, &"\r\n"[to], chunk);
        }
        n += chunk;
        m->off += chunk;
    }
    if (m->off == total) {
        dd_jpeg_unref(m->cur);
        m->cur = NULL;
    }
    return (ssize_t)n;
}

static void mjpeg_free(void *cls)
{
    struct mjpeg_stream *m = cls;
    dd_preview_watchers(m->s->src.preview, -1);
    dd_jpeg_unref(m->cur);
    free(m);
}

struct sse_stream {
    struct dd_http_server *s;
    int fd;
    uint64_t seq, event_seq;
    char *pending;
    size_t len, off;
    int64_t last_send_ns;
};

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct sse_stream *e = cls;
    while (!e->pending) {
        if (atomic_load(&e->s->stopping)) return MHD_CONTENT_READER_END_OF_STREAM;
        const char *type;
        char *ev = e->s->src.events ? dd_event_store_next(e->s->src.events, e->event_seq, 0,
                                                          &e->event_seq, &type)
                                    : NULL;
        if (ev) { /* the scene's events first: they are rarer and matter more */
            size_t need = strlen(ev) + 96;
            e->pending = malloc(need);
            if (e->pending)
                e->len = (size_t)snprintf(e->pending, need, "id: e%llu\nevent: %s\ndata: %s\n\n",
                                          (unsigned long long)e->event_seq, type, ev);
            free(ev);
            if (!e->pending) return MHD_CONTENT_READER_END_WITH_ERROR;
            e->off = 0;
            break;
        }
        char *json = dd_feed_wait_json(e->s->src.feed, e->seq, WAIT_STEP_MS, &e->seq);
        int64_t now = dd_now_ns();
        if (json) {
            size_t need = strlen(json) + 64;
            e->pending = malloc(need);
            if (e->pending)
                e->len =
                    (size_t)snprintf(e->pending, need, "id: %llu\nevent: detections\ndata: %s\n\n",
                                     (unsigned long long)e->seq, json);
            free(json);
            if (!e->pending) return MHD_CONTENT_READER_END_WITH_ERROR;
        } else if (peer_gone(e->fd)) {
            return MHD_CONTENT_READER_END_WITH_ERROR;
        } else if (now - e->last_send_ns > SSE_KEEPALIVE_NS) {
            e->pending = strdup(": keepalive\n\n");
            if (!e->pending) return MHD_CONTENT_READER_END_WITH_ERROR;
            e->len = strlen(e->pending);
        }
        e->off = 0;
    }
    size_t n = e->len - e->off < max ? e->len - e->off : max;
    memcpy(buf, e->pending + e->off, n);
    e->off += n;
    if (e->off == e->len) {
        free(e->pending);
        e->pending = NULL;
        e->last_send_ns = dd_now_ns();
    }
    return (ssize_t)n;
}

static void sse_free(void *cls)
{
    struct sse_stream *e = cls;
    free(e->pending);
    free(e);
}

static enum MHD_Result send_stream(struct dd_http_server *s, struct MHD_Connection *c,
                                   const char *type, MHD_ContentReaderCallback rd,
                                   MHD_ContentReaderFreeCallback fr, void *cls)
{
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, rd, cls, fr);
    if (!r) {
        fr(cls);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    dd_status_board_count_request(s->src.board, 0);
    return ret;
}

/* Sends a JPEG (the reference passes to the response). */
static enum MHD_Result send_jpeg(struct dd_http_server *s, struct MHD_Connection *c,
                                 struct dd_jpeg *j)
{
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback_cls(
        j->size, j->data, (MHD_ContentReaderFreeCallback)dd_jpeg_unref, j);
    if (!r) {
        dd_jpeg_unref(j);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "image/jpeg");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    dd_status_board_count_request(s->src.board, 0);
    return ret;
}

/* ?name=N: 0 and *out untouched when absent; -1 when not a number in [lo, hi]. */
static int query_number(struct MHD_Connection *c, const char *name, uint64_t lo, uint64_t hi,
                        uint64_t *out)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    if (!v) return 0;
    char *end;
    if (*v < '0' || *v > '9') return -1;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || n < lo || n > hi) return -1;
    *out = n;
    return 0;
}

/* ---- routing ---- */

static int token_ok(struct dd_http_server *s, struct MHD_Connection *c)
{
    if (!*s->token) return 1;
    const char *given = NULL;
    const char *auth =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0) given = auth + 7; /* RFC 7235: any case */
    if (!given) given = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "access_token");
    if (!given) return 0;
    size_t a = strlen(given), b = strlen(s->token);
    unsigned diff = (unsigned)(a ^ b);
    for (size_t i = 0; i < b; i++)
        diff |= (unsigned char)s->token[i] ^ (unsigned char)given[i < a ? i : 0];
    return diff == 0;
}

/* The request target as sent, before libmicrohttpd decodes it: a path with a %-escape names no
 * endpoint ("/api%2Fstats", "/%68ealthz", "/api/stats%00.jpg" must not reach one). Its return
 * value is the request's first *con_cls. */
static char escaped_path_mark;
static void *uri_seen(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    size_t path_len = strcspn(uri, "?");
    return memchr(uri, '%', path_len) ? &escaped_path_mark : NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    struct dd_http_server *s = cls;
    static _Thread_local int niced;
    if (!niced) { /* connection threads yield to the pipeline's under load */
        setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), HTTP_NICE);
        niced = 1;
    }
    /* the first call has the head: answer on a later one, once any body has been read (a
     * response queued before that forces libmicrohttpd to close: no keep-alive) */
    static char head_seen, escaped_head_seen;
    if (*con_cls == NULL || *con_cls == &escaped_path_mark) {
        dd_http_guard_requested(c); /* its head is in: no longer a slow client to drop */
        *con_cls = *con_cls ? &escaped_head_seen : &head_seen;
        return MHD_YES;
    }
    if (*upload_data_size) { /* a body we did not ask for: drop it */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*con_cls == &escaped_head_seen)
        return send_error(s, c, MHD_HTTP_NOT_FOUND, "no such endpoint (an escaped path)");
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return send_error(s, c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD");
    if (strcmp(url, "/healthz") == 0) {
        int ok = dd_status_board_healthy(s->src.board);
        return send_msg(s, c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "status",
                        ok ? "ok" : "no frames flowing");
    }
    if (!token_ok(s, c)) return send_error(s, c, MHD_HTTP_UNAUTHORIZED, "bearer token required");
    if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)
        return send_text(s, c, MHD_HTTP_OK, "text/html; charset=utf-8", (char *)dd_dashboard_html,
                         0);
    if (strcmp(url, "/api/stats") == 0)
        return send_text(s, c, MHD_HTTP_OK, "application/json", dd_status_board_json(s->src.board),
                         1);
    if (strcmp(url, "/metrics") == 0)
        return send_text(s, c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                         dd_status_board_prometheus(s->src.board), 1);
    if (strcmp(url, "/api/history") == 0)
        return send_text(s, c, MHD_HTTP_OK, "application/json", dd_history_json(s->src.history), 1);
    if (strcmp(url, "/api/detections") == 0) {
        char *j = dd_feed_json(s->src.feed, NULL);
        if (!j) return send_error(s, c, MHD_HTTP_SERVICE_UNAVAILABLE, "no frame yet");
        return send_text(s, c, MHD_HTTP_OK, "application/json", j, 1);
    }
    if (strcmp(url, "/api/events") == 0) {
        struct sse_stream *e = calloc(1, sizeof(*e));
        if (!e) return send_error(s, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        e->s = s;
        e->fd = connection_fd(c);
        e->last_send_ns = dd_now_ns();
        e->event_seq = s->src.events ? dd_event_store_last(s->src.events) : 0; /* from now on */
        return send_stream(s, c, "text/event-stream", sse_read, sse_free, e);
    }
    if (strcmp(url, "/api/events/recent") == 0) {
        if (!s->src.events) return send_error(s, c, MHD_HTTP_NOT_FOUND, "no events");
        uint64_t after = 0, max = 100;
        if (query_number(c, "after", 0, UINT64_MAX / 2, &after) != 0 ||
            query_number(c, "max", 1, 100000, &max) != 0)
            return send_error(s, c, MHD_HTTP_BAD_REQUEST,
                              "after= and max= take numbers (max 1..100000)");
        char *j = dd_event_store_json(s->src.events, after, (int)max);
        if (!j) return send_error(s, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        return send_text(s, c, MHD_HTTP_OK, "application/json", j, 1);
    }
    unsigned long long ev_seq;
    int ev_end = 0;
    if (sscanf(url, "/api/events/%20llu/snapshot.jpg%n", &ev_seq, &ev_end) == 1 && ev_end &&
        url[ev_end] == 0 && url[12] >= '0' && url[12] <= '9') {
        enum dd_snapshot_status why = DD_SNAPSHOT_NONE;
        struct dd_jpeg *j =
            s->src.events ? dd_event_store_snapshot(s->src.events, ev_seq, &why) : NULL;
        if (!j)
            return send_error(s, c,
                              why == DD_SNAPSHOT_PENDING ? MHD_HTTP_SERVICE_UNAVAILABLE
                                                         : MHD_HTTP_NOT_FOUND,
                              why == DD_SNAPSHOT_PENDING
                                  ? "snapshot being encoded: try again"
                                  : "no snapshot for this event (unknown, too old, or none "
                                    "taken)");
        return send_jpeg(s, c, j);
    }
    if (strcmp(url, "/snapshot.jpg") == 0) {
        struct dd_jpeg *j = dd_preview_wait(s->src.preview, 0, 3000);
        if (!j) return send_error(s, c, MHD_HTTP_SERVICE_UNAVAILABLE, "no frame yet");
        return send_jpeg(s, c, j);
    }
    if (strcmp(url, "/stream.mjpg") == 0) {
        struct mjpeg_stream *m = calloc(1, sizeof(*m));
        if (!m) return send_error(s, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        m->s = s;
        m->fd = connection_fd(c);
        dd_preview_watchers(s->src.preview, 1);
        return send_stream(s, c, "multipart/x-mixed-replace; boundary=" STREAM_BOUNDARY, mjpeg_read,
                           mjpeg_free, m);
    }
    return send_error(s, c, MHD_HTTP_NOT_FOUND, "no such endpoint");
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n') line[--n] = 0;
    DD_LOG_D("http: %s", line);
}

int dd_http_server_start(const struct dd_http_config *cfg, const struct dd_http_sources *src,
                         struct dd_http_server **out, struct dd_err *err)
{
    struct sockaddr_in sa;
    if (dd_listen_addr_parse(cfg->listen, &sa) != 0)
        return dd_err_set(err, "http: listen '%s' is not IPV4:PORT", cfg->listen);
    const char *token = cfg->token ? cfg->token : "";
    if (strlen(token) >= TOKEN_MAX)
        return dd_err_set(err, "http: token longer than %d characters", TOKEN_MAX - 1);
    struct dd_http_server *s = calloc(1, sizeof(*s));
    if (!s) return dd_err_set(err, "out of memory");
    s->src = *src;
    snprintf(s->token, sizeof(s->token), "%s", token);
    if (dd_http_guard_create(cfg->max_connections, cfg->request_deadline_s, &s->guard, err) != 0) {
        free(s);
        return -1;
    }
    s->mhd = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0,
        dd_http_guard_accept, s->guard, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        cfg->max_connections_per_ip, MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->max_request_bytes, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_log, NULL, MHD_OPTION_URI_LOG_CALLBACK, uri_seen, NULL, MHD_OPTION_NOTIFY_CONNECTION,
        dd_http_guard_notify, s->guard, MHD_OPTION_NOTIFY_COMPLETED, dd_http_guard_completed,
        s->guard, MHD_OPTION_END);
    if (!s->mhd) {
        dd_http_guard_destroy(s->guard);
        free(s);
        return dd_err_set(err, "http: cannot listen on %s (address in use or not ours?)",
                          cfg->listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : ntohs(sa.sin_port);
    *out = s;
    return 0;
}

unsigned dd_http_server_port(const struct dd_http_server *s)
{
    return s->port;
}

void dd_http_server_stop(struct dd_http_server *s)
{
    if (!s) return;
    atomic_store(&s->stopping, 1);
    MHD_stop_daemon(s->mhd);
    dd_http_guard_destroy(s->guard);
    free(s);
}

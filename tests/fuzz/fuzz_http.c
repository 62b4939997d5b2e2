/* libFuzzer target: the HTTP request path (daemon/http_server.c and
 * http_guard.c behind libmicrohttpd), as a client on the network meets it.
 * The server runs as in the daemon, on a loopback port, with a token and a
 * published status; each input is written to a fresh connection, the write
 * side is shut and the answer is read until the server closes or 50 ms pass
 * without a byte (streams never close). Every 256 inputs the server must still
 * answer GET /healthz: no input may take the server down or lock it up.
 * Leaks: libFuzzer's check after each input (-detect_leaks) sees a connection
 * the server's threads are still tearing down as leaked, so this target runs
 * with -detect_leaks=0 and the server is stopped at exit instead, where
 * LeakSanitizer's exit check finds what no connection gave back. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/http_server.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TOKEN "fuzz-token-0123456789"

static struct dd_http_server *server;
static unsigned port;
static const char *const labels[] = {"person", "car"};

static int connect_server(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads until EOF, an error, or idle_ms without data; returns the bytes read
 * (up to cap kept in buf). */
static size_t read_answer(int fd, char *buf, size_t cap, int idle_ms)
{
    size_t n = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, idle_ms) <= 0) break;
        char tmp[4096];
        ssize_t r = recv(fd, tmp, sizeof(tmp), 0);
        if (r <= 0) break;
        if (n < cap) memcpy(buf + n, tmp, (size_t)r < cap - n ? (size_t)r : cap - n);
        n += (size_t)r;
    }
    return n;
}

static void send_all(int fd, const uint8_t *data, size_t size)
{
    while (size > 0) {
        ssize_t w = send(fd, data, size, MSG_NOSIGNAL);
        if (w <= 0) return; /* the server may close early: a refusal */
        data += w, size -= (size_t)w;
    }
}

static void check_alive(void)
{
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    for (int attempt = 0; attempt < 50; attempt++) {
        int fd = connect_server();
        if (fd >= 0) {
            send_all(fd, (const uint8_t *)req, sizeof(req) - 1);
            char buf[64] = {0};
            size_t n = read_answer(fd, buf, sizeof(buf) - 1, 2000);
            close(fd);
            if (n >= 12 && strncmp(buf, "HTTP/1.1 200", 12) == 0) return;
        }
        usleep(100000);
    }
    fprintf(stderr, "the server stopped answering GET /healthz\n");
    abort();
}

/* A port nothing listens on now (the config takes ports 1..65535, not 0). */
static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        perror("fuzz_http: free port");
        abort();
    }
    close(fd);
    return ntohs(sa.sin_port);
}

static struct dd_status_board *board;
static struct dd_feed *feed;
static struct dd_history *hist;
static struct dd_preview *preview;
static struct dd_event_store *events;

static void stop_server(void)
{
    dd_http_server_stop(server);
    dd_event_store_destroy(events);
    dd_preview_destroy(preview);
    dd_history_destroy(hist);
    dd_feed_destroy(feed);
    dd_status_board_destroy(board);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    signal(SIGPIPE, SIG_IGN);
    struct dd_err err = {{0}};
    struct dd_preview_config pc = {.width = 320, .fps = 5, .quality = 70};
    if (dd_status_board_create(&board) != 0 || dd_feed_create(&feed) != 0 ||
        dd_history_create(60, &hist) != 0 || dd_preview_create(&pc, &preview, &err) != 0) {
        fprintf(stderr, "fuzz_http: setup failed %s\n", err.msg);
        abort();
    }
    static struct dd_daemon_status st;
    snprintf(st.state, sizeof(st.state), "running");
    st.healthy = 1;
    st.labels = labels, st.n_labels = 2;
    st.last_pipeline_error_age_s = -1;
    st.pipeline.source_kind = "file", st.pipeline.sink_kind = "null";
    st.pipeline.buffer_kind = "system", st.pipeline.backend = "cpu";
    dd_status_board_publish(board, &st);
    struct dd_det d = {.x1 = 10, .y1 = 20, .x2 = 110, .y2 = 220, .score = 0.9f, .cls = 0};
    struct dd_det_list dets = {.v = &d, .n = 1, .cap = 1};
    dd_feed_publish(feed, 1, 1920, 1080, &dets, labels, 2, 12.5);
    struct dd_history_sample hs = {0};
    dd_history_add(hist, &hs);
    /* three events, on a small grey frame: /api/events/recent and their snapshots */
    struct dd_event_store_config ec = {.history = 16, .snapshots = 2, .width = 64, .quality = 70};
    if (dd_event_store_create(&ec, &events, &err) != 0) {
        fprintf(stderr, "fuzz_http: %s\n", err.msg);
        abort();
    }
    static uint8_t pixels[64 * 64 * 3 / 2];
    memset(pixels, 128, sizeof(pixels));
    static struct dd_frame f;
    f.format = DD_FRAME_NV12, f.width = 64, f.height = 64, f.fd = -1;
    f.plane[0] = pixels, f.plane[1] = pixels + 64 * 64, f.pitch[0] = f.pitch[1] = 64;
    dd_frame_annotations_init(&f);
    for (int i = 1; i <= 3; i++) {
        struct dd_event e = {.seq = (uint64_t)i,
                             .kind = DD_EVENT_ZONE_ENTER,
                             .id = i,
                             .x2 = 20,
                             .y2 = 30,
                             .score = 0.8f};
        snprintf(e.where, sizeof(e.where), "door");
        dd_event_list_push(&f.events, &e);
    }
    dd_event_store_offer(events, &f, labels, 2);
    dd_frame_annotations_destroy(&f);

    char listen[32];
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", free_port());
    struct dd_http_config hc = {
        .listen = listen,
        .token = FUZZ_TOKEN,
        .max_connections = 512,
        .max_connections_per_ip = 512,
        .max_request_bytes = 16384,
        .timeout_s = 5,
        .request_deadline_s = 2,
    };
    struct dd_http_sources src = {board, feed, preview, hist, events};
    if (dd_http_server_start(&hc, &src, &server, &err) != 0) {
        fprintf(stderr, "fuzz_http: %s\n", err.msg);
        abort();
    }
    port = dd_http_server_port(server);
    atexit(stop_server); /* then LeakSanitizer's exit check sees what was not given back */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned runs;
    int fd = connect_server();
    if (fd < 0) {
        check_alive(); /* aborts unless the server comes back */
        return 0;
    }
    send_all(fd, data, size);
    shutdown(fd, SHUT_WR);
    static char answer[1 << 16];
    size_t n = read_answer(fd, answer, sizeof(answer), 50);
    close(fd);
    /* whatever came back is HTTP: a status line first */
    if (n > 0 && (n < 9 || strncmp(answer, "HTTP/1.", 7) != 0)) {
        fprintf(stderr, "the server answered with something that is not HTTP: %.*s\n",
                (int)(n < 64 ? n : 64), answer);
        abort();
    }
    if (++runs % 256 == 0) check_alive();
    return 0;
}

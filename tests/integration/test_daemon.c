/* detectd as a service: started the way systemd starts it (NOTIFY_SOCKET,
 * WATCHDOG_USEC), checked for READY / STATUS / WATCHDOG / RELOADING /
 * STOPPING, every HTTP endpoint, the bearer token, SIGHUP reloads with good
 * and bad configs, the watchdog going quiet when the pipeline stalls, and
 * the request handling under malformed and random input. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <turbojpeg.h>
#include <unistd.h>

#include "common/clock.h"
#include "daemon_harness.h"
#include "mqtt_broker.h"
#include "tests_common.h"

#define START_MS 120000 /* READY under ASan on 2 cores */

static char config_buf[4096];

/* The demo video scaled to 640x360 (cheap under sanitizers), HTTP on %PORT%. */
static const char *base_config(const char *extra)
{
    snprintf(config_buf, sizeof(config_buf),
             "[source]\nuri = %s\nsize = 640x360\n\n[http]\nlisten = 127.0.0.1:%%PORT%%\n"
             "preview_fps = 10\npreview_width = 320\n\n[daemon]\nwatchdog_stall_s = 5\n%s",
             tc_asset("media/vtest-1080p.mp4"), extra ? extra : "");
    return config_buf;
}

static struct dh_daemon d;

static void stop_daemon(void)
{
    dh_stop(&d);
}

TestSuite(daemon, .fini = stop_daemon, .timeout = 600);

static void wait_ready(void)
{
    if (!dh_wait_notify(&d, "READY=1", START_MS)) {
        static char said[16384];
        char *log = dh_log(&d);
        snprintf(said, sizeof(said), "%s", log);
        free(log);
        cr_assert_fail("no READY=1; detectd said:\n%s", said);
    }
}

static double stat_of(const char *path)
{
    struct dh_response r = dh_get(d.port, "/api/stats", NULL);
    cr_assert_eq(r.status, 200, "%s", r.head);
    double v = dh_json_number(r.body, path);
    dh_response_free(&r);
    return v;
}

Test(daemon, notifies_systemd_and_serves_every_endpoint)
{
    dh_start(&d, base_config(NULL), 1000000);
    wait_ready();
    cr_assert(dh_wait_notify(&d, "STATUS=", 10000), "a STATUS= line");
    cr_assert(dh_seen(&d, "fps") && dh_seen(&d, "nanodet on cpu"), "STATUS names fps and model");
    cr_assert_geq(dh_count_notify(&d, "WATCHDOG=1", 2000), 3,
                  "pings every 1/4 period while frames flow");

    /* /api/stats */
    struct dh_response r = dh_get(d.port, "/api/stats", NULL);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.head, "Content-Type: application/json"), "%s", r.head);
    const char *keys[] = {"state",
                          "uptime_s",
                          "fps_now",
                          "detections_per_s",
                          "config",
                          "generation",
                          "last_reload_error",
                          "frames_captured",
                          "frames_processed",
                          "frames_dropped",
                          "frame_copies",
                          "latency_p50_ms",
                          "stages",
                          "p99_ms",
                          "detections_per_class",
                          "backend",
                          "model",
                          "last_error"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        cr_assert(strstr(r.body, keys[i]), "no %s in %s", keys[i], r.body);
    cr_assert_eq(dh_json_number(r.body, "config.generation"), 1);
    cr_assert_gt(dh_json_number(r.body, "pipeline.frames_output"), 0);
    cr_assert_gt(dh_json_number(r.body, "pipeline.stages.inference.fps"), 0);
    dh_response_free(&r);

    /* /metrics */
    r = dh_get(d.port, "/metrics", NULL);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.head, "text/plain; version=0.0.4"));
    cr_assert(strstr(r.body, "# TYPE detectd_frames_total counter"));
    cr_assert(strstr(r.body, "detectd_up 1\n"), "%s", r.body);
    cr_assert(strstr(r.body, "detectd_stage_latency_ms{stage=\"inference\",quantile=\"0.99\"}"));
    cr_assert(strstr(r.body, "detectd_detections_total{class=\"person\"}"), "%s", r.body);
    cr_assert(strstr(r.body, "detectd_process_resident_bytes "), "%s", r.body);
    dh_response_free(&r);
    /* the daemon's footprint (read once a second) */
    double rss = 0;
    for (int i = 0; i < 30 && rss <= 0; i++, usleep(100000)) rss = stat_of("process.rss_bytes");
    cr_assert(rss > 4e6 && rss < 4e9, "rss %.0f", rss);
    cr_assert_geq(stat_of("process.threads"), 4);
    cr_assert_geq(stat_of("process.open_fds"), 3);

    /* /healthz */
    r = dh_get(d.port, "/healthz", NULL);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "\"ok\""));
    dh_response_free(&r);

    /* /api/detections: the latest frame's, in frame pixels */
    r = dh_get(d.port, "/api/detections", NULL);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(dh_json_number(r.body, "width"), 640);
    cr_assert(strstr(r.body, "\"class\":\"person\""), "vtest has people: %s", r.body);
    dh_response_free(&r);

    /* /api/events: Server-Sent Events */
    const char *sse = "GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n";
    r = dh_raw(d.port, sse, strlen(sse), 6000, 10000);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.head, "text/event-stream"), "%s", r.head);
    cr_assert(strstr(r.body, "event: detections\ndata: {"), "%s", r.body);
    dh_response_free(&r);

    /* /snapshot.jpg: a JPEG of the preview size */
    r = dh_get(d.port, "/snapshot.jpg", NULL);
    cr_assert_eq(r.status, 200, "%s", r.head);
    cr_assert(strstr(r.head, "image/jpeg"));
    tjhandle tj = tjInitDecompress();
    int w = 0, h = 0, sub, cs;
    cr_assert_eq(tjDecompressHeader3(tj, (unsigned char *)r.body, r.body_len, &w, &h, &sub, &cs),
                 0);
    tjDestroy(tj);
    cr_assert_eq(w, 320);
    cr_assert_eq(h, 180);
    dh_response_free(&r);

    /* /stream.mjpg: multipart with several JPEG parts */
    const char *mj = "GET /stream.mjpg HTTP/1.1\r\nHost: x\r\n\r\n";
    r = dh_raw(d.port, mj, strlen(mj), 1u << 30, 3000);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.head, "multipart/x-mixed-replace; boundary=detectdframe"), "%s", r.head);
    int parts = 0;
    for (char *p = r.body;
         (p = memmem(p, r.body_len - (size_t)(p - r.body), "--detectdframe\r\n", 16)); p++)
        parts++;
    cr_assert_geq(parts, 5, "3 s at 10 fps gave %d parts", parts);
    dh_response_free(&r);

    /* the dashboard */
    r = dh_get(d.port, "/", NULL);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "<title>detectd</title>") && strstr(r.body, "/stream.mjpg"));
    dh_response_free(&r);
    r = dh_get(d.port, "/api/history", NULL);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "\"fps\":[") && strstr(r.body, "\"latency_p50_ms\":["), "%s", r.body);
    dh_response_free(&r);

    /* HEAD, unknown paths, other methods, oversized requests */
    const char *head = "HEAD /api/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    r = dh_raw(d.port, head, strlen(head), 1 << 20, 5000);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.body_len, 0);
    dh_response_free(&r);
    r = dh_get(d.port, "/nope", NULL);
    cr_assert_eq(r.status, 404);
    dh_response_free(&r);
    const char *post = "POST /api/stats HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: "
                       "close\r\n\r\nhello";
    r = dh_raw(d.port, post, strlen(post), 1 << 20, 5000);
    cr_assert_eq(r.status, 405);
    cr_assert(strstr(r.head, "Allow: GET, HEAD"), "%s", r.head);
    dh_response_free(&r);
    char *big = malloc(100000);
    int n = sprintf(big, "GET /api/stats HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(big + n, 'a', 60000);
    strcpy(big + n + 60000, "\r\n\r\n");
    r = dh_raw(d.port, big, strlen(big), 1 << 20, 5000);
    cr_assert(r.status == 0 || (r.status >= 400 && r.status < 500), "oversized: %d", r.status);
    dh_response_free(&r);
    free(big);
    r = dh_get(d.port, "/healthz", NULL);
    cr_assert_eq(r.status, 200, "still serving");
    dh_response_free(&r);

    /* SIGTERM: STOPPING=1, drained, exit 0 */
    dh_signal(&d, SIGTERM);
    cr_assert(dh_wait_notify(&d, "STOPPING=1", 20000));
    cr_assert_eq(dh_wait_exit(&d, 30000), 0);
    char *log = dh_log(&d);
    cr_assert(strstr(log, "<5>SIGTERM: stopping") && strstr(log, "<5>stopped:"), "%s", log);
    free(log);
}

Test(daemon, bearer_token_guards_every_endpoint_but_healthz)
{
    /* a repeated [http] section adds keys to it */
    dh_start(&d, base_config("\n[http]\ntoken = s3cret-token\n"), 0);
    wait_ready();
    const char *paths[] = {
        "/", "/api/stats", "/metrics", "/api/detections", "/api/history", "/snapshot.jpg"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct dh_response r = dh_get(d.port, paths[i], NULL);
        cr_assert_eq(r.status, 401, "%s without a token: %d", paths[i], r.status);
        cr_assert(strstr(r.head, "WWW-Authenticate: Bearer"), "%s", r.head);
        dh_response_free(&r);
        r = dh_get(d.port, paths[i], "Authorization: Bearer wrong-token!\r\n");
        cr_assert_eq(r.status, 401, "%s with a wrong token", paths[i]);
        dh_response_free(&r);
        r = dh_get(d.port, paths[i], "Authorization: Bearer s3cret-token\r\n");
        cr_assert_eq(r.status, 200, "%s with the token: %d", paths[i], r.status);
        dh_response_free(&r);
    }
    struct dh_response r = dh_get(d.port, "/api/stats?access_token=s3cret-token", NULL);
    cr_assert_eq(r.status, 200, "the browser's query-parameter form");
    dh_response_free(&r);
    r = dh_get(d.port, "/healthz", NULL);
    if (r.status != 200) {
        struct dh_response st =
            dh_get(d.port, "/api/stats", "Authorization: Bearer s3cret-token\r\n");
        cr_log_error("healthz %d; stats: %s", r.status, st.body);
        dh_response_free(&st);
    }
    cr_assert_eq(r.status, 200, "healthz needs no token");
    dh_response_free(&r);
}

/* A token longer than 255 characters (continued on indented lines) is compared whole: its
 * 255-character prefix used to pass; the scheme's name in any case (RFC 7235). */
Test(daemon, a_long_token_is_compared_whole_and_the_scheme_in_any_case)
{
    char part[3][151], extra[640], token[460], hdr[600];
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 150; i++) part[k][i] = (char)('a' + (i * 7 + k) % 26);
        part[k][150] = 0;
    }
    snprintf(extra, sizeof(extra), "\n[http]\ntoken = %s\n  %s\n  %s\n", part[0], part[1], part[2]);
    snprintf(token, sizeof(token), "%s %s %s", part[0], part[1], part[2]);
    cr_assert_eq(strlen(token), 452);
    dh_start(&d, base_config(extra), 0);
    wait_ready();
    snprintf(hdr, sizeof(hdr), "Authorization: Bearer %.255s\r\n", token);
    struct dh_response r = dh_get(d.port, "/api/stats", hdr);
    cr_assert_eq(r.status, 401, "the token's first 255 characters: %d", r.status);
    dh_response_free(&r);
    snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n", token);
    r = dh_get(d.port, "/api/stats", hdr);
    cr_assert_eq(r.status, 200, "the whole token: %d", r.status);
    dh_response_free(&r);
    snprintf(hdr, sizeof(hdr), "Authorization: bEARER %s\r\n", token);
    r = dh_get(d.port, "/api/stats", hdr);
    cr_assert_eq(r.status, 200, "the scheme in another case: %d", r.status);
    dh_response_free(&r);
}

/* A %-escaped path names no endpoint: libmicrohttpd decodes the target before the router sees
 * it, so these used to reach /api/stats and /healthz. Query arguments are still decoded. */
Test(daemon, escaped_paths_reach_no_endpoint)
{
    dh_start(&d, base_config("\n[http]\ntoken = s3cret\n"), 0);
    wait_ready();
    const char *paths[] = {"/api%2Fstats", "/%68ealthz", "/api/stats%00.jpg", "/%61pi/stats"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct dh_response r = dh_get(d.port, paths[i], "Authorization: Bearer s3cret\r\n");
        cr_assert_eq(r.status, 404, "%s: %d", paths[i], r.status);
        dh_response_free(&r);
    }
    struct dh_response r = dh_get(d.port, "/api/stats?access_token=s3%63ret", NULL);
    cr_assert_eq(r.status, 200, "an escaped query argument is decoded: %d", r.status);
    dh_response_free(&r);
}

/* Viewers of /stream.mjpg who leave while no frame comes (a source that delivers nothing) give
 * their connection back: a stream only wrote when a frame came, so each departed viewer held a
 * slot, and 16 of them used up max_connections (the HTTP fuzz target found it). */
Test(daemon, departed_stream_viewers_free_their_connection_while_no_frame_comes, .timeout = 120)
{
    dh_start(&d,
             "[source]\nuri = gst:videotestsrc is-live=true ! valve drop=true\nsize = 320x240\n"
             "[http]\nlisten = 127.0.0.1:%PORT%\nmax_connections = 16\n",
             0);
    int up = 0; /* no READY without a frame: the source's start gives up waiting after 10 s */
    for (int i = 0; i < 600 && !up; i++) {
        struct dh_response r = dh_get(d.port, "/healthz", NULL);
        up = r.status == 503;
        dh_response_free(&r);
        if (!up) usleep(100000);
    }
    cr_assert(up, "the HTTP server did not come up");
    static const char req[] = "GET /stream.mjpg HTTP/1.1\r\nHost: x\r\n\r\n";
    for (int i = 0; i < 40; i++) {
        int fd = dh_connect(d.port, 0);
        if (fd < 0) continue;
        cr_assert_eq(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
        usleep(20000);
        close(fd);
    }
    int answered = 0;
    for (int i = 0; i < 50 && !answered; i++) { /* streams look every 0.5 s */
        usleep(100000);
        struct dh_response r = dh_get(d.port, "/api/stats", NULL);
        answered = r.status == 200;
        dh_response_free(&r);
    }
    cr_assert(answered, "/api/stats refused after 40 stream viewers left");
}

/* A source that stops without an error (a test source's last buffer with loop = true) used to
 * leave the daemon "stalled" for good, silently: it rebuilds the pipeline itself after
 * stall_restart_s, and the reason stays in /api/stats across the restart. */
Test(daemon, a_silent_stall_is_rebuilt_by_the_daemon_and_its_reason_kept, .timeout = 120)
{
    dh_start(&d,
             "[source]\nuri = gst:videotestsrc num-buffers=15\nsize = 320x240\nloop = true\n"
             "[http]\nlisten = 127.0.0.1:%PORT%\n[daemon]\nwatchdog_stall_s = 1\n"
             "stall_restart_s = 2\n",
             0);
    wait_ready();
    int restarted = 0;
    for (int i = 0; i < 300 && !restarted; i++) {
        usleep(100000);
        struct dh_response r = dh_get(d.port, "/api/stats", NULL);
        restarted = dh_json_number(r.body, "pipeline_restarts") >= 1 &&
                    strstr(r.body, "\"last_pipeline_error\":\"no frame out for ");
        dh_response_free(&r);
    }
    cr_assert(restarted, "no rebuild after a silent stall");
    char *log = dh_log(&d);
    cr_assert(strstr(log, "<3>pipeline: no frame out for ") && strstr(log, "(stalled) (rebuilding"),
              "%s", log);
    free(log);
    /* the rebuilt pipeline runs: frames out again */
    int flowing = 0;
    for (int i = 0; i < 300 && !flowing; i++) {
        usleep(100000);
        struct dh_response r = dh_get(d.port, "/api/stats", NULL);
        flowing = dh_json_number(r.body, "pipeline.frames_output") > 0 &&
                  dh_json_number(r.body, "pipeline_restarts") >= 1;
        dh_response_free(&r);
    }
    cr_assert(flowing, "no frames after the rebuild");
    /* hysteresis: each rebuild yields 15 frames (0.6 s) and stalls again, never the 3 s of flow
     * /healthz wants after a failure: it stays 503 instead of flapping */
    int ok = 0;
    for (int i = 0; i < 50; i++) {
        usleep(100000);
        struct dh_response r = dh_get(d.port, "/healthz", NULL);
        ok += r.status == 200;
        dh_response_free(&r);
    }
    cr_assert_eq(ok, 0, "/healthz said healthy %d times in 5 s of fail-and-rebuild", ok);
}

/* A slow client: connected from 127.0.0.(2 + i % 8), its request head started and never
 * finished. -1 when the server refused it. */
static int slow_client(unsigned port, int i)
{
    int fd = dh_connect(port, 0x7f000002u + (unsigned)(i % 8));
    static const char head[] = "GET /api/stats HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    if (fd >= 0 && send(fd, head, sizeof(head) - 1, MSG_NOSIGNAL) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* 200 clients from eight addresses trickle request heads a byte at a time and reconnect when
 * dropped: /healthz and /metrics still answer every time (they used to fail for as long as
 * the swarm lasted: 64 connections, a timeout counting only silence). */
Test(daemon, a_swarm_of_slow_clients_cannot_lock_out_healthz, .timeout = 180)
{
    dh_start(&d, base_config("\n[http]\nrequest_deadline_s = 3\n"), 0);
    wait_ready();
    enum { N = 200 };
    int fds[N];
    for (int i = 0; i < N; i++) fds[i] = slow_client(d.port, i);
    int probes = 0, ok = 0;
    for (int t = 0; t < 20; t++) {
        for (int i = 0; i < N; i++) { /* a byte each; a dropped one comes back */
            if (fds[i] >= 0 && send(fds[i], "x", 1, MSG_NOSIGNAL) == 1) continue;
            if (fds[i] >= 0) close(fds[i]);
            fds[i] = slow_client(d.port, i);
        }
        const char *path = t % 2 ? "/metrics" : "/healthz";
        struct dh_response r = dh_get(d.port, path, NULL);
        probes++;
        if (r.status == 200)
            ok++;
        else
            cr_log_error("%s under the swarm: %d", path, r.status);
        dh_response_free(&r);
        usleep(300000);
    }
    for (int i = 0; i < N; i++)
        if (fds[i] >= 0) close(fds[i]);
    cr_assert_eq(ok, probes, "%d of %d probes answered under the swarm", ok, probes);
}

/* One client trickling its request head, a byte every 200 ms (never idle long enough for
 * timeout_s): closed once request_deadline_s has passed, although the server is not full. */
Test(daemon, a_request_head_must_arrive_within_the_deadline, .timeout = 60)
{
    dh_start(&d, base_config("\n[http]\nrequest_deadline_s = 1\n"), 0);
    wait_ready();
    int fd = slow_client(d.port, 0);
    cr_assert_geq(fd, 0);
    int64_t t0 = dd_now_ns() / 1000000;
    int closed = 0;
    while (!closed && dd_now_ns() / 1000000 - t0 < 10000) {
        usleep(200000);
        char b;
        closed = send(fd, "x", 1, MSG_NOSIGNAL) != 1 || recv(fd, &b, 1, MSG_DONTWAIT) == 0;
    }
    close(fd);
    cr_assert(closed, "a head trickled for 10 s was never cut");
    cr_assert_geq(dd_now_ns() / 1000000 - t0, 800, "cut before its deadline");
}

/* Reads from fd until `want` status lines "HTTP/1.1 200" arrived or 5 s passed; the count. */
static int read_ok_responses(int fd, int want)
{
    char buf[65536];
    size_t n = 0;
    int64_t t0 = dd_now_ns();
    int got = 0;
    while (got < want && dd_now_ns() - t0 < 5000000000LL && n < sizeof(buf) - 1) {
        ssize_t k = recv(fd, buf + n, sizeof(buf) - 1 - n, MSG_DONTWAIT);
        if (k == 0) break;
        if (k < 0) {
            usleep(10000);
            continue;
        }
        n += (size_t)k;
        buf[n] = 0;
        got = 0;
        for (char *p = buf; (p = strstr(p, "HTTP/1.1 200")); p++) got++;
    }
    return got;
}

/* HTTP/1.1 keep-alive: two pipelined requests on one connection both answered, and a third on
 * the same connection later (every response used to carry Connection: close). */
Test(daemon, keep_alive_and_pipelined_requests_are_answered, .timeout = 60)
{
    dh_start(&d, base_config(NULL), 0);
    wait_ready();
    int fd = dh_connect(d.port, 0);
    cr_assert_geq(fd, 0);
    static const char two[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                              "GET /api/stats HTTP/1.1\r\nHost: x\r\n\r\n";
    cr_assert_eq(send(fd, two, sizeof(two) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(two) - 1);
    cr_assert_eq(read_ok_responses(fd, 2), 2, "two pipelined requests, two answers");
    usleep(500000);
    static const char one[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    cr_assert_eq(send(fd, one, sizeof(one) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(one) - 1);
    cr_assert_eq(read_ok_responses(fd, 1), 1, "the kept-alive connection answers again");
    close(fd);
}

/* A source that never opens (a FIFO nobody writes: GStreamer's open waits for a writer) holds
 * the start-up; SIGTERM still ends the daemon within its 2 s deadline and the log names what
 * was abandoned (it used to wait for ever). */
Test(daemon, sigterm_ends_a_daemon_stuck_opening_its_source, .timeout = 60)
{
    char fifo[64];
    snprintf(fifo, sizeof(fifo), "/tmp/dd-stuck-%d", getpid());
    unlink(fifo);
    cr_assert_eq(mkfifo(fifo, 0600), 0, "%s", strerror(errno));
    snprintf(config_buf, sizeof(config_buf),
             "[source]\nuri = gst:filesrc location=%s ! rawvideoparse width=320 height=240 "
             "format=nv12 framerate=25/1\n[http]\nlisten = 127.0.0.1:%%PORT%%\n",
             fifo);
    dh_start(&d, config_buf, 0);
    usleep(1500000); /* well into the start-up */
    cr_assert_eq(dh_wait_exit(&d, 0), -1, "still starting");
    int64_t t0 = dd_now_ns();
    dh_signal(&d, SIGTERM);
    int st = dh_wait_exit(&d, 10000);
    double s = (double)(dd_now_ns() - t0) / 1e9;
    char *log = dh_log(&d);
    unlink(fifo);
    cr_assert_neq(st, -1, "still running 10 s after SIGTERM: %s", log);
    cr_assert_lt(s, 4.0, "took %.1f s", s);
    cr_assert(strstr(log, "starting the pipeline did not finish within 2 s: abandoned"), "%s", log);
    free(log);
}

/* A source stuck in a call (a FIFO whose writer stays but sends nothing more: filesrc sits in
 * read(), and GStreamer's stop waits for it) held the main loop for good when the daemon rebuilt
 * the stalled pipeline: no stats, no recovery. The stop is abandoned after 5 s, the log says so,
 * and /api/stats keeps moving. */
Test(daemon, a_pipeline_stuck_stopping_is_abandoned_and_the_daemon_goes_on, .timeout = 120)
{
    signal(SIGPIPE, SIG_IGN); /* the source may close its end between two writes */
    char fifo[64];
    snprintf(fifo, sizeof(fifo), "/tmp/dd-stall-%d", getpid());
    unlink(fifo);
    cr_assert_eq(mkfifo(fifo, 0600), 0, "%s", strerror(errno));
    snprintf(config_buf, sizeof(config_buf),
             "[source]\nuri = gst:filesrc location=%s ! rawvideoparse width=160 height=120 "
             "format=nv12 framerate=25/1\n[http]\nlisten = 127.0.0.1:%%PORT%%\n"
             "[daemon]\nwatchdog_stall_s = 1\nstall_restart_s = 2\n",
             fifo);
    dh_start(&d, config_buf, 0);
    /* the writer: opens once the source opened its end; 30 frames, then it stays silent (a
     * source may close and reopen its end while starting: the writer then opens again) */
    static uint8_t frame[160 * 120 * 3 / 2];
    memset(frame, 128, sizeof(frame));
    int wfd = -1, sent = 0;
    for (int tries = 0; sent < 30 && tries < 600;) {
        if (wfd < 0) {
            wfd = open(fifo, O_WRONLY | O_NONBLOCK);
            if (wfd < 0 || fcntl(wfd, F_SETFL, 0) != 0) {
                if (wfd >= 0) close(wfd);
                wfd = -1, tries++;
                usleep(100000);
                continue;
            }
        }
        if (write(wfd, frame, sizeof(frame)) == (ssize_t)sizeof(frame)) {
            sent++;
        } else {
            close(wfd);
            wfd = -1, tries++;
        }
    }
    cr_assert_eq(sent, 30, "the source took %d frames of 30", sent);
    /* frames flow, then stop: stall -> rebuild -> the stop is stuck in filesrc's read */
    int abandoned = 0;
    char *log = NULL;
    for (int i = 0; i < 600 && !abandoned; i++) {
        usleep(100000);
        free(log);
        log = dh_log(&d);
        abandoned = strstr(log, "<3>pipeline: stopping did not finish within 5 s") != NULL;
    }
    cr_assert(abandoned, "no abandoned stop: %s", log);
    free(log);
    struct dh_response r = dh_get(d.port, "/api/stats", NULL);
    double t0 = dh_json_number(r.body, "uptime_s");
    dh_response_free(&r);
    usleep(1500000);
    r = dh_get(d.port, "/api/stats", NULL);
    double t1 = dh_json_number(r.body, "uptime_s");
    dh_response_free(&r);
    cr_assert_gt(t1, t0 + 0.5, "/api/stats froze at uptime %.1f s", t0);
    close(wfd); /* EOF: the abandoned stop finishes */
    unlink(fifo);
}

static int detections_only(const char *cls_name, int tries)
{
    char needle[64];
    snprintf(needle, sizeof(needle), "\"class\":\"%s\"", cls_name);
    for (int i = 0; i < tries; i++) {
        struct dh_response r = dh_get(d.port, "/api/detections", NULL);
        int ok = r.status == 200 && strstr(r.body, needle);
        char *p = r.body;
        while (ok && (p = strstr(p, "\"class\":\""))) {
            if (strncmp(p, needle, strlen(needle)) != 0) ok = 0;
            p++;
        }
        dh_response_free(&r);
        if (ok) return 1;
        usleep(300000);
    }
    return 0;
}

/* The JSON string value of "key" in body ("" if absent), for short values. */
static void json_string(const char *body, const char *key, char *out, size_t size)
{
    char needle[64];
    snprintf(needle, sizeof(needle), "\"%s\":\"", key);
    const char *p = strstr(body, needle);
    *out = 0;
    if (!p) return;
    p += strlen(needle);
    size_t n = 0;
    while (p[n] && p[n] != '"' && n + 1 < size) n++;
    memcpy(out, p, n);
    out[n] = 0;
}

static void stat_string(const char *key, char *out, size_t size)
{
    struct dh_response r = dh_get(d.port, "/api/stats", NULL);
    cr_assert_eq(r.status, 200, "%s", r.head);
    json_string(r.body, key, out, size);
    dh_response_free(&r);
}

Test(daemon, a_reloaded_model_that_falls_back_says_why_in_the_stats)
{
    dh_start(&d, base_config(NULL), 0);
    wait_ready();
    char why[512], backend[32];
    stat_string("backend_fallback", why, sizeof(why));
    cr_assert_str_eq(why, "", "the cpu backend runs as configured");

    /* the FPGA backend on a machine without one: the detector swapped in runs on the
     * fallback, and the stats say so (not the pipeline's stale word from its start) */
    char extra[512];
    snprintf(extra, sizeof(extra), "\n[model]\nbackend = xrt\nxclbin = /nonexistent.xclbin\n");
    dh_write_config(&d, base_config(extra));
    dh_signal(&d, SIGHUP);
    cr_assert(dh_wait_notify(&d, "READY=1", 30000));
    cr_assert_eq(stat_of("config.generation"), 2);
    for (int i = 0; i < 50 && stat_of("pipeline.detector_swaps") < 1; i++) usleep(200000);
    cr_assert_eq(stat_of("pipeline.detector_swaps"), 1);
    stat_string("backend_fallback", why, sizeof(why));
    stat_string("backend", backend, sizeof(backend));
    cr_assert_str_eq(backend, "cpu");
    cr_assert(strstr(why, "xrt") || strstr(why, "XILINX_XRT"), "why: '%s'", why);

    /* and back to the cpu backend: no fallback any more */
    dh_write_config(&d, base_config("\n[model]\nbackend = cpu\n"));
    dh_signal(&d, SIGHUP);
    cr_assert(dh_wait_notify(&d, "READY=1", 30000));
    for (int i = 0; i < 50 && stat_of("pipeline.detector_swaps") < 2; i++) usleep(200000);
    cr_assert_eq(stat_of("pipeline.detector_swaps"), 2);
    stat_string("backend_fallback", why, sizeof(why));
    cr_assert_str_eq(why, "", "no fallback after the cpu backend is chosen again");
}

/* Counts into seen[] (by ID, up to 4096) the object IDs of the latest detections; returns how
 * many detections carried one and sets *total to how many there were. */
static int detection_ids(int *seen, int *total)
{
    struct dh_response r = dh_get(d.port, "/api/detections", NULL);
    int n = 0;
    *total = 0;
    for (const char *p = r.body ? r.body : ""; (p = strstr(p, "\"class_id\":")); p++) (*total)++;
    for (const char *p = r.body ? r.body : ""; (p = strstr(p, "\"id\":")); p++) {
        int id = atoi(p + 5);
        if (id > 0 && id < 4096) seen[id]++;
        n++;
    }
    dh_response_free(&r);
    return n;
}

/* The tracker (on by default) gives detections an ID that stays with the object across frames;
 * turned off live, the IDs go; a bad tuning is refused on reload. */
Test(daemon, tracked_objects_carry_an_id_that_follows_them, .timeout = 300)
{
    dh_start(&d, base_config(NULL), 0);
    wait_ready();
    static int seen[4096];
    int polls = 0, kept = 0, total;
    for (int i = 0; i < 100 && !kept; i++, polls++) {
        detection_ids(seen, &total);
        for (int id = 1; id < 4096 && !kept; id++) kept = seen[id] >= 3;
        usleep(200000);
    }
    cr_assert(kept, "no object ID seen in 3 polls of /api/detections (%d polls)", polls);

    dh_write_config(&d, base_config("\n[tracker]\nenabled = false\n"));
    dh_signal(&d, SIGHUP);
    cr_assert(dh_wait_notify(&d, "READY=1", 10000));
    int untracked = 0;
    for (int i = 0; i < 100 && untracked < 3; i++) {
        if (detection_ids(seen, &total) == 0 && total > 0) untracked++;
        usleep(200000);
    }
    cr_assert_geq(untracked, 3, "detections still carry IDs with the tracker off");

    dh_write_config(&d, base_config("\n[tracker]\nlow_score = 0.7\nhigh_score = 0.5\n"));
    dh_signal(&d, SIGHUP);
    cr_assert(dh_wait_notify(&d, "READY=1", 10000));
    struct dh_response r = dh_get(d.port, "/api/stats", NULL);
    cr_assert_eq(dh_json_number(r.body, "config.reloads_failed"), 1);
    cr_assert(strstr(r.body, "low_score (0.7) <= high_score (0.5)"), "%s", r.body);
    dh_response_free(&r);
}

Test(daemon, sighup_reloads_live_keeps_the_last_good_config_and_rebuilds_what_changed)
{
    dh_start(&d, base_config(NULL), 0);
    wait_ready();
    cr_assert_eq(stat_of("config.generation"), 1);

    /* live: classes and thresholds, no pipeline restart, the stream goes on */
    dh_write_config(&d,
                    base_config("\n[detector]\nclasses_allow = person\nscore_threshold = 0.3\n"));
    double before = stat_of("pipeline.frames_captured");
    dh_signal(&d, SIGHUP);
    cr_assert(dh_wait_notify(&d, "RELOADING=1", 10000));
    cr_assert(dh_seen(&d, "MONOTONIC_USEC="), "RELOADING=1 carries MONOTONIC_USEC");
    cr_assert(dh_wait_notify(&d, "READY=1", 10000));
    cr_assert_eq(stat_of("config.generation"), 2);
    cr_assert_eq(stat_of("pipeline_restarts"), 0);
    cr_assert(detections_only("person", 20), "only people after classes_allow = person");
    /* the board is published every 250 ms: wait for a snapshot taken after the reload */
    for (int i = 0; i < 50 && stat_of("pipeline.frames_captured") <= before; i++) usleep(100000);
    cr_assert_gt(stat_of("pipeline.frames_captured"), before, "the same pipeline kept capturing");

    /* invalid: the old config stays, the error says where */
    dh_write_config(&d, base_config("\n[detector]\nclasses_allow = person\nscore_threshold = 3\n"));
    dh_signal(&d, SIGHUP);
    cr_assert(dh_wait_notify(&d, "RELOADING=1", 10000));
    cr_assert(dh_wait_notify(&d, "READY=1", 10000));
    struct dh_response r = dh_get(d.port, "/api/stats", NULL);
    cr_assert_eq(dh_json_number(r.body, "config.generation"), 2);
    cr_assert_eq(dh_json_number(r.body, "config.reloads_failed"), 1);
    cr_assert(strstr(r.body, "detectd.conf:15: [detector] score_threshold: '3' is not valid"), "%s",
              r.body);
    dh_response_free(&r);
    char *log = dh_log(&d);
    cr_assert(strstr(log, "<3>reload: ") && strstr(log, "still running config generation 2"), "%s",
              log);
    free(log);
    r = dh_get(d.port, "/healthz", NULL);
    cr_assert_eq(r.status, 200, "still running");
    dh_response_free(&r);

    /* a class the model lacks: refused after parsing, against the model */
    dh_write_config(&d, base_config("\n[detector]\nclasses_allow = face\n"));
    dh_signal(&d, SIGHUP);
    cr_assert(dh_wait_notify(&d, "RELOADING=1", 10000));
    cr_assert(dh_wait_notify(&d, "READY=1", 10000));
    cr_assert_eq(stat_of("config.reloads_failed"), 2);
    cr_assert_eq(stat_of("config.generation"), 2);

    /* the model: swapped in by the detect thread, the stream goes on */
    char extra[512];
    snprintf(extra, sizeof(extra), "\n[model]\npackage = %s\n",
             tc_asset("packages/nanodet-w8a8.ddpkg"));
    dh_write_config(&d, base_config(extra));
    dh_signal(&d, SIGHUP);
    cr_assert(dh_wait_notify(&d, "READY=1", 30000));
    cr_assert_eq(stat_of("config.generation"), 3);
    for (int i = 0; i < 50 && stat_of("pipeline.detector_swaps") < 1; i++) usleep(200000);
    cr_assert_eq(stat_of("pipeline.detector_swaps"), 1);
    cr_assert_eq(stat_of("pipeline_restarts"), 0);

    /* a model package that is not one: refused, the old model runs on */
    snprintf(extra, sizeof(extra), "\n[model]\npackage = %s\n", d.config);
    dh_write_config(&d, base_config(extra));
    dh_signal(&d, SIGHUP);
    cr_assert(dh_wait_notify(&d, "READY=1", 30000));
    cr_assert_eq(stat_of("config.reloads_failed"), 3);

    /* the source: the pipeline is rebuilt at the new size */
    snprintf(config_buf, sizeof(config_buf),
             "[source]\nuri = %s\nsize = 320x180\n\n[http]\nlisten = 127.0.0.1:%%PORT%%\n",
             tc_asset("media/vtest-1080p.mp4"));
    dh_write_config(&d, config_buf);
    dh_signal(&d, SIGHUP);
    cr_assert(dh_wait_notify(&d, "READY=1", 60000));
    cr_assert_eq(stat_of("config.generation"), 4);
    cr_assert_eq(stat_of("pipeline_restarts"), 1);
    for (int i = 0; i < 100 && stat_of("pipeline.width") != 320; i++) usleep(200000);
    cr_assert_eq(stat_of("pipeline.width"), 320);

    /* a source that does not exist: the running pipeline stays */
    dh_write_config(&d,
                    "[source]\nuri = /nonexistent/video.mp4\n[http]\nlisten = 127.0.0.1:%PORT%\n");
    dh_signal(&d, SIGHUP);
    cr_assert(dh_wait_notify(&d, "READY=1", 60000));
    r = dh_get(d.port, "/api/stats", NULL);
    cr_assert_eq(dh_json_number(r.body, "config.generation"), 4);
    cr_assert(strstr(r.body, "/nonexistent/video.mp4"), "%s", r.body);
    cr_assert_eq(dh_json_number(r.body, "pipeline.width"), 320);
    dh_response_free(&r);
    usleep(500000);
    r = dh_get(d.port, "/healthz", NULL);
    cr_assert_eq(r.status, 200, "the old pipeline still runs");
    dh_response_free(&r);
}

/* Raw NV12 frames into a FIFO: the test decides when frames flow. */
struct feeder {
    char path[160];
    int fd;
    int frames; /* to write next */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int quit;
};

static void *feed_main(void *arg)
{
    struct feeder *f = arg;
    size_t size = 320 * 240 * 3 / 2;
    unsigned char *frame = malloc(size);
    /* a producer that comes back: if the reader goes away (a source opened and closed while
     * detectd starts on a loaded machine), open the FIFO again for the next reader */
    f->fd = -1;
    for (unsigned k = 0;; k++) {
        pthread_mutex_lock(&f->mu);
        while (!f->frames && !f->quit) pthread_cond_wait(&f->cv, &f->mu);
        if (f->quit) {
            pthread_mutex_unlock(&f->mu);
            break;
        }
        f->frames--;
        pthread_mutex_unlock(&f->mu);
        while (f->fd < 0) { /* wait for a reader without blocking (quit must get through) */
            f->fd = open(f->path, O_WRONLY | O_NONBLOCK);
            if (f->fd >= 0) {
                fcntl(f->fd, F_SETFL, 0); /* blocking writes from here */
                break;
            }
            pthread_mutex_lock(&f->mu);
            int quit = f->quit;
            pthread_mutex_unlock(&f->mu);
            if (quit || errno != ENXIO) goto out;
            usleep(20000);
        }
        memset(frame, (int)(k * 7), size);
        if (write(f->fd, frame, size) != (ssize_t)size) {
            close(f->fd);
            f->fd = -1;
            continue;
        }
        usleep(40000);
    }
out:
    free(frame);
    if (f->fd >= 0) close(f->fd);
    return NULL;
}

static void feed_more(struct feeder *f, int n)
{
    pthread_mutex_lock(&f->mu);
    f->frames += n;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

Test(daemon, a_stalled_pipeline_stops_the_watchdog_and_fails_healthz)
{
    struct feeder f = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    signal(SIGPIPE, SIG_IGN); /* the feeder may write after detectd has gone */
    snprintf(f.path, sizeof(f.path), "/tmp/dd-fifo-%d", getpid());
    unlink(f.path);
    cr_assert_eq(mkfifo(f.path, 0600), 0, "%s", strerror(errno));
    pthread_t tid;
    pthread_create(&tid, NULL, feed_main, &f);
    feed_more(&f, 100000); /* flowing */
    snprintf(config_buf, sizeof(config_buf),
             "[source]\nuri = gst:filesrc location=%s ! rawvideoparse width=320 height=240 "
             "format=nv12 framerate=25/1\nrealtime = false\nloop = false\n[http]\n"
             "listen = 127.0.0.1:%%PORT%%\n[daemon]\nwatchdog_stall_s = 1.5\n",
             f.path);
    dh_start(&d, config_buf, 800000);
    wait_ready();
    cr_assert_geq(dh_count_notify(&d, "WATCHDOG=1", 1500), 3, "pings while frames flow");
    struct dh_response r = dh_get(d.port, "/healthz", NULL);
    cr_assert_eq(r.status, 200);
    dh_response_free(&r);

    /* stall: the FIFO stays open but no frame comes */
    pthread_mutex_lock(&f.mu);
    f.frames = 0;
    pthread_mutex_unlock(&f.mu);
    dh_count_notify(&d, "WATCHDOG=1", 2500); /* the stall window passes */
    cr_assert_eq(dh_count_notify(&d, "WATCHDOG=1", 2000), 0, "no pings while stalled");
    r = dh_get(d.port, "/healthz", NULL);
    cr_assert_eq(r.status, 503, "healthz fails while stalled");
    dh_response_free(&r);
    r = dh_get(d.port, "/api/stats", NULL);
    cr_assert(strstr(r.body, "\"state\":\"stalled\""), "%s", r.body);
    dh_response_free(&r);

    /* frames again: pings and health come back */
    feed_more(&f, 100000);
    cr_assert(dh_wait_notify(&d, "WATCHDOG=1", 10000), "pings resume");
    r = dh_get(d.port, "/healthz", NULL);
    cr_assert_eq(r.status, 200);
    dh_response_free(&r);

    dh_stop(&d);
    pthread_mutex_lock(&f.mu);
    f.quit = 1;
    pthread_cond_signal(&f.cv);
    pthread_mutex_unlock(&f.mu);
    pthread_join(tid, NULL);
    unlink(f.path);
}

Test(daemon, malformed_and_random_requests_get_4xx_or_a_close_never_a_crash)
{
    dh_start(&d, base_config("\n[http]\nmax_request_bytes = 4096\ntimeout_s = 2\n"), 0);
    wait_ready();
    const char *cases[] = {
        "GARBAGE\r\n\r\n",
        "GET\r\n\r\n",
        "GET / HTTP/9.9\r\n\r\n",
        "GET /api/stats HTTP/1.1\r\n\r\n", /* HTTP/1.1 without Host */
        "GET /%00%ff/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /api/stats?access_token=%zz HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /api/stats HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        "GET /api/stats HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "DELETE / HTTP/1.1\r\nHost: x\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /api/stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\r\n\r\n",
        "GET /api/stats HTTP/1.1\r\nHost: x\r\n" /* truncated */,
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct dh_response r = dh_raw(d.port, cases[i], strlen(cases[i]), 1 << 16, 3000);
        cr_assert(r.status == 0 || r.status == 200 || (r.status >= 400 && r.status < 600),
                  "case %zu: %d", i, r.status);
        cr_assert(r.status < 500 || r.status == 505, "case %zu: %d", i, r.status);
        dh_response_free(&r);
    }
    /* random requests: a valid prefix mutated, and pure noise */
    unsigned seed = 12345;
    char req[8192];
    for (int i = 0; i < 400; i++) {
        size_t n;
        if (i % 2) {
            n = (size_t)snprintf(req, sizeof(req),
                                 "GET /api/stats?x=%d HTTP/1.1\r\nHost: x\r\nX-A: b\r\n\r\n", i);
            for (int k = 0; k < 1 + i % 8; k++) req[rand_r(&seed) % n] = (char)rand_r(&seed);
        } else {
            n = (size_t)(rand_r(&seed) % sizeof(req));
            for (size_t k = 0; k < n; k++) req[k] = (char)rand_r(&seed);
        }
        struct dh_response r = dh_raw(d.port, req, n, 1 << 16, 2500);
        cr_assert(r.status == 0 || r.status == 200 || (r.status >= 400 && r.status < 500) ||
                      r.status == 505,
                  "random request %d: status %d", i, r.status);
        dh_response_free(&r);
    }
    struct dh_response r = dh_get(d.port, "/healthz", NULL);
    cr_assert_eq(r.status, 200, "still healthy after the fuzzing");
    dh_response_free(&r);
    cr_assert_gt(stat_of("http.errors"), 10);
}

Test(daemon, command_line_and_startup_errors_are_clear)
{
    char *out, *err;
    cr_assert_eq(tc_run(DD_DETECTD_BIN " --version", &out, &err), 0);
    cr_assert(strncmp(out, "detectd ", 8) == 0, "%s", out);
    free(out);
    free(err);
    cr_assert_eq(tc_run(DD_DETECTD_BIN " --help", &out, &err), 0);
    cr_assert(strstr(out, "--check-config FILE"), "%s", out);
    free(out);
    free(err);
    cr_assert_eq(tc_run(DD_DETECTD_BIN " --frobnicate", &out, &err), 2);
    free(out);
    free(err);

    char dir[] = "/tmp/dd-check-XXXXXX", path[128], cmd[512];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/good.conf", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "[detector]\nclasses_allow = person, car\n[model]\npackage = %s\n",
            tc_asset("packages/nanodet-w8a8.ddpkg"));
    fclose(f);
    snprintf(cmd, sizeof(cmd), DD_DETECTD_BIN " --check-config %s", path);
    cr_assert_eq(tc_run(cmd, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, ": OK (model nanodet with 80 classes on cpu"), "%s", out);
    free(out);
    free(err);

    f = fopen(path, "w");
    fprintf(f, "[detector]\n# comment\nclasses_allow = person, car\nmax_detections = many\n");
    fclose(f);
    cr_assert_eq(tc_run(cmd, &out, &err), 1);
    cr_assert(strstr(err, "<3>") &&
                  strstr(err, "good.conf:4: [detector] max_detections: 'many' is not valid"),
              "%s", err);
    free(out);
    free(err);

    f = fopen(path, "w");
    fprintf(f, "[model]\npackage = /nonexistent.ddpkg\n");
    fclose(f);
    cr_assert_eq(tc_run(cmd, &out, &err), 1);
    cr_assert(strstr(err, "/nonexistent.ddpkg is not a model package"), "%s", err);
    free(out);
    free(err);

    /* running on a config whose source cannot open: exit 1, says why */
    f = fopen(path, "w");
    fprintf(f, "[source]\nuri = /nonexistent/video.mp4\n[http]\nlisten = 127.0.0.1:%u\n",
            dh_free_port());
    fclose(f);
    snprintf(cmd, sizeof(cmd), DD_DETECTD_BIN " --config %s", path);
    cr_assert_eq(tc_run(cmd, &out, &err), 1);
    cr_assert(strstr(err, "<3>") && strstr(err, "/nonexistent/video.mp4"), "%s", err);
    free(out);
    free(err);
    snprintf(cmd, sizeof(cmd), DD_DETECTD_BIN " --config %s/missing.conf", dir);
    cr_assert_eq(tc_run(cmd, &out, &err), 1);
    cr_assert(strstr(err, "missing.conf: No such file"), "%s", err);
    free(out);
    free(err);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* Zones and lines on the demo street: people enter the left half and cross the middle; the
 * counters are in /api/stats and /metrics, events in the history, on the SSE stream and with a
 * JPEG snapshot; a reload that keeps a zone keeps its counters; bad geometry is refused. */
Test(daemon, zones_lines_and_events_follow_the_tracked_people, .timeout = 400)
{
    const char *scene = "\n[zones]\nzone1 = left: 0,0 0.5,0 0.5,1 0,1\n"
                        "[lines]\nline1 = mid: 0.5,0 0.5,1\n";
    dh_start(&d, base_config(scene), 0);
    wait_ready();
    double entered = 0, crossed = 0;
    for (int i = 0; i < 600 && (entered < 2 || crossed < 1); i++) {
        usleep(200000);
        entered = stat_of("zones.left.entered");
        crossed = stat_of("lines.mid.in") + stat_of("lines.mid.out");
    }
    cr_assert_geq(entered, 2, "people entering the left half");
    cr_assert_geq(crossed, 1, "people crossing the middle");
    cr_assert_geq(stat_of("zones.left.occupancy"), 0);
    struct dh_response r = dh_get(d.port, "/metrics", NULL);
    cr_assert(strstr(r.body, "detectd_zone_entries_total{zone=\"left\",class=\"person\"}"), "%s",
              r.body);
    cr_assert(strstr(r.body, "detectd_line_crossings_total{line=\"mid\",direction="), "%s", r.body);
    cr_assert(strstr(r.body, "detectd_zone_occupancy{zone=\"left\"}"), "%s", r.body);
    dh_response_free(&r);

    /* the history, and the newest event's snapshot (a JPEG with the event's box) */
    r = dh_get(d.port, "/api/events/recent?max=3", NULL);
    cr_assert_eq(r.status, 200, "%s", r.head);
    cr_assert(strstr(r.body, "\"type\":\"zone_enter\"") ||
                  strstr(r.body, "\"type\":\"line_cross\"") ||
                  strstr(r.body, "\"type\":\"appeared\"") || strstr(r.body, "\"type\":\"left\"") ||
                  strstr(r.body, "\"type\":\"zone_leave\""),
              "%s", r.body);
    double last = dh_json_number(r.body, "last");
    dh_response_free(&r);
    cr_assert_gt(last, 0);
    char path[96];
    snprintf(path, sizeof(path), "/api/events/%.0f/snapshot.jpg", last);
    int status = 0;
    for (int i = 0; i < 50 && status != 200; i++) {
        r = dh_get(d.port, path, NULL);
        status = r.status;
        if (status == 200) {
            cr_assert(strstr(r.head, "image/jpeg"), "%s", r.head);
            cr_assert(r.body_len > 1000 && (unsigned char)r.body[0] == 0xFF &&
                      (unsigned char)r.body[1] == 0xD8);
        } else {
            cr_assert_eq(status, 503, "%s: %s", path, r.head); /* being encoded */
            usleep(100000);
        }
        dh_response_free(&r);
    }
    cr_assert_eq(status, 200);
    r = dh_get(d.port, "/api/events/999999999/snapshot.jpg", NULL);
    cr_assert_eq(r.status, 404);
    dh_response_free(&r);
    r = dh_get(d.port, "/api/events/-1/snapshot.jpg", NULL);
    cr_assert_eq(r.status, 404);
    dh_response_free(&r);
    r = dh_get(d.port, "/api/events/recent?after=x", NULL);
    cr_assert_eq(r.status, 400);
    dh_response_free(&r);

    /* the SSE stream carries them as they happen, between the frames' detections */
    const char *sse = "GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n";
    int seen = 0;
    for (int i = 0; i < 6 && !seen; i++) {
        r = dh_raw(d.port, sse, strlen(sse), 4u << 20, 15000);
        seen = r.body && (strstr(r.body, "event: appeared\ndata: {") ||
                          strstr(r.body, "event: left\ndata: {") ||
                          strstr(r.body, "event: zone_enter\ndata: {") ||
                          strstr(r.body, "event: zone_leave\ndata: {") ||
                          strstr(r.body, "event: line_cross\ndata: {"));
        dh_response_free(&r);
    }
    cr_assert(seen, "no scene event on /api/events in 90 s");

    /* a reload keeping the zone and the line (another line added, a threshold changed) keeps
     * their counters */
    entered = stat_of("zones.left.entered");
    crossed = stat_of("lines.mid.in") + stat_of("lines.mid.out");
    dh_write_config(&d, base_config("\n[zones]\nzone1 = left: 0,0 0.5,0 0.5,1 0,1\n"
                                    "[lines]\nline1 = mid: 0.5,0 0.5,1\n"
                                    "line2 = low: 0,0.7 1,0.7\n"
                                    "[detector]\nscore_threshold = 0.4\n"));
    dh_signal(&d, SIGHUP);
    cr_assert(dh_wait_notify(&d, "READY=1", 10000));
    for (int i = 0; i < 50 && stat_of("config.generation") < 2; i++) usleep(100000);
    cr_assert_eq(stat_of("config.generation"), 2);
    usleep(400000); /* a board published after the reload */
    cr_assert_geq(stat_of("zones.left.entered"), entered, "the zone lost its counters");
    cr_assert_geq(stat_of("lines.mid.in") + stat_of("lines.mid.out"), crossed);
    cr_assert_geq(stat_of("lines.low.in"), 0, "the new line is counted");

    /* bad geometry, or zones without the tracker: refused, the running scene stays */
    dh_write_config(&d, base_config("\n[zones]\nzone1 = bow: 0,0 1,1 1,0 0,1\n"));
    dh_signal(&d, SIGHUP);
    cr_assert(dh_wait_notify(&d, "READY=1", 10000));
    for (int i = 0; i < 50 && stat_of("config.reloads_failed") < 1; i++) usleep(100000);
    char why[600];
    stat_string("last_reload_error", why, sizeof(why));
    cr_assert(strstr(why, "zone 'bow'") && strstr(why, "cross"), "%s", why);
    dh_write_config(&d, base_config("\n[tracker]\nenabled = false\n"
                                    "[lines]\nline1 = mid: 0.5,0 0.5,1\n"));
    dh_signal(&d, SIGHUP);
    cr_assert(dh_wait_notify(&d, "READY=1", 10000));
    for (int i = 0; i < 50 && stat_of("config.reloads_failed") < 2; i++) usleep(100000);
    stat_string("last_reload_error", why, sizeof(why));
    cr_assert(strstr(why, "need [tracker] enabled = true"), "%s", why);
    cr_assert_eq(stat_of("config.generation"), 2);
    cr_assert_geq(stat_of("zones.left.entered"), entered);
}

/* Whether /api/stats holds needle. */
static int stat_has(const char *needle)
{
    struct dh_response r = dh_get(d.port, "/api/stats", NULL);
    int yes = r.body && strstr(r.body, needle) != NULL;
    dh_response_free(&r);
    return yes;
}

/* frames out over secs seconds */
static double frames_over(double secs)
{
    double a = stat_of("pipeline.frames_output");
    usleep((useconds_t)(secs * 1e6));
    return stat_of("pipeline.frames_output") - a;
}

/* The daemon with a real mosquitto broker: availability, retained zone state, Home Assistant
 * discovery and events arrive; the broker stopping does not slow the pipeline, its return gets
 * the state back; a daemon killed outright is announced offline by the broker (the will). */
static struct mb_broker broker;

static void stop_daemon_and_broker(void)
{
    dh_stop(&d);
    mb_stop(&broker);
}

Test(daemon, mqtt_publishes_and_a_lost_broker_costs_the_pipeline_nothing, .timeout = 400,
     .fini = stop_daemon_and_broker)
{
    cr_assert_eq(mb_start(&broker, 0, NULL), 0);
    char extra[600];
    snprintf(extra, sizeof(extra),
             "\n[zones]\nzone1 = left: 0,0 0.5,0 0.5,1 0,1\n[lines]\nline1 = mid: 0.5,0 0.5,1\n"
             "[mqtt]\nenabled = true\nhost = 127.0.0.1\nport = %u\nclient_id = cam\n"
             "keepalive_s = 5\nstats_interval_s = 2\n",
             broker.port);
    struct mb_sub *sub = mb_subscribe(broker.port, "#");
    cr_assert_not_null(sub);
    dh_start(&d, base_config(extra), 0);
    wait_ready();
    char buf[4096];
    cr_assert(mb_wait(sub, "detectd/cam/availability", "online", 20000, NULL, 0));
    cr_assert(mb_wait(sub, "detectd/cam/zones/left/state", "\"occupancy\":", 20000, NULL, 0));
    cr_assert(mb_wait(sub, "detectd/cam/lines/mid/state", "\"in\":", 20000, NULL, 0));
    cr_assert(mb_wait(sub, "homeassistant/binary_sensor/cam/left_occupied/config", "occupancy",
                      20000, NULL, 0));
    cr_assert(mb_wait(sub, "detectd/cam/stats", "\"fps\":", 20000, buf, sizeof(buf)));
    cr_assert(mb_wait(sub, "detectd/cam/events", "\"type\":", 120000, buf, sizeof(buf)),
              "no event in 120 s");
    cr_assert(strstr(buf, "\"id\":") && strstr(buf, "\"box\":["), "%s", buf);
    cr_assert(stat_has("\"connected\":true"));
    mb_close(sub);

    /* the broker goes away: the frame rate holds, the stats say so */
    double before = frames_over(6);
    unsigned port = broker.port;
    mb_stop(&broker);
    for (int i = 0; i < 100 && !stat_has("\"connected\":false"); i++) usleep(100000);
    cr_assert(stat_has("\"connected\":false"));
    double during = frames_over(6);
    /* a stalled pipeline would show ~0; the margin is for a loaded machine (sanitizers, tests
     * beside this one) */
    cr_assert_geq(during, 0.5 * before, "frames in 6 s: %.0f with the broker, %.0f without", before,
                  during);
    cr_log_info("frames in 6 s: %.0f with the broker, %.0f without", before, during);
    struct dh_response r = dh_get(d.port, "/metrics", NULL);
    cr_assert(strstr(r.body, "detectd_mqtt_connected 0"), "%s", r.body);
    dh_response_free(&r);

    /* it comes back (empty: persistence off): the daemon reconnects and says it all again */
    cr_assert_eq(mb_start(&broker, port, NULL), 0);
    for (int i = 0; i < 900 && !stat_has("\"connected\":true"); i++) usleep(100000);
    cr_assert(stat_has("\"connected\":true"), "no reconnect within 90 s");
    sleep(2);
    sub = mb_subscribe(broker.port, "#");
    cr_assert_eq(mb_wait(sub, "detectd/cam/zones/left/state", "\"occupancy\":", 20000, NULL, 0), 2,
                 "the zone's state is retained again");
    cr_assert_eq(mb_wait(sub, "homeassistant/sensor/cam/mid_in/config", NULL, 20000, NULL, 0), 2);

    /* killed outright: the broker says offline for it */
    dh_signal(&d, SIGKILL);
    cr_assert(mb_wait(sub, "detectd/cam/availability", "offline", 30000, NULL, 0),
              "no last will after the daemon died");
    mb_close(sub);
    mb_stop(&broker);
}

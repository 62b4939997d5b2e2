#include "daemon_harness.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests_common.h"

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void *reader_main(void *arg);

unsigned dh_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t len = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

void dh_write_config(struct dh_daemon *d, const char *text)
{
    FILE *f = fopen(d->config, "w");
    cr_assert_not_null(f);
    char port[16];
    snprintf(port, sizeof(port), "%u", d->port);
    for (const char *p = text; *p;) {
        const char *m = strstr(p, "%PORT%");
        if (!m) {
            fputs(p, f);
            break;
        }
        fwrite(p, 1, (size_t)(m - p), f);
        fputs(port, f);
        p = m + 6;
    }
    fclose(f);
}

void dh_start(struct dh_daemon *d, const char *config_text, unsigned watchdog_usec)
{
    memset(d, 0, sizeof(*d));
    strcpy(d->dir, "/tmp/dd-daemon-XXXXXX");
    cr_assert_not_null(mkdtemp(d->dir));
    snprintf(d->config, sizeof(d->config), "%s/detectd.conf", d->dir);
    snprintf(d->notify_path, sizeof(d->notify_path), "%s/notify", d->dir);
    snprintf(d->log_path, sizeof(d->log_path), "%s/stderr.log", d->dir);
    d->port = dh_free_port();
    if (config_text) dh_write_config(d, config_text);

    d->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un su = {.sun_family = AF_UNIX};
    cr_assert_lt(strlen(d->notify_path), sizeof(su.sun_path));
    memcpy(su.sun_path, d->notify_path, strlen(d->notify_path) + 1);
    cr_assert_eq(bind(d->notify_fd, (struct sockaddr *)&su, sizeof(su)), 0, "%s", strerror(errno));

    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    d->pid = fork();
    cr_assert_neq(d->pid, -1);
    if (d->pid == 0) {
        int fd = open(d->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(devnull, 1);
        setenv("NOTIFY_SOCKET", d->notify_path, 1);
        if (watchdog_usec) {
            char v[32];
            snprintf(v, sizeof(v), "%u", watchdog_usec);
            setenv("WATCHDOG_USEC", v, 1);
        }
        if (config_text)
            execl(DD_DETECTD_BIN, "detectd", "--config", d->config, (char *)NULL);
        else
            execl(DD_DETECTD_BIN, "detectd", (char *)NULL);
        _exit(127);
    }
    cr_assert_eq(pthread_create(&d->reader, NULL, reader_main, d), 0);
    d->reader_running = 1;
}

static void *reader_main(void *arg)
{
    struct dh_daemon *d = arg;
    char buf[4096];
    for (;;) {
        pthread_mutex_lock(&d->mu);
        int stop = d->reader_stop;
        pthread_mutex_unlock(&d->mu);
        if (stop) break;
        struct pollfd p = {d->notify_fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        ssize_t n = recv(d->notify_fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0) continue;
        buf[n] = 0;
        pthread_mutex_lock(&d->mu);
        if (d->n_msgs == d->cap_msgs) {
            d->cap_msgs = d->cap_msgs ? 2 * d->cap_msgs : 64;
            d->msgs = realloc(d->msgs, d->cap_msgs * sizeof(char *));
        }
        d->msgs[d->n_msgs++] = strdup(buf);
        d->messages = realloc(d->messages, d->messages_len + (size_t)n + 5);
        memcpy(d->messages + d->messages_len, buf, (size_t)n);
        memcpy(d->messages + d->messages_len + n, "\n--\n", 5);
        d->messages_len += (size_t)n + 4;
        pthread_cond_broadcast(&d->cv);
        pthread_mutex_unlock(&d->mu);
    }
    return NULL;
}

static int exited(struct dh_daemon *d)
{
    int st;
    if (d->pid > 0 && waitpid(d->pid, &st, WNOHANG) == d->pid) {
        d->pid = 0;
        d->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }
    return d->pid <= 0;
}

int dh_wait_notify(struct dh_daemon *d, const char *needle, int timeout_ms)
{
    long end = now_ms() + timeout_ms;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        while (d->cursor < d->n_msgs) {
            if (strstr(d->msgs[d->cursor++], needle)) {
                pthread_mutex_unlock(&d->mu);
                return 1;
            }
        }
        if (now_ms() >= end) break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000L;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&d->cv, &d->mu, &ts);
        pthread_mutex_unlock(&d->mu);
        int gone = exited(d);
        pthread_mutex_lock(&d->mu);
        if (gone && d->cursor == d->n_msgs) break;
    }
    pthread_mutex_unlock(&d->mu);
    return 0;
}

int dh_seen(struct dh_daemon *d, const char *needle)
{
    pthread_mutex_lock(&d->mu);
    int seen = d->messages && strstr(d->messages, needle) != NULL;
    pthread_mutex_unlock(&d->mu);
    return seen;
}

int dh_count_notify(struct dh_daemon *d, const char *needle, int ms)
{
    pthread_mutex_lock(&d->mu);
    d->cursor = d->n_msgs;
    pthread_mutex_unlock(&d->mu);
    usleep((useconds_t)ms * 1000);
    pthread_mutex_lock(&d->mu);
    int n = 0;
    for (; d->cursor < d->n_msgs; d->cursor++) n += strstr(d->msgs[d->cursor], needle) != NULL;
    pthread_mutex_unlock(&d->mu);
    return n;
}

void dh_signal(struct dh_daemon *d, int sig)
{
    cr_assert(d->pid > 0, "detectd is not running");
    kill(d->pid, sig);
}

int dh_wait_exit(struct dh_daemon *d, int timeout_ms)
{
    long end = now_ms() + timeout_ms;
    while (!exited(d) && now_ms() < end) usleep(20000);
    return d->pid <= 0 ? d->exit_status : -1;
}

char *dh_log(struct dh_daemon *d)
{
    size_t n;
    return tc_read_file(d->log_path, &n);
}

void dh_stop(struct dh_daemon *d)
{
    if (d->pid > 0) {
        kill(d->pid, SIGTERM);
        if (dh_wait_exit(d, 30000) == -1 && d->pid > 0) {
            kill(d->pid, SIGKILL);
            waitpid(d->pid, NULL, 0);
        }
    }
    if (d->reader_running) {
        pthread_mutex_lock(&d->mu);
        d->reader_stop = 1;
        pthread_mutex_unlock(&d->mu);
        pthread_join(d->reader, NULL);
        d->reader_running = 0;
    }
    if (d->notify_fd > 0) close(d->notify_fd);
    d->notify_fd = -1;
    for (size_t i = 0; i < d->n_msgs; i++) free(d->msgs[i]);
    free(d->msgs);
    d->msgs = NULL;
    d->n_msgs = d->cap_msgs = d->cursor = 0;
    if (d->dir[0]) {
        /* an ordinary stop finishes well inside the shutdown deadline: say so when it did not */
        size_t n;
        char *log = tc_read_file(d->log_path, &n);
        const char *ab = log ? strstr(log, "abandoned, exiting") : NULL;
        if (ab)
            fprintf(stderr, "note: detectd's stop was cut short: %.200s\n",
                    ab > log + 120 ? ab - 120 : log);
        free(log);
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", d->dir);
        if (system(cmd) != 0) cr_log_warn("could not remove %s", d->dir);
        d->dir[0] = 0;
    }
    free(d->messages);
    d->messages = NULL;
    d->messages_len = 0;
}

int dh_connect(unsigned port, uint32_t from)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in src = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(from)};
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || (from && bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) ||
        connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

struct dh_response dh_raw(unsigned port, const char *request, size_t len, size_t max_bytes,
                          int timeout_ms)
{
    struct dh_response r = {0};
    int fd = dh_connect(port, 0);
    if (fd < 0) return r;
    for (size_t off = 0; off < len;) {
        ssize_t n = send(fd, request + off, len - off, MSG_NOSIGNAL);
        if (n <= 0) break; /* the server may close early on a bad request */
        off += (size_t)n;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    long end = now_ms() + timeout_ms;
    while (n < max_bytes && now_ms() < end) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)(end - now_ms())) <= 0) break;
        if (n == cap) buf = realloc(buf, (cap *= 2) + 1);
        ssize_t k = recv(fd, buf + n, cap - n, 0);
        if (k <= 0) break;
        n += (size_t)k;
    }
    close(fd);
    buf[n] = 0;
    char *sep = strstr(buf, "\r\n\r\n");
    if (strncmp(buf, "HTTP/1.", 7) == 0 && n > 12) r.status = atoi(buf + 9);
    if (sep) {
        *sep = 0;
        r.head = strdup(buf);
        r.body_len = n - (size_t)(sep + 4 - buf);
        r.body = malloc(r.body_len + 1);
        memcpy(r.body, sep + 4, r.body_len);
        r.body[r.body_len] = 0;
    } else {
        r.head = strdup(buf);
        r.body = strdup("");
    }
    free(buf);
    return r;
}

struct dh_response dh_get(unsigned port, const char *path, const char *headers)
{
    char req[2048];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n", path,
                     headers ? headers : "");
    return dh_raw(port, req, (size_t)n, 64u << 20, 15000);
}

void dh_response_free(struct dh_response *r)
{
    free(r->head);
    free(r->body);
    r->head = r->body = NULL;
}

double dh_json_number(const char *body, const char *path)
{
    cJSON *root = cJSON_Parse(body);
    if (!root) return NAN;
    cJSON *o = root;
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    char *save = NULL;
    for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
        o = cJSON_GetObjectItemCaseSensitive(o, k);
    double v = o && cJSON_IsNumber(o) ? o->valuedouble : NAN;
    cJSON_Delete(root);
    return v;
}

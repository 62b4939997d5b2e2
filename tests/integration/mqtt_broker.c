#include "mqtt_broker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static int accepts(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

int mb_start(struct mb_broker *b, unsigned port, const char *extra_conf)
{
    if (!b->dir[0]) {
        snprintf(b->dir, sizeof(b->dir), "/tmp/dd-mqtt-XXXXXX");
        if (!mkdtemp(b->dir)) return -1;
    }
    b->port = port ? port : free_port();
    char conf[256], log[256];
    snprintf(conf, sizeof(conf), "%s/mosquitto.conf", b->dir);
    snprintf(log, sizeof(log), "%s/mosquitto.log", b->dir);
    FILE *f = fopen(conf, "w");
    if (!f) return -1;
    /* as root, mosquitto would switch to its own user, who cannot read this directory */
    struct passwd *pw = getpwuid(getuid());
    fprintf(f, "listener %u 127.0.0.1\npersistence false\nlog_dest file %s\nuser %s\n%s\n", b->port,
            log, pw ? pw->pw_name : "root",
            extra_conf && *extra_conf ? extra_conf : "allow_anonymous true");
    fclose(f);
    b->pid = fork();
    if (b->pid == 0) {
        int null = open("/dev/null", O_WRONLY); /* its log is in the file */
        if (null >= 0) dup2(null, 1), dup2(null, 2);
        execl("/usr/sbin/mosquitto", "mosquitto", "-c", conf, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) { /* 10 s */
        if (accepts(b->port)) return 0;
        int st;
        if (waitpid(b->pid, &st, WNOHANG) == b->pid) {
            fprintf(stderr, "mosquitto exited (status %d); see %s\n", st, log);
            b->pid = 0;
            return -1;
        }
        usleep(50000);
    }
    fprintf(stderr, "mosquitto does not accept on port %u\n", b->port);
    return -1;
}

void mb_stop(struct mb_broker *b)
{
    if (b->pid <= 0) return;
    kill(b->pid, SIGTERM);
    waitpid(b->pid, NULL, 0);
    b->pid = 0;
}

int mb_passwd(struct mb_broker *b, const char *user, const char *password, char *path, size_t size)
{
    snprintf(path, size, "%s/passwd", b->dir);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "mosquitto_passwd -c -b '%s' '%s' '%s' 2>&1", path, user, password);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- subscriber ---- */

struct rx {
    char *topic, *payload;
    int retain;
};

struct mb_sub {
    struct mosquitto *m;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct rx *v;
    int n, cap, subscribed;
    char filter[128];
};

static void on_connect(struct mosquitto *m, void *u, int rc)
{
    struct mb_sub *s = u;
    if (rc == 0) mosquitto_subscribe(m, NULL, s->filter, 1);
}

static void on_subscribe(struct mosquitto *m, void *u, int mid, int n, const int *q)
{
    (void)m, (void)mid, (void)n, (void)q;
    struct mb_sub *s = u;
    pthread_mutex_lock(&s->mu);
    s->subscribed = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void on_message(struct mosquitto *m, void *u, const struct mosquitto_message *msg)
{
    (void)m;
    struct mb_sub *s = u;
    pthread_mutex_lock(&s->mu);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->v = realloc(s->v, (size_t)s->cap * sizeof(*s->v));
    }
    char *p = malloc((size_t)msg->payloadlen + 1);
    if (msg->payloadlen) memcpy(p, msg->payload, (size_t)msg->payloadlen);
    p[msg->payloadlen] = 0;
    s->v[s->n++] = (struct rx){strdup(msg->topic), p, msg->retain};
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

struct mb_sub *mb_subscribe(unsigned port, const char *filter)
{
    mosquitto_lib_init();
    struct mb_sub *s = calloc(1, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    snprintf(s->filter, sizeof(s->filter), "%s", filter);
    s->m = mosquitto_new(NULL, true, s);
    mosquitto_connect_callback_set(s->m, on_connect);
    mosquitto_subscribe_callback_set(s->m, on_subscribe);
    mosquitto_message_callback_set(s->m, on_message);
    if (mosquitto_connect(s->m, "127.0.0.1", (int)port, 30) != MOSQ_ERR_SUCCESS ||
        mosquitto_loop_start(s->m) != MOSQ_ERR_SUCCESS) {
        mosquitto_destroy(s->m);
        free(s);
        return NULL;
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&s->mu);
    while (!s->subscribed && pthread_cond_timedwait(&s->cv, &s->mu, &until) == 0) {
    }
    int ok = s->subscribed;
    pthread_mutex_unlock(&s->mu);
    if (!ok) {
        mb_close(s);
        return NULL;
    }
    return s;
}

int mb_wait(struct mb_sub *s, const char *topic, const char *needle, int timeout_ms, char *out,
            size_t size)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    int found = 0, i = 0;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        for (; i < s->n && !found; i++)
            if (!strcmp(s->v[i].topic, topic) && (!needle || strstr(s->v[i].payload, needle))) {
                if (out) snprintf(out, size, "%s", s->v[i].payload);
                found = 1 + s->v[i].retain;
            }
        if (found || pthread_cond_timedwait(&s->cv, &s->mu, &until) != 0) break;
    }
    pthread_mutex_unlock(&s->mu);
    return found;
}

int mb_last(struct mb_sub *s, const char *topic, char *out, size_t size)
{
    int found = 0;
    pthread_mutex_lock(&s->mu);
    for (int i = s->n - 1; i >= 0 && !found; i--)
        if (!strcmp(s->v[i].topic, topic)) {
            snprintf(out, size, "%s", s->v[i].payload);
            found = 1;
        }
    pthread_mutex_unlock(&s->mu);
    return found;
}

int mb_count(struct mb_sub *s, const char *prefix)
{
    int n = 0;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->n; i++) n += !strncmp(s->v[i].topic, prefix, strlen(prefix));
    pthread_mutex_unlock(&s->mu);
    return n;
}

void mb_close(struct mb_sub *s)
{
    if (!s) return;
    mosquitto_disconnect(s->m);
    mosquitto_loop_stop(s->m, true);
    mosquitto_destroy(s->m);
    for (int i = 0; i < s->n; i++) free(s->v[i].topic), free(s->v[i].payload);
    free(s->v);
    free(s);
}

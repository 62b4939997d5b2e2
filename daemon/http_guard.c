#include "daemon/http_guard.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include "common/clock.h"

/* slots kept free: a new client always finds one while some connection is still sending */
#define RESERVE 4
#define SCAN_NS 200000000LL

struct conn {
    struct conn *prev, *next; /* oldest first */
    int fd;
    uint32_t ip; /* IPv4, network order (the server listens on IPv4) */
    int64_t t0_ns;
    atomic_int requested;
    int dropped, linked;
};

struct dd_http_guard {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int quit;
    unsigned max, open, dropping; /* open connections; of them, dropped and not closed yet */
    int64_t deadline_ns;
    struct conn *head, *tail;
};

/* Shuts the socket down: libmicrohttpd sees the error and closes the connection itself (the
 * fd stays valid until its CLOSED notification, which takes the lock we hold). */
static void drop(struct dd_http_guard *g, struct conn *c)
{
    shutdown(c->fd, SHUT_RDWR);
    c->dropped = 1;
    g->dropping++;
}

/* The list of connections, oldest first (the caller holds the lock). */
static void append(struct dd_http_guard *g, struct conn *c)
{
    c->prev = g->tail;
    c->next = NULL;
    if (g->tail)
        g->tail->next = c;
    else
        g->head = c;
    g->tail = c;
}

static void unlink_conn(struct dd_http_guard *g, struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        g->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        g->tail = c->prev;
}

static void *reaper(void *arg)
{
    struct dd_http_guard *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->quit) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += SCAN_NS;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&g->cv, &g->mu, &ts);
        int64_t now = dd_now_ns();
        for (struct conn *c = g->head; c && now - c->t0_ns > g->deadline_ns; c = c->next)
            if (!c->dropped && !atomic_load(&c->requested)) drop(g, c);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

int dd_http_guard_create(unsigned max_connections, double deadline_s, struct dd_http_guard **out,
                         struct dd_err *err)
{
    struct dd_http_guard *g = calloc(1, sizeof(*g));
    if (!g) return dd_err_set(err, "out of memory");
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    g->max = max_connections;
    g->deadline_ns = (int64_t)(deadline_s * 1e9);
    int rc = pthread_create(&g->thread, NULL, reaper, g);
    if (rc != 0) {
        pthread_cond_destroy(&g->cv);
        pthread_mutex_destroy(&g->mu);
        free(g);
        return dd_err_set(err, "http: cannot start the connection guard: %s", strerror(rc));
    }
    *out = g;
    return 0;
}

void dd_http_guard_destroy(struct dd_http_guard *g)
{
    if (!g) return;
    pthread_mutex_lock(&g->mu);
    g->quit = 1;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thread, NULL);
    for (struct conn *c = g->head, *n; c; c = n) n = c->next, free(c);
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

void dd_http_guard_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct dd_http_guard *g = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct conn *c = calloc(1, sizeof(*c));
        *socket_context = c;
        if (!c || !fd) return; /* unguarded: the idle timeout still applies */
        c->fd = fd->connect_fd;
        c->t0_ns = dd_now_ns();
        c->linked = 1;
        const union MHD_ConnectionInfo *a =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (a && a->client_addr && a->client_addr->sa_family == AF_INET)
            c->ip = ((const struct sockaddr_in *)(const void *)a->client_addr)->sin_addr.s_addr;
        pthread_mutex_lock(&g->mu);
        append(g, c);
        g->open++;
        /* nearly full: drop the oldest connections still sending their request head */
        for (struct conn *o = g->head; o && o != c && g->open - g->dropping + RESERVE > g->max;
             o = o->next)
            if (!o->dropped && !atomic_load(&o->requested)) drop(g, o);
        pthread_mutex_unlock(&g->mu);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct conn *c = *socket_context;
        *socket_context = NULL;
        if (!c) return;
        pthread_mutex_lock(&g->mu);
        if (c->linked) {
            unlink_conn(g, c);
            g->open--;
            if (c->dropped) g->dropping--;
        }
        pthread_mutex_unlock(&g->mu);
        free(c);
    }
}

enum MHD_Result dd_http_guard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct dd_http_guard *g = cls;
    if (addrlen < sizeof(struct sockaddr_in) || addr->sa_family != AF_INET) return MHD_YES;
    uint32_t ip = ((const struct sockaddr_in *)(const void *)addr)->sin_addr.s_addr;
    enum MHD_Result ok = MHD_YES;
    pthread_mutex_lock(&g->mu);
    if (g->open + RESERVE >= g->max) /* nearly full: not for an address still sending heads */
        for (struct conn *c = g->head; c; c = c->next)
            if (c->ip == ip && !c->dropped && !atomic_load(&c->requested)) {
                ok = MHD_NO;
                break;
            }
    pthread_mutex_unlock(&g->mu);
    return ok;
}

void dd_http_guard_requested(struct MHD_Connection *mc)
{
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn *c = i ? i->socket_context : NULL;
    if (c) atomic_store(&c->requested, 1);
}

void dd_http_guard_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                             enum MHD_RequestTerminationCode toe)
{
    (void)con_cls;
    (void)toe;
    struct dd_http_guard *g = cls;
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn *c = i ? i->socket_context : NULL;
    if (!c || !c->linked) return;
    pthread_mutex_lock(&g->mu);
    /* kept alive: the next head has its own deadline from now (the list stays oldest first) */
    atomic_store(&c->requested, 0);
    c->t0_ns = dd_now_ns();
    unlink_conn(g, c);
    append(g, c);
    pthread_mutex_unlock(&g->mu);
}

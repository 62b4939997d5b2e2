/* The HTTP server's connections against clients that never finish a request: each connection
 * must deliver its whole request head within a deadline (an idle timeout alone lets a client
 * trickle a byte at a time for ever); when the server is nearly full, an address that still
 * has a connection sending its head gets no new one, and the oldest such connection is dropped
 * to make room. So /healthz and /metrics answer whatever slow clients do. Streams (MJPEG,
 * events) that sent their request are never dropped. */
#ifndef DD_DAEMON_HTTP_GUARD_H
#define DD_DAEMON_HTTP_GUARD_H

#include <microhttpd.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/error.h"

struct dd_http_guard;

/* max_connections: the server's limit; deadline_s: for a request head. Starts a thread. */
int dd_http_guard_create(unsigned max_connections, double deadline_s, struct dd_http_guard **out,
                         struct dd_err *err);
/* Stops the thread; call after the server has stopped (no connection left). */
void dd_http_guard_destroy(struct dd_http_guard *g);
/* MHD_OPTION_NOTIFY_CONNECTION's callback (cls: the guard). */
void dd_http_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code);
/* MHD_start_daemon's accept policy (cls: the guard). */
enum MHD_Result dd_http_guard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
/* The handler has a request head from c: it is no longer a candidate for dropping. */
void dd_http_guard_requested(struct MHD_Connection *c);
/* MHD_OPTION_NOTIFY_COMPLETED's callback (cls: the guard): a kept-alive connection's next
 * request head has the deadline again. */
void dd_http_guard_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                             enum MHD_RequestTerminationCode toe);

#endif

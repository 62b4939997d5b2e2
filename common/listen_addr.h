/* "HOST:PORT" listen addresses (IPv4 dotted quad or localhost, port 1..65535):
 * the config validates with it and the HTTP server binds what it returns. */
#ifndef DD_COMMON_LISTEN_ADDR_H
#define DD_COMMON_LISTEN_ADDR_H

#include <netinet/in.h>

/* 0 and *out filled (network byte order), or -1 when s is not HOST:PORT. */
int dd_listen_addr_parse(const char *s, struct sockaddr_in *out);

#endif

#include "common/listen_addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dd_listen_addr_parse(const char *s, struct sockaddr_in *out)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || colon[1] == 0) return -1;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 1 || port > 65535) return -1;
    char host[64];
    if ((size_t)(colon - s) >= sizeof(host)) return -1;
    snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
    if (strcmp(host, "localhost") == 0) strcpy(host, "127.0.0.1");
    memset(out, 0, sizeof(*out));
    out->sin_family = AF_INET;
    out->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, host, &out->sin_addr) == 1 ? 0 : -1;
}

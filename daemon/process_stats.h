/* The daemon's own footprint, read from /proc/self: resident memory, threads and
 * open file descriptors (what a soak watches for growth). */
#ifndef DD_DAEMON_PROCESS_STATS_H
#define DD_DAEMON_PROCESS_STATS_H

#include <stdint.h>

struct dd_process_stats {
    uint64_t rss_bytes;
    int threads, open_fds; /* -1: unknown */
};

/* Fills out; fields that cannot be read are 0 / -1. */
void dd_process_stats_read(struct dd_process_stats *out);

#endif

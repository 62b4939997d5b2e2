/* Time helpers: monotonic and per-thread CPU clocks in nanoseconds, and
 * absolute deadlines for pthread_cond_timedwait (CLOCK_REALTIME). */
#ifndef DD_COMMON_CLOCK_H
#define DD_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

int64_t dd_now_ns(void);                        /* CLOCK_MONOTONIC */
int64_t dd_thread_cpu_ns(void);                 /* CPU time of the calling thread */
int64_t dd_process_cpu_ns(void);                /* CPU time of the whole process */
struct timespec dd_deadline_ms(int timeout_ms); /* now + timeout_ms, CLOCK_REALTIME */

#endif

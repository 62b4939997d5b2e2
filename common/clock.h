/* Time helpers: monotonic and per-thread CPU clocks in nanoseconds, and
 * absolute deadlines for pthread_cond_timedwait (CLOCK_REALTIME). */
#ifndef DD_COMMON_CLOCK_H
#define DD_COMMON_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

int64_t dd_now_ns(void);                        /* CLOCK_MONOTONIC */
double dd_now_ms(void);                         /* CLOCK_MONOTONIC, milliseconds */
int64_t dd_realtime_ns(void);                   /* CLOCK_REALTIME (wall clock) */
int64_t dd_pthread_cpu_ns(pthread_t t);         /* CPU time of thread t (0 if gone) */
int64_t dd_thread_cpu_ns(void);                 /* CPU time of the calling thread */
int64_t dd_process_cpu_ns(void);                /* CPU time of the whole process */
struct timespec dd_deadline_ms(int timeout_ms); /* now + timeout_ms, CLOCK_REALTIME */

#endif

#include "common/clock.h"

#include <pthread.h>

static int64_t read_ns(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int64_t dd_now_ns(void)
{
    return read_ns(CLOCK_MONOTONIC);
}
int64_t dd_thread_cpu_ns(void)
{
    return read_ns(CLOCK_THREAD_CPUTIME_ID);
}
int64_t dd_process_cpu_ns(void)
{
    return read_ns(CLOCK_PROCESS_CPUTIME_ID);
}

int64_t dd_realtime_ns(void)
{
    return read_ns(CLOCK_REALTIME);
}
double dd_now_ms(void)
{
    return (double)dd_now_ns() / 1e6;
}
int64_t dd_pthread_cpu_ns(pthread_t t)
{
    clockid_t id;
    return pthread_getcpuclockid(t, &id) == 0 ? read_ns(id) : 0;
}

struct timespec dd_deadline_ms(int timeout_ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    if (timeout_ms > 0) {
        t.tv_sec += timeout_ms / 1000;
        t.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (t.tv_nsec >= 1000000000L) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000L;
        }
    }
    return t;
}

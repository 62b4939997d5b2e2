#include "daemon/shutdown.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/notify.h"

static atomic_int requested;
static _Atomic(const char *) stage = "starting";
static double deadline;

static void *guard_main(void *arg)
{
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    if (sigwait(&set, &sig) != 0) return NULL;
    atomic_store(&requested, sig);
    struct timespec ts = {(time_t)deadline, (long)((deadline - (double)(time_t)deadline) * 1e9)};
    while (nanosleep(&ts, &ts) != 0) {
    }
    /* still here: the main thread is stuck; leave without it */
    DD_LOG_E("%s: %s did not finish within %.0f s: abandoned, exiting",
             sig == SIGTERM ? "SIGTERM" : "SIGINT", atomic_load(&stage), deadline);
    dd_notify_stopping();
    _exit(0);
}

int dd_shutdown_guard_start(double deadline_s, struct dd_err *err)
{
    deadline = deadline_s;
    pthread_t t;
    int rc = pthread_create(&t, NULL, guard_main, NULL);
    if (rc != 0) return dd_err_set(err, "cannot start the shutdown guard: %s", strerror(rc));
    pthread_detach(t);
    return 0;
}

int dd_shutdown_requested(void)
{
    return atomic_load(&requested);
}

void dd_shutdown_stage(const char *what)
{
    atomic_store(&stage, what);
}

#include "daemon/pipeline_reaper.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <time.h>

#include "common/clock.h"

/* One retirement, shared by the caller and the reaping thread; whichever
 * finishes last frees it (the caller when the pipeline was destroyed in time,
 * the thread when the caller gave up waiting). */
enum reap_job { REAP_DESTROY, REAP_START, REAP_CREATE };

struct reaping {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    struct dd_pipeline *p;
    enum reap_job job;
    const struct dd_pipeline_config *cfg;
    void *cfg_owner;     /* freed with free() by the thread when abandoned */
    int done, abandoned; /* under mu */
    int rc;              /* the start's or the create's */
    struct dd_err err;
};

static atomic_int pending;

static void reaping_free(struct reaping *r)
{
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static void run_job(struct reaping *r)
{
    if (r->job == REAP_CREATE)
        r->rc = dd_pipeline_create(r->cfg, &r->p, &r->err);
    else if (r->job == REAP_START)
        r->rc = dd_pipeline_start(r->p, &r->err);
    else
        dd_pipeline_destroy(r->p);
}

static void *reap_main(void *arg)
{
    struct reaping *r = arg;
    run_job(r);
    pthread_mutex_lock(&r->mu);
    r->done = 1;
    int abandoned = r->abandoned;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (abandoned) {
        if (r->job != REAP_DESTROY) dd_pipeline_destroy(r->p); /* nobody wants it any more */
        free(r->cfg_owner);
        atomic_fetch_sub(&pending, 1);
        reaping_free(r);
    }
    return NULL;
}

/* Runs r on its own thread and waits for it up to deadline_s: 0 when it finished (r is the
 * caller's to free), 1 when it was abandoned (the thread frees r), -1 when no thread started. */
static int run_within(struct reaping *r, double deadline_s, const struct dd_reap_tick *tick)
{
    pthread_condattr_t ca;
    pthread_attr_t ta;
    pthread_t tid;
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_attr_init(&ta);
    pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&tid, &ta, reap_main, r);
    pthread_attr_destroy(&ta);
    if (rc != 0) return -1;
    int64_t end = dd_now_ns() + (int64_t)(deadline_s * 1e9); /* CLOCK_MONOTONIC, as cv */
    pthread_mutex_lock(&r->mu);
    for (;;) {
        int64_t t = dd_now_ns();
        if (r->done || t >= end) break;
        int64_t slice = tick ? (int64_t)(tick->every_s * 1e9) : end - t;
        int64_t until_ns = t + (slice < end - t ? slice : end - t);
        struct timespec until = {(time_t)(until_ns / 1000000000LL),
                                 (long)(until_ns % 1000000000LL)};
        while (!r->done && pthread_cond_timedwait(&r->cv, &r->mu, &until) != ETIMEDOUT) {
        }
        if (r->done || !tick) continue;
        pthread_mutex_unlock(&r->mu);
        tick->fn(tick->user); /* the caller's loop, kept alive while it waits */
        pthread_mutex_lock(&r->mu);
    }
    int done = r->done;
    if (!done) {
        r->abandoned = 1;
        atomic_fetch_add(&pending, 1);
    }
    pthread_mutex_unlock(&r->mu);
    return done ? 0 : 1;
}

int dd_pipeline_reap(struct dd_pipeline *p, double deadline_s, const struct dd_reap_tick *tick)
{
    if (!p) return 0;
    struct reaping *r = calloc(1, sizeof(*r));
    if (!r) {
        dd_pipeline_destroy(p);
        return -1;
    }
    r->p = p;
    int rc = run_within(r, deadline_s, tick);
    if (rc == 1) return 1;
    reaping_free(r);
    if (rc < 0) {
        dd_pipeline_destroy(p);
        return -1;
    }
    return 0;
}

/* Runs a start or a create within deadline_s (on this thread when no other can start): its
 * result, or -2 when it was abandoned (err: what did not finish, why that can happen). */
static int job_within(struct reaping *r, double deadline_s, const struct dd_reap_tick *tick,
                      const char *what, const char *why, struct dd_err *err)
{
    int rc = run_within(r, deadline_s, tick);
    if (rc == 1) {
        dd_err_set(err, "%s did not finish within %.0f s (%s): abandoned to finish on its own",
                   what, deadline_s, why);
        return -2;
    }
    if (rc < 0) run_job(r);
    if (r->rc != 0) dd_err_set(err, "%s", r->err.msg);
    return r->rc;
}

int dd_pipeline_start_within(struct dd_pipeline *p, double deadline_s,
                             const struct dd_reap_tick *tick, struct dd_err *err)
{
    struct reaping *r = calloc(1, sizeof(*r));
    if (!r) return dd_err_set(err, "out of memory");
    r->p = p;
    r->job = REAP_START;
    int rc = job_within(r, deadline_s, tick, "starting", "a source or sink stuck in a call", err);
    if (rc != -2) reaping_free(r);
    return rc;
}

int dd_pipeline_create_within(const struct dd_pipeline_config *cfg, void *cfg_owner,
                              double deadline_s, const struct dd_reap_tick *tick,
                              struct dd_pipeline **out, struct dd_err *err)
{
    *out = NULL;
    struct reaping *r = calloc(1, sizeof(*r));
    if (!r) return dd_err_set(err, "out of memory");
    r->job = REAP_CREATE;
    r->cfg = cfg;
    r->cfg_owner = cfg_owner;
    int rc = job_within(r, deadline_s, tick, "opening the source and sink",
                        "a call that does not return", err);
    if (rc == -2) return rc;
    *out = r->p;
    reaping_free(r);
    return rc;
}

int dd_pipeline_reap_pending(void)
{
    return atomic_load(&pending);
}

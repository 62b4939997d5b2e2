/* Starts, and stops and destroys, a pipeline with a deadline. A source or sink stuck in a
 * call that does not return (a FIFO's read, GStreamer's state change on a dead
 * network stream, a driver) would otherwise hold the daemon's main loop for
 * good: no stats, no stall recovery, no reload. Past the deadline the
 * pipeline is left to finish on its own thread (the daemon then owns nothing
 * of it; its memory is freed if it ever finishes) and the caller goes on. */
#ifndef DD_DAEMON_PIPELINE_REAPER_H
#define DD_DAEMON_PIPELINE_REAPER_H

#include "pipeline/pipeline.h"

/* Called every every_s seconds on the waiting thread while it waits (the
 * daemon publishes its status, so /api/stats does not freeze during a start). */
struct dd_reap_tick {
    void (*fn)(void *user);
    void *user;
    double every_s;
};

/* Destroys p (dd_pipeline_destroy) within deadline_s seconds (tick: NULL or
 * called while waiting). Returns 0 when
 * it was destroyed in time, 1 when it was abandoned still stopping, -1 when no
 * thread could be started (p was then destroyed on this thread). */
int dd_pipeline_reap(struct dd_pipeline *p, double deadline_s, const struct dd_reap_tick *tick);

/* Creates a pipeline (dd_pipeline_create: opens the model, the source and the
 * sink) within deadline_s seconds: 0 and *out, or -1 with err when it failed,
 * or -2 with err when it did not finish in time. cfg and everything it points
 * to live in the malloc'd block cfg_owner: the caller's to free on 0 and -1;
 * on -2 the creating thread frees it (and the pipeline) when done, if ever. */
int dd_pipeline_create_within(const struct dd_pipeline_config *cfg, void *cfg_owner,
                              double deadline_s, const struct dd_reap_tick *tick,
                              struct dd_pipeline **out, struct dd_err *err);

/* Starts p (dd_pipeline_start) within deadline_s seconds: 0 when it started,
 * -1 with err when it failed (p is the caller's to destroy), -2 with err when it
 * did not finish in time (p is no longer the caller's: it is destroyed when its
 * start returns, if ever). */
int dd_pipeline_start_within(struct dd_pipeline *p, double deadline_s,
                             const struct dd_reap_tick *tick, struct dd_err *err);

/* Pipelines abandoned by dd_pipeline_reap or dd_pipeline_start_within that have not finished
 * stopping: their threads may still call the frame callback, so what it touches must not be freed
 * while this is non-zero. */
int dd_pipeline_reap_pending(void);

#endif

/* SIGTERM and SIGINT end the daemon within a deadline whatever its main thread is blocked in (a
 * source's open that waits for a writer, a GStreamer state change): a thread of its own takes
 * the signal, the main loop sees it at its next tick and stops in order; if it has not exited
 * when the deadline passes, the process exits anyway and logs what it abandoned. */
#ifndef DD_DAEMON_SHUTDOWN_H
#define DD_DAEMON_SHUTDOWN_H

#include "common/error.h"

/* Starts the thread (SIGTERM and SIGINT must be blocked in every thread). */
int dd_shutdown_guard_start(double deadline_s, struct dd_err *err);
/* 0, or the signal that asked for the stop. */
int dd_shutdown_requested(void);
/* What the main thread does now ("starting the pipeline", ...): named if it is abandoned.
 * what: a string literal. */
void dd_shutdown_stage(const char *what);

#endif

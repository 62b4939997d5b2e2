/* A bounded FIFO of frame references between two pipeline threads.
 * push() waits while the queue is full (back-pressure); push_latest() never
 * waits: when full it evicts the oldest frame and hands it back to the caller
 * (latest frame wins). close() wakes every waiter; a closed queue accepts
 * nothing and pop() drains what is left, then returns NULL. */
#ifndef DD_PIPELINE_FRAME_QUEUE_H
#define DD_PIPELINE_FRAME_QUEUE_H

#include <pthread.h>

#include "pipeline/frame.h"

struct dd_frame_queue {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    struct dd_frame **v;
    unsigned cap, head, n;
    int closed;
};

int dd_frame_queue_init(struct dd_frame_queue *q, unsigned cap, struct dd_err *err);
/* Unrefs the frames still queued. */
void dd_frame_queue_destroy(struct dd_frame_queue *q);

/* Takes over the caller's reference. Returns 0, or -1 when the queue is
 * closed (the reference stays with the caller). */
int dd_frame_queue_push(struct dd_frame_queue *q, struct dd_frame *f);

/* Takes over the caller's reference; returns the evicted oldest frame (its
 * reference now the caller's) or NULL. On a closed queue returns f itself. */
struct dd_frame *dd_frame_queue_push_latest(struct dd_frame_queue *q, struct dd_frame *f);

/* The oldest frame (its reference becomes the caller's), waiting up to
 * timeout_ms (-1: forever); NULL on timeout or when closed and empty. */
struct dd_frame *dd_frame_queue_pop(struct dd_frame_queue *q, int timeout_ms);

void dd_frame_queue_close(struct dd_frame_queue *q);
unsigned dd_frame_queue_length(struct dd_frame_queue *q);

#endif

#include "pipeline/frame_queue.h"

#include <errno.h>
#include <stdlib.h>

#include "common/clock.h"

int dd_frame_queue_init(struct dd_frame_queue *q, unsigned cap, struct dd_err *err)
{
    *q = (struct dd_frame_queue){0};
    if (cap == 0) return dd_err_set(err, "queue capacity 0");
    if (!(q->v = calloc(cap, sizeof(*q->v)))) return dd_err_set(err, "out of memory");
    q->cap = cap;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    return 0;
}

void dd_frame_queue_destroy(struct dd_frame_queue *q)
{
    if (!q->v) return;
    for (unsigned i = 0; i < q->n; i++) dd_frame_unref(q->v[(q->head + i) % q->cap]);
    free(q->v);
    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->not_empty);
    pthread_mutex_destroy(&q->mu);
    *q = (struct dd_frame_queue){0};
}

static void put(struct dd_frame_queue *q, struct dd_frame *f)
{
    q->v[(q->head + q->n) % q->cap] = f;
    q->n++;
    pthread_cond_signal(&q->not_empty);
}

static struct dd_frame *take(struct dd_frame_queue *q)
{
    struct dd_frame *f = q->v[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
    pthread_cond_signal(&q->not_full);
    return f;
}

int dd_frame_queue_push(struct dd_frame_queue *q, struct dd_frame *f)
{
    pthread_mutex_lock(&q->mu);
    while (q->n == q->cap && !q->closed) pthread_cond_wait(&q->not_full, &q->mu);
    int closed = q->closed;
    if (!closed) put(q, f);
    pthread_mutex_unlock(&q->mu);
    return closed ? -1 : 0;
}

struct dd_frame *dd_frame_queue_push_latest(struct dd_frame_queue *q, struct dd_frame *f)
{
    struct dd_frame *evicted = NULL;
    pthread_mutex_lock(&q->mu);
    if (q->closed) {
        evicted = f;
    } else {
        if (q->n == q->cap) evicted = take(q);
        put(q, f);
    }
    pthread_mutex_unlock(&q->mu);
    return evicted;
}

struct dd_frame *dd_frame_queue_pop(struct dd_frame_queue *q, int timeout_ms)
{
    struct timespec until = dd_deadline_ms(timeout_ms);
    struct dd_frame *f = NULL;
    pthread_mutex_lock(&q->mu);
    while (q->n == 0 && !q->closed && timeout_ms != 0) {
        int r = timeout_ms < 0 ? pthread_cond_wait(&q->not_empty, &q->mu)
                               : pthread_cond_timedwait(&q->not_empty, &q->mu, &until);
        if (r == ETIMEDOUT) break;
    }
    if (q->n) f = take(q);
    pthread_mutex_unlock(&q->mu);
    return f;
}

void dd_frame_queue_close(struct dd_frame_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
}

unsigned dd_frame_queue_length(struct dd_frame_queue *q)
{
    pthread_mutex_lock(&q->mu);
    unsigned n = q->n;
    pthread_mutex_unlock(&q->mu);
    return n;
}

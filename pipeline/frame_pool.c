#include "pipeline/frame_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "common/clock.h"

struct pool_slot {
    struct dd_frame frame;
    struct dd_buffer buf;
    int free;
};

struct dd_frame_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned count, n_free, n_out;
    int destroyed;
    enum dd_buf_kind kind;
    struct pool_slot *slots;
};

static void pool_free(struct dd_frame_pool *p)
{
    for (unsigned i = 0; i < p->count; i++) {
        dd_frame_annotations_destroy(&p->slots[i].frame);
        dd_buffer_free(&p->slots[i].buf);
    }
    free(p->slots);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

static void slot_release(struct dd_frame *f)
{
    struct dd_frame_pool *p = f->owner;
    struct pool_slot *s = f->priv;
    pthread_mutex_lock(&p->mu);
    s->free = 1;
    p->n_free++;
    p->n_out--;
    int last = p->destroyed && p->n_out == 0;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (last) pool_free(p);
}

int dd_frame_pool_create(uint32_t format, uint32_t width, uint32_t height, unsigned count,
                         struct dd_frame_pool **out, struct dd_err *err)
{
    *out = NULL;
    if (count == 0 || count > 64) return dd_err_set(err, "frame pool of %u frames (1..64)", count);
    struct dd_frame_pool *p = calloc(1, sizeof(*p));
    if (!p || !(p->slots = calloc(count, sizeof(*p->slots)))) {
        free(p);
        return dd_err_set(err, "out of memory");
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (unsigned i = 0; i < count; i++) {
        struct pool_slot *s = &p->slots[i];
        s->buf.fd = -1;
        p->count = i + 1;
        size_t need = dd_frame_layout(&s->frame, format, width, height, 0);
        if (need == 0) {
            pool_free(p);
            return dd_err_set(err, "unsupported frame %s %ux%u", dd_frame_format_name(format),
                              width, height);
        }
        if (dd_buffer_alloc(&s->buf, need, err) != 0) {
            pool_free(p);
            return dd_err_prefix(err, "frame pool");
        }
        struct dd_frame *f = &s->frame;
        dd_frame_annotations_init(f);
        f->plane[0] = s->buf.map + f->offset[0];
        f->plane[1] = format == DD_FRAME_NV12 ? s->buf.map + f->offset[1] : NULL;
        f->size = s->buf.size;
        f->fd = s->buf.fd;
        f->kind = s->buf.kind;
        f->release = slot_release;
        f->owner = p;
        f->priv = s;
        s->free = 1;
    }
    p->n_free = count;
    p->kind = p->slots[0].buf.kind;
    *out = p;
    return 0;
}

void dd_frame_pool_destroy(struct dd_frame_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->destroyed = 1;
    int now = p->n_out == 0;
    pthread_mutex_unlock(&p->mu);
    if (now) pool_free(p);
}

struct dd_frame *dd_frame_pool_get(struct dd_frame_pool *p, int timeout_ms)
{
    struct timespec until = dd_deadline_ms(timeout_ms);
    pthread_mutex_lock(&p->mu);
    while (p->n_free == 0) {
        if (timeout_ms == 0) break;
        int r = timeout_ms < 0 ? pthread_cond_wait(&p->cv, &p->mu)
                               : pthread_cond_timedwait(&p->cv, &p->mu, &until);
        if (r == ETIMEDOUT) break;
    }
    struct dd_frame *f = NULL;
    for (unsigned i = 0; i < p->count && p->n_free; i++) {
        if (!p->slots[i].free) continue;
        p->slots[i].free = 0;
        p->n_free--;
        p->n_out++;
        f = &p->slots[i].frame;
        break;
    }
    pthread_mutex_unlock(&p->mu);
    if (f) {
        atomic_store(&f->refs, 1);
        dd_frame_reset_annotations(f);
    }
    return f;
}

unsigned dd_frame_pool_count(const struct dd_frame_pool *p)
{
    return p->count;
}

unsigned dd_frame_pool_free_count(struct dd_frame_pool *p)
{
    pthread_mutex_lock(&p->mu);
    unsigned n = p->n_free;
    pthread_mutex_unlock(&p->mu);
    return n;
}

enum dd_buf_kind dd_frame_pool_kind(const struct dd_frame_pool *p)
{
    return p->kind;
}

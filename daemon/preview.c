#include "daemon/preview.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <turbojpeg.h>
#include <unistd.h>

#include "common/clock.h"

#define WATCH_WINDOW_NS 3000000000LL /* a waiter keeps previews coming this long */

struct dd_preview {
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t work_cv, done_cv;
    struct dd_preview_config cfg;
    /* I420 planes scaled by the output thread, waiting for the encoder: the
     * offer side writes them only while pending_full is 0, the encoder swaps
     * them out (under mu) when it is 1 */
    uint8_t *pending;
    size_t pending_cap;
    uint32_t pw, ph;
    int pending_full;
    struct dd_jpeg *latest;
    uint64_t seq;
    int64_t last_want_ns, last_offer_ns;
    int stop;
    struct dd_preview_stats st;
    int64_t cpu_ns;
};

void dd_jpeg_unref(struct dd_jpeg *j)
{
    if (j && atomic_fetch_sub(&j->refs, 1) == 1) {
        tjFree(j->data);
        free(j);
    }
}

static uint8_t avg4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    return (uint8_t)((a + b + c + d + 2) >> 2);
}

void dd_preview_scale_i420(const struct dd_frame *f, uint32_t dw, uint32_t dh, uint8_t *y,
                           uint8_t *u, uint8_t *v)
{
    uint32_t sw = f->width, sh = f->height;
    for (uint32_t j = 0; j < dh; j++) {
        uint32_t sy = (uint32_t)((uint64_t)j * sh / dh);
        uint32_t sy1 = sy + 1 < sh ? sy + 1 : sy;
        for (uint32_t i = 0; i < dw; i++) {
            uint32_t sx = (uint32_t)((uint64_t)i * sw / dw);
            uint32_t sx1 = sx + 1 < sw ? sx + 1 : sx;
            if (f->format == DD_FRAME_NV12) {
                const uint8_t *r0 = f->plane[0] + (size_t)sy * f->pitch[0];
                const uint8_t *r1 = f->plane[0] + (size_t)sy1 * f->pitch[0];
                y[(size_t)j * dw + i] = avg4(r0[sx], r0[sx1], r1[sx], r1[sx1]);
            } else {
                const uint8_t *r0 = f->plane[0] + (size_t)sy * f->pitch[0];
                const uint8_t *r1 = f->plane[0] + (size_t)sy1 * f->pitch[0];
                y[(size_t)j * dw + i] = avg4(r0[2 * sx], r0[2 * sx1], r1[2 * sx], r1[2 * sx1]);
            }
        }
    }
    uint32_t cw = dw / 2, ch = dh / 2;
    for (uint32_t j = 0; j < ch; j++) {
        uint32_t sy = (uint32_t)((uint64_t)j * sh / dh); /* chroma row of source row 2*j*sh/dh */
        for (uint32_t i = 0; i < cw; i++) {
            uint32_t sx = (uint32_t)((uint64_t)(2 * i) * sw / dw) / 2; /* chroma column */
            if (f->format == DD_FRAME_NV12) {
                const uint8_t *r =
                    f->plane[1] + (size_t)(sy < sh / 2 ? sy : sh / 2 - 1) * f->pitch[1];
                u[(size_t)j * cw + i] = r[2 * sx];
                v[(size_t)j * cw + i] = r[2 * sx + 1];
            } else {
                const uint8_t *r =
                    f->plane[0] + (size_t)(2 * sy < sh ? 2 * sy : sh - 1) * f->pitch[0];
                u[(size_t)j * cw + i] = r[4 * sx + 1];
                v[(size_t)j * cw + i] = r[4 * sx + 3];
            }
        }
    }
}

void dd_preview_size(const struct dd_frame *f, int width, uint32_t *dw, uint32_t *dh)
{
    *dw = (uint32_t)width < f->width ? (uint32_t)width & ~1u : f->width & ~1u;
    *dh = (uint32_t)((uint64_t)*dw * f->height / f->width) & ~1u;
    if (*dh < 2) *dh = 2;
}

struct dd_jpeg *dd_jpeg_encode_i420(void *tj, const uint8_t *planes, uint32_t w, uint32_t h,
                                    int quality)
{
    const unsigned char *pl[3] = {planes, planes + (size_t)w * h,
                                  planes + (size_t)w * h + (size_t)(w / 2) * (h / 2)};
    int strides[3] = {(int)w, (int)w / 2, (int)w / 2};
    unsigned char *out = NULL;
    unsigned long size = 0;
    struct dd_jpeg *j = NULL;
    if (tj &&
        tjCompressFromYUVPlanes(tj, pl, (int)w, strides, (int)h, TJSAMP_420, &out, &size, quality,
                                TJFLAG_FASTDCT) == 0 &&
        (j = calloc(1, sizeof(*j)))) {
        atomic_init(&j->refs, 1);
        j->data = out;
        j->size = size;
        j->width = w;
        j->height = h;
        j->t_ns = dd_now_ns();
        return j;
    }
    tjFree(out);
    return NULL;
}

static void *encoder_main(void *arg)
{
    struct dd_preview *p = arg;
    /* below the pipeline's threads: previews take what CPU is left */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
    tjhandle tj = tjInitCompress();
    uint8_t *work = NULL;
    size_t work_cap = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->pending_full && !p->stop) pthread_cond_wait(&p->work_cv, &p->mu);
        if (p->stop) break;
        uint8_t *t = p->pending; /* take the planes, leave an empty buffer */
        size_t tc = p->pending_cap;
        p->pending = work;
        p->pending_cap = work_cap;
        work = t;
        work_cap = tc;
        uint32_t dw = p->pw, dh = p->ph;
        int quality = p->cfg.quality;
        p->pending_full = 0;
        pthread_mutex_unlock(&p->mu);

        int64_t c0 = dd_thread_cpu_ns();
        /* freshness is judged by when it was made (t_ns) */
        struct dd_jpeg *j = dd_jpeg_encode_i420(tj, work, dw, dh, quality);
        int64_t c1 = dd_thread_cpu_ns();
        pthread_mutex_lock(&p->mu);
        p->cpu_ns += c1 - c0;
        if (j) {
            j->seq = ++p->seq;
            struct dd_jpeg *old = p->latest;
            p->latest = j;
            p->st.encoded++;
            pthread_cond_broadcast(&p->done_cv);
            pthread_mutex_unlock(&p->mu);
            dd_jpeg_unref(old);
            pthread_mutex_lock(&p->mu);
        }
    }
    pthread_mutex_unlock(&p->mu);
    free(work);
    if (tj) tjDestroy(tj);
    return NULL;
}

int dd_preview_create(const struct dd_preview_config *cfg, struct dd_preview **out,
                      struct dd_err *err)
{
    struct dd_preview *p = calloc(1, sizeof(*p));
    if (!p) return dd_err_set(err, "out of memory");
    p->cfg = *cfg;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    if (pthread_create(&p->tid, NULL, encoder_main, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        free(p);
        return dd_err_set(err, "cannot start the preview encoder thread");
    }
    *out = p;
    return 0;
}

void dd_preview_set_config(struct dd_preview *p, const struct dd_preview_config *cfg)
{
    pthread_mutex_lock(&p->mu);
    p->cfg = *cfg;
    pthread_mutex_unlock(&p->mu);
}

void dd_preview_offer(struct dd_preview *p, struct dd_frame *f)
{
    int64_t now = dd_now_ns();
    pthread_mutex_lock(&p->mu);
    int64_t period = (int64_t)(1e9 / p->cfg.fps);
    int due = now - p->last_want_ns < WATCH_WINDOW_NS && now - p->last_offer_ns >= period;
    due = due && !p->pending_full; /* else the encoder is behind: skip this one */
    int width = p->cfg.width;
    pthread_mutex_unlock(&p->mu);
    if (!due) return;
    /* scale here (a small fraction of the frame, at most fps times a second)
     * so that no pipeline frame waits on the low-priority encoder */
    int64_t c0 = dd_thread_cpu_ns();
    uint32_t dw, dh;
    dd_preview_size(f, width, &dw, &dh);
    size_t need = (size_t)dw * dh * 3 / 2;
    if (need > p->pending_cap) {
        uint8_t *b = realloc(p->pending, need);
        if (!b) return;
        p->pending = b;
        p->pending_cap = need;
    }
    uint8_t *yp = p->pending, *up = yp + (size_t)dw * dh, *vp = up + (size_t)(dw / 2) * (dh / 2);
    dd_buffer_cpu_begin(f->fd, f->kind, 0);
    dd_preview_scale_i420(f, dw, dh, yp, up, vp);
    dd_buffer_cpu_end(f->fd, f->kind, 0);
    int64_t c1 = dd_thread_cpu_ns();
    pthread_mutex_lock(&p->mu);
    p->pw = dw;
    p->ph = dh;
    p->pending_full = 1;
    p->last_offer_ns = now;
    p->cpu_ns += c1 - c0;
    pthread_cond_signal(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
}

struct dd_jpeg *dd_preview_wait(struct dd_preview *p, uint64_t after_seq, int timeout_ms)
{
    struct timespec until = dd_deadline_ms(timeout_ms);
    pthread_mutex_lock(&p->mu);
    p->last_want_ns = dd_now_ns();
    struct dd_jpeg *j = NULL;
    for (;;) {
        if (p->stop) break;
        struct dd_jpeg *l = p->latest;
        int64_t max_age = (int64_t)(2e9 / p->cfg.fps) + 200000000LL;
        if (l && l->seq > after_seq && (after_seq || dd_now_ns() - l->t_ns < max_age)) {
            atomic_fetch_add(&l->refs, 1);
            j = l;
            break;
        }
        if (pthread_cond_timedwait(&p->done_cv, &p->mu, &until) != 0) break;
        p->last_want_ns = dd_now_ns();
    }
    pthread_mutex_unlock(&p->mu);
    return j;
}

void dd_preview_watchers(struct dd_preview *p, int delta)
{
    pthread_mutex_lock(&p->mu);
    p->st.watchers += delta;
    pthread_mutex_unlock(&p->mu);
}

void dd_preview_get_stats(struct dd_preview *p, struct dd_preview_stats *out)
{
    pthread_mutex_lock(&p->mu);
    *out = p->st;
    out->encode_cpu_ms = p->st.encoded ? (double)p->cpu_ns / 1e6 / (double)p->st.encoded : 0.0;
    pthread_mutex_unlock(&p->mu);
}

void dd_preview_destroy(struct dd_preview *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->work_cv);
    pthread_cond_broadcast(&p->done_cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->tid, NULL);
    free(p->pending);
    dd_jpeg_unref(p->latest);
    pthread_cond_destroy(&p->work_cv);
    pthread_cond_destroy(&p->done_cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

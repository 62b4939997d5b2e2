#include "daemon/event_store.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <turbojpeg.h>
#include <unistd.h>

#include "common/clock.h"

#define SNAP_QUEUE 4      /* frames waiting for the encoder at most */
#define JOB_EVENTS_MAX 16 /* snapshots taken of one frame at most (the rest: skipped) */

struct rec {
    struct dd_event ev;
    const char *label;
    struct dd_jpeg *jpeg;
    enum dd_snapshot_status snap;
};

struct job {
    struct job *next;
    uint32_t w, h;
    uint8_t *planes; /* I420 */
    int n;
    uint64_t seq[JOB_EVENTS_MAX];
    int box[JOB_EVENTS_MAX][4]; /* in the scaled frame */
    int64_t scale_cpu_ns;
};

struct dd_event_store {
    pthread_mutex_t mu;
    pthread_cond_t work_cv, new_cv;
    pthread_t tid;
    int stop;
    struct dd_event_store_config c;
    struct rec *ring;
    size_t cap, head, n; /* the oldest at head */
    uint64_t last_seq;
    struct job *jobs, **jobs_tail;
    int n_jobs;
    struct dd_event_store_stats st;
    int64_t snap_cpu_ns;
};

static struct rec *at(struct dd_event_store *es, size_t i) /* i-th oldest */
{
    return &es->ring[(es->head + i) % es->cap];
}

/* The index of the first record after seq (binary search: seqs grow along the ring). */
static size_t first_after(struct dd_event_store *es, uint64_t seq)
{
    size_t lo = 0, hi = es->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (at(es, mid)->ev.seq <= seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The record of seq, or NULL. */
static struct rec *find(struct dd_event_store *es, uint64_t seq)
{
    size_t i = seq ? first_after(es, seq - 1) : es->n;
    return i < es->n && at(es, i)->ev.seq == seq ? at(es, i) : NULL;
}

static void drop_jpeg(struct dd_event_store *es, struct rec *r)
{
    if (!r->jpeg) return;
    es->st.snapshot_bytes -= r->jpeg->size;
    es->st.snapshots_kept--;
    dd_jpeg_unref(r->jpeg);
    r->jpeg = NULL;
    r->snap = DD_SNAPSHOT_NONE;
}

/* Keeps at most c.snapshots JPEGs, the newest. */
static void trim_jpegs(struct dd_event_store *es)
{
    for (size_t i = 0; i < es->n && es->st.snapshots_kept > es->c.snapshots; i++)
        drop_jpeg(es, at(es, i));
}

static int resize(struct dd_event_store *es, size_t cap)
{
    struct rec *r = calloc(cap, sizeof(*r));
    if (!r) return -1;
    size_t keep = es->n < cap ? es->n : cap, skip = es->n - keep;
    for (size_t i = 0; i < skip; i++) drop_jpeg(es, at(es, i));
    for (size_t i = 0; i < keep; i++) r[i] = *at(es, skip + i);
    free(es->ring);
    es->ring = r;
    es->cap = cap;
    es->head = 0;
    es->n = keep;
    return 0;
}

/* ---- snapshots ---- */

static void draw_rect_i420(uint8_t *planes, uint32_t w, uint32_t h, const int b[4])
{
    uint8_t *yp = planes, *up = yp + (size_t)w * h, *vp = up + (size_t)(w / 2) * (h / 2);
    int x0 = b[0] < 0 ? 0 : b[0], y0 = b[1] < 0 ? 0 : b[1];
    int x1 = b[2] >= (int)w ? (int)w - 1 : b[2], y1 = b[3] >= (int)h ? (int)h - 1 : b[3];
    if (x1 < x0 || y1 < y0) return;
    const int t = 3; /* a bright red frame */
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
            if (x >= x0 + t && x <= x1 - t && y >= y0 + t && y <= y1 - t) continue;
            yp[(size_t)y * w + (size_t)x] = 82;
            up[(size_t)(y / 2) * (w / 2) + (size_t)(x / 2)] = 90;
            vp[(size_t)(y / 2) * (w / 2) + (size_t)(x / 2)] = 240;
        }
}

static void *encoder_main(void *arg)
{
    struct dd_event_store *es = arg;
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10); /* after the pipeline */
    tjhandle tj = tjInitCompress();
    pthread_mutex_lock(&es->mu);
    for (;;) {
        while (!es->jobs && !es->stop) pthread_cond_wait(&es->work_cv, &es->mu);
        if (es->stop) break;
        struct job *j = es->jobs;
        es->jobs = j->next;
        if (!es->jobs) es->jobs_tail = &es->jobs;
        es->n_jobs--;
        int quality = es->c.quality;
        pthread_mutex_unlock(&es->mu);
        size_t size = (size_t)j->w * j->h * 3 / 2;
        uint8_t *copy = malloc(size);
        for (int k = 0; k < j->n; k++) {
            int64_t c0 = dd_thread_cpu_ns();
            struct dd_jpeg *jp = NULL;
            if (copy) {
                memcpy(copy, j->planes, size);
                draw_rect_i420(copy, j->w, j->h, j->box[k]);
                jp = dd_jpeg_encode_i420(tj, copy, j->w, j->h, quality);
                if (jp) jp->seq = j->seq[k];
            }
            int64_t cpu = dd_thread_cpu_ns() - c0 + j->scale_cpu_ns / j->n;
            pthread_mutex_lock(&es->mu);
            struct rec *r = find(es, j->seq[k]);
            es->snap_cpu_ns += cpu;
            if (jp) es->st.snapshots_encoded++;
            if (r && jp) {
                r->jpeg = jp;
                r->snap = DD_SNAPSHOT_OK;
                es->st.snapshots_kept++;
                es->st.snapshot_bytes += jp->size;
                trim_jpegs(es);
                jp = NULL;
            } else if (r) {
                r->snap = DD_SNAPSHOT_NONE;
            }
            pthread_mutex_unlock(&es->mu);
            dd_jpeg_unref(jp); /* its event already left the history */
        }
        free(copy);
        free(j->planes);
        free(j);
        pthread_mutex_lock(&es->mu);
    }
    pthread_mutex_unlock(&es->mu);
    if (tj) tjDestroy(tj);
    return NULL;
}

/* ---- life ---- */

int dd_event_store_create(const struct dd_event_store_config *c, struct dd_event_store **out,
                          struct dd_err *err)
{
    *out = NULL;
    struct dd_event_store *es = calloc(1, sizeof(*es));
    if (!es) return dd_err_set(err, "out of memory");
    es->c = *c;
    es->jobs_tail = &es->jobs;
    if (resize(es, (size_t)(c->history > 0 ? c->history : 1)) != 0) {
        free(es);
        return dd_err_set(err, "out of memory");
    }
    pthread_mutex_init(&es->mu, NULL);
    pthread_cond_init(&es->work_cv, NULL);
    pthread_cond_init(&es->new_cv, NULL);
    if (pthread_create(&es->tid, NULL, encoder_main, es) != 0) {
        free(es->ring);
        free(es);
        return dd_err_set(err, "cannot start the snapshot encoder thread");
    }
    *out = es;
    return 0;
}

void dd_event_store_set_config(struct dd_event_store *es, const struct dd_event_store_config *c)
{
    pthread_mutex_lock(&es->mu);
    if ((size_t)c->history != es->cap && c->history > 0) resize(es, (size_t)c->history);
    es->c = *c;
    trim_jpegs(es);
    pthread_mutex_unlock(&es->mu);
}

void dd_event_store_destroy(struct dd_event_store *es)
{
    if (!es) return;
    pthread_mutex_lock(&es->mu);
    es->stop = 1;
    pthread_cond_broadcast(&es->work_cv);
    pthread_cond_broadcast(&es->new_cv);
    pthread_mutex_unlock(&es->mu);
    pthread_join(es->tid, NULL);
    while (es->jobs) {
        struct job *j = es->jobs;
        es->jobs = j->next;
        free(j->planes);
        free(j);
    }
    for (size_t i = 0; i < es->n; i++) dd_jpeg_unref(at(es, i)->jpeg);
    free(es->ring);
    pthread_cond_destroy(&es->work_cv);
    pthread_cond_destroy(&es->new_cv);
    pthread_mutex_destroy(&es->mu);
    free(es);
}

/* ---- recording ---- */

void dd_event_store_offer(struct dd_event_store *es, struct dd_frame *f, const char *const *labels,
                          int n_labels)
{
    const struct dd_event_list *evs = &f->events;
    if (!evs->n) return;
    pthread_mutex_lock(&es->mu);
    struct dd_event_store_config c = es->c;
    int want_snap = c.snapshots > 0 && es->n_jobs < SNAP_QUEUE;
    for (size_t i = 0; i < evs->n; i++) {
        const struct dd_event *e = &evs->v[i];
        struct rec *r;
        if (es->n == es->cap) { /* the oldest goes */
            r = at(es, 0);
            drop_jpeg(es, r);
            es->head = (es->head + 1) % es->cap;
            es->n--;
        }
        r = at(es, es->n++);
        r->ev = *e;
        r->label = e->cls >= 0 && e->cls < n_labels ? labels[e->cls] : NULL;
        r->jpeg = NULL;
        r->snap = want_snap && i < JOB_EVENTS_MAX ? DD_SNAPSHOT_PENDING : DD_SNAPSHOT_NONE;
        if (c.snapshots > 0 && r->snap == DD_SNAPSHOT_NONE) es->st.snapshots_skipped++;
        es->last_seq = e->seq;
        es->st.events++;
    }
    pthread_cond_broadcast(&es->new_cv);
    pthread_mutex_unlock(&es->mu);
    if (!want_snap) return;

    int64_t c0 = dd_thread_cpu_ns();
    struct job *j = calloc(1, sizeof(*j));
    uint32_t dw, dh;
    dd_preview_size(f, c.width, &dw, &dh);
    if (j) j->planes = malloc((size_t)dw * dh * 3 / 2);
    if (!j || !j->planes) {
        free(j);
        pthread_mutex_lock(&es->mu);
        for (size_t i = 0; i < evs->n; i++) {
            struct rec *r = find(es, evs->v[i].seq);
            if (r && r->snap == DD_SNAPSHOT_PENDING) r->snap = DD_SNAPSHOT_NONE;
        }
        es->st.snapshots_skipped += evs->n;
        pthread_mutex_unlock(&es->mu);
        return;
    }
    uint8_t *yp = j->planes, *up = yp + (size_t)dw * dh, *vp = up + (size_t)(dw / 2) * (dh / 2);
    dd_buffer_cpu_begin(f->fd, f->kind, 0);
    dd_preview_scale_i420(f, dw, dh, yp, up, vp);
    dd_buffer_cpu_end(f->fd, f->kind, 0);
    j->w = dw;
    j->h = dh;
    float sx = (float)dw / (float)f->width, sy = (float)dh / (float)f->height;
    for (size_t i = 0; i < evs->n && i < JOB_EVENTS_MAX; i++) {
        const struct dd_event *e = &evs->v[i];
        j->seq[j->n] = e->seq;
        j->box[j->n][0] = (int)lrintf(e->x1 * sx), j->box[j->n][1] = (int)lrintf(e->y1 * sy);
        j->box[j->n][2] = (int)lrintf(e->x2 * sx), j->box[j->n][3] = (int)lrintf(e->y2 * sy);
        j->n++;
    }
    j->scale_cpu_ns = dd_thread_cpu_ns() - c0;
    pthread_mutex_lock(&es->mu);
    *es->jobs_tail = j;
    es->jobs_tail = &j->next;
    es->n_jobs++;
    pthread_cond_signal(&es->work_cv);
    pthread_mutex_unlock(&es->mu);
}

/* ---- reading ---- */

static size_t event_json(const struct rec *r, char *buf, size_t size)
{
    const struct dd_event *e = &r->ev;
    size_t n = (size_t)snprintf(
        buf, size,
        "{\"seq\":%llu,\"type\":\"%s\",\"time_ms\":%lld,\"frame\":%llu,\"id\":%d,\"class\":\"%s\","
        "\"class_id\":%d,\"score\":%.3f,\"box\":[%.1f,%.1f,%.1f,%.1f]",
        (unsigned long long)e->seq, dd_event_kind_name(e->kind), (long long)e->t_ms,
        (unsigned long long)e->frame, e->id, r->label ? r->label : "", e->cls, (double)e->score,
        (double)e->x1, (double)e->y1, (double)e->x2, (double)e->y2);
    if (n < size && e->kind == DD_EVENT_LINE_CROSS)
        n += (size_t)snprintf(buf + n, size - n, ",\"line\":\"%s\",\"direction\":\"%s\"", e->where,
                              e->direction > 0 ? "in" : "out");
    else if (n < size && *e->where)
        n += (size_t)snprintf(buf + n, size - n, ",\"zone\":\"%s\"", e->where);
    if (n < size && r->snap != DD_SNAPSHOT_NONE)
        n += (size_t)snprintf(buf + n, size - n, ",\"snapshot\":\"/api/events/%llu/snapshot.jpg\"",
                              (unsigned long long)e->seq);
    if (n < size) n += (size_t)snprintf(buf + n, size - n, "}");
    return n;
}

#define EVENT_JSON_MAX 512

char *dd_event_store_json(struct dd_event_store *es, uint64_t after, int max)
{
    pthread_mutex_lock(&es->mu);
    size_t i = first_after(es, after), n = es->n - i;
    if (max >= 0 && n > (size_t)max) i = es->n - (size_t)max, n = (size_t)max; /* the newest */
    size_t cap = n * (EVENT_JSON_MAX + 1) + 64, len = 0;
    char *out = malloc(cap);
    if (out) {
        len += (size_t)snprintf(out, cap, "{\"events\":[");
        for (size_t k = 0; k < n; k++) {
            if (k) out[len++] = ',';
            char one[EVENT_JSON_MAX];
            size_t m = event_json(at(es, i + k), one, sizeof(one));
            if (m >= sizeof(one)) m = sizeof(one) - 1;
            memcpy(out + len, one, m);
            len += m;
        }
        snprintf(out + len, cap - len, "],\"last\":%llu}", (unsigned long long)es->last_seq);
    }
    pthread_mutex_unlock(&es->mu);
    return out;
}

char *dd_event_store_next(struct dd_event_store *es, uint64_t after, int timeout_ms, uint64_t *seq,
                          const char **type)
{
    struct timespec until = dd_deadline_ms(timeout_ms);
    char *out = NULL;
    pthread_mutex_lock(&es->mu);
    for (;;) {
        size_t i = first_after(es, after);
        if (i < es->n) {
            const struct rec *r = at(es, i);
            out = malloc(EVENT_JSON_MAX);
            if (out) event_json(r, out, EVENT_JSON_MAX);
            *seq = r->ev.seq;
            *type = dd_event_kind_name(r->ev.kind);
            break;
        }
        if (es->stop || timeout_ms <= 0 ||
            pthread_cond_timedwait(&es->new_cv, &es->mu, &until) != 0)
            break;
    }
    pthread_mutex_unlock(&es->mu);
    return out;
}

uint64_t dd_event_store_last(struct dd_event_store *es)
{
    pthread_mutex_lock(&es->mu);
    uint64_t s = es->last_seq;
    pthread_mutex_unlock(&es->mu);
    return s;
}

struct dd_jpeg *dd_event_store_snapshot(struct dd_event_store *es, uint64_t seq,
                                        enum dd_snapshot_status *why)
{
    struct dd_jpeg *j = NULL;
    pthread_mutex_lock(&es->mu);
    struct rec *r = find(es, seq);
    *why = r ? r->snap : DD_SNAPSHOT_NONE;
    if (r && r->jpeg) {
        j = r->jpeg;
        atomic_fetch_add(&j->refs, 1);
    }
    pthread_mutex_unlock(&es->mu);
    return j;
}

void dd_event_store_get_stats(struct dd_event_store *es, struct dd_event_store_stats *out)
{
    pthread_mutex_lock(&es->mu);
    *out = es->st;
    out->history_kept = (int)es->n;
    uint64_t made = es->st.snapshots_encoded;
    out->snapshot_cpu_ms = made ? (double)es->snap_cpu_ns / 1e6 / (double)made : 0.0;
    pthread_mutex_unlock(&es->mu);
}

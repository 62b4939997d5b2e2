#include "tracking/tracker.h"

#include <stdlib.h>
#include <string.h>

/* One coordinate's constant-velocity filter: position, velocity, covariance. */
struct kf1 {
    float x, v;
    float p00, p01, p11;
};

struct track {
    int id; /* 0 while tentative */
    int cls;
    int hits, misses;
    struct kf1 k[4]; /* centre x, centre y, width, height */
};

struct pair {
    float iou;
    int det, track;
};

struct dd_tracker {
    struct dd_tracker_config c;
    struct track *tracks;
    int n_tracks;
    size_t cap_tracks;
    int next_id;
    /* scratch, grown before a frame changes anything */
    int *det_track;
    unsigned char *track_used;
    struct pair *pairs;
    int *ended; /* IDs of the confirmed tracks the last update dropped */
    int n_ended;
    size_t cap_dets, cap_used, cap_pairs, cap_ended;
};

/* noise as fractions of the box height (the usual SORT/DeepSORT weights) */
#define POS_STD 0.05f
#define VEL_STD 0.00625f

struct dd_tracker_config dd_tracker_config_default(void)
{
    return (struct dd_tracker_config){.high_score = 0.5f,
                                      .low_score = 0.1f,
                                      .match_iou = 0.2f,
                                      .low_match_iou = 0.5f,
                                      .min_hits = 3,
                                      .max_misses = 75};
}

int dd_tracker_config_check(const struct dd_tracker_config *c, struct dd_err *err)
{
    if (!(c->low_score >= 0 && c->low_score <= c->high_score && c->high_score <= 1))
        return dd_err_set(err, "tracker: need 0 <= low_score (%g) <= high_score (%g) <= 1",
                          (double)c->low_score, (double)c->high_score);
    if (!(c->match_iou > 0 && c->match_iou <= 1) ||
        !(c->low_match_iou > 0 && c->low_match_iou <= 1))
        return dd_err_set(err, "tracker: match IoUs must be in (0, 1]");
    if (c->min_hits < 1 || c->min_hits > 100)
        return dd_err_set(err, "tracker: min_hits %d (1..100)", c->min_hits);
    if (c->max_misses < 0 || c->max_misses > 10000)
        return dd_err_set(err, "tracker: max_misses %d (0..10000)", c->max_misses);
    return 0;
}

int dd_tracker_create(const struct dd_tracker_config *c, struct dd_tracker **out,
                      struct dd_err *err)
{
    *out = NULL;
    if (dd_tracker_config_check(c, err) != 0) return -1;
    struct dd_tracker *t = calloc(1, sizeof(*t));
    if (!t) return dd_err_set(err, "out of memory");
    t->c = *c;
    t->next_id = 1;
    *out = t;
    return 0;
}

void dd_tracker_destroy(struct dd_tracker *t)
{
    if (!t) return;
    free(t->tracks);
    free(t->det_track);
    free(t->track_used);
    free(t->pairs);
    free(t->ended);
    free(t);
}

int dd_tracker_set_config(struct dd_tracker *t, const struct dd_tracker_config *c,
                          struct dd_err *err)
{
    if (dd_tracker_config_check(c, err) != 0) return -1;
    t->c = *c;
    return 0;
}

int dd_tracker_tracks(const struct dd_tracker *t, int *confirmed)
{
    int n = 0;
    for (int i = 0; i < t->n_tracks; i++) n += t->tracks[i].id != 0;
    if (confirmed) *confirmed = n;
    return t->n_tracks;
}

int dd_tracker_ended(const struct dd_tracker *t, const int **ids)
{
    *ids = t->ended;
    return t->n_ended;
}

/* ---- Kalman filter ---- */

static void kf_init(struct kf1 *k, float z, float h)
{
    float sp = 2 * POS_STD * h, sv = 10 * VEL_STD * h;
    *k = (struct kf1){z, 0, sp * sp, 0, sv * sv};
}

static void kf_predict(struct kf1 *k, float h)
{
    float qp = POS_STD * h, qv = VEL_STD * h;
    k->x += k->v;
    float p00 = k->p00 + 2 * k->p01 + k->p11 + qp * qp;
    float p01 = k->p01 + k->p11;
    k->p00 = p00, k->p01 = p01, k->p11 += qv * qv;
}

static void kf_update(struct kf1 *k, float z, float h)
{
    float r = POS_STD * h, s = k->p00 + r * r;
    float k0 = k->p00 / s, k1 = k->p01 / s, y = z - k->x;
    k->x += k0 * y;
    k->v += k1 * y;
    float p00 = (1 - k0) * k->p00, p01 = (1 - k0) * k->p01, p11 = k->p11 - k1 * k->p01;
    k->p00 = p00, k->p01 = p01, k->p11 = p11;
}

static float height_of(const struct track *tr)
{
    return tr->k[3].x > 1 ? tr->k[3].x : 1;
}

static void track_box(const struct track *tr, struct dd_det *b)
{
    float w = tr->k[2].x > 1 ? tr->k[2].x : 1, h = height_of(tr);
    b->x1 = tr->k[0].x - w / 2, b->x2 = tr->k[0].x + w / 2;
    b->y1 = tr->k[1].x - h / 2, b->y2 = tr->k[1].x + h / 2;
}

static void measure(const struct dd_det *d, float z[4])
{
    z[0] = (d->x1 + d->x2) / 2, z[1] = (d->y1 + d->y2) / 2;
    z[2] = d->x2 - d->x1, z[3] = d->y2 - d->y1;
}

static void track_start(struct track *tr, const struct dd_det *d)
{
    float z[4];
    measure(d, z);
    float h = z[3] > 1 ? z[3] : 1;
    memset(tr, 0, sizeof(*tr));
    tr->cls = d->cls;
    tr->hits = 1;
    for (int i = 0; i < 4; i++) kf_init(&tr->k[i], z[i], h);
}

static void track_hit(struct track *tr, const struct dd_det *d)
{
    float z[4];
    measure(d, z);
    float h = height_of(tr);
    for (int i = 0; i < 4; i++) kf_update(&tr->k[i], z[i], h);
    tr->hits++;
    tr->misses = 0;
}

/* ---- association ---- */

static int by_iou_desc(const void *a, const void *b)
{
    const struct pair *p = a, *q = b;
    if (p->iou != q->iou) return p->iou < q->iou ? 1 : -1;
    if (p->det != q->det) return p->det - q->det;
    return p->track - q->track;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need) n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q) return -1;
    *p = q;
    *cap = n;
    return 0;
}

/* Greedy matching of the unmatched detections with score in [lo, hi) to the unmatched tracks
 * (confirmed ones only if confirmed_only) of the same class, best IoU first, IoU >= min_iou. */
static void associate(struct dd_tracker *t, struct dd_det_list *dets, float lo, float hi,
                      int confirmed_only, float min_iou)
{
    size_t n = 0;
    for (size_t i = 0; i < dets->n; i++) {
        const struct dd_det *d = &dets->v[i];
        if (t->det_track[i] >= 0 || d->score < lo || d->score >= hi) continue;
        for (int j = 0; j < t->n_tracks; j++) {
            const struct track *tr = &t->tracks[j];
            if (t->track_used[j] || tr->cls != d->cls || (confirmed_only && !tr->id)) continue;
            struct dd_det b;
            track_box(tr, &b);
            float iou = dd_det_iou(d, &b);
            if (iou >= min_iou) t->pairs[n++] = (struct pair){iou, (int)i, j};
        }
    }
    qsort(t->pairs, n, sizeof(*t->pairs), by_iou_desc);
    for (size_t k = 0; k < n; k++) {
        const struct pair *p = &t->pairs[k];
        if (t->det_track[p->det] >= 0 || t->track_used[p->track]) continue;
        t->det_track[p->det] = p->track;
        t->track_used[p->track] = 1;
    }
}

int dd_tracker_update(struct dd_tracker *t, struct dd_det_list *dets, struct dd_err *err)
{
    size_t nd = dets->n, nt = (size_t)t->n_tracks;
    if (grow((void **)&t->det_track, &t->cap_dets, nd + 1, sizeof(int)) ||
        grow((void **)&t->track_used, &t->cap_used, nt + 1, 1) ||
        grow((void **)&t->pairs, &t->cap_pairs, nd * nt + 1, sizeof(struct pair)) ||
        grow((void **)&t->tracks, &t->cap_tracks, nt + nd + 1, sizeof(struct track)) ||
        grow((void **)&t->ended, &t->cap_ended, nt + 1, sizeof(int)))
        return dd_err_set(err, "tracker: out of memory");
    for (int j = 0; j < t->n_tracks; j++) {
        struct track *tr = &t->tracks[j];
        float h = height_of(tr);
        for (int i = 0; i < 4; i++) kf_predict(&tr->k[i], h);
        t->track_used[j] = 0;
    }
    for (size_t i = 0; i < nd; i++) {
        t->det_track[i] = -1;
        dets->v[i].id = 0;
    }
    associate(t, dets, t->c.high_score, 2.0f, 0, t->c.match_iou);
    associate(t, dets, t->c.low_score, t->c.high_score, 1, t->c.low_match_iou);
    for (size_t i = 0; i < nd; i++) {
        int j = t->det_track[i];
        if (j < 0) continue;
        struct track *tr = &t->tracks[j];
        track_hit(tr, &dets->v[i]);
        if (!tr->id && tr->hits >= t->c.min_hits) tr->id = t->next_id++;
        dets->v[i].id = tr->id;
    }
    /* the unmatched: a tentative track ends, a confirmed one waits max_misses frames */
    int kept = 0;
    t->n_ended = 0;
    for (int j = 0; j < t->n_tracks; j++) {
        struct track *tr = &t->tracks[j];
        if (!t->track_used[j]) {
            if (tr->id && ++tr->misses > t->c.max_misses) t->ended[t->n_ended++] = tr->id;
            if (!tr->id || tr->misses > t->c.max_misses) continue;
            tr->k[2].v = tr->k[3].v = 0; /* unseen, it keeps its size */
        }
        t->tracks[kept++] = *tr;
    }
    t->n_tracks = kept;
    for (size_t i = 0; i < nd; i++) {
        const struct dd_det *d = &dets->v[i];
        if (t->det_track[i] >= 0 || d->score < t->c.high_score) continue;
        struct track *tr = &t->tracks[t->n_tracks++];
        track_start(tr, d);
        if (t->c.min_hits <= 1) dets->v[i].id = tr->id = t->next_id++;
    }
    return 0;
}

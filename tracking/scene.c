#include "tracking/scene.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct object {
    int id, cls;
    float score;
    float box[4];
    uint64_t last_frame;
    uint8_t member[DD_SCENE_MAX_ZONES]; /* inside (entered) */
    uint8_t streak[DD_SCENE_MAX_ZONES]; /* frames in a row on the other side of membership */
    int8_t side[DD_SCENE_MAX_LINES];    /* -1 left, +1 right, 0 not yet known */
    float sx[DD_SCENE_MAX_LINES], sy[DD_SCENE_MAX_LINES]; /* anchor when the side was set */
};

struct dd_scene {
    pthread_mutex_t mu;
    struct dd_scene_config c;
    struct dd_scene_counts counts;
    struct object *obj;
    int n_obj, cap_obj;
    uint64_t next_seq;
};

const char *dd_event_kind_name(enum dd_event_kind k)
{
    switch (k) {
    case DD_EVENT_APPEARED:
        return "appeared";
    case DD_EVENT_LEFT:
        return "left";
    case DD_EVENT_ZONE_ENTER:
        return "zone_enter";
    case DD_EVENT_ZONE_LEAVE:
        return "zone_leave";
    case DD_EVENT_LINE_CROSS:
        return "line_cross";
    }
    return "?";
}

void dd_event_list_init(struct dd_event_list *l)
{
    memset(l, 0, sizeof(*l));
}

void dd_event_list_destroy(struct dd_event_list *l)
{
    free(l->v);
    memset(l, 0, sizeof(*l));
}

int dd_event_list_push(struct dd_event_list *l, const struct dd_event *e)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct dd_event *v = realloc(l->v, cap * sizeof(*v));
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *e;
    return 0;
}

int dd_scene_config_check(const struct dd_scene_config *c, struct dd_err *err)
{
    if (c->n_zones < 0 || c->n_zones > DD_SCENE_MAX_ZONES || c->n_lines < 0 ||
        c->n_lines > DD_SCENE_MAX_LINES)
        return dd_err_set(err, "scene: at most %d zones and %d lines", DD_SCENE_MAX_ZONES,
                          DD_SCENE_MAX_LINES);
    if (c->min_frames < 1 || c->min_frames > 100)
        return dd_err_set(err, "scene: min_frames %d (1..100)", c->min_frames);
    if (c->anchor != DD_ANCHOR_BOTTOM_CENTER && c->anchor != DD_ANCHOR_CENTER)
        return dd_err_set(err, "scene: unknown anchor");
    for (int i = 0; i < c->n_zones + c->n_lines; i++)
        for (int j = i + 1; j < c->n_zones + c->n_lines; j++) {
            const char *a = i < c->n_zones ? c->zones[i].name : c->lines[i - c->n_zones].name;
            const char *b = j < c->n_zones ? c->zones[j].name : c->lines[j - c->n_zones].name;
            if (strcmp(a, b) == 0)
                return dd_err_set(err,
                                  "scene: the name '%s' is used twice (zones and lines "
                                  "need names of their own)",
                                  a);
        }
    return 0;
}

int dd_scene_create(const struct dd_scene_config *c, struct dd_scene **out, struct dd_err *err)
{
    *out = NULL;
    struct dd_scene *s = calloc(1, sizeof(*s));
    if (!s) return dd_err_set(err, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    s->next_seq = 1;
    if (dd_scene_set_config(s, c, err) != 0) {
        dd_scene_destroy(s);
        return -1;
    }
    *out = s;
    return 0;
}

void dd_scene_destroy(struct dd_scene *s)
{
    if (!s) return;
    pthread_mutex_destroy(&s->mu);
    free(s->obj);
    free(s);
}

static int same_zone(const struct dd_zone *a, const struct dd_zone *b)
{
    return strcmp(a->name, b->name) == 0 && a->n == b->n && memcmp(a->x, b->x, sizeof(a->x)) == 0 &&
           memcmp(a->y, b->y, sizeof(a->y)) == 0;
}

static int same_line(const struct dd_line *a, const struct dd_line *b)
{
    return strcmp(a->name, b->name) == 0 && a->x0 == b->x0 && a->y0 == b->y0 && a->x1 == b->x1 &&
           a->y1 == b->y1;
}

int dd_scene_set_config(struct dd_scene *s, const struct dd_scene_config *c, struct dd_err *err)
{
    if (dd_scene_config_check(c, err) != 0) return -1;
    pthread_mutex_lock(&s->mu);
    int zmap[DD_SCENE_MAX_ZONES], lmap[DD_SCENE_MAX_LINES]; /* new index -> old one, or -1 */
    struct dd_scene_counts old = s->counts;
    for (int i = 0; i < c->n_zones; i++) {
        zmap[i] = -1;
        for (int j = 0; j < s->c.n_zones; j++)
            if (same_zone(&c->zones[i], &s->c.zones[j])) zmap[i] = j;
        if (zmap[i] >= 0)
            s->counts.zones[i] = old.zones[zmap[i]];
        else {
            memset(&s->counts.zones[i], 0, sizeof(s->counts.zones[i]));
            snprintf(s->counts.zones[i].name, DD_ZONE_NAME_MAX, "%s", c->zones[i].name);
        }
    }
    for (int i = 0; i < c->n_lines; i++) {
        lmap[i] = -1;
        for (int j = 0; j < s->c.n_lines; j++)
            if (same_line(&c->lines[i], &s->c.lines[j])) lmap[i] = j;
        if (lmap[i] >= 0)
            s->counts.lines[i] = old.lines[lmap[i]];
        else {
            memset(&s->counts.lines[i], 0, sizeof(s->counts.lines[i]));
            snprintf(s->counts.lines[i].name, DD_ZONE_NAME_MAX, "%s", c->lines[i].name);
        }
    }
    s->counts.n_zones = c->n_zones;
    s->counts.n_lines = c->n_lines;
    for (int k = 0; k < s->n_obj; k++) {
        struct object *o = &s->obj[k], was = *o;
        for (int i = 0; i < c->n_zones; i++) {
            o->member[i] = zmap[i] >= 0 ? was.member[zmap[i]] : 0;
            o->streak[i] = zmap[i] >= 0 ? was.streak[zmap[i]] : 0;
        }
        for (int i = 0; i < c->n_lines; i++) {
            o->side[i] = lmap[i] >= 0 ? was.side[lmap[i]] : 0;
            o->sx[i] = lmap[i] >= 0 ? was.sx[lmap[i]] : 0;
            o->sy[i] = lmap[i] >= 0 ? was.sy[lmap[i]] : 0;
        }
    }
    s->c = *c;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

void dd_scene_get_config(struct dd_scene *s, struct dd_scene_config *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->c;
    pthread_mutex_unlock(&s->mu);
}

void dd_scene_reset_objects(struct dd_scene *s)
{
    pthread_mutex_lock(&s->mu);
    s->n_obj = 0;
    for (int i = 0; i < s->counts.n_zones; i++) {
        s->counts.zones[i].occupancy = 0;
        memset(s->counts.zones[i].occupancy_per_class, 0,
               sizeof(s->counts.zones[i].occupancy_per_class));
    }
    pthread_mutex_unlock(&s->mu);
}

void dd_scene_get_counts(struct dd_scene *s, struct dd_scene_counts *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->counts;
    out->objects = s->n_obj;
    pthread_mutex_unlock(&s->mu);
}

/* ---- update ---- */

static int class_ok(int cls)
{
    return cls >= 0 && cls < DD_MAX_CLASSES;
}

static void emit(struct dd_scene *s, struct dd_event_list *out, const struct object *o,
                 enum dd_event_kind kind, const char *where, int direction, uint64_t frame,
                 int64_t t_ms)
{
    struct dd_event e = {.seq = s->next_seq++,
                         .frame = frame,
                         .t_ms = t_ms,
                         .kind = kind,
                         .id = o->id,
                         .cls = o->cls,
                         .score = o->score,
                         .x1 = o->box[0],
                         .y1 = o->box[1],
                         .x2 = o->box[2],
                         .y2 = o->box[3],
                         .direction = direction};
    if (where) snprintf(e.where, sizeof(e.where), "%s", where);
    s->counts.events++;
    if (dd_event_list_push(out, &e) != 0) s->counts.events_dropped++;
}

static void zone_count(struct dd_scene *s, int z, int cls, int delta)
{
    struct dd_zone_counts *zc = &s->counts.zones[z];
    zc->occupancy += delta;
    if (class_ok(cls)) zc->occupancy_per_class[cls] += delta;
    if (delta > 0) {
        zc->entered++;
        if (class_ok(cls)) zc->entered_per_class[cls]++;
    }
}

/* Removes object k: it leaves its zones, then the picture. */
static void object_end(struct dd_scene *s, int k, struct dd_event_list *out, uint64_t frame,
                       int64_t t_ms, int with_events)
{
    struct object *o = &s->obj[k];
    for (int z = 0; z < s->c.n_zones; z++) {
        if (!o->member[z]) continue;
        zone_count(s, z, o->cls, -1);
        if (with_events) emit(s, out, o, DD_EVENT_ZONE_LEAVE, s->c.zones[z].name, 0, frame, t_ms);
    }
    if (with_events) emit(s, out, o, DD_EVENT_LEFT, NULL, 0, frame, t_ms);
    s->obj[k] = s->obj[--s->n_obj];
}

static struct object *object_find(struct dd_scene *s, int id)
{
    for (int k = 0; k < s->n_obj; k++)
        if (s->obj[k].id == id) return &s->obj[k];
    return NULL;
}

static struct object *object_add(struct dd_scene *s, int id, struct dd_event_list *out,
                                 uint64_t frame, int64_t t_ms)
{
    if (s->n_obj == DD_SCENE_MAX_OBJECTS) { /* the longest unseen goes (as if its track ended) */
        int oldest = 0;
        for (int k = 1; k < s->n_obj; k++)
            if (s->obj[k].last_frame < s->obj[oldest].last_frame) oldest = k;
        object_end(s, oldest, out, frame, t_ms, 1);
    }
    if (s->n_obj == s->cap_obj) {
        int cap = s->cap_obj ? s->cap_obj * 2 : 32;
        struct object *v = realloc(s->obj, (size_t)cap * sizeof(*v));
        if (!v) return NULL;
        s->obj = v;
        s->cap_obj = cap;
    }
    struct object *o = &s->obj[s->n_obj++];
    memset(o, 0, sizeof(*o));
    o->id = id;
    return o;
}

static void update_lines(struct dd_scene *s, struct object *o, float ax, float ay, float w, float h,
                         struct dd_event_list *out, uint64_t frame, int64_t t_ms)
{
    float band = 0.005f * (w + h);
    for (int l = 0; l < s->c.n_lines; l++) {
        const struct dd_line *ln = &s->c.lines[l];
        float t, d = dd_line_side(ln, ax, ay, w, h, &t);
        int side = d > band ? 1 : d < -band ? -1 : 0;
        if (!side) continue;
        if (o->side[l] && side != o->side[l]) {
            /* where the move from the last sure side crossed the line: on the segment? */
            float t0, d0 = dd_line_side(ln, o->sx[l], o->sy[l], w, h, &t0);
            float f = d0 / (d0 - d), tc = t0 + (t - t0) * f;
            if (tc >= -0.02f && tc <= 1.02f) {
                struct dd_line_counts *lc = &s->counts.lines[l];
                if (side > 0) {
                    lc->in++;
                    if (class_ok(o->cls)) lc->in_per_class[o->cls]++;
                } else {
                    lc->out++;
                    if (class_ok(o->cls)) lc->out_per_class[o->cls]++;
                }
                emit(s, out, o, DD_EVENT_LINE_CROSS, ln->name, side, frame, t_ms);
            }
        }
        o->side[l] = (int8_t)side;
        o->sx[l] = ax, o->sy[l] = ay;
    }
}

static void update_zones(struct dd_scene *s, struct object *o, float ax, float ay,
                         struct dd_event_list *out, uint64_t frame, int64_t t_ms)
{
    for (int z = 0; z < s->c.n_zones; z++) {
        int inside = dd_zone_contains(&s->c.zones[z], ax, ay);
        if (inside == o->member[z]) {
            o->streak[z] = 0;
            continue;
        }
        if (++o->streak[z] < s->c.min_frames) continue;
        o->streak[z] = 0;
        o->member[z] = (uint8_t)inside;
        zone_count(s, z, o->cls, inside ? 1 : -1);
        emit(s, out, o, inside ? DD_EVENT_ZONE_ENTER : DD_EVENT_ZONE_LEAVE, s->c.zones[z].name, 0,
             frame, t_ms);
    }
}

void dd_scene_update(struct dd_scene *s, const struct dd_det_list *dets, const int *ended,
                     int n_ended, uint32_t w, uint32_t h, uint64_t frame, int64_t t_ms,
                     struct dd_event_list *out)
{
    if (!w || !h) return;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < dets->n; i++) {
        const struct dd_det *d = &dets->v[i];
        if (d->id <= 0) continue;
        struct object *o = object_find(s, d->id);
        int fresh = !o;
        if (fresh && !(o = object_add(s, d->id, out, frame, t_ms))) {
            s->counts.events_dropped++;
            continue;
        }
        if (!fresh && o->cls != d->cls) { /* not expected from a per-class tracker */
            for (int z = 0; z < s->c.n_zones; z++) {
                struct dd_zone_counts *zc = &s->counts.zones[z];
                if (!o->member[z]) continue;
                if (class_ok(o->cls)) zc->occupancy_per_class[o->cls]--;
                if (class_ok(d->cls)) zc->occupancy_per_class[d->cls]++;
            }
        }
        o->cls = d->cls;
        o->score = d->score;
        o->box[0] = d->x1, o->box[1] = d->y1, o->box[2] = d->x2, o->box[3] = d->y2;
        o->last_frame = frame;
        if (fresh) emit(s, out, o, DD_EVENT_APPEARED, NULL, 0, frame, t_ms);
        float ax = (d->x1 + d->x2) / 2 / (float)w;
        float ay = (s->c.anchor == DD_ANCHOR_CENTER ? (d->y1 + d->y2) / 2 : d->y2) / (float)h;
        ax = fminf(fmaxf(ax, 0), 1), ay = fminf(fmaxf(ay, 0), 1);
        update_zones(s, o, ax, ay, out, frame, t_ms);
        update_lines(s, o, ax, ay, (float)w, (float)h, out, frame, t_ms);
    }
    for (int i = 0; i < n_ended; i++)
        for (int k = 0; k < s->n_obj; k++)
            if (s->obj[k].id == ended[i]) {
                object_end(s, k, out, frame, t_ms, 1);
                break;
            }
    pthread_mutex_unlock(&s->mu);
}

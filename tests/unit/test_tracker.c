/* The multi-object tracker (tracking/tracker.h) on hand-made scenes. */
#include <criterion/criterion.h>
#include <string.h>

#include "tracking/tracker.h"

static struct dd_tracker *tracker(int min_hits, int max_misses)
{
    struct dd_tracker_config c = dd_tracker_config_default();
    c.min_hits = min_hits, c.max_misses = max_misses;
    struct dd_tracker *t;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_tracker_create(&c, &t, &err), 0, "%s", err.msg);
    return t;
}

static struct dd_det box(float cx, float cy, float w, float h, float score, int cls)
{
    return (struct dd_det){.x1 = cx - w / 2,
                           .y1 = cy - h / 2,
                           .x2 = cx + w / 2,
                           .y2 = cy + h / 2,
                           .score = score,
                           .cls = cls};
}

/* One frame of the given boxes; returns their IDs in ids. */
static void frame(struct dd_tracker *t, const struct dd_det *b, int n, int *ids)
{
    struct dd_det v[16];
    memcpy(v, b, sizeof(*b) * (size_t)n);
    struct dd_det_list l = {.v = v, .n = (size_t)n, .cap = 16};
    struct dd_err err = {{0}};
    cr_assert_eq(dd_tracker_update(t, &l, &err), 0, "%s", err.msg);
    for (int i = 0; i < n; i++) ids[i] = v[i].id;
}

Test(tracker, an_id_comes_after_min_hits_and_stays)
{
    struct dd_tracker *t = tracker(3, 30);
    int id[1], first = 0;
    for (int f = 0; f < 20; f++) {
        struct dd_det b = box(100 + 5.0f * f, 200, 50, 100, 0.9f, 0);
        frame(t, &b, 1, id);
        if (f < 2) cr_assert_eq(id[0], 0, "frame %d: an ID before 3 hits", f);
        if (f == 2) first = id[0];
        if (f >= 2)
            cr_assert(id[0] == first && first > 0, "frame %d: id %d, was %d", f, id[0], first);
    }
    dd_tracker_destroy(t);
}

/* Two people walking towards each other along the same line keep their IDs as they cross. */
Test(tracker, crossing_objects_keep_their_ids)
{
    struct dd_tracker *t = tracker(3, 30);
    int id[2], a = 0, b = 0;
    for (int f = 0; f < 60; f++) {
        struct dd_det d[2] = {box(100 + 8.0f * f, 300, 60, 120, 0.9f, 0),
                              box(580 - 8.0f * f, 300, 60, 120, 0.8f, 0)};
        frame(t, d, 2, id);
        if (f == 5) a = id[0], b = id[1];
        if (f > 5 && f != 30) /* at f == 30 they coincide: one box may take either ID */
            cr_assert(id[0] == a && id[1] == b, "frame %d: ids %d %d, were %d %d", f, id[0], id[1],
                      a, b);
    }
    cr_assert(a > 0 && b > 0 && a != b);
    dd_tracker_destroy(t);
}

/* A moving object missed for 10 frames (behind a pillar) is found where it was heading. */
Test(tracker, a_missed_object_keeps_its_id_where_it_was_heading)
{
    struct dd_tracker *t = tracker(3, 30);
    int id[1], before = 0;
    for (int f = 0; f < 40; f++) {
        struct dd_det b = box(100 + 6.0f * f, 200, 40, 90, 0.9f, 0);
        frame(t, &b, (f >= 15 && f < 25) ? 0 : 1, id);
        if (f == 14) before = id[0];
        if (f >= 25) cr_assert_eq(id[0], before, "frame %d after the gap", f);
    }
    dd_tracker_destroy(t);
}

/* A parked car keeps its ID through max_misses missed frames, not beyond. */
Test(tracker, a_still_object_keeps_its_id_up_to_max_misses)
{
    struct dd_tracker *t = tracker(3, 30);
    int id[1], parked = 0;
    struct dd_det car = box(500, 400, 200, 100, 0.9f, 2);
    for (int f = 0; f < 5; f++) frame(t, &car, 1, id);
    parked = id[0];
    for (int f = 0; f < 30; f++) frame(t, &car, 0, id);
    frame(t, &car, 1, id);
    cr_assert_eq(id[0], parked, "back after 30 missed frames");
    for (int f = 0; f < 31; f++) frame(t, &car, 0, id);
    for (int f = 0; f < 3; f++) frame(t, &car, 1, id);
    cr_assert(id[0] != parked && id[0] > 0, "31 misses end a track: id %d", id[0]);
    dd_tracker_destroy(t);
}

/* A score that dips below high_score keeps the track (stage 2); such a detection never starts
 * one; another class at the same place is another object. */
Test(tracker, low_scores_extend_tracks_but_do_not_start_them)
{
    struct dd_tracker *t = tracker(3, 30);
    int id[2], person = 0;
    for (int f = 0; f < 10; f++) {
        struct dd_det d[2] = {box(300 + 2.0f * f, 300, 50, 100, f < 5 ? 0.9f : 0.3f, 0),
                              box(800, 300, 50, 100, 0.3f, 0)};
        frame(t, d, 2, id);
        if (f == 4) person = id[0];
        if (f >= 5) cr_assert_eq(id[0], person, "frame %d: the dipping score lost its track", f);
        cr_assert_eq(id[1], 0, "a low-score detection started a track");
    }
    struct dd_det d[2] = {box(320, 300, 50, 100, 0.9f, 0), box(320, 300, 50, 100, 0.9f, 1)};
    for (int f = 0; f < 4; f++) frame(t, d, 2, id);
    cr_assert(id[0] == person && id[1] != person && id[1] > 0, "ids %d %d", id[0], id[1]);
    dd_tracker_destroy(t);
}

Test(tracker, bad_tuning_is_refused)
{
    struct dd_tracker_config c = dd_tracker_config_default();
    struct dd_tracker *t;
    struct dd_err err = {{0}};
    c.low_score = 0.7f;
    cr_assert_neq(dd_tracker_create(&c, &t, &err), 0);
    cr_assert(strstr(err.msg, "low_score"), "%s", err.msg);
    c = dd_tracker_config_default();
    c.min_hits = 0;
    cr_assert_neq(dd_tracker_create(&c, &t, &err), 0);
    cr_assert(strstr(err.msg, "min_hits"), "%s", err.msg);
}

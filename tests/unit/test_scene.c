/* Zones, lines and the scene's counters and events (tracking/zones.h, tracking/scene.h). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "tracking/scene.h"
#include "tracking/tracker.h"

#define W 1000
#define H 1000

static struct dd_zone zone(const char *text)
{
    struct dd_zone z;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_zone_parse(text, &z, &err), 0, "%s: %s", text, err.msg);
    return z;
}

static struct dd_line line(const char *text)
{
    struct dd_line l;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_line_parse(text, &l, &err), 0, "%s: %s", text, err.msg);
    return l;
}

static void zone_refused(const char *text, const char *why)
{
    struct dd_zone z;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_zone_parse(text, &z, &err), -1, "accepted: %s", text);
    cr_assert(strstr(err.msg, why), "%s: '%s' does not say '%s'", text, err.msg, why);
}

static void line_refused(const char *text, const char *why)
{
    struct dd_line l;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_line_parse(text, &l, &err), -1, "accepted: %s", text);
    cr_assert(strstr(err.msg, why), "%s: '%s' does not say '%s'", text, err.msg, why);
}

Test(zones, parse_good_ones)
{
    struct dd_zone z = zone("door: 0.1,0.5 0.4,0.5   0.4,1 0.1,1");
    cr_assert_str_eq(z.name, "door");
    cr_assert_eq(z.n, 4);
    cr_assert_float_eq(z.x[1], 0.4f, 1e-6);
    cr_assert_float_eq(z.y[2], 1.0f, 1e-6);
    struct dd_line l = line("  gate-2 : 0.2,0.6 0.8,0.6 ");
    cr_assert_str_eq(l.name, "gate-2");
    cr_assert_float_eq(l.x1, 0.8f, 1e-6);
}

Test(zones, bad_ones_are_refused_with_a_reason)
{
    zone_refused("bow: 0,0 1,1 1,0 0,1", "cross");    /* a bow tie crosses itself */
    zone_refused("flat: 0,0 0.5,0.5 1,1", "no area"); /* collinear */
    zone_refused("two: 0,0 1,1", "needs 3");
    zone_refused("out: 0,0 1.2,0 1,1", "outside the frame");
    zone_refused("neg: -0.1,0 1,0 1,1", "outside the frame");
    zone_refused("rep: 0,0 1,0 1,0 0,1", "the same");
    zone_refused("0,0 1,0 1,1", "NAME");
    zone_refused("bad name: 0,0 1,0 1,1", "letters");
    zone_refused("x: 0,0 1;0 1,1", "not x,y");
    zone_refused(": 0,0 1,0 1,1", "name");
    zone_refused("many: 0,0 0.1,0 0.2,0 0.3,0 0.4,0 0.5,0 0.6,0 0.7,0 0.8,0 0.9,0 1,0 1,0.1 1,0.2 "
                 "1,0.3 1,0.4 1,0.5 1,1",
                 "more than 16");
    line_refused("dot: 0.5,0.5 0.5,0.5", "same point");
    line_refused("short: 0.5,0.5 0.5,0.505", "same point");
    line_refused("one: 0.5,0.5", "A and B");
    line_refused("three: 0,0 1,1 0,1", "a line is A and B");
    line_refused("far: 0,0 2,2", "outside the frame");
}

Test(zones, contains_and_sides)
{
    struct dd_zone z = zone("l: 0.2,0.2 0.8,0.2 0.5,0.9"); /* a triangle */
    cr_assert(dd_zone_contains(&z, 0.5f, 0.4f));
    cr_assert(!dd_zone_contains(&z, 0.25f, 0.8f));
    cr_assert(!dd_zone_contains(&z, 0.9f, 0.5f));
    struct dd_line l = line("h: 0,0.5 1,0.5"); /* left to right: its right is below */
    float t;
    cr_assert_gt(dd_line_side(&l, 0.3f, 0.7f, W, H, &t), 0);
    cr_assert_float_eq(t, 0.3f, 1e-5);
    cr_assert_lt(dd_line_side(&l, 0.3f, 0.2f, W, H, &t), 0);
    cr_assert_float_eq(dd_line_side(&l, 0.5f, 0.6f, W, H, &t), 100.0f, 1e-3); /* pixels */
}

/* ---- the scene ---- */

static struct dd_scene *scene(struct dd_scene_config *c)
{
    struct dd_scene *s;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_scene_create(c, &s, &err), 0, "%s", err.msg);
    return s;
}

/* An object whose box's bottom centre is at (x, y) in pixels. */
static struct dd_det at(int id, float x, float y, int cls)
{
    return (struct dd_det){
        .x1 = x - 20, .y1 = y - 80, .x2 = x + 20, .y2 = y, .score = 0.8f, .cls = cls, .id = id};
}

static uint64_t frame_no;

static void step(struct dd_scene *s, const struct dd_det *d, int n, const int *ended, int n_ended,
                 struct dd_event_list *out)
{
    struct dd_det v[8];
    if (n) memcpy(v, d, sizeof(*d) * (size_t)n);
    struct dd_det_list l = {.v = v, .n = (size_t)n, .cap = 8};
    dd_scene_update(s, &l, ended, n_ended, W, H, ++frame_no, 1000, out);
}

static int count(const struct dd_event_list *l, enum dd_event_kind k)
{
    int n = 0;
    for (size_t i = 0; i < l->n; i++) n += l->v[i].kind == k;
    return n;
}

Test(scene, a_walk_across_a_line_counts_once_despite_jitter_on_it)
{
    struct dd_scene_config c = {.min_frames = 3};
    c.lines[c.n_lines++] = line("gate: 0.2,0.5 0.8,0.5");
    struct dd_scene *s = scene(&c);
    struct dd_event_list ev;
    dd_event_list_init(&ev);
    /* down across y = 500 with +-6 px of jitter around the line (inside the 10 px dead band) */
    float ys[] = {300, 350, 400, 450, 494, 506, 495, 505, 497, 503, 550, 600, 650};
    for (size_t i = 0; i < sizeof(ys) / sizeof(ys[0]); i++) {
        struct dd_det d = at(1, 500, ys[i], 0);
        step(s, &d, 1, NULL, 0, &ev);
    }
    struct dd_scene_counts n;
    dd_scene_get_counts(s, &n);
    cr_assert_eq(n.lines[0].in, 1, "in %llu", (unsigned long long)n.lines[0].in);
    cr_assert_eq(n.lines[0].out, 0);
    cr_assert_eq(n.lines[0].in_per_class[0], 1);
    cr_assert_eq(count(&ev, DD_EVENT_LINE_CROSS), 1);
    cr_assert_eq(count(&ev, DD_EVENT_APPEARED), 1);
    /* and back up: one out */
    for (float y = 650; y >= 300; y -= 50) {
        struct dd_det d = at(1, 500, y, 0);
        step(s, &d, 1, NULL, 0, &ev);
    }
    dd_scene_get_counts(s, &n);
    cr_assert_eq(n.lines[0].out, 1);
    const struct dd_event *e = &ev.v[ev.n - 1];
    cr_assert_eq(e->kind, DD_EVENT_LINE_CROSS);
    cr_assert_eq(e->direction, -1);
    cr_assert_str_eq(e->where, "gate");
    cr_assert_eq(e->id, 1);
    /* past the end of the segment: not a crossing */
    for (float y = 300; y <= 700; y += 50) {
        struct dd_det d = at(2, 900, y, 0);
        step(s, &d, 1, NULL, 0, &ev);
    }
    dd_scene_get_counts(s, &n);
    cr_assert_eq(n.lines[0].in, 1);
    dd_event_list_destroy(&ev);
    dd_scene_destroy(s);
}

Test(scene, zones_enter_after_min_frames_and_leave_when_the_track_ends)
{
    struct dd_scene_config c = {.min_frames = 3};
    c.zones[c.n_zones++] = zone("yard: 0,0.5 1,0.5 1,1 0,1");
    struct dd_scene *s = scene(&c);
    struct dd_event_list ev;
    dd_event_list_init(&ev);
    struct dd_det in = at(7, 300, 800, 2), out = at(7, 300, 200, 2);
    step(s, &in, 1, NULL, 0, &ev);
    step(s, &in, 1, NULL, 0, &ev);
    struct dd_scene_counts n;
    dd_scene_get_counts(s, &n);
    cr_assert_eq(n.zones[0].occupancy, 0, "entered before min_frames");
    step(s, &out, 1, NULL, 0, &ev); /* one frame out: the streak starts again */
    step(s, &in, 1, NULL, 0, &ev);
    step(s, &in, 1, NULL, 0, &ev);
    dd_scene_get_counts(s, &n);
    cr_assert_eq(n.zones[0].occupancy, 0);
    step(s, &in, 1, NULL, 0, &ev);
    dd_scene_get_counts(s, &n);
    cr_assert_eq(n.zones[0].occupancy, 1);
    cr_assert_eq(n.zones[0].occupancy_per_class[2], 1);
    cr_assert_eq(n.zones[0].entered, 1);
    cr_assert_eq(count(&ev, DD_EVENT_ZONE_ENTER), 1);
    /* unseen frames (no detection) keep it inside */
    step(s, NULL, 0, NULL, 0, &ev);
    dd_scene_get_counts(s, &n);
    cr_assert_eq(n.zones[0].occupancy, 1);
    /* the track ends: it leaves the zone, then the picture */
    int ended = 7;
    step(s, NULL, 0, &ended, 1, &ev);
    dd_scene_get_counts(s, &n);
    cr_assert_eq(n.zones[0].occupancy, 0);
    cr_assert_eq(n.zones[0].entered, 1);
    cr_assert_eq(n.objects, 0);
    cr_assert_eq(ev.v[ev.n - 2].kind, DD_EVENT_ZONE_LEAVE);
    cr_assert_eq(ev.v[ev.n - 1].kind, DD_EVENT_LEFT);
    for (size_t i = 1; i < ev.n; i++) cr_assert_eq(ev.v[i].seq, ev.v[i - 1].seq + 1);
    dd_event_list_destroy(&ev);
    dd_scene_destroy(s);
}

Test(scene, a_new_config_keeps_the_counters_of_unchanged_zones_and_lines)
{
    struct dd_scene_config c = {.min_frames = 1};
    c.zones[c.n_zones++] = zone("a: 0,0 0.5,0 0.5,1 0,1");
    c.zones[c.n_zones++] = zone("b: 0.5,0 1,0 1,1 0.5,1");
    c.lines[c.n_lines++] = line("l: 0.5,0 0.5,1");
    struct dd_scene *s = scene(&c);
    struct dd_event_list ev;
    dd_event_list_init(&ev);
    for (float x = 100; x <= 900; x += 100) { /* left to right: enters a, then b; crosses l */
        struct dd_det d = at(3, x, 500, 0);
        step(s, &d, 1, NULL, 0, &ev);
    }
    struct dd_scene_counts n;
    dd_scene_get_counts(s, &n);
    cr_assert_eq(n.zones[0].entered, 1);
    cr_assert_eq(n.zones[1].entered, 1);
    cr_assert_eq(n.zones[1].occupancy, 1);
    cr_assert_eq(n.lines[0].in + n.lines[0].out, 1);
    /* b changes its points, a and l stay, c is new (and listed first) */
    struct dd_scene_config c2 = {.min_frames = 1};
    c2.zones[c2.n_zones++] = zone("c: 0,0 1,0 1,0.2");
    c2.zones[c2.n_zones++] = zone("b: 0.6,0 1,0 1,1 0.6,1");
    c2.zones[c2.n_zones++] = c.zones[0];
    c2.lines[c2.n_lines++] = c.lines[0];
    struct dd_err err = {{0}};
    cr_assert_eq(dd_scene_set_config(s, &c2, &err), 0, "%s", err.msg);
    dd_scene_get_counts(s, &n);
    cr_assert_str_eq(n.zones[2].name, "a");
    cr_assert_eq(n.zones[2].entered, 1, "a lost its counters");
    cr_assert_eq(n.zones[1].entered, 0, "b changed: it starts again");
    cr_assert_eq(n.zones[1].occupancy, 0);
    cr_assert_eq(n.lines[0].in + n.lines[0].out, 1, "the line lost its counts");
    /* the object still inside b's new shape enters it afresh, not twice */
    struct dd_det d = at(3, 900, 500, 0);
    step(s, &d, 1, NULL, 0, &ev);
    dd_scene_get_counts(s, &n);
    cr_assert_eq(n.zones[1].occupancy, 1);
    /* a reset forgets objects, not counts */
    dd_scene_reset_objects(s);
    dd_scene_get_counts(s, &n);
    cr_assert_eq(n.zones[1].occupancy, 0);
    cr_assert_eq(n.zones[2].entered, 1);
    cr_assert_eq(n.objects, 0);
    dd_event_list_destroy(&ev);
    dd_scene_destroy(s);
}

Test(scene, names_must_differ_and_limits_hold)
{
    struct dd_scene_config c = {.min_frames = 1};
    c.zones[c.n_zones++] = zone("x: 0,0 1,0 1,1");
    c.lines[c.n_lines++] = line("x: 0,0.5 1,0.5");
    struct dd_err err = {{0}};
    cr_assert_eq(dd_scene_config_check(&c, &err), -1);
    cr_assert(strstr(err.msg, "twice"), "%s", err.msg);
    c.n_lines = 0;
    c.min_frames = 0;
    cr_assert_eq(dd_scene_config_check(&c, &err), -1);
}

Test(scene, follows_the_trackers_ids_end_to_end)
{
    /* a tracker and a scene together: one object walking down through a line */
    struct dd_tracker_config tc = dd_tracker_config_default();
    tc.max_misses = 2;
    struct dd_tracker *t;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_tracker_create(&tc, &t, &err), 0);
    struct dd_scene_config c = {.min_frames = 2};
    c.lines[c.n_lines++] = line("g: 0,0.5 1,0.5");
    struct dd_scene *s = scene(&c);
    struct dd_event_list ev;
    dd_event_list_init(&ev);
    for (int f = 0; f < 30; f++) {
        struct dd_det v[1] = {at(0, 500, 200 + (float)f * 20, 0)};
        struct dd_det_list l = {.v = v, .n = f < 25 ? 1 : 0, .cap = 1};
        cr_assert_eq(dd_tracker_update(t, &l, &err), 0);
        const int *ended;
        int n_ended = dd_tracker_ended(t, &ended);
        dd_scene_update(s, &l, ended, n_ended, W, H, (uint64_t)f, 0, &ev);
    }
    struct dd_scene_counts n;
    dd_scene_get_counts(s, &n);
    cr_assert_eq(n.lines[0].in, 1);
    cr_assert_eq(count(&ev, DD_EVENT_APPEARED), 1);
    cr_assert_eq(count(&ev, DD_EVENT_LEFT), 1, "the track's end is the object leaving");
    cr_assert_eq(n.objects, 0);
    dd_event_list_destroy(&ev);
    dd_scene_destroy(s);
    dd_tracker_destroy(t);
}

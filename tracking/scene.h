/* What the tracked objects do in the picture: zone membership with enter/leave hysteresis,
 * line crossings with direction, the counters they feed, and the events they raise.
 *
 * Each processed frame's tracked detections (dets[i].id != 0) go through dd_scene_update:
 *   - an object is placed by its anchor: the bottom centre of its box (where it stands) or
 *     the box centre;
 *   - it enters a zone after its anchor was inside for min_frames processed frames in a row,
 *     and leaves it after min_frames frames outside, or when its track ends;
 *   - it crosses a line when its anchor goes from one side to the other (each side counted
 *     only beyond a dead band of 0.5% of the frame's width + height, so jitter on the line
 *     does not count) through the segment itself, not its extension;
 *   - events: appeared (first frame with its ID), left (track ended), zone_enter, zone_leave,
 *     line_cross, each with the object's ID, class, score and box.
 * Counters (occupancy and entries per zone and class, crossings per line, class and
 * direction) belong to the scene, not to a pipeline: a new config keeps the counters of every
 * zone and line whose name and points it leaves unchanged. Thread-safe (one mutex): the detect
 * thread updates while others read the counts or change the config. */
#ifndef DD_TRACKING_SCENE_H
#define DD_TRACKING_SCENE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "postproc/detection.h"
#include "postproc/detection_filter.h"
#include "tracking/zones.h"

#define DD_SCENE_MAX_ZONES 8
#define DD_SCENE_MAX_LINES 8
#define DD_SCENE_MAX_OBJECTS 4096 /* objects followed at once; the longest unseen go first */

enum dd_scene_anchor { DD_ANCHOR_BOTTOM_CENTER = 0, DD_ANCHOR_CENTER = 1 };

struct dd_scene_config {
    struct dd_zone zones[DD_SCENE_MAX_ZONES];
    int n_zones;
    struct dd_line lines[DD_SCENE_MAX_LINES];
    int n_lines;
    enum dd_scene_anchor anchor;
    int min_frames; /* 1..100: zone hysteresis in processed frames */
};

/* 0, or -1 with err (duplicate names, counts, min_frames). */
int dd_scene_config_check(const struct dd_scene_config *c, struct dd_err *err);

enum dd_event_kind {
    DD_EVENT_APPEARED,
    DD_EVENT_LEFT,
    DD_EVENT_ZONE_ENTER,
    DD_EVENT_ZONE_LEAVE,
    DD_EVENT_LINE_CROSS,
};
/* "appeared", "left", "zone_enter", "zone_leave", "line_cross" */
const char *dd_event_kind_name(enum dd_event_kind k);

struct dd_event {
    uint64_t seq;   /* per scene, from 1, never reused */
    uint64_t frame; /* the source's frame number */
    int64_t t_ms;   /* wall clock, ms since the epoch */
    enum dd_event_kind kind;
    int id, cls;
    float score;
    float x1, y1, x2, y2;         /* box in frame pixels (left: the last one seen) */
    char where[DD_ZONE_NAME_MAX]; /* zone or line name, "" otherwise */
    int direction;                /* line_cross: +1 in, -1 out */
};

struct dd_event_list {
    struct dd_event *v;
    size_t n, cap;
};
void dd_event_list_init(struct dd_event_list *l);
void dd_event_list_destroy(struct dd_event_list *l);
/* Appends e; -1 when memory runs out. */
int dd_event_list_push(struct dd_event_list *l, const struct dd_event *e);

struct dd_zone_counts {
    char name[DD_ZONE_NAME_MAX];
    int occupancy; /* objects inside now */
    int occupancy_per_class[DD_MAX_CLASSES];
    uint64_t entered; /* entries since the zone was configured */
    uint64_t entered_per_class[DD_MAX_CLASSES];
};

struct dd_line_counts {
    char name[DD_ZONE_NAME_MAX];
    uint64_t in, out;
    uint64_t in_per_class[DD_MAX_CLASSES], out_per_class[DD_MAX_CLASSES];
};

struct dd_scene_counts {
    int n_zones, n_lines;
    struct dd_zone_counts zones[DD_SCENE_MAX_ZONES];
    struct dd_line_counts lines[DD_SCENE_MAX_LINES];
    uint64_t events;         /* raised since the scene was created */
    uint64_t events_dropped; /* lost to an allocation failure */
    int objects;             /* objects followed now */
};

struct dd_scene;

int dd_scene_create(const struct dd_scene_config *c, struct dd_scene **out, struct dd_err *err);
void dd_scene_destroy(struct dd_scene *s);
/* A new config: zones and lines that keep their name and points keep their counters and
 * their objects' state; the others start from zero. */
int dd_scene_set_config(struct dd_scene *s, const struct dd_scene_config *c, struct dd_err *err);
void dd_scene_get_config(struct dd_scene *s, struct dd_scene_config *out);
/* The tracker started again (its IDs mean other objects now): forgets every object (zone
 * occupancy drops to zero, no events); counters stay. */
void dd_scene_reset_objects(struct dd_scene *s);

/* One processed frame of w x h pixels: dets (tracked ones have id != 0) and the IDs whose
 * tracks ended in this frame. Appends the frame's events to out (not cleared first). */
void dd_scene_update(struct dd_scene *s, const struct dd_det_list *dets, const int *ended,
                     int n_ended, uint32_t w, uint32_t h, uint64_t frame, int64_t t_ms,
                     struct dd_event_list *out);

void dd_scene_get_counts(struct dd_scene *s, struct dd_scene_counts *out);

#endif

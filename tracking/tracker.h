/* A multi-object tracker over per-frame detections (ByteTrack-style):
 *   - every track carries a constant-velocity Kalman filter on its box centre and size
 *     (independent position/velocity filters per coordinate, noise scaled by the box height);
 *   - stage 1 matches the detections scoring >= high_score to every live track of their class,
 *     greedily by IoU with the predicted box (>= match_iou);
 *   - stage 2 matches the remaining detections scoring >= low_score to the confirmed tracks left
 *     unmatched (>= low_match_iou): an object whose score dips keeps its track;
 *   - an unmatched high-score detection starts a tentative track; a tentative track is confirmed,
 *     and only then gets an ID, after min_hits consecutive matches, and dropped on its first miss;
 *   - a confirmed track survives max_misses frames without a match (predicted meanwhile: an
 *     object that stands still or passes behind something keeps its ID).
 * IDs are per tracker, increasing from 1, never reused. Not thread-safe: one tracker per stream. */
#ifndef DD_TRACKING_TRACKER_H
#define DD_TRACKING_TRACKER_H

#include "common/error.h"
#include "postproc/detection.h"

struct dd_tracker_config {
    float high_score;    /* 0.5 */
    float low_score;     /* 0.1 */
    float match_iou;     /* 0.2: stage 1 */
    float low_match_iou; /* 0.5: stage 2 */
    int min_hits;        /* 3 */
    int max_misses;      /* 75 (3 s at 25 fps) */
};

/* The defaults above. */
struct dd_tracker_config dd_tracker_config_default(void);
/* 0, or -1 with err naming the bad field. */
int dd_tracker_config_check(const struct dd_tracker_config *c, struct dd_err *err);

struct dd_tracker;

int dd_tracker_create(const struct dd_tracker_config *c, struct dd_tracker **out,
                      struct dd_err *err);
void dd_tracker_destroy(struct dd_tracker *t);
/* Changes the tuning; tracks and IDs are kept. */
int dd_tracker_set_config(struct dd_tracker *t, const struct dd_tracker_config *c,
                          struct dd_err *err);

/* One frame: sets dets->v[i].id to its confirmed track's ID, or 0 (below low_score, a
 * tentative track, or nothing matched). Boxes are not changed. Returns -1 (err) only when
 * memory runs out; the tracker then stays as it was before the call. */
int dd_tracker_update(struct dd_tracker *t, struct dd_det_list *dets, struct dd_err *err);

/* The IDs of the confirmed tracks the last update ended (max_misses frames unseen): the
 * objects that left. Valid until the next update. */
int dd_tracker_ended(const struct dd_tracker *t, const int **ids);

/* Live tracks (tentative included) and confirmed ones. */
int dd_tracker_tracks(const struct dd_tracker *t, int *confirmed);

#endif

/* Zones and lines of a camera's picture, in fractions of the frame (0..1, x to the right, y
 * down), as written in the config:
 *   zone: "NAME: x,y x,y x,y ..."  a simple polygon of 3..DD_ZONE_MAX_POINTS corners
 *   line: "NAME: x,y x,y"          a segment from A to B; crossing it from the left of A->B to
 *                                  its right is "in", the other way "out" (for a line drawn
 *                                  left to right: in = downwards in the picture)
 * Names are 1..DD_ZONE_NAME_MAX-1 characters of [A-Za-z0-9_-] (they become MQTT topics and
 * metric labels). The parsers refuse points outside the frame, polygons that cross themselves
 * or have (nearly) no area, repeated corners, and lines shorter than 1% of the frame. */
#ifndef DD_TRACKING_ZONES_H
#define DD_TRACKING_ZONES_H

#include "common/error.h"

#define DD_ZONE_MAX_POINTS 16
#define DD_ZONE_NAME_MAX 32

struct dd_zone {
    char name[DD_ZONE_NAME_MAX];
    int n;
    float x[DD_ZONE_MAX_POINTS], y[DD_ZONE_MAX_POINTS];
};

struct dd_line {
    char name[DD_ZONE_NAME_MAX];
    float x0, y0, x1, y1;
};

/* 0, or -1 with err saying what is wrong with text. */
int dd_zone_parse(const char *text, struct dd_zone *z, struct dd_err *err);
int dd_line_parse(const char *text, struct dd_line *l, struct dd_err *err);

/* Whether (x, y) (fractions) lies inside the polygon (even-odd rule; points on an edge may
 * go either way). */
int dd_zone_contains(const struct dd_zone *z, float x, float y);

/* Which side of the line (x, y) lies on, in a frame of w x h pixels: the signed distance in
 * pixels, > 0 on the right of A->B ("in" side), < 0 on the left. *t gets the position of
 * the point's projection along the segment (0 at A, 1 at B). */
float dd_line_side(const struct dd_line *l, float x, float y, float w, float h, float *t);

#endif

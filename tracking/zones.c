#include "tracking/zones.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* "NAME:" -> name; returns the rest of text, or NULL with err set. */
static const char *parse_name(const char *text, char *name, const char *what, struct dd_err *err)
{
    const char *colon = strchr(text, ':');
    while (isspace((unsigned char)*text)) text++;
    if (!colon) return dd_err_set(err, "%s '%s': expected NAME: x,y x,y ...", what, text), NULL;
    size_t n = (size_t)(colon - text);
    while (n && isspace((unsigned char)text[n - 1])) n--;
    if (n == 0 || n >= DD_ZONE_NAME_MAX)
        return dd_err_set(err, "%s: a name of 1..%d characters before ':'", what,
                          DD_ZONE_NAME_MAX - 1),
               NULL;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)text[i]) && text[i] != '_' && text[i] != '-')
            return dd_err_set(err, "%s '%.*s': names hold only letters, digits, '_' and '-'", what,
                              (int)n, text),
                   NULL;
    memcpy(name, text, n);
    name[n] = 0;
    return colon + 1;
}

/* Reads up to max "x,y" points; returns how many, or -1 with err set. */
static int parse_points(const char *s, float *x, float *y, int max, const char *what,
                        const char *name, struct dd_err *err)
{
    int n = 0;
    for (;;) {
        while (isspace((unsigned char)*s)) s++;
        if (!*s) return n;
        if (n == max) return dd_err_set(err, "%s '%s': more than %d points", what, name, max);
        char *end;
        double a = strtod(s, &end);
        if (end == s) goto bad;
        s = end;
        while (isspace((unsigned char)*s)) s++;
        if (*s++ != ',') goto bad;
        double b = strtod(s, &end);
        if (end == s) goto bad;
        s = end;
        if (*s && !isspace((unsigned char)*s)) goto bad;
        if (!(a >= 0 && a <= 1 && b >= 0 && b <= 1))
            return dd_err_set(err, "%s '%s': point %d (%g,%g) is outside the frame (0..1)", what,
                              name, n + 1, a, b);
        x[n] = (float)a, y[n] = (float)b;
        n++;
    }
bad:
    return dd_err_set(err, "%s '%s': point %d is not x,y (fractions of the frame)", what, name,
                      n + 1);
}

static double cross(double ax, double ay, double bx, double by, double cx, double cy)
{
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

/* Whether segments p1-p2 and p3-p4 touch (collinear overlaps included). */
static int segments_touch(const float *x, const float *y, int a, int b, int c, int d)
{
    double d1 = cross(x[c], y[c], x[d], y[d], x[a], y[a]);
    double d2 = cross(x[c], y[c], x[d], y[d], x[b], y[b]);
    double d3 = cross(x[a], y[a], x[b], y[b], x[c], y[c]);
    double d4 = cross(x[a], y[a], x[b], y[b], x[d], y[d]);
    if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)))
        return 1;
        /* a point on the other segment */
#define ON(p, q, r, dd)                                                                            \
    ((dd) == 0 && fmin(x[q], x[r]) <= x[p] && x[p] <= fmax(x[q], x[r]) &&                          \
     fmin(y[q], y[r]) <= y[p] && y[p] <= fmax(y[q], y[r]))
    return ON(a, c, d, d1) || ON(b, c, d, d2) || ON(c, a, b, d3) || ON(d, a, b, d4);
#undef ON
}

int dd_zone_parse(const char *text, struct dd_zone *z, struct dd_err *err)
{
    memset(z, 0, sizeof(*z));
    const char *rest = parse_name(text, z->name, "zone", err);
    if (!rest) return -1;
    int n = parse_points(rest, z->x, z->y, DD_ZONE_MAX_POINTS, "zone", z->name, err);
    if (n < 0) return -1;
    if (n < 3) return dd_err_set(err, "zone '%s': %d point(s); a zone needs 3 or more", z->name, n);
    z->n = n;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (fabsf(z->x[i] - z->x[j]) < 1e-4f && fabsf(z->y[i] - z->y[j]) < 1e-4f)
                return dd_err_set(err, "zone '%s': points %d and %d are the same", z->name, i + 1,
                                  j + 1);
    for (int i = 0; i < n; i++) /* edges i..i+1 against the ones not next to them */
        for (int j = i + 2; j < n; j++) {
            if (i == 0 && j == n - 1) continue;
            if (segments_touch(z->x, z->y, i, i + 1, j, (j + 1) % n))
                return dd_err_set(err,
                                  "zone '%s': edges %d-%d and %d-%d cross (a zone must not "
                                  "cross itself)",
                                  z->name, i + 1, i + 2, j + 1, (j + 1) % n + 1);
        }
    double area = 0;
    for (int i = 0; i < n; i++) {
        int k = (i + 1) % n;
        area += (double)z->x[i] * z->y[k] - (double)z->x[k] * z->y[i];
    }
    if (fabs(area) / 2 < 1e-4)
        return dd_err_set(err, "zone '%s': no area (%.2g of the frame)", z->name, fabs(area) / 2);
    return 0;
}

int dd_line_parse(const char *text, struct dd_line *l, struct dd_err *err)
{
    memset(l, 0, sizeof(*l));
    const char *rest = parse_name(text, l->name, "line", err);
    if (!rest) return -1;
    float x[3], y[3];
    int n = parse_points(rest, x, y, 3, "line", l->name, err);
    if (n < 0) return -1;
    if (n != 2) return dd_err_set(err, "line '%s': %d point(s); a line is A and B", l->name, n);
    if (hypotf(x[1] - x[0], y[1] - y[0]) < 0.01f)
        return dd_err_set(err, "line '%s': A and B are (nearly) the same point", l->name);
    l->x0 = x[0], l->y0 = y[0], l->x1 = x[1], l->y1 = y[1];
    return 0;
}

int dd_zone_contains(const struct dd_zone *z, float px, float py)
{
    int in = 0;
    for (int i = 0, j = z->n - 1; i < z->n; j = i++) {
        if ((z->y[i] > py) == (z->y[j] > py)) continue;
        float xc = z->x[j] + (py - z->y[j]) * (z->x[i] - z->x[j]) / (z->y[i] - z->y[j]);
        if (px < xc) in = !in;
    }
    return in;
}

float dd_line_side(const struct dd_line *l, float x, float y, float w, float h, float *t)
{
    float ax = l->x0 * w, ay = l->y0 * h, dx = (l->x1 - l->x0) * w, dy = (l->y1 - l->y0) * h;
    float px = x * w - ax, py = y * h - ay, len2 = dx * dx + dy * dy;
    if (t) *t = (px * dx + py * dy) / len2;
    return (dx * py - dy * px) / sqrtf(len2);
}

#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "accel/backend.h"
#include "common/file.h"
#include "common/listen_addr.h"
#include "config/schema.h"
#include "postproc/family.h"
#include "tracking/zones.h"

/* ---- values ---- */

static const struct dd_cfg_key *find_key(const char *section, const char *name)
{
    for (size_t i = 0; i < dd_cfg_n_keys; i++)
        if (strcmp(dd_cfg_keys[i].section, section) == 0 && strcmp(dd_cfg_keys[i].name, name) == 0)
            return &dd_cfg_keys[i];
    return NULL;
}

static int known_section(const char *section)
{
    for (size_t i = 0; i < dd_cfg_n_sections; i++)
        if (strcmp(dd_cfg_sections[i].name, section) == 0) return 1;
    return 0;
}

static const struct dd_cfg_choice *find_choice(const struct dd_cfg_choice *c, const char *v)
{
    for (; c->name; c++)
        if (strcmp(c->name, v) == 0) return c;
    return NULL;
}

static int parse_double(const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(d)) return -1;
    *out = d;
    return 0;
}

/* A plain decimal integer: an optional '-' and 1..9 digits. No '+', hex, exponent, fraction
 * or wrap-around: what the file says is the value used. */
static int parse_int(const char *v, int *out)
{
    const char *p = v + (*v == '-');
    size_t n = strspn(p, "0123456789");
    if (n == 0 || n > 9 || p[n]) return -1;
    *out = (int)strtol(v, NULL, 10);
    return 0;
}

/* WxH, each 1..9 decimal digits (a 4294967312x16 does not wrap to 16x16). */
static int parse_size(const char *v, unsigned *w, unsigned *h)
{
    size_t a = strspn(v, "0123456789");
    if (a == 0 || a > 9 || v[a] != 'x') return -1;
    const char *q = v + a + 1;
    size_t b = strspn(q, "0123456789");
    if (b == 0 || b > 9 || q[b]) return -1;
    *w = (unsigned)strtoul(v, NULL, 10);
    *h = (unsigned)strtoul(q, NULL, 10);
    return 0;
}

static int known_class(const char *name)
{
    return dd_family_any_has_class(name);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
    return s;
}

int dd_config_each_class(const char *list, int with_score,
                         int (*fn)(const char *name, float score, void *u), void *u, char *bad,
                         size_t bad_size)
{
    char buf[DD_CFG_STR_MAX];
    snprintf(buf, sizeof(buf), "%s", list);
    char *rest = buf, *tok;
    if (!*buf) return 0;
    while ((tok = strsep(&rest, ","))) {
        tok = trim(tok);
        if (!*tok) { /* ",," */
            snprintf(bad, bad_size, "empty item");
            return -1;
        }
        double score = 0;
        if (with_score) {
            char *colon = strrchr(tok, ':');
            if (!colon || parse_double(colon + 1, &score) != 0 || score < 0 || score > 1) {
                snprintf(bad, bad_size, "'%s' is not CLASS:SCORE with a score in 0..1", tok);
                return -1;
            }
            *colon = 0;
            tok = trim(tok);
        }
        if (fn(tok, (float)score, u) != 0) return -1;
    }
    return 0;
}

struct known_check {
    char *bad;
    size_t bad_size;
};

static int check_known(const char *name, float score, void *u)
{
    (void)score;
    struct known_check *k = u;
    if (known_class(name)) return 0;
    snprintf(k->bad, k->bad_size, "'%s' is not a class name of a known model", name);
    return -1;
}

static const char *type_syntax(const struct dd_cfg_key *k, char *buf, size_t size)
{
    const char *aut = (k->flags & DD_CFG_AUTO) ? " or auto" : "";
    switch (k->type) {
    case DD_CFG_STRING:
        return "text";
    case DD_CFG_BOOL:
        return "true|false|yes|no|on|off|1|0";
    case DD_CFG_INT:
        snprintf(buf, size, "an integer in %g..%g%s", k->min, k->max, aut);
        return buf;
    case DD_CFG_FLOAT:
        snprintf(buf, size, "a number in %g..%g%s", k->min, k->max, aut);
        return buf;
    case DD_CFG_ENUM: {
        size_t len = 0;
        for (const struct dd_cfg_choice *c = k->choices; c->name && len < size; c++)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", c == k->choices ? "" : "|",
                                    c->name);
        return buf;
    }
    case DD_CFG_BACKEND:
        dd_backend_names(buf, size, "|");
        if (k->flags & DD_CFG_NONE) snprintf(buf + strlen(buf), size - strlen(buf), "|none");
        return buf;
    case DD_CFG_SIZE:
        snprintf(buf, size, "WIDTHxHEIGHT (%g..%g, even) or auto", k->min, k->max);
        return buf;
    case DD_CFG_ROI:
        return "x0,y0,x1,y1 with 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1, or none";
    case DD_CFG_CLASSES:
        return "comma-separated class names of the model's family (nanodet: COCO names; blazeface: "
               "face)";
    case DD_CFG_CLASS_SCORES:
        return "comma-separated CLASS:SCORE pairs, scores in 0..1";
    case DD_CFG_LISTEN:
        return "IPV4:PORT or localhost:PORT";
    case DD_CFG_ZONE:
        return "NAME: x,y x,y x,y ... (3..16 points in 0..1, not crossing itself), or empty";
    case DD_CFG_LINE:
        return "NAME: x,y x,y (two distinct points in 0..1), or empty";
    }
    return "?";
}

int dd_config_set(struct dd_config *c, const char *section, const char *name, const char *value,
                  struct dd_err *err)
{
    const struct dd_cfg_key *k = find_key(section, name);
    if (!k) {
        if (!known_section(section)) {
            char list[256] = "";
            for (size_t i = 0; i < dd_cfg_n_sections; i++) {
                strcat(list, i ? ", " : "");
                strcat(list, dd_cfg_sections[i].name);
            }
            return dd_err_set(err, "[%s]: unknown section (accepted: %s)", section, list);
        }
        char list[512] = "";
        for (size_t i = 0; i < dd_cfg_n_keys; i++) {
            if (strcmp(dd_cfg_keys[i].section, section) != 0) continue;
            if (*list) strcat(list, ", ");
            strcat(list, dd_cfg_keys[i].name);
        }
        return dd_err_set(err, "[%s] %s: unknown key (accepted: %s)", section, name, list);
    }
    char *field = (char *)c + k->offset;
    char syn[128];
    int auto_ok = (k->flags & DD_CFG_AUTO) && strcmp(value, "auto") == 0;
    double d;
    switch (k->type) {
    case DD_CFG_STRING:
    case DD_CFG_CLASSES:
    case DD_CFG_CLASS_SCORES:
    case DD_CFG_LISTEN:
        if (strlen(value) >= k->size) goto bad;
        struct sockaddr_in sa;
        if (k->type == DD_CFG_LISTEN && dd_listen_addr_parse(value, &sa) != 0) goto bad;
        if (k->type == DD_CFG_CLASSES || k->type == DD_CFG_CLASS_SCORES) {
            char bad[200];
            struct known_check kc = {bad, sizeof(bad)};
            if (dd_config_each_class(value, k->type == DD_CFG_CLASS_SCORES, check_known, &kc, bad,
                                     sizeof(bad)) != 0)
                return dd_err_set(err, "[%s] %s: %s (accepted: %s)", section, name, bad,
                                  type_syntax(k, syn, sizeof(syn)));
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case DD_CFG_ZONE:
    case DD_CFG_LINE: {
        if (strlen(value) >= k->size) goto bad;
        struct dd_err ge;
        struct dd_zone z;
        struct dd_line l;
        if (*value && (k->type == DD_CFG_ZONE ? dd_zone_parse(value, &z, &ge)
                                              : dd_line_parse(value, &l, &ge)) != 0)
            return dd_err_set(err, "[%s] %s: %s (accepted: %s)", section, name, ge.msg,
                              type_syntax(k, syn, sizeof(syn)));
        memcpy(field, value, strlen(value) + 1);
        return 0;
    }
    case DD_CFG_BOOL: {
        static const char *yes[] = {"true", "yes", "on", "1"}, *no[] = {"false", "no", "off", "0"};
        for (int i = 0; i < 4; i++) {
            if (strcmp(value, yes[i]) == 0) return *(int *)field = 1, 0;
            if (strcmp(value, no[i]) == 0) return *(int *)field = 0, 0;
        }
        goto bad;
    }
    case DD_CFG_INT:
        if (auto_ok) return *(int *)field = 0, 0;
        int iv;
        if (parse_int(value, &iv) != 0 || iv < k->min || iv > k->max) goto bad;
        *(int *)field = iv;
        return 0;
    case DD_CFG_FLOAT:
        if (auto_ok) return *(float *)field = NAN, 0;
        if (parse_double(value, &d) != 0 || d < k->min || d > k->max) goto bad;
        *(float *)field = (float)d;
        return 0;
    case DD_CFG_ENUM: {
        const struct dd_cfg_choice *choice = find_choice(k->choices, value);
        if (!choice) goto bad;
        *(int *)field = choice->value;
        return 0;
    }
    case DD_CFG_BACKEND:
        if (!dd_backend_find(value) && !((k->flags & DD_CFG_NONE) && strcmp(value, "none") == 0))
            goto bad;
        snprintf(field, k->size, "%s", value);
        return 0;
    case DD_CFG_SIZE: {
        struct dd_cfg_size *s = (struct dd_cfg_size *)field;
        if (auto_ok) return s->w = s->h = 0, 0;
        unsigned w, h;
        if (parse_size(value, &w, &h) != 0 || w < k->min || w > k->max || h < k->min ||
            h > k->max || (w & 1) || (h & 1))
            goto bad;
        s->w = w;
        s->h = h;
        return 0;
    }
    case DD_CFG_ROI: {
        struct dd_cfg_roi *r = (struct dd_cfg_roi *)field;
        if (strcmp(value, "none") == 0) {
            *r = (struct dd_cfg_roi){0, {0, 0, 1, 1}};
            return 0;
        }
        float v[4];
        char tail;
        if (sscanf(value, "%f , %f , %f , %f %c", &v[0], &v[1], &v[2], &v[3], &tail) != 4) goto bad;
        for (int i = 0; i < 4; i++)
            if (!(v[i] >= 0 && v[i] <= 1)) goto bad;
        if (!(v[0] < v[2] && v[1] < v[3])) goto bad;
        r->enabled = 1;
        memcpy(r->v, v, sizeof(v));
        return 0;
    }
    }
bad:
    return dd_err_set(err, "[%s] %s: '%s' is not valid (accepted: %s)", section, name, value,
                      type_syntax(k, syn, sizeof(syn)));
}

void dd_config_defaults(struct dd_config *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < dd_cfg_n_keys; i++) {
        struct dd_err e;
        if (dd_config_set(c, dd_cfg_keys[i].section, dd_cfg_keys[i].name, dd_cfg_keys[i].def, &e) !=
            0)
            abort(); /* a schema default that does not parse: a bug caught by test_config */
    }
}

/* ---- the file ---- */

struct reader {
    const char *text; /* string input (or NULL) */
    FILE *f;
    int line;
    int continuation;   /* the line just read starts with whitespace */
    int too_long;       /* first line over inih's limit */
    int inline_comment; /* the line just read has a ';' after a blank (inih ends the value) */
};

static char *read_line(char *str, int num, void *stream)
{
    struct reader *r = stream;
    char buf[4096];
    size_t n = 0;
    if (r->f) {
        if (!fgets(buf, sizeof(buf), r->f)) return NULL;
        n = strlen(buf);
        if (n == sizeof(buf) - 1 && buf[n - 1] != '\n') { /* skip the rest */
            int ch;
            while ((ch = fgetc(r->f)) != EOF && ch != '\n') {
            }
            n = (size_t)num; /* flagged below */
        }
    } else {
        if (!*r->text) return NULL;
        const char *nl = strchr(r->text, '\n');
        size_t len = nl ? (size_t)(nl - r->text + 1) : strlen(r->text);
        n = len < sizeof(buf) ? len : (size_t)num;
        if (len < sizeof(buf)) memcpy(buf, r->text, len);
        r->text += len;
    }
    r->line++;
    if (n >= (size_t)num - 1 && !r->too_long) r->too_long = r->line;
    size_t copy = n < (size_t)num - 1 ? n : (size_t)num - 1;
    memcpy(str, buf, copy);
    str[copy] = 0;
    r->continuation = copy > 0 && (str[0] == ' ' || str[0] == '\t') && str[strspn(str, " \t\r\n")];
    r->inline_comment = strstr(str, " ;") || strstr(str, "\t;");
    return str;
}

struct parse_state {
    const char *name;
    struct reader rd;
    struct dd_config *c;
    struct dd_err *err;
    int failed;
    int first_line[128]; /* line where each schema key was set (parse() checks the count) */
    const char *last_section, *last_key;
    char last_sec_buf[64], last_key_buf[64];
};

/* Zones and lines may continue on indented lines, so their points are checked once the file is
 * read (check_deferred); every other value at once. */
static int set_or_defer(struct parse_state *ps, const struct dd_cfg_key *k, const char *section,
                        const char *name, const char *value, struct dd_err *e)
{
    if (!k || (k->type != DD_CFG_ZONE && k->type != DD_CFG_LINE))
        return dd_config_set(ps->c, section, name, value, e);
    if (strlen(value) >= k->size)
        return dd_err_set(e, "[%s] %s: value longer than %zu characters", section, name,
                          k->size - 1);
    memcpy((char *)ps->c + k->offset, value, strlen(value) + 1);
    return 0;
}

static int check_deferred(struct parse_state *ps)
{
    for (size_t i = 0; i < dd_cfg_n_keys; i++) {
        const struct dd_cfg_key *k = &dd_cfg_keys[i];
        if (!ps->first_line[i] || (k->type != DD_CFG_ZONE && k->type != DD_CFG_LINE)) continue;
        char value[DD_CFG_GEOM_MAX];
        snprintf(value, sizeof(value), "%s", (const char *)ps->c + k->offset);
        struct dd_err e = {{0}};
        if (dd_config_set(ps->c, k->section, k->name, value, &e) != 0)
            return dd_err_set(ps->err, "%s:%d: %s", ps->name, ps->first_line[i], e.msg);
    }
    return 0;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    struct parse_state *ps = user;
    if (ps->failed) return 1;
    const struct dd_cfg_key *k = find_key(section, name);
    struct dd_err e = {{0}};
    if (k && k->type == DD_CFG_STRING && strcmp(name, "token") == 0 && ps->rd.inline_comment) {
        /* a secret cut short at a ';' would be a different secret, silently */
        dd_err_set(&e, "[%s] %s: ' ;' starts a comment on this line: a token cannot contain it",
                   section, name);
        goto fail;
    }
    if (k) {
        size_t idx = (size_t)(k - dd_cfg_keys);
        if (ps->rd.continuation && ps->first_line[idx]) { /* an indented continuation line */
            char joined[DD_CFG_STR_MAX];
            const char *cur = (const char *)ps->c + k->offset;
            if (k->type != DD_CFG_STRING && k->type != DD_CFG_CLASSES &&
                k->type != DD_CFG_CLASS_SCORES && k->type != DD_CFG_ZONE &&
                k->type != DD_CFG_LINE) {
                dd_err_set(&e, "[%s] %s: only text values continue on indented lines", section,
                           name);
                goto fail;
            }
            if ((size_t)snprintf(joined, sizeof(joined), "%s %s", cur, value) >= sizeof(joined)) {
                dd_err_set(&e, "[%s] %s: value longer than %d characters", section, name,
                           DD_CFG_STR_MAX - 1);
                goto fail;
            }
            if (set_or_defer(ps, k, section, name, joined, &e) != 0) goto fail;
            return 1;
        }
        if (ps->first_line[idx]) {
            dd_err_set(&e, "[%s] %s: given twice (first on line %d)", section, name,
                       ps->first_line[idx]);
            goto fail;
        }
        ps->first_line[idx] = ps->rd.line;
    }
    if (set_or_defer(ps, k, section, name, value, &e) == 0) return 1;
fail:
    ps->failed = 1;
    dd_err_set(ps->err, "%s:%d: %s", ps->name, ps->rd.line, e.msg);
    return 0;
}

static int parse(struct parse_state *ps)
{
    if (dd_cfg_n_keys > sizeof(ps->first_line) / sizeof(ps->first_line[0]))
        return dd_err_set(ps->err, "config: the schema has more keys than the parser tracks");
    int rc = ini_parse_stream(read_line, &ps->rd, on_key, ps);
    if (ps->rd.too_long && (!ps->failed || ps->rd.too_long < rc))
        return dd_err_set(ps->err,
                          "%s:%d: line longer than %d characters (continue a long value "
                          "on indented lines)",
                          ps->name, ps->rd.too_long, INI_MAX_LINE - 2);
    if (ps->failed) return -1;
    if (rc > 0)
        return dd_err_set(ps->err, "%s:%d: not a [section] header, a key = value line or a comment",
                          ps->name, rc);
    if (rc < 0) return dd_err_set(ps->err, "%s: cannot read the file", ps->name);
    return check_deferred(ps);
}

int dd_config_load_string(const char *name, const char *text, struct dd_config *c,
                          struct dd_err *err)
{
    struct parse_state ps = {.name = name, .c = c, .err = err};
    ps.rd.text = text;
    return parse(&ps);
}

int dd_config_load(const char *path, struct dd_config *c, struct dd_err *err)
{
    FILE *f;
    int e = dd_file_open_regular(path, &f); /* never blocks: a FIFO or a device is refused */
    if (e) return dd_err_set(err, "%s: %s", path, dd_file_open_error(e));
    struct parse_state ps = {.name = path, .c = c, .err = err};
    ps.rd.f = f;
    int rc = parse(&ps);
    if (ferror(f) && rc == 0) rc = dd_err_set(err, "%s: read error", path);
    fclose(f);
    return rc;
}

unsigned dd_config_diff(const struct dd_config *a, const struct dd_config *b)
{
    unsigned m = 0;
    for (size_t i = 0; i < dd_cfg_n_keys; i++) {
        const struct dd_cfg_key *k = &dd_cfg_keys[i];
        const char *pa = (const char *)a + k->offset, *pb = (const char *)b + k->offset;
        int same;
        if (k->type == DD_CFG_FLOAT) {
            float fa = *(const float *)pa, fb = *(const float *)pb;
            same = fa == fb || (isnan(fa) && isnan(fb));
        } else if (k->type == DD_CFG_STRING || k->type == DD_CFG_BACKEND ||
                   k->type == DD_CFG_CLASSES || k->type == DD_CFG_CLASS_SCORES ||
                   k->type == DD_CFG_LISTEN || k->type == DD_CFG_ZONE || k->type == DD_CFG_LINE) {
            same = strcmp(pa, pb) == 0;
        } else {
            same = memcmp(pa, pb, k->size) == 0;
        }
        if (!same) m |= k->apply;
    }
    return m;
}

/* "# text" wrapped at 96 columns. */
static void comment(FILE *f, const char *text)
{
    while (*text) {
        size_t n = strlen(text), cut = n;
        if (n > 94) {
            cut = 94;
            while (cut > 0 && text[cut] != ' ') cut--;
            if (!cut) cut = 94;
        }
        fprintf(f, "# %.*s\n", (int)cut, text);
        text += cut;
        while (*text == ' ') text++;
    }
}

void dd_config_write_sample(FILE *f)
{
    fprintf(f, "# detectd configuration (INI). Generated from the schema in config/schema.c by\n"
               "# `detectd --print-config`: every key, what it accepts and its default.\n"
               "# detectd --check-config FILE validates a file; SIGHUP (systemctl reload detectd)\n"
               "# applies it: thresholds, classes, ROI, overlay and the model swap live; source\n"
               "# and sink changes rebuild the pipeline; an invalid file keeps the running one.\n"
               "# A long value may continue on indented lines.\n");
    for (size_t s = 0; s < dd_cfg_n_sections; s++) {
        fprintf(f, "\n[%s]\n", dd_cfg_sections[s].name);
        comment(f, dd_cfg_sections[s].help);
        for (size_t i = 0; i < dd_cfg_n_keys; i++) {
            const struct dd_cfg_key *k = &dd_cfg_keys[i];
            if (strcmp(k->section, dd_cfg_sections[s].name) != 0) continue;
            char syn[128];
            char accepted[256];
            snprintf(accepted, sizeof(accepted), "accepted: %s", type_syntax(k, syn, sizeof(syn)));
            fputc('\n', f);
            comment(f, k->help);
            comment(f, accepted);
            fprintf(f, "%s = %s\n", k->name, k->def);
        }
    }
}

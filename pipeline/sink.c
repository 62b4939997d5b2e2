#include "pipeline/sink.h"

#include <stdlib.h>
#include <string.h>

int dd_sink_open(const struct dd_sink_config *cfg, struct dd_sink **out, struct dd_err *err)
{
    *out = NULL;
    const char *s = cfg->spec && *cfg->spec ? cfg->spec : "null";
    if (strcmp(s, "null") == 0) return dd_sink_null_open(out, err);
    if (strncmp(s, "gst:", 4) == 0) {
        if (!s[4]) return dd_err_set(err, "sink 'gst:' needs a pipeline description");
        return dd_sink_gst_open(s + 4, cfg->fps > 0 ? cfg->fps : 25.0, out, err);
    }
    if (strcmp(s, "drm") == 0 || strncmp(s, "drm:", 4) == 0)
        return dd_sink_drm_open(cfg->drm_device, s[3] ? s + 4 : "", out, err);
    return dd_err_set(err, "unknown sink '%s' (null, drm[:CONNECTOR[@WxH]], gst:DESCRIPTION)", s);
}

int dd_sink_put(struct dd_sink *s, struct dd_frame *f, struct dd_err *err)
{
    int r = s->ops->put(s, f, err);
    if (r == 0) s->stats.frames++;
    return r;
}

int dd_sink_finish(struct dd_sink *s, struct dd_err *err)
{
    return s->ops->finish ? s->ops->finish(s, err) : 0;
}

void dd_sink_close(struct dd_sink *s)
{
    if (s) s->ops->destroy(s);
}

/* ---- null ---- */

static int null_put(struct dd_sink *s, struct dd_frame *f, struct dd_err *err)
{
    (void)f, (void)err;
    s->stats.zero_copy++;
    return 0;
}

static void null_destroy(struct dd_sink *s)
{
    free(s);
}

static const struct dd_sink_ops null_ops = {"null", null_put, NULL, null_destroy};

int dd_sink_null_open(struct dd_sink **out, struct dd_err *err)
{
    struct dd_sink *s = calloc(1, sizeof(*s));
    if (!s) return dd_err_set(err, "out of memory");
    s->ops = &null_ops;
    *out = s;
    return 0;
}

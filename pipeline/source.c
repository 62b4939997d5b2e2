#include "pipeline/source.h"

#include <string.h>

int dd_source_open(const struct dd_source_config *cfg, struct dd_source **out, struct dd_err *err)
{
    *out = NULL;
    if (!cfg->spec || !*cfg->spec) return dd_err_set(err, "no source given");
    if (cfg->format != DD_FRAME_NV12 && cfg->format != DD_FRAME_YUYV)
        return dd_err_set(err, "source format must be nv12 or yuyv");
    if ((cfg->width == 0) != (cfg->height == 0) || cfg->width > 8192 || cfg->height > 8192 ||
        (cfg->width | cfg->height) & 1u)
        return dd_err_set(err, "source size %ux%u: give both, even, at most 8192", cfg->width,
                          cfg->height);
    if (strncmp(cfg->spec, "/dev/video", 10) == 0 || strncmp(cfg->spec, "v4l2:", 5) == 0)
        return dd_source_v4l2_open(cfg, out, err);
    return dd_source_gst_open(cfg, out, err);
}

enum dd_source_result dd_source_next(struct dd_source *s, struct dd_frame **out, int timeout_ms,
                                     struct dd_err *err)
{
    *out = NULL;
    enum dd_source_result r = s->ops->next(s, out, timeout_ms, err);
    if (r == DD_SOURCE_FRAME) {
        s->stats.frames++;
        s->stats.kind = (*out)->kind;
    }
    return r;
}

void dd_source_close(struct dd_source *s)
{
    if (s) s->ops->destroy(s);
}

/* Video sinks: where annotated frames go. Chosen by the spec:
 *   null                      discard (benchmarks)
 *   drm[:CONNECTOR[@WxH]]     a display through DRM/KMS (sink_drm.c)
 *   gst:DESCRIPTION           appsrc ! DESCRIPTION (encode to a file, RTP ...)
 * put() borrows the frame; a sink that needs it longer (a display scanning
 * it out, an encoder queue) takes its own reference. */
#ifndef DD_PIPELINE_SINK_H
#define DD_PIPELINE_SINK_H

#include "pipeline/frame.h"

struct dd_sink_config {
    const char *spec;
    const char *drm_device; /* NULL: the first card with a connected display */
    double fps;             /* nominal frame rate for timestamps (0: 25) */
};

struct dd_sink_stats {
    uint64_t frames;
    uint64_t copies;    /* frames the sink had to copy (e.g. into a dumb buffer) */
    uint64_t zero_copy; /* frames shown/sent without a copy */
};

struct dd_sink;

struct dd_sink_ops {
    const char *name;
    int (*put)(struct dd_sink *s, struct dd_frame *f, struct dd_err *err);
    /* Flushes what is pending (EOS to an encoder, the last flip). */
    int (*finish)(struct dd_sink *s, struct dd_err *err);
    void (*destroy)(struct dd_sink *s);
};

struct dd_sink {
    const struct dd_sink_ops *ops;
    struct dd_sink_stats stats; /* written by the output thread */
};

int dd_sink_open(const struct dd_sink_config *cfg, struct dd_sink **out, struct dd_err *err);
int dd_sink_put(struct dd_sink *s, struct dd_frame *f, struct dd_err *err);
int dd_sink_finish(struct dd_sink *s, struct dd_err *err);
void dd_sink_close(struct dd_sink *s);

int dd_sink_null_open(struct dd_sink **out, struct dd_err *err);
int dd_sink_gst_open(const char *description, double fps, struct dd_sink **out, struct dd_err *err);
int dd_sink_drm_open(const char *device, const char *options, struct dd_sink **out,
                     struct dd_err *err);

#endif

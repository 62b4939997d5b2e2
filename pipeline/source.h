/* Video sources: where frames come from. One interface, chosen by the spec:
 *   /dev/videoN or v4l2:/dev/videoN  a V4L2 camera through libv4l2 (source_v4l2.c)
 *   gst:DESCRIPTION                  a GStreamer pipeline description (source_gst.c)
 *   SCHEME://...                     a URI (uridecodebin: files, RTSP, HTTP ...)
 *   anything else                    a video file path
 * A source delivers NV12 (or YUYV) frames of a fixed size; each frame it
 * returns carries one reference for the caller. */
#ifndef DD_PIPELINE_SOURCE_H
#define DD_PIPELINE_SOURCE_H

#include <stdint.h>

#include "pipeline/frame.h"

struct dd_source_config {
    const char *spec;
    uint32_t width, height; /* requested size; 0: the source's own (V4L2: 1920x1080) */
    uint32_t format;        /* DD_FRAME_NV12 (default) or DD_FRAME_YUYV */
    int loop;               /* files: start again at the end */
    int realtime;           /* files: pace frames at the stream's rate (else as fast as possible) */
    unsigned buffers;       /* capture buffers (V4L2) or frame pool size; 0: default */
};

struct dd_source_stats {
    uint64_t frames;       /* delivered */
    uint64_t copies;       /* frames the source had to copy into its own buffers */
    uint64_t lost;         /* frames the device dropped (sequence gaps) */
    uint64_t reopens;      /* successful reopens after device loss */
    enum dd_buf_kind kind; /* memory of the last delivered frame */
};

enum dd_source_result {
    DD_SOURCE_ERROR = -1, /* fatal: err says why; the source is unusable */
    DD_SOURCE_TIMEOUT = 0,
    DD_SOURCE_FRAME = 1,
    DD_SOURCE_END = 2,  /* end of stream (files without loop) */
    DD_SOURCE_LOST = 3, /* the device went away; err says why; later calls try to reopen */
};

struct dd_source;

struct dd_source_ops {
    const char *name;
    enum dd_source_result (*next)(struct dd_source *s, struct dd_frame **out, int timeout_ms,
                                  struct dd_err *err);
    void (*destroy)(struct dd_source *s);
};

struct dd_source {
    const struct dd_source_ops *ops;
    struct dd_source_stats stats; /* written by the thread calling next() */
    int live;                     /* a camera (frames come at the device's pace) */
};

int dd_source_open(const struct dd_source_config *cfg, struct dd_source **out, struct dd_err *err);
/* Waits up to timeout_ms for the next frame. */
enum dd_source_result dd_source_next(struct dd_source *s, struct dd_frame **out, int timeout_ms,
                                     struct dd_err *err);
/* Frames still referenced stay valid after close. */
void dd_source_close(struct dd_source *s);

/* Per-kind constructors (used by dd_source_open). */
int dd_source_gst_open(const struct dd_source_config *cfg, struct dd_source **out,
                       struct dd_err *err);
int dd_source_v4l2_open(const struct dd_source_config *cfg, struct dd_source **out,
                        struct dd_err *err);

#endif

/* GStreamer sink: appsrc ! DESCRIPTION. Frames are wrapped, not copied: each
 * GstBuffer holds a frame reference that is dropped when GStreamer is done
 * with it; the memory is marked read-only so no element writes into it. */
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/sink.h"
#include "media/gst_util.h"

struct gst_sink {
    struct dd_sink base;
    char *description;
    double fps;
    GstElement *pipeline, *src;
    GstBus *bus;
    uint32_t format, width, height;
    uint64_t n;
};

static int start(struct gst_sink *s, const struct dd_frame *f, struct dd_err *err)
{
    gchar *d = g_strdup_printf("appsrc name=dd_src ! %s", s->description);
    GError *gerr = NULL;
    s->pipeline = gst_parse_launch(d, &gerr);
    g_free(d);
    if (!s->pipeline || gerr) {
        dd_err_set(err, "sink pipeline '%s': %s", s->description,
                   gerr ? gerr->message : "cannot be built");
        g_clear_error(&gerr);
        return -1;
    }
    s->src = gst_bin_get_by_name(GST_BIN(s->pipeline), "dd_src");
    int num = (int)(s->fps * 1000 + 0.5);
    GstCaps *caps = gst_caps_new_simple(
        "video/x-raw", "format", G_TYPE_STRING, f->format == DD_FRAME_NV12 ? "NV12" : "YUY2",
        "width", G_TYPE_INT, (int)f->width, "height", G_TYPE_INT, (int)f->height, "framerate",
        GST_TYPE_FRACTION, num, 1000, "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
    g_object_set(s->src, "caps", caps, "format", GST_FORMAT_TIME, "block", TRUE, "max-bytes",
                 (guint64)f->size * 3, NULL);
    gst_caps_unref(caps);
    s->bus = gst_element_get_bus(s->pipeline);
    if (gst_element_set_state(s->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        if (dd_gst_bus_drain(s->bus, err) == 0)
            dd_err_set(err, "the sink pipeline refused to start");
        return -1;
    }
    s->format = f->format;
    s->width = f->width;
    s->height = f->height;
    return 0;
}

static void unref_frame(gpointer p)
{
    dd_frame_unref(p);
}

static int gst_put(struct dd_sink *base, struct dd_frame *f, struct dd_err *err)
{
    struct gst_sink *s = (struct gst_sink *)base;
    if (!s->pipeline && start(s, f, err) != 0) return -1;
    if (f->format != s->format || f->width != s->width || f->height != s->height)
        return dd_err_set(err, "frame %ux%u differs from the stream's %ux%u", f->width, f->height,
                          s->width, s->height);
    if (dd_gst_bus_drain(s->bus, err) != 0) return -1;
    size_t bytes = f->format == DD_FRAME_NV12 ? (size_t)(f->plane[1] - f->plane[0]) +
                                                    (size_t)f->pitch[1] * ((f->height + 1) / 2)
                                              : (size_t)f->pitch[0] * f->height;
    dd_frame_ref(f);
    GstBuffer *b = gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, f->plane[0], bytes, 0,
                                               bytes, f, unref_frame);
    gsize offsets[GST_VIDEO_MAX_PLANES] = {0, (gsize)(f->plane[1] ? f->plane[1] - f->plane[0] : 0)};
    gint strides[GST_VIDEO_MAX_PLANES] = {(gint)f->pitch[0], (gint)f->pitch[1]};
    gst_buffer_add_video_meta_full(
        b, GST_VIDEO_FRAME_FLAG_NONE,
        f->format == DD_FRAME_NV12 ? GST_VIDEO_FORMAT_NV12 : GST_VIDEO_FORMAT_YUY2, f->width,
        f->height, f->format == DD_FRAME_NV12 ? 2 : 1, offsets, strides);
    GST_BUFFER_PTS(b) = (GstClockTime)((double)s->n * GST_SECOND / s->fps);
    GST_BUFFER_DURATION(b) = (GstClockTime)(GST_SECOND / s->fps);
    s->n++;
    if (gst_app_src_push_buffer(GST_APP_SRC(s->src), b) != GST_FLOW_OK) {
        if (dd_gst_bus_drain(s->bus, err) == 0) dd_err_set(err, "the sink pipeline stopped");
        return -1;
    }
    base->stats.zero_copy++;
    return 0;
}

static int gst_finish(struct dd_sink *base, struct dd_err *err)
{
    struct gst_sink *s = (struct gst_sink *)base;
    if (!s->pipeline) return 0;
    gst_app_src_end_of_stream(GST_APP_SRC(s->src));
    return dd_gst_bus_wait_eos(s->bus, 10 * GST_SECOND, err);
}

static void gst_destroy(struct dd_sink *base)
{
    struct gst_sink *s = (struct gst_sink *)base;
    if (s->pipeline) {
        gst_element_set_state(s->pipeline, GST_STATE_NULL);
        gst_object_unref(s->pipeline);
    }
    if (s->src) gst_object_unref(s->src);
    if (s->bus) gst_object_unref(s->bus);
    free(s->description);
    free(s);
}

static const struct dd_sink_ops gst_ops = {"gstreamer", gst_put, gst_finish, gst_destroy};

int dd_sink_gst_open(const char *description, double fps, struct dd_sink **out, struct dd_err *err)
{
    *out = NULL;
    if (dd_gst_init(err) != 0) return -1;
    /* fail early on a description that does not parse */
    GError *gerr = NULL;
    gchar *d = g_strdup_printf("appsrc ! %s", description);
    GstElement *probe = gst_parse_launch(d, &gerr);
    g_free(d);
    if (probe) gst_object_unref(probe);
    if (!probe || gerr) {
        dd_err_set(err, "sink pipeline '%s': %s", description, gerr ? gerr->message : "invalid");
        g_clear_error(&gerr);
        return -1;
    }
    struct gst_sink *s = calloc(1, sizeof(*s));
    if (!s || !(s->description = strdup(description))) {
        free(s);
        return dd_err_set(err, "out of memory");
    }
    s->base.ops = &gst_ops;
    s->fps = fps;
    *out = &s->base;
    return 0;
}

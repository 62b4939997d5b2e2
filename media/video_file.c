#include "media/video_file.h"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "media/gst_util.h"

struct dd_video_file {
    GstElement *pipeline;
    GstElement *sink;
};

static int bus_error(GstElement *pipeline, const char *path, struct dd_err *err)
{
    GstBus *bus = gst_element_get_bus(pipeline);
    if (dd_gst_bus_drain(bus, err) == 0) dd_err_set(err, "cannot decode video");
    gst_object_unref(bus);
    return dd_err_prefix(err, "%s", path);
}

int dd_video_file_open(const char *path, struct dd_video_file **out, struct dd_err *err)
{
    *out = NULL;
    if (access(path, R_OK) != 0) return dd_err_set(err, "%s: cannot read file", path);
    if (dd_gst_init(err) != 0) return -1;
    GError *gerr = NULL;
    GstElement *p =
        gst_parse_launch("filesrc name=src ! decodebin ! videoconvert ! video/x-raw,format=RGB ! "
                         "appsink name=sink sync=false max-buffers=2",
                         &gerr);
    if (!p) {
        dd_err_set(err, "GStreamer pipeline: %s", gerr ? gerr->message : "?");
        g_clear_error(&gerr);
        return -1;
    }
    g_clear_error(&gerr); /* non-fatal warnings */
    GstElement *src = gst_bin_get_by_name(GST_BIN(p), "src");
    g_object_set(src, "location", path, NULL);
    gst_object_unref(src);
    struct dd_video_file *v = calloc(1, sizeof(*v));
    if (!v) {
        gst_object_unref(p);
        return dd_err_set(err, "out of memory");
    }
    v->pipeline = p;
    v->sink = gst_bin_get_by_name(GST_BIN(p), "sink");
    if (gst_element_set_state(p, GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE ||
        gst_element_get_state(p, NULL, NULL, 10 * GST_SECOND) == GST_STATE_CHANGE_FAILURE) {
        int rc = bus_error(p, path, err);
        dd_video_file_close(v);
        return rc;
    }
    if (gst_element_set_state(p, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        int rc = bus_error(p, path, err);
        dd_video_file_close(v);
        return rc;
    }
    *out = v;
    return 0;
}

void dd_video_file_close(struct dd_video_file *v)
{
    if (!v) return;
    gst_element_set_state(v->pipeline, GST_STATE_NULL);
    if (v->sink) gst_object_unref(v->sink);
    gst_object_unref(v->pipeline);
    free(v);
}

int dd_video_file_read(struct dd_video_file *v, struct dd_image *img, struct dd_err *err)
{
    GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(v->sink), 30 * GST_SECOND);
    if (!s) {
        if (gst_app_sink_is_eos(GST_APP_SINK(v->sink))) return 0;
        return bus_error(v->pipeline, "video", err);
    }
    GstVideoInfo info;
    GstBuffer *buf = gst_sample_get_buffer(s);
    GstMapInfo map;
    int rc = -1;
    if (!gst_video_info_from_caps(&info, gst_sample_get_caps(s))) {
        dd_err_set(err, "video: unreadable caps");
    } else if (!gst_buffer_map(buf, &map, GST_MAP_READ)) {
        dd_err_set(err, "video: cannot map frame");
    } else {
        int w = GST_VIDEO_INFO_WIDTH(&info), h = GST_VIDEO_INFO_HEIGHT(&info);
        size_t stride = (size_t)GST_VIDEO_INFO_PLANE_STRIDE(&info, 0);
        if (stride < (size_t)w * 3 || map.size < stride * (size_t)(h - 1) + (size_t)w * 3) {
            dd_err_set(err, "video: frame buffer smaller than %dx%d RGB", w, h);
        } else if ((img->width == w && img->height == h) || dd_image_alloc(img, w, h, err) == 0) {
            for (int y = 0; y < h; y++)
                memcpy(img->rgb + (size_t)y * img->stride, map.data + (size_t)y * stride,
                       (size_t)w * 3);
            rc = 1;
        }
        gst_buffer_unmap(buf, &map);
    }
    gst_sample_unref(s);
    return rc;
}

/* GStreamer source: a file, URI or pipeline description ending in an appsink
 * negotiated to NV12/YUYV at the requested size.
 *
 * Zero copy: an allocation-query probe on the appsink offers upstream a pool
 * whose memory comes from pipeline/buffer.h (DMA-BUF or memfd), so the last
 * element before the appsink (decoder or converter) writes each picture into
 * shareable memory the pipeline then owns. libav decoders are told not to
 * render directly into the output buffers (they would keep them as reference
 * pictures, so the overlay could not draw on them). Buffers are taken off
 * the appsink's pad by a probe (appsink itself would keep a reference to the
 * last sample, making every buffer shared); a buffer that still arrives
 * shared or read-only is copied into a pool frame and counted.
 * Pacing (--realtime) is done by an `identity sync=true` before the sink. */
#include <gst/allocators/allocators.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "pipeline/frame_pool.h"
#include "media/gst_util.h"
#include "pipeline/source.h"

/* ---- an fd allocator whose memory is ours (DMA-BUF or memfd) ---- */

typedef struct {
    GstFdAllocator parent;
    enum dd_buf_kind kind;
} DdFdAllocator;

typedef struct {
    GstFdAllocatorClass parent_class;
} DdFdAllocatorClass;

GType dd_fd_allocator_get_type(void);
G_DEFINE_TYPE(DdFdAllocator, dd_fd_allocator, GST_TYPE_FD_ALLOCATOR)

static GstMemory *dd_fd_allocator_alloc(GstAllocator *a, gsize size, GstAllocationParams *params)
{
    gsize page = (gsize)sysconf(_SC_PAGESIZE);
    gsize total = (size + params->prefix + params->padding + page - 1) / page * page;
    enum dd_buf_kind kind;
    int fd = dd_buffer_alloc_fd(total, &kind);
    if (fd < 0) return NULL;
    GstMemory *m = gst_fd_allocator_alloc(a, fd, total, GST_FD_MEMORY_FLAG_KEEP_MAPPED);
    if (!m) {
        close(fd);
        return NULL;
    }
    ((DdFdAllocator *)a)->kind = kind;
    gst_memory_resize(m, (gssize)params->prefix, size);
    return m;
}

static void dd_fd_allocator_class_init(DdFdAllocatorClass *klass)
{
    GST_ALLOCATOR_CLASS(klass)->alloc = dd_fd_allocator_alloc;
}

static void dd_fd_allocator_init(DdFdAllocator *self)
{
    GST_ALLOCATOR(self)->mem_type = "detectd-fd";
    GST_OBJECT_FLAG_UNSET(self, GST_ALLOCATOR_FLAG_CUSTOM_ALLOC);
}

/* ---- the source ---- */

#define HANDOFF_DEPTH 2

struct handoff {
    GstBuffer *buf;
    GstCaps *caps;
};

struct gst_source {
    struct dd_source base;
    GstElement *pipeline, *sink;
    GstBus *bus;
    GMutex mu; /* the hand-off queue between the streaming thread and next() */
    GCond cv;
    struct handoff q[HANDOFF_DEPTH];
    unsigned q_head, q_n;
    int stopping;
    DdFdAllocator *allocator;
    struct dd_frame_pool *copy_pool; /* only when a buffer must be copied */
    int loop, file;
    uint64_t seq;
};

struct gst_frame {
    struct dd_frame f;
    GstBuffer *buf;
    GstVideoFrame vframe;
};

static GstPadProbeReturn allocation_probe(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
    (void)pad;
    struct gst_source *s = user;
    GstQuery *q = GST_PAD_PROBE_INFO_QUERY(info);
    if (GST_QUERY_TYPE(q) != GST_QUERY_ALLOCATION) return GST_PAD_PROBE_OK;
    GstCaps *caps = NULL;
    gboolean need_pool = FALSE;
    gst_query_parse_allocation(q, &caps, &need_pool);
    GstVideoInfo vi;
    if (!caps || !gst_video_info_from_caps(&vi, caps)) return GST_PAD_PROBE_OK;
    GstBufferPool *pool = gst_video_buffer_pool_new();
    GstStructure *config = gst_buffer_pool_get_config(pool);
    GstAllocationParams params;
    gst_allocation_params_init(&params);
    gst_buffer_pool_config_set_params(config, caps, (guint)vi.size, 3, 0);
    gst_buffer_pool_config_set_allocator(config, GST_ALLOCATOR(s->allocator), &params);
    gst_buffer_pool_config_add_option(config, GST_BUFFER_POOL_OPTION_VIDEO_META);
    if (!gst_buffer_pool_set_config(pool, config)) {
        gst_object_unref(pool);
        return GST_PAD_PROBE_OK;
    }
    gst_query_add_allocation_pool(q, pool, (guint)vi.size, 3, 0);
    gst_query_add_allocation_param(q, GST_ALLOCATOR(s->allocator), &params);
    gst_query_add_allocation_meta(q, GST_VIDEO_META_API_TYPE, NULL);
    gst_object_unref(pool);
    return GST_PAD_PROBE_HANDLED;
}

/* Streaming thread: takes the buffer (and the pushed reference: HANDLED) off
 * the appsink's pad into the hand-off queue, waiting while it is full
 * (back-pressure). */
static GstPadProbeReturn buffer_probe(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
    struct gst_source *s = user;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    g_mutex_lock(&s->mu);
    while (s->q_n == HANDOFF_DEPTH && !s->stopping) g_cond_wait(&s->cv, &s->mu);
    if (!s->stopping) {
        struct handoff *h = &s->q[(s->q_head + s->q_n) % HANDOFF_DEPTH];
        h->buf = buf;
        h->caps = gst_pad_get_current_caps(pad);
        s->q_n++;
        g_cond_broadcast(&s->cv);
    } else {
        gst_buffer_unref(buf);
    }
    g_mutex_unlock(&s->mu);
    return GST_PAD_PROBE_HANDLED;
}

/* Takes the oldest handed-off buffer, waiting up to timeout_ms. */
static int take(struct gst_source *s, int timeout_ms, struct handoff *out)
{
    gint64 until = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    g_mutex_lock(&s->mu);
    while (s->q_n == 0 && !s->stopping)
        if (!g_cond_wait_until(&s->cv, &s->mu, until)) break;
    int got = s->q_n > 0;
    if (got) {
        *out = s->q[s->q_head];
        s->q_head = (s->q_head + 1) % HANDOFF_DEPTH;
        s->q_n--;
        g_cond_broadcast(&s->cv);
    }
    g_mutex_unlock(&s->mu);
    return got;
}

static void on_element_added(GstBin *bin, GstBin *sub, GstElement *el, gpointer user)
{
    (void)bin, (void)sub, (void)user;
    GstElementFactory *f = gst_element_get_factory(el);
    const char *name = f ? gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f)) : NULL;
    if (name && strncmp(name, "avdec_", 6) == 0 &&
        g_object_class_find_property(G_OBJECT_GET_CLASS(el), "direct-rendering"))
        g_object_set(el, "direct-rendering", FALSE, NULL);
}

static void gst_frame_release(struct dd_frame *f)
{
    struct gst_frame *g = (struct gst_frame *)f;
    gst_video_frame_unmap(&g->vframe);
    gst_buffer_unref(g->buf);
    dd_frame_annotations_destroy(f);
    free(g);
}

static int wrap_buffer(struct gst_source *s, GstBuffer *buf, const GstVideoInfo *vi,
                       struct dd_frame **out)
{
    if (gst_buffer_n_memory(buf) != 1 || !gst_buffer_is_writable(buf)) return -1;
    GstMemory *mem = gst_buffer_peek_memory(buf, 0);
    if (!gst_memory_is_writable(mem)) return -1;
    struct gst_frame *g = calloc(1, sizeof(*g));
    if (!g) return -1;
    if (!gst_video_frame_map(&g->vframe, (GstVideoInfo *)vi, buf, GST_MAP_READWRITE)) {
        free(g);
        return -1;
    }
    g->buf = buf;
    struct dd_frame *f = &g->f;
    atomic_store(&f->refs, 1);
    dd_frame_annotations_init(f);
    f->format = GST_VIDEO_INFO_FORMAT(vi) == GST_VIDEO_FORMAT_NV12 ? DD_FRAME_NV12 : DD_FRAME_YUYV;
    f->width = (uint32_t)GST_VIDEO_INFO_WIDTH(vi);
    f->height = (uint32_t)GST_VIDEO_INFO_HEIGHT(vi);
    int planes = f->format == DD_FRAME_NV12 ? 2 : 1;
    for (int p = 0; p < planes; p++) {
        f->plane[p] = GST_VIDEO_FRAME_PLANE_DATA(&g->vframe, p);
        f->pitch[p] = (uint32_t)GST_VIDEO_FRAME_PLANE_STRIDE(&g->vframe, p);
        f->offset[p] = mem->offset + GST_VIDEO_FRAME_PLANE_OFFSET(&g->vframe, p);
    }
    f->fd = -1;
    f->kind = DD_BUF_NONE;
    if (gst_is_fd_memory(mem)) {
        f->fd = gst_fd_memory_get_fd(mem);
        f->size = mem->maxsize;
        f->kind = mem->allocator == GST_ALLOCATOR(s->allocator) ? s->allocator->kind
                  : gst_is_dmabuf_memory(mem)                   ? DD_BUF_V4L2_DMABUF
                                                                : DD_BUF_NONE;
    }
    f->release = gst_frame_release;
    f->owner = s;
    *out = f;
    return 0;
}

static int copy_buffer(struct gst_source *s, GstBuffer *buf, const GstVideoInfo *vi,
                       struct dd_frame **out, struct dd_err *err)
{
    uint32_t fmt =
        GST_VIDEO_INFO_FORMAT(vi) == GST_VIDEO_FORMAT_NV12 ? DD_FRAME_NV12 : DD_FRAME_YUYV;
    uint32_t w = (uint32_t)GST_VIDEO_INFO_WIDTH(vi), h = (uint32_t)GST_VIDEO_INFO_HEIGHT(vi);
    if (!s->copy_pool && dd_frame_pool_create(fmt, w, h, 4, &s->copy_pool, err) != 0) return -1;
    GstVideoFrame vf;
    if (!gst_video_frame_map(&vf, (GstVideoInfo *)vi, buf, GST_MAP_READ))
        return dd_err_set(err, "cannot map a decoded buffer");
    struct dd_frame *f = dd_frame_pool_get(s->copy_pool, 2000);
    if (!f) {
        gst_video_frame_unmap(&vf);
        return dd_err_set(err, "no free frame to copy into (frames not released)");
    }
    if (f->width != w || f->height != h || f->format != fmt) {
        gst_video_frame_unmap(&vf);
        dd_frame_unref(f);
        return dd_err_set(err, "the stream changed size mid-way (%ux%u)", w, h);
    }
    dd_buffer_cpu_begin(f->fd, f->kind, 1);
    if (fmt == DD_FRAME_NV12) {
        dd_copy_plane(f->plane[0], f->pitch[0], GST_VIDEO_FRAME_PLANE_DATA(&vf, 0),
                      (size_t)GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 0), w, h);
        dd_copy_plane(f->plane[1], f->pitch[1], GST_VIDEO_FRAME_PLANE_DATA(&vf, 1),
                      (size_t)GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 1), w, (h + 1) / 2);
    } else {
        dd_copy_plane(f->plane[0], f->pitch[0], GST_VIDEO_FRAME_PLANE_DATA(&vf, 0),
                      (size_t)GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 0), w * 2, h);
    }
    dd_buffer_cpu_end(f->fd, f->kind, 1);
    gst_video_frame_unmap(&vf);
    s->base.stats.copies++;
    *out = f;
    return 0;
}

static enum dd_source_result gst_next(struct dd_source *base, struct dd_frame **out, int timeout_ms,
                                      struct dd_err *err)
{
    struct gst_source *s = (struct gst_source *)base;
    struct handoff h;
    if (!take(s, timeout_ms, &h)) {
        if (dd_gst_bus_drain(s->bus, err) != 0) return DD_SOURCE_ERROR;
        if (!gst_app_sink_is_eos(GST_APP_SINK(s->sink))) return DD_SOURCE_TIMEOUT;
        if (!s->loop) return DD_SOURCE_END;
        if (!gst_element_seek_simple(s->pipeline, GST_FORMAT_TIME,
                                     GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT, 0)) {
            dd_err_set(err, "cannot seek back to the start to loop");
            return DD_SOURCE_ERROR;
        }
        return DD_SOURCE_TIMEOUT;
    }
    GstVideoInfo vi;
    GstBuffer *buf = h.buf; /* ours alone, unless upstream still holds it */
    int ok = h.caps && gst_video_info_from_caps(&vi, h.caps);
    if (h.caps) gst_caps_unref(h.caps);
    if (!ok) {
        gst_buffer_unref(buf);
        dd_err_set(err, "buffer without video caps");
        return DD_SOURCE_ERROR;
    }
    struct dd_frame *f = NULL;
    if (wrap_buffer(s, buf, &vi, &f) != 0) {
        int r = copy_buffer(s, buf, &vi, &f, err);
        gst_buffer_unref(buf);
        if (r != 0) return DD_SOURCE_ERROR;
    }
    f->seq = s->seq++;
    f->t_capture_ns = dd_now_ns();
    *out = f;
    return DD_SOURCE_FRAME;
}

static void gst_destroy(struct dd_source *base)
{
    struct gst_source *s = (struct gst_source *)base;
    g_mutex_lock(&s->mu);
    s->stopping = 1; /* releases a streaming thread waiting in the probe */
    g_cond_broadcast(&s->cv);
    g_mutex_unlock(&s->mu);
    if (s->pipeline) {
        gst_element_set_state(s->pipeline, GST_STATE_NULL);
        gst_object_unref(s->pipeline);
    }
    for (unsigned i = 0; i < s->q_n; i++) {
        struct handoff *h = &s->q[(s->q_head + i) % HANDOFF_DEPTH];
        gst_buffer_unref(h->buf);
        if (h->caps) gst_caps_unref(h->caps);
    }
    g_cond_clear(&s->cv);
    g_mutex_clear(&s->mu);
    if (s->sink) gst_object_unref(s->sink);
    if (s->bus) gst_object_unref(s->bus);
    if (s->allocator) gst_object_unref(s->allocator);
    dd_frame_pool_destroy(s->copy_pool);
    free(s);
}

static const struct dd_source_ops gst_ops = {"gstreamer", gst_next, gst_destroy};

static char *describe(const struct dd_source_config *cfg, int *file)
{
    const char *spec = cfg->spec;
    char caps[160];
    snprintf(caps, sizeof(caps), "video/x-raw,format=%s",
             cfg->format == DD_FRAME_NV12 ? "NV12" : "YUY2");
    if (cfg->width)
        snprintf(caps + strlen(caps), sizeof(caps) - strlen(caps),
                 ",width=%u,height=%u,pixel-aspect-ratio=1/1", cfg->width, cfg->height);
    gchar *tail = g_strdup_printf("videoconvert ! videoscale ! %s ! %sappsink name=dd_sink", caps,
                                  cfg->realtime ? "identity sync=true ! " : "");
    gchar *d;
    *file = 0;
    if (strncmp(spec, "gst:", 4) == 0) {
        if (strstr(spec, "name=dd_sink"))
            d = g_strdup(spec + 4);
        else
            d = g_strdup_printf("%s ! %s", spec + 4, tail);
    } else if (strstr(spec, "://")) {
        gchar *q = g_strescape(spec, NULL);
        d = g_strdup_printf("uridecodebin uri=\"%s\" ! %s", q, tail);
        g_free(q);
        *file = strncmp(spec, "file://", 7) == 0;
    } else {
        gchar *q = g_strescape(spec, NULL);
        d = g_strdup_printf("filesrc location=\"%s\" ! decodebin ! %s", q, tail);
        g_free(q);
        *file = 1;
    }
    g_free(tail);
    char *r = strdup(d);
    g_free(d);
    return r;
}

int dd_source_gst_open(const struct dd_source_config *cfg, struct dd_source **out,
                       struct dd_err *err)
{
    *out = NULL;
    if (dd_gst_init(err) != 0) return -1;
    if (strncmp(cfg->spec, "gst:", 4) != 0 && !strstr(cfg->spec, "://") &&
        access(cfg->spec, R_OK) != 0)
        return dd_err_set(err, "%s: cannot read the video file", cfg->spec);
    struct gst_source *s = calloc(1, sizeof(*s));
    if (!s) return dd_err_set(err, "out of memory");
    s->base.ops = &gst_ops;
    s->loop = cfg->loop;
    g_mutex_init(&s->mu);
    g_cond_init(&s->cv);
    char *desc = describe(cfg, &s->file);
    GError *gerr = NULL;
    s->pipeline = desc ? gst_parse_launch(desc, &gerr) : NULL;
    if (!s->pipeline || gerr) {
        dd_err_set(err, "GStreamer pipeline '%s': %s", desc ? desc : "?",
                   gerr ? gerr->message : "cannot be built");
        g_clear_error(&gerr);
        free(desc);
        gst_destroy(&s->base);
        return -1;
    }
    s->sink = gst_bin_get_by_name(GST_BIN(s->pipeline), "dd_sink");
    if (!s->sink || !GST_IS_APP_SINK(s->sink)) {
        dd_err_set(err, "GStreamer pipeline '%s': no appsink named dd_sink", desc);
        free(desc);
        gst_destroy(&s->base);
        return -1;
    }
    free(desc);
    s->allocator = g_object_new(dd_fd_allocator_get_type(), NULL);
    gst_object_ref_sink(s->allocator);
    /* buffers never reach the appsink (the probe takes them): no preroll to wait for */
    g_object_set(s->sink, "sync", FALSE, "async", FALSE, "enable-last-sample", FALSE, NULL);
    GstPad *pad = gst_element_get_static_pad(s->sink, "sink");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, allocation_probe, s, NULL);
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, buffer_probe, s, NULL);
    gst_object_unref(pad);
    if (GST_IS_BIN(s->pipeline))
        g_signal_connect(s->pipeline, "deep-element-added", G_CALLBACK(on_element_added), NULL);
    s->bus = gst_element_get_bus(s->pipeline);
    if (gst_element_set_state(s->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        if (dd_gst_bus_drain(s->bus, err) == 0) dd_err_set(err, "the pipeline refused to start");
        dd_err_prefix(err, "%s", cfg->spec);
        gst_destroy(&s->base);
        return -1;
    }
    GstStateChangeReturn r = gst_element_get_state(s->pipeline, NULL, NULL, 10 * GST_SECOND);
    s->base.live = r == GST_STATE_CHANGE_NO_PREROLL;
    /* wait for the first buffer so a broken file or URI fails here, with its message */
    int bad = r == GST_STATE_CHANGE_FAILURE;
    for (int waited = 0; !bad && waited < 10000; waited += 20) {
        if ((bad = dd_gst_bus_drain(s->bus, err) != 0)) break;
        g_mutex_lock(&s->mu);
        int have = s->q_n > 0;
        g_mutex_unlock(&s->mu);
        if (have) break;
        if (gst_app_sink_is_eos(GST_APP_SINK(s->sink))) {
            bad = dd_err_set(err, "no video frames in the stream");
            break;
        }
        g_usleep(20000);
    }
    if (bad) {
        if (!err || !err->msg[0]) dd_err_set(err, "the pipeline failed to start");
        dd_err_prefix(err, "%s", cfg->spec);
        gst_destroy(&s->base);
        return -1;
    }
    *out = &s->base;
    return 0;
}

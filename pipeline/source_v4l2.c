/* V4L2 camera source through libv4l2.
 *
 * The device's own NV12 or YUYV buffers are used in place: MMAP buffers,
 * exported as DMA-BUFs with VIDIOC_EXPBUF, handed to the pipeline as frames
 * and queued back to the driver when the last reference drops (zero copy).
 * A camera that only offers MJPEG is decoded with libjpeg-turbo into NV12
 * pool frames. On device loss (unplug, I/O error, no frame for a while) the
 * source reports DD_SOURCE_LOST once and reopens the device with backoff;
 * buffers still held by the pipeline keep the old open alive until they are
 * returned, so nothing is unmapped under a reader. */
#include <errno.h>
#include <fcntl.h>
#include <libv4l2.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <turbojpeg.h>
#include <unistd.h>

#include "common/clock.h"
#include "pipeline/frame_pool.h"
#include "pipeline/source.h"

#define V4L2_MAX_BUFS 16
#define V4L2_STALL_MS 5000
#define V4L2_BACKOFF_MIN_MS 250
#define V4L2_BACKOFF_MAX_MS 8000

struct v4l2_open;

struct v4l2_buf {
    struct dd_frame frame;
    struct v4l2_open *dev;
    uint32_t index;
    void *map;
    size_t len;
    int dmabuf;
};

/* One open of the device; outlives the source while frames are out. */
struct v4l2_open {
    atomic_int refs;
    int fd;
    _Atomic int dead; /* stop requeueing buffers */
    uint32_t fourcc, width, height, pitch, n_bufs;
    struct v4l2_buf bufs[V4L2_MAX_BUFS];
};

struct v4l2_source {
    struct dd_source base;
    char path[256];
    uint32_t want_format, width, height, n_bufs;
    struct v4l2_open *dev; /* NULL while lost */
    int64_t retry_at_ns, backoff_ms, last_frame_ns;
    uint64_t seq, last_dev_seq;
    int have_seq;
    struct dd_frame_pool *jpeg_pool; /* MJPEG cameras */
    tjhandle tj;
    uint8_t *chroma; /* MJPEG: decoded U and V planes */
    size_t chroma_size;
};

static int xioctl(int fd, unsigned long req, void *arg)
{
    int r;
    do r = v4l2_ioctl(fd, req, arg);
    while (r < 0 && errno == EINTR);
    return r;
}

static void open_unref(struct v4l2_open *d)
{
    if (atomic_fetch_sub(&d->refs, 1) != 1) return;
    for (uint32_t i = 0; i < d->n_bufs; i++) {
        if (d->bufs[i].dmabuf >= 0) close(d->bufs[i].dmabuf);
        if (d->bufs[i].map) v4l2_munmap(d->bufs[i].map, d->bufs[i].len);
        dd_frame_annotations_destroy(&d->bufs[i].frame);
    }
    if (d->fd >= 0) v4l2_close(d->fd);
    free(d);
}

static void buf_release(struct dd_frame *f)
{
    struct v4l2_buf *b = f->priv;
    struct v4l2_open *d = b->dev;
    if (!atomic_load(&d->dead)) {
        struct v4l2_buffer vb = {
            .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP, .index = b->index};
        if (xioctl(d->fd, VIDIOC_QBUF, &vb) < 0) atomic_store(&d->dead, 1);
    }
    open_unref(d);
}

static const char *fourcc_str(uint32_t f, char s[5])
{
    for (int i = 0; i < 4; i++) s[i] = (char)((f >> (8 * i)) & 0xff);
    s[4] = 0;
    return s;
}

/* Picks a native format: the wanted one, the other raw one, then MJPEG. */
static int pick_format(int fd, uint32_t want, uint32_t *fourcc, struct dd_err *err)
{
    uint32_t pref[3] = {want == DD_FRAME_YUYV ? V4L2_PIX_FMT_YUYV : V4L2_PIX_FMT_NV12,
                        want == DD_FRAME_YUYV ? V4L2_PIX_FMT_NV12 : V4L2_PIX_FMT_YUYV,
                        V4L2_PIX_FMT_MJPEG};
    int have[3] = {0, 0, 0};
    char list[256] = "";
    for (uint32_t i = 0; i < 64; i++) {
        struct v4l2_fmtdesc d = {.index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
        if (xioctl(fd, VIDIOC_ENUM_FMT, &d) < 0) break;
        if (d.flags & V4L2_FMT_FLAG_EMULATED) continue; /* libv4l2 conversions copy */
        char s[5];
        if (strlen(list) + 6 < sizeof(list)) {
            strcat(list, list[0] ? " " : "");
            strcat(list, fourcc_str(d.pixelformat, s));
        }
        for (int k = 0; k < 3; k++) have[k] |= d.pixelformat == pref[k];
    }
    for (int k = 0; k < 3; k++)
        if (have[k]) {
            *fourcc = pref[k];
            return 0;
        }
    return dd_err_set(err, "no NV12, YUYV or MJPEG capture format (device offers: %s)",
                      list[0] ? list : "none");
}

static int open_device(struct v4l2_source *s, struct v4l2_open **out, struct dd_err *err)
{
    *out = NULL;
    int fd = v4l2_open(s->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return dd_err_set(err, "%s: %s", s->path, strerror(errno));
    struct v4l2_open *d = calloc(1, sizeof(*d));
    if (!d) {
        v4l2_close(fd);
        return dd_err_set(err, "out of memory");
    }
    atomic_store(&d->refs, 1);
    d->fd = fd;
    for (int i = 0; i < V4L2_MAX_BUFS; i++) d->bufs[i].dmabuf = -1;
    struct v4l2_capability cap = {0};
    if (xioctl(fd, VIDIOC_QUERYCAP, &cap) < 0) {
        dd_err_set(err, "%s: not a V4L2 device (%s)", s->path, strerror(errno));
        goto fail;
    }
    uint32_t caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
    if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) {
        dd_err_set(err, "%s (%s): no single-planar streaming capture", s->path, (char *)cap.card);
        goto fail;
    }
    if (pick_format(fd, s->want_format, &d->fourcc, err) != 0) goto fail;
    struct v4l2_format fmt = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
    fmt.fmt.pix.width = s->width;
    fmt.fmt.pix.height = s->height;
    fmt.fmt.pix.pixelformat = d->fourcc;
    fmt.fmt.pix.field = V4L2_FIELD_NONE;
    if (xioctl(fd, VIDIOC_S_FMT, &fmt) < 0) {
        dd_err_set(err, "%s: VIDIOC_S_FMT: %s", s->path, strerror(errno));
        goto fail;
    }
    char got[5], want[5];
    if (fmt.fmt.pix.pixelformat != d->fourcc || fmt.fmt.pix.width != s->width ||
        fmt.fmt.pix.height != s->height) {
        dd_err_set(err, "%s: asked for %ux%u %s, the driver offers %ux%u %s", s->path, s->width,
                   s->height, fourcc_str(d->fourcc, want), fmt.fmt.pix.width, fmt.fmt.pix.height,
                   fourcc_str(fmt.fmt.pix.pixelformat, got));
        goto fail;
    }
    d->width = fmt.fmt.pix.width;
    d->height = fmt.fmt.pix.height;
    d->pitch = fmt.fmt.pix.bytesperline;
    struct v4l2_requestbuffers rb = {
        .count = s->n_bufs, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
    if (xioctl(fd, VIDIOC_REQBUFS, &rb) < 0 || rb.count < 2) {
        dd_err_set(err, "%s: VIDIOC_REQBUFS: %s", s->path,
                   rb.count < 2 ? "too few buffers" : strerror(errno));
        goto fail;
    }
    d->n_bufs = rb.count > V4L2_MAX_BUFS ? V4L2_MAX_BUFS : rb.count;
    for (uint32_t i = 0; i < d->n_bufs; i++) {
        struct v4l2_buf *b = &d->bufs[i];
        struct v4l2_buffer vb = {
            .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP, .index = i};
        if (xioctl(fd, VIDIOC_QUERYBUF, &vb) < 0) {
            dd_err_set(err, "%s: VIDIOC_QUERYBUF: %s", s->path, strerror(errno));
            goto fail;
        }
        b->map = v4l2_mmap(NULL, vb.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, vb.m.offset);
        if (b->map == MAP_FAILED) {
            b->map = NULL;
            dd_err_set(err, "%s: mmap: %s", s->path, strerror(errno));
            goto fail;
        }
        b->len = vb.length;
        b->index = i;
        b->dev = d;
        struct v4l2_exportbuffer eb = {
            .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .index = i, .flags = O_RDWR | O_CLOEXEC};
        if (xioctl(fd, VIDIOC_EXPBUF, &eb) == 0) b->dmabuf = eb.fd;
        struct dd_frame *f = &b->frame;
        dd_frame_annotations_init(f);
        if (d->fourcc != V4L2_PIX_FMT_MJPEG) {
            uint32_t ff = d->fourcc == V4L2_PIX_FMT_NV12 ? DD_FRAME_NV12 : DD_FRAME_YUYV;
            size_t need = dd_frame_layout(f, ff, d->width, d->height, d->pitch);
            if (need > b->len) {
                dd_err_set(err, "%s: buffer of %zu bytes, the format needs %zu", s->path, b->len,
                           need);
                goto fail;
            }
            f->plane[0] = (uint8_t *)b->map;
            f->plane[1] = ff == DD_FRAME_NV12 ? (uint8_t *)b->map + f->offset[1] : NULL;
        }
        f->size = b->len;
        f->fd = b->dmabuf;
        f->kind = b->dmabuf >= 0 ? DD_BUF_V4L2_DMABUF : DD_BUF_NONE;
        f->release = buf_release;
        f->owner = d;
        f->priv = b;
        if (xioctl(fd, VIDIOC_QBUF, &vb) < 0) {
            dd_err_set(err, "%s: VIDIOC_QBUF: %s", s->path, strerror(errno));
            goto fail;
        }
    }
    enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(fd, VIDIOC_STREAMON, &type) < 0) {
        dd_err_set(err, "%s: VIDIOC_STREAMON: %s", s->path, strerror(errno));
        goto fail;
    }
    *out = d;
    return 0;
fail:
    atomic_store(&d->dead, 1);
    open_unref(d);
    return -1;
}

static void lose_device(struct v4l2_source *s)
{
    struct v4l2_open *d = s->dev;
    if (!d) return;
    atomic_store(&d->dead, 1);
    enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    xioctl(d->fd, VIDIOC_STREAMOFF, &type);
    s->dev = NULL;
    open_unref(d);
    s->have_seq = 0;
    s->backoff_ms = V4L2_BACKOFF_MIN_MS;
    s->retry_at_ns = dd_now_ns() + s->backoff_ms * 1000000LL;
}

/* MJPEG: decode the JPEG into an NV12 pool frame. */
static int decode_mjpeg(struct v4l2_source *s, const uint8_t *jpg, size_t len,
                        struct dd_frame **out, struct dd_err *err)
{
    int w, h, sub, cs;
    if (!s->tj && !(s->tj = tjInitDecompress())) return dd_err_set(err, "turbojpeg init failed");
    if (tjDecompressHeader3(s->tj, jpg, (unsigned long)len, &w, &h, &sub, &cs) != 0)
        return dd_err_set(err, "bad MJPEG frame: %s", tjGetErrorStr2(s->tj));
    if ((uint32_t)w != s->width || (uint32_t)h != s->height ||
        (sub != TJSAMP_420 && sub != TJSAMP_422))
        return dd_err_set(err, "MJPEG frame %dx%d subsampling %d (want %ux%u 4:2:0/4:2:2)", w, h,
                          sub, s->width, s->height);
    if (!s->jpeg_pool &&
        dd_frame_pool_create(DD_FRAME_NV12, s->width, s->height, 4, &s->jpeg_pool, err) != 0)
        return -1;
    size_t cw = ((size_t)w + 1) / 2, ch = sub == TJSAMP_420 ? ((size_t)h + 1) / 2 : (size_t)h;
    if (s->chroma_size < 2 * cw * ch) {
        free(s->chroma);
        s->chroma_size = 0;
        if (!(s->chroma = malloc(2 * cw * ch))) return dd_err_set(err, "out of memory");
        s->chroma_size = 2 * cw * ch;
    }
    struct dd_frame *f = dd_frame_pool_get(s->jpeg_pool, 1000);
    if (!f) return dd_err_set(err, "no free frame to decode MJPEG into");
    dd_buffer_cpu_begin(f->fd, f->kind, 1);
    unsigned char *planes[3] = {f->plane[0], s->chroma, s->chroma + cw * ch};
    int strides[3] = {(int)f->pitch[0], (int)cw, (int)cw};
    int r = tjDecompressToYUVPlanes(s->tj, jpg, (unsigned long)len, planes, w, strides, h, 0);
    if (r == 0) {
        size_t step = sub == TJSAMP_420 ? 1 : 2; /* 4:2:2: every other chroma row */
        for (size_t y = 0; y < ((size_t)h + 1) / 2; y++) {
            uint8_t *dst = f->plane[1] + y * f->pitch[1];
            const uint8_t *u = planes[1] + y * step * cw, *v = planes[2] + y * step * cw;
            for (size_t x = 0; x < cw; x++) {
                dst[2 * x] = u[x];
                dst[2 * x + 1] = v[x];
            }
        }
    }
    dd_buffer_cpu_end(f->fd, f->kind, 1);
    if (r != 0) {
        dd_frame_unref(f);
        return dd_err_set(err, "MJPEG decode: %s", tjGetErrorStr2(s->tj));
    }
    *out = f;
    return 0;
}

static enum dd_source_result v4l2_next(struct dd_source *base, struct dd_frame **out,
                                       int timeout_ms, struct dd_err *err)
{
    struct v4l2_source *s = (struct v4l2_source *)base;
    int64_t now = dd_now_ns();
    if (!s->dev) {
        if (now < s->retry_at_ns) {
            int64_t wait_ms = (s->retry_at_ns - now) / 1000000LL;
            usleep((useconds_t)(wait_ms < timeout_ms ? wait_ms : timeout_ms) * 1000u);
            return DD_SOURCE_TIMEOUT;
        }
        struct dd_err e = {{0}};
        if (open_device(s, &s->dev, &e) != 0) {
            s->backoff_ms =
                s->backoff_ms * 2 > V4L2_BACKOFF_MAX_MS ? V4L2_BACKOFF_MAX_MS : s->backoff_ms * 2;
            s->retry_at_ns = dd_now_ns() + s->backoff_ms * 1000000LL;
            return DD_SOURCE_TIMEOUT;
        }
        s->base.stats.reopens++;
        s->last_frame_ns = dd_now_ns();
    }
    struct v4l2_open *d = s->dev;
    struct pollfd p = {.fd = d->fd, .events = POLLIN};
    int pr = poll(&p, 1, timeout_ms);
    if (pr < 0 && errno != EINTR) {
        dd_err_set(err, "%s: poll: %s", s->path, strerror(errno));
        lose_device(s);
        return DD_SOURCE_LOST;
    }
    if (pr <= 0) {
        if (dd_now_ns() - s->last_frame_ns > V4L2_STALL_MS * 1000000LL) {
            dd_err_set(err, "%s: no frame for %d ms", s->path, V4L2_STALL_MS);
            lose_device(s);
            return DD_SOURCE_LOST;
        }
        return DD_SOURCE_TIMEOUT;
    }
    if (p.revents & (POLLERR | POLLHUP | POLLNVAL) && !(p.revents & POLLIN)) {
        dd_err_set(err, "%s: device error (poll events 0x%x)", s->path, (unsigned)p.revents);
        lose_device(s);
        return DD_SOURCE_LOST;
    }
    struct v4l2_buffer vb = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
    if (xioctl(d->fd, VIDIOC_DQBUF, &vb) < 0) {
        if (errno == EAGAIN) return DD_SOURCE_TIMEOUT;
        dd_err_set(err, "%s: VIDIOC_DQBUF: %s", s->path, strerror(errno));
        lose_device(s);
        return DD_SOURCE_LOST;
    }
    s->last_frame_ns = dd_now_ns();
    if (s->have_seq && vb.sequence > s->last_dev_seq + 1)
        s->base.stats.lost += vb.sequence - s->last_dev_seq - 1;
    s->last_dev_seq = vb.sequence;
    s->have_seq = 1;
    struct v4l2_buf *b = &d->bufs[vb.index < d->n_bufs ? vb.index : 0];
    struct dd_frame *f = NULL;
    if (d->fourcc == V4L2_PIX_FMT_MJPEG) {
        int r = decode_mjpeg(s, b->map, vb.bytesused, &f, err);
        xioctl(d->fd, VIDIOC_QBUF, &vb);      /* the JPEG bytes are no longer needed */
        if (r != 0) return DD_SOURCE_TIMEOUT; /* a corrupt frame: skip it */
    } else {
        if (vb.flags & V4L2_BUF_FLAG_ERROR) {
            xioctl(d->fd, VIDIOC_QBUF, &vb);
            return DD_SOURCE_TIMEOUT;
        }
        f = &b->frame;
        atomic_fetch_add(&d->refs, 1); /* held by the frame until it is requeued */
        atomic_store(&f->refs, 1);
        dd_frame_reset_annotations(f);
    }
    f->seq = s->seq++;
    f->t_capture_ns = s->last_frame_ns;
    *out = f;
    return DD_SOURCE_FRAME;
}

static void v4l2_destroy(struct dd_source *base)
{
    struct v4l2_source *s = (struct v4l2_source *)base;
    lose_device(s);
    dd_frame_pool_destroy(s->jpeg_pool);
    if (s->tj) tjDestroy(s->tj);
    free(s->chroma);
    free(s);
}

static const struct dd_source_ops v4l2_ops = {"v4l2", v4l2_next, v4l2_destroy};

int dd_source_v4l2_open(const struct dd_source_config *cfg, struct dd_source **out,
                        struct dd_err *err)
{
    *out = NULL;
    struct v4l2_source *s = calloc(1, sizeof(*s));
    if (!s) return dd_err_set(err, "out of memory");
    s->base.ops = &v4l2_ops;
    s->base.live = 1;
    const char *path = strncmp(cfg->spec, "v4l2:", 5) == 0 ? cfg->spec + 5 : cfg->spec;
    if (strlen(path) >= sizeof(s->path)) {
        free(s);
        return dd_err_set(err, "device path too long");
    }
    strcpy(s->path, path);
    s->want_format = cfg->format;
    s->width = cfg->width ? cfg->width : 1920;
    s->height = cfg->height ? cfg->height : 1080;
    s->n_bufs = cfg->buffers ? cfg->buffers : 6;
    if (s->n_bufs < 2 || s->n_bufs > V4L2_MAX_BUFS) {
        free(s);
        return dd_err_set(err, "V4L2 buffers: %u (2..%d)", cfg->buffers, V4L2_MAX_BUFS);
    }
    if (open_device(s, &s->dev, err) != 0) {
        free(s);
        return -1;
    }
    s->last_frame_ns = dd_now_ns();
    *out = &s->base;
    return 0;
}

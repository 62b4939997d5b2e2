/* DRM/KMS display sink through libdrm.
 *
 * Picks a connected connector (by name, e.g. HDMI-A-1 or Virtual-1, or the
 * first connected), a mode (WxH or the preferred one), a CRTC and its primary
 * plane. Each frame's DMA-BUF is imported as a framebuffer (PRIME) and
 * flipped onto the plane on vblank: zero copy. When the frame has no
 * DMA-BUF, the import fails, or the plane cannot scan out the frame's format,
 * the frame is copied (converted to XRGB8888 if need be) into one of two dumb
 * buffers instead, and counted. Atomic modesetting where the driver offers
 * it, the legacy SetCrtc/PageFlip API otherwise. The frame on screen stays
 * referenced until the next flip has completed. */
#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "isa/isa_input.h"
#include "pipeline/sink.h"

#define FB_CACHE 32

struct fb_entry {
    ino_t ino;
    uint32_t fb, width, height, format;
    uint64_t used;
};

struct dumb {
    uint32_t handle, fb, pitch;
    uint8_t *map;
    size_t size;
};

struct drm_sink {
    struct dd_sink base;
    int fd, atomic, modeset_done, flip_pending;
    char conn_name[32];
    uint32_t conn_id, crtc_id, plane_id, mode_blob;
    drmModeModeInfo mode;
    int nv12_ok, yuyv_ok, xrgb_ok;
    struct {
        uint32_t conn_crtc, crtc_mode, crtc_active, fb, crtc, src_x, src_y, src_w, src_h, crtc_x,
            crtc_y, crtc_w, crtc_h;
    } prop;
    struct fb_entry cache[FB_CACHE];
    uint64_t tick;
    struct dumb dumb[2];
    uint32_t dumb_format;
    int next_dumb;
    struct dd_frame *shown, *pending; /* frames being scanned out / flipped to */
};

static uint32_t prop_id(int fd, uint32_t obj, uint32_t type, const char *name)
{
    drmModeObjectProperties *ps = drmModeObjectGetProperties(fd, obj, type);
    uint32_t id = 0;
    for (uint32_t i = 0; ps && i < ps->count_props && !id; i++) {
        drmModePropertyRes *p = drmModeGetProperty(fd, ps->props[i]);
        if (p && strcmp(p->name, name) == 0) id = p->prop_id;
        drmModeFreeProperty(p);
    }
    drmModeFreeObjectProperties(ps);
    return id;
}

static int plane_is_primary(int fd, uint32_t plane)
{
    drmModeObjectProperties *ps = drmModeObjectGetProperties(fd, plane, DRM_MODE_OBJECT_PLANE);
    int primary = 0;
    for (uint32_t i = 0; ps && i < ps->count_props; i++) {
        drmModePropertyRes *p = drmModeGetProperty(fd, ps->props[i]);
        if (p && strcmp(p->name, "type") == 0)
            primary = ps->prop_values[i] == DRM_PLANE_TYPE_PRIMARY;
        drmModeFreeProperty(p);
    }
    drmModeFreeObjectProperties(ps);
    return primary;
}

/* Finds connector, mode, CRTC and primary plane on an open card. */
static int choose_output(struct drm_sink *s, const char *want_conn, uint32_t want_w,
                         uint32_t want_h, struct dd_err *err)
{
    drmModeRes *res = drmModeGetResources(s->fd);
    if (!res) return dd_err_set(err, "not a KMS device (%s)", strerror(errno));
    int found = 0;
    char seen[256] = "";
    for (int i = 0; i < res->count_connectors && !found; i++) {
        drmModeConnector *c = drmModeGetConnector(s->fd, res->connectors[i]);
        if (!c) continue;
        char name[32];
        const char *tn = drmModeGetConnectorTypeName(c->connector_type);
        snprintf(name, sizeof(name), "%s-%u", tn ? tn : "Unknown", c->connector_type_id);
        if (strlen(seen) + strlen(name) + 16 < sizeof(seen))
            sprintf(seen + strlen(seen), "%s%s(%s)", seen[0] ? " " : "", name,
                    c->connection == DRM_MODE_CONNECTED ? "connected" : "disconnected");
        int match = want_conn && *want_conn ? strcmp(name, want_conn) == 0
                                            : c->connection == DRM_MODE_CONNECTED;
        if (!match || c->connection != DRM_MODE_CONNECTED || c->count_modes == 0) {
            drmModeFreeConnector(c);
            continue;
        }
        int mi = -1;
        for (int m = 0; m < c->count_modes; m++) {
            int ok = want_w ? c->modes[m].hdisplay == want_w && c->modes[m].vdisplay == want_h
                            : (c->modes[m].type & DRM_MODE_TYPE_PREFERRED) != 0;
            if (ok) {
                mi = m;
                break;
            }
        }
        if (mi < 0 && !want_w) mi = 0;
        if (mi < 0) {
            drmModeFreeConnector(c);
            drmModeFreeResources(res);
            return dd_err_set(err, "connector %s has no %ux%u mode", name, want_w, want_h);
        }
        s->mode = c->modes[mi];
        s->conn_id = c->connector_id;
        snprintf(s->conn_name, sizeof(s->conn_name), "%s", name);
        /* a CRTC one of its encoders can drive */
        int crtc_index = -1;
        for (int e = 0; e < c->count_encoders && crtc_index < 0; e++) {
            drmModeEncoder *enc = drmModeGetEncoder(s->fd, c->encoders[e]);
            for (int k = 0; enc && k < res->count_crtcs; k++)
                if (enc->possible_crtcs & (1u << k)) {
                    crtc_index = k;
                    break;
                }
            drmModeFreeEncoder(enc);
        }
        drmModeFreeConnector(c);
        if (crtc_index < 0) {
            drmModeFreeResources(res);
            return dd_err_set(err, "connector %s: no usable CRTC", name);
        }
        s->crtc_id = res->crtcs[crtc_index];
        drmModePlaneRes *pr = drmModeGetPlaneResources(s->fd);
        for (uint32_t p = 0; pr && p < pr->count_planes && !s->plane_id; p++) {
            drmModePlane *pl = drmModeGetPlane(s->fd, pr->planes[p]);
            if (pl && (pl->possible_crtcs & (1u << crtc_index)) &&
                plane_is_primary(s->fd, pl->plane_id)) {
                s->plane_id = pl->plane_id;
                for (uint32_t f = 0; f < pl->count_formats; f++) {
                    s->nv12_ok |= pl->formats[f] == DRM_FORMAT_NV12;
                    s->yuyv_ok |= pl->formats[f] == DRM_FORMAT_YUYV;
                    s->xrgb_ok |= pl->formats[f] == DRM_FORMAT_XRGB8888;
                }
            }
            drmModeFreePlane(pl);
        }
        drmModeFreePlaneResources(pr);
        found = 1;
    }
    drmModeFreeResources(res);
    if (!found)
        return dd_err_set(err, "no connected display%s%s (connectors: %s)",
                          want_conn && *want_conn ? " named " : "", want_conn ? want_conn : "",
                          seen[0] ? seen : "none");
    if (!s->plane_id) return dd_err_set(err, "%s: no primary plane", s->conn_name);
    if (!s->nv12_ok && !s->xrgb_ok)
        return dd_err_set(err, "%s: the primary plane takes neither NV12 nor XRGB8888",
                          s->conn_name);
    return 0;
}

static int open_card(struct drm_sink *s, const char *device, const char *conn, uint32_t w,
                     uint32_t h, struct dd_err *err)
{
    char path[64];
    int tried = 0;
    for (int i = 0; i < 16; i++) {
        if (device && i > 0) break;
        if (!device) snprintf(path, sizeof(path), "/dev/dri/card%d", i);
        const char *p = device ? device : path;
        int fd = open(p, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            if (device) return dd_err_set(err, "%s: %s", p, strerror(errno));
            continue;
        }
        tried++;
        s->fd = fd;
        drmSetClientCap(fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
        const char *legacy = getenv("DETECTD_DRM_LEGACY");
        s->atomic =
            !(legacy && *legacy == '1') && drmSetClientCap(fd, DRM_CLIENT_CAP_ATOMIC, 1) == 0;
        struct dd_err e = {{0}};
        if (choose_output(s, conn, w, h, &e) == 0) return 0;
        close(fd);
        s->fd = -1;
        memset(&s->prop, 0, sizeof(s->prop));
        s->plane_id = 0;
        s->nv12_ok = s->yuyv_ok = s->xrgb_ok = 0;
        if (device) return dd_err_set(err, "%s: %s", p, e.msg);
        dd_err_set(err, "%s: %.400s", p, e.msg);
    }
    if (!tried)
        return dd_err_set(err, "no DRM device (/dev/dri/card*): this machine has no display");
    return -1;
}

static int find_props(struct drm_sink *s, struct dd_err *err)
{
    int fd = s->fd;
    s->prop.conn_crtc = prop_id(fd, s->conn_id, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID");
    s->prop.crtc_mode = prop_id(fd, s->crtc_id, DRM_MODE_OBJECT_CRTC, "MODE_ID");
    s->prop.crtc_active = prop_id(fd, s->crtc_id, DRM_MODE_OBJECT_CRTC, "ACTIVE");
    const char *names[] = {"FB_ID", "CRTC_ID", "SRC_X",  "SRC_Y",  "SRC_W",
                           "SRC_H", "CRTC_X",  "CRTC_Y", "CRTC_W", "CRTC_H"};
    uint32_t *dst[] = {&s->prop.fb,     &s->prop.crtc,  &s->prop.src_x,  &s->prop.src_y,
                       &s->prop.src_w,  &s->prop.src_h, &s->prop.crtc_x, &s->prop.crtc_y,
                       &s->prop.crtc_w, &s->prop.crtc_h};
    for (int i = 0; i < 10; i++)
        if (!(*dst[i] = prop_id(fd, s->plane_id, DRM_MODE_OBJECT_PLANE, names[i])))
            return dd_err_set(err, "plane %u lacks property %s", s->plane_id, names[i]);
    if (!s->prop.conn_crtc || !s->prop.crtc_mode || !s->prop.crtc_active)
        return dd_err_set(err, "connector/CRTC lack atomic properties");
    return 0;
}

/* ---- framebuffers ---- */

static uint32_t import_fb(struct drm_sink *s, const struct dd_frame *f)
{
    if (f->fd < 0 || !dd_buf_kind_is_dmabuf(f->kind)) return 0;
    uint32_t drm_fmt = f->format == DD_FRAME_NV12 ? DRM_FORMAT_NV12 : DRM_FORMAT_YUYV;
    if ((drm_fmt == DRM_FORMAT_NV12 && !s->nv12_ok) || (drm_fmt == DRM_FORMAT_YUYV && !s->yuyv_ok))
        return 0;
    struct stat st;
    if (fstat(f->fd, &st) != 0) return 0;
    struct fb_entry *victim = &s->cache[0];
    for (int i = 0; i < FB_CACHE; i++) {
        struct fb_entry *e = &s->cache[i];
        if (e->fb && e->ino == st.st_ino && e->width == f->width && e->height == f->height &&
            e->format == drm_fmt) {
            e->used = ++s->tick;
            return e->fb;
        }
        if (e->used < victim->used) victim = e;
    }
    uint32_t handle;
    if (drmPrimeFDToHandle(s->fd, f->fd, &handle) != 0) return 0;
    uint32_t handles[4] = {handle, f->format == DD_FRAME_NV12 ? handle : 0};
    uint32_t pitches[4] = {f->pitch[0], f->format == DD_FRAME_NV12 ? f->pitch[1] : 0};
    uint32_t offsets[4] = {(uint32_t)f->offset[0], (uint32_t)f->offset[1]};
    uint32_t fb = 0;
    int r = drmModeAddFB2(s->fd, f->width, f->height, drm_fmt, handles, pitches, offsets, &fb, 0);
    struct drm_gem_close gc = {.handle = handle};
    drmIoctl(s->fd, DRM_IOCTL_GEM_CLOSE, &gc); /* the framebuffer holds the buffer */
    if (r != 0) return 0;
    if (victim->fb) drmModeRmFB(s->fd, victim->fb); /* not on screen: the LRU entry is older */
    *victim = (struct fb_entry){st.st_ino, fb, f->width, f->height, drm_fmt, ++s->tick};
    return fb;
}

static int dumb_create(struct drm_sink *s, struct dumb *d, uint32_t w, uint32_t h, uint32_t fmt,
                       struct dd_err *err)
{
    struct drm_mode_create_dumb c = {.width = w,
                                     .height = fmt == DRM_FORMAT_NV12 ? h * 3 / 2 : h,
                                     .bpp = fmt == DRM_FORMAT_NV12 ? 8 : 32};
    if (drmIoctl(s->fd, DRM_IOCTL_MODE_CREATE_DUMB, &c) != 0)
        return dd_err_set(err, "cannot create a dumb buffer: %s", strerror(errno));
    d->handle = c.handle;
    d->pitch = c.pitch;
    d->size = c.size;
    uint32_t handles[4] = {c.handle, fmt == DRM_FORMAT_NV12 ? c.handle : 0};
    uint32_t pitches[4] = {c.pitch, fmt == DRM_FORMAT_NV12 ? c.pitch : 0};
    uint32_t offsets[4] = {0, fmt == DRM_FORMAT_NV12 ? c.pitch * h : 0};
    if (drmModeAddFB2(s->fd, w, h, fmt, handles, pitches, offsets, &d->fb, 0) != 0)
        return dd_err_set(err, "cannot add a dumb framebuffer: %s", strerror(errno));
    struct drm_mode_map_dumb m = {.handle = c.handle};
    if (drmIoctl(s->fd, DRM_IOCTL_MODE_MAP_DUMB, &m) != 0)
        return dd_err_set(err, "cannot map a dumb buffer: %s", strerror(errno));
    void *p = mmap(NULL, c.size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, (off_t)m.offset);
    if (p == MAP_FAILED) return dd_err_set(err, "mmap of a dumb buffer: %s", strerror(errno));
    d->map = p;
    return 0;
}

static void dumb_destroy(struct drm_sink *s, struct dumb *d)
{
    if (d->map) munmap(d->map, d->size);
    if (d->fb) drmModeRmFB(s->fd, d->fb);
    if (d->handle) {
        struct drm_mode_destroy_dumb dd = {.handle = d->handle};
        drmIoctl(s->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
    }
    memset(d, 0, sizeof(*d));
}

/* Copies (or converts) a frame into the next dumb buffer; returns its fb. */
static uint32_t copy_to_dumb(struct drm_sink *s, const struct dd_frame *f, struct dd_err *err)
{
    uint32_t fmt = f->format == DD_FRAME_NV12 && s->nv12_ok ? DRM_FORMAT_NV12 : DRM_FORMAT_XRGB8888;
    if (!s->xrgb_ok && fmt != DRM_FORMAT_NV12) {
        dd_err_set(err, "the plane cannot show %s frames", dd_frame_format_name(f->format));
        return 0;
    }
    if (s->dumb_format != fmt) {
        for (int i = 0; i < 2; i++) dumb_destroy(s, &s->dumb[i]);
        for (int i = 0; i < 2; i++)
            if (dumb_create(s, &s->dumb[i], f->width, f->height, fmt, err) != 0) return 0;
        s->dumb_format = fmt;
    }
    struct dumb *d = &s->dumb[s->next_dumb];
    s->next_dumb ^= 1;
    if (fmt == DRM_FORMAT_NV12) {
        dd_copy_plane(d->map, d->pitch, f->plane[0], f->pitch[0], f->width, f->height);
        dd_copy_plane(d->map + (size_t)d->pitch * f->height, d->pitch, f->plane[1], f->pitch[1],
                      f->width, (f->height + 1) / 2);
    } else {
        const struct dd_isa_frame src = dd_frame_isa(f);
        for (uint32_t y = 0; y < f->height; y++) {
            uint8_t *row = d->map + (size_t)y * d->pitch;
            for (uint32_t x = 0; x < f->width; x++) {
                uint8_t rgb[3];
                dd_isa_frame_pixel_rgb(&src, x, y, rgb);
                row[4 * x] = rgb[2];
                row[4 * x + 1] = rgb[1];
                row[4 * x + 2] = rgb[0];
                row[4 * x + 3] = 0xff;
            }
        }
    }
    return d->fb;
}

/* ---- flips ---- */

static void on_flip(int fd, unsigned seq, unsigned sec, unsigned usec, void *data)
{
    (void)fd, (void)seq, (void)sec, (void)usec;
    struct drm_sink *s = data;
    s->flip_pending = 0;
    dd_frame_unref(s->shown);
    s->shown = s->pending;
    s->pending = NULL;
}

static int wait_flip(struct drm_sink *s, int timeout_ms, struct dd_err *err)
{
    drmEventContext ev = {.version = 2, .page_flip_handler = on_flip};
    while (s->flip_pending) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        int r = poll(&p, 1, timeout_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0)
            return dd_err_set(err, "%s: no page flip within %d ms", s->conn_name, timeout_ms);
        drmHandleEvent(s->fd, &ev);
    }
    return 0;
}

static int commit(struct drm_sink *s, uint32_t fb, uint32_t w, uint32_t h, struct dd_err *err)
{
    uint32_t cw = w < s->mode.hdisplay ? w : s->mode.hdisplay;
    uint32_t ch = h < s->mode.vdisplay ? h : s->mode.vdisplay;
    if (s->atomic) {
        drmModeAtomicReq *req = drmModeAtomicAlloc();
        uint32_t flags = DRM_MODE_PAGE_FLIP_EVENT | DRM_MODE_ATOMIC_NONBLOCK;
        if (!s->modeset_done) {
            if (!s->mode_blob &&
                drmModeCreatePropertyBlob(s->fd, &s->mode, sizeof(s->mode), &s->mode_blob) != 0) {
                drmModeAtomicFree(req);
                return dd_err_set(err, "cannot create the mode blob: %s", strerror(errno));
            }
            drmModeAtomicAddProperty(req, s->conn_id, s->prop.conn_crtc, s->crtc_id);
            drmModeAtomicAddProperty(req, s->crtc_id, s->prop.crtc_mode, s->mode_blob);
            drmModeAtomicAddProperty(req, s->crtc_id, s->prop.crtc_active, 1);
            flags = DRM_MODE_PAGE_FLIP_EVENT | DRM_MODE_ATOMIC_ALLOW_MODESET;
        }
        drmModeAtomicAddProperty(req, s->plane_id, s->prop.fb, fb);
        drmModeAtomicAddProperty(req, s->plane_id, s->prop.crtc, s->crtc_id);
        drmModeAtomicAddProperty(req, s->plane_id, s->prop.src_x, 0);
        drmModeAtomicAddProperty(req, s->plane_id, s->prop.src_y, 0);
        drmModeAtomicAddProperty(req, s->plane_id, s->prop.src_w, (uint64_t)cw << 16);
        drmModeAtomicAddProperty(req, s->plane_id, s->prop.src_h, (uint64_t)ch << 16);
        drmModeAtomicAddProperty(req, s->plane_id, s->prop.crtc_x, 0);
        drmModeAtomicAddProperty(req, s->plane_id, s->prop.crtc_y, 0);
        drmModeAtomicAddProperty(req, s->plane_id, s->prop.crtc_w, cw);
        drmModeAtomicAddProperty(req, s->plane_id, s->prop.crtc_h, ch);
        int r = drmModeAtomicCommit(s->fd, req, flags, s);
        drmModeAtomicFree(req);
        if (r != 0) return dd_err_set(err, "%s: atomic commit: %s", s->conn_name, strerror(errno));
    } else if (!s->modeset_done) {
        if (drmModeSetCrtc(s->fd, s->crtc_id, fb, 0, 0, &s->conn_id, 1, &s->mode) != 0)
            return dd_err_set(err, "%s: SetCrtc: %s", s->conn_name, strerror(errno));
        s->modeset_done = 1;
        return 1; /* shown at once, no flip event */
    } else if (drmModePageFlip(s->fd, s->crtc_id, fb, DRM_MODE_PAGE_FLIP_EVENT, s) != 0) {
        return dd_err_set(err, "%s: page flip: %s", s->conn_name, strerror(errno));
    }
    s->modeset_done = 1;
    s->flip_pending = 1;
    return 0;
}

static int drm_put(struct dd_sink *base, struct dd_frame *f, struct dd_err *err)
{
    struct drm_sink *s = (struct drm_sink *)base;
    if (wait_flip(s, 1000, err) != 0) return -1; /* one flip in flight at a time */
    uint32_t fb = import_fb(s, f);
    int copied = 0;
    if (!fb) {
        if (!(fb = copy_to_dumb(s, f, err))) return -1;
        copied = 1;
    }
    int r = commit(s, fb, f->width, f->height, err);
    if (r < 0 && !copied) { /* the driver refused the imported buffer: copy */
        if (!(fb = copy_to_dumb(s, f, err)) || (r = commit(s, fb, f->width, f->height, err)) < 0)
            return -1;
        copied = 1;
    } else if (r < 0) {
        return -1;
    }
    if (copied) {
        base->stats.copies++;
    } else {
        base->stats.zero_copy++;
        dd_frame_ref(f); /* scanned out from its own memory */
    }
    if (r == 1) { /* legacy modeset: on screen now */
        dd_frame_unref(s->shown);
        s->shown = copied ? NULL : f;
    } else {
        s->pending = copied ? NULL : f;
    }
    return 0;
}

static int drm_finish(struct dd_sink *base, struct dd_err *err)
{
    return wait_flip((struct drm_sink *)base, 1000, err);
}

static void drm_destroy(struct dd_sink *base)
{
    struct drm_sink *s = (struct drm_sink *)base;
    if (s->fd >= 0) {
        wait_flip(s, 200, NULL);
        for (int i = 0; i < 2; i++) dumb_destroy(s, &s->dumb[i]);
        for (int i = 0; i < FB_CACHE; i++)
            if (s->cache[i].fb) drmModeRmFB(s->fd, s->cache[i].fb);
        if (s->mode_blob) drmModeDestroyPropertyBlob(s->fd, s->mode_blob);
        close(s->fd);
    }
    dd_frame_unref(s->pending);
    dd_frame_unref(s->shown);
    free(s);
}

static const struct dd_sink_ops drm_ops = {"drm", drm_put, drm_finish, drm_destroy};

int dd_sink_drm_open(const char *device, const char *options, struct dd_sink **out,
                     struct dd_err *err)
{
    *out = NULL;
    char conn[32] = "";
    uint32_t w = 0, h = 0;
    const char *at = strchr(options, '@');
    size_t n = at ? (size_t)(at - options) : strlen(options);
    if (n >= sizeof(conn)) return dd_err_set(err, "connector name too long");
    memcpy(conn, options, n);
    conn[n] = 0;
    if (at && (sscanf(at + 1, "%ux%u", &w, &h) != 2 || !w || !h))
        return dd_err_set(err, "drm sink mode '%s': expected WIDTHxHEIGHT", at + 1);
    struct drm_sink *s = calloc(1, sizeof(*s));
    if (!s) return dd_err_set(err, "out of memory");
    s->base.ops = &drm_ops;
    s->fd = -1;
    if (open_card(s, device, conn, w, h, err) != 0 || (s->atomic && find_props(s, err) != 0)) {
        drm_destroy(&s->base);
        return dd_err_prefix(err, "drm sink");
    }
    *out = &s->base;
    return 0;
}

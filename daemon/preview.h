/* Previews for /snapshot.jpg and /stream.mjpg: annotated frames scaled down
 * and JPEG-encoded (libjpeg-turbo) on a low-priority thread of their own, at
 * most fps per second and only while someone is watching, so previews never
 * take the pipeline's CPU. When a preview is due, the pipeline's output
 * thread scales the frame into the preview's own I420 planes (no frame is
 * kept); a thread at nice 10 encodes them. */
#ifndef DD_DAEMON_PREVIEW_H
#define DD_DAEMON_PREVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "pipeline/frame.h"

struct dd_preview_config {
    int width;   /* output width (height keeps the aspect, both even) */
    float fps;   /* most frames encoded per second */
    int quality; /* JPEG quality */
};

/* One encoded preview, reference counted (dd_jpeg_unref). */
struct dd_jpeg {
    atomic_int refs;
    uint64_t seq;
    int64_t t_ns; /* when it was encoded */
    uint32_t width, height;
    size_t size;
    unsigned char *data;
};
void dd_jpeg_unref(struct dd_jpeg *j);

struct dd_preview_stats {
    uint64_t encoded;
    double encode_cpu_ms; /* mean CPU per encoded frame (scale + encode) */
    int watchers;
};

struct dd_preview;

int dd_preview_create(const struct dd_preview_config *cfg, struct dd_preview **out,
                      struct dd_err *err);
void dd_preview_set_config(struct dd_preview *p, const struct dd_preview_config *cfg);
/* Output thread: offers a frame (borrowed, not kept); scales it only when a
 * preview is wanted, due, and the encoder has taken the previous one. */
void dd_preview_offer(struct dd_preview *p, struct dd_frame *f);
/* Waits up to timeout_ms for a preview newer than after_seq (0: any, the
 * latest at once if it is fresh). Marks the preview as watched. Returns a
 * reference or NULL on timeout or destroy. */
struct dd_jpeg *dd_preview_wait(struct dd_preview *p, uint64_t after_seq, int timeout_ms);
/* Stream clients (counted for the stats). */
void dd_preview_watchers(struct dd_preview *p, int delta);
void dd_preview_get_stats(struct dd_preview *p, struct dd_preview_stats *out);
void dd_preview_destroy(struct dd_preview *p);

/* The size a frame is scaled to for a given width: at most the frame's, height keeping the
 * aspect, both even. */
void dd_preview_size(const struct dd_frame *f, int width, uint32_t *dw, uint32_t *dh);
/* I420 planes (Y, then U, then V, tightly packed) of w x h as a JPEG (libjpeg-turbo handle
 * tj); a reference with refs 1, or NULL when encoding or memory failed. */
struct dd_jpeg *dd_jpeg_encode_i420(void *tj, const uint8_t *planes, uint32_t w, uint32_t h,
                                    int quality);

/* Scales an NV12 or YUYV frame into I420 planes of dw x dh (area average of
 * 2x2 source pixels at each sample). Exposed for the tests. */
void dd_preview_scale_i420(const struct dd_frame *f, uint32_t dw, uint32_t dh, uint8_t *y,
                           uint8_t *u, uint8_t *v);

#endif

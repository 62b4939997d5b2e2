/* A video frame travelling through the pipeline: NV12 or YUYV pixels in
 * shareable memory, reference counted. Whoever produced the frame (the frame
 * pool, the V4L2 source, the GStreamer source) supplies the release function
 * that runs when the last reference is dropped; nobody else frees it.
 *
 * Ownership: dd_frame_ref() before handing a frame to another thread or
 * keeping it past the call that lent it; dd_frame_unref() when done. The
 * pixels may be written (overlay) only by the stage that the pipeline's
 * ordering makes the sole user at that point (docs/ARCHITECTURE.md). */
#ifndef DD_PIPELINE_FRAME_H
#define DD_PIPELINE_FRAME_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "isa/isa.h"
#include "pipeline/buffer.h"
#include "postproc/detection.h"
#include "tracking/scene.h"

/* Detection state of a frame, advanced by the pipeline. */
enum dd_frame_det_state {
    DD_DET_NONE = 0, /* not offered to the detector */
    DD_DET_QUEUED,   /* waiting for the detector */
    DD_DET_RUNNING,  /* the detector is reading it */
    DD_DET_DONE,     /* dets hold its detections (frame pixels) */
    DD_DET_SKIPPED,  /* replaced by a newer frame before the detector took it */
    DD_DET_FAILED,   /* the detector failed on it */
};

struct dd_frame {
    atomic_int refs;

    /* pixels */
    uint32_t format; /* enum dd_isa_frame_format: DD_FRAME_NV12 or DD_FRAME_YUYV */
    uint32_t width, height;
    uint8_t *plane[2]; /* NV12: Y, interleaved UV; YUYV: packed, NULL */
    uint32_t pitch[2]; /* bytes per row of each plane */
    size_t offset[2];  /* plane offsets in the fd's buffer */
    size_t size;       /* bytes of the buffer behind fd */
    int fd;            /* DMA-BUF or memfd holding the pixels; -1 when none */
    enum dd_buf_kind kind;

    /* provenance */
    uint64_t seq;         /* source sequence number */
    int64_t t_capture_ns; /* CLOCK_MONOTONIC when the source delivered it */

    /* annotations (written by the pipeline's stages in order) */
    _Atomic int det_state; /* enum dd_frame_det_state */
    struct dd_det_list dets;
    struct dd_event_list events; /* the scene's events of this frame (tracking/scene.h) */
    int64_t t_detected_ns;

    /* producer's release hook and data */
    void (*release)(struct dd_frame *f);
    void *owner;
    void *priv;
};

/* Sets up pixels layout fields for a frame of the given format and size on a
 * buffer of size bytes at map (pitch: Y/packed row bytes, 0 = 64-byte aligned).
 * Returns the bytes the layout needs (0 for an unsupported format). */
size_t dd_frame_layout(struct dd_frame *f, uint32_t format, uint32_t width, uint32_t height,
                       uint32_t pitch);

static inline void dd_frame_ref(struct dd_frame *f)
{
    atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
}

void dd_frame_unref(struct dd_frame *f);

/* Resets the annotations of a frame about to be delivered by a source. */
void dd_frame_reset_annotations(struct dd_frame *f);
/* The annotation lists of a frame a producer sets up / tears down (empty, then freed). */
void dd_frame_annotations_init(struct dd_frame *f);
void dd_frame_annotations_destroy(struct dd_frame *f);

/* Copies rows bytes x row_bytes between planes of different pitches (the one
 * pixel copy routine of the pipeline; every caller counts its copies). */
void dd_copy_plane(uint8_t *dst, size_t dst_pitch, const uint8_t *src, size_t src_pitch,
                   size_t row_bytes, size_t rows);

/* The frame as the instruction set's INPUT stage reads it. */
struct dd_isa_frame dd_frame_isa(const struct dd_frame *f);

const char *dd_frame_format_name(uint32_t format);
/* Parses "nv12" / "yuyv"; -1 if unknown. */
int dd_frame_format_parse(const char *name, uint32_t *format);

#endif

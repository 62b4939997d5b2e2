#include "pipeline/frame.h"

#include <string.h>
#include <strings.h>

size_t dd_frame_layout(struct dd_frame *f, uint32_t format, uint32_t width, uint32_t height,
                       uint32_t pitch)
{
    if (width == 0 || height == 0) return 0;
    f->format = format;
    f->width = width;
    f->height = height;
    switch (format) {
    case DD_FRAME_NV12:
        if (!pitch) pitch = (width + 63u) & ~63u;
        f->pitch[0] = f->pitch[1] = pitch;
        f->offset[0] = 0;
        f->offset[1] = (size_t)pitch * height;
        return f->offset[1] + (size_t)pitch * ((height + 1) / 2);
    case DD_FRAME_YUYV:
        if (!pitch) pitch = (width * 2 + 63u) & ~63u;
        f->pitch[0] = pitch;
        f->pitch[1] = 0;
        f->offset[0] = f->offset[1] = 0;
        return (size_t)pitch * height;
    default:
        return 0;
    }
}

void dd_frame_unref(struct dd_frame *f)
{
    if (!f) return;
    if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1) f->release(f);
}

void dd_frame_reset_annotations(struct dd_frame *f)
{
    atomic_store(&f->det_state, DD_DET_NONE);
    dd_det_list_clear(&f->dets);
    f->events.n = 0;
    f->t_detected_ns = 0;
}

void dd_frame_annotations_init(struct dd_frame *f)
{
    dd_det_list_init(&f->dets);
    dd_event_list_init(&f->events);
}

void dd_frame_annotations_destroy(struct dd_frame *f)
{
    dd_det_list_destroy(&f->dets);
    dd_event_list_destroy(&f->events);
}

void dd_copy_plane(uint8_t *dst, size_t dst_pitch, const uint8_t *src, size_t src_pitch,
                   size_t row_bytes, size_t rows)
{
    for (size_t y = 0; y < rows; y++) memcpy(dst + y * dst_pitch, src + y * src_pitch, row_bytes);
}

struct dd_isa_frame dd_frame_isa(const struct dd_frame *f)
{
    return (struct dd_isa_frame){f->format,   f->width,    f->height,  f->pitch[0],
                                 f->pitch[1], f->plane[0], f->plane[1]};
}

const char *dd_frame_format_name(uint32_t format)
{
    switch (format) {
    case DD_FRAME_NV12:
        return "nv12";
    case DD_FRAME_YUYV:
        return "yuyv";
    case DD_FRAME_RGB24:
        return "rgb24";
    default:
        return "?";
    }
}

int dd_frame_format_parse(const char *name, uint32_t *format)
{
    if (strcasecmp(name, "nv12") == 0)
        *format = DD_FRAME_NV12;
    else if (strcasecmp(name, "yuyv") == 0)
        *format = DD_FRAME_YUYV;
    else
        return -1;
    return 0;
}

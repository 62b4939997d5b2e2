/* A fixed set of frames of one format and size in shareable buffers
 * (pipeline/buffer.h: DMA-BUF where the system provides it, else memfd).
 * dd_frame_pool_get() hands out a free frame with one reference; the frame
 * returns to the pool when its last reference is dropped. The pool may be
 * destroyed while frames are still out: it is freed when the last returns. */
#ifndef DD_PIPELINE_FRAME_POOL_H
#define DD_PIPELINE_FRAME_POOL_H

#include "pipeline/frame.h"

struct dd_frame_pool;

int dd_frame_pool_create(uint32_t format, uint32_t width, uint32_t height, unsigned count,
                         struct dd_frame_pool **out, struct dd_err *err);
void dd_frame_pool_destroy(struct dd_frame_pool *p);

/* A free frame (annotations reset), waiting up to timeout_ms (-1: forever);
 * NULL on timeout. */
struct dd_frame *dd_frame_pool_get(struct dd_frame_pool *p, int timeout_ms);

unsigned dd_frame_pool_count(const struct dd_frame_pool *p);
unsigned dd_frame_pool_free_count(struct dd_frame_pool *p);
enum dd_buf_kind dd_frame_pool_kind(const struct dd_frame_pool *p);

#endif

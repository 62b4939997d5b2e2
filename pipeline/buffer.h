/* Shareable frame memory: a file descriptor the camera, the accelerator and
 * the display can all map or import. In order of preference:
 *   - a DMA-BUF from /dev/dma_heap/system (importable by XRT and KMS),
 *   - a DMA-BUF made by /dev/udmabuf from a sealed memfd,
 *   - a plain memfd (shareable by fd and mmap; not importable as DMA-BUF).
 * The first one that works is used; DETECTD_BUFFERS=memfd forces memfd. */
#ifndef DD_PIPELINE_BUFFER_H
#define DD_PIPELINE_BUFFER_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum dd_buf_kind {
    DD_BUF_NONE = 0,   /* memory without an fd (e.g. a GStreamer system-memory buffer) */
    DD_BUF_DMA_HEAP,   /* DMA-BUF from a dma-heap */
    DD_BUF_UDMABUF,    /* DMA-BUF wrapping a memfd */
    DD_BUF_MEMFD,      /* memfd, not a DMA-BUF */
    DD_BUF_V4L2_DMABUF /* a V4L2 capture buffer exported with VIDIOC_EXPBUF */
};

const char *dd_buf_kind_name(enum dd_buf_kind k);
/* True for the kinds other devices can import as a DMA-BUF. */
int dd_buf_kind_is_dmabuf(enum dd_buf_kind k);

struct dd_buffer {
    int fd;       /* owned; -1 when none */
    uint8_t *map; /* mmap of the whole buffer (read/write) */
    size_t size;  /* bytes, rounded up to whole pages */
    enum dd_buf_kind kind;
};

/* Allocates and maps at least size bytes. */
int dd_buffer_alloc(struct dd_buffer *b, size_t size, struct dd_err *err);
void dd_buffer_free(struct dd_buffer *b);

/* Allocates an unmapped buffer fd of size bytes (a multiple of the page size)
 * of the preferred kind, falling back to memfd; returns -1 with errno set. */
int dd_buffer_alloc_fd(size_t size, enum dd_buf_kind *kind);

/* The kind dd_buffer_alloc would use now (probes the devices once). */
enum dd_buf_kind dd_buffer_preferred_kind(void);

/* CPU access brackets for DMA-BUFs (DMA_BUF_IOCTL_SYNC); no-ops for memfd. */
void dd_buffer_cpu_begin(int fd, enum dd_buf_kind kind, int write);
void dd_buffer_cpu_end(int fd, enum dd_buf_kind kind, int write);

#endif

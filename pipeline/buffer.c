#define _GNU_SOURCE /* memfd_create, F_ADD_SEALS */
#include "pipeline/buffer.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

const char *dd_buf_kind_name(enum dd_buf_kind k)
{
    switch (k) {
    case DD_BUF_DMA_HEAP:
        return "dma-heap";
    case DD_BUF_UDMABUF:
        return "udmabuf";
    case DD_BUF_MEMFD:
        return "memfd";
    case DD_BUF_V4L2_DMABUF:
        return "v4l2-dmabuf";
    default:
        return "system";
    }
}

int dd_buf_kind_is_dmabuf(enum dd_buf_kind k)
{
    return k == DD_BUF_DMA_HEAP || k == DD_BUF_UDMABUF || k == DD_BUF_V4L2_DMABUF;
}

static int memfd_only(void)
{
    const char *e = getenv("DETECTD_BUFFERS");
    return e && strcmp(e, "memfd") == 0;
}

static int alloc_dma_heap(size_t size)
{
    int heap = open("/dev/dma_heap/system", O_RDWR | O_CLOEXEC);
    if (heap < 0) return -1;
    struct dma_heap_allocation_data a = {.len = size, .fd_flags = O_RDWR | O_CLOEXEC};
    int r = ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &a);
    close(heap);
    return r < 0 ? -1 : (int)a.fd;
}

static int alloc_memfd(size_t size, int sealed)
{
    int fd = memfd_create("detectd-frame", MFD_CLOEXEC | (sealed ? MFD_ALLOW_SEALING : 0));
    if (fd < 0) return -1;
    if (ftruncate(fd, (off_t)size) != 0 || (sealed && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0)) {
        close(fd);
        return -1;
    }
    return fd;
}

static int alloc_udmabuf(size_t size)
{
    int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
    if (dev < 0) return -1;
    int mem = alloc_memfd(size, 1);
    int fd = -1;
    if (mem >= 0) {
        struct udmabuf_create c = {
            .memfd = (uint32_t)mem, .flags = UDMABUF_FLAGS_CLOEXEC, .offset = 0, .size = size};
        fd = ioctl(dev, UDMABUF_CREATE, &c);
        close(mem); /* the DMA-BUF keeps the pages */
    }
    close(dev);
    return fd;
}

static int alloc_fd(size_t size, enum dd_buf_kind kind)
{
    switch (kind) {
    case DD_BUF_DMA_HEAP:
        return alloc_dma_heap(size);
    case DD_BUF_UDMABUF:
        return alloc_udmabuf(size);
    default:
        return alloc_memfd(size, 0);
    }
}

int dd_buffer_alloc_fd(size_t size, enum dd_buf_kind *kind)
{
    *kind = dd_buffer_preferred_kind();
    int fd = alloc_fd(size, *kind);
    if (fd < 0 && *kind != DD_BUF_MEMFD) fd = alloc_fd(size, *kind = DD_BUF_MEMFD);
    return fd;
}

enum dd_buf_kind dd_buffer_preferred_kind(void)
{
    if (memfd_only()) return DD_BUF_MEMFD;
    static _Atomic int probed; /* 0: not yet, else kind + 1 */
    int k = probed;
    if (k) return (enum dd_buf_kind)(k - 1);
    enum dd_buf_kind found = DD_BUF_MEMFD;
    static const enum dd_buf_kind order[] = {DD_BUF_DMA_HEAP, DD_BUF_UDMABUF};
    long page = sysconf(_SC_PAGESIZE);
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        int fd = alloc_fd((size_t)page, order[i]);
        if (fd >= 0) {
            close(fd);
            found = order[i];
            break;
        }
    }
    probed = (int)found + 1;
    return found;
}

int dd_buffer_alloc(struct dd_buffer *b, size_t size, struct dd_err *err)
{
    memset(b, 0, sizeof(*b));
    b->fd = -1;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size = (size + page - 1) / page * page;
    if (size == 0) return dd_err_set(err, "frame buffer of 0 bytes");
    enum dd_buf_kind kind = DD_BUF_MEMFD;
    int fd = dd_buffer_alloc_fd(size, &kind);
    if (fd < 0)
        return dd_err_set(err, "cannot allocate a %zu-byte frame buffer: %s", size,
                          strerror(errno));
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        int e = errno;
        close(fd);
        return dd_err_set(err, "cannot map a %zu-byte %s buffer: %s", size, dd_buf_kind_name(kind),
                          strerror(e));
    }
    b->fd = fd;
    b->map = m;
    b->size = size;
    b->kind = kind;
    return 0;
}

void dd_buffer_free(struct dd_buffer *b)
{
    if (b->map) munmap(b->map, b->size);
    if (b->fd >= 0) close(b->fd);
    memset(b, 0, sizeof(*b));
    b->fd = -1;
}

static void dmabuf_sync(int fd, enum dd_buf_kind kind, uint64_t flags)
{
    if (fd < 0 || !dd_buf_kind_is_dmabuf(kind)) return;
    struct dma_buf_sync s = {.flags = flags};
    while (ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) < 0 && errno == EINTR) {
    }
}

void dd_buffer_cpu_begin(int fd, enum dd_buf_kind kind, int write)
{
    dmabuf_sync(fd, kind, DMA_BUF_SYNC_START | (write ? DMA_BUF_SYNC_RW : DMA_BUF_SYNC_READ));
}

void dd_buffer_cpu_end(int fd, enum dd_buf_kind kind, int write)
{
    dmabuf_sync(fd, kind, DMA_BUF_SYNC_END | (write ? DMA_BUF_SYNC_RW : DMA_BUF_SYNC_READ));
}

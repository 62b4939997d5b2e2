#include "accel/xrt/xrt_backend.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xrt.h>
#include <xrt/xrt_bo.h>
#include <xrt/xrt_device.h>
#include <xrt/xrt_kernel.h>

#include "common/clock.h"

#include "accel/golden.h"
#include "accel/kernel_image.h"
#include "accel/rtl/rtl_config.h"

#define KERNEL_NAME DD_KERNEL_NAME
#define ARG_PROGRAM 0
#define ARG_BLOB 1
#define ARG_ARENA 2
#define ARG_FRAME 3

struct dd_xrt {
    xrtDeviceHandle dev;
    xrtKernelHandle kernel;
    xrtRunHandle run;
    xrtBufferHandle program, blob, arena, frame_copy;
    size_t frame_copy_size;
    int8_t *arena_map;
    const struct dd_pkg *pkg;
    uint32_t tensors_offset;
    unsigned timeout_ms;
    int broken; /* a run timed out or aborted: the device state is unknown */
    struct dd_xrt_stats st;
};

int dd_xrt_env_check(struct dd_err *err)
{
    const char *root = getenv("XILINX_XRT");
    if (!root || !*root)
        return dd_err_set(err,
                          "XILINX_XRT is not set: point it at the XRT installation (a "
                          "directory whose lib/ holds libxrt_coreutil.so.2; with Debian's "
                          "libxrt, a directory whose lib links to /usr/lib/%s)",
                          DD_MULTIARCH);
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof(path), "%s/lib/libxrt_coreutil.so.2", root);
    if (stat(path, &st) != 0)
        return dd_err_set(err, "XILINX_XRT=%s is not an XRT installation (no %s)", root, path);
    return 0;
}

/* Device buffers are whole pages (XRT's shims aligned_alloc them page-aligned,
 * which C11 allows only for sizes that are multiples of the alignment). */
static size_t page_round(size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return size ? (size + page - 1) / page * page : page;
}

static xrtBufferHandle upload(struct dd_xrt *x, const void *data, size_t size, int arg,
                              struct dd_err *err)
{
    xrtBufferHandle bo = xrtBOAlloc(x->dev, page_round(size), XRT_BO_FLAGS_NONE,
                                    (xrtMemoryGroup)xrtKernelArgGroupId(x->kernel, arg));
    if (!bo) {
        dd_err_set(err, "cannot allocate a %zu-byte device buffer", size);
        return NULL;
    }
    void *map = xrtBOMap(bo);
    if (!map) {
        xrtBOFree(bo);
        dd_err_set(err, "cannot map a device buffer");
        return NULL;
    }
    if (data)
        memcpy(map, data, size);
    else
        memset(map, 0, size);
    if (xrtBOSync(bo, XCL_BO_SYNC_BO_TO_DEVICE, size, 0) != 0) {
        xrtBOFree(bo);
        dd_err_set(err, "cannot sync a device buffer");
        return NULL;
    }
    return bo;
}

int dd_xrt_open(const struct dd_pkg *p, const struct dd_xrt_config *cfg, struct dd_xrt **out,
                struct dd_err *err)
{
    *out = NULL;
    if (dd_xrt_env_check(err) != 0) return -1;
    if (!cfg->xclbin || !*cfg->xclbin) return dd_err_set(err, "no xclbin given");
    if (access(cfg->xclbin, R_OK) != 0)
        return dd_err_set(err, "xclbin %s: cannot read it", cfg->xclbin);
    /* the limits of the RTL configuration the xclbin was built from */
    const char *rtl = cfg->rtl_config && *cfg->rtl_config ? cfg->rtl_config : "kv260";
    const struct dd_rtl_config *rc_cfg = dd_rtl_config_find(rtl);
    if (!rc_cfg) return dd_err_set(err, "unknown rtl configuration '%s'", rtl);
    if (dd_rtl_check_program(p, rc_cfg, err) != 0) return -1;
    struct dd_kernel_image image;
    if (dd_kernel_image_create(p, &image, err) != 0) return -1;
    struct dd_xrt *x = calloc(1, sizeof(*x));
    if (!x) {
        dd_kernel_image_destroy(&image);
        return dd_err_set(err, "out of memory");
    }
    x->pkg = p;
    x->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 2000;
    int rc = -1;
    const char *dev = cfg->device && *cfg->device ? cfg->device : "0";
    int is_index = dev[strspn(dev, "0123456789")] == 0;
    if (!(x->dev = is_index ? xrtDeviceOpen((unsigned)strtoul(dev, NULL, 10))
                            : xrtDeviceOpenByBDF(dev))) {
        dd_err_set(err,
                   "no FPGA device %s %s (xrtDeviceOpen failed: no card, or its driver is not "
                   "loaded)",
                   is_index ? "at index" : "at", dev);
        goto out;
    }
    if (xrtDeviceLoadXclbinFile(x->dev, cfg->xclbin) != 0) {
        dd_err_set(err, "xclbin %s: XRT could not load it (not an xclbin, or not for this device)",
                   cfg->xclbin);
        goto out;
    }
    xuid_t uuid;
    if (xrtDeviceGetXclbinUUID(x->dev, uuid) != 0) {
        dd_err_set(err, "xclbin %s: no UUID", cfg->xclbin);
        goto out;
    }
    if (!(x->kernel = xrtPLKernelOpen(x->dev, uuid, KERNEL_NAME))) {
        dd_err_set(err, "xclbin %s has no kernel '%s' (built from another design?)", cfg->xclbin,
                   KERNEL_NAME);
        goto out;
    }
    x->tensors_offset = image.tensors_offset;
    if (!(x->program = upload(x, image.program, image.size, ARG_PROGRAM, err)) ||
        !(x->blob = upload(x, p->blob, p->blob_size, ARG_BLOB, err)) ||
        !(x->arena = upload(x, NULL, p->arena_size, ARG_ARENA, err)))
        goto out;
    x->arena_map = xrtBOMap(x->arena);
    if (!(x->run = xrtRunOpen(x->kernel))) {
        dd_err_set(err, "cannot create a kernel run");
        goto out;
    }
    rc = 0;
out:
    dd_kernel_image_destroy(&image);
    if (rc != 0) {
        dd_xrt_close(x);
        return dd_err_prefix(err, "xrt");
    }
    *out = x;
    return 0;
}

void dd_xrt_close(struct dd_xrt *x)
{
    if (!x) return;
    if (x->run) {
        if (x->broken) xrtRunWait(x->run); /* let an outstanding command finish first */
        xrtRunClose(x->run);
    }
    if (x->frame_copy) xrtBOFree(x->frame_copy);
    if (x->arena) xrtBOFree(x->arena);
    if (x->blob) xrtBOFree(x->blob);
    if (x->program) xrtBOFree(x->program);
    if (x->kernel) xrtKernelClose(x->kernel);
    if (x->dev) xrtDeviceClose(x->dev);
    free(x);
}

int8_t *dd_xrt_arena(struct dd_xrt *x)
{
    return x->arena_map;
}

/* The frame as a device buffer: imported DMA-BUF, user pointer, or a copy.
 * *owned: the returned handle is to be freed after the run. */
static xrtBufferHandle frame_bo(struct dd_xrt *x, const struct dd_isa_frame *f, int fd,
                                uint64_t fd_offset, uint32_t *uv_offset, int *owned)
{
    int joined;
    size_t size = dd_kernel_frame_layout(f, uv_offset, &joined);
    *owned = 1;
    if (fd >= 0 && !joined) {
        xrtBufferHandle whole = xrtBOImport(x->dev, fd);
        if (whole) {
            xrtBufferHandle sub = xrtBOSubAlloc(whole, size, fd_offset);
            xrtBOFree(whole); /* the sub-buffer keeps the import alive */
            if (sub) {
                x->st.frames_imported++;
                return sub;
            }
        }
    }
    long page = sysconf(_SC_PAGESIZE);
    if (!joined) {
        uintptr_t start = (uintptr_t)f->data, base = start & ~(uintptr_t)(page - 1);
        size_t span = (size_t)((start - base + size + (size_t)page - 1) & ~(uintptr_t)(page - 1));
        xrtBufferHandle whole =
            xrtBOAllocUserPtr(x->dev, (void *)base, span, XRT_BO_FLAGS_NONE,
                              (xrtMemoryGroup)xrtKernelArgGroupId(x->kernel, ARG_FRAME));
        if (whole) {
            xrtBufferHandle sub = xrtBOSubAlloc(whole, size, start - base);
            xrtBOFree(whole);
            if (sub && xrtBOSync(sub, XCL_BO_SYNC_BO_TO_DEVICE, size, 0) == 0) {
                x->st.frames_userptr++;
                return sub;
            }
            if (sub) xrtBOFree(sub);
        }
    }
    *owned = 0;
    if (x->frame_copy_size < size) {
        if (x->frame_copy) xrtBOFree(x->frame_copy);
        x->frame_copy = xrtBOAlloc(x->dev, page_round(size), XRT_BO_FLAGS_NONE,
                                   (xrtMemoryGroup)xrtKernelArgGroupId(x->kernel, ARG_FRAME));
        x->frame_copy_size = x->frame_copy ? size : 0;
        if (!x->frame_copy) return NULL;
    }
    uint8_t *map = xrtBOMap(x->frame_copy);
    if (!map) return NULL;
    dd_kernel_frame_copy(f, *uv_offset, map);
    if (xrtBOSync(x->frame_copy, XCL_BO_SYNC_BO_TO_DEVICE, size, 0) != 0) return NULL;
    x->st.frames_copied++;
    return x->frame_copy;
}

static int pending(int state)
{
    return state == ERT_CMD_STATE_NEW || state == ERT_CMD_STATE_QUEUED ||
           state == ERT_CMD_STATE_RUNNING || state == ERT_CMD_STATE_SUBMITTED;
}

/* Waits for the run's command to leave the pending states, up to timeout_ms
 * (polling: XRT 2.13's xrtRunWaitFor does not return at its timeout on every
 * shim). ERT_CMD_STATE_TIMEOUT when the time is up. */
static int wait_run(xrtRunHandle run, unsigned timeout_ms)
{
    int64_t t0 = dd_now_ns();
    useconds_t nap = 20;
    for (;;) {
        int state = (int)xrtRunState(run);
        if (!pending(state)) return state;
        if ((dd_now_ns() - t0) / 1000000 >= (int64_t)timeout_ms) return ERT_CMD_STATE_TIMEOUT;
        usleep(nap);
        nap = nap < 1000 ? nap * 2 : 1000;
    }
}

int dd_xrt_run(struct dd_xrt *x, const struct dd_isa_frame *frame, int frame_fd,
               uint64_t frame_fd_offset, uint32_t first, uint32_t count, struct dd_err *err)
{
    const struct dd_pkg *p = x->pkg;
    if (x->broken)
        return dd_err_set(err, "xrt: the device did not finish an earlier run; reopen the backend");
    int needs_frame;
    if (dd_isa_check_range(p, first, count, frame, &needs_frame, err) != 0)
        return dd_err_prefix(err, "xrt");
    xrtBufferHandle fbo = x->arena; /* a valid buffer when no frame is read */
    uint32_t uv_offset = 0;
    int owned = 0;
    if (needs_frame && !(fbo = frame_bo(x, frame, frame_fd, frame_fd_offset, &uv_offset, &owned)))
        return dd_err_set(err, "xrt: cannot make a device buffer for the frame");
    uint32_t fmt = needs_frame ? frame->format : 0, fw = needs_frame ? frame->width : 0,
             fh = needs_frame ? frame->height : 0, fs = needs_frame ? frame->stride : 0,
             fuvs = needs_frame ? frame->uv_stride : 0;
    int rc = 0;
    if (xrtRunSetArg(x->run, ARG_PROGRAM, x->program) || xrtRunSetArg(x->run, ARG_BLOB, x->blob) ||
        xrtRunSetArg(x->run, ARG_ARENA, x->arena) || xrtRunSetArg(x->run, ARG_FRAME, fbo) ||
        xrtRunSetArg(x->run, 4, (uint32_t)x->tensors_offset) ||
        xrtRunSetArg(x->run, 5, (uint32_t)first) || xrtRunSetArg(x->run, 6, (uint32_t)count) ||
        xrtRunSetArg(x->run, 7, (uint32_t)fmt) || xrtRunSetArg(x->run, 8, (uint32_t)fw) ||
        xrtRunSetArg(x->run, 9, (uint32_t)fh) || xrtRunSetArg(x->run, 10, (uint32_t)fs) ||
        xrtRunSetArg(x->run, 11, (uint32_t)uv_offset) || xrtRunSetArg(x->run, 12, (uint32_t)fuvs)) {
        rc = dd_err_set(err, "xrt: cannot set the kernel's arguments");
        goto out;
    }
    if (xrtRunStart(x->run) != 0) {
        rc = dd_err_set(err, "xrt: cannot start the kernel");
        goto out;
    }
    int state = wait_run(x->run, x->timeout_ms);
    if (state != ERT_CMD_STATE_COMPLETED) {
        x->broken = state == ERT_CMD_STATE_TIMEOUT;
        rc = x->broken
                 ? dd_err_set(err, "xrt: the kernel did not finish within %u ms", x->timeout_ms)
                 : dd_err_set(err, "xrt: the kernel run ended in state %d (%s)", state,
                              state == ERT_CMD_STATE_ABORT ? "aborted" : "error");
        goto out;
    }
    if (xrtBOSync(x->arena, XCL_BO_SYNC_BO_FROM_DEVICE, p->arena_size, 0) != 0)
        rc = dd_err_set(err, "xrt: cannot read the arena back");
    x->st.runs++;
out:
    if (owned) xrtBOFree(fbo);
    return rc;
}

void dd_xrt_get_stats(const struct dd_xrt *x, struct dd_xrt_stats *out)
{
    *out = x->st;
}

/* ---- the backend plug-in ---- */

static int xrt_backend_open(const struct dd_pkg *pkg, const struct dd_backend_opts *opts,
                            void **state, struct dd_err *err)
{
    struct dd_xrt_config xc = {opts->xrt_device, opts->xclbin, opts->timeout_ms, opts->rtl_config};
    return dd_xrt_open(pkg, &xc, (struct dd_xrt **)state, err);
}

static int8_t *xrt_backend_arena(void *state)
{
    return dd_xrt_arena(state);
}

static int xrt_backend_run(void *state, int8_t *arena, const struct dd_backend_frame *in,
                           uint32_t first, uint32_t count, struct dd_err *err)
{
    (void)arena; /* the device arena, synced into its host view */
    return dd_xrt_run(state, in->frame, in->fd, in->offset, first, count, err);
}

static void xrt_backend_get_stats(void *state, struct dd_backend_stats *out)
{
    struct dd_xrt_stats xs;
    dd_xrt_get_stats(state, &xs);
    out->runs = xs.runs;
    out->frames_imported = xs.frames_imported;
    out->frames_userptr = xs.frames_userptr;
    out->frames_copied = xs.frames_copied;
}

static void xrt_backend_close(void *state)
{
    dd_xrt_close(state);
}

const struct dd_backend_ops dd_backend_xrt = {
    "xrt",
    "the FPGA kernel through Xilinx XRT ([model] xclbin, xrt_device)",
    xrt_backend_open,
    xrt_backend_arena,
    xrt_backend_run,
    xrt_backend_get_stats,
    xrt_backend_close,
};

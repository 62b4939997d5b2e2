/* The `xrt` backend: model packages run on the FPGA kernel (accel/rtl) through
 * Xilinx XRT's C API (Debian's libxrt). Buffer objects for the program image,
 * the blob and the activation arena are made once per model; per frame the
 * kernel reads the camera frame zero-copy when XRT can import its DMA-BUF,
 * else through a user-pointer buffer on the mapped frame, else from a copy
 * (each path counted). Errors (no XRT environment, no card, wrong xclbin,
 * kernel missing, run timeout or abort) come back as messages: XRT's own
 * abort on a wrong XILINX_XRT is prevented by dd_xrt_env_check. */
#ifndef DD_ACCEL_XRT_XRT_BACKEND_H
#define DD_ACCEL_XRT_XRT_BACKEND_H

#include <stdint.h>

#include "accel/backend.h"
#include "accel/package.h"

struct dd_xrt_config {
    const char *device;     /* an index ("0") or a PCIe BDF ("0000:03:00.1"); NULL: "0" */
    const char *xclbin;     /* the accelerator's xclbin */
    unsigned timeout_ms;    /* one kernel call (0: 2000) */
    const char *rtl_config; /* the RTL configuration the xclbin was built from (NULL: kv260) */
};

struct dd_xrt_stats {
    uint64_t runs;
    uint64_t frames_imported; /* the frame's DMA-BUF imported: zero copy */
    uint64_t frames_userptr;  /* a user-pointer buffer on the mapped frame: zero copy */
    uint64_t frames_copied;   /* copied into a device buffer */
};

struct dd_xrt;

/* Checks that XRT can load its shim: XILINX_XRT must name a directory whose
 * lib/ holds libxrt_coreutil.so.2 (XRT aborts the process otherwise). */
int dd_xrt_env_check(struct dd_err *err);

int dd_xrt_open(const struct dd_pkg *p, const struct dd_xrt_config *cfg, struct dd_xrt **out,
                struct dd_err *err);
void dd_xrt_close(struct dd_xrt *x);

/* The host's view of the device arena (valid after dd_xrt_run synced it). */
int8_t *dd_xrt_arena(struct dd_xrt *x);

/* Runs instructions [first, first + count). frame_fd: the frame's DMA-BUF
 * (or -1), frame_fd_offset: where frame->data starts in it. */
int dd_xrt_run(struct dd_xrt *x, const struct dd_isa_frame *frame, int frame_fd,
               uint64_t frame_fd_offset, uint32_t first, uint32_t count, struct dd_err *err);

void dd_xrt_get_stats(const struct dd_xrt *x, struct dd_xrt_stats *out);

/* The backend plug-in "xrt". */
extern const struct dd_backend_ops dd_backend_xrt;

#endif

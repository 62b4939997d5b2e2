/* The accelerator kernel's interface to its hosts (the xrt backend on the
 * board, the rtlsim backend here): the DRAM images a call reads and the
 * AXI4-Lite register map of its arguments (accel/rtl/dd_accel.v decodes the
 * same offsets; tools/xclbin writes them into the xclbin description).
 *
 * DRAM images:
 *   program  the instructions (64-byte records) from byte 0, the tensor
 *            table (24-byte records) from byte tensors_offset
 *   blob     the package blob (weights, biases, multipliers, tables)
 *   arena    the activation arena
 *   frame    the camera frame: plane 0 from byte 0, NV12's UV plane from
 *            frame_uv_offset (the frame's own DMA-BUF on the board)
 * One call runs instructions [first, first + count). */
#ifndef DD_ACCEL_KERNEL_IMAGE_H
#define DD_ACCEL_KERNEL_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "accel/package.h"

#define DD_KERNEL_NAME "dd_accel_kernel"

/* AXI4-Lite register map (byte offsets): ap_ctrl_hs control, then the
 * arguments in the order of the xclbin (pointers are 64-bit, two registers). */
#define DD_KERNEL_REG_CTRL 0x00 /* bit 0 ap_start, 1 ap_done (clear on read), 2 ap_idle */
#define DD_KERNEL_REG_GIE 0x04
#define DD_KERNEL_REG_IER 0x08
#define DD_KERNEL_REG_ISR 0x0c
#define DD_KERNEL_REG_PROGRAM 0x10
#define DD_KERNEL_REG_BLOB 0x1c
#define DD_KERNEL_REG_ARENA 0x28
#define DD_KERNEL_REG_FRAME 0x34
#define DD_KERNEL_REG_TENSORS_OFFSET 0x40
#define DD_KERNEL_REG_FIRST 0x48
#define DD_KERNEL_REG_COUNT 0x50
#define DD_KERNEL_REG_FRAME_FORMAT 0x58
#define DD_KERNEL_REG_FRAME_WIDTH 0x60
#define DD_KERNEL_REG_FRAME_HEIGHT 0x68
#define DD_KERNEL_REG_FRAME_STRIDE 0x70
#define DD_KERNEL_REG_FRAME_UV_OFFSET 0x78
#define DD_KERNEL_REG_FRAME_UV_STRIDE 0x80

/* The program's DRAM image. */
struct dd_kernel_image {
    uint8_t *program; /* owned */
    size_t size;
    uint32_t tensors_offset;
};

int dd_kernel_image_create(const struct dd_pkg *p, struct dd_kernel_image *out, struct dd_err *err);
void dd_kernel_image_destroy(struct dd_kernel_image *img);

/* The frame as the kernel reads it: one DRAM buffer from frame->data on,
 * NV12's UV plane at *uv_offset in it. Returns the bytes the kernel may read;
 * *apart: an NV12 frame whose UV plane is not in that buffer after the Y plane
 * (then the layout is the Y plane followed by the UV plane, which only a copy
 * makes: dd_kernel_frame_copy). */
size_t dd_kernel_frame_layout(const struct dd_isa_frame *frame, uint32_t *uv_offset, int *apart);
/* Copies the frame's planes into dst in that layout. */
void dd_kernel_frame_copy(const struct dd_isa_frame *frame, uint32_t uv_offset, uint8_t *dst);

#endif

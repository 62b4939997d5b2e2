/* The accelerator kernel: the instruction set's execution unit in the C
 * subset Vitis HLS synthesizes (no dynamic memory, no recursion, bounded
 * loops, fixed-width integers; AXI master ports for DRAM, AXI-lite control).
 * Built natively it is the C simulation the `hlssim` backend runs; built by
 * v++ it is the FPGA kernel (deploy/fpga/). Bit-exact with accel/golden.c.
 *
 * DRAM images (the host fills them; XRT buffer objects on the board):
 *   program  the instructions (64-byte records) from byte 0, the tensor
 *            table (24-byte records) from byte tensors_offset
 *   blob     the package blob (weights, biases, multipliers, tables)
 *   arena    the activation arena
 *   frame    the camera frame: plane 0 from byte 0, NV12's UV plane from
 *            frame_uv_offset (the frame's own DMA-BUF on the board)
 * One call runs instructions [first, first + count). */
#ifndef DD_ACCEL_HLS_DD_KERNEL_H
#define DD_ACCEL_HLS_DD_KERNEL_H

#include <stdint.h>

/* Largest weight row a CONV may have (kh * kw * ic bytes, int8): the kernel's
 * on-chip weight buffer. The host rejects programs that exceed it. */
#define DD_HLS_MAX_ROW 8192
/* Largest tensor dimension the loop trip counts are declared for. */
#define DD_HLS_MAX_DIM 2048

/* AXI-lite register map (byte offsets), shared with the xclbin description. */
#define DD_HLS_REG_CTRL 0x00
#define DD_HLS_REG_PROGRAM 0x10
#define DD_HLS_REG_BLOB 0x1c
#define DD_HLS_REG_ARENA 0x28
#define DD_HLS_REG_FRAME 0x34
#define DD_HLS_REG_TENSORS_OFFSET 0x40
#define DD_HLS_REG_FIRST 0x48
#define DD_HLS_REG_COUNT 0x50
#define DD_HLS_REG_FRAME_FORMAT 0x58
#define DD_HLS_REG_FRAME_WIDTH 0x60
#define DD_HLS_REG_FRAME_HEIGHT 0x68
#define DD_HLS_REG_FRAME_STRIDE 0x70
#define DD_HLS_REG_FRAME_UV_OFFSET 0x78
#define DD_HLS_REG_FRAME_UV_STRIDE 0x80

void dd_accel_kernel(const uint8_t *program, const uint8_t *blob, int8_t *arena,
                     const uint8_t *frame, uint32_t tensors_offset, uint32_t first, uint32_t count,
                     uint32_t frame_format, uint32_t frame_width, uint32_t frame_height,
                     uint32_t frame_stride, uint32_t frame_uv_offset, uint32_t frame_uv_stride);

#endif

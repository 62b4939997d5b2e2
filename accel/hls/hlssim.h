/* The `hlssim` backend: model packages run through the C simulation of the
 * accelerator kernel (dd_kernel.c), driven the way the XRT host drives the
 * FPGA: a program image (instructions + tensor table), the blob, the arena
 * and the frame as DRAM buffers, one kernel call per instruction range. */
#ifndef DD_ACCEL_HLS_HLSSIM_H
#define DD_ACCEL_HLS_HLSSIM_H

#include <stddef.h>
#include <stdint.h>

#include "accel/backend.h"
#include "accel/package.h"

struct dd_hlssim;

/* The program image for p; fails when p exceeds the kernel's limits. */
int dd_hlssim_create(const struct dd_pkg *p, struct dd_hlssim **out, struct dd_err *err);
void dd_hlssim_destroy(struct dd_hlssim *h);

/* The kernel's DRAM image of the program: instructions, then the tensor
 * table at *tensors_offset (also what the XRT backend uploads). */
const uint8_t *dd_hlssim_program(const struct dd_hlssim *h, size_t *size, uint32_t *tensors_offset);

/* The frame as the kernel reads it: one DRAM buffer from frame->data on,
 * NV12's UV plane at *uv_offset in it. Returns the bytes the kernel may read;
 * *apart: an NV12 frame whose UV plane is not in that buffer after the Y plane
 * (then the layout is the Y plane followed by the UV plane, which only a copy
 * makes: dd_hlssim_frame_copy). Shared with the XRT host. */
size_t dd_hlssim_frame_layout(const struct dd_isa_frame *frame, uint32_t *uv_offset, int *apart);
/* Copies the frame's planes into dst in that layout. */
void dd_hlssim_frame_copy(const struct dd_isa_frame *frame, uint32_t uv_offset, uint8_t *dst);

/* Runs instructions [first, first + count) on arena (p->arena_size bytes). */
int dd_hlssim_run(struct dd_hlssim *h, int8_t *arena, const struct dd_isa_frame *frame,
                  uint32_t first, uint32_t count, struct dd_err *err);

/* The backend plug-in "hlssim". */
extern const struct dd_backend_ops dd_backend_hlssim;

#endif

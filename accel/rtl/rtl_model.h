/* The Verilated accelerator (accel/rtl/dd_accel.v) with a DRAM model, as a C
 * API for the rtlsim backend, its tests and bench/. One Verilated model per
 * shipped configuration (MAC array shape, buffers); the DRAM model serves the
 * four AXI4 masters from host buffers with a latency and a shared bandwidth,
 * so cycle counts include memory stalls. */
#ifndef DD_ACCEL_RTL_RTL_MODEL_H
#define DD_ACCEL_RTL_RTL_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "accel/rtl/rtl_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The DRAM images of one kernel call: the four buffers the masters read
 * (arena also written) and the scalar arguments. */
struct dd_rtl_call {
    const uint8_t *program;
    size_t program_size;
    const uint8_t *blob;
    size_t blob_size;
    uint8_t *arena;
    size_t arena_size;
    const uint8_t *frame;
    size_t frame_size;
    uint32_t tensors_offset, first, count;
    uint32_t frame_format, frame_width, frame_height, frame_stride, frame_uv_offset,
        frame_uv_stride;
};

struct dd_rtl_counts {
    uint64_t cycles;       /* from ap_start to ap_done */
    uint64_t read_bytes;   /* bytes of the read bursts (all ports) */
    uint64_t write_bytes;  /* bytes written (strobed) */
    uint64_t read_stall;   /* cycles a read beat waited for DRAM bandwidth */
    uint64_t *insn_cycles; /* optional: cycles of instruction i at [i] (caller sized) */
    size_t n_insn_cycles;
};

struct dd_rtl_model;

/* dram NULL: the configuration's own. Returns NULL for a configuration
 * this build has no model of. */
struct dd_rtl_model *dd_rtl_model_create(const struct dd_rtl_config *cfg,
                                         const struct dd_rtl_dram *dram);
void dd_rtl_model_destroy(struct dd_rtl_model *m);

/* Programs the registers through AXI4-Lite, starts the kernel and clocks it
 * until ap_done or until budget cycles have passed. Returns 0, or -1 with
 * err (the budget exceeded, an access outside the buffers); counts are added
 * to *c. */
int dd_rtl_model_call(struct dd_rtl_model *m, const struct dd_rtl_call *call, uint64_t budget,
                      struct dd_rtl_counts *c, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif

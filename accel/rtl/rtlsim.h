/* The `rtlsim` backend: model packages run on the RTL accelerator
 * (accel/rtl/dd_*.v) in cycle-accurate simulation (Verilator), driven the way the
 * XRT host drives the FPGA: the program image, blob, arena and frame as DRAM
 * buffers behind the kernel's AXI masters, registers through AXI4-Lite.
 * Bit-exact with the golden model; counts cycles and DRAM bytes. */
#ifndef DD_ACCEL_RTL_RTLSIM_H
#define DD_ACCEL_RTL_RTLSIM_H

#include <stddef.h>
#include <stdint.h>

#include "accel/backend.h"
#include "accel/package.h"
#include "accel/rtl/rtl_model.h"

struct dd_rtlsim;
int dd_rtlsim_create(const struct dd_pkg *p, const struct dd_rtl_config *cfg,
                     const struct dd_rtl_dram *dram, struct dd_rtlsim **out, struct dd_err *err);
void dd_rtlsim_destroy(struct dd_rtlsim *s);
/* Runs instructions [first, first + count) on arena (p->arena_size bytes). */
int dd_rtlsim_run(struct dd_rtlsim *s, int8_t *arena, const struct dd_isa_frame *frame,
                  uint32_t first, uint32_t count, struct dd_err *err);
/* The counts so far (insn_cycles: per instruction, p->n_insns entries). */
const struct dd_rtl_counts *dd_rtlsim_counts(const struct dd_rtlsim *s);
void dd_rtlsim_reset_counts(struct dd_rtlsim *s);

/* The backend plug-in "rtlsim" (options: rtl_config). */
extern const struct dd_backend_ops dd_backend_rtlsim;

#endif

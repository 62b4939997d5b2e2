/* The RTL accelerator's configurations (the Verilog parameters of
 * accel/rtl/dd_accel.v each shipped board is built with: MAC array rows,
 * buffer sizes, clock) and what a configuration can run: the limits the
 * hosts (xrt on the board, rtlsim here) check a program against at load
 * time. Independent of the simulation: built with or without Verilator. */
#ifndef DD_ACCEL_RTL_RTL_CONFIG_H
#define DD_ACCEL_RTL_RTL_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* (forward declarations: the C++ simulation harness includes this header) */
#ifdef __cplusplus
extern "C" {
#endif

struct dd_pkg;
struct dd_err;
struct dd_isa_insn;
struct dd_isa_frame;

/* A DRAM as the accelerator's AXI ports see it. */
struct dd_rtl_dram {
    const char *name;
    unsigned latency;       /* cycles from a burst's address to its first beat */
    double bytes_per_cycle; /* shared by all ports, reads and writes */
};

/* One RTL configuration (the Verilog parameters it was built with). */
struct dd_rtl_config {
    const char *name;
    const char *board;
    unsigned oct;                        /* MAC array rows; 16 lanes each */
    int mul_dsp;                         /* int8 products in DSPs */
    unsigned ib_aw, wb_aw, ob_aw, fb_aw; /* buffer address bits (16-byte words) */
    double clock_mhz;                    /* the clock the configuration is designed for */
    struct dd_rtl_dram dram;
};

extern const struct dd_rtl_config dd_rtl_configs[];
extern const size_t dd_rtl_n_configs;
const struct dd_rtl_config *dd_rtl_config_find(const char *name);
/* A DRAM preset by name ("kv260-ddr4", "z7020-ddr3"); NULL if none. */
const struct dd_rtl_dram *dd_rtl_dram_find(const char *name);

/* Whether configuration cfg can run p: every opcode and flag known, every
 * tensor within the buffers the configuration has (weight rows, input rows
 * a row needs, output row), the arithmetic within its datapath's widths.
 * Fails with the instruction and the limit it exceeds. */
int dd_rtl_check_program(const struct dd_pkg *p, const struct dd_rtl_config *cfg,
                         struct dd_err *err);
/* A frame the INPUT sampler can read (its rows fit the frame row buffers). */
int dd_rtl_check_frame(const struct dd_rtl_config *cfg, const struct dd_isa_frame *f,
                       struct dd_err *err);

/* MACs of instruction i (CONV; 0 for the others) and the MAC array's peak per
 * cycle for it (int4 weights: twice int8's). */
uint64_t dd_rtl_insn_macs(const struct dd_pkg *p, uint32_t i);
unsigned dd_rtl_peak_macs(const struct dd_rtl_config *cfg, const struct dd_isa_insn *in);

#ifdef __cplusplus
}
#endif

#endif

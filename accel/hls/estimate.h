/* A first-order throughput and resource estimate of the accelerator kernel
 * (dd_kernel.c) for a model package, read off the kernel's loop structure
 * and pragmas: pipelined loops at II=1 (INPUT: II=4), the CONV channel loop
 * unrolled DD_HLS_MACS times, weight rows burst at one byte per cycle, no
 * overlap between instructions, DRAM keeping up. Not a synthesis report:
 * deploy/fpga/README.md says how to get the real one. */
#ifndef DD_ACCEL_HLS_ESTIMATE_H
#define DD_ACCEL_HLS_ESTIMATE_H

#include <stdint.h>

#include "accel/package.h"

#define DD_HLS_MACS 16 /* ic_loop UNROLL factor: multiply-accumulates per cycle */

struct dd_hls_insn_estimate {
    uint32_t opcode;
    uint64_t macs;   /* multiply-accumulates the instruction does */
    uint64_t cycles; /* kernel cycles */
};

struct dd_hls_estimate {
    uint64_t macs, cycles;
    double ms_per_frame, fps; /* at the given clock */
    double mac_utilisation;   /* macs / (cycles * DD_HLS_MACS) */
    /* resources of the datapath (first order): DSP48E2 slices, BRAM18K blocks */
    int dsp, bram18;
};

/* per_insn: p->n_insns entries, or NULL. */
void dd_hls_estimate(const struct dd_pkg *p, double clock_mhz,
                     struct dd_hls_insn_estimate *per_insn, struct dd_hls_estimate *out);

#endif

/* The CPU backend: runs a package's program bit-exactly like the golden model,
 * faster. CONV (dense and depthwise) has its own kernels built on the qs8
 * microkernels with runtime ISA dispatch; POOL, ADD, UPSAMPLE and INPUT have
 * row-parallel kernels; D2S and LUT use the golden model's code (their cost
 * is small next to convolution). Work is split over the calling thread and
 * persistent helper threads.
 *
 * Ownership: a prepared program borrows the package (which must outlive it)
 * and owns unpacked weights and scratch; one prepared program runs one
 * inference at a time. */
#ifndef DD_ACCEL_CPU_BACKEND_H
#define DD_ACCEL_CPU_BACKEND_H

#include "accel/backend.h"
#include "accel/package.h"

struct dd_cpu_prog;

int dd_cpu_create(const struct dd_pkg *p, struct dd_cpu_prog **out, struct dd_err *err);
void dd_cpu_destroy(struct dd_cpu_prog *cp);

/* Which dot-product kernel the convolutions use ("avx512vnni", "avx2", "scalar"). */
const char *dd_cpu_kernel_name(const struct dd_cpu_prog *cp);

/* CPU time the helper threads have used so far (ns), for per-stage accounting. */
int64_t dd_cpu_helper_cpu_ns(const struct dd_cpu_prog *cp);

void dd_cpu_insn(struct dd_cpu_prog *cp, uint32_t i, int8_t *arena, const struct dd_isa_frame *f);
int dd_cpu_run(struct dd_cpu_prog *cp, int8_t *arena, const struct dd_isa_frame *f,
               struct dd_err *err);

/* The backend plug-in "cpu". */
extern const struct dd_backend_ops dd_backend_cpu;

#endif

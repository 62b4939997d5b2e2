/* The golden model: a scalar, obviously-correct executor of the instruction
 * set. It is the specification in code; every other backend (CPU SIMD, HLS
 * kernel) must produce the same bytes for every instruction. */
#ifndef DD_ACCEL_GOLDEN_H
#define DD_ACCEL_GOLDEN_H

#include "accel/backend.h"
#include "accel/package.h"

/* Checks that a frame can feed an INPUT instruction. */
int dd_isa_frame_check(const struct dd_isa_frame *f, struct dd_err *err);

/* Checks a run of instructions [first, first + count): that they exist and,
 * when one of them is INPUT, that frame can feed it. *reads_frame (if not
 * NULL) says whether one is. Every executor calls it before running. */
int dd_isa_check_range(const struct dd_pkg *p, uint32_t first, uint32_t count,
                       const struct dd_isa_frame *frame, int *reads_frame, struct dd_err *err);

/* Executes instruction i (the package is validated; the arena has
 * p->arena_size bytes). frame is read by INPUT only. */
void dd_golden_insn(const struct dd_pkg *p, uint32_t i, int8_t *arena,
                    const struct dd_isa_frame *frame);

/* Runs the whole program. Fails if it has an INPUT instruction and frame is
 * NULL or invalid. */
int dd_golden_run(const struct dd_pkg *p, int8_t *arena, const struct dd_isa_frame *frame,
                  struct dd_err *err);

/* The backend plug-in "golden". */
extern const struct dd_backend_ops dd_backend_golden;

#endif

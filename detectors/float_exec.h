/* Float reference executor: runs a prepared graph node by node with the float
 * kernels. Owns one buffer per non-constant tensor (all kept alive, so every
 * intermediate activation can be read after a run: calibration and per-layer
 * comparisons use that). The graph must outlive the executor. */
#ifndef DD_DETECTORS_FLOAT_EXEC_H
#define DD_DETECTORS_FLOAT_EXEC_H

#include "detectors/graph.h"

struct dd_float_exec;

int dd_float_exec_create(const struct dd_graph *g, struct dd_float_exec **out, struct dd_err *err);
void dd_float_exec_destroy(struct dd_float_exec *fx);

/* The graph input's buffer (shape g->tensors[g->input].shape), filled by the caller. */
float *dd_float_exec_input(struct dd_float_exec *fx);

int dd_float_exec_run(struct dd_float_exec *fx, struct dd_err *err);

/* Data of any tensor after a run (constants: their value). */
const void *dd_float_exec_tensor(const struct dd_float_exec *fx, int tensor);

#endif

/* Helpers shared by the Criterion tests. */
#ifndef DD_TESTS_COMMON_H
#define DD_TESTS_COMMON_H

#include <stddef.h>

/* Asset and test-data paths ("assets/..." -> absolute). Static buffers, one per call site style. */
const char *tc_asset(const char *rel);
const char *tc_testdata(const char *rel);

/* Reads a whole file (aborts the test on failure). Caller frees. */
void *tc_read_file(const char *path, size_t *len);

/* Runs a shell command, capturing stdout and stderr into malloc'd strings.
 * Returns the exit status (or -1 if it did not exit normally). */
int tc_run(const char *cmd, char **out, char **err);

/* A loop body run for every variant v of a kernel table (common/cpu_isa.h)
 * this CPU has; the others are logged as skipped, with the reason:
 *     EACH_VARIANT(table, n, v) { check((fn_type)v->fn); } */
#define EACH_VARIANT(table, n, v)                                                                  \
    for (size_t i_ = 0; i_ < (n); i_++)                                                            \
        for (const struct dd_kernel_variant *v = &(table)[i_]; v; v = NULL)                        \
            if (!dd_cpu_has(v->level) && (cr_log_warn("skipped %s: this CPU has no %s", v->name,   \
                                                      dd_cpu_level_name(v->level)),                \
                                          1)) {                                                    \
            } else

#endif

/* Compiles BlazeFace calibrated on the first `frames` face photos. If det_out
 * is given it receives the float detector (caller closes), if lg_out the
 * lowered graph (caller frees). */
struct dd_pkg;
struct lg_graph;
struct dd_detector;
struct dd_compile_opts;
struct dd_pkg *tc_compile_blazeface(int wbits, int frames, struct dd_detector **det_out,
                                    struct lg_graph **lg_out);
/* The same with every compile option given. */
struct dd_pkg *tc_compile_blazeface_opts(const struct dd_compile_opts *o,
                                         struct dd_detector **det_out, struct lg_graph **lg_out);

/* Graph building for op tests. Shapes are given as rank + dims. */
#include "common/cpu_isa.h"
#include "detectors/graph.h"
int tc_const_f32(struct dd_graph *g, const char *name, int rank, const int64_t *dims,
                 const float *data);
int tc_const_i32(struct dd_graph *g, const char *name, int rank, const int64_t *dims,
                 const int32_t *data);
int tc_input(struct dd_graph *g, const char *name, int rank, const int64_t *dims);
/* Adds a node with the given input tensors and n_out fresh output tensors; returns the node index.
 */
int tc_node(struct dd_graph *g, const char *name, enum dd_op op, int n_in, const int *inputs,
            int n_out);
/* Prepares g with the given output tensor, runs it on input data and returns
 * a malloc'd copy of the output (count floats). */
float *tc_run_graph(struct dd_graph *g, int output, const float *input, size_t *count);

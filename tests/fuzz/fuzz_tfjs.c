/* libFuzzer target: the TF.js graph-model importer (detectors/tfjs_import.c).
 * The input is model.json, a NUL byte, then the weight shards' bytes. A graph
 * it accepts is prepared (shapes, folding) and, when small, run by the float
 * executor on a zero input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/float_exec.h"
#include "detectors/tfjs_import.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_MACS (4ll << 20)
#define FUZZ_MAX_ELEMENTS (4ll << 20) /* over all tensors: the executor keeps each one */

static int64_t graph_elements(const struct dd_graph *g)
{
    int64_t n = 0;
    for (int t = 0; t < g->n_tensors; t++) {
        int64_t c = dd_shape_count(&g->tensors[t].shape);
        if (c < 0 || c > FUZZ_MAX_ELEMENTS) return -1;
        n += c;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t json_len = nul ? (size_t)(nul - data) : size;
    const uint8_t *weights = nul ? nul + 1 : NULL;
    size_t weights_len = nul ? size - json_len - 1 : 0;
    struct dd_graph *g = NULL;
    struct dd_err err = {{0}};
    if (dd_tfjs_parse((const char *)data, json_len, weights, weights_len, &g, &err) != 0) {
        fuzz_check_refusal(&err, "tfjs");
        dd_graph_destroy(g);
        return 0;
    }
    int64_t macs = dd_graph_macs(g);
    struct dd_float_exec *fx = NULL;
    int64_t elements = graph_elements(g);
    if (macs >= 0 && macs <= FUZZ_MAX_MACS && elements >= 0 && elements <= FUZZ_MAX_ELEMENTS) {
        if (dd_float_exec_create(g, &fx, &err) == 0) {
            if (dd_float_exec_run(fx, &err) != 0) fuzz_check_refusal(&err, "float run");
            dd_float_exec_destroy(fx);
        } else {
            fuzz_check_refusal(&err, "float executor");
        }
    }
    dd_graph_destroy(g);
    return 0;
}

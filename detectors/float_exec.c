#include "detectors/float_exec.h"

#include <stdlib.h>

#include "detectors/float_ops.h"

struct dd_float_exec {
    const struct dd_graph *g;
    void **bufs; /* per tensor; NULL for constants */
};

int dd_float_exec_create(const struct dd_graph *g, struct dd_float_exec **out, struct dd_err *err)
{
    *out = NULL;
    struct dd_float_exec *fx = calloc(1, sizeof(*fx));
    if (!fx) return dd_err_set(err, "out of memory");
    fx->g = g;
    fx->bufs = calloc((size_t)g->n_tensors, sizeof(void *));
    if (!fx->bufs) {
        free(fx);
        return dd_err_set(err, "out of memory");
    }
    for (int t = 0; t < g->n_tensors; t++) {
        const struct dd_tensor *tt = &g->tensors[t];
        if (tt->is_const || (tt->producer < 0 && t != g->input)) continue;
        int64_t cnt = dd_shape_count(&tt->shape);
        fx->bufs[t] = calloc((size_t)(cnt ? cnt : 1), dd_dtype_size(tt->dtype));
        if (!fx->bufs[t]) {
            dd_float_exec_destroy(fx);
            return dd_err_set(err, "out of memory for tensor '%s'", tt->name);
        }
    }
    *out = fx;
    return 0;
}

void dd_float_exec_destroy(struct dd_float_exec *fx)
{
    if (!fx) return;
    for (int t = 0; t < fx->g->n_tensors; t++) free(fx->bufs[t]);
    free(fx->bufs);
    free(fx);
}

float *dd_float_exec_input(struct dd_float_exec *fx)
{
    return fx->bufs[fx->g->input];
}

const void *dd_float_exec_tensor(const struct dd_float_exec *fx, int tensor)
{
    const struct dd_tensor *t = &fx->g->tensors[tensor];
    return t->is_const ? t->data : fx->bufs[tensor];
}

int dd_float_exec_run(struct dd_float_exec *fx, struct dd_err *err)
{
    const struct dd_graph *g = fx->g;
    for (int i = 0; i < g->n_nodes; i++) {
        const struct dd_node *nd = &g->nodes[i];
        const void *in[DD_MAX_NODE_INPUTS];
        void *out[DD_MAX_NODE_OUTPUTS];
        for (int k = 0; k < nd->n_inputs; k++) in[k] = dd_float_exec_tensor(fx, nd->inputs[k]);
        for (int k = 0; k < nd->n_outputs; k++) out[k] = fx->bufs[nd->outputs[k]];
        if (dd_float_op_run(g, nd, in, out, err) != 0)
            return dd_err_prefix(err, "node '%s'", nd->name);
    }
    return 0;
}

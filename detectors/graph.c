#include "detectors/graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/float_ops.h"
#include "detectors/graph_shapes.h"

static const char *const op_names[DD_OP_COUNT_] = {
    [DD_OP_CONV2D] = "Conv2D",
    [DD_OP_DEPTHWISE_CONV2D] = "DepthwiseConv2dNative",
    [DD_OP_ADD] = "Add",
    [DD_OP_MUL] = "Mul",
    [DD_OP_RELU] = "Relu",
    [DD_OP_RELU6] = "Relu6",
    [DD_OP_LEAKY_RELU] = "LeakyRelu",
    [DD_OP_SIGMOID] = "Sigmoid",
    [DD_OP_MAX_POOL] = "MaxPool",
    [DD_OP_AVG_POOL] = "AvgPool",
    [DD_OP_PAD] = "Pad",
    [DD_OP_TRANSPOSE] = "Transpose",
    [DD_OP_RESHAPE] = "Reshape",
    [DD_OP_CONCAT] = "ConcatV2",
    [DD_OP_SPLITV] = "SplitV",
    [DD_OP_RESIZE_BILINEAR] = "ResizeBilinear",
    [DD_OP_RESIZE_NEAREST] = "ResizeNearestNeighbor",
    [DD_OP_SPARSE_TO_DENSE] = "SparseToDense",
    [DD_OP_IDENTITY] = "Identity",
};

const char *dd_op_name(enum dd_op op)
{
    return (op >= 0 && op < DD_OP_COUNT_) ? op_names[op] : "?";
}

size_t dd_dtype_size(enum dd_dtype dt)
{
    (void)dt;
    return 4; /* both float32 and int32 */
}

int64_t dd_shape_count(const struct dd_shape *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) {
        if (s->d[i] < 0 || (s->d[i] > 0 && n > INT64_MAX / s->d[i])) return -1;
        n *= s->d[i];
    }
    return n;
}

const char *dd_shape_str(const struct dd_shape *s, char *buf, size_t len)
{
    size_t off = 0;
    off += (size_t)snprintf(buf + off, len - off, "[");
    for (int i = 0; i < s->rank && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, i ? ",%lld" : "%lld", (long long)s->d[i]);
    if (off < len) snprintf(buf + off, len - off, "]");
    return buf;
}

struct dd_graph *dd_graph_create(void)
{
    struct dd_graph *g = calloc(1, sizeof(*g));
    if (g) g->input = -1;
    return g;
}

void dd_graph_destroy(struct dd_graph *g)
{
    if (!g) return;
    for (int i = 0; i < g->n_tensors; i++) {
        free(g->tensors[i].name);
        free(g->tensors[i].data);
    }
    for (int i = 0; i < g->n_nodes; i++) free(g->nodes[i].name);
    free(g->tensors);
    free(g->nodes);
    free(g);
}

int dd_graph_add_tensor(struct dd_graph *g, const char *name, enum dd_dtype dtype)
{
    if (g->n_tensors == g->cap_tensors) {
        int cap = g->cap_tensors ? g->cap_tensors * 2 : 64;
        struct dd_tensor *t = realloc(g->tensors, (size_t)cap * sizeof(*t));
        if (!t) return -1;
        g->tensors = t;
        g->cap_tensors = cap;
    }
    struct dd_tensor *t = &g->tensors[g->n_tensors];
    memset(t, 0, sizeof(*t));
    t->name = strdup(name);
    if (!t->name) return -1;
    t->dtype = dtype;
    t->producer = -1;
    return g->n_tensors++;
}

int dd_graph_add_node(struct dd_graph *g, const char *name, enum dd_op op)
{
    if (g->n_nodes == g->cap_nodes) {
        int cap = g->cap_nodes ? g->cap_nodes * 2 : 64;
        struct dd_node *n = realloc(g->nodes, (size_t)cap * sizeof(*n));
        if (!n) return -1;
        g->nodes = n;
        g->cap_nodes = cap;
    }
    struct dd_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof(*n));
    n->name = strdup(name);
    if (!n->name) return -1;
    n->op = op;
    n->attrs.bias_input = -1;
    n->attrs.strides[0] = n->attrs.strides[1] = 1;
    n->attrs.dilations[0] = n->attrs.dilations[1] = 1;
    return g->n_nodes++;
}

int dd_graph_find_tensor(const struct dd_graph *g, const char *name)
{
    for (int i = 0; i < g->n_tensors; i++)
        if (strcmp(g->tensors[i].name, name) == 0) return i;
    return -1;
}

/* Kahn's algorithm over tensor readiness. */
static int topo_sort(struct dd_graph *g, struct dd_err *err)
{
    int n = g->n_nodes;
    struct dd_node *sorted = malloc((size_t)(n ? n : 1) * sizeof(*sorted));
    bool *ready = calloc((size_t)(g->n_tensors ? g->n_tensors : 1), sizeof(bool));
    bool *done = calloc((size_t)(n ? n : 1), sizeof(bool));
    if (!sorted || !ready || !done) {
        free(sorted);
        free(ready);
        free(done);
        return dd_err_set(err, "out of memory");
    }
    for (int t = 0; t < g->n_tensors; t++) ready[t] = g->tensors[t].is_const || t == g->input;
    int count = 0;
    bool progress = true;
    while (count < n && progress) {
        progress = false;
        for (int i = 0; i < n; i++) {
            if (done[i]) continue;
            const struct dd_node *nd = &g->nodes[i];
            bool ok = true;
            for (int k = 0; k < nd->n_inputs && ok; k++) ok = ready[nd->inputs[k]];
            if (!ok) continue;
            for (int k = 0; k < nd->n_outputs; k++) ready[nd->outputs[k]] = true;
            sorted[count++] = *nd;
            done[i] = true;
            progress = true;
        }
    }
    int rc = 0;
    if (count < n) {
        for (int i = 0; i < n; i++) {
            if (!done[i]) {
                rc = dd_err_set(err,
                                "node '%s' (%s): inputs never computed (cycle or missing input)",
                                g->nodes[i].name, dd_op_name(g->nodes[i].op));
                break;
            }
        }
        free(sorted);
    } else {
        free(g->nodes);
        g->nodes = sorted;
        g->cap_nodes = n ? n : 1;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < g->nodes[i].n_outputs; k++)
                g->tensors[g->nodes[i].outputs[k]].producer = i;
    }
    free(ready);
    free(done);
    return rc;
}

static bool node_all_const(const struct dd_graph *g, const struct dd_node *nd)
{
    for (int k = 0; k < nd->n_inputs; k++)
        if (!g->tensors[nd->inputs[k]].is_const) return false;
    return true;
}

/* Evaluates a node whose inputs are all constants and turns its outputs into constants. */
static int fold_node(struct dd_graph *g, const struct dd_node *nd, struct dd_err *err)
{
    const void *in[DD_MAX_NODE_INPUTS];
    void *out[DD_MAX_NODE_OUTPUTS] = {0};
    for (int k = 0; k < nd->n_inputs; k++) in[k] = g->tensors[nd->inputs[k]].data;
    for (int k = 0; k < nd->n_outputs; k++) {
        struct dd_tensor *t = &g->tensors[nd->outputs[k]];
        int64_t cnt = dd_shape_count(&t->shape);
        out[k] = calloc((size_t)(cnt ? cnt : 1), dd_dtype_size(t->dtype));
        if (!out[k]) {
            for (int j = 0; j < k; j++) free(out[j]);
            return dd_err_set(err, "out of memory folding '%s'", nd->name);
        }
    }
    if (dd_float_op_run(g, nd, in, out, err) != 0) {
        for (int k = 0; k < nd->n_outputs; k++) free(out[k]);
        return dd_err_prefix(err, "folding constant node '%s'", nd->name);
    }
    for (int k = 0; k < nd->n_outputs; k++) {
        struct dd_tensor *t = &g->tensors[nd->outputs[k]];
        t->data = out[k];
        t->is_const = true;
        t->producer = -1;
    }
    return 0;
}

/* Drops folded nodes and nodes whose outputs no graph output depends on. */
static void remove_dead_nodes(struct dd_graph *g)
{
    bool *live = calloc((size_t)(g->n_tensors ? g->n_tensors : 1), sizeof(bool));
    if (!live) return; /* keeping dead nodes is harmless */
    for (int i = 0; i < g->n_outputs; i++) live[g->outputs[i]] = true;
    int w = g->n_nodes;
    bool *keep = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof(bool));
    if (!keep) {
        free(live);
        return;
    }
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        struct dd_node *nd = &g->nodes[i];
        bool used = false;
        for (int k = 0; k < nd->n_outputs; k++)
            used |= live[nd->outputs[k]] && !g->tensors[nd->outputs[k]].is_const;
        if (!used) continue;
        keep[i] = true;
        for (int k = 0; k < nd->n_inputs; k++) live[nd->inputs[k]] = true;
    }
    w = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        if (keep[i]) {
            g->nodes[w++] = g->nodes[i];
        } else {
            free(g->nodes[i].name);
        }
    }
    g->n_nodes = w;
    for (int t = 0; t < g->n_tensors; t++) g->tensors[t].producer = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_outputs; k++)
            g->tensors[g->nodes[i].outputs[k]].producer = i;
    free(keep);
    free(live);
}

int dd_graph_prepare(struct dd_graph *g, struct dd_err *err)
{
    if (g->input < 0) return dd_err_set(err, "graph has no input");
    if (g->n_outputs == 0) return dd_err_set(err, "graph has no outputs");
    if (topo_sort(g, err) != 0) return -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const struct dd_node *nd = &g->nodes[i];
        if (dd_graph_infer_shapes(g, nd, err) != 0)
            return dd_err_prefix(err, "node '%s' (%s)", nd->name, dd_op_name(nd->op));
        if (node_all_const(g, nd) && fold_node(g, nd, err) != 0) return -1;
    }
    for (int i = 0; i < g->n_outputs; i++)
        if (g->tensors[g->outputs[i]].is_const)
            return dd_err_set(err, "output '%s' does not depend on the input",
                              g->tensors[g->outputs[i]].name);
    remove_dead_nodes(g);
    return 0;
}

int64_t dd_graph_macs(const struct dd_graph *g)
{
    int64_t macs = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const struct dd_node *nd = &g->nodes[i];
        if (nd->op != DD_OP_CONV2D && nd->op != DD_OP_DEPTHWISE_CONV2D) continue;
        const struct dd_shape *w = &g->tensors[nd->inputs[1]].shape;
        const struct dd_shape *o = &g->tensors[nd->outputs[0]].shape;
        int64_t per_out = w->d[0] * w->d[1] * (nd->op == DD_OP_CONV2D ? w->d[2] : 1);
        macs += dd_shape_count(o) * per_out;
    }
    return macs;
}

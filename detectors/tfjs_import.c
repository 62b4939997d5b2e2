#include "detectors/tfjs_import.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/half.h"

#define MAX_NAME 512

/* ---- small helpers ------------------------------------------------------ */

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decodes a base64 attribute string (TF.js stores attr "s" values this way). */
static int b64_decode(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (; *in && *in != '='; in++) {
        int v = b64_value(*in);
        if (v < 0) return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o + 1 >= cap) return -1;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    return 0;
}

static const cJSON *attr(const cJSON *node, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(node, "attr"), name);
}

static int attr_string(const cJSON *node, const char *name, char *out, size_t cap)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(attr(node, name), "s");
    if (!cJSON_IsString(s)) return -1;
    return b64_decode(s->valuestring, out, cap);
}

/* Reads attr name's list of ints (values are JSON strings or numbers). */
static int attr_ints(const cJSON *node, const char *name, long long *out, int max)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(attr(node, name), "list");
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(list, "i");
    if (!cJSON_IsArray(arr)) return -1;
    int n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (n >= max) return -1;
        if (cJSON_IsString(it)) {
            char *end;
            out[n++] = strtoll(it->valuestring, &end, 10);
            if (*end) return -1;
        } else if (cJSON_IsNumber(it)) {
            out[n++] = (long long)it->valuedouble;
        } else {
            return -1;
        }
    }
    return n;
}

static bool attr_bool(const cJSON *node, const char *name)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(attr(node, name), "b"));
}

static int attr_float(const cJSON *node, const char *name, float *out)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(attr(node, name), "f");
    if (!cJSON_IsNumber(f)) return -1;
    *out = (float)f->valuedouble;
    return 0;
}

static long long json_int(const cJSON *v, bool *ok)
{
    /* in range before the cast: converting an out-of-range double is undefined */
    if (cJSON_IsNumber(v) && v->valuedouble > -9e18 && v->valuedouble < 9e18 &&
        v->valuedouble == (double)(long long)v->valuedouble)
        return (long long)v->valuedouble;
    if (cJSON_IsString(v)) {
        char *end;
        long long r = strtoll(v->valuestring, &end, 10);
        if (*end == '\0' && end != v->valuestring) return r;
    }
    *ok = false;
    return 0;
}

/* ---- weights ------------------------------------------------------------ */

static int import_weight(struct dd_graph *g, const cJSON *w, const unsigned char *buf, size_t len,
                         size_t *off, struct dd_err *err)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(w, "name");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(w, "shape");
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(w, "dtype");
    const cJSON *quant = cJSON_GetObjectItemCaseSensitive(w, "quantization");
    if (!cJSON_IsString(name) || !cJSON_IsArray(shape) || !cJSON_IsString(dtype))
        return dd_err_set(err, "weights manifest entry without name, shape or dtype");
    const char *nm = name->valuestring;
    struct dd_shape s = {0};
    if (cJSON_GetArraySize(shape) > DD_MAX_RANK)
        return dd_err_set(err, "weight '%s': rank above %d", nm, DD_MAX_RANK);
    int64_t count = 1;
    const cJSON *it;
    cJSON_ArrayForEach(it, shape)
    {
        bool ok = true;
        long long d = json_int(it, &ok);
        if (!ok || d < 0 || d > INT_MAX) return dd_err_set(err, "weight '%s': bad shape", nm);
        s.d[s.rank++] = d;
        count *= d;
        if (count > ((int64_t)1 << 31)) return dd_err_set(err, "weight '%s': too large", nm);
    }
    enum dd_dtype dt;
    if (strcmp(dtype->valuestring, "float32") == 0)
        dt = DD_DTYPE_F32;
    else if (strcmp(dtype->valuestring, "int32") == 0)
        dt = DD_DTYPE_I32;
    else
        return dd_err_set(err, "weight '%s': unsupported dtype '%s'", nm, dtype->valuestring);

    int qbytes = 4;
    const char *qdt = NULL;
    float qmin = 0.0f, qscale = 1.0f;
    if (quant) {
        const cJSON *qd = cJSON_GetObjectItemCaseSensitive(quant, "dtype");
        if (!cJSON_IsString(qd))
            return dd_err_set(err, "weight '%s': quantization without dtype", nm);
        qdt = qd->valuestring;
        if (strcmp(qdt, "float16") == 0 && dt == DD_DTYPE_F32) {
            qbytes = 2;
        } else if ((strcmp(qdt, "uint8") == 0 || strcmp(qdt, "uint16") == 0) &&
                   dt == DD_DTYPE_F32) {
            qbytes = qdt[4] == '8' ? 1 : 2;
            const cJSON *mn = cJSON_GetObjectItemCaseSensitive(quant, "min");
            const cJSON *sc = cJSON_GetObjectItemCaseSensitive(quant, "scale");
            if (!cJSON_IsNumber(mn) || !cJSON_IsNumber(sc))
                return dd_err_set(err, "weight '%s': %s quantization needs min and scale", nm, qdt);
            qmin = (float)mn->valuedouble;
            qscale = (float)sc->valuedouble;
        } else {
            return dd_err_set(err, "weight '%s': unsupported quantization '%s' of %s", nm, qdt,
                              dtype->valuestring);
        }
    }
    size_t bytes = (size_t)count * (size_t)qbytes;
    if (*off > len || bytes > len - *off)
        return dd_err_set(
            err, "weight '%s': weights data too short (need %zu bytes at offset %zu, have %zu)", nm,
            bytes, *off, len);
    if (dd_graph_find_tensor(g, nm) >= 0) return dd_err_set(err, "weight '%s' defined twice", nm);
    int t = dd_graph_add_tensor(g, nm, dt);
    if (t < 0) return dd_err_set(err, "out of memory");
    struct dd_tensor *tt = &g->tensors[t];
    tt->shape = s;
    tt->is_const = true;
    tt->data = malloc((size_t)(count ? count : 1) * 4);
    if (!tt->data) return dd_err_set(err, "out of memory");
    const unsigned char *src = buf + *off;
    if (!qdt) {
        memcpy(tt->data, src, bytes); /* little-endian host, as TF.js writes */
    } else {
        float *dst = tt->data;
        for (int64_t i = 0; i < count; i++) {
            uint16_t h = 0;
            if (qbytes == 2) memcpy(&h, src + 2 * i, 2);
            if (qdt[0] == 'f')
                dst[i] = dd_half_to_float(h);
            else
                dst[i] = qmin + qscale * (float)(qbytes == 1 ? src[i] : h);
        }
    }
    *off += bytes;
    return 0;
}

static int import_weights(struct dd_graph *g, const cJSON *manifest, const unsigned char *buf,
                          size_t len, struct dd_err *err)
{
    size_t off = 0;
    const cJSON *group;
    cJSON_ArrayForEach(group, manifest)
    {
        const cJSON *ws = cJSON_GetObjectItemCaseSensitive(group, "weights");
        if (!cJSON_IsArray(ws)) return dd_err_set(err, "weights manifest group without weights");
        const cJSON *w;
        cJSON_ArrayForEach(w, ws) if (import_weight(g, w, buf, len, &off, err) != 0) return -1;
    }
    if (off != len)
        return dd_err_set(err, "weights data is %zu bytes, the manifest describes %zu", len, off);
    return 0;
}

/* ---- nodes -------------------------------------------------------------- */

struct op_map {
    const char *tf;
    enum dd_op op;
};

static const struct op_map op_table[] = {
    {"Conv2D", DD_OP_CONV2D},
    {"_FusedConv2D", DD_OP_CONV2D},
    {"DepthwiseConv2dNative", DD_OP_DEPTHWISE_CONV2D},
    {"FusedDepthwiseConv2dNative", DD_OP_DEPTHWISE_CONV2D},
    {"Add", DD_OP_ADD},
    {"AddV2", DD_OP_ADD},
    {"BiasAdd", DD_OP_ADD},
    {"Mul", DD_OP_MUL},
    {"Relu", DD_OP_RELU},
    {"Relu6", DD_OP_RELU6},
    {"LeakyRelu", DD_OP_LEAKY_RELU},
    {"Sigmoid", DD_OP_SIGMOID},
    {"MaxPool", DD_OP_MAX_POOL},
    {"AvgPool", DD_OP_AVG_POOL},
    {"Pad", DD_OP_PAD},
    {"PadV2", DD_OP_PAD},
    {"Transpose", DD_OP_TRANSPOSE},
    {"Reshape", DD_OP_RESHAPE},
    {"ConcatV2", DD_OP_CONCAT},
    {"SplitV", DD_OP_SPLITV},
    {"ResizeBilinear", DD_OP_RESIZE_BILINEAR},
    {"ResizeNearestNeighbor", DD_OP_RESIZE_NEAREST},
    {"SparseToDense", DD_OP_SPARSE_TO_DENSE},
    {"Identity", DD_OP_IDENTITY},
};

static int parse_conv_attrs(const cJSON *node, const char *name, struct dd_node *nd,
                            struct dd_err *err)
{
    char buf[64];
    long long v[4];
    if (attr_string(node, "data_format", buf, sizeof(buf)) == 0 && strcmp(buf, "NHWC") != 0)
        return dd_err_set(err, "node '%s': data_format %s is not supported (NHWC only)", name, buf);
    if (attr_string(node, "padding", buf, sizeof(buf)) != 0)
        return dd_err_set(err, "node '%s': missing padding", name);
    if (strcmp(buf, "SAME") == 0)
        nd->attrs.padding = DD_PADDING_SAME;
    else if (strcmp(buf, "VALID") == 0)
        nd->attrs.padding = DD_PADDING_VALID;
    else
        return dd_err_set(err, "node '%s': padding %s is not supported", name, buf);
    if (attr_ints(node, "strides", v, 4) != 4 || v[0] != 1 || v[3] != 1)
        return dd_err_set(err, "node '%s': bad strides", name);
    nd->attrs.strides[0] = (int)v[1];
    nd->attrs.strides[1] = (int)v[2];
    int nk = attr_ints(node, "ksize", v, 4);
    if (nk == 4) {
        if (v[0] != 1 || v[3] != 1) return dd_err_set(err, "node '%s': bad ksize", name);
        nd->attrs.ksize[0] = (int)v[1];
        nd->attrs.ksize[1] = (int)v[2];
    } else if (nd->op == DD_OP_MAX_POOL || nd->op == DD_OP_AVG_POOL) {
        return dd_err_set(err, "node '%s': missing ksize", name);
    }
    if (attr_ints(node, "dilations", v, 4) == 4) {
        if (v[0] != 1 || v[3] != 1) return dd_err_set(err, "node '%s': bad dilations", name);
        nd->attrs.dilations[0] = (int)v[1];
        nd->attrs.dilations[1] = (int)v[2];
    }
    return 0;
}

/* _FusedConv2D / FusedDepthwiseConv2dNative: fused_ops is a list of base64 op names. */
static int parse_fused_ops(const cJSON *node, const char *name, struct dd_node *nd,
                           struct dd_err *err)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(attr(node, "fused_ops"), "list");
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(list, "s");
    if (!arr) return 0;
    const cJSON *it;
    int idx = 0;
    cJSON_ArrayForEach(it, arr)
    {
        char op[64];
        if (!cJSON_IsString(it) || b64_decode(it->valuestring, op, sizeof(op)) != 0)
            return dd_err_set(err, "node '%s': bad fused_ops", name);
        if (idx == 0 && strcmp(op, "BiasAdd") == 0) {
            nd->attrs.bias_input = 2;
        } else if (idx > 0 && strcmp(op, "Relu") == 0) {
            nd->attrs.act = DD_ACT_RELU;
        } else if (idx > 0 && strcmp(op, "Relu6") == 0) {
            nd->attrs.act = DD_ACT_RELU6;
        } else if (idx > 0 && strcmp(op, "LeakyRelu") == 0) {
            nd->attrs.act = DD_ACT_LEAKY_RELU;
            if (attr_float(node, "leakyrelu_alpha", &nd->attrs.alpha) != 0) nd->attrs.alpha = 0.2f;
        } else {
            return dd_err_set(err, "node '%s': unsupported fused op '%s'", name, op);
        }
        idx++;
    }
    return 0;
}

/* Splits an input reference "name", "name:k" or "^name" (control: returns 1). */
static int parse_input_ref(const char *ref, char *name, size_t cap, int *port)
{
    if (ref[0] == '^') return 1;
    size_t n = strlen(ref);
    if (n + 1 > cap) return -1;
    memcpy(name, ref, n + 1);
    *port = 0;
    char *colon = strrchr(name, ':');
    if (colon) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (*end == '\0' && end != colon + 1 && p >= 0 && p < DD_MAX_NODE_OUTPUTS) {
            *port = (int)p;
            *colon = '\0';
        }
    }
    return 0;
}

/* Tensor name of a node's output port; -1 if it does not fit in cap. */
static int output_name(const char *node, int port, char *out, size_t cap)
{
    int n = port == 0 ? snprintf(out, cap, "%s", node) : snprintf(out, cap, "%s:%d", node, port);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int parse_placeholder(struct dd_graph *g, const cJSON *node, const char *name,
                             struct dd_err *err)
{
    if (g->input >= 0) return dd_err_set(err, "node '%s': more than one graph input", name);
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(attr(node, "shape"), "shape");
    const cJSON *dims = cJSON_GetObjectItemCaseSensitive(sh, "dim");
    if (!cJSON_IsArray(dims) || cJSON_GetArraySize(dims) > DD_MAX_RANK)
        return dd_err_set(err, "input '%s': missing or bad shape", name);
    int t = dd_graph_add_tensor(g, name, DD_DTYPE_F32);
    if (t < 0) return dd_err_set(err, "out of memory");
    struct dd_shape *s = &g->tensors[t].shape;
    const cJSON *d;
    cJSON_ArrayForEach(d, dims)
    {
        bool ok = true;
        long long v = json_int(cJSON_GetObjectItemCaseSensitive(d, "size"), &ok);
        if (!ok || v == 0 || v < -1 || v > 16384)
            return dd_err_set(err, "input '%s': dimension %d must be a positive size", name,
                              s->rank);
        if (v == -1) {
            if (s->rank != 0)
                return dd_err_set(err, "input '%s': only the batch may be unknown", name);
            v = 1;
        }
        s->d[s->rank++] = v;
    }
    g->input = t;
    return 0;
}

static const char *node_name(const cJSON *node)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(node, "name");
    return cJSON_IsString(n) ? n->valuestring : NULL;
}

static const char *node_op(const cJSON *node)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(node, "op");
    return cJSON_IsString(o) ? o->valuestring : NULL;
}

/* First pass: creates the node and its output tensors (inputs resolved later). */
static int declare_node(struct dd_graph *g, const cJSON *node, struct dd_err *err)
{
    const char *name = node_name(node), *op = node_op(node);
    if (!name || !op) return dd_err_set(err, "graph node without name or op");
    if (strlen(name) >= MAX_NAME - 8) return dd_err_set(err, "node name too long");
    if (strcmp(op, "Const") == 0) {
        int t = dd_graph_find_tensor(g, name);
        if (t < 0 || !g->tensors[t].is_const)
            return dd_err_set(err, "constant '%s' has no data in the weights manifest", name);
        return 0;
    }
    if (strcmp(op, "Placeholder") == 0) return parse_placeholder(g, node, name, err);
    if (strcmp(op, "NoOp") == 0) return 0;
    const struct op_map *m = NULL;
    for (size_t i = 0; i < sizeof(op_table) / sizeof(op_table[0]); i++)
        if (strcmp(op_table[i].tf, op) == 0) m = &op_table[i];
    if (!m) return dd_err_set(err, "unsupported op '%s' in node '%s'", op, name);
    if (dd_graph_find_tensor(g, name) >= 0) return dd_err_set(err, "node '%s' defined twice", name);
    int ni = dd_graph_add_node(g, name, m->op);
    if (ni < 0) return dd_err_set(err, "out of memory");
    struct dd_node *nd = &g->nodes[ni];
    int nout = 1;
    if (m->op == DD_OP_SPLITV) {
        const cJSON *ns = cJSON_GetObjectItemCaseSensitive(attr(node, "num_split"), "i");
        bool ok = true;
        long long v = json_int(ns, &ok);
        if (!ok || v < 1 || v > DD_MAX_NODE_OUTPUTS)
            return dd_err_set(err, "node '%s': num_split must be 1..%d", name, DD_MAX_NODE_OUTPUTS);
        nout = (int)v;
    }
    for (int k = 0; k < nout; k++) {
        char tn[MAX_NAME];
        if (output_name(name, k, tn, sizeof(tn)) != 0) return dd_err_set(err, "name too long");
        int t = dd_graph_add_tensor(g, tn, DD_DTYPE_F32);
        if (t < 0) return dd_err_set(err, "out of memory");
        nd = &g->nodes[ni];
        nd->outputs[nd->n_outputs++] = t;
    }
    switch (m->op) {
    case DD_OP_CONV2D:
    case DD_OP_DEPTHWISE_CONV2D:
    case DD_OP_MAX_POOL:
    case DD_OP_AVG_POOL:
        if (parse_conv_attrs(node, name, nd, err) != 0) return -1;
        if (strncmp(op, "Fused", 5) == 0 || op[0] == '_')
            if (parse_fused_ops(node, name, nd, err) != 0) return -1;
        break;
    case DD_OP_LEAKY_RELU:
        if (attr_float(node, "alpha", &nd->attrs.alpha) != 0) nd->attrs.alpha = 0.2f;
        break;
    case DD_OP_RESIZE_BILINEAR:
    case DD_OP_RESIZE_NEAREST:
        nd->attrs.align_corners = attr_bool(node, "align_corners");
        nd->attrs.half_pixel_centers = attr_bool(node, "half_pixel_centers");
        break;
    default:
        break;
    }
    return 0;
}

static int connect_node(struct dd_graph *g, const cJSON *node, int *next_node, struct dd_err *err)
{
    const char *name = node_name(node), *op = node_op(node);
    if (strcmp(op, "Const") == 0 || strcmp(op, "Placeholder") == 0 || strcmp(op, "NoOp") == 0)
        return 0;
    struct dd_node *nd = &g->nodes[(*next_node)++];
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(node, "input");
    const cJSON *it;
    cJSON_ArrayForEach(it, inputs)
    {
        if (!cJSON_IsString(it)) return dd_err_set(err, "node '%s': bad input list", name);
        char in_name[MAX_NAME], tn[MAX_NAME];
        int port;
        int rc = parse_input_ref(it->valuestring, in_name, sizeof(in_name), &port);
        if (rc == 1) continue;
        if (rc < 0) return dd_err_set(err, "node '%s': bad input '%s'", name, it->valuestring);
        if (output_name(in_name, port, tn, sizeof(tn)) != 0)
            return dd_err_set(err, "node '%s': input name too long", name);
        int t = dd_graph_find_tensor(g, tn);
        if (t < 0)
            return dd_err_set(err, "node '%s': input '%s' is not defined", name, it->valuestring);
        if (nd->n_inputs == DD_MAX_NODE_INPUTS)
            return dd_err_set(err, "node '%s': more than %d inputs", name, DD_MAX_NODE_INPUTS);
        nd->inputs[nd->n_inputs++] = t;
    }
    if (nd->attrs.bias_input >= nd->n_inputs)
        return dd_err_set(err, "node '%s': fused BiasAdd without a bias input", name);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int set_outputs(struct dd_graph *g, const cJSON *root, struct dd_err *err)
{
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(root, "signature");
    if (!sig)
        sig = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(root, "userDefinedMetadata"), "signature");
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(sig, "outputs");
    const char *names[DD_MAX_NODE_OUTPUTS * 4];
    int n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, outs)
    {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
        if (!cJSON_IsString(nm)) return dd_err_set(err, "signature output without a name");
        if (n == (int)(sizeof(names) / sizeof(names[0])))
            return dd_err_set(err, "too many outputs");
        names[n++] = nm->valuestring;
    }
    if (n == 0) { /* no signature: every node output nothing consumes */
        for (int i = 0; i < g->n_nodes; i++)
            for (int k = 0; k < g->nodes[i].n_outputs; k++) {
                int t = g->nodes[i].outputs[k];
                bool used = false;
                for (int j = 0; j < g->n_nodes && !used; j++)
                    for (int q = 0; q < g->nodes[j].n_inputs; q++)
                        used |= g->nodes[j].inputs[q] == t;
                if (used) continue;
                if (n == (int)(sizeof(names) / sizeof(names[0])))
                    return dd_err_set(err, "too many outputs");
                names[n++] = g->tensors[t].name;
            }
    }
    qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
    for (int i = 0; i < n; i++) {
        char nm[MAX_NAME], tn[MAX_NAME];
        int port;
        if (parse_input_ref(names[i], nm, sizeof(nm), &port) != 0)
            return dd_err_set(err, "bad output name '%s'", names[i]);
        if (output_name(nm, port, tn, sizeof(tn)) != 0)
            return dd_err_set(err, "output name too long");
        int t = dd_graph_find_tensor(g, tn);
        if (t < 0) return dd_err_set(err, "output '%s' is not produced by the graph", names[i]);
        g->outputs[g->n_outputs++] = t;
    }
    return 0;
}

static int import_root(const cJSON *root, const unsigned char *weights, size_t weights_len,
                       struct dd_graph **out, struct dd_err *err)
{
    *out = NULL;
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (cJSON_IsString(format) && strcmp(format->valuestring, "graph-model") != 0)
        return dd_err_set(err, "format '%s' is not a TF.js graph-model", format->valuestring);
    const cJSON *topo = cJSON_GetObjectItemCaseSensitive(root, "modelTopology");
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(topo, "node");
    const cJSON *manifest = cJSON_GetObjectItemCaseSensitive(root, "weightsManifest");
    if (!cJSON_IsArray(nodes)) return dd_err_set(err, "modelTopology.node is missing");
    if (!cJSON_IsArray(manifest)) return dd_err_set(err, "weightsManifest is missing");
    struct dd_graph *g = dd_graph_create();
    if (!g) return dd_err_set(err, "out of memory");
    int next = 0;
    const cJSON *node;
    if (import_weights(g, manifest, weights, weights_len, err) != 0) goto fail;
    cJSON_ArrayForEach(node, nodes) if (declare_node(g, node, err) != 0) goto fail;
    cJSON_ArrayForEach(node, nodes) if (connect_node(g, node, &next, err) != 0) goto fail;
    if (g->input < 0) {
        dd_err_set(err, "graph has no Placeholder input");
        goto fail;
    }
    if (set_outputs(g, root, err) != 0) goto fail;
    if (dd_graph_prepare(g, err) != 0) goto fail;
    *out = g;
    return 0;
fail:
    dd_graph_destroy(g);
    return -1;
}

static int parse_json(const char *json, size_t len, cJSON **root, struct dd_err *err)
{
    const char *end = NULL;
    *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!*root) {
        size_t at = end && end >= json ? (size_t)(end - json) : 0;
        return dd_err_set(err, "not valid JSON (error near byte %zu)", at);
    }
    return 0;
}

int dd_tfjs_parse(const char *json, size_t json_len, const unsigned char *weights,
                  size_t weights_len, struct dd_graph **out, struct dd_err *err)
{
    cJSON *root;
    if (parse_json(json, json_len, &root, err) != 0) return -1;
    int rc = import_root(root, weights, weights_len, out, err);
    cJSON_Delete(root);
    return rc;
}

/* Reads every shard the manifest names (relative to dir) into one buffer. */
static int read_shards(const cJSON *root, const char *dir, unsigned char **buf, size_t *len,
                       struct dd_err *err)
{
    *buf = NULL;
    *len = 0;
    const cJSON *manifest = cJSON_GetObjectItemCaseSensitive(root, "weightsManifest");
    const cJSON *group, *p;
    cJSON_ArrayForEach(group, manifest)
    {
        const cJSON *paths = cJSON_GetObjectItemCaseSensitive(group, "paths");
        if (!cJSON_IsArray(paths)) return dd_err_set(err, "weights manifest group without paths");
        cJSON_ArrayForEach(p, paths)
        {
            if (!cJSON_IsString(p) || p->valuestring[0] == '/' || strstr(p->valuestring, ".."))
                return dd_err_set(
                    err, "weights path must be a relative name inside the model directory");
            char path[PATH_MAX];
            if (snprintf(path, sizeof(path), "%s/%s", dir, p->valuestring) >= (int)sizeof(path))
                return dd_err_set(err, "weights path too long");
            char *data;
            size_t n;
            if (dd_file_read(path, DD_TFJS_MAX_WEIGHT_BYTES - *len, &data, &n, err) != 0) return -1;
            unsigned char *nb = realloc(*buf, *len + n + 1);
            if (!nb) {
                free(data);
                return dd_err_set(err, "out of memory");
            }
            memcpy(nb + *len, data, n);
            free(data);
            *buf = nb;
            *len += n;
        }
    }
    return 0;
}

int dd_tfjs_load(const char *json_path, struct dd_graph **out, struct dd_err *err)
{
    *out = NULL;
    char *json;
    size_t json_len;
    if (dd_file_read(json_path, DD_TFJS_MAX_JSON_BYTES, &json, &json_len, err) != 0) return -1;
    cJSON *root;
    if (parse_json(json, json_len, &root, err) != 0) {
        free(json);
        return dd_err_prefix(err, "%s", json_path);
    }
    free(json);
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", json_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof(dir), ".");
    unsigned char *weights = NULL;
    size_t wlen = 0;
    int rc = read_shards(root, dir, &weights, &wlen, err);
    if (rc == 0) rc = import_root(root, weights, wlen, out, err);
    free(weights);
    cJSON_Delete(root);
    return rc == 0 ? 0 : dd_err_prefix(err, "%s", json_path);
}

static bool is_tfjs_json(const char *path)
{
    char *data;
    size_t n;
    struct dd_err e;
    if (dd_file_read(path, DD_TFJS_MAX_JSON_BYTES, &data, &n, &e) != 0) return false;
    bool yes = strstr(data, "\"modelTopology\"") != NULL;
    free(data);
    return yes;
}

int dd_tfjs_find_in_dir(const char *dir, char *path_out, size_t len, struct dd_err *err)
{
    DIR *d = opendir(dir);
    if (!d) return dd_err_set(err, "%s: cannot open model directory", dir);
    int found = 0;
    struct dirent *e;
    char first[PATH_MAX] = "";
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0) continue;
        char p[PATH_MAX];
        if (snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= (int)sizeof(p)) continue;
        if (!is_tfjs_json(p)) continue;
        if (found++ == 0) snprintf(first, sizeof(first), "%s", p);
    }
    closedir(d);
    if (found == 0) return dd_err_set(err, "%s: no TF.js model JSON in directory", dir);
    if (found > 1)
        return dd_err_set(err, "%s: %d model JSON files, expected exactly one", dir, found);
    if (snprintf(path_out, len, "%s", first) >= (int)len) return dd_err_set(err, "path too long");
    return 0;
}

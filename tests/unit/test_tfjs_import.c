/* TF.js importer on the shipped models and on broken variants of them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "detectors/tfjs_import.h"
#include "tests_common.h"

static int count_op(const struct dd_graph *g, enum dd_op op)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) n += g->nodes[i].op == op;
    return n;
}

Test(tfjs_import, nanodet_as_shipped)
{
    struct dd_graph *g;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_tfjs_load(tc_asset("models/nanodet/nanodet.json"), &g, &err), 0, "%s", err.msg);
    const struct dd_shape *in = &g->tensors[g->input].shape;
    cr_assert(in->rank == 4 && in->d[1] == 3 && in->d[2] == 416 && in->d[3] == 416);
    cr_assert_eq(g->n_outputs, 6);
    cr_assert_eq(count_op(g, DD_OP_CONV2D), 34);
    cr_assert_eq(count_op(g, DD_OP_RESIZE_BILINEAR), 4);
    cr_assert_eq(count_op(g, DD_OP_SPARSE_TO_DENSE), 0, "shape subgraphs must be folded");
    cr_assert_eq(dd_graph_macs(g), 2090083840LL);
    dd_graph_destroy(g);
}

Test(tfjs_import, blazeface_as_shipped)
{
    struct dd_graph *g;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_tfjs_load(tc_asset("models/blazeface/blazeface-back.json"), &g, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(g->n_outputs, 4);
    cr_assert_eq(count_op(g, DD_OP_DEPTHWISE_CONV2D), 32);
    int fused_relu = 0;
    for (int i = 0; i < g->n_nodes; i++)
        fused_relu += g->nodes[i].op == DD_OP_CONV2D && g->nodes[i].attrs.act == DD_ACT_RELU;
    cr_assert_gt(fused_relu, 0, "_FusedConv2D BiasAdd+Relu must carry the fused ReLU");
    cr_assert_eq(dd_graph_macs(g), 188749824LL);
    dd_graph_destroy(g);
}

/* Loads the blazeface JSON text, applies a textual substitution, parses it
 * with the real weights and returns the parse status and message. */
static int parse_modified(const char *from, const char *to, struct dd_err *err)
{
    size_t jl, wl;
    char *json = tc_read_file(tc_asset("models/blazeface/blazeface-back.json"), &jl);
    unsigned char *w = tc_read_file(tc_asset("models/blazeface/blazeface-back.bin"), &wl);
    char *at = strstr(json, from);
    cr_assert(at, "pattern '%s' not in model", from);
    size_t fl = strlen(from), tl = strlen(to);
    char *mod = malloc(jl - fl + tl + 1);
    size_t pre = (size_t)(at - json);
    memcpy(mod, json, pre);
    memcpy(mod + pre, to, tl);
    memcpy(mod + pre + tl, at + fl, jl - pre - fl + 1);
    struct dd_graph *g = NULL;
    int rc = dd_tfjs_parse(mod, strlen(mod), w, wl, &g, err);
    dd_graph_destroy(g);
    free(mod);
    free(json);
    free(w);
    return rc;
}

Test(tfjs_import, unsupported_op_names_op_and_node)
{
    struct dd_err err = {{0}};
    cr_assert_neq(parse_modified("\"op\":\"Relu\"", "\"op\":\"Softplus\"", &err), 0);
    cr_assert(strstr(err.msg, "unsupported op 'Softplus'") && strstr(err.msg, "node '"), "%s",
              err.msg);
}

Test(tfjs_import, missing_input_is_reported)
{
    struct dd_err err = {{0}};
    cr_assert_neq(parse_modified("\"input\":[\"input\"", "\"input\":[\"no_such_tensor\"", &err), 0);
    cr_assert(strstr(err.msg, "no_such_tensor"), "%s", err.msg);
}

Test(tfjs_import, truncated_weights_are_reported)
{
    size_t jl, wl;
    char *json = tc_read_file(tc_asset("models/blazeface/blazeface-back.json"), &jl);
    unsigned char *w = tc_read_file(tc_asset("models/blazeface/blazeface-back.bin"), &wl);
    struct dd_graph *g = NULL;
    struct dd_err err = {{0}};
    cr_assert_neq(dd_tfjs_parse(json, jl, w, wl - 100, &g, &err), 0);
    cr_assert(strstr(err.msg, "too short"), "%s", err.msg);
    cr_assert_neq(dd_tfjs_parse(json, jl, w, wl / 2, &g, &err), 0);
    cr_assert_null(g);
    free(json);
    free(w);
}

Test(tfjs_import, not_json)
{
    struct dd_graph *g = NULL;
    struct dd_err err = {{0}};
    const char *txt = "{\"format\": \"graph-model\", \"modelTopology\": {";
    cr_assert_neq(dd_tfjs_parse(txt, strlen(txt), NULL, 0, &g, &err), 0);
    cr_assert(strstr(err.msg, "not valid JSON"), "%s", err.msg);
}

Test(tfjs_import, weights_path_outside_model_dir_is_rejected)
{
    char dir[] = "/tmp/dd_tfjs_XXXXXX";
    cr_assert(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/model.json", dir);
    const char *txt = "{\"format\":\"graph-model\",\"modelTopology\":{\"node\":[]},"
                      "\"weightsManifest\":[{\"paths\":[\"../../etc/passwd\"],\"weights\":[]}]}";
    struct dd_err err = {{0}};
    cr_assert_eq(dd_file_write(path, txt, strlen(txt), &err), 0);
    struct dd_graph *g = NULL;
    cr_assert_neq(dd_tfjs_load(path, &g, &err), 0);
    cr_assert(strstr(err.msg, "relative name inside the model directory"), "%s", err.msg);
    unlink(path);
    rmdir(dir);
}

Test(tfjs_import, find_in_dir_wants_exactly_one_model)
{
    char path[1024];
    struct dd_err err = {{0}};
    cr_assert_eq(dd_tfjs_find_in_dir(tc_asset("models/nanodet"), path, sizeof(path), &err), 0, "%s",
                 err.msg);
    cr_assert(strstr(path, "nanodet.json"));
    cr_assert_neq(dd_tfjs_find_in_dir(tc_asset("media/faces"), path, sizeof(path), &err), 0);
    cr_assert(strstr(err.msg, "no TF.js model JSON"), "%s", err.msg);
}

Test(tfjs_import, names_echoed_in_errors_are_printable)
{
    struct dd_err err = {{0}};
    cr_assert_neq(parse_modified("\"op\":\"Relu\"", "\"op\":\"So\\u001b[2J\\nplus\"", &err), 0);
    cr_assert(strstr(err.msg, "So\\x1b[2J\\x0aplus"), "%s", err.msg);
    for (const char *c = err.msg; *c; c++)
        cr_assert((unsigned char)*c >= 0x20 && *c != 0x7f, "control byte in: %s", err.msg);
}

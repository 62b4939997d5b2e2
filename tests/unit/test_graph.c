/* Graph preparation: ordering, validation errors, MAC counting. */
#include <criterion/criterion.h>
#include <string.h>

#include "detectors/graph.h"
#include "tests_common.h"

Test(graph, nodes_are_ordered_topologically)
{
    struct dd_graph *g = dd_graph_create();
    int in = tc_input(g, "x", 2, (int64_t[]){1, 2});
    /* declare the consumer before the producer, as TF.js files do */
    int n1 = tc_node(g, "second", DD_OP_SIGMOID, 0, NULL, 1);
    int n0 = tc_node(g, "first", DD_OP_RELU, 1, (int[]){in}, 1);
    g->nodes[n1].inputs[g->nodes[n1].n_inputs++] = g->nodes[n0].outputs[0];
    g->outputs[g->n_outputs++] = g->nodes[n1].outputs[0];
    struct dd_err err = {{0}};
    cr_assert_eq(dd_graph_prepare(g, &err), 0, "%s", err.msg);
    cr_assert_str_eq(g->nodes[0].name, "first");
    cr_assert_str_eq(g->nodes[1].name, "second");
    dd_graph_destroy(g);
}

Test(graph, cycle_is_reported_with_the_node)
{
    struct dd_graph *g = dd_graph_create();
    tc_input(g, "x", 2, (int64_t[]){1, 2});
    int a = tc_node(g, "a", DD_OP_RELU, 0, NULL, 1);
    int b = tc_node(g, "b", DD_OP_RELU, 1, (int[]){g->nodes[a].outputs[0]}, 1);
    g->nodes[a].inputs[g->nodes[a].n_inputs++] = g->nodes[b].outputs[0];
    g->outputs[g->n_outputs++] = g->nodes[b].outputs[0];
    struct dd_err err = {{0}};
    cr_assert_neq(dd_graph_prepare(g, &err), 0);
    cr_assert(strstr(err.msg, "node 'a'") && strstr(err.msg, "cycle"), "%s", err.msg);
    dd_graph_destroy(g);
}

Test(graph, bad_reshape_names_the_node)
{
    struct dd_graph *g = dd_graph_create();
    int in = tc_input(g, "x", 2, (int64_t[]){2, 3});
    int s = tc_const_i32(g, "shape", 1, (int64_t[]){2}, (int32_t[]){4, 2});
    int r = tc_node(g, "my_reshape", DD_OP_RESHAPE, 2, (int[]){in, s}, 1);
    g->outputs[g->n_outputs++] = g->nodes[r].outputs[0];
    struct dd_err err = {{0}};
    cr_assert_neq(dd_graph_prepare(g, &err), 0);
    cr_assert(strstr(err.msg, "my_reshape") && strstr(err.msg, "Reshape"), "%s", err.msg);
    dd_graph_destroy(g);
}

Test(graph, conv_channel_mismatch_is_rejected)
{
    struct dd_graph *g = dd_graph_create();
    int in = tc_input(g, "x", 4, (int64_t[]){1, 4, 4, 3});
    float w[2 * 2 * 4 * 1] = {0};
    int wt = tc_const_f32(g, "w", 4, (int64_t[]){2, 2, 4, 1}, w);
    int c = tc_node(g, "conv", DD_OP_CONV2D, 2, (int[]){in, wt}, 1);
    g->outputs[g->n_outputs++] = g->nodes[c].outputs[0];
    struct dd_err err = {{0}};
    cr_assert_neq(dd_graph_prepare(g, &err), 0);
    cr_assert(strstr(err.msg, "input channels"), "%s", err.msg);
    dd_graph_destroy(g);
}

Test(graph, macs_of_a_convolution)
{
    struct dd_graph *g = dd_graph_create();
    int in = tc_input(g, "x", 4, (int64_t[]){1, 8, 8, 3});
    static float w[3 * 3 * 3 * 16];
    int wt = tc_const_f32(g, "w", 4, (int64_t[]){3, 3, 3, 16}, w);
    int c = tc_node(g, "conv", DD_OP_CONV2D, 2, (int[]){in, wt}, 1);
    g->nodes[c].attrs.padding = DD_PADDING_SAME;
    g->outputs[g->n_outputs++] = g->nodes[c].outputs[0];
    struct dd_err err = {{0}};
    cr_assert_eq(dd_graph_prepare(g, &err), 0, "%s", err.msg);
    cr_assert_eq(dd_graph_macs(g), 8 * 8 * 16 * 27);
    dd_graph_destroy(g);
}

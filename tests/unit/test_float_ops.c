/* Float kernels against hand-computed TensorFlow results. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "detectors/graph.h"
#include "tests_common.h"

static void expect(const float *got, const float *want, size_t n, size_t count)
{
    cr_assert_eq(count, n, "output has %zu values, expected %zu", count, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_float_eq(got[i], want[i], 1e-5f, "value %zu: got %g want %g", i, got[i], want[i]);
}

static struct dd_graph *g;
static void setup(void)
{
    g = dd_graph_create();
}
static void teardown(void)
{
    dd_graph_destroy(g);
}
TestSuite(float_ops, .init = setup, .fini = teardown);

Test(float_ops, conv2d_same_stride2_pads_more_at_the_end)
{
    float x[16], ones[9];
    for (int i = 0; i < 16; i++) x[i] = (float)i;
    for (int i = 0; i < 9; i++) ones[i] = 1.0f;
    int in = tc_input(g, "x", 4, (int64_t[]){1, 4, 4, 1});
    int w = tc_const_f32(g, "w", 4, (int64_t[]){3, 3, 1, 1}, ones);
    int n = tc_node(g, "conv", DD_OP_CONV2D, 2, (int[]){in, w}, 1);
    g->nodes[n].attrs.strides[0] = g->nodes[n].attrs.strides[1] = 2;
    g->nodes[n].attrs.padding = DD_PADDING_SAME;
    size_t cnt;
    float *y = tc_run_graph(g, g->nodes[n].outputs[0], x, &cnt);
    expect(y, (float[]){45, 39, 66, 50}, 4, cnt);
    free(y);
}

static float *conv1x1(enum dd_activation act, float alpha, size_t *cnt)
{
    int in = tc_input(g, "x", 4, (int64_t[]){1, 1, 1, 2});
    int w = tc_const_f32(g, "w", 4, (int64_t[]){1, 1, 2, 2}, (float[]){1, 2, 3, 4});
    int b = tc_const_f32(g, "b", 1, (int64_t[]){2}, (float[]){1, 10});
    int n = tc_node(g, "conv", DD_OP_CONV2D, 3, (int[]){in, w, b}, 1);
    g->nodes[n].attrs.bias_input = 2;
    g->nodes[n].attrs.act = act;
    g->nodes[n].attrs.alpha = alpha;
    return tc_run_graph(g, g->nodes[n].outputs[0], (float[]){1, -2}, cnt);
}

Test(float_ops, conv2d_bias_no_activation)
{
    size_t cnt;
    float *y = conv1x1(DD_ACT_NONE, 0, &cnt);
    expect(y, (float[]){-4, 4}, 2, cnt);
    free(y);
}

Test(float_ops, conv2d_fused_relu)
{
    size_t cnt;
    float *y = conv1x1(DD_ACT_RELU, 0, &cnt);
    expect(y, (float[]){0, 4}, 2, cnt);
    free(y);
}

Test(float_ops, conv2d_fused_leaky_relu)
{
    size_t cnt;
    float *y = conv1x1(DD_ACT_LEAKY_RELU, 0.1f, &cnt);
    expect(y, (float[]){-0.4f, 4}, 2, cnt);
    free(y);
}

Test(float_ops, depthwise_same)
{
    float x[18], w[18] = {0};
    for (int i = 0; i < 9; i++) x[2 * i] = 1.0f, x[2 * i + 1] = (float)i;
    for (int k = 0; k < 9; k++) w[2 * k] = 1.0f; /* channel 0: box filter */
    w[2 * 4 + 1] = 2.0f;                         /* channel 1: centre tap x2 */
    int in = tc_input(g, "x", 4, (int64_t[]){1, 3, 3, 2});
    int wt = tc_const_f32(g, "w", 4, (int64_t[]){3, 3, 2, 1}, w);
    int n = tc_node(g, "dw", DD_OP_DEPTHWISE_CONV2D, 2, (int[]){in, wt}, 1);
    g->nodes[n].attrs.padding = DD_PADDING_SAME;
    size_t cnt;
    float *y = tc_run_graph(g, g->nodes[n].outputs[0], x, &cnt);
    /* channel 0 counts the in-bounds taps: corners 4, edges 6, centre 9 */
    float want[18] = {4, 0, 6, 2, 4, 4, 6, 6, 9, 8, 6, 10, 4, 12, 6, 14, 4, 16};
    expect(y, want, 18, cnt);
    free(y);
}

static float *pool(enum dd_op op, size_t *cnt)
{
    float x[9];
    for (int i = 0; i < 9; i++) x[i] = (float)i;
    int in = tc_input(g, "x", 4, (int64_t[]){1, 3, 3, 1});
    int n = tc_node(g, "pool", op, 1, (int[]){in}, 1);
    struct dd_node_attrs *a = &g->nodes[n].attrs;
    a->ksize[0] = a->ksize[1] = 2;
    a->strides[0] = a->strides[1] = 2;
    a->padding = DD_PADDING_SAME;
    return tc_run_graph(g, g->nodes[n].outputs[0], x, cnt);
}

Test(float_ops, max_pool_same)
{
    size_t cnt;
    float *y = pool(DD_OP_MAX_POOL, &cnt);
    expect(y, (float[]){4, 5, 7, 8}, 4, cnt);
    free(y);
}

Test(float_ops, avg_pool_same_excludes_padding)
{
    size_t cnt;
    float *y = pool(DD_OP_AVG_POOL, &cnt);
    expect(y, (float[]){2, 3.5f, 6.5f, 8}, 4, cnt);
    free(y);
}

static float *resize(int out_w, const float *x, int in_w, size_t *cnt)
{
    int in = tc_input(g, "x", 4, (int64_t[]){1, 1, in_w, 1});
    int sz = tc_const_i32(g, "size", 1, (int64_t[]){2}, (int32_t[]){1, out_w});
    int n = tc_node(g, "rs", DD_OP_RESIZE_BILINEAR, 2, (int[]){in, sz}, 1);
    g->nodes[n].attrs.half_pixel_centers = true;
    return tc_run_graph(g, g->nodes[n].outputs[0], x, cnt);
}

Test(float_ops, resize_bilinear_half_pixel_2x_up)
{
    size_t cnt;
    float *y = resize(4, (float[]){0, 1}, 2, &cnt);
    expect(y, (float[]){0, 0.25f, 0.75f, 1}, 4, cnt);
    free(y);
}

Test(float_ops, resize_bilinear_half_pixel_2x_down_is_pair_average)
{
    size_t cnt;
    float *y = resize(2, (float[]){0, 1, 2, 5}, 4, &cnt);
    expect(y, (float[]){0.5f, 3.5f}, 2, cnt);
    free(y);
}

Test(float_ops, transpose_2d)
{
    int in = tc_input(g, "x", 2, (int64_t[]){2, 3});
    int p = tc_const_i32(g, "perm", 1, (int64_t[]){2}, (int32_t[]){1, 0});
    int n = tc_node(g, "t", DD_OP_TRANSPOSE, 2, (int[]){in, p}, 1);
    size_t cnt;
    float *y = tc_run_graph(g, g->nodes[n].outputs[0], (float[]){1, 2, 3, 4, 5, 6}, &cnt);
    expect(y, (float[]){1, 4, 2, 5, 3, 6}, 6, cnt);
    free(y);
}

Test(float_ops, pad_with_value)
{
    int in = tc_input(g, "x", 2, (int64_t[]){1, 2});
    int p = tc_const_i32(g, "p", 2, (int64_t[]){2, 2}, (int32_t[]){1, 0, 0, 1});
    int v = tc_const_f32(g, "v", 0, NULL, (float[]){-7});
    int n = tc_node(g, "pad", DD_OP_PAD, 3, (int[]){in, p, v}, 1);
    size_t cnt;
    float *y = tc_run_graph(g, g->nodes[n].outputs[0], (float[]){1, 2}, &cnt);
    expect(y, (float[]){-7, -7, -7, 1, 2, -7}, 6, cnt);
    free(y);
}

Test(float_ops, concat_then_splitv_round_trip)
{
    int in = tc_input(g, "x", 2, (int64_t[]){2, 2});
    int c = tc_const_f32(g, "c", 2, (int64_t[]){2, 1}, (float[]){9, 8});
    int ax = tc_const_i32(g, "ax", 0, NULL, (int32_t[]){-1});
    int n = tc_node(g, "cat", DD_OP_CONCAT, 3, (int[]){in, c, ax}, 1);
    int sizes = tc_const_i32(g, "sizes", 1, (int64_t[]){2}, (int32_t[]){1, -1});
    int ax1 = tc_const_i32(g, "ax1", 0, NULL, (int32_t[]){1});
    int s = tc_node(g, "split", DD_OP_SPLITV, 3, (int[]){g->nodes[n].outputs[0], sizes, ax1}, 2);
    size_t cnt;
    float *y = tc_run_graph(g, g->nodes[s].outputs[1], (float[]){1, 2, 3, 4}, &cnt);
    expect(y, (float[]){2, 9, 4, 8}, 4, cnt);
    free(y);
}

Test(float_ops, add_broadcasts_and_sigmoid)
{
    int in = tc_input(g, "x", 2, (int64_t[]){2, 3});
    int b = tc_const_f32(g, "b", 1, (int64_t[]){3}, (float[]){1, -2, 0});
    int a = tc_node(g, "add", DD_OP_ADD, 2, (int[]){in, b}, 1);
    int s = tc_node(g, "sig", DD_OP_SIGMOID, 1, (int[]){g->nodes[a].outputs[0]}, 1);
    size_t cnt;
    float *y = tc_run_graph(g, g->nodes[s].outputs[0], (float[]){-1, 2, 0, 0, 0, 1}, &cnt);
    float want[6];
    float sum[6] = {0, 0, 0, 1, -2, 1};
    for (int i = 0; i < 6; i++) want[i] = 1.0f / (1.0f + expf(-sum[i]));
    expect(y, want, 6, cnt);
    free(y);
}

Test(float_ops, nanodet_style_shape_subgraph_is_folded)
{
    /* Reshape's shape = base + SparseToDense(no indices) -> constant after prepare. */
    int in = tc_input(g, "x", 3, (int64_t[]){1, 2, 6});
    int idx = tc_const_i32(g, "where", 2, (int64_t[]){0, 1}, NULL);
    int osh = tc_const_i32(g, "oshape", 1, (int64_t[]){1}, (int32_t[]){3});
    int val = tc_const_i32(g, "vals", 1, (int64_t[]){0}, NULL);
    int def = tc_const_i32(g, "zero", 0, NULL, (int32_t[]){0});
    int sd = tc_node(g, "s2d", DD_OP_SPARSE_TO_DENSE, 4, (int[]){idx, osh, val, def}, 1);
    int base = tc_const_i32(g, "base", 1, (int64_t[]){3}, (int32_t[]){1, 4, -1});
    int add = tc_node(g, "shape_add", DD_OP_ADD, 2, (int[]){base, g->nodes[sd].outputs[0]}, 1);
    int r = tc_node(g, "reshape", DD_OP_RESHAPE, 2, (int[]){in, g->nodes[add].outputs[0]}, 1);
    float x[12];
    for (int i = 0; i < 12; i++) x[i] = (float)i;
    int out_t = g->nodes[r].outputs[0];
    size_t cnt;
    float *y = tc_run_graph(g, out_t, x, &cnt);
    cr_assert_eq(g->n_nodes, 1, "only the reshape should remain, %d nodes", g->n_nodes);
    cr_assert_eq(g->tensors[out_t].shape.d[1], 4);
    cr_assert_eq(g->tensors[out_t].shape.d[2], 3);
    expect(y, x, 12, cnt);
    free(y);
}

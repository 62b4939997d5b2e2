#include "tests_common.h"

#include "accel/compiler.h"
#include "accel/lower.h"
#include "detectors/float_exec.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/file.h"

const char *tc_asset(const char *rel)
{
    static char buf[8][1024];
    static int next;
    char *b = buf[next++ % 8];
    snprintf(b, 1024, "%s/%s", DD_ASSETS_DIR, rel);
    return b;
}

const char *tc_testdata(const char *rel)
{
    static char buf[8][1024];
    static int next;
    char *b = buf[next++ % 8];
    snprintf(b, 1024, "%s/%s", DD_TESTDATA_DIR, rel);
    return b;
}

void *tc_read_file(const char *path, size_t *len)
{
    char *data = NULL;
    struct dd_err err = {{0}};
    if (dd_file_read(path, 1u << 30, &data, len, &err) != 0) cr_assert_fail("%s", err.msg);
    return data;
}

static char *slurp(FILE *f)
{
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    size_t got;
    while ((got = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 2) s = realloc(s, cap *= 2);
    }
    s[n] = '\0';
    return s;
}

int tc_run(const char *cmd, char **out, char **err)
{
    char errfile[] = "/tmp/dd_test_stderr_XXXXXX";
    int fd = mkstemp(errfile);
    cr_assert(fd >= 0);
    char full[4096];
    snprintf(full, sizeof(full), "%s 2>%s", cmd, errfile);
    FILE *p = popen(full, "r");
    cr_assert(p, "popen failed");
    *out = slurp(p);
    int st = pclose(p);
    FILE *e = fdopen(fd, "r");
    *err = slurp(e);
    fclose(e);
    unlink(errfile);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int add_const(struct dd_graph *g, const char *name, enum dd_dtype dt, int rank,
                     const int64_t *dims, const void *data)
{
    int t = dd_graph_add_tensor(g, name, dt);
    cr_assert(t >= 0);
    struct dd_tensor *tt = &g->tensors[t];
    tt->shape.rank = rank;
    for (int i = 0; i < rank; i++) tt->shape.d[i] = dims[i];
    size_t n = (size_t)dd_shape_count(&tt->shape);
    tt->data = malloc((n ? n : 1) * 4);
    if (n) memcpy(tt->data, data, n * 4);
    tt->is_const = true;
    return t;
}

int tc_const_f32(struct dd_graph *g, const char *name, int rank, const int64_t *dims,
                 const float *data)
{
    return add_const(g, name, DD_DTYPE_F32, rank, dims, data);
}

int tc_const_i32(struct dd_graph *g, const char *name, int rank, const int64_t *dims,
                 const int32_t *data)
{
    return add_const(g, name, DD_DTYPE_I32, rank, dims, data);
}

int tc_input(struct dd_graph *g, const char *name, int rank, const int64_t *dims)
{
    int t = dd_graph_add_tensor(g, name, DD_DTYPE_F32);
    cr_assert(t >= 0);
    g->tensors[t].shape.rank = rank;
    for (int i = 0; i < rank; i++) g->tensors[t].shape.d[i] = dims[i];
    g->input = t;
    return t;
}

int tc_node(struct dd_graph *g, const char *name, enum dd_op op, int n_in, const int *inputs,
            int n_out)
{
    int n = dd_graph_add_node(g, name, op);
    cr_assert(n >= 0);
    for (int k = 0; k < n_in; k++) g->nodes[n].inputs[g->nodes[n].n_inputs++] = inputs[k];
    for (int k = 0; k < n_out; k++) {
        char tn[256];
        if (k)
            snprintf(tn, sizeof(tn), "%s:%d", name, k);
        else
            snprintf(tn, sizeof(tn), "%s", name);
        int t = dd_graph_add_tensor(g, tn, DD_DTYPE_F32);
        g->nodes[n].outputs[g->nodes[n].n_outputs++] = t;
    }
    return n;
}

float *tc_run_graph(struct dd_graph *g, int output, const float *input, size_t *count)
{
    struct dd_err err = {{0}};
    g->outputs[0] = output;
    g->n_outputs = 1;
    cr_assert_eq(dd_graph_prepare(g, &err), 0, "prepare: %s", err.msg);
    struct dd_float_exec *fx;
    cr_assert_eq(dd_float_exec_create(g, &fx, &err), 0, "%s", err.msg);
    size_t nin = (size_t)dd_shape_count(&g->tensors[g->input].shape);
    memcpy(dd_float_exec_input(fx), input, nin * sizeof(float));
    cr_assert_eq(dd_float_exec_run(fx, &err), 0, "run: %s", err.msg);
    *count = (size_t)dd_shape_count(&g->tensors[output].shape);
    float *out = malloc(*count * sizeof(float));
    memcpy(out, dd_float_exec_tensor(fx, output), *count * sizeof(float));
    dd_float_exec_destroy(fx);
    return out;
}

struct dd_pkg *tc_compile_blazeface(int wbits, int frames, struct dd_detector **det_out,
                                    struct lg_graph **lg_out)
{
    struct dd_compile_opts o = DD_COMPILE_OPTS_DEFAULT;
    o.wbits = wbits, o.calib_frames = frames, o.calib_step = 1;
    return tc_compile_blazeface_opts(&o, det_out, lg_out);
}

struct dd_pkg *tc_compile_blazeface_opts(const struct dd_compile_opts *o,
                                         struct dd_detector **det_out, struct lg_graph **lg_out)
{
    struct dd_detector *det;
    struct dd_media_input *m;
    struct dd_pkg *p;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_detector_open(tc_asset("models/blazeface"), &det, &err), 0, "%s", err.msg);
    cr_assert_eq(dd_media_input_open(tc_asset("media/faces"), &m, &err), 0, "%s", err.msg);
    cr_assert_eq(dd_compile_traced(det, m, o, &p, lg_out, &err), 0, "%s", err.msg);
    dd_media_input_close(m);
    if (det_out)
        *det_out = det;
    else
        dd_detector_close(det);
    return p;
}

/* detect info: a JSON description of a model (a TF.js model directory or its model.json) or
 * of a compiled package. */
#include <getopt.h>
#include <stdio.h>

#include "accel/package.h"
#include "accel/qdetector.h"
#include "detectors/detector.h"
#include "tools/detect/commands.h"

/* A package: its family, input, program (instructions by opcode, weight widths), outputs. */
static int package_info(const char *path)
{
    struct dd_err err = {{0}};
    struct dd_pkg *p;
    if (dd_pkg_load(path, &p, &err) != 0) return dd_cmd_fail(1, "%s", err.msg);
    unsigned hist[DD_ISA_OPCODE_MAX_] = {0}, int4 = 0, int8 = 0;
    for (uint32_t i = 0; i < p->n_insns; i++) {
        const struct dd_isa_insn *in = &p->insns[i];
        hist[in->opcode < DD_ISA_OPCODE_MAX_ ? in->opcode : 0]++;
        if (in->opcode == DD_ISA_CONV) *(in->wbits == 4 ? &int4 : &int8) += 1;
    }
    char buf[128];
    printf("{\"package\":{\"isa\":\"%u.%u\",\"wbits\":%d,\"arena_bytes\":%u,"
           "\"blob_bytes\":%llu,\"instructions\":%u,\"conv_int8\":%u,\"conv_int4\":%u},"
           "\"family\":\"%s\",\"input\":{\"shape\":%s,\"channels\":\"%s\"},\"ops\":{",
           p->major, p->minor, p->meta.wbits, p->arena_size, (unsigned long long)p->blob_size,
           p->n_insns, int8, int4, p->meta.family,
           dd_shape_str(&p->meta.input_shape, buf, sizeof(buf)), p->meta.input_bgr ? "BGR" : "RGB");
    int first = 1;
    for (unsigned op = 1; op < DD_ISA_OPCODE_MAX_; op++) {
        if (!hist[op]) continue;
        printf("%s\"%s\":%u", first ? "" : ",", dd_isa_opcode_name(op), hist[op]);
        first = 0;
    }
    printf("},\"outputs\":[");
    for (int k = 0; k < p->meta.n_outputs; k++)
        printf("%s{\"name\":\"%s\",\"shape\":%s}", k ? "," : "", p->meta.outputs[k].name,
               dd_shape_str(&p->meta.outputs[k].shape, buf, sizeof(buf)));
    printf("]}\n");
    dd_pkg_destroy(p);
    return 0;
}

int dd_cmd_info(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"model", required_argument, 0, 'm'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *model = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'm')
            model = optarg;
        else if (c == 'h') {
            printf("usage: detect info --model DIR|FILE   (a TF.js model or a .ddpkg package)\n");
            return 0;
        } else
            return dd_cmd_fail(2, "info: bad option '%s'", argv[optind - 1]);
    }
    if (!model) return dd_cmd_fail(2, "info needs --model");
    if (dd_qdetector_is_package(model)) return package_info(model);
    struct dd_err err = {{0}};
    struct dd_detector *d;
    if (dd_detector_open(model, &d, &err) != 0) return dd_cmd_fail(1, "%s", err.msg);
    const struct dd_graph *g = d->graph;
    char buf[128];
    int hist[DD_OP_COUNT_] = {0};
    for (int i = 0; i < g->n_nodes; i++) hist[g->nodes[i].op]++;
    printf("{\"family\":\"%s\",\"input\":{\"name\":\"%s\",\"shape\":%s,\"layout\":\"%s\","
           "\"channels\":\"%s\"},\"nodes\":%d,\"macs\":%lld,\"ops\":{",
           d->family.name, g->tensors[g->input].name,
           dd_shape_str(&g->tensors[g->input].shape, buf, sizeof(buf)),
           d->family.input.nchw ? "NCHW" : "NHWC", d->family.input.bgr ? "BGR" : "RGB", g->n_nodes,
           (long long)dd_graph_macs(g));
    int first = 1;
    for (int op = 0; op < DD_OP_COUNT_; op++) {
        if (!hist[op]) continue;
        printf("%s\"%s\":%d", first ? "" : ",", dd_op_name((enum dd_op)op), hist[op]);
        first = 0;
    }
    printf("},\"outputs\":[");
    for (int k = 0; k < g->n_outputs; k++) {
        const struct dd_tensor *t = &g->tensors[g->outputs[k]];
        printf("%s{\"name\":\"%s\",\"shape\":%s}", k ? "," : "", t->name,
               dd_shape_str(&t->shape, buf, sizeof(buf)));
    }
    printf("]}\n");
    dd_detector_close(d);
    return 0;
}

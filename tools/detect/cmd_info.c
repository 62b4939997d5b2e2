/* detect info: a JSON description of a model. */
#include <getopt.h>
#include <stdio.h>

#include "detectors/detector.h"
#include "tools/detect/commands.h"

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
            printf("usage: detect info --model DIR|FILE\n");
            return 0;
        } else
            return dd_cmd_fail(2, "info: bad option '%s'", argv[optind - 1]);
    }
    if (!model) return dd_cmd_fail(2, "info needs --model");
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

/* detect hls-estimate: the accelerator kernel's first-order cycles per
 * instruction for a package, the frame rate at a clock, and the datapath's
 * resources against a board's budget (deploy/fpga/README.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "accel/hls/estimate.h"
#include "tools/detect/commands.h"

static const char *op_name(uint32_t op)
{
    static const char *n[] = {"?", "CONV", "POOL", "ADD", "UPSAMPLE", "D2S", "LUT", "INPUT"};
    return op < 8 ? n[op] : "?";
}

int dd_cmd_hls_estimate(int argc, char **argv)
{
    static const struct option longopts[] = {{"model", required_argument, 0, 'm'},
                                             {"clock", required_argument, 0, 'c'},
                                             {"per-layer", no_argument, 0, 'l'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *model = NULL;
    float clock = 300.0f;
    int per_layer = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            model = optarg;
            break;
        case 'c':
            if (dd_cmd_parse_float("--clock", optarg, 10, 1000, &clock) != 0) return 2;
            break;
        case 'l':
            per_layer = 1;
            break;
        case 'h':
            printf("usage: detect hls-estimate --model PACKAGE [--clock MHZ] [--per-layer]\n");
            return 0;
        default:
            return 2;
        }
    }
    if (!model) return dd_cmd_fail(2, "--model is required");
    struct dd_pkg *p;
    struct dd_err err = {{0}};
    if (dd_pkg_load(model, &p, &err) != 0) return dd_cmd_fail(1, "%s", err.msg);
    struct dd_hls_insn_estimate *per = calloc(p->n_insns, sizeof(*per));
    struct dd_hls_estimate e;
    dd_hls_estimate(p, clock, per, &e);
    if (per_layer)
        for (uint32_t i = 0; i < p->n_insns; i++)
            fprintf(stderr, "%3u %-8s %12llu MACs %12llu cycles %7.3f ms\n", i,
                    op_name(per[i].opcode), (unsigned long long)per[i].macs,
                    (unsigned long long)per[i].cycles, (double)per[i].cycles / (clock * 1e3));
    printf("{\"instructions\":%u,\"macs\":%llu,\"cycles\":%llu,\"clock_mhz\":%.0f,"
           "\"ms_per_frame\":%.2f,\"fps\":%.2f,\"mac_utilisation\":%.3f,\"macs_per_cycle\":%d,"
           "\"dsp\":%d,\"bram18\":%d}\n",
           p->n_insns, (unsigned long long)e.macs, (unsigned long long)e.cycles, clock,
           e.ms_per_frame, e.fps, e.mac_utilisation, DD_HLS_MACS, e.dsp, e.bram18);
    free(per);
    dd_pkg_destroy(p);
    return 0;
}

/* detect rtl-bench: a package on the RTL accelerator in cycle-accurate
 * simulation (accel/rtl), from a camera-sized frame: cycles per instruction
 * and per frame, the frame rate at the configuration's clock, MAC array
 * utilisation over the convolutions, DRAM bytes per frame; the arena is
 * checked against the golden model's. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/golden.h"
#include "accel/qdetector.h"
#include "accel/rtl/rtlsim.h"
#include "common/clock.h"
#include "media/image.h"
#include "postproc/overlay.h"
#include "tools/detect/commands.h"

/* The image scaled (nearest) to w x h as a camera delivers it: NV12 / YUYV
 * (BT.601 limited range: the overlay's conversion) or RGB24. */
static int make_frame(const struct dd_image *img, int w, int h, uint32_t format,
                      struct dd_isa_frame *f, uint8_t **buf)
{
    size_t stride = format == DD_FRAME_RGB24  ? (size_t)w * 3
                    : format == DD_FRAME_YUYV ? (size_t)(w + 1) / 2 * 4
                                              : (size_t)w;
    size_t uv_stride = (size_t)(w + 1) / 2 * 2, size = stride * h;
    if (format == DD_FRAME_NV12) size += uv_stride * ((h + 1) / 2);
    if (!(*buf = calloc(1, size))) return -1;
    uint8_t *p = *buf, *uv = p + stride * h;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *s = img->rgb + (size_t)(y * img->height / h) * img->stride +
                               (size_t)(x * img->width / w) * 3;
            struct dd_yuv_color c = dd_yuv_from_rgb(s[0], s[1], s[2]);
            if (format == DD_FRAME_RGB24) {
                memcpy(p + (size_t)y * stride + (size_t)x * 3, s, 3);
            } else if (format == DD_FRAME_NV12) {
                p[(size_t)y * stride + x] = c.y;
                if (!(y & 1) && !(x & 1)) {
                    uv[(size_t)(y / 2) * uv_stride + x] = c.u;
                    uv[(size_t)(y / 2) * uv_stride + x + 1] = c.v;
                }
            } else {
                uint8_t *q = p + (size_t)y * stride + (size_t)(x / 2) * 4;
                q[(x & 1) ? 2 : 0] = c.y;
                if (!(x & 1)) q[1] = c.u, q[3] = c.v;
            }
        }
    *f = (struct dd_isa_frame){format,
                               (uint32_t)w,
                               (uint32_t)h,
                               (uint32_t)stride,
                               (uint32_t)uv_stride,
                               p,
                               format == DD_FRAME_NV12 ? uv : NULL};
    return 0;
}

static void usage(void)
{
    printf("usage: detect rtl-bench --model PACKAGE [--config kv260|z7020|tiny] [--dram PRESET]\n"
           "                        [--input IMAGE] [--frame WxH] [--format nv12|yuyv|rgb]\n"
           "                        [--per-layer] [--no-check]\n"
           "DRAM presets: kv260-ddr4, z7020-ddr3 (default: the configuration's board)\n");
}

int dd_cmd_rtl_bench(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"model", required_argument, 0, 'm'}, {"config", required_argument, 0, 'c'},
        {"dram", required_argument, 0, 'd'},  {"input", required_argument, 0, 'i'},
        {"frame", required_argument, 0, 'f'}, {"format", required_argument, 0, 'F'},
        {"per-layer", no_argument, 0, 'l'},   {"no-check", no_argument, 0, 'n'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    const char *model = NULL, *cfg_name = "kv260", *dram_name = NULL, *input = NULL;
    int fw = 1920, fh = 1080, per_layer = 0, check = 1, c;
    uint32_t format = DD_FRAME_NV12;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            model = optarg;
            break;
        case 'c':
            cfg_name = optarg;
            break;
        case 'd':
            dram_name = optarg;
            break;
        case 'i':
            input = optarg;
            break;
        case 'f':
            if (sscanf(optarg, "%dx%d", &fw, &fh) != 2 || fw < 1 || fh < 1 || fw > 8192 ||
                fh > 8192)
                return dd_cmd_fail(2, "--frame: WIDTHxHEIGHT up to 8192x8192, not '%s'", optarg);
            break;
        case 'F':
            format = !strcmp(optarg, "nv12")   ? DD_FRAME_NV12
                     : !strcmp(optarg, "yuyv") ? DD_FRAME_YUYV
                     : !strcmp(optarg, "rgb")  ? DD_FRAME_RGB24
                                               : 0;
            if (!format) return dd_cmd_fail(2, "--format: nv12, yuyv or rgb, not '%s'", optarg);
            break;
        case 'l':
            per_layer = 1;
            break;
        case 'n':
            check = 0;
            break;
        case 'h':
            usage();
            return 0;
        default:
            return 2;
        }
    }
    if (!model) return dd_cmd_fail(2, "--model is required");
    const struct dd_rtl_config *cfg = dd_rtl_config_find(cfg_name);
    if (!cfg) return dd_cmd_fail(2, "--config: kv260, z7020 or tiny, not '%s'", cfg_name);
    const struct dd_rtl_dram *dram = dram_name ? dd_rtl_dram_find(dram_name) : &cfg->dram;
    if (!dram) return dd_cmd_fail(2, "--dram: kv260-ddr4 or z7020-ddr3, not '%s'", dram_name);
    struct dd_pkg *p = NULL;
    struct dd_err err = {{0}};
    struct dd_image img = {0};
    struct dd_isa_frame f;
    uint8_t *fbuf = NULL;
    struct dd_rtlsim *r = NULL;
    int8_t *arena = NULL;
    int status = 1;
    if (dd_pkg_load(model, &p, &err) != 0) goto fail;
    if (input) {
        if (dd_image_load(input, &img, &err) != 0) goto fail;
    } else { /* a gradient test card */
        if (dd_image_alloc(&img, 640, 360, &err) != 0) goto fail;
        for (int y = 0; y < img.height; y++)
            for (int x = 0; x < img.width; x++) {
                uint8_t *q = img.rgb + (size_t)y * img.stride + (size_t)x * 3;
                q[0] = (uint8_t)(x * 255 / img.width), q[1] = (uint8_t)(y * 255 / img.height),
                q[2] = (uint8_t)((x ^ y) & 255);
            }
    }
    if (make_frame(&img, fw, fh, format, &f, &fbuf) != 0 || !(arena = calloc(1, p->arena_size))) {
        dd_err_set(&err, "out of memory");
        goto fail;
    }
    if (dd_rtlsim_create(p, cfg, dram, &r, &err) != 0) goto fail;
    int64_t t0 = dd_now_ms();
    if (dd_rtlsim_run(r, arena, &f, 0, p->n_insns, &err) != 0) goto fail;
    int64_t sim_ms = dd_now_ms() - t0;
    int exact = -1;
    if (check) {
        int8_t *g = calloc(1, p->arena_size);
        if (!g) {
            dd_err_set(&err, "out of memory");
            goto fail;
        }
        dd_golden_run(p, g, &f, &err);
        exact = memcmp(g, arena, p->arena_size) == 0;
        free(g);
    }
    const struct dd_rtl_counts *n = dd_rtlsim_counts(r);
    uint64_t macs = 0, conv_cycles = 0, peak_cycles = 0;
    double mhz = cfg->clock_mhz;
    for (uint32_t i = 0; i < p->n_insns; i++) {
        const struct dd_isa_insn *in = &p->insns[i];
        uint64_t m = dd_rtl_insn_macs(p, i), cy = n->insn_cycles[i];
        double util = 0;
        if (in->opcode == DD_ISA_CONV) {
            macs += m;
            conv_cycles += cy;
            peak_cycles += m / dd_rtl_peak_macs(cfg, in);
            util = cy ? (double)m / ((double)cy * dd_rtl_peak_macs(cfg, in)) : 0;
        }
        if (per_layer) {
            const struct dd_isa_tensor *o = &p->tensors[in->out];
            fprintf(stderr, "%3u %-8s %s%s w%u %4ux%-4ux%-4u %11llu MACs %10llu cycles %7.3f ms", i,
                    dd_isa_opcode_name(in->opcode), (in->flags & DD_ISA_F_DEPTHWISE) ? "dw " : "",
                    in->kh ? "" : "", in->wbits, o->h, o->w, o->c, (unsigned long long)m,
                    (unsigned long long)cy, (double)cy / (mhz * 1e3));
            if (in->opcode == DD_ISA_CONV) fprintf(stderr, "  util %.2f", util);
            fputc('\n', stderr);
        }
    }
    double ms = (double)n->cycles / (mhz * 1e3);
    printf("{\"model\":\"%s\",\"config\":\"%s\",\"dram\":\"%s\",\"frame\":\"%dx%d %s\","
           "\"instructions\":%u,\"cycles\":%llu,\"clock_mhz\":%.0f,\"ms_per_frame\":%.3f,"
           "\"fps\":%.1f,\"macs\":%llu,\"conv_cycles\":%llu,\"mac_utilisation\":%.3f,"
           "\"dram_read_bytes\":%llu,\"dram_write_bytes\":%llu,\"read_stall_cycles\":%llu,"
           "\"bit_exact\":%s,\"simulation_s\":%.1f}\n",
           model, cfg->name, dram->name, fw, fh,
           format == DD_FRAME_NV12   ? "nv12"
           : format == DD_FRAME_YUYV ? "yuyv"
                                     : "rgb",
           p->n_insns, (unsigned long long)n->cycles, mhz, ms, 1000.0 / ms,
           (unsigned long long)macs, (unsigned long long)conv_cycles,
           conv_cycles ? (double)peak_cycles / (double)conv_cycles : 0.0,
           (unsigned long long)n->read_bytes, (unsigned long long)n->write_bytes,
           (unsigned long long)n->read_stall,
           exact < 0 ? "null"
           : exact   ? "true"
                     : "false",
           (double)sim_ms / 1000.0);
    status = exact == 0 ? 1 : 0;
    goto out;
fail:
    dd_cmd_fail(1, "%s", err.msg);
out:
    dd_rtlsim_destroy(r);
    free(arena);
    free(fbuf);
    if (img.rgb) dd_image_destroy(&img);
    if (p) dd_pkg_destroy(p);
    return status;
}

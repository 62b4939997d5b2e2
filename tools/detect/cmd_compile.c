/* detect compile: TF.js model + calibration frames -> model package. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/compiler.h"
#include "accel/quality.h"
#include "tools/detect/commands.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: detect compile --model DIR|FILE --calib VIDEO|DIR|IMAGE --out FILE [options]\n"
            "  --calib-frames N    calibration frames (default 32)\n"
            "  --calib-step S      use every S-th frame of the calibration source (default 8)\n"
            "  --wbits 8|4         weight bits (4: dense layers with >= 64 taps per channel)\n"
            "  --estimator E       activation ranges: minmax (default), percentile or mse\n"
            "  --no-bias-correction  skip correcting biases for weight rounding\n"
            "  --no-equalize       skip cross-layer equalization of conv -> conv pairs\n"
            "  --padding-ranges    activation ranges over the letterbox padding too\n"
            "  --rounding R        weight rounding: nearest, gptq-w4 (default: GPTQ for the\n"
            "                      4-bit layers) or gptq (every dense convolution)\n"
            "  --layers MEDIA      print each layer's cosine similarity to the float model\n"
            "  --layers-frame N    the frame of MEDIA to compare on (default 0)\n");
}

static int print_layers(struct dd_detector *det, const struct lg_graph *lg,
                        const struct dd_pkg *pkg, const char *path, long frame)
{
    struct dd_err err = {{0}};
    struct dd_image img = {0};
    double *cos = calloc(pkg->n_tensors, sizeof(double));
    int status = 0;
    if (!cos || dd_media_load_frame(path, frame, &img, &err) != 0 ||
        dd_quality_layers(det, lg, pkg, &img, cos, &err) != 0) {
        status = dd_cmd_fail(1, "layers: %s", cos ? err.msg : "out of memory");
    } else {
        for (uint32_t i = 0; i < pkg->n_tensors; i++) {
            if (isnan(cos[i])) continue;
            const struct dd_isa_tensor *t = &pkg->tensors[i];
            printf("{\"tensor\":%u,\"name\":\"%s\",\"shape\":[%u,%u,%u],\"scale\":%g,"
                   "\"zero_point\":%d,\"cosine\":%.6f}\n",
                   i, lg->ir->tensors[lg->t[i].ir].name, t->h, t->w, t->c, t->scale, t->zero_point,
                   cos[i]);
        }
    }
    free(cos);
    dd_image_destroy(&img);
    return status;
}

int dd_cmd_compile(int argc, char **argv)
{
    static const struct option longopts[] = {{"model", required_argument, 0, 'm'},
                                             {"calib", required_argument, 0, 'c'},
                                             {"out", required_argument, 0, 'o'},
                                             {"calib-frames", required_argument, 0, 'n'},
                                             {"calib-step", required_argument, 0, 's'},
                                             {"wbits", required_argument, 0, 'w'},
                                             {"estimator", required_argument, 0, 'e'},
                                             {"no-bias-correction", no_argument, 0, 'B'},
                                             {"no-equalize", no_argument, 0, 'Q'},
                                             {"padding-ranges", no_argument, 0, 'P'},
                                             {"rounding", required_argument, 0, 'R'},
                                             {"layers", required_argument, 0, 'L'},
                                             {"layers-frame", required_argument, 0, 'F'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *model = NULL, *calib = NULL, *outp = NULL, *layers = NULL;
    struct dd_compile_opts o = DD_COMPILE_OPTS_DEFAULT;
    long v, layers_frame = 0;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            model = optarg;
            break;
        case 'c':
            calib = optarg;
            break;
        case 'o':
            outp = optarg;
            break;
        case 'n':
            if (dd_cmd_parse_int("--calib-frames", optarg, 1, 1000, &v)) return 2;
            o.calib_frames = (int)v;
            break;
        case 's':
            if (dd_cmd_parse_int("--calib-step", optarg, 1, 10000, &v)) return 2;
            o.calib_step = (int)v;
            break;
        case 'w':
            if (strcmp(optarg, "8") && strcmp(optarg, "4"))
                return dd_cmd_fail(2, "--wbits: '%s' is not 8 or 4", optarg);
            o.wbits = optarg[0] - '0';
            break;
        case 'e':
            if (strcmp(optarg, "minmax") == 0)
                o.estimator = DD_ESTIMATOR_MINMAX;
            else if (strcmp(optarg, "percentile") == 0)
                o.estimator = DD_ESTIMATOR_PERCENTILE;
            else if (strcmp(optarg, "mse") == 0)
                o.estimator = DD_ESTIMATOR_MSE;
            else
                return dd_cmd_fail(2, "--estimator: '%s' is not minmax, percentile or mse", optarg);
            break;
        case 'B':
            o.bias_correction = false;
            break;
        case 'Q':
            o.equalize = false;
            break;
        case 'P':
            o.picture_ranges = false;
            break;
        case 'R':
            if (strcmp(optarg, "nearest") == 0)
                o.rounding = DD_ROUNDING_NEAREST;
            else if (strcmp(optarg, "gptq-w4") == 0)
                o.rounding = DD_ROUNDING_GPTQ_W4;
            else if (strcmp(optarg, "gptq") == 0)
                o.rounding = DD_ROUNDING_GPTQ;
            else
                return dd_cmd_fail(2, "--rounding: '%s' is not nearest, gptq-w4 or gptq", optarg);
            break;
        case 'L':
            layers = optarg;
            break;
        case 'F':
            if (dd_cmd_parse_int("--layers-frame", optarg, 0, 1L << 30, &layers_frame)) return 2;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return dd_cmd_fail(2, "compile: bad option '%s' (see detect compile --help)",
                               argv[optind - 1]);
        }
    }
    if (!model || !calib || !outp)
        return dd_cmd_fail(2,
                           "compile needs --model, --calib and --out (see detect compile --help)");
    struct dd_err err = {{0}};
    struct dd_detector *det = NULL;
    struct dd_media_input *media = NULL;
    struct dd_pkg *pkg = NULL;
    struct lg_graph *lg = NULL;
    int status = 0;
    if (dd_detector_open(model, &det, &err) != 0 || dd_media_input_open(calib, &media, &err) != 0 ||
        dd_compile_traced(det, media, &o, &pkg, &lg, &err) != 0 ||
        dd_pkg_write(pkg, outp, &err) != 0) {
        status = dd_cmd_fail(1, "%s", err.msg);
    } else {
        if (layers) status = print_layers(det, lg, pkg, layers, layers_frame);
        printf("{\"out\":\"%s\",\"family\":\"%s\",\"wbits\":%d,\"instructions\":%u,\"tensors\":%u,"
               "\"arena_bytes\":%u,\"blob_bytes\":%llu,\"meta\":%s}\n",
               outp, pkg->meta.family, o.wbits, pkg->n_insns, pkg->n_tensors, pkg->arena_size,
               (unsigned long long)pkg->blob_size, pkg->meta_json);
    }
    dd_pkg_destroy(pkg);
    dd_lower_destroy(lg);
    dd_media_input_close(media);
    dd_detector_close(det);
    return status;
}

/* detect run: detections per frame as JSON lines on stdout. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "accel/qdetector.h"
#include "detectors/detector.h"
#include "media/media_input.h"
#include "tracking/tracker.h"
#include "accel/rtl/rtl_config.h"
#include "tools/detect/commands.h"

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: detect run --model DIR|FILE --input IMAGE|DIR|VIDEO [options]\n"
        "  --model PATH       TF.js graph model (directory or JSON), or a compiled model package\n"
        "  --input PATH       JPEG/PNG image, directory of images, or video file\n"
        "  --frames N         process at most N frames (default: all)\n"
        "  --from F           skip to frame F first (frames are numbered from 0)\n"
        "  --threshold T      score threshold in [0,1] (default: the model's)\n"
        "  --iou I            NMS IoU threshold in [0,1] (default: the model's)\n"
        "  --max-detections K keep at most K boxes per frame (default: the model's)\n"
        "  --track            track objects over the frames: \"id\" per detection of a tracked\n"
        "                     object (tracking/tracker.h defaults)\n"
        "  --xclbin FILE      backend xrt: the accelerator's xclbin\n"
        "  --device INDEX|BDF backend xrt: the FPGA (default 0)\n"
        "  --rtl-config C     backends rtlsim, xrt: the accelerator's configuration\n"
        "                     (kv260 default, z7020, tiny)\n"
        "  --backend NAME     float: the float reference executor (TF.js models, default);\n"
        "                     for packages (default cpu):\n");
    dd_cmd_print_backends(f, 21);
}

static void print_frame(const struct dd_family_info *fi, int index, const struct dd_image *img,
                        const struct dd_det_list *dets)
{
    printf("{\"frame\":%d,\"width\":%d,\"height\":%d,\"detections\":[", index, img->width,
           img->height);
    for (size_t i = 0; i < dets->n; i++) {
        const struct dd_det *x = &dets->v[i];
        char id[24] = "";
        if (x->id > 0) snprintf(id, sizeof(id), "\"id\":%d,", x->id);
        printf("%s{%s\"label\":\"%s\",\"class\":%d,\"score\":%.4f,\"box\":[%.1f,%.1f,%.1f,%.1f]}",
               i ? "," : "", id, fi->labels[x->cls], x->cls, x->score, x->x1, x->y1, x->x2, x->y2);
    }
    printf("]}\n");
    fflush(stdout);
}

int dd_cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {{"model", required_argument, 0, 'm'},
                                             {"input", required_argument, 0, 'i'},
                                             {"frames", required_argument, 0, 'n'},
                                             {"from", required_argument, 0, 'f'},
                                             {"threshold", required_argument, 0, 't'},
                                             {"iou", required_argument, 0, 'u'},
                                             {"max-detections", required_argument, 0, 'k'},
                                             {"backend", required_argument, 0, 'b'},
                                             {"xclbin", required_argument, 0, 'x'},
                                             {"device", required_argument, 0, 'd'},
                                             {"rtl-config", required_argument, 0, 'R'},
                                             {"track", no_argument, 0, 'T'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *model = NULL, *input = NULL, *backend = NULL;
    bool track = false;
    long frames = -1, from = 0, max_det = 0;
    struct dd_backend_opts bopts = {NULL, NULL, 0, NULL};
    struct dd_detect_opts opts = DD_DETECT_OPTS_DEFAULT;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            model = optarg;
            break;
        case 'i':
            input = optarg;
            break;
        case 'n':
            if (dd_cmd_parse_int("--frames", optarg, 0, 1L << 30, &frames)) return 2;
            break;
        case 'f':
            if (dd_cmd_parse_int("--from", optarg, 0, 1L << 30, &from)) return 2;
            break;
        case 't':
            if (dd_cmd_parse_float("--threshold", optarg, 0, 1, &opts.score_threshold)) return 2;
            break;
        case 'u':
            if (dd_cmd_parse_float("--iou", optarg, 0, 1, &opts.iou_threshold)) return 2;
            break;
        case 'k':
            if (dd_cmd_parse_int("--max-detections", optarg, 1, 10000, &max_det)) return 2;
            break;
        case 'b':
            if (dd_cmd_parse_backend("--backend", optarg, 1, &backend) != 0) return 2;
            break;
        case 'x':
            bopts.xclbin = optarg;
            break;
        case 'R':
            if (!dd_rtl_config_find(optarg))
                return dd_cmd_fail(2, "--rtl-config: kv260, z7020 or tiny, not '%s'", optarg);
            bopts.rtl_config = optarg;
            break;
        case 'd':
            bopts.xrt_device = optarg;
            break;
        case 'T':
            track = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return dd_cmd_fail(2, "run: bad option '%s' (see detect run --help)", argv[optind - 1]);
        }
    }
    if (optind < argc) return dd_cmd_fail(2, "unexpected argument '%s'", argv[optind]);
    if (!model || !input)
        return dd_cmd_fail(2, "run needs --model and --input (see detect run --help)");
    opts.max_detections = (int)max_det;
    struct dd_err err = {{0}};
    struct dd_detector *det = NULL;
    struct dd_qdetector *qdet = NULL;
    struct dd_media_input *media = NULL;
    bool package = dd_qdetector_is_package(model);
    if (!backend) backend = package ? "cpu" : "float";
    if (package && strcmp(backend, "float") == 0)
        return dd_cmd_fail(2, "--backend float runs TF.js models; %s is a compiled package", model);
    if (!package && strcmp(backend, "float") != 0)
        return dd_cmd_fail(2, "--backend %s runs compiled packages (make one with detect compile)",
                           backend);
    if (package && strcmp(backend, "xrt") == 0 && !bopts.xclbin)
        return dd_cmd_fail(2, "--backend xrt needs --xclbin FILE (the accelerator's xclbin)");
    struct dd_backend_choice choice = {backend, bopts, NULL};
    if (package ? dd_qdetector_open(model, &choice, &qdet, &err)
                : dd_detector_open(model, &det, &err))
        return dd_cmd_fail(1, "%s", err.msg);
    const struct dd_family_info *fi = package ? &qdet->family : &det->family;
    if (dd_media_input_open(input, &media, &err) != 0) {
        dd_detector_close(det);
        dd_qdetector_close(qdet);
        return dd_cmd_fail(1, "%s", err.msg);
    }
    struct dd_tracker *tracker = NULL;
    struct dd_tracker_config tc = dd_tracker_config_default();
    if (track && dd_tracker_create(&tc, &tracker, &err) != 0) {
        dd_media_input_close(media);
        dd_detector_close(det);
        dd_qdetector_close(qdet);
        return dd_cmd_fail(1, "%s", err.msg);
    }
    struct dd_image img = {0};
    struct dd_det_list dets;
    dd_det_list_init(&dets);
    int status = 0, index = 0, rc = 0;
    long done = 0;
    while ((frames < 0 || done < frames) &&
           (rc = dd_media_input_next(media, &img, &index, &err)) == 1) {
        if (index < from) continue;
        struct dd_isa_frame frame = dd_isa_frame_from_image(&img);
        if ((package ? dd_qdetector_detect(qdet, &frame, &opts, &dets, &err)
                     : dd_detector_detect(det, &img, &opts, &dets, &err)) != 0) {
            status = dd_cmd_fail(1, "frame %d: %s", index, err.msg);
            break;
        }
        if (tracker && dd_tracker_update(tracker, &dets, &err) != 0) {
            status = dd_cmd_fail(1, "frame %d: %s", index, err.msg);
            break;
        }
        print_frame(fi, index, &img, &dets);
        done++;
    }
    if (status == 0 && rc < 0) status = dd_cmd_fail(1, "%s", err.msg);
    if (status == 0 && done == 0 && frames != 0)
        status = dd_cmd_fail(1, "%s: no frames to process", input);
    dd_tracker_destroy(tracker);
    dd_det_list_destroy(&dets);
    dd_image_destroy(&img);
    dd_media_input_close(media);
    dd_detector_close(det);
    dd_qdetector_close(qdet);
    return status;
}

/* detect evaluate: detection agreement of a compiled package with its float
 * model: AP50 of the package's detections, taking the float model's
 * detections (score >= --ref-threshold) as the reference. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "accel/qdetector.h"
#include "detectors/detector.h"
#include "common/clock.h"
#include "media/media_input.h"
#include "postproc/agreement.h"
#include "postproc/ap.h"
#include "tools/detect/commands.h"

/* JSON has no NaN: -1 stands for "no value" (no matched pairs). */
static double num(double v)
{
    return isnan(v) ? -1.0 : v;
}

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: detect evaluate --model DIR|FILE --package FILE --input VIDEO|DIR [options]\n"
        "  --from F            first frame (default 0; keep calibration frames out)\n"
        "  --frames N          frames to evaluate (default 20)\n"
        "  --step S            use every S-th frame from F (default 1)\n"
        "  --ref-threshold T   float detections at or above T are the AP reference (default 0.3)\n"
        "  --threshold T       package detections kept for the PR curve and the twin search\n"
        "                      (default 0.05)\n"
        "  --at T              detection-by-detection agreement at the threshold a user runs:\n"
        "                      box IoU and |delta score| of twins, lost detections, phantoms\n"
        "                      (default: the model's score threshold)\n"
        "  --backend NAME      the package's engine (default cpu, bit-exact with golden)\n");
}

int dd_cmd_evaluate(int argc, char **argv)
{
    static const struct option longopts[] = {{"model", required_argument, 0, 'm'},
                                             {"package", required_argument, 0, 'p'},
                                             {"input", required_argument, 0, 'i'},
                                             {"from", required_argument, 0, 'f'},
                                             {"frames", required_argument, 0, 'n'},
                                             {"step", required_argument, 0, 's'},
                                             {"ref-threshold", required_argument, 0, 'r'},
                                             {"threshold", required_argument, 0, 't'},
                                             {"at", required_argument, 0, 'a'},
                                             {"backend", required_argument, 0, 'b'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *model = NULL, *package = NULL, *input = NULL, *backend = "cpu";
    long from = 0, frames = 20, step = 1;
    float ref_thr = 0.3f, thr = 0.05f, at = -1.0f;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            model = optarg;
            break;
        case 'p':
            package = optarg;
            break;
        case 'i':
            input = optarg;
            break;
        case 'f':
            if (dd_cmd_parse_int("--from", optarg, 0, 1L << 30, &from)) return 2;
            break;
        case 'n':
            if (dd_cmd_parse_int("--frames", optarg, 1, 100000, &frames)) return 2;
            break;
        case 's':
            if (dd_cmd_parse_int("--step", optarg, 1, 100000, &step)) return 2;
            break;
        case 'r':
            if (dd_cmd_parse_float("--ref-threshold", optarg, 0, 1, &ref_thr)) return 2;
            break;
        case 't':
            if (dd_cmd_parse_float("--threshold", optarg, 0, 1, &thr)) return 2;
            break;
        case 'a':
            if (dd_cmd_parse_float("--at", optarg, 0, 1, &at)) return 2;
            break;
        case 'b':
            if (dd_cmd_parse_backend("--backend", optarg, 0, &backend)) return 2;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return dd_cmd_fail(2, "evaluate: bad option '%s'", argv[optind - 1]);
        }
    }
    if (!model || !package || !input)
        return dd_cmd_fail(
            2, "evaluate needs --model, --package and --input (see detect evaluate --help)");
    struct dd_err err = {{0}};
    struct dd_detector *det = NULL;
    struct dd_qdetector *q = NULL;
    struct dd_media_input *m = NULL;
    struct dd_ap ap = {0};
    struct dd_agreement agree;
    dd_agreement_init(&agree, 0.5f, thr);
    struct dd_det_list ref, pred, all;
    dd_det_list_init(&all);
    dd_det_list_init(&ref);
    dd_det_list_init(&pred);
    struct dd_image img = {0};
    int status = 0, idx, rc = 0;
    long done = 0;
    double float_ms = 0, quant_ms = 0;
    if (dd_detector_open(model, &det, &err) ||
        dd_qdetector_open(package, DD_BACKEND_ONLY(backend), &q, &err) ||
        dd_media_input_open(input, &m, &err)) {
        status = dd_cmd_fail(1, "%s", err.msg);
        goto out;
    }
    if (strcmp(det->family.name, q->family.name) != 0) {
        status = dd_cmd_fail(1, "model is %s but package is %s", det->family.name, q->family.name);
        goto out;
    }
    if (dd_ap_init(&ap, det->family.num_classes, 0.5f) != 0) {
        status = dd_cmd_fail(1, "out of memory");
        goto out;
    }
    if (at < 0) at = det->family.default_score_threshold;
    dd_agreement_init(&agree, at, thr);
    struct dd_detect_opts ro = DD_DETECT_OPTS_DEFAULT, po = DD_DETECT_OPTS_DEFAULT;
    ro.score_threshold = thr; /* down to the floor; the AP reference is the part >= ref_thr */
    po.score_threshold = thr;
    while (done < frames && (rc = dd_media_input_next(m, &img, &idx, &err)) == 1) {
        if (idx < from || (idx - from) % step) continue;
        double t0 = dd_now_ms();
        if (dd_detector_detect(det, &img, &ro, &all, &err) != 0) break;
        dd_det_list_clear(&ref);
        for (size_t i = 0; i < all.n; i++)
            if (all.v[i].score >= ref_thr && dd_det_list_push(&ref, &all.v[i]) != 0) break;
        double t1 = dd_now_ms();
        struct dd_isa_frame f = dd_isa_frame_from_image(&img);
        if (dd_qdetector_detect(q, &f, &po, &pred, &err) != 0) break;
        float_ms += t1 - t0;
        quant_ms += dd_now_ms() - t1;
        if (dd_ap_add_frame(&ap, &ref, &pred) != 0 ||
            dd_agreement_add_frame(&agree, &all, &pred) != 0) {
            dd_err_set(&err, "out of memory");
            break;
        }
        done++;
    }
    if (rc < 0 || (rc == 1 && done < frames)) {
        status = dd_cmd_fail(1, "%s", err.msg);
        goto out;
    }
    if (done == 0) {
        status = dd_cmd_fail(1, "%s: no frames from %ld", input, from);
        goto out;
    }
    int n_cls;
    double map = dd_ap_mean(&ap, &n_cls);
    struct dd_agreement_summary as;
    dd_agreement_summary(&agree, &as);
    printf("{\"family\":\"%s\",\"wbits\":%d,\"backend\":\"%s\",\"frames\":%ld,\"from\":%ld,"
           "\"step\":%ld,\"ref_threshold\":%.2f,\"map50\":%.4f,\"classes_with_reference\":%d,"
           "\"float_ms_per_frame\":%.1f,\"quant_ms_per_frame\":%.1f,",
           det->family.name, q->pkg->meta.wbits, backend, done, from, step, ref_thr,
           isnan(map) ? -1.0 : map, n_cls, float_ms / done, quant_ms / done);
    printf("\"agreement\":{\"threshold\":%.2f,\"float_detections\":%zu,"
           "\"quant_detections\":%zu,\"matched\":%zu,\"lost\":%zu,\"phantoms\":%zu,"
           "\"flips\":%zu,\"iou_median\":%.4f,\"iou_p01\":%.4f,\"iou_min\":%.4f,"
           "\"dscore_median\":%.4f,\"dscore_p99\":%.4f,\"dscore_max\":%.4f},\"classes\":[",
           at, agree.float_dets, agree.quant_dets, agree.matched, agree.lost, agree.phantoms,
           agree.flips, num(as.iou_median), num(as.iou_p01), num(as.iou_min), num(as.dscore_median),
           num(as.dscore_p99), num(as.dscore_max));
    int first = 1;
    for (int k = 0; k < ap.n_classes; k++) {
        double v = dd_ap_class(&ap, k);
        if (isnan(v)) continue;
        printf("%s{\"label\":\"%s\",\"ap50\":%.4f,\"reference_boxes\":%zu}", first ? "" : ",",
               det->family.labels[k], v, ap.cls[k].n_gt);
        first = 0;
    }
    printf("]}\n");
out:
    dd_image_destroy(&img);
    dd_det_list_destroy(&ref);
    dd_det_list_destroy(&pred);
    dd_det_list_destroy(&all);
    dd_agreement_destroy(&agree);
    dd_ap_destroy(&ap);
    dd_media_input_close(m);
    dd_qdetector_close(q);
    dd_detector_close(det);
    return status;
}

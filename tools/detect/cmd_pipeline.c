/* detect pipeline: runs the real-time pipeline (source -> detector -> overlay
 * -> sink) and prints one JSON summary as the last line on stdout. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "postproc/labels.h"
#include "pipeline/pipeline.h"
#include "pipeline/stats_json.h"
#include "accel/rtl/rtl_config.h"
#include "tools/detect/commands.h"

static volatile sig_atomic_t interrupted;
static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: detect pipeline --source SOURCE --model PACKAGE [options]\n"
               "  --source S       /dev/videoN (V4L2), a video file, a URI, or gst:DESCRIPTION\n"
               "  --model P        model package (detect compile)\n"
               "  --backend B      the engine (default cpu), see below\n"
               "  --xclbin F       xrt: the accelerator's xclbin\n"
               "  --rtl-config C   rtlsim, xrt: the accelerator's configuration (kv260, z7020)\n"
               "  --sink S         null (default) | drm[:CONNECTOR[@WxH]] | gst:DESCRIPTION\n"
               "  --drm-device D   DRM card (default: the first with a connected display)\n"
               "  --seconds N      stop after N seconds (default: run to the end of the source)\n"
               "  --frames N       stop after N captured frames\n"
               "  --size WxH       capture size (default: the source's; V4L2: 1920x1080)\n"
               "  --format F       nv12 (default) | yuyv\n"
               "  --loop           start a file again at its end\n"
               "  --realtime       pace a file at its frame rate (default: as fast as possible)\n"
               "  --detect P       every | latest (default: latest for cameras, every otherwise)\n"
               "  --score T        score threshold (default: the model's)\n"
               "  --iou T          NMS IoU threshold (default: the model's)\n"
               "  --no-overlay     do not draw detections\n"
               "  --track          track objects (IDs on the overlay; the summary counts them)\n"
               "  --fps-overlay    draw an FPS line\n"
               "  --progress S     log a stats line every S seconds (stderr)\n"
               "backends:\n");
    dd_cmd_print_backends(f, 2);
}

static int parse_size(const char *s, uint32_t *w, uint32_t *h)
{
    unsigned a, b;
    char tail;
    if (sscanf(s, "%ux%u%c", &a, &b, &tail) != 2 || !a || !b) return -1;
    *w = a;
    *h = b;
    return 0;
}

int dd_cmd_pipeline(int argc, char **argv)
{
    static const struct option longopts[] = {{"source", required_argument, 0, 's'},
                                             {"model", required_argument, 0, 'm'},
                                             {"backend", required_argument, 0, 'b'},
                                             {"sink", required_argument, 0, 'o'},
                                             {"drm-device", required_argument, 0, 'D'},
                                             {"seconds", required_argument, 0, 't'},
                                             {"frames", required_argument, 0, 'n'},
                                             {"size", required_argument, 0, 'S'},
                                             {"format", required_argument, 0, 'F'},
                                             {"loop", no_argument, 0, 'l'},
                                             {"realtime", no_argument, 0, 'r'},
                                             {"detect", required_argument, 0, 'P'},
                                             {"score", required_argument, 0, 'c'},
                                             {"iou", required_argument, 0, 'u'},
                                             {"no-overlay", no_argument, 0, 'O'},
                                             {"track", no_argument, 0, 'T'},
                                             {"fps-overlay", no_argument, 0, 'f'},
                                             {"progress", required_argument, 0, 'p'},
                                             {"xclbin", required_argument, 0, 'x'},
                                             {"rtl-config", required_argument, 0, 'R'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    struct dd_pipeline_config cfg = {0};
    cfg.source.format = DD_FRAME_NV12;
    cfg.backend.name = "cpu";
    cfg.policy = DD_DETECT_AUTO;
    dd_detect_settings_default(&cfg.settings);
    float seconds = 0.0f, progress = 0.0f;
    int track = 0;
    long n;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            cfg.source.spec = optarg;
            break;
        case 'm':
            cfg.model = optarg;
            break;
        case 'b':
            if (dd_cmd_parse_backend("--backend", optarg, 0, &cfg.backend.name) != 0) return 2;
            break;
        case 'o':
            cfg.sink.spec = optarg;
            break;
        case 'D':
            cfg.sink.drm_device = optarg;
            break;
        case 't':
            if (dd_cmd_parse_float("--seconds", optarg, 0.001f, 1e7f, &seconds) != 0) return 2;
            break;
        case 'n':
            if (dd_cmd_parse_int("--frames", optarg, 1, 1000000000L, &n) != 0) return 2;
            cfg.max_frames = (uint64_t)n;
            break;
        case 'S':
            if (parse_size(optarg, &cfg.source.width, &cfg.source.height) != 0)
                return dd_cmd_fail(2, "--size: '%s' is not WIDTHxHEIGHT", optarg);
            break;
        case 'F':
            if (dd_frame_format_parse(optarg, &cfg.source.format) != 0)
                return dd_cmd_fail(2, "--format: '%s' is not nv12 or yuyv", optarg);
            break;
        case 'l':
            cfg.source.loop = 1;
            break;
        case 'r':
            cfg.source.realtime = 1;
            break;
        case 'P':
            if (strcmp(optarg, "every") == 0)
                cfg.policy = DD_DETECT_EVERY;
            else if (strcmp(optarg, "latest") == 0)
                cfg.policy = DD_DETECT_LATEST;
            else
                return dd_cmd_fail(2, "--detect: '%s' is not every or latest", optarg);
            break;
        case 'c':
            if (dd_cmd_parse_float("--score", optarg, 0, 1, &cfg.settings.opts.score_threshold))
                return 2;
            break;
        case 'u':
            if (dd_cmd_parse_float("--iou", optarg, 0, 1, &cfg.settings.opts.iou_threshold))
                return 2;
            break;
        case 'O':
            cfg.settings.overlay = 0;
            break;
        case 'f':
            cfg.settings.overlay_fps = 1;
            break;
        case 'x':
            cfg.backend.opts.xclbin = optarg;
            break;
        case 'R':
            if (!dd_rtl_config_find(optarg))
                return dd_cmd_fail(2, "--rtl-config: kv260, z7020 or tiny, not '%s'", optarg);
            cfg.backend.opts.rtl_config = optarg;
            break;
        case 'T':
            track = 1;
            break;
        case 'p':
            if (dd_cmd_parse_float("--progress", optarg, 0.1f, 3600, &progress) != 0) return 2;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) return dd_cmd_fail(2, "unexpected argument '%s'", argv[optind]);
    if (!cfg.source.spec) return dd_cmd_fail(2, "--source is required");
    if (!cfg.model) return dd_cmd_fail(2, "--model is required");

    struct dd_pipeline *p;
    struct dd_err err = {{0}};
    if (dd_pipeline_create(&cfg, &p, &err) != 0) return dd_cmd_fail(1, "%s", err.msg);
    struct dd_tracker_config tc = dd_tracker_config_default();
    if (track) dd_pipeline_set_tracking(p, &tc, NULL); /* the defaults are valid */
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (dd_pipeline_start(p, &err) != 0) {
        dd_pipeline_destroy(p);
        return dd_cmd_fail(1, "%s", err.msg);
    }
    int step_ms = 100;
    double waited = 0.0, next_progress = progress;
    while (!interrupted && !dd_pipeline_wait(p, step_ms)) {
        waited += step_ms / 1000.0;
        if (progress > 0 && waited >= next_progress) {
            struct dd_pipeline_stats s;
            dd_pipeline_get_stats(p, &s);
            DD_LOG_I("%.0f s: %llu frames out, %.1f fps, latency p50 %.1f ms p99 %.1f ms", waited,
                     (unsigned long long)s.frames_output, s.fps, s.latency.p50_ms,
                     s.latency.p99_ms);
            next_progress += progress;
        }
        if (seconds > 0 && waited >= seconds) break;
    }
    dd_pipeline_stop(p);
    struct dd_pipeline_stats s;
    dd_pipeline_get_stats(p, &s);
    const struct dd_qdetector *q = dd_pipeline_detector(p);
    cJSON *j = dd_pipeline_stats_json(&s, q->family.labels, q->family.num_classes);
    char *text = cJSON_PrintUnformatted(j);
    if (text) printf("%s\n", text);
    free(text);
    cJSON_Delete(j);
    int failed = s.failed;
    dd_pipeline_destroy(p);
    if (failed) return dd_cmd_fail(1, "%s", s.last_error);
    return 0;
}

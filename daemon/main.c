/* detectd: the object-detection appliance daemon. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/qdetector.h"
#include "common/log.h"
#include "config/config.h"
#include "daemon/daemon.h"
#include "daemon/settings.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: detectd [--config FILE]\n"
            "       detectd --check-config FILE\n"
            "       detectd --print-config\n"
            "Real-time object detection: a camera or video in, detections drawn on the frames,\n"
            "a display or encoder out, stats and a dashboard over HTTP.\n"
            "  --config FILE        run with FILE (INI); default: the embedded default (the demo\n"
            "                       video, NanoDet on the cpu backend, dashboard on\n"
            "                       http://127.0.0.1:8080/)\n"
            "  --check-config FILE  validate FILE (syntax, values, model package, class names)\n"
            "  --print-config       print the documented default config (deploy/detectd.conf)\n"
            "  --version, --help\n"
            "Signals: SIGHUP reloads the config, SIGTERM/SIGINT stop.\n");
}

static int check_config(const char *path)
{
    struct dd_config *c = malloc(sizeof(*c));
    struct dd_pipeline_strings *strs = malloc(sizeof(*strs));
    struct dd_err err = {{0}};
    struct dd_qdetector *q = NULL;
    int rc = 1;
    if (!c || !strs) goto out;
    dd_config_defaults(c);
    struct dd_pipeline_config pc;
    struct dd_detect_settings s;
    if (dd_config_load(path, c, &err) != 0 || dd_pipeline_config_from(c, strs, &pc, &err) != 0) {
        fprintf(stderr, "<3>%s\n", err.msg);
        goto out;
    }
    struct dd_tracker_config tc;
    const struct dd_tracker_config *t = dd_tracker_config_from(c, &tc);
    struct dd_scene_config sc;
    struct dd_mqtt_config mc;
    const struct dd_mqtt_config *m = dd_mqtt_config_from(c, &mc);
    if ((t && dd_tracker_config_check(t, &err) != 0) || dd_scene_config_from(c, &sc, &err) != 0 ||
        (m && dd_mqtt_config_check(m, &err) != 0)) {
        fprintf(stderr, "<3>%s: %s\n", path, err.msg);
        goto out;
    }
    if (!dd_qdetector_is_package(strs->model)) {
        fprintf(stderr, "<3>%s: [model] package: %s is not a model package\n", path, strs->model);
        goto out;
    }
    if (dd_qdetector_open(strs->model, DD_BACKEND_ONLY("golden"), &q, &err) != 0 ||
        dd_settings_from_config(c, &q->family, &s, &err) != 0) {
        fprintf(stderr, "<3>%s: %s\n", path, err.msg);
        goto out;
    }
    printf("%s: OK (model %s with %d classes on %s; source %s; sink %s)\n", path, q->family.name,
           q->family.num_classes, c->model_backend, strs->source, strs->sink);
    rc = 0;
out:
    dd_qdetector_close(q);
    free(strs);
    free(c);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, 0, 'c'}, {"check-config", required_argument, 0, 'k'},
        {"print-config", no_argument, 0, 'p'}, {"version", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    const char *config = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'k':
            return check_config(optarg);
        case 'p':
            dd_config_write_sample(stdout);
            return 0;
        case 'v':
            printf("detectd %s\n", DD_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "<3>detectd: unexpected argument '%s' (see detectd --help)\n",
                argv[optind]);
        return 2;
    }
    dd_daemon_block_signals(); /* before any thread starts: only the main loop takes them */
    return dd_daemon_run(config);
}

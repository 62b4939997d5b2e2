/* detect: the command-line tool around detectd's detection stack. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/backend.h"
#include "common/log.h"
#include "media/gst_util.h"
#include "tools/detect/commands.h"

#ifndef DD_VERSION
#define DD_VERSION "0.0.0"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: detect COMMAND [OPTIONS]\n"
            "\n"
            "commands:\n"
            "  run         detect objects in an image, image directory or video; one JSON line per "
            "frame\n"
            "  info        describe a model: family, input, outputs, ops, MACs (JSON)\n"
            "  compile     quantize a model with calibration frames into a model package\n"
            "  evaluate    AP50 of a package's detections against its float model's\n"
#if defined(DD_WITH_RTLSIM)
            "  rtl-bench   a package on the RTL accelerator, cycle-accurate: cycles, FPS, MAC use\n"
#endif
            "  preprocess  write a frame's letterboxed, normalised input tensor (raw float32)\n"
            "  pipeline    run the real-time pipeline (source -> detector -> overlay -> sink)\n"
            "\n"
            "'detect COMMAND --help' shows a command's options. --version prints the version.\n");
}

int dd_cmd_fail(int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dd_log(DD_LOG_ERR, "detect: %s", msg);
    return status;
}

int dd_cmd_parse_float(const char *opt, const char *s, float lo, float hi, float *out)
{
    char *end;
    float v = strtof(s, &end);
    if (*s == '\0' || *end != '\0' || !(v >= lo && v <= hi)) {
        dd_cmd_fail(2, "%s: '%s' is not a number in [%g, %g]", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int dd_cmd_parse_int(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
        dd_cmd_fail(2, "%s: '%s' is not an integer in [%ld, %ld]", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int dd_cmd_parse_backend(const char *opt, const char *s, int float_too, const char **out)
{
    if ((float_too && strcmp(s, "float") == 0) || dd_backend_find(s)) {
        *out = s;
        return 0;
    }
    char names[128];
    dd_cmd_fail(2, "%s: '%s' is not available (%s%s)", opt, s, float_too ? "float, " : "",
                dd_backend_names(names, sizeof(names), ", "));
    return -1;
}

void dd_cmd_print_backends(FILE *f, int indent)
{
    for (size_t i = 0; i < dd_n_backends; i++)
        fprintf(f, "%*s%-7s %s\n", indent, "", dd_backends[i]->name, dd_backends[i]->help);
}

int main(int argc, char **argv)
{
    if (argc < 2) return dd_cmd_fail(2, "missing command (see detect --help)");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("detect %s\n", DD_VERSION);
        return 0;
    }
    const char *lvl = getenv("DETECTD_LOG_LEVEL");
    enum dd_log_level level;
    if (lvl && dd_log_level_parse(lvl, &level) == 0) dd_log_set_level(level);
    int status;
    if (strcmp(cmd, "run") == 0)
        status = dd_cmd_run(argc - 1, argv + 1);
    else if (strcmp(cmd, "info") == 0)
        status = dd_cmd_info(argc - 1, argv + 1);
    else if (strcmp(cmd, "evaluate") == 0)
        status = dd_cmd_evaluate(argc - 1, argv + 1);
    else if (strcmp(cmd, "compile") == 0)
        status = dd_cmd_compile(argc - 1, argv + 1);
    else if (strcmp(cmd, "pipeline") == 0)
        status = dd_cmd_pipeline(argc - 1, argv + 1);
#if defined(DD_WITH_RTLSIM)
    else if (strcmp(cmd, "rtl-bench") == 0)
        status = dd_cmd_rtl_bench(argc - 1, argv + 1);
#endif
    else if (strcmp(cmd, "preprocess") == 0)
        status = dd_cmd_preprocess(argc - 1, argv + 1);
    else
        return dd_cmd_fail(2, "unknown command '%s' (see detect --help)", cmd);
    dd_gst_deinit();
    return status;
}

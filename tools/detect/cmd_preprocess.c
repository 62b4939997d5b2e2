/* detect preprocess: writes one frame's model input tensor as raw float32
 * (little-endian, the model input's layout), for reference tools. */
#include <getopt.h>
#include <stdio.h>

#include "common/file.h"
#include "detectors/detector.h"
#include "media/media_input.h"
#include "detectors/preprocess.h"
#include "tools/detect/commands.h"

int dd_cmd_preprocess(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"model", required_argument, 0, 'm'}, {"input", required_argument, 0, 'i'},
        {"frame", required_argument, 0, 'f'}, {"out", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    const char *model = NULL, *input = NULL, *out = NULL;
    long frame = 0;
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
        case 'o':
            out = optarg;
            break;
        case 'f':
            if (dd_cmd_parse_int("--frame", optarg, 0, 1L << 30, &frame)) return 2;
            break;
        case 'h':
            printf(
                "usage: detect preprocess --model DIR|FILE --input PATH [--frame N] --out FILE\n");
            return 0;
        default:
            return dd_cmd_fail(2, "preprocess: bad option '%s'", argv[optind - 1]);
        }
    }
    if (!model || !input || !out)
        return dd_cmd_fail(2, "preprocess needs --model, --input and --out");
    struct dd_err err = {{0}};
    struct dd_detector *d = NULL;
    if (dd_detector_open(model, &d, &err) != 0) return dd_cmd_fail(1, "%s", err.msg);
    struct dd_image img = {0};
    int status = 0;
    if (dd_media_load_frame(input, frame, &img, &err) != 0) {
        status = dd_cmd_fail(1, "%s", err.msg);
    } else {
        struct dd_letterbox lb;
        const struct dd_input_spec *spec = &d->family.input;
        float *t = dd_float_exec_input(d->exec);
        size_t n = (size_t)spec->width * (size_t)spec->height * 3;
        if (dd_preprocess_rgb_f32(&img, spec, t, &lb, &err) != 0 ||
            dd_file_write(out, t, n * sizeof(float), &err) != 0)
            status = dd_cmd_fail(1, "%s", err.msg);
    }
    dd_image_destroy(&img);
    dd_detector_close(d);
    return status;
}

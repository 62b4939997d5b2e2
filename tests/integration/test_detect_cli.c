/* build/bin/detect on real inputs: people in vtest.avi frame 300 and faces in
 * sample1.jpg, checked against TensorFlow.js's detections; and its errors. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests_common.h"

struct want {
    const char *label;
    float score;
    float box[4];
};

/* Runs detect and returns the parsed JSON of its last stdout line. */
static cJSON *run_detect(const char *args, int *n_lines)
{
    char cmd[2048], *out, *err;
    snprintf(cmd, sizeof(cmd), "%s run %s", DD_DETECT_BIN, args);
    int st = tc_run(cmd, &out, &err);
    cr_assert_eq(st, 0, "detect failed (%d): %s", st, err);
    *n_lines = 0;
    char *last = NULL;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) last = line, (*n_lines)++;
    cr_assert(last, "no output");
    cJSON *j = cJSON_Parse(last);
    cr_assert(j, "not JSON: %s", last);
    free(out);
    free(err);
    return j;
}

/* Each wanted box has a detection of its label within tol pixels per side. */
static void expect_boxes(cJSON *frame, const struct want *w, int n, float tol)
{
    cJSON *dets = cJSON_GetObjectItem(frame, "detections");
    for (int i = 0; i < n; i++) {
        float best = INFINITY;
        cJSON *d;
        cJSON_ArrayForEach(d, dets)
        {
            if (strcmp(cJSON_GetObjectItem(d, "label")->valuestring, w[i].label) != 0) continue;
            cJSON *b = cJSON_GetObjectItem(d, "box");
            float dev = 0;
            for (int k = 0; k < 4; k++)
                dev = fmaxf(dev, fabsf((float)cJSON_GetArrayItem(b, k)->valuedouble - w[i].box[k]));
            best = fminf(best, dev);
        }
        cr_assert_leq(best, tol, "%s [%g,%g,%g,%g]: nearest detection is %g px off", w[i].label,
                      w[i].box[0], w[i].box[1], w[i].box[2], w[i].box[3], best);
    }
}

static int count_label(cJSON *frame, const char *label, float min_score)
{
    int n = 0;
    cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(frame, "detections"))
    {
        n += strcmp(cJSON_GetObjectItem(d, "label")->valuestring, label) == 0 &&
             cJSON_GetObjectItem(d, "score")->valuedouble >= min_score;
    }
    return n;
}

Test(detect_cli, nanodet_finds_six_people_in_vtest_frame_300, .timeout = 300)
{
    char args[1024];
    snprintf(args, sizeof(args), "--model %s --input %s --from 300 --frames 1",
             tc_asset("models/nanodet"), tc_asset("media/vtest.avi"));
    int lines;
    cJSON *f = run_detect(args, &lines);
    cr_assert_eq(lines, 1);
    cr_assert_eq(cJSON_GetObjectItem(f, "frame")->valueint, 300);
    cr_assert_eq(cJSON_GetObjectItem(f, "width")->valueint, 768);
    cr_assert_eq(cJSON_GetObjectItem(f, "height")->valueint, 576);
    cr_assert_eq(count_label(f, "person", 0.5f), 6, "people with score >= 0.5");
    /* TensorFlow.js's boxes for this frame (shared/notes/models.md) */
    static const struct want tfjs[] = {
        {"person", 0.83f, {582, 161, 612, 235}},
        {"person", 0.77f, {184, 160, 221, 235}},
        {"person", 0.74f, {312, 212, 347, 295}},
    };
    expect_boxes(f, tfjs, 3, 3.0f);
    cJSON_Delete(f);
}

Test(detect_cli, blazeface_finds_the_faces_in_sample1, .timeout = 120)
{
    char args[1024];
    snprintf(args, sizeof(args), "--model %s --input %s",
             tc_asset("models/blazeface/blazeface-back.json"), tc_asset("media/faces/sample1.jpg"));
    int lines;
    cJSON *f = run_detect(args, &lines);
    cr_assert_eq(count_label(f, "face", 0.5f), 3);
    static const struct want tfjs[] = {
        {"face", 0.92f, {423, 415, 615, 608}},
        {"face", 0.87f, {1497, 270, 1648, 422}},
        {"face", 0.85f, {850, 469, 1030, 648}},
    };
    /* TF.js's pipeline crops differently from our letterbox: allow more slack */
    expect_boxes(f, tfjs, 3, 10.0f);
    cJSON_Delete(f);
}

Test(detect_cli, frames_option_counts_from_zero, .timeout = 300)
{
    char args[1024];
    snprintf(args, sizeof(args), "--model %s --input %s --frames 2", tc_asset("models/blazeface"),
             tc_asset("media/vtest.avi"));
    int lines;
    cJSON *f = run_detect(args, &lines);
    cr_assert_eq(lines, 2);
    cr_assert_eq(cJSON_GetObjectItem(f, "frame")->valueint, 1);
    cJSON_Delete(f);
}

/* --track: from the third frame on, the people of vtest.avi carry object IDs (distinct in a
 * frame); without it, no detection has one. */
Test(detect_cli, track_gives_people_ids, .timeout = 300)
{
    for (int track = 0; track < 2; track++) {
        char args[1024];
        snprintf(args, sizeof(args), "--model %s --input %s --frames 6%s",
                 tc_asset("packages/nanodet-w8a8.ddpkg"), tc_asset("media/vtest.avi"),
                 track ? " --track" : "");
        int lines;
        cJSON *f = run_detect(args, &lines);
        const cJSON *d, *dets = cJSON_GetObjectItem(f, "detections");
        int with_id = 0, seen[64] = {0};
        cJSON_ArrayForEach(d, dets)
        {
            const cJSON *id = cJSON_GetObjectItem(d, "id");
            if (!id) continue;
            with_id++;
            cr_assert(id->valueint > 0 && id->valueint < 64 && !seen[id->valueint]++,
                      "a bad or repeated id %d", id->valueint);
        }
        if (track)
            cr_assert_geq(with_id, 3, "only %d tracked detections", with_id);
        else
            cr_assert_eq(with_id, 0);
        cJSON_Delete(f);
    }
}

static void expect_failure(const char *args, int status, const char *needle)
{
    char cmd[2048], *out, *err;
    snprintf(cmd, sizeof(cmd), "%s %s", DD_DETECT_BIN, args);
    int st = tc_run(cmd, &out, &err);
    cr_assert_eq(st, status, "'%s' exited %d, expected %d; stderr: %s", args, st, status, err);
    cr_assert(strstr(err, needle), "'%s': stderr lacks '%s': %s", args, needle, err);
    cr_assert(strncmp(err, "<3>", 3) == 0, "errors carry the <3> priority prefix: %s", err);
    cr_assert_str_eq(out, "", "nothing on stdout on error");
    free(out);
    free(err);
}

Test(detect_cli, errors_are_clear)
{
    char args[1024];
    expect_failure("run --model /nonexistent --input x.jpg", 1, "no such model");
    snprintf(args, sizeof(args), "run --model %s --input /nonexistent.jpg",
             tc_asset("models/nanodet"));
    expect_failure(args, 1, "no such file");
    snprintf(args, sizeof(args), "run --model %s --input %s --threshold 7",
             tc_asset("models/nanodet"), tc_asset("media/faces/sample1.jpg"));
    expect_failure(args, 2, "--threshold");
    snprintf(args, sizeof(args), "run --model %s --input %s --backend fpga",
             tc_asset("models/nanodet"), tc_asset("media/faces/sample1.jpg"));
    expect_failure(args, 2, "--backend");
    expect_failure("frobnicate", 2, "unknown command");
    snprintf(args, sizeof(args), "run --model %s --input %s", tc_asset("media/faces"),
             tc_asset("media/faces/sample1.jpg"));
    expect_failure(args, 1, "no TF.js model JSON");
}

/* detect info on a TF.js model and on a package (its usage said DIR|FILE, packages were refused) */
Test(detect_cli, info_describes_a_model_and_a_package)
{
    const char *models[] = {tc_asset("models/nanodet"), tc_asset("packages/nanodet-w8a8.ddpkg")};
    for (int i = 0; i < 2; i++) {
        char cmd[1024], *out, *err;
        snprintf(cmd, sizeof(cmd), "%s info --model %s", DD_DETECT_BIN, models[i]);
        cr_assert_eq(tc_run(cmd, &out, &err), 0, "%s: %s", models[i], err);
        cJSON *j = cJSON_Parse(out);
        cr_assert(j, "not JSON: %s", out);
        cr_assert_str_eq(cJSON_GetObjectItem(j, "family")->valuestring, "nanodet");
        cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "outputs")), 6);
        if (i == 1) {
            cJSON *p = cJSON_GetObjectItem(j, "package");
            cr_assert(p, "%s", out);
            cr_assert_eq(cJSON_GetObjectItem(p, "wbits")->valueint, 8);
            cr_assert_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "ops"), "INPUT")->valueint, 1);
        }
        cJSON_Delete(j);
        free(out);
        free(err);
    }
}

Test(detect_cli, compiled_nanodet_on_the_golden_model_finds_the_six_people, .timeout = 600)
{
    char cmd[2048], *out, *err;
    char pkg[] = "/tmp/dd_nanodet_XXXXXX";
    int fd = mkstemp(pkg);
    close(fd);
    snprintf(cmd, sizeof(cmd),
             "%s compile --model %s --calib %s --calib-frames 6 --calib-step 40 --out %s",
             DD_DETECT_BIN, tc_asset("models/nanodet"), tc_asset("media/vtest.avi"), pkg);
    int st = tc_run(cmd, &out, &err);
    cr_assert_eq(st, 0, "compile failed: %s", err);
    cJSON *summary = cJSON_Parse(out);
    cr_assert(summary, "compile summary is not JSON: %s", out);
    cr_assert_str_eq(cJSON_GetObjectItem(summary, "family")->valuestring, "nanodet");
    cJSON_Delete(summary);
    free(out);
    free(err);
    char args[1024];
    snprintf(args, sizeof(args), "--model %s --input %s --from 300 --frames 1 --backend golden",
             pkg, tc_asset("media/vtest.avi"));
    int lines;
    cJSON *f = run_detect(args, &lines);
    cr_assert_eq(count_label(f, "person", 0.5f), 6, "quantized people with score >= 0.5");
    static const struct want tfjs[] = {
        {"person", 0.83f, {582, 161, 612, 235}},
        {"person", 0.77f, {184, 160, 221, 235}},
        {"person", 0.74f, {312, 212, 347, 295}},
    };
    expect_boxes(f, tfjs, 3, 4.0f);
    /* the CPU backend (the default for packages) prints exactly the same */
    snprintf(args, sizeof(args), "--model %s --input %s --from 300 --frames 1", pkg,
             tc_asset("media/vtest.avi"));
    cJSON *g = run_detect(args, &lines);
    char *a = cJSON_PrintUnformatted(f), *b = cJSON_PrintUnformatted(g);
    cr_assert_str_eq(b, a, "cpu backend detections differ from the golden model's");
    free(a);
    free(b);
    cJSON_Delete(g);
    cJSON_Delete(f);
    /* a package is not a float model, and a damaged package is refused */
    snprintf(args, sizeof(args), "run --model %s --input %s --backend float", pkg,
             tc_asset("media/faces/sample1.jpg"));
    expect_failure(args, 2, "compiled package");
    FILE *fp = fopen(pkg, "r+b");
    fseek(fp, 200, SEEK_SET);
    fputc(0x5a, fp);
    fclose(fp);
    snprintf(args, sizeof(args), "run --model %s --input %s", pkg,
             tc_asset("media/faces/sample1.jpg"));
    expect_failure(args, 1, "checksum");
    unlink(pkg);
}

#if defined(DD_WITH_RTLSIM)
/* The RTL accelerator from the command line: NanoDet from a YUYV 640x360 frame on the Zynq-7020
 * configuration, the whole arena checked against golden by rtl-bench itself; a configuration
 * too small for the model is refused before anything runs. */
Test(detect_cli, rtl_bench_runs_nanodet_bit_exact_and_rtlsim_refuses_what_does_not_fit,
     .timeout = 600)
{
    char args[1024];
    snprintf(args, sizeof(args), "run --model %s --input %s --backend rtlsim --rtl-config tiny",
             tc_asset("packages/nanodet-w8a8.ddpkg"), tc_asset("media/faces/sample1.jpg"));
    expect_failure(args, 1, "rtl tiny: instruction");
    snprintf(args, sizeof(args), "run --model %s --input %s --backend rtlsim --rtl-config zu9",
             tc_asset("packages/nanodet-w8a8.ddpkg"), tc_asset("media/faces/sample1.jpg"));
    expect_failure(args, 2, "--rtl-config");
    char cmd[2048], *out, *err;
    snprintf(cmd, sizeof(cmd),
             "%s rtl-bench --model %s --config z7020 --input %s --frame 640x360 --format yuyv",
             DD_DETECT_BIN, tc_asset("packages/nanodet-w8a8.ddpkg"),
             tc_asset("media/faces/sample1.jpg"));
    int st = tc_run(cmd, &out, &err);
    if (st != 0 && strstr(err, "is not built into this program")) {
        /* the sanitizer configuration builds the tiny model only (DD_RTL_MODELS) */
        free(out);
        free(err);
        cr_skip_test("the z7020 model is not in this build");
    }
    cr_assert_eq(st, 0, "rtl-bench failed (%d): %s", st, err);
    cJSON *j = cJSON_Parse(out);
    cr_assert(j, "not JSON: %s", out);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "bit_exact")), "%s", out);
    cr_assert_gt(cJSON_GetObjectItem(j, "cycles")->valuedouble, 1e6);
    cr_assert_gt(cJSON_GetObjectItem(j, "mac_utilisation")->valuedouble, 0.5);
    cr_log_info("rtl-bench z7020, 640x360 YUYV: %s", out);
    cJSON_Delete(j);
    free(out);
    free(err);
}
#endif

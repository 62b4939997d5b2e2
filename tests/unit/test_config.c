/* The config: schema defaults, every type's parsing and its errors (file,
 * line, key, accepted values), continuation lines, the generated sample, the
 * reload diff, and the resolution of class names against a model. */
#include <criterion/criterion.h>

#include "accel/rtl/rtl_config.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "config/config.h"
#include "config/schema.h"
#include "tracking/scene.h"
#include "daemon/settings.h"
#include "postproc/labels.h"
#include "tests_common.h"

static struct dd_config cfg;
static struct dd_err err;

static int load(const char *text)
{
    dd_config_defaults(&cfg);
    memset(&err, 0, sizeof(err));
    return dd_config_load_string("test.conf", text, &cfg, &err);
}

static void expect_error(const char *text, const char *fragment)
{
    cr_assert_neq(load(text), 0, "accepted: %s", text);
    cr_assert(strstr(err.msg, fragment), "'%s' not in '%s'", fragment, err.msg);
}

Test(config, defaults_are_the_embedded_default)
{
    dd_config_defaults(&cfg);
    cr_assert_str_eq(cfg.source_uri, "demo");
    cr_assert_str_eq(cfg.model_package, "nanodet-w8a8");
    cr_assert_str_eq(cfg.model_backend, "cpu");
    cr_assert_str_eq(cfg.http_listen, "127.0.0.1:8080");
    cr_assert_str_eq(cfg.sink_output, "null");
    cr_assert(isnan(cfg.score_threshold));
    cr_assert_eq(cfg.source_loop, 1);
    cr_assert_eq(cfg.roi.enabled, 0);
    cr_assert_eq(cfg.http_enabled, 1);
    cr_assert_float_eq(cfg.watchdog_stall_s, 10.0f, 1e-6);
}

Test(config, every_schema_key_has_help_and_an_apply_class)
{
    for (size_t i = 0; i < dd_cfg_n_keys; i++) {
        const struct dd_cfg_key *k = &dd_cfg_keys[i];
        cr_assert(k->help && strlen(k->help) > 10, "%s.%s", k->section, k->name);
        cr_assert(k->apply, "%s.%s", k->section, k->name);
        int found = 0;
        for (size_t s = 0; s < dd_cfg_n_sections; s++)
            found |= !strcmp(dd_cfg_sections[s].name, k->section);
        cr_assert(found, "%s has no section entry", k->section);
    }
    cr_assert_lt(dd_cfg_n_keys, 128, "the parser tracks at most 128 keys");
}

Test(config, values_of_every_type_parse)
{
    cr_assert_eq(
        load("[source]\nuri = /dev/video2\nsize = 1280x720\nformat = yuyv\nloop = no\n"
             "buffers = 6\n[model]\nbackend = golden\npolicy = latest\n"
             "[detector]\nscore_threshold = 0.5\niou_threshold=0.4\nmax_detections = 20\n"
             "class_thresholds = person:0.6, traffic light : 0.3\n"
             "classes_allow = person, car, traffic light\nroi = 0.1, 0.2, 0.9,1\n"
             "[http]\nlisten = 0.0.0.0:9000\ntoken = s3cret\n[daemon]\nlog_level = debug\n"),
        0, "%s", err.msg);
    cr_assert_str_eq(cfg.source_uri, "/dev/video2");
    cr_assert_eq(cfg.source_size.w, 1280);
    cr_assert_eq(cfg.source_size.h, 720);
    cr_assert_eq(cfg.source_format, DD_FRAME_YUYV);
    cr_assert_eq(cfg.source_loop, 0);
    cr_assert_eq(cfg.source_buffers, 6);
    cr_assert_str_eq(cfg.model_backend, "golden");
    cr_assert_eq(cfg.model_policy, DD_DETECT_LATEST);
    cr_assert_float_eq(cfg.score_threshold, 0.5f, 1e-6);
    cr_assert_eq(cfg.max_detections, 20);
    cr_assert_eq(cfg.roi.enabled, 1);
    cr_assert_float_eq(cfg.roi.v[1], 0.2f, 1e-6);
    cr_assert_str_eq(cfg.http_token, "s3cret");
    cr_assert_eq(cfg.log_level, DD_LOG_DEBUG);
}

Test(config, errors_name_file_line_key_and_accepted_values)
{
    expect_error("[source]\nuri = a\n\n[detector]\nscore_treshold = 0.5\n",
                 "test.conf:5: [detector] score_treshold: unknown key (accepted: score_threshold,");
    expect_error("[camera]\nuri = a\n",
                 "test.conf:2: [camera]: unknown section (accepted: source,");
    expect_error("[detector]\nscore_threshold = 1.5\n",
                 "test.conf:2: [detector] score_threshold: '1.5' is not valid (accepted: a number "
                 "in 0..1 or auto)");
    expect_error("[detector]\nmax_detections = 2.5\n", "integer in 1..1000");
    /* inih ends a value at ' ;': a token would silently become its prefix */
    expect_error("[http]\ntoken = abc ;def\n",
                 "[http] token: ' ;' starts a comment on this line: a token cannot contain it");
    cr_assert_eq(load("[http]\ntoken = abc;def\n"), 0, "%s", err.msg);
    cr_assert_str_eq(cfg.http_token, "abc;def");
    /* control bytes of the file are not echoed raw into the logs */
    expect_error("[detector]\nscore_threshold = 0.5\x1b[2J\x07\n",
                 "'0.5\\x1b[2J\\x07' is not valid");
    /* integers as written: no wrap-around, hex, exponent or sign (issue #17) */
    expect_error("[source]\nsize = 4294967312x16\n", "'4294967312x16' is not valid");
    expect_error("[source]\nsize = 640x360x2\n", "is not valid");
    expect_error("[source]\nsize = +640x360\n", "is not valid");
    const char *ints[] = {"0x10", "1e1", "+16", "16.0", "4294967312", "", "1 6"};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        char text[96];
        snprintf(text, sizeof(text), "[http]\nmax_connections = %s\n", ints[i]);
        expect_error(text, "max_connections: '");
    }
    cr_assert_eq(load("[http]\nmax_connections = 16\n[source]\nsize = 640x360\n"), 0, "%s",
                 err.msg);
    cr_assert_eq(cfg.http_max_connections, 16);
    char names[128], want[160];
    snprintf(want, sizeof(want), "'tpu' is not valid (accepted: %s)",
             dd_backend_names(names, sizeof(names), "|"));
    expect_error("[model]\nbackend = tpu\n", want);
#if !defined(DD_WITH_XRT)
    expect_error("[model]\nbackend = xrt\n", "'xrt' is not valid (accepted: cpu|golden");
#endif
    expect_error("[model]\nrtl_config = zu9\n", "accepted: kv260|z7020|tiny");
    expect_error("[source]\nloop = maybe\n", "accepted: true|false");
    expect_error("[source]\nsize = 1281x720\n", "WIDTHxHEIGHT");
    expect_error("[source]\nsize = 640\n", "WIDTHxHEIGHT");
    expect_error("[detector]\nroi = 0.5,0,0.4,1\n", "x0,y0,x1,y1");
    expect_error("[detector]\nroi = 0,0,1\n", "x0,y0,x1,y1");
    expect_error("[detector]\nclasses_allow = person, unicorn\n", "'unicorn' is not a class name");
    expect_error("[detector]\nclasses_deny = person,,car\n", "empty item");
    expect_error("[detector]\nclass_thresholds = person\n", "'person' is not CLASS:SCORE");
    expect_error("[detector]\nclass_thresholds = person:2\n", "is not CLASS:SCORE");
    expect_error("[http]\nlisten = 8080\n", "IPV4:PORT");
    expect_error("[http]\nlisten = 127.0.0.1:99999\n", "IPV4:PORT");
    expect_error("[http]\nlisten = 300.0.0.1:80\n", "IPV4:PORT");
    expect_error("[source]\nuri = a\nuri = b\n",
                 "test.conf:3: [source] uri: given twice (first on line 2)");
    expect_error("[source]\nthis line has no equals sign\n", "test.conf:2: not a [section] header");
    expect_error("uri = a\n", "test.conf:1: []: unknown section");
}

Test(config, long_values_continue_on_indented_lines_and_long_lines_are_refused)
{
    cr_assert_eq(load("[source]\nuri = gst:videotestsrc pattern=ball\n"
                      "  ! video/x-raw,width=640,height=480\n  ! videoconvert\n"),
                 0, "%s", err.msg);
    cr_assert_str_eq(
        cfg.source_uri,
        "gst:videotestsrc pattern=ball ! video/x-raw,width=640,height=480 ! videoconvert");
    char text[600] = "[sink]\noutput = gst:";
    memset(text + strlen(text), 'x', 400);
    strcat(text, "\n");
    expect_error(text, "test.conf:2: line longer than");
    expect_error("[detector]\nscore_threshold = 0.5\n  0.6\n", "only text values continue");
}

Test(config, missing_file_is_a_clear_error)
{
    dd_config_defaults(&cfg);
    cr_assert_neq(dd_config_load("/nonexistent/detectd.conf", &cfg, &err), 0);
    cr_assert(strstr(err.msg, "/nonexistent/detectd.conf: No such file"), "%s", err.msg);
}

/* A FIFO with no writer, a device that never ends: refused at once, never read (the open used
 * to wait for a writer, the parser to read /dev/zero forever); the Criterion timeout fails a
 * hang. The model files go through dd_file_read, checked the same way. */
Test(config, a_fifo_or_a_device_is_refused_without_blocking, .timeout = 20)
{
    char dir[] = "/tmp/dd_cfg_fifo_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char fifo[64];
    snprintf(fifo, sizeof(fifo), "%s/detectd.conf", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    const char *paths[] = {fifo, "/dev/zero"};
    for (int i = 0; i < 2; i++) {
        dd_config_defaults(&cfg);
        memset(&err, 0, sizeof(err));
        cr_assert_neq(dd_config_load(paths[i], &cfg, &err), 0);
        cr_assert(strstr(err.msg, "not a regular file"), "%s", err.msg);
        char *data = NULL;
        size_t len = 0;
        memset(&err, 0, sizeof(err));
        cr_assert_neq(dd_file_read(paths[i], 1u << 20, &data, &len, &err), 0);
        cr_assert(strstr(err.msg, "not a regular file"), "%s", err.msg);
        cr_assert_null(data);
    }
    unlink(fifo);
    rmdir(dir);
}

Test(config, the_sample_is_generated_from_the_schema_and_parses_to_the_defaults)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    dd_config_write_sample(f);
    fclose(f);
    struct dd_config def;
    dd_config_defaults(&def);
    cr_assert_eq(load(text), 0, "%s", err.msg);
    cr_assert_eq(dd_config_diff(&def, &cfg), 0);
    for (size_t i = 0; i < dd_cfg_n_keys; i++) {
        char line[256];
        snprintf(line, sizeof(line), "\n%s = %s\n", dd_cfg_keys[i].name, dd_cfg_keys[i].def);
        cr_assert(strstr(text, line), "%s missing", line);
    }
    /* the committed deploy/detectd.conf is this text (regenerate: detectd --print-config), as
     * written by the default build (the backend list is the registry's) */
#if !defined(DD_WITH_XRT)
    free(text);
    cr_skip_test("deploy/detectd.conf is the DD_WITH_XRT=ON build's; this build has no xrt");
#endif
    size_t n;
    char *committed = tc_read_file(DD_SOURCE_DIR "/deploy/detectd.conf", &n);
    cr_assert_eq(
        n, len,
        "deploy/detectd.conf is stale: run build/bin/detectd --print-config > deploy/detectd.conf");
    cr_assert_eq(memcmp(committed, text, n), 0, "deploy/detectd.conf is stale");
    free(committed);
    free(text);
}

Test(config, diff_says_what_a_reload_must_redo)
{
    struct dd_config a, b;
    dd_config_defaults(&a);
    b = a;
    cr_assert_eq(dd_config_diff(&a, &b), 0);
    dd_config_set(&b, "detector", "score_threshold", "0.6", &err);
    dd_config_set(&b, "overlay", "fps", "off", &err);
    cr_assert_eq(dd_config_diff(&a, &b), DD_APPLY_LIVE);
    dd_config_set(&b, "model", "package", "/tmp/other.ddpkg", &err);
    cr_assert_eq(dd_config_diff(&a, &b), DD_APPLY_LIVE | DD_APPLY_MODEL);
    dd_config_set(&b, "source", "size", "640x360", &err);
    dd_config_set(&b, "http", "token", "t", &err);
    cr_assert_eq(dd_config_diff(&a, &b),
                 DD_APPLY_LIVE | DD_APPLY_MODEL | DD_APPLY_PIPELINE | DD_APPLY_HTTP);
}

static struct dd_family_info coco_family(void)
{
    struct dd_family_info f = {0};
    f.name = "nanodet";
    f.num_classes = DD_COCO_CLASSES;
    f.labels = dd_coco_labels;
    f.default_score_threshold = 0.35f;
    return f;
}

Test(config, settings_resolve_classes_against_the_model)
{
    struct dd_family_info fam = coco_family();
    struct dd_detect_settings s;
    cr_assert_eq(
        load("[detector]\nclasses_allow = person, car\nclasses_deny = car\n"
             "class_thresholds = person:0.2, dog:0.9\nroi = 0,0.5,1,1\n[overlay]\nfps = off\n"),
        0, "%s", err.msg);
    cr_assert_eq(dd_settings_from_config(&cfg, &fam, &s, &err), 0, "%s", err.msg);
    cr_assert_eq(s.class_enabled[0], 1);  /* person */
    cr_assert_eq(s.class_enabled[2], 0);  /* car: denied */
    cr_assert_eq(s.class_enabled[16], 0); /* dog: not allowed */
    /* person below the global 0.35: the decoder keeps down to 0.2, every other class at 0.35 */
    cr_assert_float_eq(s.opts.score_threshold, 0.2f, 1e-6);
    cr_assert_float_eq(s.class_threshold[0], 0.2f, 1e-6);
    cr_assert_float_eq(s.class_threshold[16], 0.9f, 1e-6);
    cr_assert_float_eq(s.class_threshold[1], 0.35f, 1e-6);
    cr_assert_eq(s.roi_enabled, 1);
    cr_assert_eq(s.overlay_fps, 0);

    /* the face model has no "person" */
    struct dd_family_info face = {0};
    face.name = "blazeface";
    face.num_classes = 1;
    face.labels = dd_face_labels;
    cr_assert_eq(load("[detector]\nclasses_allow = person\n"), 0);
    cr_assert_neq(dd_settings_from_config(&cfg, &face, &s, &err), 0);
    cr_assert(strstr(err.msg, "'person' is not a class of the model blazeface"), "%s", err.msg);
}

Test(config, backend_options_reach_the_pipeline_config)
{
#if !defined(DD_WITH_XRT)
    cr_skip_test("no xrt backend in this build (DD_WITH_XRT=OFF)");
#endif
    cr_assert_eq(load("[model]\nbackend = xrt\nxclbin = /opt/fpga/detectd.xclbin\nxrt_device = 2\n"
                      "xrt_timeout_ms = 500\nfallback = none\n"),
                 0, "%s", err.msg);
    struct dd_pipeline_strings strs;
    struct dd_pipeline_config pc;
    cr_assert_eq(dd_pipeline_config_from(&cfg, &strs, &pc, &err), 0, "%s", err.msg);
    cr_assert_str_eq(pc.backend.name, "xrt");
    cr_assert_str_eq(pc.backend.opts.xclbin, "/opt/fpga/detectd.xclbin");
    cr_assert_str_eq(pc.backend.opts.xrt_device, "2");
    cr_assert_eq(pc.backend.opts.timeout_ms, 500);
    cr_assert_null(pc.backend.fallback);
    cr_assert_eq(load("[model]\nbackend = golden\nxclbin = board\nrtl_config = z7020\n"), 0);
    cr_assert_eq(dd_pipeline_config_from(&cfg, &strs, &pc, &err), 0);
    cr_assert_str_eq(pc.backend.name, "golden");
    cr_assert_str_eq(pc.backend.opts.rtl_config, "z7020");
    cr_assert(strstr(pc.backend.opts.xclbin, "/xclbin/board"), "%s", pc.backend.opts.xclbin);
    cr_assert_str_eq(pc.backend.fallback, "cpu", "fallback = cpu by default");
}

Test(config, the_rtl_configurations_are_the_accelerators)
{
    size_t n = 0;
    for (; dd_cfg_rtl_configs[n].name; n++)
        cr_assert_str_eq(dd_cfg_rtl_configs[n].name, dd_rtl_configs[n].name,
                         "[model] rtl_config choice %zu", n);
    cr_assert_eq(n, dd_rtl_n_configs);
}

Test(config, zones_and_lines_are_checked_where_they_are_written)
{
    cr_assert_eq(load("[zones]\nzone1 = door: 0.1,0.5 0.4,0.5 0.4,1 0.1,1\nanchor = center\n"
                      "[lines]\nline8 = gate: 0.2,0.6\n  0.8,0.6\n"),
                 0, "%s", err.msg);
    cr_assert_str_eq(cfg.lines[7], "gate: 0.2,0.6 0.8,0.6");
    cr_assert_eq(cfg.zones_anchor, DD_ANCHOR_CENTER);
    expect_error("[zones]\nzone1 = bow: 0,0 1,1 1,0 0,1\n",
                 "test.conf:2: [zones] zone1: zone 'bow'");
    expect_error("[zones]\nzone2 = big: 0,0 1.5,0 1,1\n", "outside the frame");
    expect_error("[zones]\nzone3 = flat: 0,0 0.5,0.5 1,1\n", "no area");
    expect_error("[lines]\nline1 = dot: 0.5,0.5 0.5,0.5\n", "same point");
    expect_error("[lines]\nline9 = x: 0,0 1,1\n", "unknown key");
    expect_error("[zones]\nanchor = feet\n", "bottom_center|center");
    struct dd_config a, b;
    dd_config_defaults(&a);
    b = a;
    snprintf(b.zones[0], sizeof(b.zones[0]), "z: 0,0 1,0 1,1");
    cr_assert_eq(dd_config_diff(&a, &b), DD_APPLY_LIVE, "zones change live");
}

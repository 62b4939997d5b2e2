/* The XRT backend's host side against the real XRT library (Debian's
 * libxrt 2.13) and its own noop shim (XCL_EMULATION_MODE=noop: device,
 * xclbin, kernel, buffers and runs all real XRT code paths; the kernel does
 * not compute), with xclbins written by our mkxclbin: every frame path
 * (DMA-BUF import, user pointer, copy), run timeouts, a wrong xclbin, a
 * missing kernel, no card, a missing or wrong XILINX_XRT (XRT would abort),
 * the pipeline's fallback to the cpu backend, and `detect run --backend xrt`. */
#define _GNU_SOURCE /* memfd_create */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "media/gst_util.h"
#include "accel/qdetector.h"
#include "accel/xrt/xrt_backend.h"
#include "media/image.h"
#include "pipeline/pipeline.h"
#include "media/video_file.h"
#include "tests_common.h"

#define PACKAGE "packages/nanodet-w8a8.ddpkg"

static char dir[64], xclbin[128], other_kernel[128], garbage[128], ini[128];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* XILINX_XRT: a directory whose lib/ is Debian's multiarch library directory. */
static void setup(void)
{
    strcpy(dir, "/tmp/dd-xrt-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "ln -s /usr/lib/%s %s/lib", DD_MULTIARCH, dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(xclbin, sizeof(xclbin), "%s/detectd.xclbin", dir);
    snprintf(other_kernel, sizeof(other_kernel), "%s/other.xclbin", dir);
    snprintf(garbage, sizeof(garbage), "%s/garbage.xclbin", dir);
    snprintf(ini, sizeof(ini), "%s/xrt.ini", dir);
    snprintf(cmd, sizeof(cmd), "%s %s && %s --kernel vadd %s", DD_MKXCLBIN_BIN, xclbin,
             DD_MKXCLBIN_BIN, other_kernel);
    cr_assert_eq(system(cmd), 0, "mkxclbin");
    write_file(garbage, "this is not an xclbin\n");
    write_file(ini, "[Runtime]\nruntime_log=null\n");
    setenv("XILINX_XRT", dir, 1);
    setenv("XCL_EMULATION_MODE", "noop", 1);
    setenv("XRT_INI_PATH", ini, 1);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
    dd_gst_deinit();
}

TestSuite(xrt, .init = setup, .fini = teardown, .timeout = 300);

static struct dd_qdetector *open_xrt(const char *xb, unsigned timeout_ms, struct dd_err *err)
{
    struct dd_backend_choice c = {"xrt", {NULL, xb, timeout_ms, NULL}, NULL};
    struct dd_qdetector *q = NULL;
    if (dd_qdetector_open(tc_asset(PACKAGE), &c, &q, err) != 0) return NULL;
    return q;
}

Test(xrt, runs_the_host_path_on_the_noop_shim_with_every_frame_path)
{
    struct dd_err err = {{0}};
    struct dd_qdetector *q = open_xrt(xclbin, 0, &err);
    cr_assert_not_null(q, "%s", err.msg);
    struct dd_backend_stats st;

    /* a frame in malloc'd memory: no DMA-BUF, a user-pointer buffer on it */
    struct dd_image img;
    cr_assert_eq(dd_image_load(tc_asset("media/faces/sample1.jpg"), &img, &err), 0, "%s", err.msg);
    struct dd_isa_frame f = dd_isa_frame_from_image(&img);
    cr_assert_eq(dd_qdetector_infer(q, &f, &err), 0, "%s", err.msg);
    dd_qdetector_get_backend_stats(q, &st);
    cr_assert_eq(st.frames_userptr, 1);
    cr_assert_eq(st.runs, 2, "preprocess and the rest: two kernel calls");

    /* an NV12 frame in a memfd (as the pipeline's frames): the import is tried
     * (the noop shim cannot import), then the user pointer */
    uint32_t w = 640, h = 360;
    size_t size = (size_t)w * h * 3 / 2;
    int fd = memfd_create("frame", MFD_CLOEXEC);
    cr_assert(fd >= 0 && ftruncate(fd, (off_t)size) == 0);
    uint8_t *px = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    cr_assert_neq(px, MAP_FAILED);
    memset(px, 128, size);
    struct dd_isa_frame nv = {DD_FRAME_NV12, w, h, w, w, px, px + (size_t)w * h};
    dd_qdetector_set_frame_buffer(q, fd, 0);
    cr_assert_eq(dd_qdetector_infer(q, &nv, &err), 0, "%s", err.msg);
    dd_qdetector_get_backend_stats(q, &st);
    cr_assert_eq(st.frames_imported + st.frames_userptr, 2, "zero-copy paths");

    /* NV12 planes in separate allocations: only a copy joins them */
    uint8_t *uv = malloc((size_t)w * h / 2);
    memset(uv, 128, (size_t)w * h / 2);
    struct dd_isa_frame apart = {DD_FRAME_NV12, w, h, w, w, px, uv};
    dd_qdetector_set_frame_buffer(q, -1, 0);
    cr_assert_eq(dd_qdetector_infer(q, &apart, &err), 0, "%s", err.msg);
    dd_qdetector_get_backend_stats(q, &st);
    cr_assert_eq(st.frames_copied, 1);
    cr_assert_eq(st.runs, 6);

    /* the outputs are read back from the device arena and decoded */
    struct dd_detect_opts o = DD_DETECT_OPTS_DEFAULT;
    struct dd_det_list dets;
    dd_det_list_init(&dets);
    cr_assert_eq(dd_qdetector_postprocess(q, w, h, &o, &dets, &err), 0, "%s", err.msg);
    dd_det_list_destroy(&dets);
    free(uv);
    munmap(px, size);
    close(fd);
    dd_image_destroy(&img);
    dd_qdetector_close(q);
}

Test(xrt, a_run_past_its_timeout_is_an_error_and_the_backend_stays_failed)
{
    write_file(ini, "[Runtime]\nruntime_log=null\nnoop_completion_delay_us=1500000\n");
    struct dd_err err = {{0}};
    struct dd_qdetector *q = open_xrt(xclbin, 100, &err);
    cr_assert_not_null(q, "%s", err.msg);
    struct dd_image img;
    cr_assert_eq(dd_image_load(tc_asset("media/faces/sample1.jpg"), &img, &err), 0, "%s", err.msg);
    struct dd_isa_frame f = dd_isa_frame_from_image(&img);
    cr_assert_neq(dd_qdetector_infer(q, &f, &err), 0);
    cr_assert(strstr(err.msg, "did not finish within 100 ms"), "%s", err.msg);
    cr_assert_neq(dd_qdetector_infer(q, &f, &err), 0);
    cr_assert(strstr(err.msg, "reopen"), "%s", err.msg);
    dd_image_destroy(&img);
    dd_qdetector_close(q); /* waits for the outstanding command */
}

Test(xrt, a_wrong_xclbin_a_missing_kernel_and_no_card_are_clear_errors)
{
    struct dd_err err = {{0}};
    cr_assert_null(open_xrt(garbage, 0, &err));
    cr_assert(strstr(err.msg, "could not load it"), "%s", err.msg);
    cr_assert_null(open_xrt(other_kernel, 0, &err));
    cr_assert(strstr(err.msg, "has no kernel 'dd_accel_kernel'"), "%s", err.msg);
    char missing[160];
    snprintf(missing, sizeof(missing), "%s/none.xclbin", dir);
    cr_assert_null(open_xrt(missing, 0, &err));
    cr_assert(strstr(err.msg, "cannot read it"), "%s", err.msg);
}

Test(xrt, no_card_is_a_clear_error)
{
    unsetenv("XCL_EMULATION_MODE"); /* the real shim: no FPGA on this machine */
    struct dd_err err = {{0}};
    cr_assert_null(open_xrt(xclbin, 0, &err));
    cr_assert(strstr(err.msg, "no FPGA device at index 0"), "%s", err.msg);
    struct dd_backend_choice c = {"xrt", {"0000:03:00.1", xclbin, 0, NULL}, NULL};
    struct dd_qdetector *q = NULL;
    cr_assert_neq(dd_qdetector_open(tc_asset(PACKAGE), &c, &q, &err), 0);
    cr_assert(strstr(err.msg, "no FPGA device at 0000:03:00.1"), "%s", err.msg);
}

Test(xrt, a_missing_or_wrong_xilinx_xrt_is_an_error_not_an_abort)
{
    struct dd_err err = {{0}};
    unsetenv("XILINX_XRT");
    cr_assert_null(open_xrt(xclbin, 0, &err));
    cr_assert(strstr(err.msg, "XILINX_XRT is not set"), "%s", err.msg);
    setenv("XILINX_XRT", "/nonexistent", 1);
    cr_assert_null(open_xrt(xclbin, 0, &err));
    cr_assert(strstr(err.msg, "XILINX_XRT=/nonexistent is not an XRT installation"), "%s", err.msg);
}

static struct dd_pipeline_config xrt_pipeline(int fallback)
{
    struct dd_pipeline_config c = {0};
    c.source.spec = tc_asset("media/vtest-1080p.mp4");
    c.source.width = 320, c.source.height = 180, c.source.format = DD_FRAME_NV12;
    c.sink.spec = "null";
    c.model = tc_asset(PACKAGE);
    c.backend.name = "xrt";
    c.backend.opts.xclbin = xclbin;
    c.backend.fallback = fallback ? "cpu" : NULL;
    c.max_frames = 5;
    dd_detect_settings_default(&c.settings);
    return c;
}

/* Runs a pipeline to its end; returns it stopped (the caller destroys it), with its stats. */
static struct dd_pipeline *run_to_end(const struct dd_pipeline_config *c,
                                      struct dd_pipeline_stats *s)
{
    struct dd_err err = {{0}};
    struct dd_pipeline *p;
    cr_assert_eq(dd_pipeline_create(c, &p, &err), 0, "%s", err.msg);
    cr_assert_eq(dd_pipeline_start(p, &err), 0, "%s", err.msg);
    cr_assert_eq(dd_pipeline_wait(p, 120000), 1);
    dd_pipeline_stop(p);
    dd_pipeline_get_stats(p, s);
    return p;
}

Test(xrt, the_pipeline_falls_back_to_the_cpu_backend_only_when_allowed)
{
    unsetenv("XCL_EMULATION_MODE"); /* no card */
    struct dd_err err = {{0}};
    struct dd_pipeline *p;
    struct dd_pipeline_config c = xrt_pipeline(0);
    cr_assert_neq(dd_pipeline_create(&c, &p, &err), 0);
    cr_assert(strstr(err.msg, "no FPGA device"), "%s", err.msg);

    c = xrt_pipeline(1);
    struct dd_pipeline_stats s;
    p = run_to_end(&c, &s);
    cr_assert_str_eq(s.backend, "cpu");
    cr_assert(strstr(s.backend_fallback, "xrt: no FPGA device"), "%s", s.backend_fallback);
    cr_assert_eq(s.frames_output, 5);
    dd_pipeline_destroy(p);
}

Test(xrt, the_pipeline_runs_its_frames_through_xrt_on_the_noop_shim)
{
    struct dd_pipeline_config c = xrt_pipeline(0);
    struct dd_pipeline_stats s;
    struct dd_pipeline *p = run_to_end(&c, &s);
    cr_assert_str_eq(s.backend, "xrt");
    cr_assert_eq(s.frames_processed, 5, "%s", s.last_error);
    cr_assert_eq(s.detector_errors, 0);
    struct dd_backend_stats xs;
    dd_qdetector_get_backend_stats(dd_pipeline_detector(p), &xs);
    cr_assert_eq(xs.frames_imported + xs.frames_userptr, 5, "pipeline frames go zero-copy");
    cr_assert_eq(xs.frames_copied, 0);
    cr_assert_eq(s.accel_imported + s.accel_userptr, 5, "and the pipeline's stats say so");
    cr_assert_eq(s.accel_copied, 0);
    cr_assert_eq(s.frame_copies, 0);
    dd_pipeline_destroy(p);
}

Test(xrt, detect_run_with_no_card_exits_with_a_clear_message)
{
    unsetenv("XCL_EMULATION_MODE");
    char cmd[512], *out, *e;
    snprintf(cmd, sizeof(cmd), "%s run --model %s --input %s --frames 1 --backend xrt --xclbin %s",
             DD_DETECT_BIN, tc_asset(PACKAGE), tc_asset("media/faces/sample1.jpg"), xclbin);
    cr_assert_eq(tc_run(cmd, &out, &e), 1, "%s", e);
    cr_assert(strstr(e, "<3>detect: xrt: no FPGA device at index 0"), "%s", e);
    free(out);
    free(e);
    snprintf(cmd, sizeof(cmd), "%s run --model %s --input %s --frames 1 --backend xrt",
             DD_DETECT_BIN, tc_asset(PACKAGE), tc_asset("media/faces/sample1.jpg"));
    cr_assert_eq(tc_run(cmd, &out, &e), 2);
    cr_assert(strstr(e, "--backend xrt needs --xclbin FILE"), "%s", e);
    free(out);
    free(e);
}

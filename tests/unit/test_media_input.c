/* Images, image directories and video files as frame sources, and their errors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/file.h"
#include "media/media_input.h"
#include "tests_common.h"

Test(media_input, jpeg_image_is_one_frame)
{
    struct dd_media_input *m;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_media_input_open(tc_asset("media/faces/sample1.jpg"), &m, &err), 0, "%s",
                 err.msg);
    struct dd_image img = {0};
    int idx;
    cr_assert_eq(dd_media_input_next(m, &img, &idx, &err), 1, "%s", err.msg);
    cr_assert_eq(idx, 0);
    cr_assert(img.width > 0 && img.height > 0);
    cr_assert_eq(dd_media_input_next(m, &img, &idx, &err), 0);
    dd_image_destroy(&img);
    dd_media_input_close(m);
}

Test(media_input, directory_of_images_in_name_order)
{
    struct dd_media_input *m;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_media_input_open(tc_asset("media/faces"), &m, &err), 0, "%s", err.msg);
    struct dd_image img = {0};
    int idx, n = 0;
    while (dd_media_input_next(m, &img, &idx, &err) == 1) cr_assert_eq(idx, n++);
    cr_assert_eq(n, 6);
    dd_image_destroy(&img);
    dd_media_input_close(m);
}

Test(media_input, video_frames_decode_in_order, .timeout = 120)
{
    struct dd_media_input *m;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_media_input_open(tc_asset("media/vtest.avi"), &m, &err), 0, "%s", err.msg);
    struct dd_image img = {0};
    int idx;
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(dd_media_input_next(m, &img, &idx, &err), 1, "%s", err.msg);
        cr_assert_eq(idx, i);
        cr_assert_eq(img.width, 768);
        cr_assert_eq(img.height, 576);
    }
    dd_image_destroy(&img);
    dd_media_input_close(m);
}

static void write_tmp(char *path, const void *data, size_t len)
{
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    struct dd_err err;
    cr_assert_eq(dd_file_write(path, data, len, &err), 0);
}

Test(media_input, truncated_jpeg_is_an_error)
{
    size_t len;
    char *jpg = tc_read_file(tc_asset("media/faces/sample1.jpg"), &len);
    char path[] = "/tmp/dd_trunc_XXXXXX";
    write_tmp(path, jpg, 600);
    struct dd_image img = {0};
    struct dd_err err = {{0}};
    cr_assert_neq(dd_image_load(path, &img, &err), 0);
    cr_assert(strstr(err.msg, "JPEG"), "%s", err.msg);
    cr_assert_null(img.rgb);
    unlink(path);
    free(jpg);
}

Test(media_input, garbage_video_is_an_error, .timeout = 60)
{
    char junk[4096];
    for (size_t i = 0; i < sizeof(junk); i++) junk[i] = (char)(i * 7 + 3);
    char path[] = "/tmp/dd_junk_XXXXXX";
    write_tmp(path, junk, sizeof(junk));
    struct dd_media_input *m = NULL;
    struct dd_err err = {{0}};
    int rc = dd_media_input_open(path, &m, &err);
    if (rc == 0) { /* some demuxers only fail on the first read */
        struct dd_image img = {0};
        int idx;
        rc = dd_media_input_next(m, &img, &idx, &err) == 1 ? 0 : -1;
        dd_image_destroy(&img);
        dd_media_input_close(m);
    }
    cr_assert_neq(rc, 0, "garbage decoded as video");
    cr_assert(err.msg[0], "no error message");
    unlink(path);
}

Test(media_input, missing_path)
{
    struct dd_media_input *m;
    struct dd_err err = {{0}};
    cr_assert_neq(dd_media_input_open("/nonexistent/x.avi", &m, &err), 0);
    cr_assert(strstr(err.msg, "no such file"), "%s", err.msg);
}

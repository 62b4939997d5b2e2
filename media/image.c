#include "media/image.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "common/file.h"

#define MAX_IMAGE_FILE (256u << 20)

int dd_image_alloc(struct dd_image *img, int width, int height, struct dd_err *err)
{
    memset(img, 0, sizeof(*img));
    if (width < 1 || height < 1 || width > DD_IMAGE_MAX_DIM || height > DD_IMAGE_MAX_DIM)
        return dd_err_set(err, "image size %dx%d out of range", width, height);
    img->stride = (size_t)width * 3;
    img->rgb = malloc(img->stride * (size_t)height);
    if (!img->rgb) return dd_err_set(err, "out of memory for a %dx%d image", width, height);
    img->width = width;
    img->height = height;
    return 0;
}

void dd_image_destroy(struct dd_image *img)
{
    free(img->rgb);
    memset(img, 0, sizeof(*img));
}

static int load_jpeg(const char *path, const unsigned char *data, size_t len, struct dd_image *img,
                     struct dd_err *err)
{
    tjhandle tj = tjInitDecompress();
    if (!tj) return dd_err_set(err, "%s: cannot start the JPEG decoder", path);
    int w, h, sub, cs, rc = -1;
    if (tjDecompressHeader3(tj, data, (unsigned long)len, &w, &h, &sub, &cs) != 0) {
        dd_err_set(err, "%s: bad JPEG: %s", path, tjGetErrorStr2(tj));
    } else if (w < 1 || h < 1 || w > DD_IMAGE_MAX_DIM || h > DD_IMAGE_MAX_DIM) {
        dd_err_set(err, "%s: bad JPEG: size %dx%d", path, w, h);
    } else if (dd_image_alloc(img, w, h, err) == 0) {
        if (tjDecompress2(tj, data, (unsigned long)len, img->rgb, w, (int)img->stride, h, TJPF_RGB,
                          TJFLAG_ACCURATEDCT) != 0) {
            dd_err_set(err, "%s: JPEG decode failed: %s", path, tjGetErrorStr2(tj));
            dd_image_destroy(img);
        } else {
            rc = 0;
        }
    } else {
        dd_err_prefix(err, "%s", path);
    }
    tjDestroy(tj);
    return rc;
}

static int load_png(const char *path, const unsigned char *data, size_t len, struct dd_image *img,
                    struct dd_err *err)
{
    png_image p;
    memset(&p, 0, sizeof(p));
    p.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&p, data, len))
        return dd_err_set(err, "%s: bad PNG: %s", path, p.message);
    p.format = PNG_FORMAT_RGB;
    if (dd_image_alloc(img, (int)p.width, (int)p.height, err) != 0) {
        png_image_free(&p);
        return dd_err_prefix(err, "%s", path);
    }
    if (!png_image_finish_read(&p, NULL, img->rgb, (png_int_32)img->stride, NULL)) {
        dd_err_set(err, "%s: PNG decode failed: %s", path, p.message);
        dd_image_destroy(img);
        png_image_free(&p);
        return -1;
    }
    return 0;
}

static int sniff(const unsigned char *d, size_t n)
{
    if (n >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff) return 1;
    if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) return 2;
    return 0;
}

int dd_image_is_still(const char *path)
{
    unsigned char head[8];
    FILE *f;
    if (dd_file_open_regular(path, &f) != 0) return 0;
    size_t n = fread(head, 1, sizeof(head), f);
    fclose(f);
    return sniff(head, n) != 0;
}

int dd_image_load(const char *path, struct dd_image *img, struct dd_err *err)
{
    memset(img, 0, sizeof(*img));
    char *data;
    size_t len;
    if (dd_file_read(path, MAX_IMAGE_FILE, &data, &len, err) != 0) return -1;
    int kind = sniff((const unsigned char *)data, len), rc;
    if (kind == 1)
        rc = load_jpeg(path, (unsigned char *)data, len, img, err);
    else if (kind == 2)
        rc = load_png(path, (unsigned char *)data, len, img, err);
    else
        rc = dd_err_set(err, "%s: not a JPEG or PNG image", path);
    free(data);
    return rc;
}

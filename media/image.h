/* Packed 8-bit RGB images (R, G, B per pixel, rows stride bytes apart). */
#ifndef DD_MEDIA_IMAGE_H
#define DD_MEDIA_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define DD_IMAGE_MAX_DIM 16384

struct dd_image {
    int width, height;
    size_t stride;
    uint8_t *rgb; /* owned */
};

int dd_image_alloc(struct dd_image *img, int width, int height, struct dd_err *err);
void dd_image_destroy(struct dd_image *img);

/* Loads a JPEG (libjpeg-turbo) or PNG (libpng) file, chosen by content. */
int dd_image_load(const char *path, struct dd_image *img, struct dd_err *err);

/* True when the file starts like a JPEG or PNG. */
int dd_image_is_still(const char *path);

#endif

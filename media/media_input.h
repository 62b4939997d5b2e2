/* Frames from a still image (one frame), a directory of JPEG/PNG images
 * (sorted by name, one frame each) or a video file (GStreamer), numbered
 * from 0. */
#ifndef DD_MEDIA_MEDIA_INPUT_H
#define DD_MEDIA_MEDIA_INPUT_H

#include "media/image.h"

struct dd_media_input;

int dd_media_input_open(const char *path, struct dd_media_input **out, struct dd_err *err);
void dd_media_input_close(struct dd_media_input *m);

/* Reads the next frame into img (owned by the caller). Returns 1 with
 * *index set, 0 at the end, -1 on error. */
int dd_media_input_next(struct dd_media_input *m, struct dd_image *img, int *index,
                        struct dd_err *err);

/* Opens path, reads frame `frame` (numbered from 0) into img and closes it again. */
int dd_media_load_frame(const char *path, long frame, struct dd_image *img, struct dd_err *err);

#endif

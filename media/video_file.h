/* Reads the frames of a video file as RGB images through GStreamer
 * (filesrc ! decodebin ! videoconvert ! appsink). */
#ifndef DD_MEDIA_VIDEO_FILE_H
#define DD_MEDIA_VIDEO_FILE_H

#include "media/image.h"

struct dd_video_file;

int dd_video_file_open(const char *path, struct dd_video_file **out, struct dd_err *err);
void dd_video_file_close(struct dd_video_file *v);

/* Decodes the next frame into img (reallocated as needed; owned by the caller,
 * free with dd_image_destroy). Returns 1 on a frame, 0 at the end, -1 on error. */
int dd_video_file_read(struct dd_video_file *v, struct dd_image *img, struct dd_err *err);

#endif

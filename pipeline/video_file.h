/* Reads the frames of a video file as RGB images through GStreamer
 * (filesrc ! decodebin ! videoconvert ! appsink). */
#ifndef DD_PIPELINE_VIDEO_FILE_H
#define DD_PIPELINE_VIDEO_FILE_H

#include "pipeline/image.h"

struct dd_video_file;

int dd_video_file_open(const char *path, struct dd_video_file **out, struct dd_err *err);
void dd_video_file_close(struct dd_video_file *v);

/* Decodes the next frame into img (reallocated as needed; owned by the caller,
 * free with dd_image_free). Returns 1 on a frame, 0 at the end, -1 on error. */
int dd_video_file_read(struct dd_video_file *v, struct dd_image *img, struct dd_err *err);

/* Releases GStreamer's process-wide state at exit (after every video is closed). */
void dd_video_file_shutdown(void);

#endif

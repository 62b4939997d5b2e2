/* A quantized detector: a model package run by an ISA executor, its outputs
 * dequantized and decoded by the model family's decoder. Frame in,
 * detections in frame pixels out. */
#ifndef DD_ACCEL_QDETECTOR_H
#define DD_ACCEL_QDETECTOR_H

#include "accel/backend.h"
#include "accel/package.h"
#include "media/image.h"
#include "postproc/family.h"
#include "postproc/postprocess.h"

struct dd_qdetector {
    struct dd_pkg *pkg;
    struct dd_family_info family;
    struct dd_backend backend;
    char backend_fallback[DD_ERR_MSG_MAX]; /* why the chosen backend is not running ("": it is) */
    int frame_fd;                          /* DMA-BUF of the next frame (-1: none) */
    uint64_t frame_fd_offset;
    int8_t *arena; /* the backend's device arena (host view) or our own */
    int own_arena;
    float *outputs[DD_PKG_MAX_OUTPUTS]; /* dequantized, in the source model's order */
};

/* The INPUT frame describing a packed RGB image (borrows its pixels). */
struct dd_isa_frame dd_isa_frame_from_image(const struct dd_image *img);

/* True when the file at path starts with the package magic. */
int dd_qdetector_is_package(const char *path);

/* Loads the package at path and opens the chosen backend for it (NULL: cpu,
 * no fallback); a fallback that ran instead says why in q->backend_fallback. */
int dd_qdetector_open(const char *path, const struct dd_backend_choice *choice,
                      struct dd_qdetector **out, struct dd_err *err);
void dd_qdetector_close(struct dd_qdetector *q);
const char *dd_qdetector_backend_name(const struct dd_qdetector *q);
void dd_qdetector_get_backend_stats(const struct dd_qdetector *q, struct dd_backend_stats *out);
/* The buffer behind the next frame's pixels: its DMA-BUF fd and where the
 * frame's data starts in it (backends that can read it in place use it). */
void dd_qdetector_set_frame_buffer(struct dd_qdetector *q, int fd, uint64_t offset);

/* Runs the program on a frame; outputs are then in q->outputs. */
int dd_qdetector_infer(struct dd_qdetector *q, const struct dd_isa_frame *frame,
                       struct dd_err *err);

/* The same in the pipeline's stages: the leading INPUT instructions
 * (preprocessing: frame -> input tensor), the rest of the program (with
 * dequantized outputs), and decoding into detections in frame pixels. */
int dd_qdetector_preprocess(struct dd_qdetector *q, const struct dd_isa_frame *frame,
                            struct dd_err *err);
int dd_qdetector_infer_rest(struct dd_qdetector *q, const struct dd_isa_frame *frame,
                            struct dd_err *err);
int dd_qdetector_postprocess(struct dd_qdetector *q, uint32_t frame_w, uint32_t frame_h,
                             const struct dd_detect_opts *opts, struct dd_det_list *out,
                             struct dd_err *err);
/* CPU time of the backend's helper threads so far (ns; 0 for golden). */
int64_t dd_qdetector_helper_cpu_ns(const struct dd_qdetector *q);

int dd_qdetector_detect(struct dd_qdetector *q, const struct dd_isa_frame *frame,
                        const struct dd_detect_opts *opts, struct dd_det_list *out,
                        struct dd_err *err);

/* Dequantizes a tensor of the arena into dst (h * w * c floats, HWC order). */
void dd_qdetector_dequantize(const struct dd_pkg *p, const int8_t *arena, int tensor, float *dst);

#endif

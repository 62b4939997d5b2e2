/* A quantized detector: a model package run by an ISA executor, its outputs
 * dequantized and decoded by the model family's decoder. Frame in,
 * detections in frame pixels out. */
#ifndef DD_ACCEL_QDETECTOR_H
#define DD_ACCEL_QDETECTOR_H

#include "accel/package.h"
#include "detectors/detector.h"

enum dd_backend {
    DD_BACKEND_GOLDEN = 1, /* the scalar golden model */
    DD_BACKEND_CPU,        /* the optimized CPU backend, bit-exact with the golden model */
    DD_BACKEND_HLSSIM,     /* the C simulation of the FPGA kernel (accel/hls/) */
    DD_BACKEND_XRT,        /* the FPGA kernel through XRT (accel/xrt/) */
};

/* Backend options (XRT: the device and the xclbin). */
struct dd_backend_opts {
    const char *xrt_device; /* an index ("0") or a PCIe BDF ("0000:03:00.1"); NULL: "0" */
    const char *xclbin;
    unsigned timeout_ms; /* one kernel call (0: 2000) */
};

struct dd_cpu_prog;
struct dd_hlssim;
struct dd_xrt;

struct dd_qdetector {
    struct dd_pkg *pkg;
    struct dd_family_info family;
    enum dd_backend backend;
    struct dd_cpu_prog *cpu; /* DD_BACKEND_CPU */
    struct dd_hlssim *hls;   /* DD_BACKEND_HLSSIM */
    struct dd_xrt *xrt;      /* DD_BACKEND_XRT (then arena is the device arena's host view) */
    int frame_fd;            /* DMA-BUF of the next frame (-1: none), for zero-copy input */
    uint64_t frame_fd_offset;
    int8_t *arena;
    float *outputs[DD_PKG_MAX_OUTPUTS]; /* dequantized, in the source model's order */
};

/* The INPUT frame describing a packed RGB image (borrows its pixels). */
struct dd_isa_frame dd_isa_frame_rgb(const struct dd_image *img);

/* True when the file at path starts with the package magic. */
int dd_qdetector_is_package(const char *path);

int dd_qdetector_open(const char *path, enum dd_backend backend, struct dd_qdetector **out,
                      struct dd_err *err);
void dd_qdetector_close(struct dd_qdetector *q);
/* The same with backend options (NULL: defaults). */
int dd_qdetector_open_opts(const char *path, enum dd_backend backend,
                           const struct dd_backend_opts *opts, struct dd_qdetector **out,
                           struct dd_err *err);
/* The buffer behind the next frame's pixels: its DMA-BUF fd and where the
 * frame's data starts in it (backends that can read it in place use it). */
void dd_qdetector_set_frame_buffer(struct dd_qdetector *q, int fd, uint64_t offset);
const char *dd_backend_name(enum dd_backend b);

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

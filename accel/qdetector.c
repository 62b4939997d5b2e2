#include "accel/qdetector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/cpu/cpu_backend.h"
#include "accel/golden.h"
#include "accel/hls/hlssim.h"
#include "accel/xrt/xrt_backend.h"

struct dd_isa_frame dd_isa_frame_rgb(const struct dd_image *img)
{
    return (struct dd_isa_frame){DD_FRAME_RGB24,
                                 (uint32_t)img->width,
                                 (uint32_t)img->height,
                                 (uint32_t)img->stride,
                                 0,
                                 img->rgb,
                                 NULL};
}

int dd_qdetector_is_package(const char *path)
{
    char magic[8];
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(magic, 1, sizeof(magic), f);
    fclose(f);
    return n == 8 && memcmp(magic, DD_PKG_MAGIC, 8) == 0;
}

void dd_qdetector_close(struct dd_qdetector *q)
{
    if (!q) return;
    for (int k = 0; k < DD_PKG_MAX_OUTPUTS; k++) free(q->outputs[k]);
    if (!q->xrt) free(q->arena);
    dd_xrt_close(q->xrt);
    dd_cpu_free(q->cpu);
    dd_hlssim_free(q->hls);
    dd_pkg_free(q->pkg);
    free(q);
}

int dd_qdetector_open(const char *path, enum dd_backend backend, struct dd_qdetector **out,
                      struct dd_err *err)
{
    return dd_qdetector_open_opts(path, backend, NULL, out, err);
}

const char *dd_backend_name(enum dd_backend b)
{
    return b == DD_BACKEND_CPU      ? "cpu"
           : b == DD_BACKEND_GOLDEN ? "golden"
           : b == DD_BACKEND_HLSSIM ? "hlssim"
           : b == DD_BACKEND_XRT    ? "xrt"
                                    : "?";
}

void dd_qdetector_set_frame_buffer(struct dd_qdetector *q, int fd, uint64_t offset)
{
    q->frame_fd = fd;
    q->frame_fd_offset = offset;
}

int dd_qdetector_open_opts(const char *path, enum dd_backend backend,
                           const struct dd_backend_opts *opts, struct dd_qdetector **out,
                           struct dd_err *err)
{
    *out = NULL;
    struct dd_qdetector *q = calloc(1, sizeof(*q));
    if (!q) return dd_err_set(err, "out of memory");
    q->backend = backend;
    q->frame_fd = -1;
    if (dd_pkg_load(path, &q->pkg, err) != 0) {
        dd_qdetector_close(q);
        return -1;
    }
    const struct dd_pkg_meta *m = &q->pkg->meta;
    struct dd_shape outs[DD_PKG_MAX_OUTPUTS];
    for (int k = 0; k < m->n_outputs; k++) outs[k] = m->outputs[k].shape;
    int bad = dd_family_detect_shapes(&m->input_shape, outs, m->n_outputs, &q->family, err);
    if (bad == 0 && strcmp(q->family.name, m->family) != 0)
        bad = dd_err_set(err, "outputs are %s's, metadata says '%s'", q->family.name, m->family);
    if (bad) {
        dd_qdetector_close(q);
        return dd_err_prefix(err, "%s", path);
    }
    q->family.input.bgr = m->input_bgr; /* the package's word on normalisation */
    memcpy(q->family.input.mean, m->mean, sizeof(m->mean));
    memcpy(q->family.input.std, m->std, sizeof(m->std));
    if ((backend == DD_BACKEND_CPU && dd_cpu_prepare(q->pkg, &q->cpu, err) != 0) ||
        (backend == DD_BACKEND_HLSSIM && dd_hlssim_prepare(q->pkg, &q->hls, err) != 0)) {
        dd_qdetector_close(q);
        return -1;
    }
    if (backend == DD_BACKEND_XRT) {
        struct dd_xrt_config xc = {opts ? opts->xrt_device : NULL, opts ? opts->xclbin : NULL,
                                   opts ? opts->timeout_ms : 0};
        if (dd_xrt_open(q->pkg, &xc, &q->xrt, err) != 0) {
            dd_qdetector_close(q);
            return -1;
        }
    }
    q->arena = q->xrt ? dd_xrt_arena(q->xrt) : calloc(1, q->pkg->arena_size);
    for (int k = 0; k < m->n_outputs && q->arena; k++) {
        const struct dd_isa_tensor *t = &q->pkg->tensors[m->outputs[k].tensor];
        if (!(q->outputs[k] = malloc((size_t)t->h * t->w * t->c * sizeof(float)))) break;
    }
    if (!q->arena || (m->n_outputs && !q->outputs[m->n_outputs - 1])) {
        dd_qdetector_close(q);
        return dd_err_set(err, "out of memory");
    }
    *out = q;
    return 0;
}

void dd_qdetector_dequantize(const struct dd_pkg *p, const int8_t *arena, int tensor, float *dst)
{
    const struct dd_isa_tensor *t = &p->tensors[tensor];
    for (int y = 0; y < t->h; y++)
        for (int x = 0; x < t->w; x++) {
            const int8_t *src = arena + dd_isa_offset(t, y, x);
            float *d = dst + ((size_t)y * t->w + (size_t)x) * t->c;
            for (int c = 0; c < t->c; c++) d[c] = t->scale * (float)(src[c] - t->zero_point);
        }
}

static uint32_t input_prefix(const struct dd_pkg *p)
{
    uint32_t n = 0;
    while (n < p->n_insns && p->insns[n].opcode == DD_ISA_INPUT) n++;
    return n;
}

static int run_range(struct dd_qdetector *q, const struct dd_isa_frame *frame, uint32_t first,
                     uint32_t end, struct dd_err *err)
{
    const struct dd_pkg *p = q->pkg;
    if (q->hls)
        return end > first ? dd_hlssim_run(q->hls, q->arena, frame, first, end - first, err) : 0;
    if (q->xrt)
        return end > first ? dd_xrt_run(q->xrt, frame, q->frame_fd, q->frame_fd_offset, first,
                                        end - first, err)
                           : 0;
    if (dd_isa_check_range(p, first, end - first, frame, NULL, err) != 0) return -1;
    for (uint32_t i = first; i < end; i++) {
        if (q->cpu)
            dd_cpu_insn(q->cpu, i, q->arena, frame);
        else
            dd_golden_insn(p, i, q->arena, frame);
    }
    return 0;
}

int dd_qdetector_preprocess(struct dd_qdetector *q, const struct dd_isa_frame *frame,
                            struct dd_err *err)
{
    return run_range(q, frame, 0, input_prefix(q->pkg), err);
}

int dd_qdetector_infer_rest(struct dd_qdetector *q, const struct dd_isa_frame *frame,
                            struct dd_err *err)
{
    if (run_range(q, frame, input_prefix(q->pkg), q->pkg->n_insns, err) != 0) return -1;
    const struct dd_pkg_meta *m = &q->pkg->meta;
    for (int k = 0; k < m->n_outputs; k++)
        dd_qdetector_dequantize(q->pkg, q->arena, m->outputs[k].tensor, q->outputs[k]);
    return 0;
}

int dd_qdetector_postprocess(struct dd_qdetector *q, uint32_t frame_w, uint32_t frame_h,
                             const struct dd_detect_opts *opts, struct dd_det_list *out,
                             struct dd_err *err)
{
    const struct dd_family_info *fi = &q->family;
    struct dd_letterbox lb; /* the INPUT instruction's geometry */
    dd_letterbox_fit((int)frame_w, (int)frame_h, fi->input.width, fi->input.height, &lb);
    return dd_detections_from_outputs(fi, (const float *const *)q->outputs, &lb, opts, out, err);
}

int64_t dd_qdetector_helper_cpu_ns(const struct dd_qdetector *q)
{
    return q->cpu ? dd_cpu_helper_cpu_ns(q->cpu) : 0;
}

int dd_qdetector_infer(struct dd_qdetector *q, const struct dd_isa_frame *frame, struct dd_err *err)
{
    if (dd_qdetector_preprocess(q, frame, err) != 0) return -1;
    return dd_qdetector_infer_rest(q, frame, err);
}

int dd_qdetector_detect(struct dd_qdetector *q, const struct dd_isa_frame *frame,
                        const struct dd_detect_opts *opts, struct dd_det_list *out,
                        struct dd_err *err)
{
    if (dd_qdetector_infer(q, frame, err) != 0) return -1;
    return dd_qdetector_postprocess(q, frame->width, frame->height, opts, out, err);
}

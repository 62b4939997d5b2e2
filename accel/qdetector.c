#include "accel/qdetector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/golden.h"
#include "common/file.h"

struct dd_isa_frame dd_isa_frame_from_image(const struct dd_image *img)
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
    FILE *f;
    if (dd_file_open_regular(path, &f) != 0) return 0;
    size_t n = fread(magic, 1, sizeof(magic), f);
    fclose(f);
    return n == 8 && memcmp(magic, DD_PKG_MAGIC, 8) == 0;
}

void dd_qdetector_close(struct dd_qdetector *q)
{
    if (!q) return;
    for (int k = 0; k < DD_PKG_MAX_OUTPUTS; k++) free(q->outputs[k]);
    if (q->own_arena) free(q->arena);
    dd_backend_close(&q->backend);
    dd_pkg_destroy(q->pkg);
    free(q);
}

const char *dd_qdetector_backend_name(const struct dd_qdetector *q)
{
    return q->backend.ops ? q->backend.ops->name : "?";
}

void dd_qdetector_get_backend_stats(const struct dd_qdetector *q, struct dd_backend_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (q->backend.ops && q->backend.ops->get_stats)
        q->backend.ops->get_stats(q->backend.state, out);
}

void dd_qdetector_set_frame_buffer(struct dd_qdetector *q, int fd, uint64_t offset)
{
    q->frame_fd = fd;
    q->frame_fd_offset = offset;
}

int dd_qdetector_open(const char *path, const struct dd_backend_choice *choice,
                      struct dd_qdetector **out, struct dd_err *err)
{
    *out = NULL;
    struct dd_qdetector *q = calloc(1, sizeof(*q));
    if (!q) return dd_err_set(err, "out of memory");
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
    static const struct dd_backend_choice cpu = {"cpu", {NULL, NULL, 0, NULL}, NULL};
    if (dd_backend_open(q->pkg, choice ? choice : &cpu, &q->backend, q->backend_fallback,
                        sizeof(q->backend_fallback), err) != 0) {
        dd_qdetector_close(q);
        return -1;
    }
    const struct dd_backend_ops *ops = q->backend.ops;
    q->arena = ops->device_arena ? ops->device_arena(q->backend.state) : NULL;
    if (!q->arena) {
        q->arena = calloc(1, q->pkg->arena_size);
        q->own_arena = 1;
    }
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
    if (end <= first) return 0;
    struct dd_backend_frame in = {frame, q->frame_fd, q->frame_fd_offset};
    return q->backend.ops->run(q->backend.state, q->arena, &in, first, end - first, err);
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
    struct dd_backend_stats st;
    dd_qdetector_get_backend_stats(q, &st);
    return st.helper_cpu_ns;
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

#include "accel/hls/hlssim.h"

#include <stdlib.h>
#include <string.h>

#include "accel/golden.h"
#include "accel/hls/dd_kernel.h"

struct dd_hlssim {
    const struct dd_pkg *pkg;
    uint8_t *program;
    size_t program_size;
    uint32_t tensors_offset;
};

int dd_hlssim_create(const struct dd_pkg *p, struct dd_hlssim **out, struct dd_err *err)
{
    for (uint32_t i = 0; i < p->n_insns; i++) {
        const struct dd_isa_insn *in = &p->insns[i];
        if (in->opcode != DD_ISA_CONV) continue;
        const struct dd_isa_tensor *a = &p->tensors[in->in0];
        uint32_t per = (uint32_t)in->kh * in->kw * ((in->flags & DD_ISA_F_DEPTHWISE) ? 1u : a->c);
        if (per > DD_HLS_MAX_ROW)
            return dd_err_set(err,
                              "instruction %u: a weight row of %u bytes exceeds the kernel's %d", i,
                              per, DD_HLS_MAX_ROW);
    }
    struct dd_hlssim *h = calloc(1, sizeof(*h));
    if (!h) return dd_err_set(err, "out of memory");
    h->pkg = p;
    /* records are little-endian with fixed sizes (isa/isa.h): on this
     * little-endian host the structs are the DRAM bytes */
    size_t insn_bytes = (size_t)p->n_insns * sizeof(struct dd_isa_insn);
    h->tensors_offset = (uint32_t)insn_bytes;
    h->program_size = insn_bytes + (size_t)p->n_tensors * sizeof(struct dd_isa_tensor);
    if (!(h->program = malloc(h->program_size))) {
        free(h);
        return dd_err_set(err, "out of memory");
    }
    memcpy(h->program, p->insns, insn_bytes);
    memcpy(h->program + insn_bytes, p->tensors, h->program_size - insn_bytes);
    *out = h;
    return 0;
}

void dd_hlssim_destroy(struct dd_hlssim *h)
{
    if (!h) return;
    free(h->program);
    free(h);
}

const uint8_t *dd_hlssim_program(const struct dd_hlssim *h, size_t *size, uint32_t *tensors_offset)
{
    *size = h->program_size;
    *tensors_offset = h->tensors_offset;
    return h->program;
}

size_t dd_hlssim_frame_layout(const struct dd_isa_frame *f, uint32_t *uv_offset, int *apart)
{
    size_t plane0 = (size_t)f->stride * f->height;
    *uv_offset = 0;
    *apart = 0;
    if (f->format != DD_FRAME_NV12) return plane0;
    size_t uv = (size_t)f->uv_stride * ((f->height + 1) / 2);
    if (f->uv >= f->data + plane0 && (size_t)(f->uv - f->data) <= 2 * plane0) {
        *uv_offset = (uint32_t)(f->uv - f->data); /* one buffer (a frame's DMA-BUF) */
        return *uv_offset + uv;
    }
    *uv_offset = (uint32_t)plane0;
    *apart = 1;
    return plane0 + uv;
}

void dd_hlssim_frame_copy(const struct dd_isa_frame *f, uint32_t uv_offset, uint8_t *dst)
{
    memcpy(dst, f->data, (size_t)f->stride * f->height);
    if (f->format == DD_FRAME_NV12)
        memcpy(dst + uv_offset, f->uv, (size_t)f->uv_stride * ((f->height + 1) / 2));
}

int dd_hlssim_run(struct dd_hlssim *h, int8_t *arena, const struct dd_isa_frame *frame,
                  uint32_t first, uint32_t count, struct dd_err *err)
{
    const struct dd_pkg *p = h->pkg;
    int needs_frame;
    if (dd_isa_check_range(p, first, count, frame, &needs_frame, err) != 0) return -1;
    const uint8_t *fdata = NULL;
    uint8_t *joined = NULL;
    uint32_t uv_offset = 0, fmt = 0, fw = 0, fh = 0, fs = 0, fuvs = 0;
    if (needs_frame) {
        fdata = frame->data;
        fmt = frame->format;
        fw = frame->width;
        fh = frame->height;
        fs = frame->stride;
        fuvs = frame->uv_stride;
        /* one DRAM buffer holds both planes (the frame's DMA-BUF on the
         * board); planes elsewhere are joined for the simulation */
        int apart;
        size_t bytes = dd_hlssim_frame_layout(frame, &uv_offset, &apart);
        if (apart) {
            if (!(joined = malloc(bytes))) return dd_err_set(err, "out of memory");
            dd_hlssim_frame_copy(frame, uv_offset, joined);
            fdata = joined;
        }
    }
    dd_accel_kernel(h->program, p->blob, arena, fdata, h->tensors_offset, first, count, fmt, fw, fh,
                    fs, uv_offset, fuvs);
    free(joined);
    return 0;
}

/* ---- the backend plug-in ---- */

static int hlssim_open(const struct dd_pkg *pkg, const struct dd_backend_opts *opts, void **state,
                       struct dd_err *err)
{
    (void)opts;
    return dd_hlssim_create(pkg, (struct dd_hlssim **)state, err);
}

static int hlssim_run(void *state, int8_t *arena, const struct dd_backend_frame *in, uint32_t first,
                      uint32_t count, struct dd_err *err)
{
    return dd_hlssim_run(state, arena, in->frame, first, count, err);
}

static void hlssim_close(void *state)
{
    dd_hlssim_destroy(state);
}

const struct dd_backend_ops dd_backend_hlssim = {
    "hlssim",     "the FPGA kernel's C code run on the CPU (its DRAM image), bit-exact with golden",
    hlssim_open,  NULL,
    hlssim_run,   NULL,
    hlssim_close,
};

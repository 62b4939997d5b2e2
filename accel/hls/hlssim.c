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

int dd_hlssim_prepare(const struct dd_pkg *p, struct dd_hlssim **out, struct dd_err *err)
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
    /* records are little-endian with fixed sizes (accel/isa.h): on this
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

void dd_hlssim_free(struct dd_hlssim *h)
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
        if (frame->format == DD_FRAME_NV12) {
            /* one DRAM buffer holds both planes (the frame's DMA-BUF on the
             * board); planes elsewhere are joined for the simulation */
            if (frame->uv >= frame->data && (size_t)(frame->uv - frame->data) < UINT32_MAX) {
                uv_offset = (uint32_t)(frame->uv - frame->data);
            } else {
                size_t ysz = (size_t)frame->stride * frame->height;
                size_t uvsz = (size_t)frame->uv_stride * ((frame->height + 1) / 2);
                if (!(joined = malloc(ysz + uvsz))) return dd_err_set(err, "out of memory");
                memcpy(joined, frame->data, ysz);
                memcpy(joined + ysz, frame->uv, uvsz);
                fdata = joined;
                uv_offset = (uint32_t)ysz;
            }
        }
    }
    dd_accel_kernel(h->program, p->blob, arena, fdata, h->tensors_offset, first, count, fmt, fw, fh,
                    fs, uv_offset, fuvs);
    free(joined);
    return 0;
}

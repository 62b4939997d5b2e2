#include "accel/kernel_image.h"

#include <stdlib.h>
#include <string.h>

int dd_kernel_image_create(const struct dd_pkg *p, struct dd_kernel_image *out, struct dd_err *err)
{
    /* records are little-endian with fixed sizes (isa/isa.h): on this
     * little-endian host the structs are the DRAM bytes */
    size_t insn_bytes = (size_t)p->n_insns * sizeof(struct dd_isa_insn);
    out->tensors_offset = (uint32_t)insn_bytes;
    out->size = insn_bytes + (size_t)p->n_tensors * sizeof(struct dd_isa_tensor);
    if (!(out->program = malloc(out->size))) return dd_err_set(err, "out of memory");
    memcpy(out->program, p->insns, insn_bytes);
    memcpy(out->program + insn_bytes, p->tensors, out->size - insn_bytes);
    return 0;
}

void dd_kernel_image_destroy(struct dd_kernel_image *img)
{
    free(img->program);
    img->program = NULL;
}

size_t dd_kernel_frame_layout(const struct dd_isa_frame *f, uint32_t *uv_offset, int *apart)
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

void dd_kernel_frame_copy(const struct dd_isa_frame *f, uint32_t uv_offset, uint8_t *dst)
{
    memcpy(dst, f->data, (size_t)f->stride * f->height);
    if (f->format == DD_FRAME_NV12)
        memcpy(dst + uv_offset, f->uv, (size_t)f->uv_stride * ((f->height + 1) / 2));
}

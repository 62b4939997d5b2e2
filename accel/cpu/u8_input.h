/* Row kernels of the INPUT instruction for NV12 frames: one output row of the
 * letterbox box, straight from the Y and UV planes (no RGB frame), with the
 * ISA's integer arithmetic (isa/isa_input.h): BT.601 conversion of the four
 * taps, 8-bit bilinear weights, int64 normalisation to int8. The AVX2 kernel
 * equals the scalar twin bit for bit. */
#ifndef DD_ACCEL_CPU_U8_INPUT_H
#define DD_ACCEL_CPU_U8_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct dd_input_row {
    const uint8_t *y0, *y1;   /* Y rows of the two vertical taps */
    const uint8_t *uv0, *uv1; /* their UV rows */
    uint32_t width;           /* frame width: bytes readable in each row */
    uint32_t fy;              /* vertical weight of row 1 (0..255) */
    const uint32_t (*tx)[3];  /* per output pixel: x0, x1, fx */
    size_t n;                 /* output pixels */
    int8_t *dst;              /* first output pixel */
    size_t pitch;             /* bytes between output pixels */
    int bgr;                  /* channel order B, G, R */
    const int64_t *nrm;       /* a[3], b[3] (docs/ISA.md) */
};

typedef void (*dd_u8_input_nv12_fn)(const struct dd_input_row *r);

void dd_u8_input_nv12_scalar(const struct dd_input_row *r);
#if defined(__x86_64__)
void dd_u8_input_nv12_avx2(const struct dd_input_row *r);
#endif

#endif

/* The detectd accelerator instruction set, version 1 (docs/ISA.md).
 *
 * One execution unit, one layer per instruction. Every instruction reads its
 * operands from and writes its result to the activation arena (DRAM), through
 * tensor descriptors. All records are little-endian with fixed sizes so that
 * the FPGA kernel, the golden model and the CPU backend read the same bytes.
 *
 * Tensors: int8, HWC (batch 1). Element (y, x, c) of descriptor t is at
 *   arena[t.offset + (y * t.w + x) * t.pitch + c]
 * pitch >= c lets a tensor be a channel slice of a wider one: concatenation
 * along channels costs nothing (producers write into slices).
 * Real value: r = scale * (q - zero_point).
 *
 * Requantization (the one rounding rule of the ISA):
 *   requant(acc, m, s) = (acc * m + 2^(30+s)) >> (31+s)   (int64, arithmetic shift)
 * with m in [2^30, 2^31) and s in [-30, 31]: multiplier m * 2^-(31+s), rounded * half up. The int64
 * result is offset by the output zero point and clamped to [clamp_min, clamp_max] (ReLU and ReLU6
 * are clamps), still in int64. */
#ifndef DD_ISA_ISA_H
#define DD_ISA_ISA_H

#include <stddef.h>
#include <stdint.h>

#define DD_ISA_VERSION_MAJOR 1
#define DD_ISA_VERSION_MINOR 0

enum dd_isa_opcode {
    DD_ISA_CONV =
        1, /* kxk convolution (dense or depthwise), bias, requant, activation, opt. 2x2 max pool */
    DD_ISA_POOL = 2,     /* max or average pooling */
    DD_ISA_ADD = 3,      /* out = requant-sum of two tensors (residual add, rescale copy) */
    DD_ISA_UPSAMPLE = 4, /* 2x nearest or bilinear (half-pixel) upsampling */
    DD_ISA_D2S = 5,      /* depth-to-space (subpixel) 2x: C*4 -> C */
    DD_ISA_LUT = 6,      /* out = table[in + 128] (sigmoid, other pointwise functions) */
    DD_ISA_INPUT = 7,    /* camera frame -> letterboxed, normalised, quantized input tensor */
    DD_ISA_OPCODE_MAX_ = 8,
};

/* The opcode's name ("CONV", ...; "?" for none). */
static inline const char *dd_isa_opcode_name(unsigned op)
{
    static const char *const names[DD_ISA_OPCODE_MAX_] = {"?",        "CONV", "POOL", "ADD",
                                                          "UPSAMPLE", "D2S",  "LUT",  "INPUT"};
    return op < DD_ISA_OPCODE_MAX_ ? names[op] : "?";
}

/* flags */
#define DD_ISA_F_DEPTHWISE 0x01u /* CONV: groups == channels, multiplier 1 */
#define DD_ISA_F_POOL2X2 0x02u   /* CONV: 2x2/2 max pool after the activation */
#define DD_ISA_F_AVG 0x04u       /* POOL: average (else max) */
#define DD_ISA_F_BILINEAR 0x08u  /* UPSAMPLE: bilinear half-pixel (else nearest) */
#define DD_ISA_F_LEAKY 0x10u     /* CONV: negative accumulators use the per-channel m_neg */
#define DD_ISA_F_BGR 0x20u       /* INPUT: channel order B, G, R (else R, G, B) */
#define DD_ISA_F_ALL_ 0x3fu

/* INPUT frame formats (runtime argument, struct dd_isa_frame) */
enum dd_isa_frame_format {
    DD_FRAME_RGB24 = 1, /* packed R, G, B */
    DD_FRAME_NV12 = 2,  /* Y plane, then interleaved U, V at half resolution */
    DD_FRAME_YUYV = 3,  /* packed Y0 U Y1 V */
};

/* A tensor descriptor: 24 bytes. */
struct dd_isa_tensor {
    uint32_t offset;    /* arena byte offset of element (0, 0, 0) */
    uint16_t h, w, c;   /* shape */
    uint16_t pitch;     /* bytes between pixels (>= c) */
    int32_t zero_point; /* int8 range */
    float scale;        /* metadata for dequantization; no instruction reads it */
    uint32_t reserved;
};

/* One instruction: 64 bytes. Fields not used by an opcode must be zero. */
struct dd_isa_insn {
    uint8_t opcode, flags, kh, kw;
    uint8_t stride_h, stride_w, pad_top, pad_left;
    uint8_t pad_bottom, pad_right, wbits, reserved0; /* wbits: CONV weight bits, 8 or 4 */
    uint16_t in0, in1, out, reserved1; /* tensor descriptor indices; in1 = 0xffff if none */
    uint32_t weights; /* CONV: weights blob offset (dense [oc][kh][kw][ic], depthwise [c][kh][kw]);
                         LUT: offset of the 256-byte table */
    uint32_t bias;    /* CONV: blob offset of int32 bias[oc] */
    uint32_t quant;   /* CONV: blob offset of {int32 m, int32 m_neg, int32 shift}[oc];
                         INPUT: blob offset of int64 a[3], int64 b[3] (see docs/ISA.md) */
    int32_t m0, m1;   /* ADD: multipliers of in0, in1; INPUT: m0 = letterbox pad pixel 0..255 */
    int32_t shift;    /* ADD: right shift of the sum */
    int32_t clamp_min, clamp_max; /* output clamp in the int8 domain */
    uint32_t reserved2[3];
};

/* The frame an INPUT instruction reads (runtime, not part of the program). */
struct dd_isa_frame {
    uint32_t format; /* enum dd_isa_frame_format */
    uint32_t width, height;
    uint32_t stride;    /* bytes per row of the first plane */
    uint32_t uv_stride; /* NV12: bytes per row of the UV plane */
    const uint8_t *data;
    const uint8_t *uv; /* NV12: the UV plane */
};

#define DD_ISA_NO_TENSOR 0xffffu

/* Arena byte offset of element (y, x, 0) of tensor t: the addressing rule above. */
static inline size_t dd_isa_offset(const struct dd_isa_tensor *t, int y, int x)
{
    return t->offset + ((size_t)y * t->w + (size_t)x) * t->pitch;
}

/* The ISA's requantization rule: (acc * m + 2^(30+s)) >> (31+s), in int64
 * (no truncation: callers add the zero point and clamp in int64). */
static inline int64_t dd_isa_requant(int32_t acc, int32_t m, int32_t s)
{
    int n = 31 + s;
    int64_t p = (int64_t)acc * m + ((int64_t)1 << (n - 1));
    return p >> n;
}

static inline int32_t dd_isa_clamp(int64_t v, int32_t lo, int32_t hi)
{
    return (int32_t)(v < lo ? lo : (v > hi ? hi : v));
}

_Static_assert(sizeof(struct dd_isa_tensor) == 24, "tensor descriptor is 24 bytes");
_Static_assert(sizeof(struct dd_isa_insn) == 64, "instruction is 64 bytes");

#endif

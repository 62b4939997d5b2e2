#include "accel/rtl/rtl_config.h"

#include "accel/package.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* DRAM presets: KV260 (Zynq UltraScale+ PS DDR4-2400, 64-bit, 19.2 GB/s peak) seen
 * from the PL at 300 MHz through an HP port: ~200 ns to the first beat, 12 GB/s shared
 * (40 bytes per cycle). Zynq-7020 (PS DDR3-1066, 32-bit, 4.26 GB/s peak) at 150 MHz:
 * ~270 ns, 3 GB/s (20 bytes per cycle). */
static const struct dd_rtl_dram drams[] = {
    {"kv260-ddr4", 60, 40.0},
    {"z7020-ddr3", 40, 20.0},
};

const struct dd_rtl_config dd_rtl_configs[] = {
    {"kv260", "Kria KV260 (XCK26)", 32, 1, 12, 9, 10, 10, 300.0, {"kv260-ddr4", 60, 40.0}},
    {"z7020", "Zynq-7020 (XC7Z020)", 16, 0, 12, 9, 10, 10, 150.0, {"z7020-ddr3", 40, 20.0}},
    {"tiny", "smallest: tests", 4, 0, 11, 9, 9, 10, 100.0, {"z7020-ddr3", 40, 20.0}},
};
const size_t dd_rtl_n_configs = sizeof(dd_rtl_configs) / sizeof(dd_rtl_configs[0]);

const struct dd_rtl_config *dd_rtl_config_find(const char *name)
{
    for (size_t i = 0; i < dd_rtl_n_configs; i++)
        if (strcmp(dd_rtl_configs[i].name, name) == 0) return &dd_rtl_configs[i];
    return NULL;
}

const struct dd_rtl_dram *dd_rtl_dram_find(const char *name)
{
    for (size_t i = 0; i < sizeof(drams) / sizeof(drams[0]); i++)
        if (strcmp(drams[i].name, name) == 0) return &drams[i];
    return NULL;
}

/* ---- what a configuration can run (the RTL's buffers and widths) ---- */

static uint32_t cw_pair(uint32_t c) /* 16-byte words per pixel in IBUF (even) */
{
    return ((c + 31) / 32) * 2;
}

/* The ring of input rows dd_eu.v sizes: the largest power of two <= 16 rows that fits. */
static uint32_t ring_rows(uint32_t row_words, uint32_t cap)
{
    for (uint32_t n = 16; n > 1; n /= 2)
        if ((uint64_t)row_words * n <= cap) return n;
    return row_words <= cap ? 1 : 0;
}

uint64_t dd_rtl_insn_macs(const struct dd_pkg *p, uint32_t i)
{
    const struct dd_isa_insn *in = &p->insns[i];
    if (in->opcode != DD_ISA_CONV) return 0;
    const struct dd_isa_tensor *a = &p->tensors[in->in0], *o = &p->tensors[in->out];
    uint64_t pool = (in->flags & DD_ISA_F_POOL2X2) ? 4 : 1;
    uint64_t per = (uint64_t)in->kh * in->kw * ((in->flags & DD_ISA_F_DEPTHWISE) ? 1 : a->c);
    return (uint64_t)o->h * o->w * o->c * pool * per;
}

unsigned dd_rtl_peak_macs(const struct dd_rtl_config *cfg, const struct dd_isa_insn *in)
{
    return cfg->oct * 16 * (in->wbits == 4 ? 2 : 1);
}

#define LIMIT(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            dd_err_set(err, __VA_ARGS__);                                                          \
            return dd_err_prefix(err, "rtl %s: instruction %u (opcode %u)", cfg->name, i,          \
                                 in->opcode);                                                      \
        }                                                                                          \
    } while (0)

int dd_rtl_check_program(const struct dd_pkg *p, const struct dd_rtl_config *cfg,
                         struct dd_err *err)
{
    const uint32_t ib = 1u << cfg->ib_aw, wb = 1u << cfg->wb_aw;
    const uint32_t half_entries = 1u << (cfg->ob_aw - 1);
    const uint32_t nw = cfg->oct > 16 ? cfg->oct / 16 : 1;
    static const uint8_t flags_of[DD_ISA_OPCODE_MAX_] = {
        [DD_ISA_CONV] = DD_ISA_F_DEPTHWISE | DD_ISA_F_POOL2X2 | DD_ISA_F_LEAKY,
        [DD_ISA_POOL] = DD_ISA_F_AVG,
        [DD_ISA_UPSAMPLE] = DD_ISA_F_BILINEAR,
        [DD_ISA_INPUT] = DD_ISA_F_BGR,
    };
    for (uint32_t i = 0; i < p->n_insns; i++) {
        const struct dd_isa_insn *in = &p->insns[i];
        LIMIT(in->opcode >= DD_ISA_CONV && in->opcode < DD_ISA_OPCODE_MAX_, "unknown opcode");
        LIMIT((in->flags & ~flags_of[in->opcode]) == 0, "flags 0x%x not implemented", in->flags);
        const struct dd_isa_tensor *o = &p->tensors[in->out];
        const struct dd_isa_tensor *a = in->opcode == DD_ISA_INPUT ? o : &p->tensors[in->in0];
        uint32_t cwo = (o->c + 15u) / 16;
        LIMIT(o->zero_point >= -128 && o->zero_point <= 127 && a->zero_point >= -128 &&
                  a->zero_point <= 127,
              "zero points %d, %d outside int8", a->zero_point, o->zero_point);
        /* 18-bit signed coordinates in the address generators */
        LIMIT((uint64_t)o->h * 2 * (in->stride_h ? in->stride_h : 1) + in->kh < (1u << 17) &&
                  (uint64_t)o->w * 2 * (in->stride_w ? in->stride_w : 1) + in->kw < (1u << 17),
              "output %ux%u too large for the address generators", o->h, o->w);
        uint32_t rw = a->w * cw_pair(a->c);
        switch (in->opcode) {
        case DD_ISA_CONV: {
            bool dw = in->flags & DD_ISA_F_DEPTHWISE;
            uint32_t pool = (in->flags & DD_ISA_F_POOL2X2) ? 2 : 1;
            LIMIT(in->wbits == 8 || in->wbits == 4, "%u-bit weights", in->wbits);
            LIMIT(in->kh >= 1 && in->kw >= 1 && in->stride_h >= 1 && in->stride_w >= 1,
                  "empty kernel or zero stride");
            if (dw) {
                LIMIT(32 % cfg->oct == 0, "depthwise needs 32 channels divisible by the %u rows",
                      cfg->oct);
                uint32_t per = (uint32_t)in->kh * in->kw;
                uint32_t bytes = in->wbits == 4 ? (per + 1) / 2 : per;
                LIMIT((bytes + 15) / 16 <= wb, "a %u-byte depthwise weight row exceeds %u words",
                      bytes, wb);
            } else {
                LIMIT(in->wbits == 8 || a->c % 2 == 0,
                      "int4 weights need an even number of input channels (has %u)", a->c);
                uint32_t steps = in->wbits == 4 ? (a->c + 31u) / 32 : (a->c + 15u) / 16;
                LIMIT((uint64_t)in->kh * in->kw * steps <= wb,
                      "a weight row of %ux%ux%u exceeds the %u-word weight buffer", in->kh, in->kw,
                      a->c, wb);
            }
            uint32_t rows = in->kh + (pool - 1) * in->stride_h;
            LIMIT(ring_rows(rw, ib) >= rows,
                  "%u input rows of %u words do not fit the %u-word input buffer", rows, rw, ib);
            LIMIT(o->w <= half_entries, "output row of %u pixels exceeds %u", o->w, half_entries);
            break;
        }
        case DD_ISA_POOL:
            LIMIT(in->kh >= 1 && in->kw >= 1 && in->stride_h >= 1 && in->stride_w >= 1,
                  "empty window or zero stride");
            LIMIT(ring_rows(rw, ib / 2) >= in->kh, "%u input rows of %u words do not fit", in->kh,
                  rw);
            LIMIT(!(in->flags & DD_ISA_F_AVG) || (uint32_t)in->kh * in->kw <= 64,
                  "an average over %ux%u taps (the reciprocal table has 64)", in->kh, in->kw);
            break;
        case DD_ISA_ADD:
            LIMIT(ring_rows(rw, ib / 2) >= 1, "an input row of %u words does not fit", rw);
            if (in->in1 != DD_ISA_NO_TENSOR) {
                const struct dd_isa_tensor *b = &p->tensors[in->in1];
                LIMIT((uint64_t)b->w * cw_pair(b->c) <= ib / 2,
                      "a second-input row of %u words does not fit", b->w * cw_pair(b->c));
            }
            LIMIT(in->shift >= 1 && in->shift <= 40, "ADD shift %d outside 1..40", in->shift);
            LIMIT(in->in1 == DD_ISA_NO_TENSOR || (p->tensors[in->in1].zero_point >= -128 &&
                                                  p->tensors[in->in1].zero_point <= 127),
                  "second-input zero point %d outside int8",
                  in->in1 == DD_ISA_NO_TENSOR ? 0 : p->tensors[in->in1].zero_point);
            break;
        case DD_ISA_UPSAMPLE:
            LIMIT(ring_rows(rw, ib / 2) >= 2, "two input rows of %u words do not fit", rw);
            break;
        case DD_ISA_D2S:
        case DD_ISA_LUT:
            LIMIT(ring_rows(rw, ib / 2) >= 1, "an input row of %u words does not fit", rw);
            break;
        case DD_ISA_INPUT:
            LIMIT(o->c == 3, "INPUT writes 3 channels");
            break;
        default:
            break;
        }
        if (in->opcode == DD_ISA_CONV) continue;
        /* the vector lanes finish in 16 bits (dd_vlane.v) */
        LIMIT(in->opcode == DD_ISA_INPUT || (in->clamp_min >= -128 && in->clamp_max <= 127),
              "clamp range [%d, %d] outside int8", in->clamp_min, in->clamp_max);
        LIMIT((uint64_t)o->w * (in->opcode == DD_ISA_INPUT ? 1 : cwo) <= half_entries * nw,
              "an output row of %u pixels x %u channels exceeds the output buffer", o->w, o->c);
    }
    return 0;
}

int dd_rtl_check_frame(const struct dd_rtl_config *cfg, const struct dd_isa_frame *f,
                       struct dd_err *err)
{
    uint64_t row = f->format == DD_FRAME_RGB24  ? (uint64_t)f->width * 3
                   : f->format == DD_FRAME_NV12 ? f->width
                                                : ((uint64_t)f->width + 1) / 2 * 4;
    uint64_t cap = ((uint64_t)1 << cfg->fb_aw) * 16 - 32;
    if (row > cap || row > 65535)
        return dd_err_set(err,
                          "rtl %s: a %u-pixel frame row (%llu bytes) exceeds the %llu-byte "
                          "frame row buffer",
                          cfg->name, f->width, (unsigned long long)row, (unsigned long long)cap);
    return 0;
}

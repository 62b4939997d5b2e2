#include "accel/rtl/rtlsim.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/golden.h"
#include "accel/hls/hlssim.h"

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
            LIMIT((uint32_t)in->kh * in->kw < (1u << 22), "window too large");
            break;
        case DD_ISA_ADD:
            LIMIT(ring_rows(rw, ib / 2) >= 1, "an input row of %u words does not fit", rw);
            if (in->in1 != DD_ISA_NO_TENSOR) {
                const struct dd_isa_tensor *b = &p->tensors[in->in1];
                LIMIT((uint64_t)b->w * cw_pair(b->c) <= ib / 2,
                      "a second-input row of %u words does not fit", b->w * cw_pair(b->c));
            }
            LIMIT(in->shift >= 1 && in->shift <= 40, "ADD shift %d outside 1..40", in->shift);
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

/* ---- the simulation ---- */

struct dd_rtlsim {
    const struct dd_pkg *pkg;
    const struct dd_rtl_config *cfg;
    struct dd_rtl_model *model;
    struct dd_hlssim *image; /* the kernel's DRAM image of the program */
    struct dd_rtl_counts counts;
    uint64_t budget_per_insn[1]; /* unused: budget from the MACs */
    uint64_t runs;
};

int dd_rtlsim_create(const struct dd_pkg *p, const struct dd_rtl_config *cfg,
                     const struct dd_rtl_dram *dram, struct dd_rtlsim **out, struct dd_err *err)
{
    if (dd_rtl_check_program(p, cfg, err) != 0) return -1;
    struct dd_rtlsim *s = calloc(1, sizeof(*s));
    if (!s) return dd_err_set(err, "out of memory");
    s->pkg = p;
    s->cfg = cfg;
    s->counts.n_insn_cycles = p->n_insns;
    if (!(s->counts.insn_cycles = calloc(p->n_insns ? p->n_insns : 1, sizeof(uint64_t)))) {
        free(s);
        return dd_err_set(err, "out of memory");
    }
    if (dd_hlssim_create(p, &s->image, err) != 0) {
        dd_rtlsim_destroy(s);
        return -1;
    }
    if (!(s->model = dd_rtl_model_create(cfg, dram))) {
        dd_rtlsim_destroy(s);
        return dd_err_set(err, "rtl configuration '%s' is not built into this program", cfg->name);
    }
    *out = s;
    return 0;
}

void dd_rtlsim_destroy(struct dd_rtlsim *s)
{
    if (!s) return;
    if (s->model) dd_rtl_model_destroy(s->model);
    dd_hlssim_destroy(s->image);
    free(s->counts.insn_cycles);
    free(s);
}

const struct dd_rtl_counts *dd_rtlsim_counts(const struct dd_rtlsim *s)
{
    return &s->counts;
}

void dd_rtlsim_reset_counts(struct dd_rtlsim *s)
{
    uint64_t *ic = s->counts.insn_cycles;
    size_t n = s->counts.n_insn_cycles;
    memset(ic, 0, n * sizeof(*ic));
    memset(&s->counts, 0, sizeof(s->counts));
    s->counts.insn_cycles = ic;
    s->counts.n_insn_cycles = n;
}

/* A cycle budget no correct run comes near: 8x the MAC array's time at one
 * MAC per row per cycle, plus every tensor byte at one byte per cycle. */
static uint64_t budget(const struct dd_rtlsim *s, uint32_t first, uint32_t count)
{
    uint64_t b = 1000000;
    for (uint32_t i = first; i < first + count; i++) {
        const struct dd_isa_insn *in = &s->pkg->insns[i];
        const struct dd_isa_tensor *o = &s->pkg->tensors[in->out];
        b += 8 * dd_rtl_insn_macs(s->pkg, i) / s->cfg->oct;
        b +=
            64 * (uint64_t)o->h * o->w * ((o->c + 15) / 16) * (uint64_t)(in->kh + 1) * (in->kw + 1);
        if (in->opcode == DD_ISA_INPUT) b += 64 * (uint64_t)o->h * o->w + 8000000;
    }
    return b;
}

int dd_rtlsim_run(struct dd_rtlsim *s, int8_t *arena, const struct dd_isa_frame *frame,
                  uint32_t first, uint32_t count, struct dd_err *err)
{
    const struct dd_pkg *p = s->pkg;
    int needs_frame;
    if (dd_isa_check_range(p, first, count, frame, &needs_frame, err) != 0) return -1;
    struct dd_rtl_call c = {0};
    size_t size;
    c.program = dd_hlssim_program(s->image, &size, &c.tensors_offset);
    c.program_size = size;
    c.blob = p->blob;
    c.blob_size = p->blob_size;
    c.arena = (uint8_t *)arena;
    c.arena_size = p->arena_size;
    c.first = first;
    c.count = count;
    uint8_t *joined = NULL;
    if (needs_frame) {
        if (dd_rtl_check_frame(s->cfg, frame, err) != 0) return -1;
        int apart;
        uint32_t uv_offset;
        c.frame_size = dd_hlssim_frame_layout(frame, &uv_offset, &apart);
        c.frame = frame->data;
        if (apart) { /* one DRAM buffer holds both planes, as a DMA-BUF does */
            if (!(joined = malloc(c.frame_size))) return dd_err_set(err, "out of memory");
            dd_hlssim_frame_copy(frame, uv_offset, joined);
            c.frame = joined;
        }
        c.frame_format = frame->format;
        c.frame_width = frame->width;
        c.frame_height = frame->height;
        c.frame_stride = frame->stride;
        c.frame_uv_offset = uv_offset;
        c.frame_uv_stride = frame->uv_stride;
    }
    int rc = dd_rtl_model_call(s->model, &c, budget(s, first, count), &s->counts, err->msg,
                               sizeof(err->msg));
    free(joined);
    s->runs++;
    return rc;
}

/* ---- the backend plug-in ---- */

static int rtlsim_open(const struct dd_pkg *pkg, const struct dd_backend_opts *opts, void **state,
                       struct dd_err *err)
{
    const char *name = opts && opts->rtl_config ? opts->rtl_config : "kv260";
    const struct dd_rtl_config *cfg = dd_rtl_config_find(name);
    if (!cfg) return dd_err_set(err, "unknown rtl configuration '%s' (kv260, z7020, tiny)", name);
    return dd_rtlsim_create(pkg, cfg, NULL, (struct dd_rtlsim **)state, err);
}

static int rtlsim_run(void *state, int8_t *arena, const struct dd_backend_frame *in, uint32_t first,
                      uint32_t count, struct dd_err *err)
{
    return dd_rtlsim_run(state, arena, in->frame, first, count, err);
}

static void rtlsim_stats(void *state, struct dd_backend_stats *out)
{
    struct dd_rtlsim *s = state;
    out->kernel = s->cfg->name;
    out->runs = s->runs;
}

static void rtlsim_close(void *state)
{
    dd_rtlsim_destroy(state);
}

const struct dd_backend_ops dd_backend_rtlsim = {
    "rtlsim",
    "the RTL accelerator (accel/rtl) in cycle-accurate simulation, bit-exact with "
    "golden, slow",
    rtlsim_open,
    NULL,
    rtlsim_run,
    rtlsim_stats,
    rtlsim_close,
};

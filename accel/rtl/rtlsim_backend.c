#include "accel/rtl/rtlsim.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/golden.h"
#include "accel/kernel_image.h"

/* ---- the simulation ---- */

struct dd_rtlsim {
    const struct dd_pkg *pkg;
    const struct dd_rtl_config *cfg;
    struct dd_rtl_model *model;
    struct dd_kernel_image image; /* the kernel's DRAM image of the program */
    struct dd_rtl_counts counts;
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
    if (dd_kernel_image_create(p, &s->image, err) != 0) {
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
    dd_kernel_image_destroy(&s->image);
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
    c.program = s->image.program;
    c.program_size = s->image.size;
    c.tensors_offset = s->image.tensors_offset;
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
        c.frame_size = dd_kernel_frame_layout(frame, &uv_offset, &apart);
        c.frame = frame->data;
        if (apart) { /* one DRAM buffer holds both planes, as a DMA-BUF does */
            if (!(joined = malloc(c.frame_size))) return dd_err_set(err, "out of memory");
            dd_kernel_frame_copy(frame, uv_offset, joined);
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

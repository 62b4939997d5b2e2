#include "accel/hls/estimate.h"

#include "accel/hls/dd_kernel.h"

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

/* Pipeline depth added once per pipelined loop nest (fill/drain). */
#define PIPE_DEPTH 12
#define INSN_OVERHEAD 200 /* fetch, decode, descriptor loads, loop setup */

void dd_hls_estimate(const struct dd_pkg *p, double clock_mhz,
                     struct dd_hls_insn_estimate *per_insn, struct dd_hls_estimate *out)
{
    uint64_t total_c = 0, total_m = 0;
    for (uint32_t i = 0; i < p->n_insns; i++) {
        const struct dd_isa_insn *in = &p->insns[i];
        const struct dd_isa_tensor *o = &p->tensors[in->out];
        uint64_t pix = (uint64_t)o->h * o->w, c = INSN_OVERHEAD, m = 0;
        switch (in->opcode) {
        case DD_ISA_CONV: {
            const struct dd_isa_tensor *a = &p->tensors[in->in0];
            int dw = (in->flags & DD_ISA_F_DEPTHWISE) != 0;
            uint64_t pool = (in->flags & DD_ISA_F_POOL2X2) ? 4 : 1,
                     taps = (uint64_t)in->kh * in->kw;
            uint64_t per = taps * (dw ? 1 : a->c);
            uint64_t row = in->wbits == 4 ? (per + 1) / 2 : per;
            m = (uint64_t)o->c * pix * pool * per;
            /* per output channel: the weight burst, then every output point:
             * dense: taps x ceil(ic / MACS) cycles; depthwise: one per tap */
            uint64_t point = dw ? taps : taps * ceil_div((uint64_t)a->c, DD_HLS_MACS);
            c += (uint64_t)o->c * (row + PIPE_DEPTH + pix * pool * point);
            break;
        }
        case DD_ISA_POOL:
            c += pix * o->c * 1 + PIPE_DEPTH; /* II=1 per output element (taps inside) */
            break;
        case DD_ISA_INPUT:
            c += pix * 4 + PIPE_DEPTH; /* II=4: four frame reads per pixel */
            break;
        case DD_ISA_LUT:
            c += 256 + pix * o->c + PIPE_DEPTH;
            break;
        default: /* ADD, UPSAMPLE, D2S: one element per cycle */
            c += pix * o->c + PIPE_DEPTH;
            break;
        }
        if (per_insn) per_insn[i] = (struct dd_hls_insn_estimate){in->opcode, m, c};
        total_c += c;
        total_m += m;
    }
    out->macs = total_m;
    out->cycles = total_c;
    out->ms_per_frame = (double)total_c / (clock_mhz * 1e3);
    out->fps = out->ms_per_frame > 0 ? 1000.0 / out->ms_per_frame : 0.0;
    out->mac_utilisation = total_c ? (double)total_m / ((double)total_c * DD_HLS_MACS) : 0.0;
    /* DSP48E2: one int8 MAC each in the unrolled array (no packing assumed),
     * ~4 for the int64 requantization product, ~8 for INPUT's normalisation
     * and bilinear weights. BRAM18K (2 KiB each): the weight row split into
     * DD_HLS_MACS cyclic banks, and the AXI masters' burst buffers (4 x 2). */
    out->dsp = DD_HLS_MACS + 4 + 8;
    out->bram18 = (int)ceil_div(DD_HLS_MAX_ROW / DD_HLS_MACS, 2048) * DD_HLS_MACS + 8;
}

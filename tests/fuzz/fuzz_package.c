/* libFuzzer target: the package loader (accel/package.c) on arbitrary bytes.
 * A package it accepts must serialise and load again, and — when small
 * enough to run quickly — execute on the golden model without a sanitizer
 * report: validation is what keeps every executor's addressing in bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accel/golden.h"
#include "accel/package.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_ARENA (1u << 20)
#define FUZZ_MAX_WORK (4u << 20) /* multiply-accumulates (or element steps) per input */

/* An upper bound of the golden model's work for instruction in. */
static uint64_t insn_work(const struct dd_pkg *p, const struct dd_isa_insn *in)
{
    if (in->out >= p->n_tensors) return UINT64_MAX;
    const struct dd_isa_tensor *o = &p->tensors[in->out];
    uint64_t elems = (uint64_t)o->h * o->w * o->c;
    uint64_t per = 16; /* pools, adds, resizes, lookups: a few steps per element */
    if (in->opcode == DD_ISA_CONV) {
        uint64_t ic = 1;
        if (!(in->flags & DD_ISA_F_DEPTHWISE) && in->in0 < p->n_tensors) ic = p->tensors[in->in0].c;
        per = (uint64_t)in->kh * in->kw * ic * 4 + 16; /* x4: a fused 2x2 pool */
    }
    return elems * per;
}

/* The loader checks the file size and a CRC of everything after the header
 * first; a mutated input gets both recomputed (when its size field was not the
 * mutation) so that the fuzzer reaches the checks behind them. */
static uint8_t *with_crc(const uint8_t *data, size_t size)
{
    uint8_t *d = malloc(size ? size : 1);
    if (!d) return NULL;
    memcpy(d, data, size);
    if (size >= DD_PKG_HEADER_SIZE) {
        uint64_t file_size = size;
        if (size % 7) memcpy(d + offsetof(struct dd_pkg_header, file_size), &file_size, 8);
        uint32_t crc = dd_crc32(d + DD_PKG_HEADER_SIZE, size - DD_PKG_HEADER_SIZE);
        memcpy(d + offsetof(struct dd_pkg_header, crc32), &crc, sizeof(crc));
    }
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dd_pkg *p = NULL, *q = NULL;
    struct dd_err err = {{0}};
    uint8_t *input = with_crc(data, size);
    if (!input) return 0;
    int rc = dd_pkg_parse(input, size, &p, &err);
    free(input);
    if (rc != 0) {
        fuzz_check_refusal(&err, "package");
        return 0;
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (dd_pkg_serialize(p, &bytes, &len, &err) != 0 || dd_pkg_parse(bytes, len, &q, &err) != 0) {
        fprintf(stderr, "an accepted package does not serialise and load again: %s\n", err.msg);
        abort();
    }
    if (q->n_insns != p->n_insns || q->n_tensors != p->n_tensors ||
        q->arena_size != p->arena_size || q->blob_size != p->blob_size) {
        fprintf(stderr, "a package changed on its way through serialisation\n");
        abort();
    }
    dd_pkg_destroy(q);
    free(bytes);

    uint64_t work = 0;
    for (uint32_t i = 0; i < p->n_insns && work <= FUZZ_MAX_WORK; i++)
        work += insn_work(p, &p->insns[i]);
    if (p->arena_size <= FUZZ_MAX_ARENA && work <= FUZZ_MAX_WORK) {
        int8_t *arena = calloc(1, p->arena_size ? p->arena_size : 1);
        if (arena) {
            /* NULL frame: a program with INPUT is refused with a reason */
            if (dd_golden_run(p, arena, NULL, &err) != 0) fuzz_check_refusal(&err, "golden run");
            free(arena);
        }
    }
    dd_pkg_destroy(p);
    return 0;
}

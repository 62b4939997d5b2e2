/* Model packages: compile, serialise, load back; the loader rejects damaged files. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "accel/compiler.h"
#include "tests_common.h"

/* A small real package: BlazeFace calibrated on two photos. */
static struct dd_pkg *compile_blazeface(int wbits)
{
    return tc_compile_blazeface(wbits, 2, NULL, NULL);
}

static void fix_crc(uint8_t *d, size_t len)
{
    uint32_t crc = dd_crc32(d + DD_PKG_HEADER_SIZE, len - DD_PKG_HEADER_SIZE);
    memcpy(d + offsetof(struct dd_pkg_header, crc32), &crc, 4);
}

Test(package, round_trip, .timeout = 120)
{
    struct dd_pkg *p = compile_blazeface(8);
    uint8_t *d;
    size_t len;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_pkg_serialize(p, &d, &len, &err), 0, "%s", err.msg);
    struct dd_pkg *q;
    cr_assert_eq(dd_pkg_parse(d, len, &q, &err), 0, "%s", err.msg);
    cr_assert_eq(q->n_insns, p->n_insns);
    cr_assert_eq(memcmp(q->insns, p->insns, p->n_insns * sizeof(*p->insns)), 0);
    cr_assert_eq(memcmp(q->blob, p->blob, p->blob_size), 0);
    cr_assert_str_eq(q->meta.family, "blazeface");
    cr_assert_eq(q->meta.n_outputs, 4);
    dd_pkg_destroy(q);
    free(d);
    dd_pkg_destroy(p);
}

static int parse_status(uint8_t *d, size_t len, char *msg)
{
    struct dd_pkg *q = NULL;
    struct dd_err err = {{0}};
    int rc = dd_pkg_parse(d, len, &q, &err);
    if (rc == 0)
        dd_pkg_destroy(q);
    else
        cr_assert_null(q);
    strcpy(msg, err.msg);
    return rc;
}

Test(package, damaged_files_are_rejected_with_a_reason, .timeout = 120)
{
    struct dd_pkg *p = compile_blazeface(4);
    uint8_t *d;
    size_t len;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_pkg_serialize(p, &d, &len, &err), 0, "%s", err.msg);
    char msg[DD_ERR_MSG_MAX];
    cr_assert_neq(parse_status(d, 50, msg), 0);
    cr_assert(strstr(msg, "not a model package"), "%s", msg);
    cr_assert_neq(parse_status(d, len - 1, msg), 0);
    cr_assert(strstr(msg, "truncated"), "%s", msg);
    d[len - 3] ^= 0x40;
    cr_assert_neq(parse_status(d, len, msg), 0);
    cr_assert(strstr(msg, "checksum"), "%s", msg);
    d[len - 3] ^= 0x40;
    struct dd_pkg_header h;
    memcpy(&h, d, sizeof(h));
    uint16_t major = 2;
    memcpy(d + offsetof(struct dd_pkg_header, major), &major, 2);
    cr_assert_neq(parse_status(d, len, msg), 0);
    cr_assert(strstr(msg, "format 2."), "%s", msg);
    memcpy(d, &h, sizeof(h));
    /* a tensor pushed past the arena, with a valid checksum */
    struct dd_isa_tensor t;
    memcpy(&t, d + h.tensors_off, sizeof(t));
    t.offset = h.arena_size;
    memcpy(d + h.tensors_off, &t, sizeof(t));
    fix_crc(d, len);
    cr_assert_neq(parse_status(d, len, msg), 0);
    cr_assert(strstr(msg, "past the"), "%s", msg);
    memcpy(d, &h, sizeof(h));
    memcpy(d + h.tensors_off, &p->tensors[0], sizeof(t));
    fix_crc(d, len);
    cr_assert_eq(parse_status(d, len, msg), 0, "%s", msg);
    /* a bias that the products could carry out of int32 (the fuzzer's first find) */
    uint32_t conv = 0;
    while (p->insns[conv].opcode != DD_ISA_CONV) conv++;
    int32_t big = INT32_MAX - 1000;
    memcpy(d + h.blob_off + p->insns[conv].bias, &big, 4);
    fix_crc(d, len);
    cr_assert_neq(parse_status(d, len, msg), 0);
    cr_assert(strstr(msg, "overflow the int32 accumulator"), "%s", msg);
    free(d);
    dd_pkg_destroy(p);
}

Test(package, fuzzed_packages_never_crash, .timeout = 300)
{
    struct dd_pkg *p = compile_blazeface(8);
    uint8_t *orig;
    size_t len;
    struct dd_err err = {{0}};
    cr_assert_eq(dd_pkg_serialize(p, &orig, &len, &err), 0, "%s", err.msg);
    uint8_t *d = malloc(len);
    uint64_t s = 12345;
    int rejected = 0, accepted = 0;
    struct dd_pkg_header h;
    memcpy(&h, orig, sizeof(h));
    for (int it = 0; it < 3000; it++) {
        memcpy(d, orig, len);
        int edits = 1 + it % 4;
        for (int e = 0; e < edits; e++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            /* aim most edits at the tables and the program, where validation matters */
            size_t span = (it & 1) ? (size_t)(h.blob_off) : len;
            size_t pos = (size_t)(s >> 33) % span;
            d[pos] = (uint8_t)(s >> 17);
        }
        if (it % 3) fix_crc(d, len); /* get past the checksum to the field checks */
        char msg[DD_ERR_MSG_MAX];
        if (parse_status(d, len, msg) == 0) {
            accepted++;
        } else {
            cr_assert(msg[0], "rejected without a reason");
            rejected++;
        }
    }
    cr_log_info("package fuzz: %d accepted, %d rejected", accepted, rejected);
    cr_assert_gt(rejected, 1000);
    free(d);
    free(orig);
    dd_pkg_destroy(p);
}

/* The model package: one file holding a compiled program for the instruction
 * set, its weights, and what the daemon needs to use it (docs/ISA.md).
 *
 *   header (96 bytes) | tensor table | instructions | blob (weights, biases,
 *   requantization records, tables) | metadata (JSON)
 *
 * dd_pkg_parse() validates everything (magic, version, sizes, offsets, CRC,
 * every tensor and instruction field against the ISA rules) before returning
 * a package; an executor may then trust it. */
#ifndef DD_ACCEL_PACKAGE_H
#define DD_ACCEL_PACKAGE_H

#include <stddef.h>
#include <stdint.h>

#include "isa/isa.h"
#include "common/error.h"
#include "detectors/graph.h"

#define DD_PKG_MAGIC "DDPKG\r\n\x1a"
#define DD_PKG_HEADER_SIZE 96
#define DD_PKG_MAX_OUTPUTS 16
#define DD_PKG_MAX_BYTES (512u << 20)

struct dd_pkg_header {
    char magic[8];
    uint16_t major, minor;
    uint32_t n_tensors;
    uint32_t n_insns;
    uint32_t arena_size;
    uint64_t tensors_off, insns_off, blob_off, blob_size, meta_off, meta_size, file_size;
    uint32_t crc32; /* of every byte after the header */
    uint32_t reserved[3];
};
_Static_assert(sizeof(struct dd_pkg_header) == DD_PKG_HEADER_SIZE, "header is 96 bytes");

struct dd_pkg_output {
    char name[64];         /* the source model's output name */
    int tensor;            /* descriptor index */
    struct dd_shape shape; /* the source model's shape; data order = descriptor HWC order */
};

/* Parsed metadata (the JSON section). */
struct dd_pkg_meta {
    char family[32]; /* "nanodet", "blazeface" */
    int input_tensor;
    struct dd_shape input_shape; /* the source model's input shape ([1,3,H,W] or [1,H,W,3]) */
    int input_bgr;
    float mean[3], std[3];
    int pad_pixel;
    int wbits;
    int n_outputs;
    struct dd_pkg_output outputs[DD_PKG_MAX_OUTPUTS];
};

struct dd_pkg {
    uint16_t major, minor;
    uint32_t arena_size;
    uint32_t n_tensors, n_insns;
    struct dd_isa_tensor *tensors;
    struct dd_isa_insn *insns;
    uint8_t *blob;
    uint64_t blob_size;
    char *meta_json;
    struct dd_pkg_meta meta;
};

/* Parses and validates a package held in memory. */
int dd_pkg_parse(const uint8_t *data, size_t len, struct dd_pkg **out, struct dd_err *err);
int dd_pkg_load(const char *path, struct dd_pkg **out, struct dd_err *err);
void dd_pkg_destroy(struct dd_pkg *p);

/* Validates p (also used on a package being built) and serialises it; the
 * metadata JSON is p->meta_json. */
int dd_pkg_serialize(const struct dd_pkg *p, uint8_t **data, size_t *len, struct dd_err *err);
int dd_pkg_write(const struct dd_pkg *p, const char *path, struct dd_err *err);

/* Checks one instruction against the ISA rules and the package's tables. */
int dd_pkg_check_insn(const struct dd_pkg *p, uint32_t i, struct dd_err *err);

/* Bytes of a CONV instruction's weights. */
uint64_t dd_isa_conv_weight_bytes(const struct dd_isa_insn *in, uint32_t ic, uint32_t oc);

uint32_t dd_crc32(const uint8_t *data, size_t len);

#endif

/* Writes the package fuzz target's seed corpus: small valid one-instruction
 * packages of each opcode family (tests/random_conv.h, random_ops.h) with
 * metadata naming a 3-channel input and the output. Deterministic.
 * usage: seed_packages DIR */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "accel/package.h"
#include "random_conv.h"
#include "random_ops.h"

static uint32_t state = 12345;
static uint32_t rnd(uint32_t n)
{
    state = state * 1664525u + 1013904223u;
    return (uint32_t)(((uint64_t)(state >> 8) * n) >> 24);
}

/* Serialises p with metadata (input tensor 0, output tensor 1) to DIR/NAME;
 * returns 0, or 1 when p does not suit a seed (input not 3 channels, too big). */
static int write_seed(struct dd_pkg *p, const char *dir, const char *name)
{
    const struct dd_isa_tensor *i = &p->tensors[0], *o = &p->tensors[1];
    if (i->c != 3 || p->blob_size > 4096 || p->arena_size > 65536) return 1;
    char meta[512];
    snprintf(meta, sizeof(meta),
             "{\"family\":\"nanodet\",\"wbits\":8,\"input\":{\"tensor\":0,\"bgr\":false,"
             "\"mean\":[0,0,0],\"std\":[1,1,1],\"pad_pixel\":0,\"shape\":[1,%d,%d,3]},"
             "\"outputs\":[{\"name\":\"out\",\"tensor\":1,\"shape\":[1,%d,%d,%d]}]}",
             i->h, i->w, o->h, o->w, o->c);
    p->meta_json = meta;
    uint8_t *data;
    size_t len;
    struct dd_err err = {{0}};
    if (dd_pkg_serialize(p, &data, &len, &err) != 0) {
        fprintf(stderr, "seed_packages: %s: %s\n", name, err.msg);
        exit(1);
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "seed_packages: cannot write %s\n", path);
        exit(1);
    }
    free(data);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: seed_packages DIR\n");
        return 2;
    }
    char name[64];
    for (int n = 0, tries = 0; n < 6 && tries < 100000; tries++) {
        struct random_conv c;
        random_conv_make(&c, rnd);
        snprintf(name, sizeof(name), "conv-%d.ddpkg", n);
        if (write_seed(&c.p, argv[1], name) == 0) n++;
        random_conv_free(&c);
    }
    static void (*const makers[])(struct random_op *, uint32_t(*)(uint32_t)) = {
        random_pool_make, random_elementwise_make, random_lut_make, random_d2s_make};
    static const char *const kinds[] = {"pool", "elementwise", "lut", "d2s"};
    for (int k = 0; k < 4; k++) {
        for (int n = 0, tries = 0; n < 3 && tries < 100000; tries++) {
            static struct random_op r;
            makers[k](&r, rnd);
            snprintf(name, sizeof(name), "%s-%d.ddpkg", kinds[k], n);
            if (write_seed(&r.p, argv[1], name) == 0) n++;
        }
    }
    return 0;
}

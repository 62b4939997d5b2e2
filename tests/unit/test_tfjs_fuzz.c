/* Fuzz-style robustness: mutated model JSON and weights must give a clean
 * error or a valid graph, never a crash (run under ASan/UBSan in CI). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/tfjs_import.h"
#include "tests_common.h"

static uint64_t rng_state;
static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

/* One random edit: flip a byte, delete a span, duplicate a span, or cut the tail. */
static size_t mutate(char *buf, size_t len, size_t cap)
{
    size_t pos = len ? rnd() % len : 0;
    switch (rnd() % 5) {
    case 0:
        if (len) buf[pos] = (char)(rnd() & 0xff);
        return len;
    case 1: { /* replace a digit with another: shapes, sizes, indices */
        for (size_t i = 0; i < len; i++) {
            size_t p = (pos + i) % len;
            if (buf[p] >= '0' && buf[p] <= '9') {
                buf[p] = (char)('0' + rnd() % 10);
                break;
            }
        }
        return len;
    }
    case 2: {
        size_t n = rnd() % 64;
        if (pos + n > len) n = len - pos;
        memmove(buf + pos, buf + pos + n, len - pos - n);
        return len - n;
    }
    case 3: {
        size_t n = rnd() % 64;
        if (pos + n > len) n = len - pos;
        if (len + n > cap) return len;
        memmove(buf + pos + n, buf + pos, len - pos);
        return len + n;
    }
    default:
        return pos;
    }
}

static void fuzz_model(const char *json_rel, const char *bin_rel, int iterations, uint64_t seed)
{
    size_t jl, wl;
    char *json = tc_read_file(tc_asset(json_rel), &jl);
    unsigned char *w = tc_read_file(tc_asset(bin_rel), &wl);
    size_t cap = jl + 4096;
    char *buf = malloc(cap + 1);
    rng_state = seed;
    int ok = 0, failed = 0;
    for (int it = 0; it < iterations; it++) {
        memcpy(buf, json, jl);
        size_t len = jl;
        int edits = 1 + (int)(rnd() % 4);
        for (int e = 0; e < edits; e++) len = mutate(buf, len, cap);
        buf[len] = '\0';
        size_t wlen = rnd() % 8 == 0 ? rnd() % (wl + 1) : wl;
        struct dd_graph *g = NULL;
        struct dd_err err = {{0}};
        if (dd_tfjs_parse(buf, len, w, wlen, &g, &err) == 0) {
            cr_assert(g->input >= 0 && g->n_outputs > 0);
            dd_graph_destroy(g);
            ok++;
        } else {
            cr_assert_null(g);
            cr_assert(err.msg[0] != '\0', "failure without a message (iteration %d)", it);
            failed++;
        }
    }
    cr_log_info("%s: %d mutants parsed, %d rejected with a message", json_rel, ok, failed);
    cr_assert_gt(failed, 0, "mutations never produced an error: the fuzzer is not biting");
    free(buf);
    free(json);
    free(w);
}

Test(tfjs_fuzz, blazeface_mutations, .timeout = 600)
{
    fuzz_model("models/blazeface/blazeface-back.json", "models/blazeface/blazeface-back.bin", 400,
               1);
}

Test(tfjs_fuzz, nanodet_mutations, .timeout = 600)
{
    fuzz_model("models/nanodet/nanodet.json", "models/nanodet/nanodet.bin", 120, 2);
}

/* What every fuzz target asserts besides "no sanitizer report": a refusal
 * says why, in printable text. Header-only, for the libFuzzer targets. */
#ifndef DD_TESTS_FUZZ_CHECK_H
#define DD_TESTS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include "common/error.h"

/* Aborts (libFuzzer records the input) when a refusal has no message or its
 * message holds a control byte: errors reach logs and HTTP as text. */
static inline void fuzz_check_refusal(const struct dd_err *err, const char *what)
{
    if (!err->msg[0]) {
        fprintf(stderr, "%s refused the input without saying why\n", what);
        abort();
    }
    for (const unsigned char *c = (const unsigned char *)err->msg; *c; c++) {
        if (*c < 0x20 || *c == 0x7f) {
            fprintf(stderr, "%s: control byte 0x%02x in the error: %s\n", what, *c, err->msg);
            abort();
        }
    }
}

#endif

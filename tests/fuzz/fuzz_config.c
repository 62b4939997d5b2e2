/* libFuzzer target: the config parser (config/config.c, inih + the schema)
 * on arbitrary file contents, as `detectd --check-config` and SIGHUP read them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    struct dd_config c, defaults;
    struct dd_err err = {{0}};
    dd_config_defaults(&defaults);
    if (dd_config_load_string("fuzz.conf", text, &c, &err) == 0) {
        (void)dd_config_diff(&defaults, &c); /* what a reload to it would redo */
    } else {
        fuzz_check_refusal(&err, "config");
    }
    free(text);
    return 0;
}

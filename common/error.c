#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Control bytes as \xNN: messages echo names and values from files and the network, and an
 * error line must not carry terminal escapes, line breaks or fake log lines. */
static void escape_controls(struct dd_err *err)
{
    char out[DD_ERR_MSG_MAX];
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)err->msg; *p && o + 5 < sizeof(out); p++)
        if (*p < 0x20 || *p == 0x7f)
            o += (size_t)snprintf(out + o, sizeof(out) - o, "\\x%02x", *p);
        else
            out[o++] = (char)*p;
    out[o] = 0;
    memcpy(err->msg, out, o + 1);
}

int dd_err_set(struct dd_err *err, const char *fmt, ...)
{
    if (!err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    escape_controls(err);
    return -1;
}

int dd_err_prefix(struct dd_err *err, const char *fmt, ...)
{
    if (!err) return -1;
    char old[DD_ERR_MSG_MAX];
    memcpy(old, err->msg, sizeof(old));
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    size_t used = n < 0 ? 0 : ((size_t)n < sizeof(err->msg) ? (size_t)n : sizeof(err->msg) - 1);
    size_t room = sizeof(err->msg) - used;
    if (room > 3) {
        memcpy(err->msg + used, ": ", 2);
        size_t len = strnlen(old, sizeof(old) - 1);
        if (len > room - 3) len = room - 3;
        memcpy(err->msg + used + 2, old, len);
        err->msg[used + 2 + len] = '\0';
    }
    escape_controls(err);
    return -1;
}

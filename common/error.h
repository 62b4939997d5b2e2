/* Error reporting contract: functions that can fail return a negative value and
 * describe the failure in a caller-owned struct dd_err. Nothing deep inside
 * prints; the caller decides whether and how to log. */
#ifndef DD_COMMON_ERROR_H
#define DD_COMMON_ERROR_H

#include <stddef.h>

#define DD_ERR_MSG_MAX 512

struct dd_err {
    char msg[DD_ERR_MSG_MAX];
};

/* Sets err->msg (if err is non-NULL) and returns -1, so callers can write
 * `return dd_err_set(err, "...")`. Control bytes in the message (from names
 * and values that came from outside) are written as \xNN: a message is one
 * printable line. */
int dd_err_set(struct dd_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepends "prefix: " to an already set message and returns -1. */
int dd_err_prefix(struct dd_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

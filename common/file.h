/* Whole-file reading with an explicit size limit. */
#ifndef DD_COMMON_FILE_H
#define DD_COMMON_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "common/error.h"

/* Opens path for reading without ever blocking (a FIFO with no writer, a device)
 * and refuses anything but a regular file: returns 0 with *f open ("rb"), the
 * errno of the failed open, or DD_FILE_NOT_REGULAR. */
#define DD_FILE_NOT_REGULAR (-1)
int dd_file_open_regular(const char *path, FILE **f);
/* What a nonzero result of dd_file_open_regular means ("not a regular file", strerror). */
const char *dd_file_open_error(int e);

/* Reads the file at path into a new malloc'd buffer (NUL-terminated, the NUL
 * not counted in *len). Fails if the file is larger than max_bytes or is not a
 * regular file (never blocks on a FIFO or a device). */
int dd_file_read(const char *path, size_t max_bytes, char **data, size_t *len, struct dd_err *err);

/* Writes len bytes to path (created or truncated). */
int dd_file_write(const char *path, const void *data, size_t len, struct dd_err *err);

#endif

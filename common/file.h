/* Whole-file reading with an explicit size limit. */
#ifndef DD_COMMON_FILE_H
#define DD_COMMON_FILE_H

#include <stddef.h>

#include "common/error.h"

/* Reads the file at path into a new malloc'd buffer (NUL-terminated, the NUL
 * not counted in *len). Fails if the file is larger than max_bytes. */
int dd_file_read(const char *path, size_t max_bytes, char **data, size_t *len, struct dd_err *err);

/* Writes len bytes to path (created or truncated). */
int dd_file_write(const char *path, const void *data, size_t len, struct dd_err *err);

#endif

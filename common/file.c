#include "common/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int dd_file_read(const char *path, size_t max_bytes, char **data, size_t *len, struct dd_err *err)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return dd_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return dd_err_set(err, "%s: not a regular file", path);
    }
    if ((unsigned long long)st.st_size > max_bytes) {
        fclose(f);
        return dd_err_set(err, "%s: file too large (%lld bytes, limit %zu)", path,
                          (long long)st.st_size, max_bytes);
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        fclose(f);
        return dd_err_set(err, "%s: out of memory", path);
    }
    size_t got = fread(buf, 1, n, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr || got != n) {
        free(buf);
        return dd_err_set(err, "%s: read error (got %zu of %zu bytes)", path, got, n);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

int dd_file_write(const char *path, const void *data, size_t len, struct dd_err *err)
{
    FILE *f = fopen(path, "wb");
    if (!f) return dd_err_set(err, "%s: cannot create: %s", path, strerror(errno));
    size_t put = fwrite(data, 1, len, f);
    int cerr = fclose(f);
    if (put != len || cerr != 0) return dd_err_set(err, "%s: write error", path);
    return 0;
}

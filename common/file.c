#include "common/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int dd_file_open_regular(const char *path, FILE **f)
{
    *f = NULL;
    /* O_NONBLOCK: opening a FIFO for reading would wait for a writer */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return errno;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return DD_FILE_NOT_REGULAR;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0 || !(*f = fdopen(fd, "rb"))) {
        int e = errno;
        close(fd);
        return e ? e : EIO;
    }
    return 0;
}

const char *dd_file_open_error(int e)
{
    return e == DD_FILE_NOT_REGULAR ? "not a regular file" : strerror(e);
}

int dd_file_read(const char *path, size_t max_bytes, char **data, size_t *len, struct dd_err *err)
{
    *data = NULL;
    *len = 0;
    FILE *f;
    int e = dd_file_open_regular(path, &f);
    if (e == DD_FILE_NOT_REGULAR) return dd_err_set(err, "%s: %s", path, dd_file_open_error(e));
    if (e) return dd_err_set(err, "%s: cannot open: %s", path, dd_file_open_error(e));
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return dd_err_set(err, "%s: cannot stat: %s", path, strerror(errno));
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

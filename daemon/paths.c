#include "daemon/paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static int has_packages(const char *dir)
{
    char p[PATH_MAX + 64];
    struct stat st;
    snprintf(p, sizeof(p), "%s/packages", dir);
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *dd_datadir(void)
{
    static char installed[PATH_MAX + 32];
    const char *env = getenv("DETECTD_DATADIR");
    if (env && *env) return env;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0; /* PREFIX/bin -> PREFIX/share/detectd */
            snprintf(installed, sizeof(installed), "%s/../share/detectd", exe);
            if (has_packages(installed)) return installed;
        }
    }
    return DD_ASSETS_DIR;
}

void dd_resolve_source(const char *uri, char *out, size_t size)
{
    if (strcmp(uri, "demo") == 0)
        snprintf(out, size, "%s/media/vtest-1080p.mp4", dd_datadir());
    else
        snprintf(out, size, "%s", uri);
}

void dd_resolve_data(const char *name, const char *subdir, const char *suffix, char *out,
                     size_t size)
{
    if (!strchr(name, '/'))
        snprintf(out, size, "%s/%s/%s%s", dd_datadir(), subdir, name, suffix);
    else
        snprintf(out, size, "%s", name);
}

void dd_resolve_package(const char *name, char *out, size_t size)
{
    dd_resolve_data(name, "packages", ".ddpkg", out, size);
}

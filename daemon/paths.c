#include "daemon/paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *dd_datadir(void)
{
    const char *env = getenv("DETECTD_DATADIR");
    if (env && *env) return env;
    struct stat st;
    if (stat(DD_INSTALL_DATADIR "/packages", &st) == 0 && S_ISDIR(st.st_mode))
        return DD_INSTALL_DATADIR;
    return DD_ASSETS_DIR;
}

void dd_resolve_source(const char *uri, char *out, size_t size)
{
    if (strcmp(uri, "demo") == 0)
        snprintf(out, size, "%s/media/vtest-1080p.mp4", dd_datadir());
    else
        snprintf(out, size, "%s", uri);
}

void dd_resolve_package(const char *name, char *out, size_t size)
{
    if (!strchr(name, '/'))
        snprintf(out, size, "%s/packages/%s.ddpkg", dd_datadir(), name);
    else
        snprintf(out, size, "%s", name);
}

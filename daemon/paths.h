/* Where detectd finds its bundled data (the demo video, model packages):
 * $DETECTD_DATADIR, else PREFIX/share/detectd next to the binary (PREFIX/bin)
 * when it holds packages/ (installed, wherever the prefix), else the source
 * tree's assets/ (DD_ASSETS_DIR, a build tree). */
#ifndef DD_DAEMON_PATHS_H
#define DD_DAEMON_PATHS_H

#include <stddef.h>

const char *dd_datadir(void);

/* "demo" -> DATADIR/media/vtest-1080p.mp4; anything else unchanged. */
void dd_resolve_source(const char *uri, char *out, size_t size);
/* A bare name (no '/') -> DATADIR/packages/NAME.ddpkg; a path unchanged. */
void dd_resolve_package(const char *name, char *out, size_t size);
/* A bare name -> DATADIR/SUBDIR/NAME SUFFIX; a path unchanged. */
void dd_resolve_data(const char *name, const char *subdir, const char *suffix, char *out,
                     size_t size);

#endif

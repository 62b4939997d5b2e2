#include "common/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static _Atomic int g_level = DD_LOG_NOTICE;

void dd_log_set_level(enum dd_log_level level)
{
    atomic_store(&g_level, (int)level);
}

enum dd_log_level dd_log_get_level(void)
{
    return (enum dd_log_level)atomic_load(&g_level);
}

int dd_log_level_parse(const char *name, enum dd_log_level *out)
{
    static const struct {
        const char *name;
        enum dd_log_level level;
    } names[] = {{"err", DD_LOG_ERR},       {"error", DD_LOG_ERR}, {"warning", DD_LOG_WARNING},
                 {"notice", DD_LOG_NOTICE}, {"info", DD_LOG_INFO}, {"debug", DD_LOG_DEBUG}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].level;
            return 0;
        }
    }
    return -1;
}

void dd_log(enum dd_log_level level, const char *fmt, ...)
{
    if ((int)level > atomic_load(&g_level)) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "<%d>%s\n", (int)level, line);
}

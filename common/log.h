/* Logging to stderr with systemd/journald priority prefixes ("<3>" ...).
 * One process-wide level; messages above it are dropped. Thread-safe (one
 * fprintf per message). */
#ifndef DD_COMMON_LOG_H
#define DD_COMMON_LOG_H

enum dd_log_level {
    DD_LOG_ERR = 3,
    DD_LOG_WARNING = 4,
    DD_LOG_NOTICE = 5,
    DD_LOG_INFO = 6,
    DD_LOG_DEBUG = 7,
};

void dd_log_set_level(enum dd_log_level level);
enum dd_log_level dd_log_get_level(void);
/* Parses "err", "warning", "notice", "info", "debug"; returns -1 if unknown. */
int dd_log_level_parse(const char *name, enum dd_log_level *out);

void dd_log(enum dd_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define DD_LOG_E(...) dd_log(DD_LOG_ERR, __VA_ARGS__)
#define DD_LOG_W(...) dd_log(DD_LOG_WARNING, __VA_ARGS__)
#define DD_LOG_N(...) dd_log(DD_LOG_NOTICE, __VA_ARGS__)
#define DD_LOG_I(...) dd_log(DD_LOG_INFO, __VA_ARGS__)
#define DD_LOG_D(...) dd_log(DD_LOG_DEBUG, __VA_ARGS__)

#endif

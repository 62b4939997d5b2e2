/* The systemd service manager protocol (libsystemd's sd_notify): READY,
 * STATUS, RELOADING, STOPPING and WATCHDOG messages. Without NOTIFY_SOCKET
 * (not started by systemd) every call is a no-op. */
#ifndef DD_DAEMON_NOTIFY_H
#define DD_DAEMON_NOTIFY_H

#include <stdint.h>

/* The watchdog period asked for by the unit (WatchdogSec=), in µs; 0: none. */
uint64_t dd_notify_watchdog_usec(void);

void dd_notify_ready(void);
void dd_notify_reloading(void); /* RELOADING=1 with MONOTONIC_USEC */
void dd_notify_stopping(void);
void dd_notify_watchdog(void);
void dd_notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

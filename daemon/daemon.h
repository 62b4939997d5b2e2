/* detectd's lifecycle: config -> pipeline + HTTP server, the systemd
 * protocol, SIGHUP reloads that keep the last good state, SIGTERM/SIGINT
 * shutdown that drains the pipeline and releases camera and display. */
#ifndef DD_DAEMON_DAEMON_H
#define DD_DAEMON_DAEMON_H

/* Runs until SIGTERM/SIGINT (or the end of a non-looping file). config_path
 * NULL: the embedded default. Block SIGTERM, SIGINT and SIGHUP in every thread
 * before calling (dd_daemon_block_signals) so that only this loop takes them.
 * Returns the process exit status. */
int dd_daemon_run(const char *config_path);

void dd_daemon_block_signals(void);

#endif

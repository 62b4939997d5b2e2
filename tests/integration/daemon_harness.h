/* Runs detectd as systemd would: a config file, a NOTIFY_SOCKET listener
 * (AF_UNIX datagrams, the sd_notify protocol) and WATCHDOG_USEC; and talks
 * HTTP to it over plain sockets. */
#ifndef DD_TESTS_DAEMON_HARNESS_H
#define DD_TESTS_DAEMON_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <pthread.h>

/* Like systemd, a reader thread takes every notify message as it arrives
 * (the daemon's sd_notify blocks when the socket's queue is full). */
struct dh_daemon {
    pid_t pid;
    int notify_fd;
    unsigned port;
    char dir[64];
    char config[128], notify_path[128], log_path[128];
    pthread_t reader;
    int reader_running, reader_stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char **msgs; /* every notify message so far */
    size_t n_msgs, cap_msgs;
    size_t cursor;  /* messages already consumed by waits and counts */
    char *messages; /* all of them joined ("\n--\n" after each), for assertions */
    size_t messages_len;
    int exit_status;
};

/* A free TCP port on 127.0.0.1. */
unsigned dh_free_port(void);
/* The config written to DIR/detectd.conf; "%PORT%" in it is replaced by a free port. */
void dh_start(struct dh_daemon *d, const char *config_text, unsigned watchdog_usec);
void dh_write_config(struct dh_daemon *d, const char *config_text);
/* Waits for a message after the ones already consumed that contains needle
 * (1; it and those before it are consumed) or times out (0). */
int dh_wait_notify(struct dh_daemon *d, const char *needle, int timeout_ms);
/* Counts the messages containing needle that arrive within ms (all consumed). */
int dh_count_notify(struct dh_daemon *d, const char *needle, int ms);
/* Whether any message so far contains needle. */
int dh_seen(struct dh_daemon *d, const char *needle);
void dh_signal(struct dh_daemon *d, int sig);
/* Waits for exit; returns the exit status (-1: killed or timeout). */
int dh_wait_exit(struct dh_daemon *d, int timeout_ms);
/* Stops (SIGTERM) if running, removes the directory. */
void dh_stop(struct dh_daemon *d);
/* The daemon's stderr so far (malloc'd). */
char *dh_log(struct dh_daemon *d);

struct dh_response {
    int status; /* 0: no response (closed or timed out) */
    char *head, *body;
    size_t body_len;
};
/* Sends raw bytes, reads up to max_bytes of the response (or until close / timeout). */
/* A TCP connection to 127.0.0.1:port from loopback address `from` (host order; 0: any);
 * -1 when refused. */
int dh_connect(unsigned port, uint32_t from);
struct dh_response dh_raw(unsigned port, const char *request, size_t len, size_t max_bytes,
                          int timeout_ms);
/* GET path with optional extra header lines ("Name: value\r\n..."). */
struct dh_response dh_get(unsigned port, const char *path, const char *headers);
void dh_response_free(struct dh_response *r);
/* Value of a JSON number at a dotted path in body ("pipeline.frames_output"); NAN if absent. */
double dh_json_number(const char *body, const char *path);

#endif

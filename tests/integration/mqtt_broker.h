/* A real mosquitto broker (Debian's /usr/sbin/mosquitto) on a free localhost port for the
 * tests, and a real subscriber (libmosquitto) that collects what it receives. */
#ifndef DD_TESTS_MQTT_BROKER_H
#define DD_TESTS_MQTT_BROKER_H

#include <stddef.h>
#include <sys/types.h>

struct mb_broker {
    pid_t pid;
    unsigned port;
    char dir[128];
};

/* Starts a broker on port (0: a free one) with extra mosquitto.conf lines; 0 when it accepts
 * connections, -1 (with a message on stderr) otherwise. Persistence is off: a restart forgets
 * every retained message. */
int mb_start(struct mb_broker *b, unsigned port, const char *extra_conf);
/* SIGTERM and wait. */
void mb_stop(struct mb_broker *b);
/* A password file for user:password in the broker's directory (mosquitto_passwd). */
int mb_passwd(struct mb_broker *b, const char *user, const char *password, char *path, size_t size);

struct mb_sub;
/* Subscribes to filter (e.g. "#"); NULL when the broker does not answer. */
struct mb_sub *mb_subscribe(unsigned port, const char *filter);
/* Waits up to timeout_ms for a received message whose topic is topic and whose payload
 * contains needle (NULL: any); copies the payload to out. Returns 1 + its retain flag, or 0. */
int mb_wait(struct mb_sub *s, const char *topic, const char *needle, int timeout_ms, char *out,
            size_t size);
/* The latest payload received on topic into out; 0 when none came. */
int mb_last(struct mb_sub *s, const char *topic, char *out, size_t size);
/* Messages received on topics starting with prefix. */
int mb_count(struct mb_sub *s, const char *prefix);
void mb_close(struct mb_sub *s);

#endif

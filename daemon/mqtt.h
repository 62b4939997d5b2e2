/* MQTT out (libmosquitto): the scene's events, zone occupancy and line counts (retained), the
 * daemon's stats every stats_interval_s, availability through a last will (online / offline),
 * and Home Assistant MQTT discovery for every zone (binary_sensor occupied, sensor count) and
 * line (sensors in and out), so Home Assistant gets entities without YAML.
 *
 * Topics, P = topic_prefix (default detectd/CLIENT_ID):
 *   P/availability        online | offline (retained; offline is the will)
 *   P/events              one JSON event per message (as /api/events/recent)
 *   P/zones/NAME/state    {"occupancy":N,"occupied":true,"entered":N,"occupancy_per_class":{..},
 *                          "entered_per_class":{..}} (retained, on change)
 *   P/lines/NAME/state    {"in":N,"out":N,"in_per_class":{..},"out_per_class":{..}} (retained)
 *   P/stats               {"fps":..,"latency_p50_ms":..,"frames":..,"detections":..,..}
 *   DISCOVERY_PREFIX/binary_sensor|sensor/CLIENT_ID/OBJECT/config   (retained; emptied when a
 *                          zone or line goes away)
 *
 * A connection thread runs libmosquitto's loop, which reconnects after a lost connection with a
 * delay doubling from 1 s to 60 s; when the loop gives up (a name that does not resolve, a TLS
 * failure, a refused login) the thread starts over with the same backoff, so the client never
 * stops trying; stopping cancels a connect stuck on a silent host after a second. A publishing
 * thread queues and publishes. Events wait in a bounded queue (queue_max;
 * the oldest are dropped, counted) while the broker is away; retained state is kept as the
 * latest value per topic and sent again on every (re)connect, so a broker that restarts gets it
 * back. Nothing here runs on the pipeline's threads: a slow or absent broker costs the pipeline
 * nothing. */
#ifndef DD_DAEMON_MQTT_H
#define DD_DAEMON_MQTT_H

#include <stdint.h>

#include "common/error.h"
#include "daemon/event_store.h"
#include "tracking/scene.h"

struct dd_mqtt_config {
    const char *host;
    int port;
    const char *client_id; /* "" : detectd-HOSTNAME */
    const char *username;  /* "" : none */
    const char *password_file;
    const char *tls_ca;       /* "" : plain TCP */
    const char *topic_prefix; /* "" : detectd/CLIENT_ID */
    int qos;
    double stats_interval_s;
    int discovery;
    const char *discovery_prefix;
    int queue_max;
    int keepalive_s;
};

/* What the daemon hands over a few times a second (copied). */
struct dd_mqtt_state {
    struct dd_scene_counts scene;
    const char *const *labels;
    int n_labels;
    double fps, latency_p50_ms, latency_p99_ms, uptime_s;
    uint64_t frames, detections;
    int healthy;
    char model[64];
};

struct dd_mqtt_stats {
    int connected;
    uint64_t connects, connect_failures, published, dropped;
    int queued;
    char last_error[256];
};

struct dd_mqtt;

/* Checks what can be checked without the broker (password and CA files readable, topics). */
int dd_mqtt_config_check(const struct dd_mqtt_config *c, struct dd_err *err);
/* Starts the client (connecting in the background); events come from es (may be NULL). */
int dd_mqtt_start(const struct dd_mqtt_config *c, struct dd_event_store *es, struct dd_mqtt **out,
                  struct dd_err *err);
/* Says offline, disconnects, stops the threads (within about a second). */
void dd_mqtt_stop(struct dd_mqtt *m);
void dd_mqtt_set_state(struct dd_mqtt *m, const struct dd_mqtt_state *s);
void dd_mqtt_get_stats(struct dd_mqtt *m, struct dd_mqtt_stats *out);

#endif

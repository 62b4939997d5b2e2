#define _GNU_SOURCE /* pthread_timedjoin_np */
#include "daemon/mqtt.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/file.h"
#include "common/log.h"
#include "pipeline/stats_json.h"

#define TICK_MS 100
#define MAX_INFLIGHT 64 /* published, not yet sent (QoS 0) or acknowledged (QoS 1, 2) */
#define MAX_RETAINED 96 /* state and discovery topics */
#define TOPIC_MAX 512

struct msg {
    char *topic, *payload;
};

struct retained {
    char topic[TOPIC_MAX];
    char *payload; /* "" : remove (the zone or line went away): sent once, then forgotten */
    int dirty, seen;
};

struct dd_mqtt {
    struct mosquitto *mosq;
    pthread_t tid, conn_tid;
    atomic_int conn_stop;
    int keepalive_s;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    char host[256], client_id[128], prefix[192], disc_prefix[128];
    int port, qos, discovery, queue_max;
    double stats_interval_s;
    struct dd_event_store *es;
    uint64_t event_cursor;
    /* guarded by mu */
    struct msg *queue; /* ring of queue_max */
    int q_head, q_len;
    struct retained ret[MAX_RETAINED];
    int n_ret;
    struct dd_mqtt_state state;
    int state_fresh;
    struct dd_mqtt_stats st;
    atomic_int connected, inflight, reconnected;
    int64_t next_stats_ns;
};

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* ---- config ---- */

static int topic_ok(const char *t)
{
    return !strpbrk(t, "+#") && strlen(t) < 160;
}

static int read_password(const char *path, char *out, size_t size, struct dd_err *err)
{
    char *data = NULL;
    size_t len = 0;
    if (dd_file_read(path, 4096, &data, &len, err) != 0)
        return dd_err_prefix(err, "[mqtt] password_file");
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r')) len--;
    if (!len || len >= size) {
        free(data);
        return dd_err_set(err, "[mqtt] password_file %s: empty or longer than %zu bytes", path,
                          size - 1);
    }
    memcpy(out, data, len);
    out[len] = 0;
    free(data);
    return 0;
}

int dd_mqtt_config_check(const struct dd_mqtt_config *c, struct dd_err *err)
{
    char pw[256];
    if (!*c->host) return dd_err_set(err, "[mqtt] host: empty");
    if (*c->password_file && read_password(c->password_file, pw, sizeof(pw), err) != 0) return -1;
    if (*c->password_file && !*c->username)
        return dd_err_set(err, "[mqtt] password_file needs a username");
    if (*c->tls_ca && access(c->tls_ca, R_OK) != 0)
        return dd_err_set(err, "[mqtt] tls_ca %s: cannot be read", c->tls_ca);
    if (!topic_ok(c->topic_prefix) || !topic_ok(c->discovery_prefix) || !topic_ok(c->client_id))
        return dd_err_set(err, "[mqtt] topic_prefix, discovery_prefix and client_id take no '+' "
                               "or '#' and fewer than 160 characters");
    return 0;
}

/* ---- queue and retained topics (mu held) ---- */

static void queue_push(struct dd_mqtt *m, char *topic, char *payload)
{
    if (!topic || !payload) {
        free(topic), free(payload);
        m->st.dropped++;
        return;
    }
    if (m->q_len == m->queue_max) { /* the oldest goes */
        struct msg *old = &m->queue[m->q_head];
        free(old->topic), free(old->payload);
        m->q_head = (m->q_head + 1) % m->queue_max;
        m->q_len--;
        m->st.dropped++;
    }
    m->queue[(m->q_head + m->q_len) % m->queue_max] = (struct msg){topic, payload};
    m->q_len++;
}

/* Sets a retained topic's payload (taken); marks it to send when it changed. */
static void retain(struct dd_mqtt *m, const char *topic, char *payload)
{
    if (!payload) return;
    for (int i = 0; i < m->n_ret; i++) {
        struct retained *r = &m->ret[i];
        if (strcmp(r->topic, topic) != 0) continue;
        r->seen = 1;
        if (strcmp(r->payload, payload) == 0) {
            free(payload);
            return;
        }
        free(r->payload);
        r->payload = payload;
        r->dirty = 1;
        return;
    }
    if (m->n_ret == MAX_RETAINED) {
        free(payload);
        return;
    }
    struct retained *r = &m->ret[m->n_ret++];
    snprintf(r->topic, sizeof(r->topic), "%s", topic);
    r->payload = payload;
    r->dirty = r->seen = 1;
}

/* ---- state rendering (mu held) ---- */

static char *json_text(cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static cJSON *device(struct dd_mqtt *m)
{
    cJSON *d = cJSON_CreateObject();
    cJSON *ids = cJSON_AddArrayToObject(d, "identifiers");
    cJSON_AddItemToArray(ids, cJSON_CreateString(m->client_id));
    char name[160];
    snprintf(name, sizeof(name), "detectd %s", m->client_id);
    cJSON_AddStringToObject(d, "name", name);
    cJSON_AddStringToObject(d, "manufacturer", "detectd");
    cJSON_AddStringToObject(d, "model", "object-detection camera daemon");
    cJSON_AddStringToObject(d, "sw_version", DD_VERSION);
    return d;
}

/* One discovery config: component binary_sensor or sensor, object ZONE_occupied etc. */
static void discover(struct dd_mqtt *m, const char *component, const char *object, const char *name,
                     const char *state_topic, const char *value_template, const char *device_class,
                     const char *state_class, int attributes)
{
    char topic[TOPIC_MAX], uid[320];
    snprintf(topic, sizeof(topic), "%s/%s/%s/%s/config", m->disc_prefix, component, m->client_id,
             object);
    snprintf(uid, sizeof(uid), "%s_%s", m->client_id, object);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddStringToObject(o, "unique_id", uid);
    cJSON_AddStringToObject(o, "object_id", uid);
    cJSON_AddStringToObject(o, "state_topic", state_topic);
    cJSON_AddStringToObject(o, "value_template", value_template);
    if (attributes) cJSON_AddStringToObject(o, "json_attributes_topic", state_topic);
    char avail[TOPIC_MAX];
    snprintf(avail, sizeof(avail), "%s/availability", m->prefix);
    cJSON_AddStringToObject(o, "availability_topic", avail);
    if (device_class) cJSON_AddStringToObject(o, "device_class", device_class);
    if (state_class) cJSON_AddStringToObject(o, "state_class", state_class);
    if (!strcmp(component, "binary_sensor")) {
        cJSON_AddStringToObject(o, "payload_on", "ON");
        cJSON_AddStringToObject(o, "payload_off", "OFF");
    }
    cJSON_AddItemToObject(o, "device", device(m));
    retain(m, topic, json_text(o));
}

static void render_state(struct dd_mqtt *m)
{
    const struct dd_mqtt_state *s = &m->state;
    const struct dd_scene_counts *sc = &s->scene;
    char topic[TOPIC_MAX], name[96];
    for (int i = 0; i < m->n_ret; i++) m->ret[i].seen = 0;
    for (int i = 0; i < sc->n_zones; i++) {
        const struct dd_zone_counts *z = &sc->zones[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "occupancy", z->occupancy);
        cJSON_AddBoolToObject(o, "occupied", z->occupancy > 0);
        cJSON_AddNumberToObject(o, "entered", (double)z->entered);
        uint64_t occ[DD_MAX_CLASSES];
        for (int c = 0; c < DD_MAX_CLASSES; c++)
            occ[c] = z->occupancy_per_class[c] > 0 ? (uint64_t)z->occupancy_per_class[c] : 0;
        dd_stats_json_per_class(o, "occupancy_per_class", occ, s->labels, s->n_labels);
        dd_stats_json_per_class(o, "entered_per_class", z->entered_per_class, s->labels,
                                s->n_labels);
        snprintf(topic, sizeof(topic), "%s/zones/%s/state", m->prefix, z->name);
        retain(m, topic, json_text(o));
        if (!m->discovery) continue;
        char object[80];
        snprintf(object, sizeof(object), "%s_occupied", z->name);
        snprintf(name, sizeof(name), "%s occupied", z->name);
        discover(m, "binary_sensor", object, name, topic,
                 "{{ 'ON' if value_json.occupancy > 0 else 'OFF' }}", "occupancy", NULL, 1);
        snprintf(object, sizeof(object), "%s_count", z->name);
        snprintf(name, sizeof(name), "%s objects", z->name);
        discover(m, "sensor", object, name, topic, "{{ value_json.occupancy }}", NULL,
                 "measurement", 0);
    }
    for (int i = 0; i < sc->n_lines; i++) {
        const struct dd_line_counts *l = &sc->lines[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "in", (double)l->in);
        cJSON_AddNumberToObject(o, "out", (double)l->out);
        dd_stats_json_per_class(o, "in_per_class", l->in_per_class, s->labels, s->n_labels);
        dd_stats_json_per_class(o, "out_per_class", l->out_per_class, s->labels, s->n_labels);
        snprintf(topic, sizeof(topic), "%s/lines/%s/state", m->prefix, l->name);
        retain(m, topic, json_text(o));
        if (!m->discovery) continue;
        for (int dir = 0; dir < 2; dir++) {
            char object[80];
            snprintf(object, sizeof(object), "%s_%s", l->name, dir ? "out" : "in");
            snprintf(name, sizeof(name), "%s %s", l->name, dir ? "out" : "in");
            discover(m, "sensor", object, name, topic,
                     dir ? "{{ value_json.out }}" : "{{ value_json['in'] }}", NULL,
                     "total_increasing", 1);
        }
    }
    /* a topic of a zone or line that went away: an empty retained message deletes it (and
     * Home Assistant's entity) */
    for (int i = 0; i < m->n_ret; i++) {
        struct retained *r = &m->ret[i];
        if (r->seen || !*r->payload) continue;
        char *empty = strdup("");
        if (!empty) continue;
        free(r->payload);
        r->payload = empty;
        r->dirty = 1;
    }
}

/* Forgets removed topics once their empty message went out. */
static void compact_retained(struct dd_mqtt *m)
{
    int k = 0;
    for (int i = 0; i < m->n_ret; i++) {
        if (!*m->ret[i].payload && !m->ret[i].dirty) {
            free(m->ret[i].payload);
            continue;
        }
        m->ret[k++] = m->ret[i];
    }
    m->n_ret = k;
}

static void queue_stats(struct dd_mqtt *m)
{
    const struct dd_mqtt_state *s = &m->state;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "healthy", s->healthy);
    cJSON_AddNumberToObject(o, "fps", round(s->fps * 100) / 100);
    cJSON_AddNumberToObject(o, "latency_p50_ms", round(s->latency_p50_ms * 10) / 10);
    cJSON_AddNumberToObject(o, "latency_p99_ms", round(s->latency_p99_ms * 10) / 10);
    cJSON_AddNumberToObject(o, "frames", (double)s->frames);
    cJSON_AddNumberToObject(o, "detections", (double)s->detections);
    cJSON_AddNumberToObject(o, "events", (double)s->scene.events);
    cJSON_AddNumberToObject(o, "uptime_s", round(s->uptime_s));
    cJSON_AddStringToObject(o, "model", s->model);
    cJSON_AddNumberToObject(o, "mqtt_dropped", (double)m->st.dropped);
    char topic[TOPIC_MAX];
    snprintf(topic, sizeof(topic), "%s/stats", m->prefix);
    queue_push(m, xstrdup(topic), json_text(o));
}

/* ---- libmosquitto callbacks (its thread) ---- */

static void on_connect(struct mosquitto *mosq, void *u, int rc)
{
    (void)mosq;
    struct dd_mqtt *m = u;
    pthread_mutex_lock(&m->mu);
    if (rc == 0) {
        atomic_store(&m->connected, 1);
        atomic_store(&m->reconnected, 1);
        atomic_store(&m->inflight, 0);
        m->st.connects++;
        m->st.last_error[0] = 0;
        DD_LOG_N("mqtt: connected to %s:%d", m->host, m->port);
    } else {
        m->st.connect_failures++;
        snprintf(m->st.last_error, sizeof(m->st.last_error), "broker refused: %s",
                 mosquitto_connack_string(rc));
        DD_LOG_W("mqtt: %s:%d refused the connection: %s (retrying)", m->host, m->port,
                 mosquitto_connack_string(rc));
    }
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

static void on_disconnect(struct mosquitto *mosq, void *u, int rc)
{
    (void)mosq;
    struct dd_mqtt *m = u;
    int was = atomic_exchange(&m->connected, 0);
    pthread_mutex_lock(&m->mu);
    if (rc != 0) {
        if (was || !*m->st.last_error)
            snprintf(m->st.last_error, sizeof(m->st.last_error), "connection lost: %s",
                     mosquitto_strerror(rc));
        if (was) DD_LOG_W("mqtt: connection to %s:%d lost (reconnecting)", m->host, m->port);
    }
    pthread_mutex_unlock(&m->mu);
}

static void on_publish(struct mosquitto *mosq, void *u, int mid)
{
    (void)mosq;
    (void)mid;
    struct dd_mqtt *m = u;
    if (atomic_fetch_sub(&m->inflight, 1) <= 0) atomic_store(&m->inflight, 0);
}

static void on_log(struct mosquitto *mosq, void *u, int level, const char *text)
{
    (void)mosq;
    struct dd_mqtt *m = u;
    if (!(level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING))) return;
    pthread_mutex_lock(&m->mu);
    snprintf(m->st.last_error, sizeof(m->st.last_error), "%s", text);
    pthread_mutex_unlock(&m->mu);
}

/* ---- our thread ---- */

/* Publishes one message; 0, or -1 when the client refused it (not connected). */
static int send_one(struct dd_mqtt *m, const char *topic, const char *payload, int retain)
{
    atomic_fetch_add(&m->inflight, 1);
    int rc = mosquitto_publish(m->mosq, NULL, topic, (int)strlen(payload), payload, m->qos, retain);
    if (rc != MOSQ_ERR_SUCCESS) {
        atomic_fetch_sub(&m->inflight, 1);
        return -1;
    }
    pthread_mutex_lock(&m->mu);
    m->st.published++;
    pthread_mutex_unlock(&m->mu);
    return 0;
}

static void pull_events(struct dd_mqtt *m)
{
    if (!m->es) return;
    char topic[TOPIC_MAX];
    snprintf(topic, sizeof(topic), "%s/events", m->prefix);
    for (int n = 0; n < 256; n++) {
        const char *type;
        char *ev = dd_event_store_next(m->es, m->event_cursor, 0, &m->event_cursor, &type);
        if (!ev) break;
        pthread_mutex_lock(&m->mu);
        queue_push(m, xstrdup(topic), ev);
        pthread_mutex_unlock(&m->mu);
    }
}

static void *worker(void *arg)
{
    struct dd_mqtt *m = arg;
    char avail[TOPIC_MAX];
    snprintf(avail, sizeof(avail), "%s/availability", m->prefix);
    pthread_mutex_lock(&m->mu);
    while (!m->stop) {
        struct timespec until = dd_deadline_ms(TICK_MS);
        pthread_cond_timedwait(&m->cv, &m->mu, &until);
        if (m->stop) break;
        if (m->state_fresh) {
            render_state(m);
            m->state_fresh = 0;
        }
        int64_t now = dd_now_ns();
        if (now >= m->next_stats_ns && atomic_load(&m->connected)) { /* not queued stale */
            queue_stats(m);
            m->next_stats_ns = now + (int64_t)(m->stats_interval_s * 1e9);
        }
        pthread_mutex_unlock(&m->mu);
        pull_events(m);
        if (!atomic_load(&m->connected)) {
            pthread_mutex_lock(&m->mu);
            m->st.queued = m->q_len;
            continue;
        }
        if (atomic_exchange(&m->reconnected, 0)) { /* the broker may have lost what we said */
            send_one(m, avail, "online", 1);
            pthread_mutex_lock(&m->mu);
            for (int i = 0; i < m->n_ret; i++) m->ret[i].dirty = 1;
            pthread_mutex_unlock(&m->mu);
        }
        pthread_mutex_lock(&m->mu);
        for (int i = 0; i < m->n_ret && atomic_load(&m->inflight) < MAX_INFLIGHT; i++) {
            struct retained *r = &m->ret[i];
            if (!r->dirty) continue;
            char *topic = strdup(r->topic), *payload = strdup(r->payload);
            pthread_mutex_unlock(&m->mu);
            int rc = topic && payload ? send_one(m, topic, payload, 1) : -1;
            free(topic), free(payload);
            pthread_mutex_lock(&m->mu);
            if (rc == 0 && i < m->n_ret && !strcmp(m->ret[i].topic, r->topic)) r->dirty = 0;
            if (rc != 0) break;
        }
        compact_retained(m);
        while (m->q_len && atomic_load(&m->inflight) < MAX_INFLIGHT && !m->stop) {
            struct msg q = m->queue[m->q_head];
            m->q_head = (m->q_head + 1) % m->queue_max;
            m->q_len--;
            pthread_mutex_unlock(&m->mu);
            int rc = send_one(m, q.topic, q.payload, 0);
            pthread_mutex_lock(&m->mu);
            if (rc != 0) { /* disconnected meanwhile: back to the front */
                m->q_head = (m->q_head + m->queue_max - 1) % m->queue_max;
                m->queue[m->q_head] = q;
                m->q_len++;
                break;
            }
            free(q.topic), free(q.payload);
        }
        m->st.queued = m->q_len;
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

/* ---- the connection thread ---- */

/* Connects, runs libmosquitto's loop (which itself reconnects after a lost connection, with
 * reconnect_delay_set's backoff) and, when the loop gives up (a fatal error: a name that does
 * not resolve, TLS, a refused login), records why and starts again after its own backoff: the
 * client never stops trying while the daemon runs. */
static void *connection_main(void *arg)
{
    struct dd_mqtt *m = arg;
    double delay = 1;
    int connected_once = 0;
    /* cancelled (stop_connection) only inside libmosquitto's blocking calls, never holding mu */
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    while (!atomic_load(&m->conn_stop)) {
        pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
        int rc = connected_once ? mosquitto_reconnect(m->mosq)
                                : mosquitto_connect(m->mosq, m->host, m->port, m->keepalive_s);
        int err_no = errno;
        if (rc == MOSQ_ERR_SUCCESS) {
            connected_once = 1;
            rc = mosquitto_loop_forever(m->mosq, 1000, 1);
            err_no = errno;
            if (atomic_load(&m->connected) || rc == MOSQ_ERR_SUCCESS) delay = 1;
        } else if (!connected_once && rc != MOSQ_ERR_INVAL) {
            connected_once = 1; /* the host and port are set: reconnect from now on */
        }
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
        atomic_store(&m->connected, 0);
        if (atomic_load(&m->conn_stop)) break;
        pthread_mutex_lock(&m->mu);
        if (rc != MOSQ_ERR_CONN_REFUSED) m->st.connect_failures++; /* on_connect counted it */
        if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_CONN_REFUSED)
            snprintf(m->st.last_error, sizeof(m->st.last_error), "%.128s:%d: %.100s", m->host,
                     m->port, rc == MOSQ_ERR_ERRNO ? strerror(err_no) : mosquitto_strerror(rc));
        char why[sizeof(m->st.last_error)];
        snprintf(why, sizeof(why), "%s", m->st.last_error);
        struct timespec until = dd_deadline_ms((int)(delay * 1000));
        pthread_mutex_unlock(&m->mu);
        DD_LOG_W("mqtt: %s (retrying in %.0f s)", why, delay);
        pthread_mutex_lock(&m->mu);
        while (!atomic_load(&m->conn_stop) && pthread_cond_timedwait(&m->cv, &m->mu, &until) == 0) {
        }
        pthread_mutex_unlock(&m->mu);
        delay = delay * 2 > 60 ? 60 : delay * 2;
    }
    return NULL;
}

/* Ends the connection thread: at once when it waits or loops; one stuck in a connect to a
 * silent host or in libmosquitto's reconnect delay is cancelled after a second. */
static void stop_connection(struct dd_mqtt *m)
{
    atomic_store(&m->conn_stop, 1);
    mosquitto_disconnect(m->mosq); /* makes the loop return */
    pthread_mutex_lock(&m->mu);
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    struct timespec until = dd_deadline_ms(1000);
    if (pthread_timedjoin_np(m->conn_tid, NULL, &until) != 0) {
        pthread_cancel(m->conn_tid);
        pthread_join(m->conn_tid, NULL);
    }
}

/* ---- life ---- */

static void lib_init_once(void)
{
    mosquitto_lib_init();
}

int dd_mqtt_start(const struct dd_mqtt_config *c, struct dd_event_store *es, struct dd_mqtt **out,
                  struct dd_err *err)
{
    *out = NULL;
    if (dd_mqtt_config_check(c, err) != 0) return -1;
    static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
    pthread_once(&lib_once, lib_init_once);
    struct dd_mqtt *m = calloc(1, sizeof(*m));
    if (!m) return dd_err_set(err, "out of memory");
    snprintf(m->host, sizeof(m->host), "%s", c->host);
    m->port = c->port;
    if (*c->client_id) {
        snprintf(m->client_id, sizeof(m->client_id), "%s", c->client_id);
    } else {
        char host[64] = "camera";
        gethostname(host, sizeof(host) - 1);
        snprintf(m->client_id, sizeof(m->client_id), "detectd-%s", host);
        for (char *p = m->client_id; *p; p++) /* a topic level and an HA object id */
            if (*p == '.' || *p == '/' || *p == '+' || *p == '#' || *p == ' ') *p = '_';
    }
    if (*c->topic_prefix)
        snprintf(m->prefix, sizeof(m->prefix), "%s", c->topic_prefix);
    else
        snprintf(m->prefix, sizeof(m->prefix), "detectd/%s", m->client_id);
    snprintf(m->disc_prefix, sizeof(m->disc_prefix), "%s", c->discovery_prefix);
    m->qos = c->qos;
    m->discovery = c->discovery;
    m->queue_max = c->queue_max > 0 ? c->queue_max : 1;
    m->stats_interval_s = c->stats_interval_s;
    m->es = es;
    m->event_cursor = es ? dd_event_store_last(es) : 0;
    m->next_stats_ns = dd_now_ns() + (int64_t)(c->stats_interval_s * 1e9);
    m->queue = calloc((size_t)m->queue_max, sizeof(*m->queue));
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    char avail[TOPIC_MAX], pw[256];
    snprintf(avail, sizeof(avail), "%s/availability", m->prefix);
    m->mosq = m->queue ? mosquitto_new(m->client_id, true, m) : NULL;
    if (!m->mosq) {
        dd_err_set(err, "mqtt: cannot create the client (out of memory)");
        goto fail;
    }
    mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_connect_callback_set(m->mosq, on_connect);
    mosquitto_disconnect_callback_set(m->mosq, on_disconnect);
    mosquitto_publish_callback_set(m->mosq, on_publish);
    mosquitto_log_callback_set(m->mosq, on_log);
    mosquitto_threaded_set(m->mosq, true); /* our threads: the connection's and the publisher's */
    mosquitto_reconnect_delay_set(m->mosq, 1, 60, true);
    mosquitto_max_inflight_messages_set(m->mosq, MAX_INFLIGHT);
    int rc = mosquitto_will_set(m->mosq, avail, 7, "offline", 1, true);
    if (rc == MOSQ_ERR_SUCCESS && *c->username) {
        if (*c->password_file && read_password(c->password_file, pw, sizeof(pw), err) != 0)
            goto fail;
        rc = mosquitto_username_pw_set(m->mosq, c->username, *c->password_file ? pw : NULL);
        memset(pw, 0, sizeof(pw));
    }
    if (rc == MOSQ_ERR_SUCCESS && *c->tls_ca)
        rc = mosquitto_tls_set(m->mosq, c->tls_ca, NULL, NULL, NULL, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
        dd_err_set(err, "mqtt: %s", mosquitto_strerror(rc));
        goto fail;
    }
    m->keepalive_s = c->keepalive_s;
    if (pthread_create(&m->conn_tid, NULL, connection_main, m) != 0) {
        dd_err_set(err, "mqtt: cannot start the connection thread");
        goto fail;
    }
    if (pthread_create(&m->tid, NULL, worker, m) != 0) {
        stop_connection(m);
        dd_err_set(err, "mqtt: cannot start the publishing thread");
        goto fail;
    }
    *out = m;
    return 0;
fail:
    if (m->mosq) mosquitto_destroy(m->mosq);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
    free(m->queue);
    free(m);
    return -1;
}

void dd_mqtt_stop(struct dd_mqtt *m)
{
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    m->stop = 1;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->tid, NULL);
    int connected = atomic_load(&m->connected);
    if (connected) { /* a clean goodbye: offline, then DISCONNECT (no will needed) */
        char avail[TOPIC_MAX];
        snprintf(avail, sizeof(avail), "%s/availability", m->prefix);
        mosquitto_publish(m->mosq, NULL, avail, 7, "offline", 1, true);
        for (int i = 0; i < 20 && atomic_load(&m->inflight) > 0; i++) usleep(50000);
        mosquitto_disconnect(m->mosq);
    }
    stop_connection(m);
    mosquitto_destroy(m->mosq);
    for (int i = 0; i < m->q_len; i++) {
        struct msg *q = &m->queue[(m->q_head + i) % m->queue_max];
        free(q->topic), free(q->payload);
    }
    for (int i = 0; i < m->n_ret; i++) free(m->ret[i].payload);
    free(m->queue);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
    free(m);
}

void dd_mqtt_set_state(struct dd_mqtt *m, const struct dd_mqtt_state *s)
{
    pthread_mutex_lock(&m->mu);
    m->state = *s;
    m->state_fresh = 1;
    pthread_mutex_unlock(&m->mu);
}

void dd_mqtt_get_stats(struct dd_mqtt *m, struct dd_mqtt_stats *out)
{
    pthread_mutex_lock(&m->mu);
    *out = m->st;
    out->connected = atomic_load(&m->connected);
    pthread_mutex_unlock(&m->mu);
}

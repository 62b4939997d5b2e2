/* daemon/mqtt.c against a real mosquitto broker and a real subscriber: retained zone and line
 * state, Home Assistant discovery, events, availability and its will, a broker that goes away
 * and comes back (nothing retained lost, events queued meanwhile), wrong credentials, an
 * absent broker, a full queue. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "daemon/event_store.h"
#include "daemon/mqtt.h"
#include "mqtt_broker.h"

static struct mb_broker broker;
static struct dd_event_store *es;
static struct dd_mqtt *mq;
static struct mb_sub *sub;

static void teardown(void)
{
    mb_close(sub);
    sub = NULL;
    dd_mqtt_stop(mq);
    mq = NULL;
    dd_event_store_destroy(es);
    es = NULL;
    mb_stop(&broker);
}

TestSuite(mqtt, .fini = teardown, .timeout = 120);

static const char *labels[] = {"person", "bicycle", "car"};

static struct dd_mqtt_config config(unsigned port)
{
    return (struct dd_mqtt_config){.host = "127.0.0.1",
                                   .port = (int)port,
                                   .client_id = "cam1",
                                   .username = "",
                                   .password_file = "",
                                   .tls_ca = "",
                                   .topic_prefix = "",
                                   .qos = 1,
                                   .stats_interval_s = 1,
                                   .discovery = 1,
                                   .discovery_prefix = "homeassistant",
                                   .queue_max = 50,
                                   .keepalive_s = 5};
}

static void start(const struct dd_mqtt_config *c)
{
    struct dd_err err = {{0}};
    struct dd_event_store_config ec = {100, 0, 320, 80};
    if (!es) cr_assert_eq(dd_event_store_create(&ec, &es, &err), 0, "%s", err.msg);
    cr_assert_eq(dd_mqtt_start(c, es, &mq, &err), 0, "%s", err.msg);
}

/* A scene state: zone "door" holding n people, line "gate" crossed in_count times. */
static void set_state(int n, int in_count)
{
    static struct dd_mqtt_state s;
    memset(&s, 0, sizeof(s));
    s.labels = labels;
    s.n_labels = 3;
    s.fps = 25;
    s.scene.n_zones = 1;
    snprintf(s.scene.zones[0].name, DD_ZONE_NAME_MAX, "door");
    s.scene.zones[0].occupancy = n;
    s.scene.zones[0].occupancy_per_class[0] = n;
    s.scene.zones[0].entered = (uint64_t)n;
    s.scene.zones[0].entered_per_class[0] = (uint64_t)n;
    s.scene.n_lines = 1;
    snprintf(s.scene.lines[0].name, DD_ZONE_NAME_MAX, "gate");
    s.scene.lines[0].in = (uint64_t)in_count;
    s.scene.lines[0].in_per_class[2] = (uint64_t)in_count;
    dd_mqtt_set_state(mq, &s);
}

/* Events through the store, as the pipeline's frames bring them. */
static void raise_events(int n, int first_seq)
{
    static struct dd_frame f;
    memset(&f, 0, sizeof(f));
    f.width = 640, f.height = 360;
    dd_event_list_init(&f.events);
    for (int i = 0; i < n; i++) {
        struct dd_event e = {.seq = (uint64_t)(first_seq + i),
                             .kind = DD_EVENT_LINE_CROSS,
                             .id = 7,
                             .cls = 2,
                             .score = 0.9f,
                             .x2 = 10,
                             .y2 = 10,
                             .direction = 1};
        snprintf(e.where, sizeof(e.where), "gate");
        dd_event_list_push(&f.events, &e);
    }
    dd_event_store_offer(es, &f, labels, 3);
    dd_event_list_destroy(&f.events);
}

static int wait_connected(int want, int ms)
{
    struct dd_mqtt_stats st;
    for (int i = 0; i < ms / 50; i++) {
        dd_mqtt_get_stats(mq, &st);
        if (st.connected == want) return 1;
        usleep(50000);
    }
    return 0;
}

Test(mqtt, state_discovery_events_and_availability)
{
    cr_assert_eq(mb_start(&broker, 0, NULL), 0);
    struct dd_mqtt_config c = config(broker.port);
    start(&c);
    cr_assert(wait_connected(1, 10000), "not connected");
    set_state(2, 5);
    raise_events(1, 1);
    sub = mb_subscribe(broker.port, "#");
    cr_assert_not_null(sub);
    char buf[4096];
    cr_assert(mb_wait(sub, "detectd/cam1/availability", "online", 10000, buf, sizeof(buf)));
    cr_assert(
        mb_wait(sub, "detectd/cam1/zones/door/state", "\"occupancy\":2", 10000, buf, sizeof(buf)));
    cr_assert(strstr(buf, "\"occupied\":true") && strstr(buf, "\"person\":2"), "%s", buf);
    cr_assert(mb_wait(sub, "detectd/cam1/lines/gate/state", "\"in\":5", 10000, buf, sizeof(buf)));
    cr_assert(strstr(buf, "\"car\":5"), "%s", buf);
    cr_assert(mb_wait(sub, "homeassistant/binary_sensor/cam1/door_occupied/config",
                      "\"device_class\":\"occupancy\"", 10000, buf, sizeof(buf)));
    cr_assert(strstr(buf, "\"state_topic\":\"detectd/cam1/zones/door/state\"") &&
                  strstr(buf, "\"availability_topic\":\"detectd/cam1/availability\"") &&
                  strstr(buf, "\"unique_id\":\"cam1_door_occupied\"") &&
                  strstr(buf, "\"identifiers\":[\"cam1\"]"),
              "%s", buf);
    cr_assert(mb_wait(sub, "homeassistant/sensor/cam1/door_count/config", NULL, 10000, NULL, 0));
    cr_assert(mb_wait(sub, "homeassistant/sensor/cam1/gate_in/config", "total_increasing", 10000,
                      NULL, 0));
    cr_assert(mb_wait(sub, "homeassistant/sensor/cam1/gate_out/config", NULL, 10000, NULL, 0));
    /* events as they come (the one before the subscription was not retained) */
    raise_events(2, 2);
    cr_assert(mb_wait(sub, "detectd/cam1/events", "\"seq\":3", 10000, buf, sizeof(buf)));
    cr_assert(strstr(buf, "\"type\":\"line_cross\"") && strstr(buf, "\"line\":\"gate\"") &&
                  strstr(buf, "\"direction\":\"in\"") && strstr(buf, "\"class\":\"car\""),
              "%s", buf);
    cr_assert(mb_wait(sub, "detectd/cam1/stats", "\"fps\":25", 10000, NULL, 0));
    /* a subscriber coming later gets the state, the discovery and the availability retained */
    struct mb_sub *late = mb_subscribe(broker.port, "#");
    cr_assert_not_null(late);
    int r1 = mb_wait(late, "detectd/cam1/zones/door/state", "\"occupancy\":2", 5000, NULL, 0);
    int r2 = mb_wait(late, "homeassistant/sensor/cam1/gate_in/config", NULL, 5000, NULL, 0);
    int r3 = mb_wait(late, "detectd/cam1/availability", "online", 5000, NULL, 0);
    mb_close(late);
    cr_assert(r1 == 2 && r2 == 2 && r3 == 2, "retained: state %d, discovery %d, availability %d",
              r1, r2, r3);
    /* a changed count is published; the zone going away empties its retained topics */
    set_state(0, 6);
    cr_assert(mb_wait(sub, "detectd/cam1/zones/door/state", "\"occupied\":false", 10000, NULL, 0));
    static struct dd_mqtt_state none;
    memset(&none, 0, sizeof(none));
    dd_mqtt_set_state(mq, &none);
    char empty[8] = "x";
    for (int i = 0; i < 100 && *empty; i++) { /* the latest message on that topic is empty */
        usleep(50000);
        mb_last(sub, "homeassistant/binary_sensor/cam1/door_occupied/config", empty, sizeof(empty));
    }
    cr_assert_str_eq(empty, "", "the entity of a zone that went away is not removed");
    /* stopping says offline */
    dd_mqtt_stop(mq);
    mq = NULL;
    cr_assert(mb_wait(sub, "detectd/cam1/availability", "offline", 10000, NULL, 0));
}

Test(mqtt, a_broker_that_restarts_gets_the_state_back_and_the_queued_events, .timeout = 180)
{
    cr_assert_eq(mb_start(&broker, 0, NULL), 0);
    struct dd_mqtt_config c = config(broker.port);
    start(&c);
    cr_assert(wait_connected(1, 10000));
    set_state(1, 1);
    sub = mb_subscribe(broker.port, "#");
    cr_assert(mb_wait(sub, "detectd/cam1/zones/door/state", "\"occupancy\":1", 10000, NULL, 0));
    mb_close(sub);
    sub = NULL;
    unsigned port = broker.port;
    mb_stop(&broker); /* persistence off: the broker forgets every retained message */
    cr_assert(wait_connected(0, 20000), "the lost broker was not noticed");
    set_state(3, 4);    /* changes while it is away */
    raise_events(5, 1); /* queued */
    int64_t t0 = dd_now_ns();
    cr_assert_eq(mb_start(&broker, port, NULL), 0);
    /* subscribed before the client's reconnect delay (1 s at least) runs out */
    struct mb_sub *early = mb_subscribe(broker.port, "#");
    cr_assert_not_null(early);
    cr_assert(wait_connected(1, 90000), "no reconnect within 90 s");
    for (int seq = 1; seq <= 5; seq++) {
        char needle[32];
        snprintf(needle, sizeof(needle), "\"seq\":%d,", seq);
        cr_assert(mb_wait(early, "detectd/cam1/events", needle, 10000, NULL, 0),
                  "queued event %d not delivered after the reconnect", seq);
    }
    mb_close(early);
    double reconnect_s = (double)(dd_now_ns() - t0) / 1e9;
    sleep(2); /* then a subscriber finds what was published on reconnect retained */
    sub = mb_subscribe(broker.port, "#");
    char buf[2048];
    cr_assert_eq(
        mb_wait(sub, "detectd/cam1/zones/door/state", "\"occupancy\":3", 10000, buf, sizeof(buf)),
        2, "the state changed while away is retained on the new broker");
    cr_assert_eq(mb_wait(sub, "homeassistant/sensor/cam1/gate_in/config", NULL, 10000, NULL, 0), 2,
                 "discovery again");
    cr_assert_eq(mb_wait(sub, "detectd/cam1/availability", "online", 10000, NULL, 0), 2);
    mb_close(sub);
    sub = NULL;
    struct dd_mqtt_stats st;
    dd_mqtt_get_stats(mq, &st);
    cr_assert_geq(st.connects, 2);
    cr_assert_eq(st.dropped, 0);
    cr_log_info("reconnected %.1f s after the broker came back", reconnect_s);
}

Test(mqtt, the_queue_is_bounded_while_the_broker_is_away)
{
    struct dd_mqtt_config c = config(1); /* nothing listens on port 1 */
    c.queue_max = 10;
    start(&c);
    for (int i = 0; i < 30; i++) raise_events(1, i + 1);
    struct dd_mqtt_stats st;
    for (int i = 0; i < 100; i++) {
        dd_mqtt_get_stats(mq, &st);
        if (st.dropped >= 20) break;
        usleep(50000);
    }
    cr_assert_eq(st.connected, 0);
    cr_assert_geq(st.dropped, 20, "dropped %llu", (unsigned long long)st.dropped);
    cr_assert_leq(st.queued, 10);
    cr_assert_neq(st.last_error[0], 0, "no reason given");
    int64_t t0 = dd_now_ns();
    dd_mqtt_stop(mq);
    mq = NULL;
    cr_assert_lt((double)(dd_now_ns() - t0) / 1e9, 5.0, "stopping waited on the absent broker");
}

Test(mqtt, wrong_credentials_are_retried_and_said_right_ones_connect)
{
    cr_assert_eq(mb_start(&broker, 0, NULL), 0); /* for its directory */
    char pwfile[256];
    cr_assert_eq(mb_passwd(&broker, "cam", "s3cret", pwfile, sizeof(pwfile)), 0);
    mb_stop(&broker);
    char conf[512];
    snprintf(conf, sizeof(conf), "allow_anonymous false\npassword_file %s", pwfile);
    cr_assert_eq(mb_start(&broker, 0, conf), 0);
    char mine[300];
    snprintf(mine, sizeof(mine), "%s/mine", broker.dir);
    FILE *f = fopen(mine, "w");
    fputs("wrong\n", f);
    fclose(f);
    struct dd_mqtt_config c = config(broker.port);
    c.username = "cam";
    c.password_file = mine;
    start(&c);
    struct dd_mqtt_stats st;
    for (int i = 0; i < 100; i++) {
        dd_mqtt_get_stats(mq, &st);
        if (st.connect_failures >= 1) break;
        usleep(50000);
    }
    cr_assert_eq(st.connected, 0);
    cr_assert_geq(st.connect_failures, 1);
    cr_assert(strstr(st.last_error, "authori"), "%s", st.last_error);
    dd_mqtt_stop(mq);
    mq = NULL;
    f = fopen(mine, "w");
    fputs("s3cret\n", f);
    fclose(f);
    start(&c);
    cr_assert(wait_connected(1, 10000), "the right password does not connect");
    /* a password file that cannot be read: a config error */
    struct dd_err err = {{0}};
    c.password_file = "/nonexistent/pw";
    cr_assert_eq(dd_mqtt_config_check(&c, &err), -1);
    cr_assert(strstr(err.msg, "password_file"), "%s", err.msg);
    c.password_file = "";
    c.topic_prefix = "a/#";
    cr_assert_eq(dd_mqtt_config_check(&c, &err), -1);
}

static void sh(const char *dir, const char *cmd)
{
    char full[1024];
    snprintf(full, sizeof(full), "cd '%s' && %s >/dev/null 2>&1", dir, cmd);
    cr_assert_eq(system(full), 0, "%s", cmd);
}

/* TLS against the broker's certificate, checked against tls_ca; another CA is refused. */
Test(mqtt, tls_with_the_brokers_ca_connects_and_a_stranger_ca_does_not)
{
    cr_assert_eq(mb_start(&broker, 0, NULL), 0); /* for its directory */
    mb_stop(&broker);
    const char *dir = broker.dir;
    sh(dir, "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 "
            "-subj /CN=dd-test-ca");
    sh(dir, "openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=127.0.0.1");
    sh(dir, "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ext && openssl x509 -req -in "
            "srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 2 -extfile ext");
    sh(dir, "openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt -days 2 "
            "-subj /CN=stranger");
    char conf[1024], ca[300], other[300];
    snprintf(conf, sizeof(conf),
             "allow_anonymous true\ncafile %s/ca.crt\ncertfile %s/srv.crt\nkeyfile %s/srv.key", dir,
             dir, dir);
    snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
    snprintf(other, sizeof(other), "%s/other.crt", dir);
    cr_assert_eq(mb_start(&broker, 0, conf), 0);
    struct dd_mqtt_config c = config(broker.port);
    c.tls_ca = other;
    start(&c);
    struct dd_mqtt_stats st;
    sleep(2);
    dd_mqtt_get_stats(mq, &st);
    cr_assert_eq(st.connected, 0, "connected with a CA that did not sign the broker");
    cr_assert_neq(st.last_error[0], 0, "no reason given");
    dd_mqtt_stop(mq);
    mq = NULL;
    c.tls_ca = ca;
    start(&c);
    cr_assert(wait_connected(1, 10000), "TLS with the broker's CA does not connect");
    c.tls_ca = "/nonexistent/ca.crt";
    struct dd_err err = {{0}};
    cr_assert_eq(dd_mqtt_config_check(&c, &err), -1);
    cr_assert(strstr(err.msg, "tls_ca"), "%s", err.msg);
}

/* The client keeps trying whatever went wrong: no broker yet, a refused login, a name that does
 * not resolve; and it stops at once even then. */
Test(mqtt, retries_go_on_after_an_absent_broker_and_a_refused_login, .timeout = 180)
{
    cr_assert_eq(mb_start(&broker, 0, NULL), 0); /* a free port and a directory */
    unsigned port = broker.port;
    mb_stop(&broker);
    struct dd_mqtt_config c = config(port);
    start(&c);
    sleep(2);
    struct dd_mqtt_stats st;
    dd_mqtt_get_stats(mq, &st);
    cr_assert_eq(st.connected, 0);
    cr_assert_geq(st.connect_failures, 1);
    cr_assert(strstr(st.last_error, "refused"), "%s", st.last_error);
    char conf[512], pwfile[256];
    cr_assert_eq(mb_passwd(&broker, "someone", "else", pwfile, sizeof(pwfile)), 0);
    snprintf(conf, sizeof(conf), "allow_anonymous false\npassword_file %s", pwfile);
    cr_assert_eq(mb_start(&broker, port, conf), 0); /* now it answers, and refuses us */
    uint64_t before = st.connect_failures;
    for (int i = 0; i < 600; i++) {
        dd_mqtt_get_stats(mq, &st);
        if (strstr(st.last_error, "authori")) break;
        usleep(100000);
    }
    cr_assert(strstr(st.last_error, "authori"), "%s", st.last_error);
    cr_assert_gt(st.connect_failures, before);
    mb_stop(&broker);
    cr_assert_eq(mb_start(&broker, port, NULL), 0); /* and lets us in */
    cr_assert(wait_connected(1, 120000), "no connection after the refusals: %s", st.last_error);
    dd_mqtt_stop(mq);
    mq = NULL;

    c.host = "no-such-broker.invalid";
    start(&c);
    sleep(1);
    dd_mqtt_get_stats(mq, &st);
    cr_assert_eq(st.connected, 0);
    cr_assert_neq(st.last_error[0], 0);
    int64_t t0 = dd_now_ns();
    dd_mqtt_stop(mq);
    mq = NULL;
    cr_assert_lt((double)(dd_now_ns() - t0) / 1e9, 3.0);
}

/* Every config key: section, name, type, default, range, how a change is
 * applied on reload, and its one-line description. deploy/detectd.conf is
 * generated from this table (`detectd --print-config`). */
#include "config/schema.h"

#include <math.h>

#include "common/log.h"
#include "config/config.h"
#include "isa/isa.h"
#include "pipeline/pipeline.h"
#include "tracking/scene.h"

#define F(field) offsetof(struct dd_config, field), sizeof(((struct dd_config *)0)->field)
#define INF HUGE_VAL

/* DD_CFG_ENUM keys store an enum through an int */
_Static_assert(sizeof(enum dd_isa_frame_format) == sizeof(int), "enum size");
_Static_assert(sizeof(enum dd_detect_policy) == sizeof(int), "enum size");
_Static_assert(sizeof(enum dd_log_level) == sizeof(int), "enum size");

static const struct dd_cfg_choice formats[] = {
    {"nv12", DD_FRAME_NV12}, {"yuyv", DD_FRAME_YUYV}, {NULL, 0}};
static const struct dd_cfg_choice policies[] = {
    {"auto", DD_DETECT_AUTO}, {"every", DD_DETECT_EVERY}, {"latest", DD_DETECT_LATEST}, {NULL, 0}};
/* the RTL configurations, in the order of dd_rtl_configs (accel/rtl/rtl_config.c) */
const struct dd_cfg_choice dd_cfg_rtl_configs[] = {
    {"kv260", 0}, {"z7020", 1}, {"tiny", 2}, {NULL, 0}};
static const struct dd_cfg_choice anchors[] = {
    {"bottom_center", DD_ANCHOR_BOTTOM_CENTER}, {"center", DD_ANCHOR_CENTER}, {NULL, 0}};
static const struct dd_cfg_choice log_levels[] = {
    {"err", DD_LOG_ERR},   {"warning", DD_LOG_WARNING}, {"notice", DD_LOG_NOTICE},
    {"info", DD_LOG_INFO}, {"debug", DD_LOG_DEBUG},     {NULL, 0}};

const struct dd_cfg_section dd_cfg_sections[] = {
    {"source", "Where frames come from."},
    {"model",
     "The detector: a model package (made by `detect compile`) and the engine running it."},
    {"detector", "Which detections are kept. Applied live on reload."},
    {"tracker", "Object tracking over the detections: IDs that follow each object from frame to "
                "frame (ByteTrack-style, a Kalman filter per object). Applied live on reload."},
    {"zones",
     "Zones: polygons of the picture in fractions of the frame (x right, y down). An object is "
     "in a zone when its anchor is; occupancy and entries per class go to /api/stats, /metrics "
     "and MQTT, entering and leaving raise events. Needs the tracker. Applied live; a zone "
     "whose name and points stay the same keeps its counters."},
    {"lines", "Counting lines A -> B in fractions of the frame: an object's anchor crossing from "
              "the left of A->B to its right counts as in, the other way as out (a line drawn "
              "left to right: in = downwards). Needs the tracker. Applied live; an unchanged "
              "line keeps its counts."},
    {"events",
     "Events (object appeared / left, zone entered / left, line crossed) on the SSE stream "
     "/api/events, in the history /api/events/recent, with JPEG snapshots."},
    {"overlay", "What is drawn on the frames. Applied live on reload."},
    {"sink", "Where annotated frames go."},
    {"http", "The stats endpoint, previews and dashboard (libmicrohttpd)."},
    {"mqtt",
     "Events, zone occupancy and line counts (retained), stats and availability over MQTT "
     "(libmosquitto), with Home Assistant discovery. Reconnects with backoff; a slow or absent "
     "broker never slows the pipeline."},
    {"daemon", "Logging and the systemd watchdog."},
};
const size_t dd_cfg_n_sections = sizeof(dd_cfg_sections) / sizeof(dd_cfg_sections[0]);

const struct dd_cfg_key dd_cfg_keys[] = {
    {"source", "uri", DD_CFG_STRING, "demo", 0, 0, NULL, 0, DD_APPLY_PIPELINE, F(source_uri),
     "demo (the bundled 1080p street video), /dev/videoN, a video file, a URI or "
     "gst:DESCRIPTION"},
    {"source", "size", DD_CFG_SIZE, "auto", 16, 8192, NULL, DD_CFG_AUTO, DD_APPLY_PIPELINE,
     F(source_size), "capture size WIDTHxHEIGHT, or auto (the source's own; V4L2: 1920x1080)"},
    {"source", "format", DD_CFG_ENUM, "nv12", 0, 0, formats, 0, DD_APPLY_PIPELINE, F(source_format),
     "pixel format of the frames"},
    {"source", "loop", DD_CFG_BOOL, "true", 0, 0, NULL, 0, DD_APPLY_PIPELINE, F(source_loop),
     "files: start again at the end"},
    {"source", "realtime", DD_CFG_BOOL, "true", 0, 0, NULL, 0, DD_APPLY_PIPELINE,
     F(source_realtime), "files: pace frames at the stream's frame rate"},
    {"source", "buffers", DD_CFG_INT, "auto", 2, 16, NULL, DD_CFG_AUTO, DD_APPLY_PIPELINE,
     F(source_buffers), "capture buffers (V4L2) or frame pool size, or auto"},

    {"model", "package", DD_CFG_STRING, "nanodet-w8a8", 0, 0, NULL, 0, DD_APPLY_MODEL,
     F(model_package), "a model package path, or a name in the data directory's packages/"},
    {"model", "backend", DD_CFG_BACKEND, "cpu", 0, 0, NULL, 0, DD_APPLY_MODEL, F(model_backend),
     "engine: cpu (optimized), golden (scalar reference), xrt (the FPGA), rtlsim (the FPGA's "
     "RTL in cycle-accurate simulation: slow, for verification)"},
    {"model", "xclbin", DD_CFG_STRING, "detectd.xclbin", 0, 0, NULL, 0, DD_APPLY_MODEL, F(xclbin),
     "backend xrt: the accelerator's xclbin, a path or a name in the data directory's xclbin/"},
    {"model", "xrt_device", DD_CFG_STRING, "0", 0, 0, NULL, 0, DD_APPLY_MODEL, F(xrt_device),
     "backend xrt: the FPGA, by device index or PCIe BDF (e.g. 0000:03:00.1)"},
    {"model", "rtl_config", DD_CFG_ENUM, "kv260", 0, 0, dd_cfg_rtl_configs, 0, DD_APPLY_MODEL,
     F(rtl_config),
     "backends xrt and rtlsim: the accelerator's RTL configuration (the board it was built for)"},
    {"model", "xrt_timeout_ms", DD_CFG_INT, "2000", 10, 600000, NULL, 0, DD_APPLY_MODEL,
     F(xrt_timeout_ms), "backend xrt: a kernel call taking longer is an error"},
    {"model", "fallback", DD_CFG_BACKEND, "cpu", 0, 0, NULL, DD_CFG_NONE, DD_APPLY_MODEL,
     F(backend_fallback),
     "when the backend cannot open (no FPGA): the backend to run instead, or none (fail)"},
    {"model", "policy", DD_CFG_ENUM, "auto", 0, 0, policies, 0, DD_APPLY_PIPELINE, F(model_policy),
     "detect every frame, or only the latest (auto: latest for cameras)"},

    {"detector", "score_threshold", DD_CFG_FLOAT, "auto", 0, 1, NULL, DD_CFG_AUTO, DD_APPLY_LIVE,
     F(score_threshold), "minimum score of a detection, or auto (the model's)"},
    {"detector", "iou_threshold", DD_CFG_FLOAT, "auto", 0, 1, NULL, DD_CFG_AUTO, DD_APPLY_LIVE,
     F(iou_threshold), "NMS: overlap above which the weaker box is dropped, or auto"},
    {"detector", "max_detections", DD_CFG_INT, "auto", 1, 1000, NULL, DD_CFG_AUTO, DD_APPLY_LIVE,
     F(max_detections), "detections kept per frame, or auto (the model's)"},
    {"detector", "class_thresholds", DD_CFG_CLASS_SCORES, "", 0, 1, NULL, 0, DD_APPLY_LIVE,
     F(class_thresholds), "per-class minimum scores, e.g. person:0.5, car:0.4"},
    {"detector", "classes_allow", DD_CFG_CLASSES, "", 0, 0, NULL, 0, DD_APPLY_LIVE,
     F(classes_allow), "only these classes, e.g. person, bicycle (empty: all)"},
    {"detector", "classes_deny", DD_CFG_CLASSES, "", 0, 0, NULL, 0, DD_APPLY_LIVE, F(classes_deny),
     "never these classes"},
    {"detector", "roi", DD_CFG_ROI, "none", 0, 1, NULL, 0, DD_APPLY_LIVE, F(roi),
     "region of interest x0,y0,x1,y1 (fractions of the frame; boxes whose centre is inside), "
     "or none"},

    {"tracker", "enabled", DD_CFG_BOOL, "true", 0, 0, NULL, 0, DD_APPLY_LIVE, F(tracker_enabled),
     "give each detected object an ID that follows it (overlay labels, /api/detections)"},
    {"tracker", "high_score", DD_CFG_FLOAT, "0.5", 0, 1, NULL, 0, DD_APPLY_LIVE,
     F(tracker_high_score), "detections scoring at least this start tracks and match first"},
    {"tracker", "low_score", DD_CFG_FLOAT, "0.1", 0, 1, NULL, 0, DD_APPLY_LIVE,
     F(tracker_low_score),
     "detections scoring at least this (below high_score) only extend tracks"},
    {"tracker", "match_iou", DD_CFG_FLOAT, "0.2", 0.01, 1, NULL, 0, DD_APPLY_LIVE,
     F(tracker_match_iou), "least overlap of a detection with a track's predicted box"},
    {"tracker", "low_match_iou", DD_CFG_FLOAT, "0.5", 0.01, 1, NULL, 0, DD_APPLY_LIVE,
     F(tracker_low_match_iou), "the same for low-score detections"},
    {"tracker", "min_hits", DD_CFG_INT, "3", 1, 100, NULL, 0, DD_APPLY_LIVE, F(tracker_min_hits),
     "frames in a row an object is seen before it gets an ID"},
    {"tracker", "max_misses", DD_CFG_INT, "75", 0, 10000, NULL, 0, DD_APPLY_LIVE,
     F(tracker_max_misses),
     "processed frames an object keeps its ID unseen (behind something, missed, standing still)"},

    {"zones", "zone1", DD_CFG_ZONE, "", 0, 0, NULL, 0, DD_APPLY_LIVE, F(zones[0]),
     "zone 1: NAME: x,y x,y x,y ... (3 to 16 corners, not crossing itself), or empty; e.g. door: "
     "0.1,0.5 0.4,0.5 0.4,1 0.1,1"},
    {"zones", "zone2", DD_CFG_ZONE, "", 0, 0, NULL, 0, DD_APPLY_LIVE, F(zones[1]),
     "zone 2: NAME: x,y x,y x,y ... (3 to 16 corners, not crossing itself), or empty"},
    {"zones", "zone3", DD_CFG_ZONE, "", 0, 0, NULL, 0, DD_APPLY_LIVE, F(zones[2]),
     "zone 3: NAME: x,y x,y x,y ... (3 to 16 corners, not crossing itself), or empty"},
    {"zones", "zone4", DD_CFG_ZONE, "", 0, 0, NULL, 0, DD_APPLY_LIVE, F(zones[3]),
     "zone 4: NAME: x,y x,y x,y ... (3 to 16 corners, not crossing itself), or empty"},
    {"zones", "zone5", DD_CFG_ZONE, "", 0, 0, NULL, 0, DD_APPLY_LIVE, F(zones[4]),
     "zone 5: NAME: x,y x,y x,y ... (3 to 16 corners, not crossing itself), or empty"},
    {"zones", "zone6", DD_CFG_ZONE, "", 0, 0, NULL, 0, DD_APPLY_LIVE, F(zones[5]),
     "zone 6: NAME: x,y x,y x,y ... (3 to 16 corners, not crossing itself), or empty"},
    {"zones", "zone7", DD_CFG_ZONE, "", 0, 0, NULL, 0, DD_APPLY_LIVE, F(zones[6]),
     "zone 7: NAME: x,y x,y x,y ... (3 to 16 corners, not crossing itself), or empty"},
    {"zones", "zone8", DD_CFG_ZONE, "", 0, 0, NULL, 0, DD_APPLY_LIVE, F(zones[7]),
     "zone 8: NAME: x,y x,y x,y ... (3 to 16 corners, not crossing itself), or empty"},
    {"zones", "anchor", DD_CFG_ENUM, "bottom_center", 0, 0, anchors, 0, DD_APPLY_LIVE,
     F(zones_anchor),
     "the point of an object's box that places it in zones and across lines: bottom_center "
     "(where it stands) or center"},
    {"zones", "min_frames", DD_CFG_INT, "3", 1, 100, NULL, 0, DD_APPLY_LIVE, F(zones_min_frames),
     "processed frames in a row inside (outside) a zone before an object enters (leaves) it"},

    {"lines", "line1", DD_CFG_LINE, "", 0, 0, NULL, 0, DD_APPLY_LIVE, F(lines[0]),
     "line 1: NAME: x,y x,y (A then B), or empty; e.g. gate: 0.2,0.6 0.8,0.6"},
    {"lines", "line2", DD_CFG_LINE, "", 0, 0, NULL, 0, DD_APPLY_LIVE, F(lines[1]),
     "line 2: NAME: x,y x,y (A then B), or empty"},
    {"lines", "line3", DD_CFG_LINE, "", 0, 0, NULL, 0, DD_APPLY_LIVE, F(lines[2]),
     "line 3: NAME: x,y x,y (A then B), or empty"},
    {"lines", "line4", DD_CFG_LINE, "", 0, 0, NULL, 0, DD_APPLY_LIVE, F(lines[3]),
     "line 4: NAME: x,y x,y (A then B), or empty"},
    {"lines", "line5", DD_CFG_LINE, "", 0, 0, NULL, 0, DD_APPLY_LIVE, F(lines[4]),
     "line 5: NAME: x,y x,y (A then B), or empty"},
    {"lines", "line6", DD_CFG_LINE, "", 0, 0, NULL, 0, DD_APPLY_LIVE, F(lines[5]),
     "line 6: NAME: x,y x,y (A then B), or empty"},
    {"lines", "line7", DD_CFG_LINE, "", 0, 0, NULL, 0, DD_APPLY_LIVE, F(lines[6]),
     "line 7: NAME: x,y x,y (A then B), or empty"},
    {"lines", "line8", DD_CFG_LINE, "", 0, 0, NULL, 0, DD_APPLY_LIVE, F(lines[7]),
     "line 8: NAME: x,y x,y (A then B), or empty"},

    {"events", "history", DD_CFG_INT, "500", 10, 100000, NULL, 0, DD_APPLY_PREVIEW,
     F(events_history), "events kept for /api/events/recent (the oldest go first)"},
    {"events", "snapshots", DD_CFG_INT, "50", 0, 1000, NULL, 0, DD_APPLY_PREVIEW,
     F(events_snapshots),
     "JPEG snapshots kept (the latest events' ones; 0: none), /api/events/ID/snapshot.jpg"},
    {"events", "snapshot_width", DD_CFG_INT, "640", 64, 1920, NULL, 0, DD_APPLY_PREVIEW,
     F(events_snapshot_width), "width of the snapshots (height keeps the aspect)"},
    {"events", "snapshot_quality", DD_CFG_INT, "80", 10, 100, NULL, 0, DD_APPLY_PREVIEW,
     F(events_snapshot_quality), "JPEG quality of the snapshots"},

    {"overlay", "boxes", DD_CFG_BOOL, "true", 0, 0, NULL, 0, DD_APPLY_LIVE, F(overlay_boxes),
     "draw boxes and labels"},
    {"overlay", "fps", DD_CFG_BOOL, "true", 0, 0, NULL, 0, DD_APPLY_LIVE, F(overlay_fps),
     "draw the frame rate and model name"},
    {"overlay", "zones", DD_CFG_BOOL, "true", 0, 0, NULL, 0, DD_APPLY_LIVE, F(overlay_zones),
     "draw the zones (with their occupancy) and lines (with their in/out counts)"},

    {"sink", "output", DD_CFG_STRING, "null", 0, 0, NULL, 0, DD_APPLY_PIPELINE, F(sink_output),
     "null, drm[:CONNECTOR[@WxH]] (a display) or gst:DESCRIPTION (appsrc ! DESCRIPTION)"},
    {"sink", "drm_device", DD_CFG_STRING, "", 0, 0, NULL, 0, DD_APPLY_PIPELINE, F(sink_drm_device),
     "DRM card (empty: the first with a connected display)"},
    {"sink", "fps", DD_CFG_FLOAT, "25", 1, 240, NULL, 0, DD_APPLY_PIPELINE, F(sink_fps),
     "nominal frame rate for the sink's timestamps"},

    {"http", "enabled", DD_CFG_BOOL, "true", 0, 0, NULL, 0, DD_APPLY_HTTP, F(http_enabled),
     "serve the stats endpoint and dashboard"},
    {"http", "listen", DD_CFG_LISTEN, "127.0.0.1:8080", 0, 0, NULL, 0, DD_APPLY_HTTP,
     F(http_listen), "address and port (IPv4); 0.0.0.0:PORT for every interface"},
    {"http", "token", DD_CFG_STRING, "", 0, 0, NULL, 0, DD_APPLY_HTTP, F(http_token),
     "bearer token required on every endpoint but /healthz (empty: none)"},
    {"http", "max_connections", DD_CFG_INT, "64", 1, 1024, NULL, 0, DD_APPLY_HTTP,
     F(http_max_connections), "simultaneous connections"},
    {"http", "max_connections_per_ip", DD_CFG_INT, "32", 1, 1024, NULL, 0, DD_APPLY_HTTP,
     F(http_max_connections_per_ip), "simultaneous connections from one address"},
    {"http", "max_request_bytes", DD_CFG_INT, "16384", 2048, 1048576, NULL, 0, DD_APPLY_HTTP,
     F(http_max_request_bytes), "largest request (line and headers); larger ones are refused"},
    {"http", "timeout_s", DD_CFG_INT, "30", 1, 3600, NULL, 0, DD_APPLY_HTTP, F(http_timeout_s),
     "idle connections are closed after this many seconds"},
    {"http", "request_deadline_s", DD_CFG_FLOAT, "10", 1, 600, NULL, 0, DD_APPLY_HTTP,
     F(http_request_deadline_s),
     "a client must send its whole request head within this long (timeout_s counts only "
     "silence); when the server is nearly full the oldest such client is dropped"},
    {"http", "preview_width", DD_CFG_INT, "640", 64, 1920, NULL, 0, DD_APPLY_PREVIEW,
     F(preview_width), "width of /snapshot.jpg and /stream.mjpg (height keeps the aspect)"},
    {"http", "preview_fps", DD_CFG_FLOAT, "5", 0.2, 30, NULL, 0, DD_APPLY_PREVIEW, F(preview_fps),
     "most preview frames encoded per second (only while someone watches)"},
    {"http", "preview_quality", DD_CFG_INT, "75", 10, 100, NULL, 0, DD_APPLY_PREVIEW,
     F(preview_quality), "JPEG quality of the previews"},
    {"http", "history_s", DD_CFG_INT, "600", 60, 86400, NULL, 0, DD_APPLY_PREVIEW, F(history_s),
     "seconds of fps and latency history for the dashboard's chart"},

    {"mqtt", "enabled", DD_CFG_BOOL, "false", 0, 0, NULL, 0, DD_APPLY_MQTT, F(mqtt_enabled),
     "publish to an MQTT broker"},
    {"mqtt", "host", DD_CFG_STRING, "localhost", 0, 0, NULL, 0, DD_APPLY_MQTT, F(mqtt_host),
     "the broker's host name or address"},
    {"mqtt", "port", DD_CFG_INT, "1883", 1, 65535, NULL, 0, DD_APPLY_MQTT, F(mqtt_port),
     "the broker's port (8883 is the usual one with TLS)"},
    {"mqtt", "client_id", DD_CFG_STRING, "", 0, 0, NULL, 0, DD_APPLY_MQTT, F(mqtt_client_id),
     "client id, also the Home Assistant device id (empty: detectd-HOSTNAME)"},
    {"mqtt", "username", DD_CFG_STRING, "", 0, 0, NULL, 0, DD_APPLY_MQTT, F(mqtt_username),
     "user name (empty: anonymous)"},
    {"mqtt", "password_file", DD_CFG_STRING, "", 0, 0, NULL, 0, DD_APPLY_MQTT,
     F(mqtt_password_file), "file holding the password (one line; keep it mode 0600)"},
    {"mqtt", "tls_ca", DD_CFG_STRING, "", 0, 0, NULL, 0, DD_APPLY_MQTT, F(mqtt_tls_ca),
     "CA certificate file: connect with TLS and check the broker against it (empty: plain TCP)"},
    {"mqtt", "topic_prefix", DD_CFG_STRING, "", 0, 0, NULL, 0, DD_APPLY_MQTT, F(mqtt_topic_prefix),
     "topics start with this (empty: detectd/CLIENT_ID)"},
    {"mqtt", "qos", DD_CFG_INT, "1", 0, 2, NULL, 0, DD_APPLY_MQTT, F(mqtt_qos),
     "MQTT quality of service of every message"},
    {"mqtt", "stats_interval_s", DD_CFG_FLOAT, "30", 1, 86400, NULL, 0, DD_APPLY_MQTT,
     F(mqtt_stats_interval_s), "seconds between stats messages"},
    {"mqtt", "discovery", DD_CFG_BOOL, "true", 0, 0, NULL, 0, DD_APPLY_MQTT, F(mqtt_discovery),
     "announce zones and lines to Home Assistant (MQTT discovery)"},
    {"mqtt", "discovery_prefix", DD_CFG_STRING, "homeassistant", 0, 0, NULL, 0, DD_APPLY_MQTT,
     F(mqtt_discovery_prefix), "Home Assistant's discovery prefix"},
    {"mqtt", "queue_max", DD_CFG_INT, "1000", 10, 100000, NULL, 0, DD_APPLY_MQTT, F(mqtt_queue_max),
     "messages kept while the broker is away (then the oldest are dropped, counted)"},
    {"mqtt", "keepalive_s", DD_CFG_INT, "30", 5, 3600, NULL, 0, DD_APPLY_MQTT, F(mqtt_keepalive_s),
     "MQTT keepalive: a broker silent this long is taken as gone"},

    {"daemon", "log_level", DD_CFG_ENUM, "info", 0, 0, log_levels, 0, DD_APPLY_LIVE, F(log_level),
     "messages above this priority are not logged"},
    {"daemon", "watchdog_stall_s", DD_CFG_FLOAT, "10", 1, 3600, NULL, 0, DD_APPLY_LIVE,
     F(watchdog_stall_s),
     "no frame out for this long: stop the systemd watchdog pings, /healthz fails"},
    {"daemon", "stall_restart_s", DD_CFG_FLOAT, "30", 0, 3600, NULL, 0, DD_APPLY_LIVE,
     F(stall_restart_s),
     "no frame out for this long: the daemon rebuilds the pipeline itself, with a growing "
     "delay (0: never, systemd's watchdog alone)"},
};
const size_t dd_cfg_n_keys = sizeof(dd_cfg_keys) / sizeof(dd_cfg_keys[0]);

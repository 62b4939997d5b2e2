/* The real-time pipeline: source -> detector -> overlay -> sink, one thread
 * per stage, connected by bounded frame queues.
 *
 *   capture thread   pulls frames from the source; hands each one to the
 *                    detector queue and to the output queue (references)
 *   detect thread    preprocess (INPUT) -> inference -> postprocess; writes
 *                    the frame's detections and marks it DONE
 *   output thread    takes frames in capture order, waits until the detector
 *                    is done with a frame it took (or it was skipped), draws
 *                    the overlay in place and hands the frame to the sink
 *
 * Detector policy: DD_DETECT_EVERY (every frame is detected; the detector's
 * queue applies back-pressure, the default for files) or DD_DETECT_LATEST
 * (a one-slot queue where the newest frame evicts an older waiting one,
 * counted as skipped; skipped frames are shown with the latest detections).
 * With a live source, a frame that finds the output queue full is dropped
 * (counted). No stage copies pixels; the counters say when a source or sink
 * had to (docs/ARCHITECTURE.md). */
#ifndef DD_PIPELINE_PIPELINE_H
#define DD_PIPELINE_PIPELINE_H

#include <stdint.h>

#include "accel/qdetector.h"
#include "postproc/detection_filter.h"
#include "pipeline/sink.h"
#include "pipeline/source.h"
#include "pipeline/stage_stats.h"
#include "tracking/tracker.h"

enum dd_detect_policy { DD_DETECT_EVERY = 0, DD_DETECT_LATEST = 1, DD_DETECT_AUTO = 2 };

struct dd_pipeline_config {
    struct dd_source_config source;
    struct dd_sink_config sink;
    const char *model;                /* model package (detect compile) */
    struct dd_backend_choice backend; /* name, options (XRT device, xclbin), fallback */
    enum dd_detect_policy policy;     /* AUTO: LATEST for live sources, EVERY otherwise */
    struct dd_detect_settings settings;
    uint64_t max_frames; /* stop after this many captured frames (0: no limit) */
};

enum dd_pipeline_stage {
    DD_STAGE_CAPTURE,
    DD_STAGE_PREPROCESS,
    DD_STAGE_INFERENCE,
    DD_STAGE_POSTPROCESS,
    DD_STAGE_OVERLAY,
    DD_STAGE_OUTPUT,
    DD_STAGE_COUNT
};
const char *dd_pipeline_stage_name(enum dd_pipeline_stage s);

struct dd_pipeline_stats {
    uint64_t frames_captured, frames_processed, frames_output;
    uint64_t frames_dropped; /* live source frames the output side could not take */
    uint64_t frames_skipped; /* frames the detector skipped (latest-frame-wins) */
    uint64_t frames_lost;    /* frames the device dropped (sequence gaps) */
    uint64_t frame_copies;   /* pixel copies made by sources, sinks and the accelerator's input */
    /* how the accelerator (xrt backend) got each frame: imported DMA-BUF, user pointer, copy */
    uint64_t accel_imported, accel_userptr, accel_copied;
    uint64_t sink_zero_copy; /* frames the sink took without a copy */
    uint64_t detector_errors, sink_errors, source_reopens;
    uint64_t detections;         /* total detections drawn on processed frames */
    uint64_t detections_dropped; /* found but lost to an allocation failure */
    uint64_t detections_per_class[DD_MAX_CLASSES];
    uint64_t objects_tracked;                   /* distinct object IDs given (tracking on) */
    uint64_t objects_per_class[DD_MAX_CLASSES]; /* the same by class */
    double elapsed_s, fps;                      /* output frames per second since start */
    struct dd_stage_summary stage[DD_STAGE_COUNT];
    struct dd_stage_summary latency;     /* capture -> output, end to end */
    double stage_cpu_ms[DD_STAGE_COUNT]; /* CPU ms per frame (capture: incl. decoder threads) */
    double process_cpu_ms;               /* whole process, per output frame */
    const char *source_kind, *sink_kind, *buffer_kind, *backend;
    char model[64];                             /* the model family running now */
    char backend_fallback[DD_ERR_MSG_MAX + 32]; /* why the configured backend is not running */
    uint64_t detector_swaps;                    /* models swapped in while running */
    uint32_t width, height;
    int running, finished, failed;
    char last_error[DD_ERR_MSG_MAX + 32];
};

struct dd_pipeline;

/* Called on the output thread for every frame after the overlay, before the
 * sink; the frame is lent for the call (take a reference to keep it). dets:
 * the detections drawn on it; labels: the class names of the model that
 * found them (static tables, valid after the call). */
typedef void (*dd_pipeline_frame_cb)(void *user, struct dd_frame *f, const struct dd_det_list *dets,
                                     const char *const *labels, int n_labels);

/* Opens the model, source and sink (errors here are the config's fault). */
int dd_pipeline_create(const struct dd_pipeline_config *cfg, struct dd_pipeline **out,
                       struct dd_err *err);
void dd_pipeline_set_frame_callback(struct dd_pipeline *p, dd_pipeline_frame_cb cb, void *user);
int dd_pipeline_start(struct dd_pipeline *p, struct dd_err *err);
/* Waits until the pipeline finished on its own (end of stream, max_frames,
 * fatal error) or timeout_ms passed (-1: forever); 1 if finished. */
int dd_pipeline_wait(struct dd_pipeline *p, int timeout_ms);
/* Stops capture, drains the queues, joins the threads, flushes the sink. */
void dd_pipeline_stop(struct dd_pipeline *p);
void dd_pipeline_destroy(struct dd_pipeline *p);

void dd_pipeline_get_stats(struct dd_pipeline *p, struct dd_pipeline_stats *out);
void dd_pipeline_set_settings(struct dd_pipeline *p, const struct dd_detect_settings *s);
/* Object tracking on each processed frame's detections (tracking/tracker.h), which then carry
 * their object's ID; c NULL turns it off. The detect thread applies it before its next frame;
 * a change of tuning keeps the tracks, turning tracking on again starts new IDs. Fails only
 * on a bad tuning. */
int dd_pipeline_set_tracking(struct dd_pipeline *p, const struct dd_tracker_config *c,
                             struct dd_err *err);
/* The scene (zones, lines, events; tracking/scene.h) the tracked detections go through, or
 * NULL; borrowed: it must outlive the pipeline. Each processed frame's events go on the
 * frame (f->events) the frame callback gets. */
void dd_pipeline_set_scene(struct dd_pipeline *p, struct dd_scene *scene);
void dd_pipeline_get_settings(struct dd_pipeline *p, struct dd_detect_settings *out);
/* The detector running now (owned by the pipeline; valid until the next swap
 * is applied: read it only while the pipeline is stopped or before start). */
const struct dd_qdetector *dd_pipeline_detector(const struct dd_pipeline *p);
/* Hands a newly opened detector to the pipeline (ownership passes). The
 * detect thread swaps it in before its next frame and closes the old one; the
 * stream goes on. A swap still pending is replaced (and closed). */
void dd_pipeline_swap_detector(struct dd_pipeline *p, struct dd_qdetector *q);

#endif

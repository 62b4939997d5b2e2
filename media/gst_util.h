/* What every GStreamer user in pipeline/ needs: process-wide init and the
 * reading of a pipeline's bus into a dd_err. */
#ifndef DD_MEDIA_GST_UTIL_H
#define DD_MEDIA_GST_UTIL_H

#include <gst/gst.h>

#include "common/error.h"

/* Initializes GStreamer once per process. */
int dd_gst_init(struct dd_err *err);
/* Releases GStreamer's process-wide state at exit (after every pipeline and
 * video is closed). */
void dd_gst_deinit(void);

/* Pops every message queued on the bus (nobody else reads it, so it must not
 * grow); returns -1 with "ELEMENT: message" for the first ERROR, else 0. */
int dd_gst_bus_drain(GstBus *bus, struct dd_err *err);

/* Waits up to timeout for EOS or an ERROR: 0 on EOS, -1 on an error or a timeout. */
int dd_gst_bus_wait_eos(GstBus *bus, GstClockTime timeout, struct dd_err *err);

#endif

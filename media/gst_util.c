#include "media/gst_util.h"

int dd_gst_init(struct dd_err *err)
{
    GError *gerr = NULL;
    if (gst_is_initialized()) return 0;
    if (!gst_init_check(NULL, NULL, &gerr)) {
        dd_err_set(err, "GStreamer init failed: %s", gerr ? gerr->message : "?");
        g_clear_error(&gerr);
        return -1;
    }
    return 0;
}

void dd_gst_deinit(void)
{
    if (gst_is_initialized()) gst_deinit();
}

static int message_error(GstMessage *m, struct dd_err *err)
{
    GError *gerr = NULL;
    gst_message_parse_error(m, &gerr, NULL);
    dd_err_set(err, "%s: %s", GST_OBJECT_NAME(GST_MESSAGE_SRC(m)), gerr ? gerr->message : "error");
    g_clear_error(&gerr);
    return -1;
}

int dd_gst_bus_drain(GstBus *bus, struct dd_err *err)
{
    int rc = 0;
    GstMessage *m;
    while ((m = gst_bus_pop(bus))) {
        if (rc == 0 && GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) rc = message_error(m, err);
        gst_message_unref(m);
    }
    return rc;
}

int dd_gst_bus_wait_eos(GstBus *bus, GstClockTime timeout, struct dd_err *err)
{
    GstMessage *m = gst_bus_timed_pop_filtered(bus, timeout, GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    if (!m) return dd_err_set(err, "no end of stream within %.0f s", (double)timeout / GST_SECOND);
    int rc = GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR ? message_error(m, err) : 0;
    gst_message_unref(m);
    return rc;
}

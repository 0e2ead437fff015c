/* RTP in, RTP out through GStreamer, off the worker: see rtp_pipe.h. */
#include "gateway/rtp_pipe.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

struct HnRtpPipe {
    GstElement *pipeline;
    GstAppSrc *src;
    GstElement *sink;
    guint64 max_bytes;  /* the appsrc's bound */
    HnInjectRing *ring; /* our producer reference */
    void *target;
    uint64_t target_id;
    guint64 *dropped;
};

static GstFlowReturn on_sample(GstAppSink *sink, gpointer data)
{
    HnRtpPipe *p = data;
    GstSample *s = gst_app_sink_pull_sample(sink);
    if (!s)
        return GST_FLOW_OK;
    GstBuffer *b = gst_sample_get_buffer(s);
    GstMapInfo map;
    if (b && gst_buffer_map(b, &map, GST_MAP_READ)) {
        if (hn_inject_push(p->ring, p->target, p->target_id, HN_INJECT_RTP, map.data, map.size) <
                0 &&
            p->dropped)
            __atomic_fetch_add(p->dropped, 1, __ATOMIC_RELAXED);
        gst_buffer_unmap(b, &map);
    }
    gst_sample_unref(s);
    return GST_FLOW_OK;
}

HnRtpPipe *hn_rtp_pipe_new(const char *desc, const char *what, HnInjectRing *ring, void *target,
                           uint64_t target_id, guint64 *dropped, GError **error)
{
    static gsize once;
    if (g_once_init_enter(&once)) {
        gst_init(NULL, NULL);
        g_once_init_leave(&once, 1);
    }
    GstElement *pl = gst_parse_launch(desc, error);
    if (!pl)
        return NULL;
    HnRtpPipe *p = g_new0(HnRtpPipe, 1);
    p->pipeline = pl;
    p->src = GST_APP_SRC(gst_bin_get_by_name(GST_BIN(pl), "src"));
    p->sink = gst_bin_get_by_name(GST_BIN(pl), "sink");
    p->ring = hn_inject_ring_ref(ring);
    p->target = target;
    p->target_id = target_id;
    p->dropped = dropped;
    if (!p->src || !p->sink) {
        g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED, "%s: no appsrc or appsink", what);
        hn_rtp_pipe_free(p, "rtp-pipe-stop");
        return NULL;
    }
    g_object_set(p->src, "leaky-type", 2 /* downstream: drop the oldest */, NULL);
    g_object_get(p->src, "max-bytes", &p->max_bytes, NULL);
    GstAppSinkCallbacks cb = {.new_sample = on_sample};
    gst_app_sink_set_callbacks(GST_APP_SINK(p->sink), &cb, p, NULL);
    if (gst_element_set_state(pl, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE, "%s", what);
        hn_rtp_pipe_free(p, "rtp-pipe-stop");
        return NULL;
    }
    return p;
}

GstElement *hn_rtp_pipe_get(HnRtpPipe *p, const char *name)
{
    return gst_bin_get_by_name(GST_BIN(p->pipeline), name);
}

gboolean hn_rtp_pipe_push(HnRtpPipe *p, const uint8_t *rtp, size_t len)
{
    gboolean full =
        p->max_bytes && gst_app_src_get_current_level_bytes(p->src) + len > p->max_bytes;
    gst_app_src_push_buffer(p->src, gst_buffer_new_memdup(rtp, len)); /* takes it; leaky */
    return full;
}

void hn_rtp_pipe_upstream(HnRtpPipe *p, GstEvent *ev)
{
    gst_element_send_event(p->sink, ev);
}

static gpointer stop_thread(gpointer data)
{
    HnRtpPipe *p = data;
    gst_element_set_state(p->pipeline, GST_STATE_NULL);
    if (p->src)
        gst_object_unref(p->src);
    if (p->sink)
        gst_object_unref(p->sink);
    gst_object_unref(p->pipeline);
    hn_inject_ring_unref(p->ring);
    g_free(p);
    return NULL;
}

void hn_rtp_pipe_free(HnRtpPipe *p, const char *thread_name)
{
    if (p)
        g_thread_unref(g_thread_new(thread_name, stop_thread, p));
}

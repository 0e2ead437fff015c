/* H.264 -> VP8 off the worker: see vp8tx.h. */
#include "gateway/vp8tx.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#define QUEUE_BYTES (2 * 1024 * 1024) /* H.264 RTP waiting for the decoder (~1 s at 16 Mbit/s) */

struct HnVp8Tx {
    GstElement *pipeline;
    GstAppSrc *src;
    GstElement *sink;
    HnInjectRing *ring; /* our producer reference */
    void *target;
    uint64_t target_id;
};

static struct {
    gint running;
    guint64 started, frames_in, frames_out, drops;
} stats; /* __atomic, relaxed: counters only */

static GstFlowReturn on_sample(GstAppSink *sink, gpointer data)
{
    HnVp8Tx *t = data;
    GstSample *s = gst_app_sink_pull_sample(sink);
    if (!s)
        return GST_FLOW_OK;
    GstBuffer *b = gst_sample_get_buffer(s);
    GstMapInfo map;
    if (b && gst_buffer_map(b, &map, GST_MAP_READ)) {
        if (hn_inject_push(t->ring, t->target, t->target_id, HN_INJECT_RTP, map.data, map.size) < 0)
            __atomic_fetch_add(&stats.drops, 1, __ATOMIC_RELAXED);
        gst_buffer_unmap(b, &map);
    }
    gst_sample_unref(s);
    return GST_FLOW_OK;
}

static GstPadProbeReturn count_probe(GstPad *pad, GstPadProbeInfo *info, gpointer counter)
{
    (void)pad;
    (void)info;
    __atomic_fetch_add((guint64 *)counter, 1, __ATOMIC_RELAXED);
    return GST_PAD_PROBE_OK;
}

static void probe(GstElement *p, const char *name, guint64 *counter)
{
    GstElement *e = gst_bin_get_by_name(GST_BIN(p), name);
    GstPad *pad = gst_element_get_static_pad(e, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, counter, NULL);
    gst_object_unref(pad);
    gst_object_unref(e);
}

HnVp8Tx *hn_vp8tx_new(uint8_t h264_pt, uint32_t ssrc, HnInjectRing *ring, void *target,
                      uint64_t target_id, GError **error)
{
    static gsize once;
    if (g_once_init_enter(&once)) {
        gst_init(NULL, NULL);
        g_once_init_leave(&once, 1);
    }
    /* the jitter buffer puts the tap's packets (arrival order, losses) back in order for the
     * depayloader; a lost packet costs a broken picture until the next key frame, which the
     * subscribers' PLI (through the router, to the publisher) bring */
    g_autofree char *desc = g_strdup_printf(
        "appsrc name=src is-live=true format=time do-timestamp=true max-bytes=%u "
        "caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=%u ! "
        "rtpjitterbuffer latency=50 drop-on-latency=true ! rtph264depay ! h264parse ! "
        "avdec_h264 name=dec ! videoconvert ! videoscale ! "
        "video/x-raw,width=[16,%u],height=[16,%u],pixel-aspect-ratio=1/1 ! "
        "vp8enc name=enc deadline=1 cpu-used=8 threads=2 lag-in-frames=0 error-resilient=1 "
        "end-usage=cbr target-bitrate=%u keyframe-max-dist=3000 buffer-size=500 "
        "buffer-initial-size=300 buffer-optimal-size=400 ! "
        "rtpvp8pay pt=%u ssrc=%u mtu=1200 picture-id-mode=15-bit ! "
        "appsink name=sink sync=false async=false max-buffers=256 drop=true",
        QUEUE_BYTES, h264_pt, HN_VP8TX_MAX_WIDTH, HN_VP8TX_MAX_HEIGHT, HN_VP8TX_BITRATE,
        HN_VP8TX_PT, ssrc);
    GstElement *p = gst_parse_launch(desc, error);
    if (!p)
        return NULL;
    HnVp8Tx *t = g_new0(HnVp8Tx, 1);
    t->pipeline = p;
    t->src = GST_APP_SRC(gst_bin_get_by_name(GST_BIN(p), "src"));
    g_object_set(t->src, "leaky-type", 2 /* downstream: drop the oldest */, NULL);
    t->ring = hn_inject_ring_ref(ring);
    t->target = target;
    t->target_id = target_id;
    t->sink = gst_bin_get_by_name(GST_BIN(p), "sink");
    GstAppSinkCallbacks cb = {.new_sample = on_sample};
    gst_app_sink_set_callbacks(GST_APP_SINK(t->sink), &cb, t, NULL);
    probe(p, "dec", &stats.frames_in);
    probe(p, "enc", &stats.frames_out);
    g_atomic_int_inc(&stats.running);
    __atomic_fetch_add(&stats.started, 1, __ATOMIC_RELAXED);
    if (gst_element_set_state(p, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
                    "the H.264 to VP8 pipeline does not start");
        hn_vp8tx_free(t);
        return NULL;
    }
    return t;
}

void hn_vp8tx_push(HnVp8Tx *t, const uint8_t *rtp, size_t len)
{
    guint64 level = gst_app_src_get_current_level_bytes(t->src);
    if (level + len > QUEUE_BYTES)
        __atomic_fetch_add(&stats.drops, 1,
                           __ATOMIC_RELAXED); /* the leaky appsrc sheds the oldest */
    GstBuffer *b = gst_buffer_new_memdup(rtp, len);
    gst_app_src_push_buffer(t->src, b); /* takes b */
}

void hn_vp8tx_keyframe(HnVp8Tx *t)
{
    /* GstForceKeyUnit upstream, as gst_video_event_new_upstream_force_key_unit makes it: the
     * sink hands it up to vp8enc, which marks its next frame */
    GstStructure *s = gst_structure_new("GstForceKeyUnit", "running-time", GST_TYPE_CLOCK_TIME,
                                        GST_CLOCK_TIME_NONE, "all-headers", G_TYPE_BOOLEAN, TRUE,
                                        "count", G_TYPE_UINT, 0u, NULL);
    gst_element_send_event(t->sink, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s));
}

static gpointer stop_thread(gpointer data)
{
    HnVp8Tx *t = data;
    gst_element_set_state(t->pipeline, GST_STATE_NULL);
    gst_object_unref(t->src);
    gst_object_unref(t->sink);
    gst_object_unref(t->pipeline);
    hn_inject_ring_unref(t->ring);
    g_free(t);
    g_atomic_int_dec_and_test(&stats.running);
    return NULL;
}

void hn_vp8tx_free(HnVp8Tx *t)
{
    if (!t)
        return;
    g_thread_unref(g_thread_new("vp8tx-stop", stop_thread, t));
}

void hn_vp8tx_get_stats(HnVp8TxStats *out)
{
    out->running = (uint64_t)g_atomic_int_get(&stats.running);
    out->started = __atomic_load_n(&stats.started, __ATOMIC_RELAXED);
    out->frames_in = __atomic_load_n(&stats.frames_in, __ATOMIC_RELAXED);
    out->frames_out = __atomic_load_n(&stats.frames_out, __ATOMIC_RELAXED);
    out->drops = __atomic_load_n(&stats.drops, __ATOMIC_RELAXED);
}

static void *start(uint8_t pt, uint32_t ssrc, HnInjectRing *ring, void *target, uint64_t target_id,
                   GError **error)
{
    return hn_vp8tx_new(pt, ssrc, ring, target, target_id, error);
}

static void push(void *tx, const uint8_t *rtp, size_t len)
{
    hn_vp8tx_push(tx, rtp, len);
}

static void keyframe(void *tx)
{
    hn_vp8tx_keyframe(tx);
}

static void stop(void *tx)
{
    hn_vp8tx_free(tx);
}

void hn_vp8tx_install(void)
{
    static const HnRoomTranscoder ops = {.start = start,
                                         .push = push,
                                         .keyframe = keyframe,
                                         .stop = stop,
                                         .get_stats = hn_vp8tx_get_stats};
    hn_room_set_transcoder(&ops);
}

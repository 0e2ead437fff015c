/* H.264 -> VP8 off the worker: see vp8tx.h. */
#include "gateway/vp8tx.h"

#include <gst/gst.h>

#include "gateway/rtp_pipe.h"

#define QUEUE_BYTES (2 * 1024 * 1024) /* H.264 RTP waiting for the decoder (~1 s at 16 Mbit/s) */

struct HnVp8Tx {
    HnRtpPipe *pipe;
};

static struct {
    gint running;
    guint64 started, frames_in, frames_out, drops;
} stats; /* __atomic, relaxed: counters only */

static GstPadProbeReturn count_probe(GstPad *pad, GstPadProbeInfo *info, gpointer counter)
{
    (void)pad;
    (void)info;
    __atomic_fetch_add((guint64 *)counter, 1, __ATOMIC_RELAXED);
    return GST_PAD_PROBE_OK;
}

static void probe(HnRtpPipe *p, const char *name, guint64 *counter)
{
    GstElement *e = hn_rtp_pipe_get(p, name);
    if (!e)
        return;
    GstPad *pad = gst_element_get_static_pad(e, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, counter, NULL);
    gst_object_unref(pad);
    gst_object_unref(e);
}

HnVp8Tx *hn_vp8tx_new(uint8_t h264_pt, uint32_t ssrc, HnInjectRing *ring, void *target,
                      uint64_t target_id, GError **error)
{
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
    HnRtpPipe *pipe = hn_rtp_pipe_new(desc, "the H.264 to VP8 pipeline does not start", ring,
                                      target, target_id, &stats.drops, error);
    if (!pipe)
        return NULL;
    HnVp8Tx *t = g_new0(HnVp8Tx, 1);
    t->pipe = pipe;
    probe(pipe, "dec", &stats.frames_in);
    probe(pipe, "enc", &stats.frames_out);
    g_atomic_int_inc(&stats.running);
    __atomic_fetch_add(&stats.started, 1, __ATOMIC_RELAXED);
    return t;
}

void hn_vp8tx_push(HnVp8Tx *t, const uint8_t *rtp, size_t len)
{
    if (hn_rtp_pipe_push(t->pipe, rtp, len)) /* the leaky appsrc shed its oldest */
        __atomic_fetch_add(&stats.drops, 1, __ATOMIC_RELAXED);
}

void hn_vp8tx_keyframe(HnVp8Tx *t)
{
    /* GstForceKeyUnit upstream, as gst_video_event_new_upstream_force_key_unit makes it: the
     * sink hands it up to vp8enc, which marks its next frame */
    GstStructure *s = gst_structure_new("GstForceKeyUnit", "running-time", GST_TYPE_CLOCK_TIME,
                                        GST_CLOCK_TIME_NONE, "all-headers", G_TYPE_BOOLEAN, TRUE,
                                        "count", G_TYPE_UINT, 0u, NULL);
    hn_rtp_pipe_upstream(t->pipe, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s));
}

void hn_vp8tx_free(HnVp8Tx *t)
{
    if (!t)
        return;
    hn_rtp_pipe_free(t->pipe, "vp8tx-stop");
    g_free(t);
    g_atomic_int_dec_and_test(&stats.running);
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

/* G.711 / G.722 -> Opus off the worker: see transcode.h. */
#include "gateway/transcode.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

struct HnTranscoder {
    GstElement *pipeline;
    GstAppSrc *src;
    HnInjectRing *ring; /* our producer reference */
    void *target;
    uint64_t target_id;
};

gboolean hn_transcoder_handles(HnSdpPlainCodec codec)
{
    return codec == HN_SDP_PLAIN_CODEC_G722 || codec == HN_SDP_PLAIN_CODEC_PCMU ||
           codec == HN_SDP_PLAIN_CODEC_PCMA;
}

static GstFlowReturn on_sample(GstAppSink *sink, gpointer data)
{
    HnTranscoder *t = data;
    GstSample *s = gst_app_sink_pull_sample(sink);
    if (!s)
        return GST_FLOW_OK;
    GstBuffer *b = gst_sample_get_buffer(s);
    GstMapInfo map;
    if (b && gst_buffer_map(b, &map, GST_MAP_READ)) {
        hn_inject_push(t->ring, t->target, t->target_id, HN_INJECT_RTP, map.data, map.size);
        gst_buffer_unmap(b, &map);
    }
    gst_sample_unref(s);
    return GST_FLOW_OK;
}

HnTranscoder *hn_transcoder_new(HnSdpPlainCodec codec, uint8_t pt, uint32_t ssrc,
                                HnInjectRing *ring, void *target, uint64_t target_id,
                                GError **error)
{
    static gsize once;
    if (g_once_init_enter(&once)) {
        gst_init(NULL, NULL);
        g_once_init_leave(&once, 1);
    }
    const char *enc = codec == HN_SDP_PLAIN_CODEC_G722   ? "G722"
                      : codec == HN_SDP_PLAIN_CODEC_PCMU ? "PCMU"
                                                         : "PCMA";
    const char *chain = codec == HN_SDP_PLAIN_CODEC_G722   ? "rtpg722depay ! avdec_g722"
                        : codec == HN_SDP_PLAIN_CODEC_PCMU ? "rtppcmudepay ! mulawdec"
                                                           : "rtppcmadepay ! alawdec";
    /* G.722's RTP clock is 8000 though it samples at 16 kHz (RFC 3551) */
    g_autofree char *desc = g_strdup_printf(
        "appsrc name=src is-live=true format=time do-timestamp=true max-bytes=65536 "
        "caps=application/x-rtp,media=audio,clock-rate=8000,encoding-name=%s,payload=%u ! "
        "%s ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1 ! "
        "opusenc bitrate=32000 frame-size=20 ! rtpopuspay pt=%u ssrc=%u mtu=1200 ! "
        "appsink name=sink sync=false async=false max-buffers=64 drop=true",
        enc, pt, chain, HN_TRANSCODE_OPUS_PT, ssrc);
    GstElement *p = gst_parse_launch(desc, error);
    if (!p)
        return NULL;
    HnTranscoder *t = g_new0(HnTranscoder, 1);
    t->pipeline = p;
    t->src = GST_APP_SRC(gst_bin_get_by_name(GST_BIN(p), "src"));
    g_object_set(t->src, "leaky-type", 2 /* downstream: drop the oldest */, NULL);
    t->ring = hn_inject_ring_ref(ring);
    t->target = target;
    t->target_id = target_id;
    GstElement *sink = gst_bin_get_by_name(GST_BIN(p), "sink");
    GstAppSinkCallbacks cb = {.new_sample = on_sample};
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cb, t, NULL);
    gst_object_unref(sink);
    if (gst_element_set_state(p, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
                    "the %s to Opus pipeline does not start", enc);
        hn_transcoder_free(t);
        return NULL;
    }
    return t;
}

void hn_transcoder_push(HnTranscoder *t, const uint8_t *rtp, size_t len)
{
    GstBuffer *b = gst_buffer_new_memdup(rtp, len);
    gst_app_src_push_buffer(t->src, b); /* takes b; leaky when full */
}

static gpointer stop_thread(gpointer data)
{
    HnTranscoder *t = data;
    gst_element_set_state(t->pipeline, GST_STATE_NULL);
    gst_object_unref(t->src);
    gst_object_unref(t->pipeline);
    hn_inject_ring_unref(t->ring);
    g_free(t);
    return NULL;
}

void hn_transcoder_free(HnTranscoder *t)
{
    if (!t)
        return;
    g_thread_unref(g_thread_new("sip-transcode-stop", stop_thread, t));
}

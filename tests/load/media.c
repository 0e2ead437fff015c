#include "media.h"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <string.h>

#include "core/rtp.h"

#define LOAD_FPS        30
#define LOAD_OPUS_FRAME 960 /* 20 ms at 48 kHz */

static GQuark load_media_error_quark(void)
{
    return g_quark_from_static_string("load-media-error");
}

/* Appends one RTP packet from the payloader to the track being built. */
static gboolean add_packet(LoadMediaTrack *t, GByteArray *data, GArray *pkts, const uint8_t *buf,
                           size_t len, uint32_t *first_ts, GError **error)
{
    HnRtpHeader h;
    if (hn_rtp_parse(buf, len, &h) < 0 || h.payload_len == 0 || h.payload_len > 1400) {
        g_set_error(error, load_media_error_quark(), 0, "payloader produced a bad RTP packet");
        return FALSE;
    }
    if (pkts->len == 0)
        *first_ts = h.ts;
    LoadMediaPacket p = {
        .offset = data->len,
        .len = (uint16_t)h.payload_len,
        .marker = h.marker,
        .ts = h.ts - *first_ts,
    };
    const LoadMediaPacket *prev =
        pkts->len ? &g_array_index(pkts, LoadMediaPacket, pkts->len - 1) : NULL;
    p.frame_start = !prev || prev->marker || prev->ts != p.ts || t->kind == HN_KIND_AUDIO;
    p.keyframe_start = t->kind == HN_KIND_VIDEO && p.frame_start &&
                       hn_codec_is_keyframe(HN_CODEC_VP8, buf + h.header_len, h.payload_len);
    g_byte_array_append(data, buf + h.header_len, (guint)h.payload_len);
    g_array_append_val(pkts, p);
    if (h.payload_len > t->max_payload)
        t->max_payload = h.payload_len;
    return TRUE;
}

static gboolean bus_error(GstElement *pipe, GError **error)
{
    GstBus *bus = gst_element_get_bus(pipe);
    GstMessage *msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    gst_object_unref(bus);
    if (!msg)
        return FALSE;
    GError *err = NULL;
    gst_message_parse_error(msg, &err, NULL);
    g_set_error(error, load_media_error_quark(), 0, "GStreamer: %s",
                err ? err->message : "unknown error");
    g_clear_error(&err);
    gst_message_unref(msg);
    return TRUE;
}

/* Runs the pipeline to EOS and collects every RTP packet its appsink "sink" produces. */
static gboolean run_pipeline(const char *desc, LoadMediaTrack *t, GError **error)
{
    GstElement *pipe = gst_parse_launch(desc, error);
    if (!pipe)
        return FALSE;
    GstElement *sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
    GByteArray *data = g_byte_array_new();
    GArray *pkts = g_array_new(FALSE, TRUE, sizeof(LoadMediaPacket));
    uint32_t first_ts = 0;
    gboolean ok = gst_element_set_state(pipe, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
    GstSample *sample;
    while (ok && (sample = gst_app_sink_pull_sample(GST_APP_SINK(sink)))) {
        GstBuffer *b = gst_sample_get_buffer(sample);
        GstMapInfo map;
        if (b && gst_buffer_map(b, &map, GST_MAP_READ)) {
            ok = add_packet(t, data, pkts, map.data, map.size, &first_ts, error);
            gst_buffer_unmap(b, &map);
        }
        gst_sample_unref(sample);
    }
    if (ok && bus_error(pipe, error))
        ok = FALSE;
    else if (ok && !gst_app_sink_is_eos(GST_APP_SINK(sink))) {
        g_set_error(error, load_media_error_quark(), 0, "pipeline stopped before the end");
        ok = FALSE;
    }
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(sink);
    gst_object_unref(pipe);
    t->n = pkts->len;
    t->pkts = (LoadMediaPacket *)g_array_free(pkts, FALSE);
    t->data = g_byte_array_free(data, FALSE);
    if (ok && t->n == 0) {
        g_set_error(error, load_media_error_quark(), 0, "pipeline produced no packets");
        ok = FALSE;
    }
    return ok;
}

/* Loop length, key frame index and average rates of a collected track. */
static gboolean finish_track(LoadMediaTrack *t, uint32_t frame_ts, GError **error)
{
    t->loop_ts = t->pkts[t->n - 1].ts + frame_ts;
    GArray *kf = g_array_new(FALSE, FALSE, sizeof(size_t));
    uint64_t bytes = 0;
    for (size_t i = 0; i < t->n; i++) {
        bytes += t->pkts[i].len;
        if (t->pkts[i].keyframe_start)
            g_array_append_val(kf, i);
    }
    t->n_keyframes = kf->len;
    t->keyframes = (size_t *)g_array_free(kf, FALSE);
    double secs = (double)t->loop_ts / t->clock_rate;
    t->kbps = (double)bytes * 8 / secs / 1000;
    t->pps = (double)t->n / secs;
    if (t->kind == HN_KIND_VIDEO && (t->n_keyframes == 0 || t->keyframes[0] != 0)) {
        g_set_error(error, load_media_error_quark(), 0,
                    "the VP8 loop does not start with a key frame");
        return FALSE;
    }
    return TRUE;
}

LoadMedia *load_media_new(unsigned width, unsigned height, unsigned video_kbps, unsigned audio_kbps,
                          gboolean audio, double seconds, GError **error)
{
    g_return_val_if_fail(seconds >= 1 && seconds <= 120, NULL);
    g_return_val_if_fail(width >= 16 && height >= 16 && width <= 4096 && height <= 4096, NULL);
    LoadMedia *m = g_new0(LoadMedia, 1);
    m->video = (LoadMediaTrack){.kind = HN_KIND_VIDEO, .codec = HN_CODEC_VP8, .clock_rate = 90000};
    m->audio = (LoadMediaTrack){.kind = HN_KIND_AUDIO, .codec = HN_CODEC_OPUS, .clock_rate = 48000};
    unsigned frames = (unsigned)(seconds * LOAD_FPS);
    char *vdesc =
        g_strdup_printf("videotestsrc pattern=smpte horizontal-speed=4 num-buffers=%u ! "
                        "video/x-raw,width=%u,height=%u,framerate=%d/1 ! "
                        "vp8enc deadline=1 cpu-used=8 threads=2 end-usage=cbr target-bitrate=%u "
                        "keyframe-max-dist=%d ! rtpvp8pay mtu=1200 picture-id-mode=15-bit ! "
                        "appsink name=sink sync=false",
                        frames, width, height, LOAD_FPS, video_kbps * 1000, 2 * LOAD_FPS);
    gboolean ok =
        run_pipeline(vdesc, &m->video, error) && finish_track(&m->video, 90000 / LOAD_FPS, error);
    g_free(vdesc);
    if (ok && audio) {
        char *adesc = g_strdup_printf(
            "audiotestsrc wave=pink-noise volume=0.3 num-buffers=%u samplesperbuffer=%d ! "
            "audio/x-raw,rate=48000,channels=2 ! "
            "opusenc bitrate=%u bitrate-type=cbr frame-size=20 ! rtpopuspay ! "
            "appsink name=sink sync=false",
            (unsigned)(seconds * 50), LOAD_OPUS_FRAME, audio_kbps * 1000);
        ok = run_pipeline(adesc, &m->audio, error) &&
             finish_track(&m->audio, LOAD_OPUS_FRAME, error);
        g_free(adesc);
    }
    if (!ok) {
        load_media_free(m);
        return NULL;
    }
    return m;
}

static void track_clear(LoadMediaTrack *t)
{
    g_free(t->pkts);
    g_free(t->data);
    g_free(t->keyframes);
}

void load_media_free(LoadMedia *m)
{
    if (!m)
        return;
    track_clear(&m->video);
    track_clear(&m->audio);
    g_free(m);
}

size_t load_media_next_keyframe(const LoadMediaTrack *t, size_t i)
{
    for (size_t k = 0; k < t->n_keyframes; k++) {
        if (t->keyframes[k] >= i)
            return t->keyframes[k];
    }
    return t->keyframes[0];
}

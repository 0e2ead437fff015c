/* gateway/vp8tx: H.264 RTP of a red picture in (made here by GStreamer, as a room system sends
 * it), VP8 RTP out through the inject ring with the SSRC and payload type asked for, starting
 * with a key frame; a key frame request gives another key frame; decoding the VP8 shows red. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include "gateway/vp8tx.h"

#define SSRC 0x5eed1234u

typedef struct {
    GPtrArray *vp8; /* GBytes: the VP8 RTP delivered */
    unsigned keyframes;
} Out;

static void deliver(void *user, const HnInjectPacket *pkt, int64_t now_us)
{
    (void)now_us;
    Out *o = user;
    g_ptr_array_add(o->vp8, g_bytes_new(pkt->data, pkt->len));
    const uint8_t *p = pkt->data;
    assert_true(pkt->len > 12 + 4);
    assert_int_equal(p[1] & 0x7f, HN_VP8TX_PT);
    assert_int_equal((uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11],
                     SSRC);
    /* VP8 payload descriptor: X bit, then PictureID (15-bit); S bit and PID 0 start a frame
     * whose first payload byte's P bit 0 is a key frame */
    size_t off = 12 + 1;
    if (p[12] & 0x80)
        off += 1 + ((p[13] & 0x80) ? ((p[14] & 0x80) ? 2 : 1) : 0);
    if ((p[12] & 0x10) && (p[12] & 0x07) == 0 && off < pkt->len && (p[off] & 0x01) == 0)
        o->keyframes++;
}

/* H.264 RTP packets (payload type 102) of n frames of a red 320x240 picture. */
static GPtrArray *h264_packets(int n)
{
    const char *enc = gst_element_factory_find("openh264enc") ? "openh264enc" : "x264enc";
    g_autofree char *desc = g_strdup_printf(
        "videotestsrc num-buffers=%d pattern=red ! video/x-raw,width=320,height=240,"
        "framerate=30/1 ! %s ! h264parse ! rtph264pay pt=102 config-interval=-1 ! "
        "appsink name=sink sync=false",
        n, enc);
    GstElement *p = gst_parse_launch(desc, NULL);
    assert_non_null(p);
    GstElement *sink = gst_bin_get_by_name(GST_BIN(p), "sink");
    gst_element_set_state(p, GST_STATE_PLAYING);
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    GstSample *s;
    while ((s = gst_app_sink_pull_sample(GST_APP_SINK(sink)))) {
        GstMapInfo map;
        GstBuffer *b = gst_sample_get_buffer(s);
        gst_buffer_map(b, &map, GST_MAP_READ);
        g_ptr_array_add(out, g_bytes_new(map.data, map.size));
        gst_buffer_unmap(b, &map);
        gst_sample_unref(s);
    }
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(sink);
    gst_object_unref(p);
    return out;
}

/* Runs ctx until pred or 20 s. */
static void run_until(GMainContext *ctx, Out *o, unsigned min_packets, unsigned min_keys)
{
    gint64 end = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    while ((o->vp8->len < min_packets || o->keyframes < min_keys) && g_get_monotonic_time() < end)
        g_main_context_iteration(ctx, FALSE) || (g_usleep(2000), 0);
}

/* Decodes the VP8 RTP; returns the centre pixel's RGB of the last frame. */
static void decode_centre(GPtrArray *vp8, uint8_t rgb[3])
{
    g_autofree char *desc = g_strdup_printf(
        "appsrc name=src format=time caps=application/x-rtp,media=video,clock-rate=90000,"
        "encoding-name=VP8,payload=%u ! rtpvp8depay ! vp8dec ! videoconvert ! "
        "video/x-raw,format=RGB ! appsink name=sink sync=false",
        HN_VP8TX_PT);
    GstElement *p = gst_parse_launch(desc, NULL);
    assert_non_null(p);
    GstElement *src = gst_bin_get_by_name(GST_BIN(p), "src");
    GstElement *sink = gst_bin_get_by_name(GST_BIN(p), "sink");
    gst_element_set_state(p, GST_STATE_PLAYING);
    for (guint i = 0; i < vp8->len; i++) {
        gsize len;
        const void *d = g_bytes_get_data(vp8->pdata[i], &len);
        gst_app_src_push_buffer(GST_APP_SRC(src), gst_buffer_new_memdup(d, len));
    }
    gst_app_src_end_of_stream(GST_APP_SRC(src));
    GstSample *s, *last = NULL;
    while ((s = gst_app_sink_pull_sample(GST_APP_SINK(sink)))) {
        if (last)
            gst_sample_unref(last);
        last = s;
    }
    assert_non_null(last);
    GstStructure *st = gst_caps_get_structure(gst_sample_get_caps(last), 0);
    int w = 0, h = 0;
    gst_structure_get_int(st, "width", &w);
    gst_structure_get_int(st, "height", &h);
    assert_int_equal(w, 320); /* under the cap: kept */
    assert_int_equal(h, 240);
    GstMapInfo map;
    GstBuffer *b = gst_sample_get_buffer(last);
    gst_buffer_map(b, &map, GST_MAP_READ);
    size_t stride = ((size_t)w * 3 + 3) & ~(size_t)3;
    memcpy(rgb, map.data + (size_t)(h / 2) * stride + (size_t)(w / 2) * 3, 3);
    gst_buffer_unmap(b, &map);
    gst_sample_unref(last);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(src);
    gst_object_unref(sink);
    gst_object_unref(p);
}

static void test_h264_in_vp8_out(void **state)
{
    (void)state;
#ifdef __SANITIZE_THREAD__
    /* the pipeline's threads are GStreamer's and its plugins' (libgstrtp, libav, libvpx), none
     * built for ThreadSanitizer: it reports their own locking as races (8 in one run). The
     * transcoder's code of ours is the appsrc/appsink callbacks, covered by this test under
     * ASan and in the plain build. */
    skip();
#endif
    gst_init(NULL, NULL);
    GPtrArray *h264 = h264_packets(45);
    assert_true(h264->len >= 45);
    GMainContext *ctx = g_main_context_new();
    Out o = {.vp8 = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref)};
    HnInjectRing *ring = hn_inject_ring_new(ctx, 1024, deliver, &o, NULL);
    assert_non_null(ring);
    GError *err = NULL;
    HnVp8Tx *t = hn_vp8tx_new(102, SSRC, ring, NULL, 7, &err);
    assert_non_null(t);
    for (guint i = 0; i < h264->len; i++) {
        gsize len;
        const uint8_t *d = g_bytes_get_data(h264->pdata[i], &len);
        hn_vp8tx_push(t, d, len);
        if (d[1] & 0x80)
            g_usleep(33000); /* the sender's pace (30 fps): the jitter buffer dates by arrival */
    }
    run_until(ctx, &o, 20, 1);
    assert_true(o.keyframes >= 1);
    unsigned before = o.keyframes;
    hn_vp8tx_keyframe(t);
    for (guint i = 0; i < h264->len; i++) { /* the same pictures again (new sequence) */
        gsize len;
        const uint8_t *d = g_bytes_get_data(h264->pdata[i], &len);
        uint8_t copy[1500];
        memcpy(copy, d, len);
        uint16_t seq = (uint16_t)(copy[2] << 8 | copy[3]) + (uint16_t)h264->len;
        copy[2] = (uint8_t)(seq >> 8);
        copy[3] = (uint8_t)seq;
        hn_vp8tx_push(t, copy, len);
        if (copy[1] & 0x80)
            g_usleep(33000);
    }
    run_until(ctx, &o, o.vp8->len + 20, before + 1);
    assert_true(o.keyframes > before);
    HnVp8TxStats st;
    hn_vp8tx_get_stats(&st);
    assert_int_equal(st.running, 1);
    fprintf(stderr,
            "vp8tx: %u VP8 packets, %u key frames; frames in %" G_GUINT64_FORMAT
            ", out %" G_GUINT64_FORMAT ", drops %" G_GUINT64_FORMAT "\n",
            o.vp8->len, o.keyframes, st.frames_in, st.frames_out, st.drops);
    assert_true(st.frames_in >= 45 && st.frames_out >= 45);
    uint8_t rgb[3];
    decode_centre(o.vp8, rgb);
    assert_true(rgb[0] > 200 && rgb[1] < 60 && rgb[2] < 60); /* red */
    hn_vp8tx_free(t);
    for (int i = 0; i < 200; i++) { /* stopped on its own thread */
        hn_vp8tx_get_stats(&st);
        if (!st.running)
            break;
        g_usleep(10000);
    }
    assert_int_equal(st.running, 0);
    hn_inject_ring_close(ring);
    hn_inject_ring_unref(ring);
    g_main_context_unref(ctx);
    g_ptr_array_free(o.vp8, TRUE);
    g_ptr_array_free(h264, TRUE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_h264_in_vp8_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

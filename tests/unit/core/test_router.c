/* Unit tests of core/router, RTP side: key frame gating, source switches, pause, removal,
 * drop counters, tap. Fake sink, fake clock. */
#include "router_fixture.h"

#include <errno.h>

static void test_vp8_keyframe_gating(void **state)
{
    Fx *f = *state;
    assert_int_equal(hn_router_next_deadline(f->r), INT64_MAX);
    assert_int_equal(hn_router_add_consumer(f->r, C_VID1, VID, SUB1, OUT_VID1, OUT_VID_PT), 0);
    /* the new consumer asks for a key frame at the next timeout */
    assert_true(hn_router_next_deadline(f->r) <= f->now);
    fx_timers(f);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC), 1);
    TuSent *pli = tu_nth(&f->sink, PUB, true, 0);
    assert_int_equal(hn_rd32(pli->data + 4), PUB_RTCP_SSRC);
    tu_sink_clear(&f->sink);

    /* delta frames are dropped until a key frame */
    for (int i = 0; i < 3; i++)
        assert_int_equal(fx_vp8(f, (uint16_t)(500 + i), 1000, false), 0);
    assert_int_equal(fx_rtp(f, PUB, VID_SSRC, VID_PT, 503, 1000, TU_VP8_CONT, sizeof(TU_VP8_CONT)),
                     0);
    assert_int_equal(tu_count(&f->sink, SUB1, false), 0);
    assert_int_equal(fx_drops(f, HN_DROP_WAIT_KEYFRAME), 4);
    HnConsumerStats cs;
    assert_int_equal(hn_router_get_consumer_stats(f->r, C_VID1, &cs), 0);
    assert_true(cs.waiting_keyframe);

    f->now += 600000; /* outside the throttle window: the next drop asks again */
    fx_vp8(f, 504, 4000, false);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC), 1);

    assert_int_equal(fx_vp8(f, 505, 7000, true), 0);
    fx_rtp(f, PUB, VID_SSRC, VID_PT, 506, 7000, TU_VP8_CONT, sizeof(TU_VP8_CONT));
    fx_vp8(f, 507, 10000, false);
    assert_int_equal(tu_count(&f->sink, SUB1, false), 3);
    HnRtpHeader h = fx_hdr(tu_nth(&f->sink, SUB1, false, 0));
    assert_int_equal(h.ssrc, OUT_VID1);
    assert_int_equal(h.pt, OUT_VID_PT);
    assert_int_equal(h.seq, 505);
    assert_int_equal(h.ts, 7000);
    assert_memory_equal(tu_nth(&f->sink, SUB1, false, 0)->data + 12, TU_VP8_KEY,
                        sizeof(TU_VP8_KEY));
    h = fx_hdr(tu_nth(&f->sink, SUB1, false, 2));
    assert_int_equal(h.seq, 507);
    assert_int_equal(hn_router_get_consumer_stats(f->r, C_VID1, &cs), 0);
    assert_false(cs.waiting_keyframe);
    assert_int_equal(cs.packets, 3);
}

static void test_h264_keyframe_gating(void **state)
{
    Fx *f = *state;
    HnCodec h264 = fx_codec(HN_CODEC_H264);
    h264.pt = 102;
    h264.feedback = HN_FB_FIR; /* only FIR negotiated: requests must be FIRs */
    assert_int_equal(hn_router_add_producer(f->r, 20, PUB, &h264, 0xc0c0), 0);
    assert_int_equal(hn_router_add_consumer(f->r, 200, 20, SUB1, 0x7001, 102), 0);
    fx_timers(f);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_FIR, 0xc0c0), 1);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, 0xc0c0), 0);

    const uint8_t non_idr[] = {0x41, 0x9a, 0x00};
    const uint8_t fu_mid_idr[] = {0x7c, 0x05, 0x88};
    const uint8_t fu_start_idr[] = {0x7c, 0x85, 0x88};
    const uint8_t fu_end_idr[] = {0x7c, 0x45, 0x88};
    fx_rtp(f, PUB, 0xc0c0, 102, 1, 0, non_idr, sizeof(non_idr));
    fx_rtp(f, PUB, 0xc0c0, 102, 2, 0, fu_mid_idr, sizeof(fu_mid_idr));
    assert_int_equal(tu_count(&f->sink, SUB1, false), 0);
    fx_rtp(f, PUB, 0xc0c0, 102, 3, 3000, fu_start_idr, sizeof(fu_start_idr));
    fx_rtp(f, PUB, 0xc0c0, 102, 4, 3000, fu_end_idr, sizeof(fu_end_idr));
    fx_rtp(f, PUB, 0xc0c0, 102, 5, 6000, non_idr, sizeof(non_idr));
    assert_int_equal(tu_count(&f->sink, SUB1, false), 3);
    assert_int_equal(fx_hdr(tu_nth(&f->sink, SUB1, false, 0)).seq, 3);

    /* a second H264 consumer starts on a STAP-A carrying the SPS */
    tu_sink_clear(&f->sink);
    assert_int_equal(hn_router_add_consumer(f->r, 201, 20, SUB2, 0x7002, 102), 0);
    const uint8_t stap_sps[] = {0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce};
    fx_rtp(f, PUB, 0xc0c0, 102, 6, 9000, non_idr, sizeof(non_idr));
    fx_rtp(f, PUB, 0xc0c0, 102, 7, 12000, stap_sps, sizeof(stap_sps));
    assert_int_equal(tu_count(&f->sink, SUB2, false), 1);
    assert_int_equal(tu_count(&f->sink, SUB1, false), 2);
}

static void test_audio_not_gated(void **state)
{
    Fx *f = *state;
    assert_int_equal(hn_router_add_consumer(f->r, C_AUD1, AUD, SUB1, OUT_AUD1, OUT_AUD_PT), 0);
    assert_int_equal(hn_router_next_deadline(f->r), INT64_MAX); /* no key frame request */
    const uint8_t opus[] = {0xfc, 0x01, 0x02};
    assert_int_equal(fx_rtp(f, PUB, AUD_SSRC, AUD_PT, 7, 480, opus, sizeof(opus)), 0);
    assert_int_equal(tu_count(&f->sink, SUB1, false), 1);
    assert_int_equal(tu_count(&f->sink, PUB, true), 0);
    HnRtpHeader h = fx_hdr(tu_nth(&f->sink, SUB1, false, 0));
    assert_int_equal(h.ssrc, OUT_AUD1);
    assert_int_equal(h.pt, OUT_AUD_PT);
}

/* Publisher reconnects: new transport, new SSRC, random seq/ts. The subscriber sees one stream. */
static void test_publisher_restart_rebind(void **state)
{
    Fx *f = *state;
    fx_start_video(f);
    assert_int_equal(hn_router_add_consumer(f->r, C_AUD1, AUD, SUB1, OUT_AUD1, OUT_AUD_PT), 0);
    const uint8_t opus[] = {0xfc};
    uint16_t seq = 1001;
    uint32_t ts = 90000;
    for (int i = 0; i < 10; i++) {
        f->now += 33333;
        ts += 3000;
        fx_vp8(f, seq++, ts, false);
        fx_rtp(f, PUB, AUD_SSRC, AUD_PT, (uint16_t)(60000 + i), 960u * (unsigned)i, opus, 1);
    }
    HnRtpHeader last_v = fx_hdr(tu_nth(&f->sink, SUB1, false, 18));
    HnRtpHeader last_a = fx_hdr(tu_nth(&f->sink, SUB1, false, 19));
    assert_int_equal(last_v.ssrc, OUT_VID1);
    assert_int_equal(last_a.ssrc, OUT_AUD1);
    int64_t last_time = f->now;
    tu_sink_clear(&f->sink);

    assert_int_equal(hn_router_add_transport(f->r, PUB2, 0x4001), 0);
    assert_int_equal(hn_router_rebind_producer(f->r, VID, PUB2, 0xdddd), 0);
    assert_int_equal(hn_router_rebind_producer(f->r, AUD, PUB2, 0xeeee), 0);
    hn_router_remove_transport(f->r, PUB); /* the old connection goes away */
    HnConsumerStats cs;
    assert_int_equal(hn_router_get_consumer_stats(f->r, C_VID1, &cs), 0); /* consumers survive */
    assert_true(cs.waiting_keyframe);

    f->now += 300000;
    fx_timers(f);
    assert_int_equal(fx_count_fb(f, PUB2, HN_RTCP_KIND_PLI, 0xdddd), 1);
    /* the new publisher starts with a delta frame: dropped; then a key frame */
    assert_int_equal(
        fx_rtp(f, PUB2, 0xdddd, VID_PT, 41000, 7777777, TU_VP8_DELTA, sizeof(TU_VP8_DELTA)), 0);
    assert_int_equal(fx_rtp(f, PUB2, 0xeeee, AUD_PT, 3, 123456, opus, 1), 0);
    assert_int_equal(
        fx_rtp(f, PUB2, 0xdddd, VID_PT, 41001, 7780777, TU_VP8_KEY, sizeof(TU_VP8_KEY)), 0);
    /* the old connection is gone */
    assert_int_equal(fx_vp8(f, seq, ts, true), -ENOENT);

    assert_int_equal(tu_count(&f->sink, SUB1, false), 2);
    HnRtpHeader a = fx_hdr(tu_nth(&f->sink, SUB1, false, 0));
    HnRtpHeader v = fx_hdr(tu_nth(&f->sink, SUB1, false, 1));
    int64_t elapsed = f->now - last_time;
    assert_int_equal(a.ssrc, OUT_AUD1);
    assert_int_equal(a.seq, (uint16_t)(last_a.seq + 1));
    assert_int_equal(a.ts, last_a.ts + (uint32_t)(elapsed * 48000 / 1000000));
    assert_int_equal(v.ssrc, OUT_VID1);
    assert_int_equal(v.seq, (uint16_t)(last_v.seq + 1));
    assert_int_equal(v.ts, last_v.ts + (uint32_t)(elapsed * 90000 / 1000000));

    /* and it continues with the new publisher's spacing */
    f->now += 33333;
    fx_rtp(f, PUB2, 0xdddd, VID_PT, 41002, 7783777, TU_VP8_DELTA, sizeof(TU_VP8_DELTA));
    HnRtpHeader v2 = fx_hdr(tu_nth(&f->sink, SUB1, false, 2));
    assert_int_equal(v2.seq, (uint16_t)(v.seq + 1));
    assert_int_equal(v2.ts, v.ts + 3000);

    HnProducerStats ps;
    assert_int_equal(hn_router_get_producer_stats(f->r, VID, &ps), 0);
    assert_int_equal(ps.transport_id, PUB2);
    assert_int_equal(ps.ssrc, 0xdddd);
    assert_int_equal(ps.packets, 3);
}

static void test_pause_resume_no_gap(void **state)
{
    Fx *f = *state;
    fx_start_video(f);
    fx_vp8(f, 1001, 93000, false);
    assert_int_equal(hn_router_set_consumer_paused(f->r, C_VID1, true), 0);
    for (int i = 2; i < 10; i++)
        fx_vp8(f, (uint16_t)(1000 + i), 90000 + 3000u * (unsigned)i, false);
    assert_int_equal(tu_count(&f->sink, SUB1, false), 1);
    assert_int_equal(fx_drops(f, HN_DROP_PAUSED), 8);
    assert_int_equal(hn_router_set_consumer_paused(f->r, C_VID1, false), 0);
    f->now += 1000;
    fx_vp8(f, 1010, 120000, false); /* waits for a key frame */
    fx_vp8(f, 1011, 123000, true);
    assert_int_equal(tu_count(&f->sink, SUB1, false), 2);
    HnRtpHeader h = fx_hdr(tu_nth(&f->sink, SUB1, false, 1));
    assert_int_equal(h.seq, 1002); /* no gap the subscriber would NACK */
    assert_int_equal(hn_router_set_consumer_paused(f->r, 999, true), -ENOENT);
}

static void test_remove_transport_while_flowing(void **state)
{
    Fx *f = *state;
    fx_start_video(f);
    assert_int_equal(hn_router_add_consumer(f->r, C_VID2, VID, SUB2, OUT_VID2, OUT_VID_PT), 0);
    HnCodec vp8 = fx_codec(HN_CODEC_VP8);
    assert_int_equal(hn_router_add_transport(f->r, PUB2, 0x4001), 0);
    assert_int_equal(hn_router_add_producer(f->r, 30, PUB2, &vp8, 0x3030), 0);
    assert_int_equal(hn_router_add_consumer(f->r, 300, 30, SUB1, 0x8001, OUT_VID_PT), 0);
    assert_int_equal(hn_router_add_consumer(f->r, 301, 30, SUB2, 0x8002, OUT_VID_PT), 0);
    fx_vp8(f, 1001, 93000, true);
    fx_rtp(f, PUB2, 0x3030, VID_PT, 1, 1, TU_VP8_KEY, sizeof(TU_VP8_KEY));
    assert_int_equal(tu_count(&f->sink, SUB1, false), 2);
    assert_int_equal(tu_count(&f->sink, SUB2, false), 2);

    hn_router_remove_transport(f->r, SUB1);
    tu_sink_clear(&f->sink);
    fx_vp8(f, 1002, 96000, false);
    fx_rtp(f, PUB2, 0x3030, VID_PT, 2, 3000, TU_VP8_DELTA, sizeof(TU_VP8_DELTA));
    assert_int_equal(tu_count(&f->sink, SUB1, false), 0);
    assert_int_equal(tu_count(&f->sink, SUB2, false), 2);
    HnConsumerStats cs;
    assert_int_equal(hn_router_get_consumer_stats(f->r, C_VID1, &cs), -ENOENT);
    assert_int_equal(hn_router_get_consumer_stats(f->r, 300, &cs), -ENOENT);

    /* the first publisher leaves: its producers and their consumers go, PUB2 keeps flowing */
    hn_router_remove_transport(f->r, PUB);
    assert_int_equal(hn_router_get_consumer_stats(f->r, C_VID2, &cs), -ENOENT);
    HnProducerStats ps;
    assert_int_equal(hn_router_get_producer_stats(f->r, VID, &ps), -ENOENT);
    assert_int_equal(fx_vp8(f, 1003, 99000, false), -ENOENT);
    assert_int_equal(fx_drops(f, HN_DROP_UNKNOWN_TRANSPORT), 1);
    fx_rtp(f, PUB2, 0x3030, VID_PT, 3, 6000, TU_VP8_DELTA, sizeof(TU_VP8_DELTA));
    assert_int_equal(tu_count(&f->sink, SUB2, false), 3);
    f->now += 2000000;
    fx_timers(f); /* reports over what is left must not touch freed state */
    hn_router_remove_transport(f->r, 12345); /* unknown: ignored */
}

static void test_registration_errors(void **state)
{
    Fx *f = *state;
    HnCodec vp8 = fx_codec(HN_CODEC_VP8), bad = vp8;
    assert_int_equal(hn_router_add_transport(f->r, PUB, 1), -EEXIST);
    assert_int_equal(hn_router_add_producer(f->r, VID, PUB, &vp8, 1), -EEXIST);
    assert_int_equal(hn_router_add_producer(f->r, 50, PUB, &vp8, VID_SSRC), -EEXIST);
    assert_int_equal(hn_router_add_producer(f->r, 50, 999, &vp8, 1), -ENOENT);
    assert_int_equal(hn_router_add_producer(f->r, 50, PUB, NULL, 1), -EINVAL);
    bad.id = HN_CODEC_UNKNOWN;
    assert_int_equal(hn_router_add_producer(f->r, 50, PUB, &bad, 1), -EINVAL);
    bad = vp8;
    bad.clock_rate = 0;
    assert_int_equal(hn_router_add_producer(f->r, 50, PUB, &bad, 1), -EINVAL);
    bad = vp8;
    bad.kind = HN_KIND_AUDIO;
    assert_int_equal(hn_router_add_producer(f->r, 50, PUB, &bad, 1), -EINVAL);
    assert_int_equal(hn_router_add_consumer(f->r, 1, 999, SUB1, 1, 96), -ENOENT);
    assert_int_equal(hn_router_add_consumer(f->r, 1, VID, 999, 1, 96), -ENOENT);
    assert_int_equal(hn_router_add_consumer(f->r, 1, VID, SUB1, 1, 200), -EINVAL);
    assert_int_equal(hn_router_add_consumer(f->r, 1, VID, SUB1, 1, 96), 0);
    assert_int_equal(hn_router_add_consumer(f->r, 1, AUD, SUB2, 2, 96), -EEXIST);
    assert_int_equal(hn_router_add_consumer(f->r, 2, AUD, SUB1, 1, 96), -EEXIST);
    assert_int_equal(hn_router_rebind_producer(f->r, 999, PUB, 1), -ENOENT);
    assert_int_equal(hn_router_rebind_producer(f->r, VID, 999, 1), -ENOENT);
    assert_int_equal(hn_router_rebind_producer(f->r, VID, PUB, AUD_SSRC), -EEXIST);
    assert_int_equal(hn_router_rebind_producer(f->r, VID, PUB, VID_SSRC), 0); /* same place */
    hn_router_remove_consumer(f->r, 999);
    hn_router_remove_producer(f->r, 999);
    hn_router_remove_producer(f->r, VID);
    HnConsumerStats cs;
    assert_int_equal(hn_router_get_consumer_stats(f->r, 1, &cs), -ENOENT);
    hn_router_free(NULL);
}

static void test_drop_counters(void **state)
{
    Fx *f = *state;
    uint8_t buf[HN_ROUTER_MAX_PACKET + 1] = {0};
    assert_int_equal(hn_router_on_rtp(f->r, PUB, buf, sizeof(buf), f->now), -EMSGSIZE);
    assert_int_equal(hn_router_on_rtp(f->r, PUB, buf, 5, f->now), -EINVAL);
    assert_int_equal(fx_rtp(f, PUB, 0x999, VID_PT, 1, 1, NULL, 0), -ENOENT);
    assert_int_equal(fx_rtp(f, 77, VID_SSRC, VID_PT, 1, 1, NULL, 0), -ENOENT);
    assert_int_equal(fx_rtp(f, PUB, VID_SSRC, 97, 1, 1, NULL, 0), -EINVAL);
    assert_int_equal(fx_vp8(f, 1, 1, true), 0); /* nobody consumes it */
    assert_int_equal(fx_drops(f, HN_DROP_TOO_LARGE), 1);
    assert_int_equal(fx_drops(f, HN_DROP_BAD_PACKET), 1);
    assert_int_equal(fx_drops(f, HN_DROP_UNKNOWN_SSRC), 1);
    assert_int_equal(fx_drops(f, HN_DROP_UNKNOWN_TRANSPORT), 1);
    assert_int_equal(fx_drops(f, HN_DROP_BAD_PT), 1);
    assert_int_equal(fx_drops(f, HN_DROP_NO_CONSUMER), 1);
    HnRouterStats st;
    hn_router_get_stats(f->r, &st);
    assert_int_equal(st.rtp_in_packets, 1);
    assert_string_equal(hn_drop_reason_name(HN_DROP_WAIT_KEYFRAME), "wait_keyframe");
    assert_string_equal(hn_drop_reason_name(HN_DROP__COUNT), "unknown");
    for (int i = 0; i < HN_DROP__COUNT; i++)
        assert_non_null(hn_drop_reason_name((HnDropReason)i));
}

typedef struct {
    unsigned calls;
    uint32_t producer;
    uint8_t first[32];
} TapLog;

static void tap_fn(void *user, uint32_t producer_id, const uint8_t *buf, size_t len, int64_t now)
{
    TapLog *t = user;
    t->calls++;
    t->producer = producer_id;
    memcpy(t->first, buf, len < 32 ? len : 32);
}

static void test_tap_sees_original(void **state)
{
    Fx *f = *state;
    TapLog log = {0};
    hn_router_set_tap(f->r, tap_fn, &log);
    fx_start_video(f);
    fx_vp8(f, 1001, 93000, false);
    fx_rtp(f, PUB, 0x999, VID_PT, 1, 1, NULL, 0); /* unknown: not tapped */
    assert_int_equal(log.calls, 2);
    assert_int_equal(log.producer, VID);
    assert_int_equal(hn_rd32(log.first + 8), VID_SSRC);
    assert_int_equal(hn_rd16(log.first + 2), 1001);
    hn_router_set_tap(f->r, NULL, NULL);
    fx_vp8(f, 1002, 96000, false);
    assert_int_equal(log.calls, 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_vp8_keyframe_gating), T(test_h264_keyframe_gating),
        T(test_audio_not_gated),     T(test_publisher_restart_rebind),
        T(test_pause_resume_no_gap), T(test_remove_transport_while_flowing),
        T(test_registration_errors), T(test_drop_counters),
        T(test_tap_sees_original),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

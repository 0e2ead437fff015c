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

    assert_int_equal(hn_router_add_transport(f->r, PUB2, 0x4001, NULL), 0);
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
    assert_int_equal(hn_router_add_transport(f->r, PUB2, 0x4001, NULL), 0);
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
    assert_int_equal(hn_router_add_transport(f->r, PUB, 1, NULL), -EEXIST);
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
    unsigned calls, sr_calls;
    uint32_t producer;
    HnTapPacket last;
    uint8_t first[32];
    HnRtcpSenderInfo sr;
    uint32_t sr_producer;
    /* actions run inside the callback */
    HnRouter *r;
    int remove_id, remove_id2, add_on_call;
    const HnRouterTap *add_tap;
    void *add_user;
    int added_id;
    bool request_kf;
    int kf_rc;
} TapLog;

static void tap_rtp_fn(void *user, uint32_t producer_id, const HnTapPacket *p, int64_t now)
{
    TapLog *t = user;
    t->calls++;
    t->producer = producer_id;
    t->last = *p;
    t->last.buf = NULL;
    memcpy(t->first, p->buf, p->len < 32 ? p->len : 32);
    if (t->remove_id) {
        hn_router_remove_tap(t->r, t->remove_id);
        hn_router_remove_tap(t->r, t->remove_id2);
    }
    if (t->add_tap && t->calls == (unsigned)t->add_on_call)
        t->added_id = hn_router_add_tap(t->r, t->add_tap, t->add_user);
    if (t->request_kf)
        t->kf_rc = hn_router_request_keyframe(t->r, producer_id, now);
}

static void tap_sr_fn(void *user, uint32_t producer_id, const HnRtcpSenderInfo *sr, int64_t now)
{
    TapLog *t = user;
    t->sr_calls++;
    t->sr_producer = producer_id;
    t->sr = *sr;
}

static const HnRouterTap TAP_ALL = {.on_rtp = tap_rtp_fn, .on_sr = tap_sr_fn};

static void test_tap_sees_original(void **state)
{
    Fx *f = *state;
    TapLog log = {0};
    int id = hn_router_add_tap(f->r, &TAP_ALL, &log);
    assert_true(id > 0);
    fx_start_video(f);
    assert_int_equal(log.calls, 1);
    assert_true(log.last.is_keyframe);
    fx_vp8(f, 1001, 93000, false);
    fx_rtp(f, PUB, 0x999, VID_PT, 1, 1, NULL, 0); /* unknown: not tapped */
    assert_int_equal(log.calls, 2);
    assert_int_equal(log.producer, VID);
    assert_int_equal(hn_rd32(log.first + 8), VID_SSRC);
    assert_int_equal(hn_rd16(log.first + 2), 1001);
    assert_int_equal(log.last.pt, VID_PT);
    assert_int_equal(log.last.clock_rate, 90000);
    assert_int_equal(log.last.kind, HN_KIND_VIDEO);
    assert_int_equal(log.last.codec, HN_CODEC_VP8);
    assert_false(log.last.is_keyframe);
    assert_int_equal(log.last.seq, 1001);
    assert_int_equal(log.last.ts, 93000);
    assert_int_equal(log.last.payload_offset, 12);
    assert_int_equal(log.last.payload_len, sizeof(TU_VP8_DELTA));
    const uint8_t opus[] = {0xfc, 1};
    fx_rtp(f, PUB, AUD_SSRC, AUD_PT, 5, 960, opus, sizeof(opus));
    assert_int_equal(log.last.clock_rate, 48000);
    assert_int_equal(log.last.kind, HN_KIND_AUDIO);
    assert_false(log.last.is_keyframe);
    hn_router_remove_tap(f->r, id);
    hn_router_remove_tap(f->r, id); /* twice: ignored */
    hn_router_remove_tap(f->r, 9999);
    fx_vp8(f, 1002, 96000, false);
    assert_int_equal(log.calls, 3);
    assert_int_equal(hn_router_add_tap(f->r, NULL, NULL), -EINVAL);
    HnRouterTap none = {0};
    assert_int_equal(hn_router_add_tap(f->r, &none, NULL), -EINVAL);
}

/* Sends the publisher's SR for ssrc (NTP 0x0000100080000000 = 4096.5 s, RTP ts rtp). */
static void send_sr(Fx *f, uint32_t ssrc, uint32_t rtp)
{
    HnRtcpSenderInfo si = {
        .ntp = 0x0000100080000000ull, .rtp_ts = rtp, .packet_count = 7, .octet_count = 700};
    uint8_t buf[64];
    int n = hn_rtcp_write_sr(buf, sizeof(buf), ssrc, &si, NULL, 0);
    assert_true(n > 0);
    assert_int_equal(hn_router_on_rtcp(f->r, PUB, buf, (size_t)n, f->now), 0);
}

static void test_several_taps_filter_and_sr(void **state)
{
    Fx *f = *state;
    TapLog all = {0}, audio = {0};
    HnRouterTap only_audio = TAP_ALL;
    only_audio.one_producer = true;
    only_audio.producer_id = AUD;
    int a = hn_router_add_tap(f->r, &TAP_ALL, &all);
    int b = hn_router_add_tap(f->r, &only_audio, &audio);
    assert_true(a > 0 && b > 0 && a != b);
    const uint8_t opus[] = {0xfc, 1};
    fx_vp8(f, 1, 3000, true);
    fx_rtp(f, PUB, AUD_SSRC, AUD_PT, 5, 960, opus, sizeof(opus));
    assert_int_equal(all.calls, 2);
    assert_int_equal(audio.calls, 1);
    assert_int_equal(audio.producer, AUD);

    send_sr(f, VID_SSRC, 123456);
    assert_int_equal(all.sr_calls, 1);
    assert_int_equal(audio.sr_calls, 0);
    assert_int_equal(all.sr_producer, VID);
    assert_true(all.sr.ntp == 0x0000100080000000ull);
    assert_int_equal(all.sr.rtp_ts, 123456);
    assert_int_equal(all.sr.packet_count, 7);
    assert_int_equal(all.sr.octet_count, 700);
    send_sr(f, AUD_SSRC, 48000);
    assert_int_equal(all.sr_calls, 2);
    assert_int_equal(audio.sr_calls, 1);
    assert_int_equal(audio.sr.rtp_ts, 48000);
    send_sr(f, 0x999, 1); /* no producer: no report */
    assert_int_equal(all.sr_calls, 2);

    /* a tap with only on_sr */
    TapLog sr_only = {0};
    HnRouterTap t = {.on_sr = tap_sr_fn};
    assert_true(hn_router_add_tap(f->r, &t, &sr_only) > 0);
    fx_vp8(f, 2, 6000, false);
    send_sr(f, VID_SSRC, 1);
    assert_int_equal(sr_only.sr_calls, 1);
    assert_int_equal(sr_only.calls, 0);
}

static void test_tap_add_remove_inside_callback(void **state)
{
    Fx *f = *state;
    TapLog first = {0}, second = {0}, late = {0};
    first.r = f->r;
    int id1 = hn_router_add_tap(f->r, &TAP_ALL, &first);
    int id2 = hn_router_add_tap(f->r, &TAP_ALL, &second);
    /* on its second call the first tap adds a third one: it sees the next packet on */
    first.add_tap = &TAP_ALL;
    first.add_user = &late;
    first.add_on_call = 2;
    fx_vp8(f, 1, 3000, true);
    fx_vp8(f, 2, 6000, false);
    assert_true(first.added_id > 0);
    assert_int_equal(late.calls, 0);
    assert_int_equal(second.calls, 2);
    fx_vp8(f, 3, 9000, false);
    assert_int_equal(late.calls, 1);

    /* the first tap removes itself and the second inside its callback: neither runs again,
     * the second not even for this packet */
    first.remove_id = id1;
    first.remove_id2 = id2;
    fx_vp8(f, 4, 12000, false);
    assert_int_equal(first.calls, 4);
    assert_int_equal(second.calls, 3);
    assert_int_equal(late.calls, 2);
    fx_vp8(f, 5, 15000, false);
    assert_int_equal(first.calls, 4);
    assert_int_equal(second.calls, 3);
    assert_int_equal(late.calls, 3);
    hn_router_remove_tap(f->r, first.added_id);
    fx_vp8(f, 6, 18000, false);
    assert_int_equal(late.calls, 3);
}

static void test_request_keyframe(void **state)
{
    Fx *f = *state;
    assert_int_equal(hn_router_request_keyframe(f->r, 999, f->now), -ENOENT);
    assert_int_equal(hn_router_request_keyframe(f->r, AUD, f->now), -EINVAL);
    /* a recorder on a producer nobody consumes yet */
    assert_int_equal(hn_router_request_keyframe(f->r, VID, f->now), 0);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC), 1);
    assert_int_equal(hn_router_request_keyframe(f->r, VID, f->now + 1000), 0); /* in flight */
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC), 1);
    HnRouterStats st;
    hn_router_get_stats(f->r, &st);
    assert_int_equal(st.keyframe_requests_collapsed, 1);
    assert_int_equal(st.keyframe_requests_sent, 1);

    /* the key frame came, but the recorder asks again within the window: throttled, not lost */
    f->now += 100000;
    fx_vp8(f, 1, 3000, true);
    assert_int_equal(hn_router_request_keyframe(f->r, VID, f->now), 0);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC), 1);
    assert_int_equal(hn_router_next_deadline(f->r), f->now - 100000 + 500000);
    f->now += 400000;
    fx_timers(f);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC), 2);

    /* only FIR negotiated: a FIR */
    HnCodec h264 = fx_codec(HN_CODEC_H264);
    h264.pt = 102;
    h264.feedback = HN_FB_FIR;
    assert_int_equal(hn_router_add_producer(f->r, 20, PUB, &h264, 0xc0c0), 0);
    assert_int_equal(hn_router_request_keyframe(f->r, 20, f->now), 0);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_FIR, 0xc0c0), 1);
}

static void test_request_keyframe_from_tap(void **state)
{
    Fx *f = *state;
    TapLog log = {.r = f->r, .request_kf = true, .kf_rc = 1};
    hn_router_add_tap(f->r, &TAP_ALL, &log);
    fx_vp8(f, 1, 3000, false);
    assert_int_equal(log.kf_rc, 0);
    /* queued inside the dispatch, sent by the timer */
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC), 0);
    assert_true(hn_router_next_deadline(f->r) <= f->now);
    fx_timers(f);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC), 1);
    const uint8_t opus[] = {0xfc};
    fx_rtp(f, PUB, AUD_SSRC, AUD_PT, 5, 960, opus, sizeof(opus));
    assert_int_equal(log.kf_rc, -EINVAL);
}

/* A leg that records what the router sends, as a WebRTC leg would protect and queue it. */
typedef struct {
    HnLeg base;
    TuSink *sink;
    size_t min_cap;
} TestLeg;

static void leg_send_rtp(HnLeg *leg, uint8_t *buf, size_t len, size_t cap)
{
    TestLeg *l = (TestLeg *)leg;
    if (!l->min_cap || cap < l->min_cap)
        l->min_cap = cap;
    tu_push(l->sink, leg->id, false, buf, len);
    memset(buf, 0xee, cap); /* protects in place, using the whole room it was given */
}

static void leg_send_rtcp(HnLeg *leg, const uint8_t *buf, size_t len)
{
    tu_push(((TestLeg *)leg)->sink, leg->id, true, buf, len);
}

static const HnLegClass test_leg_class = {
    .name = "test", .send_rtp = leg_send_rtp, .send_rtcp = leg_send_rtcp};

static void test_leg_output(void **state)
{
    Fx *f = *state;
    TuSink leg_out;
    tu_sink_init(&leg_out);
    TestLeg sub = {.base = {.cls = &test_leg_class, .kind = HN_LEG_LOCAL, .id = 50},
                   .sink = &leg_out};
    TestLeg pub = {.base = {.cls = &test_leg_class, .kind = HN_LEG_LOCAL, .id = 51},
                   .sink = &leg_out};
    assert_int_equal(hn_router_add_transport(f->r, 50, 0x5555, &sub.base), 0);
    assert_int_equal(hn_router_add_transport(f->r, 51, 0x5151, &pub.base), 0);
    HnCodec vp8 = fx_codec(HN_CODEC_VP8);
    assert_int_equal(hn_router_add_producer(f->r, 60, 51, &vp8, 0x6060), 0);
    assert_int_equal(hn_router_add_consumer(f->r, 500, 60, 50, 0x5001, OUT_VID_PT), 0);
    assert_int_equal(hn_router_add_consumer(f->r, 501, 60, SUB2, 0x5002, OUT_VID_PT), 0);
    fx_timers(f);
    /* the key frame request goes to the publisher's leg */
    assert_int_equal(tu_count(&leg_out, 51, true), 1);
    for (int i = 0; i < 3; i++)
        fx_rtp(f, 51, 0x6060, VID_PT, (uint16_t)(10 + i), 3000u * (unsigned)i,
               i ? TU_VP8_DELTA : TU_VP8_KEY, i ? sizeof(TU_VP8_DELTA) : sizeof(TU_VP8_KEY));
    /* the leg transport and the sink transport both get their copies, intact */
    assert_int_equal(tu_count(&leg_out, 50, false), 3);
    assert_int_equal(tu_count(&f->sink, SUB2, false), 3);
    assert_int_equal(sub.min_cap, HN_ROUTER_SEND_CAP);
    for (unsigned i = 0; i < 3; i++) {
        HnRtpHeader h = fx_hdr(tu_nth(&leg_out, 50, false, i));
        assert_int_equal(h.ssrc, 0x5001);
        assert_int_equal(h.seq, 10 + i);
    }
    assert_memory_equal(tu_nth(&leg_out, 50, false, 0)->data + 12, TU_VP8_KEY, sizeof(TU_VP8_KEY));
    /* reports go to the legs too */
    f->now += HN_ROUTER_REPORT_INTERVAL_US;
    fx_timers(f);
    assert_int_equal(tu_count(&leg_out, 51, true), 2); /* the RR about 0x6060 */
    assert_int_equal(tu_count(&f->sink, 51, true), 0);

    TestLeg bad = {.base = {.cls = &(HnLegClass){.name = "bad"}}};
    assert_int_equal(hn_router_add_transport(f->r, 52, 1, &bad.base), -EINVAL);
    assert_int_equal(hn_router_add_transport(f->r, 50, 1, &sub.base), -EEXIST);
    /* removal: the router forgets the leg */
    hn_router_remove_transport(f->r, 50);
    tu_sink_clear(&leg_out);
    fx_rtp(f, 51, 0x6060, VID_PT, 13, 9000, TU_VP8_DELTA, sizeof(TU_VP8_DELTA));
    assert_int_equal(tu_count(&leg_out, 50, false), 0);
    tu_sink_free(&leg_out);
}

static void test_router_without_sink(void **state)
{
    (void)state;
    TuSink out;
    tu_sink_init(&out);
    HnRouter *r = hn_router_new(NULL, NULL);
    assert_non_null(r);
    TestLeg leg = {.base = {.cls = &test_leg_class, .id = 1}, .sink = &out};
    assert_int_equal(hn_router_add_transport(r, 1, 1, NULL), -EINVAL);
    assert_int_equal(hn_router_add_transport(r, 1, 1, &leg.base), 0);
    hn_router_free(r);
    tu_sink_free(&out);
}

/* A publisher packet with 1 CSRC, a one-byte header extension (2 words) and 4 bytes of padding. */
static size_t rtp_with_extension(uint8_t *buf, uint16_t seq, const uint8_t *payload, size_t plen)
{
    buf[0] = 0x80 | 0x20 | 0x10 | 1;
    buf[1] = VID_PT;
    hn_wr16(buf + 2, seq);
    hn_wr32(buf + 4, 3000u * seq);
    hn_wr32(buf + 8, VID_SSRC);
    hn_wr32(buf + 12, 0xc5c5c5c5); /* CSRC */
    hn_wr16(buf + 16, 0xBEDE);
    hn_wr16(buf + 18, 2);
    const uint8_t ext[8] = {0x22, 1, 2, 3, 0x51, 0xaa, 0xbb, 0};
    memcpy(buf + 20, ext, 8);
    memcpy(buf + 28, payload, plen);
    const uint8_t pad[4] = {0, 0, 0, 4};
    memcpy(buf + 28 + plen, pad, 4);
    return 28 + plen + 4;
}

static void test_extensions_stripped(void **state)
{
    Fx *f = *state;
    fx_start_video(f);
    uint8_t buf[128];
    size_t len = rtp_with_extension(buf, 1001, TU_VP8_DELTA, sizeof(TU_VP8_DELTA));
    assert_int_equal(hn_router_on_rtp(f->r, PUB, buf, len, f->now), 0);
    assert_int_equal(tu_count(&f->sink, SUB1, false), 1);
    TuSent *out = tu_nth(&f->sink, SUB1, false, 0);
    assert_int_equal(out->len, len - 12);
    HnRtpHeader h = fx_hdr(out);
    assert_false(h.extension);
    assert_int_equal(h.csrc_count, 1);
    assert_int_equal(hn_rd32(out->data + 12), 0xc5c5c5c5);
    assert_true(h.padding);
    assert_int_equal(h.padding_len, 4);
    assert_int_equal(h.header_len, 16);
    assert_int_equal(h.payload_len, sizeof(TU_VP8_DELTA));
    assert_memory_equal(out->data + 16, TU_VP8_DELTA, sizeof(TU_VP8_DELTA));
    assert_int_equal(h.ssrc, OUT_VID1);
    assert_int_equal(h.seq, 1001);
    HnConsumerStats cs;
    hn_router_get_consumer_stats(f->r, C_VID1, &cs);
    assert_int_equal(cs.bytes, 12 + sizeof(TU_VP8_KEY) + len - 12);

    /* a retransmission of it is stripped the same way */
    tu_sink_clear(&f->sink);
    uint16_t lost = 1001;
    uint8_t nack[32];
    int n = hn_rtcp_write_nack(nack, sizeof(nack), 0xabc, OUT_VID1, &lost, 1);
    assert_int_equal(hn_router_on_rtcp(f->r, SUB1, nack, (size_t)n, f->now), 0);
    assert_int_equal(tu_count(&f->sink, SUB1, false), 1);
    TuSent *rtx = tu_nth(&f->sink, SUB1, false, 0);
    assert_int_equal(rtx->len, out->len);
    h = fx_hdr(rtx);
    assert_false(h.extension);
    assert_int_equal(h.seq, 1001);
    assert_memory_equal(rtx->data + 16, TU_VP8_DELTA, sizeof(TU_VP8_DELTA));
}

/* One room across workers: copies for relay legs (another worker) are made first and flushed
 * once, before the copies this worker sends itself, whatever order the consumers came in, and
 * the order holds after a removal. */
static char order_log[64];
static size_t order_n;

static void order_send_rtp(HnLeg *leg, uint8_t *buf, size_t len, size_t cap)
{
    (void)buf, (void)len, (void)cap;
    if (order_n < sizeof order_log - 1)
        order_log[order_n++] = (char)('a' + (leg->id - 70));
}

static void order_send_rtcp(HnLeg *leg, const uint8_t *buf, size_t len)
{
    (void)leg, (void)buf, (void)len;
}

static void order_flush(HnLeg *leg)
{
    (void)leg;
    if (order_n < sizeof order_log - 1)
        order_log[order_n++] = '|';
}

static const HnLegClass order_leg_class = {.name = "order",
                                           .send_rtp = order_send_rtp,
                                           .send_rtcp = order_send_rtcp,
                                           .flush = order_flush};

static void test_relay_legs_first_and_flushed(void **state)
{
    Fx *f = *state;
    HnLeg legs[5];
    for (uint32_t i = 0; i < 5; i++) {
        /* a, c, e: this worker's; b, d: relays to another worker */
        legs[i] = (HnLeg){.cls = &order_leg_class,
                          .kind = (i == 1 || i == 3) ? HN_LEG_RELAY : HN_LEG_LOCAL,
                          .id = 70 + i};
        assert_int_equal(hn_router_add_transport(f->r, 70 + i, 0x7000 + i, &legs[i]), 0);
    }
    HnCodec vp8 = fx_codec(HN_CODEC_VP8);
    assert_int_equal(hn_router_add_producer(f->r, 80, 74, &vp8, 0x8080), 0);
    for (uint32_t i = 0; i < 4; i++) /* consumers in the order a, b, c, d */
        assert_int_equal(hn_router_add_consumer(f->r, 800 + i, 80, 70 + i, 0x8000 + i, OUT_VID_PT),
                         0);
    fx_timers(f);
    order_n = 0;
    fx_rtp(f, 74, 0x8080, VID_PT, 10, 0, TU_VP8_KEY, sizeof(TU_VP8_KEY));
    order_log[order_n] = 0;
    /* both relays, one flush, then this worker's own (in any order within each part) */
    assert_int_equal(order_n, 5);
    assert_true((order_log[0] == 'b' && order_log[1] == 'd') ||
                (order_log[0] == 'd' && order_log[1] == 'b'));
    assert_int_equal(order_log[2], '|');
    assert_true((order_log[3] == 'a' && order_log[4] == 'c') ||
                (order_log[3] == 'c' && order_log[4] == 'a'));
    /* after a relay consumer leaves (the list is kept in order): still the relay first */
    hn_router_remove_consumer(f->r, 801);
    order_n = 0;
    fx_rtp(f, 74, 0x8080, VID_PT, 11, 3000, TU_VP8_DELTA, sizeof(TU_VP8_DELTA));
    order_log[order_n] = 0;
    assert_int_equal(order_n, 4);
    assert_int_equal(order_log[0], 'd');
    assert_int_equal(order_log[1], '|');
    /* only local legs: no flush at all */
    hn_router_remove_consumer(f->r, 803);
    order_n = 0;
    fx_rtp(f, 74, 0x8080, VID_PT, 12, 6000, TU_VP8_DELTA, sizeof(TU_VP8_DELTA));
    order_log[order_n] = 0;
    assert_null(strchr(order_log, '|'));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_vp8_keyframe_gating),
        T(test_h264_keyframe_gating),
        T(test_audio_not_gated),
        T(test_publisher_restart_rebind),
        T(test_pause_resume_no_gap),
        T(test_remove_transport_while_flowing),
        T(test_registration_errors),
        T(test_drop_counters),
        T(test_tap_sees_original),
        T(test_several_taps_filter_and_sr),
        T(test_tap_add_remove_inside_callback),
        T(test_request_keyframe),
        T(test_request_keyframe_from_tap),
        T(test_leg_output),
        T(test_relay_legs_first_and_flushed),
        cmocka_unit_test(test_router_without_sink),
        T(test_extensions_stripped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

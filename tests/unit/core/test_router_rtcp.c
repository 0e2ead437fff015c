/* Unit tests of core/router, RTCP side: PLI/FIR throttling, NACK answered from the cache, SR
 * translation, RR contents, RTT, hostile RTCP. Fake sink, fake clock. */
#include "router_fixture.h"

#include <errno.h>

#include "core/recv_stats.h"

static int fx_rtcp(Fx *f, uint32_t tid, const uint8_t *buf, size_t len)
{
    return hn_router_on_rtcp(f->r, tid, buf, len, f->now);
}

static void send_pli_on(Fx *f, uint32_t tid, uint32_t media_ssrc)
{
    uint8_t buf[16];
    int n = hn_rtcp_write_pli(buf, sizeof(buf), 0xabc, media_ssrc);
    assert_int_equal(fx_rtcp(f, tid, buf, (size_t)n), 0);
}

static void send_pli(Fx *f, uint32_t media_ssrc)
{
    send_pli_on(f, SUB1, media_ssrc);
}

static HnRouterStats fx_stats(Fx *f)
{
    HnRouterStats st;
    hn_router_get_stats(f->r, &st);
    return st;
}

static void test_pli_throttling(void **state)
{
    Fx *f = *state;
    fx_start_video(f);
    assert_int_equal(hn_router_add_consumer(f->r, C_VID2, VID, SUB2, OUT_VID2, OUT_VID_PT), 0);
    fx_vp8(f, 1001, 93000, true); /* answers the second consumer's start-up request too */
    f->now += 2000000;            /* well after the start-up request */
    fx_timers(f);
    tu_sink_clear(&f->sink);
    int64_t t0 = f->now;

    /* one subscriber repeating itself: its first PLI goes up, the rest is over its budget */
    send_pli(f, OUT_VID1);
    f->now += 50000;
    send_pli(f, OUT_VID1);
    f->now += 50000;
    send_pli(f, OUT_VID1);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC), 1);
    assert_int_equal(fx_stats(f).keyframe_requests_suppressed, 2);
    assert_int_equal(hn_router_next_deadline(f->r), t0 + HN_ROUTER_REPORT_INTERVAL_US);

    /* the key frame came; another subscriber asks within the window: delayed to its end */
    fx_vp8(f, 1002, 96000, true);
    f->now += 50000;
    send_pli_on(f, SUB2, OUT_VID2);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC), 1);
    assert_int_equal(hn_router_next_deadline(f->r), t0 + HN_ROUTER_KEYFRAME_INTERVAL_US);
    hn_router_on_timeout(f->r, t0 + HN_ROUTER_KEYFRAME_INTERVAL_US - 1);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC), 1);
    f->now = t0 + HN_ROUTER_KEYFRAME_INTERVAL_US;
    fx_timers(f);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC), 2);
    f->now += 2000000;
    fx_timers(f);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC), 2); /* nothing pending */

    /* FIR from the subscriber is a key frame request too (its budget has refilled) */
    uint8_t fir[32];
    int n = hn_rtcp_write_fir(fir, sizeof(fir), 0xabc, OUT_VID1, 1);
    assert_int_equal(fx_rtcp(f, SUB1, fir, (size_t)n), 0);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC), 3);

    HnConsumerStats cs;
    hn_router_get_consumer_stats(f->r, C_VID1, &cs);
    assert_int_equal(cs.pli_in, 3);
    assert_int_equal(cs.fir_in, 1);
    assert_int_equal(cs.keyframe_requests_suppressed, 2);
    HnProducerStats ps;
    hn_router_get_producer_stats(f->r, VID, &ps);
    assert_int_equal(ps.keyframe_requests_sent, 4); /* start-up + 3 */
    /* a PLI about an SSRC we do not send is counted */
    send_pli(f, 0x12345);
    assert_int_equal(fx_drops(f, HN_DROP_RTCP_UNKNOWN_SSRC), 1);
}

/* One lossy subscriber sending PLI every 100 ms for 10 s, the publisher answering every request
 * with a key frame 30 ms later: at most one upstream request per 2 s. */
static void test_lossy_subscriber_budget(void **state)
{
    Fx *f = *state;
    fx_start_video(f);
    f->now += 2000000;
    fx_timers(f);
    tu_sink_clear(&f->sink);
    uint16_t seq = 1001;
    unsigned answered = 0;
    for (int i = 0; i < 100; i++) {
        send_pli(f, OUT_VID1);
        f->now += 30000;
        fx_timers(f);
        unsigned asked = fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC);
        bool key = asked > answered;
        answered = asked;
        fx_vp8(f, seq, 3000u * seq, key);
        seq++;
        f->now += 70000;
        fx_timers(f);
    }
    unsigned upstream = fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC);
    assert_true(upstream <= 5);
    assert_true(upstream >= 4);
    HnRouterStats st = fx_stats(f);
    assert_int_equal(st.keyframe_requests_suppressed, 100 - upstream);
    /* the subscriber still received every packet */
    assert_int_equal(tu_count(&f->sink, SUB1, false), 100);
}

/* Ten subscribers asking at the same moment: one upstream request. */
static void test_simultaneous_requests_collapse(void **state)
{
    Fx *f = *state;
    enum { N = 10 };
    for (uint32_t i = 0; i < N; i++) {
        assert_int_equal(hn_router_add_transport(f->r, 200 + i, 0x9000 + i, NULL), 0);
        assert_int_equal(hn_router_add_consumer(f->r, 300 + i, VID, 200 + i, 0x7700 + i, 96), 0);
    }
    fx_timers(f);
    fx_vp8(f, 1, 3000, true);
    assert_int_equal(tu_count(&f->sink, 200 + N - 1, false), 1);
    f->now += 3000000;
    fx_timers(f);
    tu_sink_clear(&f->sink);

    for (uint32_t i = 0; i < N; i++)
        send_pli_on(f, 200 + i, 0x7700 + i);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC), 1);
    f->now += HN_ROUTER_KEYFRAME_INTERVAL_US;
    fx_timers(f);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC), 1);
    HnRouterStats st = fx_stats(f);
    assert_int_equal(st.keyframe_requests_collapsed, N - 1);
    assert_int_equal(st.keyframe_requests_suppressed, 0);
    assert_int_equal(st.pli_in, N);

    /* the key frame was lost upstream: asking again at once is over each one's budget, asking
     * once the budget refilled goes up again */
    for (uint32_t i = 0; i < N; i++)
        send_pli_on(f, 200 + i, 0x7700 + i);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC), 1);
    f->now += HN_ROUTER_CONSUMER_KEYFRAME_INTERVAL_US;
    send_pli_on(f, 203, 0x7703);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, VID_SSRC), 2);
}

static void test_fir_seq_increments(void **state)
{
    Fx *f = *state;
    HnCodec h264 = fx_codec(HN_CODEC_H264);
    h264.pt = 102;
    h264.feedback = HN_FB_FIR;
    assert_int_equal(hn_router_add_producer(f->r, 20, PUB, &h264, 0xc0c0), 0);
    assert_int_equal(hn_router_add_consumer(f->r, 200, 20, SUB1, 0x7001, 102), 0);
    fx_timers(f);
    f->now += 600000;
    send_pli(f, 0x7001);
    assert_int_equal(tu_count(&f->sink, PUB, true), 2);
    uint8_t seqs[2];
    for (unsigned i = 0; i < 2; i++) {
        TuSent *s = tu_nth(&f->sink, PUB, true, i);
        HnRtcpIter it;
        HnRtcpPacket p;
        uint32_t ssrc;
        hn_rtcp_iter_init(&it, s->data, s->len);
        assert_int_equal(hn_rtcp_iter_next(&it, &p), 1);
        assert_int_equal(p.kind, HN_RTCP_KIND_FIR);
        hn_rtcp_fir_item(&p, 0, &ssrc, &seqs[i]);
        assert_int_equal(ssrc, 0xc0c0);
    }
    assert_int_equal((uint8_t)(seqs[1] - seqs[0]), 1);
}

static void test_nack_from_cache(void **state)
{
    Fx *f = *state;
    fx_start_video(f); /* in 1000 -> out 1000 */
    /* switch the source so the output numbering differs from the input */
    assert_int_equal(hn_router_add_transport(f->r, PUB2, 0x4001, NULL), 0);
    assert_int_equal(hn_router_rebind_producer(f->r, VID, PUB2, 0xdddd), 0);
    f->now += 100000;
    uint8_t payload[64];
    for (int i = 0; i < 10; i++) {
        memset(payload, 0, sizeof(payload));
        if (i == 0)
            memcpy(payload, TU_VP8_KEY, sizeof(TU_VP8_KEY));
        else
            memcpy(payload, TU_VP8_DELTA, sizeof(TU_VP8_DELTA));
        payload[sizeof(TU_VP8_KEY)] = (uint8_t)i; /* tell the packets apart */
        fx_rtp(f, PUB2, 0xdddd, VID_PT, (uint16_t)(65530 + i), 5000u + 3000u * (unsigned)i, payload,
               sizeof(TU_VP8_KEY) + 1);
    }
    assert_int_equal(tu_count(&f->sink, SUB1, false), 10);
    HnRtpHeader h3 = fx_hdr(tu_nth(&f->sink, SUB1, false, 3));
    HnRtpHeader h7 = fx_hdr(tu_nth(&f->sink, SUB1, false, 7));
    assert_int_equal(fx_hdr(tu_nth(&f->sink, SUB1, false, 0)).seq, 1001);
    tu_sink_clear(&f->sink);

    uint16_t lost[] = {h3.seq, h7.seq, 999 /* before the switch */, 2000 /* never sent */};
    uint8_t buf[64];
    int n = hn_rtcp_write_nack(buf, sizeof(buf), 0xabc, OUT_VID1, lost, 4);
    assert_int_equal(fx_rtcp(f, SUB1, buf, (size_t)n), 0);
    assert_int_equal(tu_count(&f->sink, SUB1, false), 2);
    TuSent *r0 = tu_nth(&f->sink, SUB1, false, 0), *r1 = tu_nth(&f->sink, SUB1, false, 1);
    HnRtpHeader g3 = fx_hdr(r0), g7 = fx_hdr(r1);
    assert_int_equal(g3.seq, h3.seq);
    assert_int_equal(g3.ts, h3.ts);
    assert_int_equal(g3.ssrc, OUT_VID1);
    assert_int_equal(g3.pt, OUT_VID_PT);
    assert_int_equal(r0->data[12 + sizeof(TU_VP8_KEY)], 3);
    assert_int_equal(g7.seq, h7.seq);
    assert_int_equal(r1->data[12 + sizeof(TU_VP8_KEY)], 7);
    assert_int_equal(fx_drops(f, HN_DROP_NACK_NOT_CACHED), 2);
    HnConsumerStats cs;
    hn_router_get_consumer_stats(f->r, C_VID1, &cs);
    assert_int_equal(cs.rtx_packets, 2);
    assert_int_equal(cs.nack_in, 4);
    assert_int_equal(cs.packets, 11); /* with the key frame before the switch */
    HnRouterStats st;
    hn_router_get_stats(f->r, &st);
    assert_int_equal(st.rtx_sent, 2);
    assert_int_equal(st.nack_in, 4);
}

/* Sends a publisher SR for ssrc on tid: NTP ntp, RTP rtp. */
static void send_sr(Fx *f, uint32_t tid, uint32_t ssrc, uint64_t ntp, uint32_t rtp)
{
    uint8_t buf[64];
    HnRtcpSenderInfo si = {.ntp = ntp, .rtp_ts = rtp, .packet_count = 1, .octet_count = 1};
    int n = hn_rtcp_write_sr(buf, sizeof(buf), ssrc, &si, NULL, 0);
    assert_int_equal(fx_rtcp(f, tid, buf, (size_t)n), 0);
}

/* Finds the SR with sender ssrc in what was sent to tid. */
static bool find_sr(Fx *f, uint32_t tid, uint32_t ssrc, HnRtcpSenderInfo *out)
{
    for (guint i = 0; i < f->sink.sent->len; i++) {
        TuSent *s = tu_at(&f->sink, i);
        if (s->transport_id != tid || !s->rtcp)
            continue;
        HnRtcpIter it;
        HnRtcpPacket p;
        hn_rtcp_iter_init(&it, s->data, s->len);
        while (hn_rtcp_iter_next(&it, &p) > 0)
            if (p.kind == HN_RTCP_KIND_SR && p.sender_ssrc == ssrc) {
                hn_rtcp_sr_info(&p, out);
                return true;
            }
    }
    return false;
}

static void test_sr_translation_and_rtt(void **state)
{
    Fx *f = *state;
    fx_start_video(f);
    assert_int_equal(hn_router_add_transport(f->r, PUB2, 0x4001, NULL), 0);
    assert_int_equal(hn_router_rebind_producer(f->r, VID, PUB2, 0xdddd), 0);
    f->now += 100000;
    const uint32_t in_ts = 0xfffff000u; /* the translation crosses the 32-bit wrap */
    fx_rtp(f, PUB2, 0xdddd, VID_PT, 500, in_ts, TU_VP8_KEY, sizeof(TU_VP8_KEY));
    fx_rtp(f, PUB2, 0xdddd, VID_PT, 501, in_ts, TU_VP8_CONT, sizeof(TU_VP8_CONT));
    HnRtpHeader out = fx_hdr(tu_nth(&f->sink, SUB1, false, 0));
    uint32_t ts_off = out.ts - in_ts;
    assert_int_not_equal(ts_off, 0);

    const uint64_t ntp = (3900000000ull << 32) | 0x80000000u;
    int64_t sr_at = f->now;
    send_sr(f, PUB2, 0xdddd, ntp, in_ts + 90);
    HnProducerStats ps;
    hn_router_get_producer_stats(f->r, VID, &ps);
    assert_true(ps.has_sr);

    tu_sink_clear(&f->sink);
    f->now = hn_router_next_deadline(f->r); /* the 1 s report timer, nothing else pending */
    assert_int_equal(f->now, 10 * 1000000 + HN_ROUTER_REPORT_INTERVAL_US);
    fx_timers(f);
    HnRtcpSenderInfo si;
    assert_true(find_sr(f, SUB1, OUT_VID1, &si));
    int64_t elapsed = f->now - sr_at;
    assert_int_equal(si.ntp, hn_ntp_add_us(ntp, elapsed));
    assert_int_equal(si.rtp_ts, in_ts + 90 + (uint32_t)hn_us_to_rtp(elapsed, 90000) + ts_off);
    assert_int_equal(si.packet_count, 3); /* key frame before the switch + 2 */
    assert_int_equal(si.octet_count, 2 * sizeof(TU_VP8_KEY) + sizeof(TU_VP8_CONT));
    assert_false(find_sr(f, SUB1, OUT_AUD1, &si)); /* no consumer, no SR */

    /* the subscriber's RR echoes our SR: RTT = 50 ms - DLSR 10 ms */
    f->now += 50000;
    HnRtcpReportBlock rb = {.ssrc = OUT_VID1,
                            .fraction_lost = 12,
                            .cumulative_lost = 3,
                            .jitter = 77,
                            .lsr = hn_ntp_mid32(si.ntp),
                            .dlsr = hn_rtcp_dlsr_from_us(10000)};
    uint8_t buf[64];
    int n = hn_rtcp_write_rr(buf, sizeof(buf), 0xabc, &rb, 1);
    assert_int_equal(fx_rtcp(f, SUB1, buf, (size_t)n), 0);
    HnConsumerStats cs;
    hn_router_get_consumer_stats(f->r, C_VID1, &cs);
    assert_true(cs.has_rr);
    assert_int_equal(cs.fraction_lost, 12);
    assert_int_equal(cs.cumulative_lost, 3);
    assert_int_equal(cs.jitter, 77);
    assert_int_equal(cs.rtt_us, 50000 - hn_rtcp_us_from_dlsr(rb.dlsr));
}

static const HnRtcpPacket *find_block(const HnRtcpPacket *rr, uint32_t ssrc, HnRtcpReportBlock *out)
{
    for (unsigned i = 0; i < rr->count; i++) {
        hn_rtcp_report_block(rr, i, out);
        if (out->ssrc == ssrc)
            return rr;
    }
    return NULL;
}

/* The one compound RTCP packet sent to tid that starts with an RR. */
static TuSent *find_rr(Fx *f, uint32_t tid)
{
    TuSent *found = NULL;
    for (unsigned i = 0; i < tu_count(&f->sink, tid, true); i++) {
        TuSent *s = tu_nth(&f->sink, tid, true, i);
        HnRtcpIter it;
        HnRtcpPacket p;
        hn_rtcp_iter_init(&it, s->data, s->len);
        if (hn_rtcp_iter_next(&it, &p) == 1 && p.kind == HN_RTCP_KIND_RR) {
            assert_null(found);
            found = s;
        }
    }
    assert_non_null(found);
    return found;
}

static void test_rr_contents(void **state)
{
    Fx *f = *state;
    int64_t start = f->now;
    const uint8_t opus[] = {0xfc};
    for (uint16_t s = 0; s < 10; s++) {
        if (s != 4)
            fx_vp8(f, s, 3000u * s, s == 0);
        fx_rtp(f, PUB, AUD_SSRC, AUD_PT, (uint16_t)(65530 + s), 960u * s, opus, 1);
        f->now += 20000;
    }
    const uint64_t ntp = 0x0000123456780000ull;
    send_sr(f, PUB, VID_SSRC, ntp, 27000);
    int64_t sr_at = f->now;
    /* the lost packet is NACKed meanwhile (test_nack_generation); the report comes on time */
    while (hn_router_next_deadline(f->r) < start + HN_ROUTER_REPORT_INTERVAL_US) {
        f->now = hn_router_next_deadline(f->r);
        fx_timers(f);
    }
    assert_true(fx_count_fb(f, PUB, HN_RTCP_KIND_NACK, VID_SSRC) > 0);
    tu_sink_clear(&f->sink);
    f->now = start + HN_ROUTER_REPORT_INTERVAL_US;
    fx_timers(f);

    TuSent *s = find_rr(f, PUB);
    HnRtcpIter it;
    HnRtcpPacket rr;
    hn_rtcp_iter_init(&it, s->data, s->len);
    assert_int_equal(hn_rtcp_iter_next(&it, &rr), 1);
    assert_int_equal(rr.kind, HN_RTCP_KIND_RR);
    assert_int_equal(rr.sender_ssrc, PUB_RTCP_SSRC);
    assert_int_equal(rr.count, 2);
    HnRtcpReportBlock v, a;
    assert_non_null(find_block(&rr, VID_SSRC, &v));
    assert_non_null(find_block(&rr, AUD_SSRC, &a));
    assert_int_equal(v.ext_highest_seq, 9);
    assert_int_equal(v.cumulative_lost, 1);
    assert_int_equal(v.fraction_lost, 256 / 10);
    assert_int_equal(v.lsr, 0x12345678u);
    assert_int_equal(v.dlsr, hn_rtcp_dlsr_from_us(f->now - sr_at));
    assert_int_equal(a.ext_highest_seq, 0x10003); /* 65530..3 wrapped once */
    assert_int_equal(a.cumulative_lost, 0);
    assert_int_equal(a.lsr, 0);
    /* SUB1 has no producer and no consumer: nothing sent to it */
    assert_int_equal(tu_count(&f->sink, SUB1, true), 0);
    /* the next report has a fresh interval: no new loss */
    tu_sink_clear(&f->sink);
    fx_vp8(f, 10, 30000, false);
    f->now += HN_ROUTER_REPORT_INTERVAL_US;
    fx_timers(f);
    s = find_rr(f, PUB);
    hn_rtcp_iter_init(&it, s->data, s->len);
    assert_int_equal(hn_rtcp_iter_next(&it, &rr), 1);
    assert_non_null(find_block(&rr, VID_SSRC, &v));
    assert_int_equal(v.fraction_lost, 0);
    assert_int_equal(v.cumulative_lost, 1);
}

static void test_other_rtcp_counted(void **state)
{
    Fx *f = *state;
    uint8_t buf[256];
    size_t off = 0;
    HnRtcpReportBlock rb = {.ssrc = 0x424242}; /* about nothing we send */
    off += (size_t)hn_rtcp_write_rr(buf, sizeof(buf), 0xabc, &rb, 1);
    off += (size_t)hn_rtcp_write_sdes_cname(buf + off, sizeof(buf) - off, 0xabc, "x");
    const uint8_t remb[] = {0x8f, 206, 0,   5,   0, 0,    0,    1,    0, 0, 0, 0,
                            'R',  'E', 'M', 'B', 1, 0x0d, 0x23, 0x45, 0, 0, 0, 7};
    const uint8_t twcc[] = {0x8f, 205, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 1};
    const uint8_t bye[] = {0x81, 203, 0, 1, 0, 0, 0xa, 0xbc};
    memcpy(buf + off, remb, sizeof(remb));
    off += sizeof(remb);
    memcpy(buf + off, twcc, sizeof(twcc));
    off += sizeof(twcc);
    memcpy(buf + off, bye, sizeof(bye));
    off += sizeof(bye);
    assert_int_equal(fx_rtcp(f, SUB1, buf, off), 0);
    HnRouterStats st;
    hn_router_get_stats(f->r, &st);
    assert_int_equal(st.rtcp_in_packets, 1);
    assert_int_equal(st.rr_in, 1);
    assert_int_equal(st.sdes_in, 1);
    assert_int_equal(st.remb_in, 1);
    assert_int_equal(st.twcc_in, 1);
    assert_int_equal(st.bye_in, 1);
    assert_int_equal(st.drops[HN_DROP_RTCP_UNKNOWN_SSRC], 1);
    assert_int_equal(tu_count(&f->sink, PUB, true) + tu_count(&f->sink, SUB1, false), 0);
    assert_int_equal(fx_rtcp(f, 77, buf, off), -ENOENT);
    uint8_t big[HN_ROUTER_MAX_PACKET + 4] = {0};
    assert_int_equal(fx_rtcp(f, SUB1, big, sizeof(big)), -EMSGSIZE);
}

/* A few thousand seeded random and mutated RTCP packets into a live router: nothing crashes,
 * every rejected packet is counted. */
static void test_random_rtcp_into_router(void **state)
{
    Fx *f = *state;
    fx_start_video(f);
    uint64_t seed = 7;
    uint8_t buf[256];
    uint64_t rejected = 0;
    for (int iter = 0; iter < 4000; iter++) {
        size_t len = 4 + tu_rand(&seed) % 120;
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)tu_rand(&seed);
        if (iter % 2) { /* plausible header, feedback about our streams */
            buf[0] = (uint8_t)(0x80 | (buf[0] & 0x1f));
            buf[1] = (uint8_t)(200 + buf[1] % 7);
            hn_wr16(buf + 2, (uint16_t)(len / 4 - 1));
            len &= ~(size_t)3;
            if (len >= 12)
                hn_wr32(buf + 8, iter % 4 == 1 ? OUT_VID1 : VID_SSRC);
        }
        uint8_t *heap = g_memdup2(buf, len);
        if (hn_router_on_rtcp(f->r, iter % 3 ? SUB1 : PUB, heap, len, f->now) == -EINVAL)
            rejected++;
        g_free(heap);
        f->now += 1000;
        fx_timers(f);
    }
    assert_int_equal(fx_drops(f, HN_DROP_BAD_RTCP), rejected);
    assert_true(rejected > 0 && rejected < 4000);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_pli_throttling),
        T(test_lossy_subscriber_budget),
        T(test_simultaneous_requests_collapse),
        T(test_fir_seq_increments),
        T(test_nack_from_cache),
        T(test_sr_translation_and_rtt),
        T(test_rr_contents),
        T(test_other_rtcp_counted),
        T(test_random_rtcp_into_router),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

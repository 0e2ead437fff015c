/* Unit tests of core/router, NACK generation towards publishers: a lost packet is asked for,
 * its retransmission reaches the subscriber with the sequence number it would have had, and a
 * seeded lossy uplink is recovered end to end. Fake sink, fake clock. */
#include "router_fixture.h"

#include <errno.h>

#include "core/nack_gen.h"
#include "core/rtx.h"

#define IN_RTX_PT    97
#define IN_RTX_SSRC  0xa1a1a1a1u
#define OUT_RTX_PT   101
#define OUT_RTX_SSRC 0x5101u

static HnRouterStats fx_stats(Fx *f)
{
    HnRouterStats st;
    hn_router_get_stats(f->r, &st);
    return st;
}

/* Collects the seqs NACKed for media_ssrc in the RTCP sent to tid; returns how many. */
static unsigned nacked(Fx *f, uint32_t tid, uint32_t media_ssrc, uint16_t *out, unsigned cap)
{
    unsigned n = 0;
    for (guint i = 0; i < f->sink.sent->len; i++) {
        TuSent *s = tu_at(&f->sink, i);
        if (s->transport_id != tid || !s->rtcp)
            continue;
        HnRtcpIter it;
        HnRtcpPacket p;
        hn_rtcp_iter_init(&it, s->data, s->len);
        while (hn_rtcp_iter_next(&it, &p) > 0) {
            if (p.kind != HN_RTCP_KIND_NACK || p.media_ssrc != media_ssrc)
                continue;
            assert_int_equal(p.sender_ssrc, tid == PUB ? PUB_RTCP_SSRC : p.sender_ssrc);
            for (unsigned k = 0; k < p.count; k++) {
                uint16_t pid, blp, seqs[17];
                hn_rtcp_nack_item(&p, k, &pid, &blp);
                unsigned m = hn_rtcp_nack_expand(pid, blp, seqs);
                for (unsigned j = 0; j < m && n < cap; j++)
                    out[n++] = seqs[j];
            }
        }
    }
    return n;
}

/* A VP8 delta packet whose payload carries its seq, so a copy can be recognised. */
static int send_marked(Fx *f, uint16_t seq)
{
    uint8_t payload[sizeof(TU_VP8_DELTA) + 2];
    memcpy(payload, TU_VP8_DELTA, sizeof(TU_VP8_DELTA));
    hn_wr16(payload + sizeof(TU_VP8_DELTA), seq);
    return fx_rtp(f, PUB, VID_SSRC, VID_PT, seq, 90000u + 3000u * seq, payload, sizeof(payload));
}

static uint16_t mark_of(const TuSent *s)
{
    HnRtpHeader h = fx_hdr(s);
    return hn_rd16(s->data + h.header_len + sizeof(TU_VP8_DELTA));
}

static void test_lost_packet_nacked_and_forwarded(void **state)
{
    Fx *f = *state;
    fx_start_video(f); /* in 1000 -> out 1000 */
    for (uint16_t s = 1001; s <= 1003; s++) {
        f->now += 1000;
        send_marked(f, s);
    }
    f->now += 1000;
    send_marked(f, 1005); /* 1004 is lost */
    /* not at once: it may only be late */
    uint16_t seqs[32];
    assert_int_equal(nacked(f, PUB, VID_SSRC, seqs, 32), 0);
    int64_t due = hn_router_next_deadline(f->r);
    assert_true(due > f->now && due <= f->now + 10000);
    f->now = due;
    fx_timers(f);
    assert_int_equal(nacked(f, PUB, VID_SSRC, seqs, 32), 1);
    assert_int_equal(seqs[0], 1004);
    assert_int_equal(fx_stats(f).nack_sent, 1);

    /* more packets; then the retransmission: the subscriber gets it as out seq 1004 */
    for (uint16_t s = 1006; s <= 1008; s++) {
        f->now += 1000;
        send_marked(f, s);
    }
    tu_sink_clear(&f->sink);
    f->now += 1000;
    assert_int_equal(send_marked(f, 1004), 0);
    assert_int_equal(tu_count(&f->sink, SUB1, false), 1);
    TuSent *got = tu_nth(&f->sink, SUB1, false, 0);
    assert_int_equal(fx_hdr(got).seq, 1004);
    assert_int_equal(fx_hdr(got).ssrc, OUT_VID1);
    assert_int_equal(mark_of(got), 1004);
    HnRouterStats st = fx_stats(f);
    assert_int_equal(st.nack_recovered, 1);
    assert_int_equal(st.nack_given_up, 0);
    HnProducerStats ps;
    assert_int_equal(hn_router_get_producer_stats(f->r, VID, &ps), 0);
    assert_true(ps.nack);
    assert_int_equal(ps.nack_recovered, 1);
    assert_int_equal(ps.nack_missing, 0);
}

static void test_no_nack_without_negotiation(void **state)
{
    Fx *f = *state;
    /* audio (no nack) and a video producer that did not negotiate nack */
    HnCodec vp8 = fx_codec(HN_CODEC_VP8);
    vp8.feedback = HN_FB_PLI;
    assert_int_equal(hn_router_add_producer(f->r, 12, PUB, &vp8, 0xc0c0), 0);
    const uint8_t opus[] = {0xfc};
    for (uint16_t s = 0; s < 20; s++) {
        if (s % 5 == 2)
            continue;
        fx_rtp(f, PUB, AUD_SSRC, AUD_PT, s, 960u * s, opus, 1);
        fx_rtp(f, PUB, 0xc0c0, VID_PT, s, 3000u * s, TU_VP8_DELTA, sizeof(TU_VP8_DELTA));
        f->now += 1000;
    }
    f->now += 500000;
    fx_timers(f);
    uint16_t seqs[8];
    assert_int_equal(nacked(f, PUB, AUD_SSRC, seqs, 8), 0);
    assert_int_equal(nacked(f, PUB, 0xc0c0, seqs, 8), 0);
    assert_int_equal(fx_stats(f).nack_sent, 0);
}

/* The publisher's RTX of seq (a marked packet), with RTX seq rtx_seq on ssrc. */
static int send_rtx(Fx *f, uint32_t ssrc, uint16_t rtx_seq, uint16_t seq)
{
    uint8_t payload[2 + sizeof(TU_VP8_DELTA) + 2];
    hn_wr16(payload, seq);
    memcpy(payload + 2, TU_VP8_DELTA, sizeof(TU_VP8_DELTA));
    hn_wr16(payload + 2 + sizeof(TU_VP8_DELTA), seq);
    return fx_rtp(f, PUB, ssrc, IN_RTX_PT, rtx_seq, 90000u + 3000u * seq, payload, sizeof(payload));
}

static void test_publisher_rtx_unwrapped(void **state)
{
    Fx *f = *state;
    assert_int_equal(hn_router_set_producer_rtx(f->r, VID, IN_RTX_PT, IN_RTX_SSRC), 0);
    assert_int_equal(hn_router_set_producer_rtx(f->r, VID, VID_PT, IN_RTX_SSRC), -EINVAL);
    assert_int_equal(hn_router_set_producer_rtx(f->r, AUD, 98, 0x77), -EINVAL);
    assert_int_equal(hn_router_set_producer_rtx(f->r, 99, 98, 0x77), -ENOENT);
    fx_start_video(f);
    for (uint16_t s = 1001; s <= 1010; s++)
        if (s != 1004) {
            f->now += 1000;
            send_marked(f, s);
        }
    f->now += 20000;
    fx_timers(f);
    uint16_t seqs[8];
    assert_int_equal(nacked(f, PUB, VID_SSRC, seqs, 8), 1);
    assert_int_equal(seqs[0], 1004);
    tu_sink_clear(&f->sink);

    /* the RTX comes: the subscriber gets the original, as out seq 1004, on its media SSRC */
    assert_int_equal(send_rtx(f, IN_RTX_SSRC, 500, 1004), 0);
    assert_int_equal(tu_count(&f->sink, SUB1, false), 1);
    TuSent *got = tu_nth(&f->sink, SUB1, false, 0);
    HnRtpHeader h = fx_hdr(got);
    assert_int_equal(h.seq, 1004);
    assert_int_equal(h.ssrc, OUT_VID1);
    assert_int_equal(h.pt, OUT_VID_PT);
    assert_int_equal(h.ts, 90000u + 3000u * 1004);
    assert_int_equal(mark_of(got), 1004);
    /* an RTX of a packet not missing (a probe), and a padding-only RTX: dropped */
    tu_sink_clear(&f->sink);
    assert_int_equal(send_rtx(f, IN_RTX_SSRC, 501, 1006), 0);
    uint8_t pad[2] = {0x03, 0xf2};
    assert_int_equal(fx_rtp(f, PUB, IN_RTX_SSRC, IN_RTX_PT, 502, 0, pad, 2), 0);
    assert_int_equal(tu_count(&f->sink, SUB1, false), 0);
    HnRouterStats st = fx_stats(f);
    assert_int_equal(st.rtx_in, 3);
    assert_int_equal(st.nack_recovered, 1);
    assert_int_equal(st.drops[HN_DROP_RTX_DUPLICATE], 1);
    assert_int_equal(st.drops[HN_DROP_RTX_PADDING], 1);
    /* the cache answers a subscriber NACK for it */
    uint16_t lost = 1004;
    uint8_t buf[32];
    int n = hn_rtcp_write_nack(buf, sizeof(buf), 0xabc, OUT_VID1, &lost, 1);
    assert_int_equal(hn_router_on_rtcp(f->r, SUB1, buf, (size_t)n, f->now), 0);
    assert_int_equal(tu_count(&f->sink, SUB1, false), 1);
    assert_int_equal(mark_of(tu_nth(&f->sink, SUB1, false, 0)), 1004);
}

static void test_publisher_rtx_ssrc_learnt(void **state)
{
    Fx *f = *state;
    assert_int_equal(hn_router_set_producer_rtx(f->r, VID, IN_RTX_PT, 0), 0);
    fx_start_video(f);
    send_marked(f, 1002);
    f->now += 20000;
    fx_timers(f);
    tu_sink_clear(&f->sink);
    /* an unknown SSRC with the RTX payload type: the producer's RTX */
    assert_int_equal(send_rtx(f, 0x1234, 9, 1001), 0);
    assert_int_equal(tu_count(&f->sink, SUB1, false), 1);
    assert_int_equal(mark_of(tu_nth(&f->sink, SUB1, false, 0)), 1001);
    /* payload type 0 (a producer without RTX has rtx_pt 0) is nobody's RTX */
    assert_int_equal(fx_rtp(f, PUB, 0x4444, 0, 1, 0, TU_VP8_DELTA, sizeof(TU_VP8_DELTA)), -ENOENT);
    /* another SSRC with that payload type is no longer taken for it */
    assert_int_equal(send_rtx(f, 0x5678, 10, 1001), -ENOENT);
    /* a rebind forgets it: learnt again on the new transport */
    assert_int_equal(hn_router_add_transport(f->r, PUB2, 0x4001, NULL), 0);
    assert_int_equal(hn_router_rebind_producer(f->r, VID, PUB2, 0xdddd), 0);
    assert_int_equal(fx_stats(f).rtx_in, 1);
}

static void test_subscriber_nack_answered_as_rtx(void **state)
{
    Fx *f = *state;
    fx_start_video(f);
    assert_int_equal(hn_router_set_consumer_rtx(f->r, C_VID1, OUT_VID_PT, OUT_RTX_SSRC), -EINVAL);
    assert_int_equal(hn_router_set_consumer_rtx(f->r, C_VID1, OUT_RTX_PT, 0), -EINVAL);
    assert_int_equal(hn_router_set_consumer_rtx(f->r, C_VID1, OUT_RTX_PT, OUT_RTX_SSRC), 0);
    for (uint16_t s = 1001; s <= 1005; s++)
        send_marked(f, s);
    tu_sink_clear(&f->sink);
    uint16_t lost[] = {1002, 1004};
    uint8_t buf[32];
    int n = hn_rtcp_write_nack(buf, sizeof(buf), 0xabc, OUT_VID1, lost, 2);
    assert_int_equal(hn_router_on_rtcp(f->r, SUB1, buf, (size_t)n, f->now), 0);
    assert_int_equal(tu_count(&f->sink, SUB1, false), 2);
    uint16_t rtx_seq0 = 0;
    for (unsigned k = 0; k < 2; k++) {
        TuSent *s = tu_nth(&f->sink, SUB1, false, k);
        HnRtpHeader h = fx_hdr(s);
        assert_int_equal(h.ssrc, OUT_RTX_SSRC);
        assert_int_equal(h.pt, OUT_RTX_PT);
        assert_int_equal(h.ts, 90000u + 3000u * lost[k]);
        if (k == 0)
            rtx_seq0 = h.seq;
        assert_int_equal(h.seq, (uint16_t)(rtx_seq0 + k)); /* its own numbering */
        /* the subscriber unwraps it into the packet it missed */
        uint8_t orig[HN_ROUTER_MAX_PACKET];
        uint16_t osn;
        int m = hn_rtx_unwrap(orig, s->data, s->len, &h, OUT_VID1, OUT_VID_PT, &osn);
        assert_true(m > 0);
        assert_int_equal(osn, lost[k]);
        TuSent o = {.len = (size_t)m};
        memcpy(o.data, orig, (size_t)m);
        assert_int_equal(mark_of(&o), lost[k]);
    }
    HnConsumerStats cs;
    hn_router_get_consumer_stats(f->r, C_VID1, &cs);
    assert_int_equal(cs.rtx_packets, 2);
    /* the subscriber's report about our RTX stream is neither an unknown SSRC nor media stats */
    HnRtcpReportBlock rb = {.ssrc = OUT_RTX_SSRC, .fraction_lost = 200};
    n = hn_rtcp_write_rr(buf, sizeof(buf), 0xabc, &rb, 1);
    assert_int_equal(hn_router_on_rtcp(f->r, SUB1, buf, (size_t)n, f->now), 0);
    assert_int_equal(fx_stats(f).drops[HN_DROP_RTCP_UNKNOWN_SSRC], 0);
    hn_router_get_consumer_stats(f->r, C_VID1, &cs);
    assert_false(cs.has_rr);
}

/* A meeting on lossy links: a publisher losing up_pct of its packets (2 ms apart) and of its
 * retransmissions, answering NACKs after rtt; a subscriber losing down_pct of what the router
 * sends it, with its own NACK generator answered by the router at once. rtx: RTX both ways, else
 * plain retransmissions. Returns how many of `packets` the subscriber got, each checked to carry
 * the seq the publisher gave it; *lost: originals lost on the uplink. */
typedef struct {
    unsigned packets, up_pct, down_pct;
    int64_t rtt;
    uint64_t seed;
    bool rtx;
} Link;

static void subscriber_gets(Fx *f, HnNackGen *sub, bool *got, unsigned packets, const TuSent *s)
{
    HnRtpHeader h = fx_hdr(s);
    TuSent o = *s;
    uint16_t seq = h.seq;
    if (h.ssrc == OUT_RTX_SSRC) {
        uint16_t osn;
        int m = hn_rtx_unwrap(o.data, s->data, s->len, &h, OUT_VID1, OUT_VID_PT, &osn);
        assert_true(m > 0);
        o.len = (size_t)m;
        seq = osn;
    } else {
        assert_int_equal(h.ssrc, OUT_VID1);
    }
    assert_int_equal(mark_of(&o), seq); /* out seq == in seq here (no source switch) */
    hn_nack_gen_on_rtp(sub, seq, false, f->now);
    if ((uint16_t)(seq - 1001) < packets)
        got[(uint16_t)(seq - 1001)] = true;
}

static unsigned lossy_meeting(Fx *f, const Link *l, unsigned *lost)
{
    fx_start_video(f); /* in 1000 -> out 1000 */
    if (l->rtx) {
        assert_int_equal(hn_router_set_producer_rtx(f->r, VID, IN_RTX_PT, IN_RTX_SSRC), 0);
        assert_int_equal(hn_router_set_consumer_rtx(f->r, C_VID1, OUT_RTX_PT, OUT_RTX_SSRC), 0);
    }
    HnNackGen sub;
    hn_nack_gen_init(&sub, NULL);
    hn_nack_gen_on_rtp(&sub, 1000, true, f->now);
    uint64_t rng = l->seed;
    bool *got = g_new0(bool, l->packets);
    GArray *q_at = g_array_new(FALSE, FALSE, sizeof(int64_t));
    GArray *q_seq = g_array_new(FALSE, FALSE, sizeof(uint16_t));
    int64_t start = f->now, end = f->now + (int64_t)l->packets * 2000 + 2000000;
    unsigned next = 0;
    uint16_t rtx_seq = 0;
    *lost = 0;
    for (; f->now <= end; f->now += 1000) {
        tu_sink_clear(&f->sink);
        if (next < l->packets && (f->now - start) % 2000 == 0) { /* one packet per 2 ms */
            uint16_t seq = (uint16_t)(1001 + next);
            bool drop = next + 1 < l->packets && tu_rand(&rng) % 100 < l->up_pct;
            *lost += drop;
            if (!drop)
                send_marked(f, seq);
            next++;
        }
        for (guint i = 0; i < q_at->len;) {
            if (g_array_index(q_at, int64_t, i) > f->now) {
                i++;
                continue;
            }
            uint16_t seq = g_array_index(q_seq, uint16_t, i);
            if (l->rtx)
                assert_int_equal(send_rtx(f, IN_RTX_SSRC, rtx_seq++, seq), 0);
            else
                send_marked(f, seq);
            g_array_remove_index_fast(q_at, i);
            g_array_remove_index_fast(q_seq, i);
        }
        fx_timers(f);
        /* the subscriber's NACKs, answered by the router at once */
        if (hn_nack_gen_next_deadline(&sub) <= f->now) {
            uint16_t seqs[HN_NACK_GEN_MAX];
            size_t n = hn_nack_gen_on_timeout(&sub, f->now, seqs, HN_NACK_GEN_MAX);
            uint8_t buf[HN_ROUTER_RTCP_MTU];
            int len = n ? hn_rtcp_write_nack(buf, sizeof(buf), 0xabc, OUT_VID1, seqs, n) : 0;
            if (len > 0)
                assert_int_equal(hn_router_on_rtcp(f->r, SUB1, buf, (size_t)len, f->now), 0);
        }
        for (unsigned k = 0; k < tu_count(&f->sink, SUB1, false); k++)
            if (tu_rand(&rng) % 100 >= l->down_pct)
                subscriber_gets(f, &sub, got, l->packets, tu_nth(&f->sink, SUB1, false, k));
        uint16_t seqs[1024];
        unsigned n = nacked(f, PUB, VID_SSRC, seqs, 1024);
        for (unsigned k = 0; k < n; k++) {
            if (tu_rand(&rng) % 100 < l->up_pct)
                continue;
            int64_t at = f->now + l->rtt;
            g_array_append_val(q_at, at);
            g_array_append_val(q_seq, seqs[k]);
        }
    }
    unsigned received = 0;
    for (unsigned i = 0; i < l->packets; i++)
        received += got[i];
    g_free(got);
    g_array_free(q_at, TRUE);
    g_array_free(q_seq, TRUE);
    return received;
}

static void report(Fx *f, const char *name, unsigned lost, unsigned received, unsigned packets)
{
    HnRouterStats st = fx_stats(f);
    print_message("router, %s: %u lost on the uplink, subscriber got %u of %u; nack_sent %llu "
                  "recovered %llu given_up %llu duplicates %llu rtx_in %llu, subscriber NACKs "
                  "%llu answered %llu\n",
                  name, lost, received, packets, (unsigned long long)st.nack_sent,
                  (unsigned long long)st.nack_recovered, (unsigned long long)st.nack_given_up,
                  (unsigned long long)st.nack_duplicates, (unsigned long long)st.rtx_in,
                  (unsigned long long)st.nack_in, (unsigned long long)st.rtx_sent);
}

static void test_lossy_uplink_recovered(void **state)
{
    Fx *f = *state;
    unsigned lost;
    Link l = {.packets = 2000, .up_pct = 5, .rtt = 40000, .seed = 0x5eed};
    unsigned received = lossy_meeting(f, &l, &lost);
    report(f, "5% uplink loss, plain retransmission", lost, received, l.packets);
    HnRouterStats st = fx_stats(f);
    assert_true(lost > 50);
    assert_true(received * 100 >= l.packets * 99);
    assert_int_equal(st.nack_recovered + st.nack_given_up, lost);
    assert_int_equal(received, l.packets - st.nack_given_up);
}

static void test_lossy_links_rtx_both_ways(void **state)
{
    Fx *f = *state;
    unsigned lost;
    Link l = {
        .packets = 2000, .up_pct = 5, .down_pct = 5, .rtt = 40000, .seed = 0xfeed, .rtx = true};
    unsigned received = lossy_meeting(f, &l, &lost);
    report(f, "5% loss each way, RTX both ways", lost, received, l.packets);
    HnRouterStats st = fx_stats(f);
    assert_true(lost > 50);
    assert_true(st.rtx_in >= st.nack_recovered && st.nack_recovered > 50);
    assert_true(st.rtx_sent > 50); /* the subscriber's losses, answered as RTX */
    assert_true(received * 100 >= l.packets * 99);
}

static void test_lossy_links_20_percent(void **state)
{
    Fx *f = *state;
    unsigned lost;
    Link l = {
        .packets = 2000, .up_pct = 20, .down_pct = 20, .rtt = 100000, .seed = 0xbeef, .rtx = true};
    unsigned received = lossy_meeting(f, &l, &lost);
    report(f, "20% loss each way, RTX both ways", lost, received, l.packets);
    HnRouterStats st = fx_stats(f);
    assert_int_equal(st.nack_recovered + st.nack_given_up, lost);
    assert_true(received * 100 >= l.packets * 97);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_lost_packet_nacked_and_forwarded), T(test_no_nack_without_negotiation),
        T(test_lossy_uplink_recovered),           T(test_lossy_links_rtx_both_ways),
        T(test_lossy_links_20_percent),           T(test_publisher_rtx_unwrapped),
        T(test_publisher_rtx_ssrc_learnt),        T(test_subscriber_nack_answered_as_rtx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

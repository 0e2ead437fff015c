/* Unit tests of the router's transport-cc glue (router_bwe.c), on the router fixture: what a
 * subscriber with transport-cc receives (our own consecutive transport-wide sequence numbers,
 * payload intact, nothing for a subscriber without it), its feedback turned into the transport's
 * estimate (and malformed feedback counted), REMB as the fallback, and the feedback a publisher
 * gets back about its own transport-wide sequence numbers. Fake clock. */
#include "router_fixture.h"

#include "core/twcc.h"

#define SUB_EXT 5
#define PUB_EXT 3

static HnRouterStats stats(Fx *f)
{
    HnRouterStats s;
    hn_router_get_stats(f->r, &s);
    return s;
}

/* An Opus packet from the publisher, carrying transport-wide seq tseq when tseq >= 0. */
static void pub_audio(Fx *f, uint16_t seq, int tseq)
{
    uint8_t plain[64], buf[80];
    static const uint8_t payload[] = {0xfc, 1, 2, 3, 4, 5, 6, 7};
    size_t len = tu_rtp(plain, AUD_PT, seq, seq * 960u, AUD_SSRC, payload, sizeof payload);
    if (tseq >= 0) {
        HnRtpHeader h;
        assert_int_equal(hn_rtp_parse(plain, len, &h), 0);
        len = hn_twcc_copy_with_seq(buf, plain, len, &h, PUB_EXT, (uint16_t)tseq);
    } else {
        memcpy(buf, plain, len);
    }
    assert_int_equal(hn_router_on_rtp(f->r, PUB, buf, len, f->now), 0);
}

static void test_subscriber_estimate(void **state)
{
    Fx *f = *state;
    assert_int_equal(hn_router_set_transport_cc(f->r, SUB1, SUB_EXT, NULL), 0);
    assert_int_equal(hn_router_set_transport_cc(f->r, SUB1, 15, NULL), -EINVAL);
    assert_int_equal(hn_router_set_transport_cc(f->r, 99, SUB_EXT, NULL), -ENOENT);
    assert_int_equal(hn_router_add_consumer(f->r, C_AUD1, AUD, SUB1, OUT_AUD1, OUT_AUD_PT), 0);
    assert_int_equal(hn_router_add_consumer(f->r, 103, AUD, SUB2, 0x6002, OUT_AUD_PT), 0);
    uint64_t bps;
    HnEstimateSource src;
    assert_int_equal(hn_router_get_transport_estimate(f->r, SUB1, &bps, &src), 0);
    assert_int_equal(src, HN_ESTIMATE_NONE); /* until the first feedback */
    assert_int_equal(bps, 0);

    enum { N = 60 };
    int64_t sent_at[N];
    for (int i = 0; i < N; i++) {
        sent_at[i] = f->now;
        pub_audio(f, (uint16_t)(100 + i), i); /* the publisher's own seq is replaced */
        f->now += 20000;
    }
    assert_int_equal(tu_count(&f->sink, SUB1, false), N);
    assert_int_equal(tu_count(&f->sink, SUB2, false), N);
    for (int i = 0; i < N; i++) {
        TuSent *p = tu_nth(&f->sink, SUB1, false, (unsigned)i);
        HnRtpHeader h;
        assert_int_equal(hn_rtp_parse(p->data, p->len, &h), 0);
        uint16_t tseq;
        assert_int_equal(hn_twcc_read_seq(p->data, &h, SUB_EXT, &tseq), 0);
        assert_int_equal(tseq, i);
        assert_int_equal(h.ssrc, OUT_AUD1);
        assert_int_equal(h.payload_len, 8);
        assert_int_equal(p->data[h.header_len], 0xfc);
        /* no transport-cc on SUB2: no extension at all */
        TuSent *q = tu_nth(&f->sink, SUB2, false, (unsigned)i);
        assert_int_equal(hn_rtp_parse(q->data, q->len, &h), 0);
        assert_false(h.extension);
    }
    /* the subscriber reports them all received 30 ms after sending, two lost */
    int64_t arr[N];
    for (int i = 0; i < N; i++)
        arr[i] = (i == 10 || i == 11) ? HN_TWCC_LOST : sent_at[i] + 30000 + 777777;
    uint8_t fb[1200];
    size_t covered;
    int len = hn_twcc_write(fb, sizeof fb, 0x7777, OUT_AUD1, 0, 0, arr, N, &covered);
    assert_int_equal(covered, N);
    assert_int_equal(hn_router_on_rtcp(f->r, SUB1, fb, (size_t)len, f->now), 0);
    HnTransportBwe tb;
    assert_int_equal(hn_router_get_transport_bwe(f->r, SUB1, &tb), 0);
    assert_true(tb.transport_cc);
    assert_int_equal(tb.stats.feedback, 1);
    assert_int_equal(tb.stats.packets_acked, N - 2);
    assert_int_equal(tb.stats.packets_lost, 2);
    assert_int_equal(tb.source, HN_ESTIMATE_TWCC);
    assert_true(tb.estimate_bps >= HN_BWE_CONFIG_DEFAULT.min_bps);
    assert_int_equal(stats(f).twcc_in, 1);

    /* malformed feedback (a reserved symbol): counted, nothing else changes */
    fb[20] = 0x60;
    fb[21] = 0x01;
    assert_int_equal(hn_router_on_rtcp(f->r, SUB1, fb, (size_t)len, f->now), 0);
    assert_int_equal(stats(f).twcc_malformed, 1);
    assert_int_equal(hn_router_get_transport_bwe(f->r, SUB1, &tb), 0);
    assert_int_equal(tb.stats.feedback, 1);

    /* REMB: the estimate of SUB2 (no transport-cc); ignored on SUB1 */
    static const uint8_t remb[] = {0x8f, 206, 0,   5,   0, 0, 0x30, 0x01, 0, 0, 0,    0,
                                   'R',  'E', 'M', 'B', 1, 6, 0x49, 0xf0, 0, 0, 0x60, 0x02};
    assert_int_equal(hn_router_on_rtcp(f->r, SUB2, remb, sizeof remb, f->now), 0);
    assert_int_equal(hn_router_get_transport_estimate(f->r, SUB2, &bps, &src), 0);
    assert_int_equal(src, HN_ESTIMATE_REMB);
    assert_int_equal(bps, 300000);
    assert_int_equal(hn_router_on_rtcp(f->r, SUB1, remb, sizeof remb, f->now), 0);
    assert_int_equal(hn_router_get_transport_estimate(f->r, SUB1, &bps, &src), 0);
    assert_int_equal(src, HN_ESTIMATE_TWCC);
    assert_int_equal(stats(f).remb_in, 2);
    /* transport-cc feedback on a transport without it: ignored and counted */
    assert_int_equal(hn_router_on_rtcp(f->r, SUB2, fb, (size_t)len, f->now), 0);
    assert_int_equal(stats(f).twcc_ignored, 1);
    /* turning it off: forwarded packets lose the extension */
    assert_int_equal(hn_router_set_transport_cc(f->r, SUB1, 0, NULL), 0);
    tu_sink_clear(&f->sink);
    pub_audio(f, 500, -1);
    HnRtpHeader h;
    TuSent *p = tu_nth(&f->sink, SUB1, false, 0);
    assert_int_equal(hn_rtp_parse(p->data, p->len, &h), 0);
    assert_false(h.extension);
}

/* The feedback packets sent to PUB, parsed, in order. */
static unsigned pub_feedback(Fx *f, HnTwccFeedback *out, unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; i < tu_count(&f->sink, PUB, true); i++) {
        TuSent *s = tu_nth(&f->sink, PUB, true, i);
        HnRtcpIter it;
        HnRtcpPacket p;
        hn_rtcp_iter_init(&it, s->data, s->len);
        while (hn_rtcp_iter_next(&it, &p) > 0) {
            if (p.kind != HN_RTCP_KIND_TWCC || n >= max)
                continue;
            assert_int_equal(hn_twcc_parse(p.data, p.len, &out[n]), 0);
            n++;
        }
    }
    return n;
}

static void test_publisher_feedback(void **state)
{
    Fx *f = *state;
    static HnTwccFeedback fb[4];
    assert_int_equal(hn_router_set_transport_cc_feedback(f->r, PUB, PUB_EXT), 0);
    assert_true(hn_router_next_deadline(f->r) <= f->now + HN_ROUTER_TWCC_FEEDBACK_US);
    int64_t t0 = f->now;
    /* 10 packets 5 ms apart across the 16-bit wrap; 65534 lost, 2 and 1 reordered */
    const int tseqs[] = {65532, 65533, 65535, 0, 2, 1, 3, 4, 5, 6};
    for (int i = 0; i < 10; i++) {
        pub_audio(f, (uint16_t)(7 + i), tseqs[i]);
        f->now += 5000;
    }
    f->now = t0 + HN_ROUTER_TWCC_FEEDBACK_US;
    fx_timers(f);
    assert_int_equal(pub_feedback(f, fb, 4), 1);
    assert_int_equal(fb[0].base_seq, 65532);
    assert_int_equal(fb[0].status_count, 11);
    assert_int_equal(fb[0].received, 10);
    assert_int_equal(fb[0].sender_ssrc, PUB_RTCP_SSRC);
    assert_true(fb[0].arrival_us[2] == HN_TWCC_LOST);
    /* arrival deltas as the router saw them (250 us resolution) */
    assert_int_equal(fb[0].arrival_us[1] - fb[0].arrival_us[0], 5000);
    assert_int_equal(fb[0].arrival_us[5] - fb[0].arrival_us[4], 10000); /* seq 1, 6th */
    assert_int_equal(fb[0].arrival_us[6] - fb[0].arrival_us[4], 5000);  /* seq 2, 5th */
    assert_int_equal(stats(f).twcc_feedback_sent, 1);
    /* the next period: only what is new; a packet already reported arrives too late */
    tu_sink_clear(&f->sink);
    pub_audio(f, 20, 7);
    pub_audio(f, 21, 65534); /* reported lost already */
    assert_int_equal(stats(f).twcc_late, 1);
    f->now += HN_ROUTER_TWCC_FEEDBACK_US;
    fx_timers(f);
    assert_int_equal(pub_feedback(f, fb, 4), 1);
    assert_int_equal(fb[0].base_seq, 7);
    assert_int_equal(fb[0].status_count, 1);
    /* nothing new: no feedback; off: no more timer */
    tu_sink_clear(&f->sink);
    f->now += HN_ROUTER_TWCC_FEEDBACK_US;
    fx_timers(f);
    assert_int_equal(pub_feedback(f, fb, 4), 0);
    assert_int_equal(hn_router_set_transport_cc_feedback(f->r, PUB, 0), 0);
    f->now += HN_ROUTER_TWCC_FEEDBACK_US;
    fx_timers(f);
    assert_true(hn_router_next_deadline(f->r) > f->now + HN_ROUTER_TWCC_FEEDBACK_US);
    /* packets without the extension are simply not reported */
    assert_int_equal(hn_router_set_transport_cc_feedback(f->r, PUB, PUB_EXT), 0);
    pub_audio(f, 30, -1);
    f->now += HN_ROUTER_TWCC_FEEDBACK_US;
    fx_timers(f);
    assert_int_equal(pub_feedback(f, fb, 4), 0);
    /* a publisher whose seq jumps far ahead: the ring moves on, the feedback covers the new seqs */
    tu_sink_clear(&f->sink);
    pub_audio(f, 40, 8);
    pub_audio(f, 41, 30008);
    pub_audio(f, 42, 30009);
    f->now += HN_ROUTER_TWCC_FEEDBACK_US;
    fx_timers(f);
    assert_int_equal(pub_feedback(f, fb, 4), 1);
    assert_int_equal(fb[0].base_seq, 30008);
    assert_int_equal(fb[0].status_count, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_subscriber_estimate, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_publisher_feedback, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

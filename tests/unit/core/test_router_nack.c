/* Unit tests of core/router, NACK generation towards publishers: a lost packet is asked for,
 * its retransmission reaches the subscriber with the sequence number it would have had, and a
 * seeded lossy uplink is recovered end to end. Fake sink, fake clock. */
#include "router_fixture.h"

#include <errno.h>

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

/* A publisher on a lossy uplink answering NACKs after rtt (retransmissions lost too); a
 * subscriber that receives everything the router sends. Returns how many of `packets` the
 * subscriber got, each checked to carry the seq the publisher gave it. */
static unsigned lossy_uplink(Fx *f, unsigned packets, unsigned loss_pct, int64_t rtt, uint64_t seed,
                             unsigned *lost)
{
    fx_start_video(f); /* in 1000 -> out 1000 */
    uint64_t rng = seed;
    bool *got = g_new0(bool, packets);
    GArray *q_at = g_array_new(FALSE, FALSE, sizeof(int64_t));
    GArray *q_seq = g_array_new(FALSE, FALSE, sizeof(uint16_t));
    int64_t start = f->now, end = f->now + (int64_t)packets * 2000 + 2000000;
    unsigned next = 0;
    *lost = 0;
    for (; f->now <= end; f->now += 1000) {
        tu_sink_clear(&f->sink);
        if (next < packets && (f->now - start) % 2000 == 0) { /* one packet per 2 ms */
            uint16_t seq = (uint16_t)(1001 + next);
            bool drop = next + 1 < packets && tu_rand(&rng) % 100 < loss_pct;
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
            send_marked(f, g_array_index(q_seq, uint16_t, i));
            g_array_remove_index_fast(q_at, i);
            g_array_remove_index_fast(q_seq, i);
        }
        fx_timers(f);
        for (unsigned k = 0; k < tu_count(&f->sink, SUB1, false); k++) {
            TuSent *s = tu_nth(&f->sink, SUB1, false, k);
            uint16_t seq = fx_hdr(s).seq;
            assert_int_equal(mark_of(s), seq); /* out seq == in seq here (no source switch) */
            if ((uint16_t)(seq - 1001) < packets)
                got[(uint16_t)(seq - 1001)] = true;
        }
        uint16_t seqs[1024];
        unsigned n = nacked(f, PUB, VID_SSRC, seqs, 1024);
        for (unsigned k = 0; k < n; k++) {
            if (tu_rand(&rng) % 100 < loss_pct)
                continue;
            int64_t at = f->now + rtt;
            g_array_append_val(q_at, at);
            g_array_append_val(q_seq, seqs[k]);
        }
    }
    unsigned received = 0;
    for (unsigned i = 0; i < packets; i++)
        received += got[i];
    g_free(got);
    g_array_free(q_at, TRUE);
    g_array_free(q_seq, TRUE);
    return received;
}

static void test_lossy_uplink_recovered(void **state)
{
    Fx *f = *state;
    unsigned lost;
    unsigned received = lossy_uplink(f, 2000, 5, 40000, 0x5eed, &lost);
    HnRouterStats st = fx_stats(f);
    print_message("router, 5%% loss, RTT 40 ms: %u lost on the uplink, subscriber got %u of 2000; "
                  "nack_sent %llu recovered %llu given_up %llu duplicates %llu\n",
                  lost, received, (unsigned long long)st.nack_sent,
                  (unsigned long long)st.nack_recovered, (unsigned long long)st.nack_given_up,
                  (unsigned long long)st.nack_duplicates);
    assert_true(lost > 50);
    assert_true(received * 100 >= 2000 * 99);
    assert_int_equal(st.nack_recovered + st.nack_given_up, lost);
    assert_int_equal(received, 2000 - st.nack_given_up);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_lost_packet_nacked_and_forwarded),
        T(test_no_nack_without_negotiation),
        T(test_lossy_uplink_recovered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

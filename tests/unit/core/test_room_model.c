/* Unit tests of core/room_model: the room's policy and offer/answer state, applied to a real
 * router with a fake sink and a fake clock, so each test asserts what a subscriber receives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>

#include "core/room_model.h"
#include "test_util.h"

#define AUD_PT 111
#define VID_PT 96

typedef struct {
    HnRoomModel *m;
    HnRouter *r;
    TuSink sink;
    int64_t now;
    GArray *offers; /* uint64_t pid of every SEND_SUB_OFFER */
    GArray *events; /* HnRoomEvent (strings not kept) */
    int fail_next_consumer;
    int fail_offers; /* SEND_SUB_OFFER returns an error while set */
    unsigned tx_started, tx_stopped;
    uint32_t tx_derived, tx_ssrc, tx_src;
    uint16_t seq;
} Fx;

static uint32_t pub_leg(uint64_t pid)
{
    return (uint32_t)pid * 10 + 1;
}

static uint32_t sub_leg(uint64_t pid)
{
    return (uint32_t)pid * 10 + 2;
}

static int fx_apply(void *user, const HnRoomAction *a)
{
    Fx *f = user;
    switch (a->type) {
    case HN_RA_ADD_PRODUCER: {
        int rc = hn_router_add_producer(f->r, a->producer_id, a->leg_id, a->codec, a->ssrc);
        return rc ? rc : hn_router_set_producer_rtx(f->r, a->producer_id, a->rtx_pt, a->rtx_ssrc);
    }
    case HN_RA_REBIND_PRODUCER: {
        int rc = hn_router_rebind_producer(f->r, a->producer_id, a->leg_id, a->ssrc);
        return rc ? rc : hn_router_set_producer_rtx(f->r, a->producer_id, a->rtx_pt, a->rtx_ssrc);
    }
    case HN_RA_REMOVE_PRODUCER:
        hn_router_remove_producer(f->r, a->producer_id);
        return 0;
    case HN_RA_ADD_CONSUMER:
        if (f->fail_next_consumer) {
            f->fail_next_consumer--;
            return -EEXIST;
        }
        int rc =
            hn_router_add_consumer(f->r, a->consumer_id, a->producer_id, a->leg_id, a->ssrc, a->pt);
        if (rc < 0)
            return rc;
        return a->rtx_pt ? hn_router_set_consumer_rtx(f->r, a->consumer_id, a->rtx_pt, a->rtx_ssrc)
                         : 0;
    case HN_RA_REMOVE_CONSUMER:
        hn_router_remove_consumer(f->r, a->consumer_id);
        return 0;
    case HN_RA_PAUSE_CONSUMER:
        return hn_router_set_consumer_paused(f->r, a->consumer_id, a->paused);
    case HN_RA_REQUEST_KEYFRAME:
        return 0;
    case HN_RA_START_TRANSCODE: {
        /* the shell's transcoder: its own transport, the VP8 producer on it */
        f->tx_started++;
        f->tx_derived = a->derived_id;
        f->tx_ssrc = a->ssrc;
        f->tx_src = a->producer_id;
        assert_int_equal(a->codec->id, HN_CODEC_VP8);
        int rc = hn_router_add_transport(f->r, 9000 + a->derived_id, 0x3000, NULL);
        return rc ? rc
                  : hn_router_add_producer(f->r, a->derived_id, 9000 + a->derived_id, a->codec,
                                           a->ssrc);
    }
    case HN_RA_STOP_TRANSCODE:
        f->tx_stopped++;
        hn_router_remove_transport(f->r, 9000 + a->derived_id);
        return 0;
    case HN_RA_SEND_SUB_OFFER:
        if (f->fail_offers)
            return -E2BIG;
        g_array_append_val(f->offers, a->pid);
        return 0;
    }
    return -EINVAL;
}

static void fx_event(void *user, const HnRoomEvent *ev)
{
    Fx *f = user;
    HnRoomEvent copy = *ev;
    copy.participant_id = copy.name = copy.mid = NULL;
    g_array_append_val(f->events, copy);
}

static const HnRoomModelOps fx_ops = {.apply = fx_apply, .on_event = fx_event};

static int setup(void **state)
{
    Fx *f = g_new0(Fx, 1);
    tu_sink_init(&f->sink);
    HnRouterSink sink = {.send_rtp = tu_send_rtp, .send_rtcp = tu_send_rtcp};
    f->r = hn_router_new(&sink, &f->sink);
    f->m = hn_room_model_new(&fx_ops, f, 42);
    f->offers = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    f->events = g_array_new(FALSE, FALSE, sizeof(HnRoomEvent));
    f->now = 1000000;
    f->seq = 100;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fx *f = *state;
    hn_room_model_free(f->m);
    hn_router_free(f->r);
    tu_sink_free(&f->sink);
    g_array_free(f->offers, TRUE);
    g_array_free(f->events, TRUE);
    g_free(f);
    return 0;
}

static HnCodec codec(HnCodecId id, uint8_t pt)
{
    HnCodec c = {.id = id, .pt = pt};
    c.kind = id == HN_CODEC_OPUS ? HN_KIND_AUDIO : HN_KIND_VIDEO;
    c.clock_rate = id == HN_CODEC_OPUS ? 48000 : 90000;
    c.channels = id == HN_CODEC_OPUS ? 2 : 0;
    c.feedback = id == HN_CODEC_OPUS ? 0 : HN_FB_NACK | HN_FB_PLI;
    return c;
}

static uint32_t aud_ssrc(uint64_t pid)
{
    return 0xa0000000u + (uint32_t)pid;
}

static uint32_t vid_ssrc(uint64_t pid)
{
    return 0xb0000000u + (uint32_t)pid;
}

static HnRoomTrackDesc track(const char *mid, HnCodecId id, uint8_t pt, uint32_t ssrc)
{
    HnRoomTrackDesc d = {.codec = codec(id, pt), .ssrc = ssrc};
    g_strlcpy(d.mid, mid, sizeof d.mid);
    d.kind = d.codec.kind;
    d.source = d.kind == HN_KIND_AUDIO ? HN_SOURCE_MICROPHONE : HN_SOURCE_CAMERA;
    return d;
}

/* A participant joins with both legs in the router, the sub leg connected. */
static void fx_join(Fx *f, uint64_t pid, HnRole role)
{
    assert_int_equal(hn_router_add_transport(f->r, pub_leg(pid), 0x1000 + (uint32_t)pid, NULL), 0);
    assert_int_equal(hn_router_add_transport(f->r, sub_leg(pid), 0x2000 + (uint32_t)pid, NULL), 0);
    assert_int_equal(hn_room_model_join(f->m, pid, "Tên", role, HN_PART_BROWSER, false), 0);
    assert_int_equal(hn_room_model_set_sub_leg(f->m, pid, sub_leg(pid)), 0);
    hn_room_model_leg_connected(f->m, sub_leg(pid));
}

static int fx_publish_av(Fx *f, uint64_t pid)
{
    HnRoomTrackDesc t[2] = {track("0", HN_CODEC_OPUS, AUD_PT, aud_ssrc(pid)),
                            track("1", HN_CODEC_VP8, VID_PT, vid_ssrc(pid))};
    return hn_room_model_publish(f->m, pid, pub_leg(pid), t, 2);
}

/* Answers every pending offer, accepting every section, until none is out. */
static void fx_answer_all(Fx *f)
{
    for (int round = 0; round < 8; round++) {
        gboolean any = FALSE;
        for (uint64_t pid = 1; pid <= 64; pid++) {
            if (hn_room_model_offer_pending(f->m, pid)) {
                assert_int_equal(hn_room_model_sub_answer(f->m, pid, NULL, 0), 0);
                any = TRUE;
            }
        }
        if (!any)
            return;
    }
    fail_msg("offers never settle");
}

static int fx_send(Fx *f, uint64_t pid, uint32_t leg, uint32_t ssrc, uint8_t pt, bool key)
{
    uint8_t buf[64];
    const uint8_t *pl = pt == AUD_PT ? (const uint8_t *)"opus" : key ? TU_VP8_KEY : TU_VP8_DELTA;
    size_t plen = pt == AUD_PT ? 4 : key ? sizeof TU_VP8_KEY : sizeof TU_VP8_DELTA;
    uint16_t seq = f->seq++;
    size_t len = tu_rtp(buf, pt, seq, 3000u * seq, ssrc, pl, plen);
    f->now += 1000;
    int rc = hn_router_on_rtp(f->r, leg, buf, len, f->now);
    if (rc == -ENOENT && hn_room_model_learn_ssrc(f->m, leg, pt, ssrc))
        rc = hn_router_on_rtp(f->r, leg, buf, len, f->now);
    (void)pid;
    return rc;
}

static unsigned offers_to(Fx *f, uint64_t pid)
{
    unsigned n = 0;
    for (guint i = 0; i < f->offers->len; i++)
        n += g_array_index(f->offers, uint64_t, i) == pid;
    return n;
}

static unsigned events_of(Fx *f, HnRoomEventType type)
{
    unsigned n = 0;
    for (guint i = 0; i < f->events->len; i++)
        n += g_array_index(f->events, HnRoomEvent, i).type == type;
    return n;
}

/* Output SSRCs of the packets sent on a leg (distinct, in order of first appearance). */
static unsigned distinct_ssrcs(Fx *f, uint32_t leg, uint32_t *out, unsigned max)
{
    unsigned n = 0;
    for (guint i = 0; i < f->sink.sent->len; i++) {
        TuSent *p = tu_at(&f->sink, i);
        if (p->transport_id != leg || p->rtcp)
            continue;
        uint32_t s = hn_rd32(p->data + 8);
        bool seen = false;
        for (unsigned k = 0; k < n && k < max; k++)
            seen |= out[k] == s;
        if (!seen && n < max)
            out[n++] = s;
    }
    return n;
}

static const HnRoomSlot *slot_for(Fx *f, uint64_t sub, uint64_t pub, const char *mid)
{
    size_t n;
    const HnRoomSlot *s = hn_room_model_offered(f->m, sub, &n);
    char want[64];
    g_snprintf(want, sizeof want, "p%" G_GUINT64_FORMAT "-%s", pub, mid);
    for (size_t i = 0; i < n; i++)
        if (s[i].consumer_id && strcmp(s[i].track_id, want) == 0)
            return &s[i];
    return NULL;
}

/* --- tests -------------------------------------------------------------------------------- */

/* 40 participants publishing audio and video: every one receives the 78 other streams, from
 * one offer of 78 sections (the old room failed every offer past 64). */
static void test_forty_publishers(void **state)
{
    Fx *f = *state;
    const uint64_t N = 40;
    for (uint64_t pid = 1; pid <= N; pid++) {
        fx_join(f, pid, HN_ROLE_MEMBER);
        assert_int_equal(fx_publish_av(f, pid), 2);
        fx_answer_all(f);
    }
    assert_int_equal(hn_room_model_producers(f->m), 2 * N);
    assert_int_equal(hn_room_model_consumers(f->m), 2 * N * (N - 1));
    size_t n;
    hn_room_model_offered(f->m, N, &n);
    assert_int_equal(n, 2 * (N - 1));

    tu_sink_clear(&f->sink);
    for (uint64_t pid = 1; pid <= N; pid++) {
        assert_int_equal(fx_send(f, pid, pub_leg(pid), aud_ssrc(pid), AUD_PT, false), 0);
        assert_int_equal(fx_send(f, pid, pub_leg(pid), vid_ssrc(pid), VID_PT, true), 0);
    }
    for (uint64_t pid = 1; pid <= N; pid++) {
        assert_int_equal(tu_count(&f->sink, sub_leg(pid), false), 2 * (N - 1));
        assert_int_equal(tu_count(&f->sink, pub_leg(pid), false), 0);
    }
    HnRoomModelStats st;
    hn_room_model_get_stats(f->m, &st);
    assert_int_equal(st.consumer_failures, 0);
    assert_int_equal(events_of(f, HN_RE_PARTICIPANT_JOINED), N);
    assert_int_equal(events_of(f, HN_RE_TRACK_ADDED), 2 * N);
}

/* A renegotiation that changes the video payload type (or codec) reaches the router: the new
 * packets are forwarded after the subscriber answered the new offer; the old type is dropped. */
static void test_renegotiate_payload_type(void **state)
{
    Fx *f = *state;
    fx_join(f, 1, HN_ROLE_MEMBER);
    fx_join(f, 2, HN_ROLE_MEMBER);
    fx_publish_av(f, 1);
    fx_answer_all(f);
    unsigned offers = offers_to(f, 2);
    HnRoomTrackDesc t[2] = {track("0", HN_CODEC_OPUS, AUD_PT, aud_ssrc(1)),
                            track("1", HN_CODEC_H264, 102, vid_ssrc(1))};
    g_strlcpy(t[1].codec.fmtp, "packetization-mode=1;profile-level-id=42e01f",
              sizeof t[1].codec.fmtp);
    assert_int_equal(hn_room_model_publish(f->m, 1, pub_leg(1), t, 2), 2);
    assert_int_equal(offers_to(f, 2), offers + 1); /* the view changes codec */
    const HnRoomSlot *s = slot_for(f, 2, 1, "1");
    assert_non_null(s);
    assert_int_equal(s->codec.id, HN_CODEC_H264);
    assert_int_equal(s->mid[0], '1'); /* the video section is reused, not added */
    fx_answer_all(f);

    tu_sink_clear(&f->sink);
    const uint8_t idr[] = {0x65, 0x88, 0x84};
    uint8_t buf[64];
    size_t len = tu_rtp(buf, 102, 7, 9000, vid_ssrc(1), idr, sizeof idr);
    assert_int_equal(hn_router_on_rtp(f->r, pub_leg(1), buf, len, f->now += 1000), 0);
    assert_int_equal(tu_count(&f->sink, sub_leg(2), false), 1);
    assert_int_equal(tu_nth(&f->sink, sub_leg(2), false, 0)->data[1] & 0x7f, s->codec.pt);
    /* the old payload type is no longer the producer's */
    assert_int_equal(fx_send(f, 1, pub_leg(1), vid_ssrc(1), VID_PT, true), -EINVAL);
    /* audio kept its producer: no track event for it */
    assert_int_equal(events_of(f, HN_RE_TRACK_REMOVED), 1);
}

/* Video sections carry an RTX payload type and SSRC; the publisher's RTX reaches the subscriber
 * as the original packet, and the subscriber's NACK is answered on its RTX SSRC. */
static void test_rtx_sections(void **state)
{
    Fx *f = *state;
    fx_join(f, 1, HN_ROLE_MEMBER);
    fx_join(f, 2, HN_ROLE_MEMBER);
    HnRoomTrackDesc t[2] = {track("0", HN_CODEC_OPUS, AUD_PT, aud_ssrc(1)),
                            track("1", HN_CODEC_VP8, VID_PT, vid_ssrc(1))};
    t[1].rtx_pt = 98;
    t[1].rtx_ssrc = 0xc0000001u;
    assert_int_equal(hn_room_model_publish(f->m, 1, pub_leg(1), t, 2), 2);
    fx_answer_all(f);
    const HnRoomSlot *a = slot_for(f, 2, 1, "0"), *v = slot_for(f, 2, 1, "1");
    assert_non_null(a);
    assert_non_null(v);
    assert_int_equal(a->rtx_pt, 0);
    assert_int_equal(v->rtx_pt, 97); /* apt=96 */
    assert_true(v->rtx_ssrc != 0 && v->rtx_ssrc != v->ssrc && v->rtx_ssrc != a->ssrc);

    assert_int_equal(fx_send(f, 1, pub_leg(1), vid_ssrc(1), VID_PT, true), 0);
    uint16_t first = (uint16_t)(f->seq - 1);
    /* the publisher's RTX of the next packet (lost) comes first: forwarded as the original */
    tu_sink_clear(&f->sink);
    uint8_t pl[2 + sizeof TU_VP8_DELTA], buf[64];
    hn_wr16(pl, (uint16_t)(first + 1));
    memcpy(pl + 2, TU_VP8_DELTA, sizeof TU_VP8_DELTA);
    size_t len = tu_rtp(buf, 98, 1, 3000u * (first + 1u), 0xc0000001u, pl, sizeof pl);
    assert_int_equal(hn_router_on_rtp(f->r, pub_leg(1), buf, len, f->now += 1000), 0);
    assert_int_equal(tu_count(&f->sink, sub_leg(2), false), 1);
    HnRtpHeader h;
    TuSent *got = tu_nth(&f->sink, sub_leg(2), false, 0);
    assert_int_equal(hn_rtp_parse(got->data, got->len, &h), 0);
    assert_int_equal(h.ssrc, v->ssrc);
    assert_int_equal(h.pt, VID_PT);
    /* the subscriber NACKs it: resent as RTX */
    tu_sink_clear(&f->sink);
    uint8_t nack[32];
    int n = hn_rtcp_write_nack(nack, sizeof nack, 0x99, v->ssrc, &h.seq, 1);
    assert_int_equal(hn_router_on_rtcp(f->r, sub_leg(2), nack, (size_t)n, f->now), 0);
    got = tu_nth(&f->sink, sub_leg(2), false, 0);
    assert_non_null(got);
    HnRtpHeader r;
    assert_int_equal(hn_rtp_parse(got->data, got->len, &r), 0);
    assert_int_equal(r.ssrc, v->rtx_ssrc);
    assert_int_equal(r.pt, 97);
    assert_int_equal(hn_rd16(got->data + r.header_len), h.seq);

    /* a leg without offer/answer (gateway, recorder) learns no RTX SSRC: plain retransmissions */
    assert_int_equal(hn_router_add_transport(f->r, 99, 0x9999, NULL), 0);
    assert_int_equal(
        hn_room_model_join_leg(f->m, 3, "Phòng họp", HN_ROLE_MEMBER, HN_PART_ROOM_SYSTEM, 99), 0);
    hn_room_model_leg_connected(f->m, 99);
    const HnRoomSlot *lv = slot_for(f, 3, 1, "1");
    assert_non_null(lv);
    assert_int_equal(lv->rtx_pt, 0);
}

/* A subscriber whose answer drops the RTX payload type gets plain retransmissions. */
static void test_answer_without_rtx(void **state)
{
    Fx *f = *state;
    fx_join(f, 1, HN_ROLE_MEMBER);
    fx_join(f, 2, HN_ROLE_MEMBER);
    fx_publish_av(f, 1);
    size_t n;
    hn_room_model_offered(f->m, 2, &n);
    assert_int_equal(n, 2);
    bool no_rtx[2] = {true, true};
    assert_int_equal(hn_room_model_sub_answer_rtx(f->m, 2, no_rtx, 2), 0);
    assert_int_equal(hn_room_model_sub_answer(f->m, 2, NULL, 0), 0);
    assert_int_equal(hn_room_model_sub_answer_rtx(f->m, 2, no_rtx, 2), -EPROTO);
    const HnRoomSlot *v = slot_for(f, 2, 1, "1");
    assert_non_null(v);
    assert_int_equal(v->rtx_pt, 0);

    assert_int_equal(fx_send(f, 1, pub_leg(1), vid_ssrc(1), VID_PT, true), 0);
    HnRtpHeader h;
    TuSent *got = tu_nth(&f->sink, sub_leg(2), false, tu_count(&f->sink, sub_leg(2), false) - 1);
    assert_int_equal(hn_rtp_parse(got->data, got->len, &h), 0);
    tu_sink_clear(&f->sink);
    uint8_t nack[32];
    int len = hn_rtcp_write_nack(nack, sizeof nack, 0x99, v->ssrc, &h.seq, 1);
    assert_int_equal(hn_router_on_rtcp(f->r, sub_leg(2), nack, (size_t)len, f->now), 0);
    got = tu_nth(&f->sink, sub_leg(2), false, 0);
    assert_non_null(got);
    HnRtpHeader r;
    assert_int_equal(hn_rtp_parse(got->data, got->len, &r), 0);
    assert_int_equal(r.ssrc, v->ssrc);
    assert_int_equal(r.seq, h.seq);
}

/* A publisher reconnects (new leg) with signalled SSRCs: producers are rebound, the old leg
 * closes, subscribers keep their streams (same output SSRC, no new offer). */
static void test_reconnect_with_ssrcs(void **state)
{
    Fx *f = *state;
    fx_join(f, 1, HN_ROLE_MEMBER);
    fx_join(f, 2, HN_ROLE_MEMBER);
    fx_publish_av(f, 1);
    fx_answer_all(f);
    fx_send(f, 1, pub_leg(1), vid_ssrc(1), VID_PT, true);
    uint32_t before[4];
    assert_int_equal(distinct_ssrcs(f, sub_leg(2), before, 4), 1);
    unsigned offers = offers_to(f, 2);

    const uint32_t NEW = 99;
    assert_int_equal(hn_router_add_transport(f->r, NEW, 0x3000, NULL), 0);
    HnRoomTrackDesc t[2] = {track("0", HN_CODEC_OPUS, AUD_PT, 0xcafe0001),
                            track("1", HN_CODEC_VP8, VID_PT, 0xcafe0002)};
    assert_int_equal(hn_room_model_publish(f->m, 1, NEW, t, 2), 2);
    hn_room_model_leg_closed(f->m, pub_leg(1));
    hn_router_remove_transport(f->r, pub_leg(1));

    tu_sink_clear(&f->sink);
    assert_int_equal(fx_send(f, 1, NEW, 0xcafe0002, VID_PT, true), 0);
    assert_int_equal(fx_send(f, 1, NEW, 0xcafe0001, AUD_PT, false), 0);
    assert_int_equal(tu_count(&f->sink, sub_leg(2), false), 2);
    uint32_t after[4];
    assert_int_equal(distinct_ssrcs(f, sub_leg(2), after, 4), 2);
    assert_true(after[0] == before[0] || after[1] == before[0]);
    assert_int_equal(offers_to(f, 2), offers);
    assert_int_equal(hn_room_model_producers(f->m), 2);
}

/* The same without signalled SSRCs: the producers survive the old leg's closing and are bound
 * to the new leg's SSRCs as their first packets arrive. */
static void test_reconnect_without_ssrcs(void **state)
{
    Fx *f = *state;
    fx_join(f, 1, HN_ROLE_MEMBER);
    fx_join(f, 2, HN_ROLE_MEMBER);
    HnRoomTrackDesc t[2] = {track("0", HN_CODEC_OPUS, AUD_PT, 0),
                            track("1", HN_CODEC_VP8, VID_PT, 0)};
    assert_int_equal(hn_room_model_publish(f->m, 1, pub_leg(1), t, 2), 2);
    assert_int_equal(hn_room_model_producers(f->m), 0); /* waiting for packets */
    assert_int_equal(fx_send(f, 1, pub_leg(1), aud_ssrc(1), AUD_PT, false), 0);
    assert_int_equal(fx_send(f, 1, pub_leg(1), vid_ssrc(1), VID_PT, true), 0);
    assert_int_equal(hn_room_model_producers(f->m), 2);
    fx_answer_all(f);
    /* a renegotiation on the same leg without SSRCs keeps the learnt ones */
    assert_int_equal(hn_room_model_publish(f->m, 1, pub_leg(1), t, 2), 2);
    tu_sink_clear(&f->sink);
    fx_send(f, 1, pub_leg(1), vid_ssrc(1), VID_PT, true);
    fx_send(f, 1, pub_leg(1), aud_ssrc(1), AUD_PT, false);
    assert_int_equal(tu_count(&f->sink, sub_leg(2), false), 2);

    const uint32_t NEW = 99;
    assert_int_equal(hn_router_add_transport(f->r, NEW, 0x3000, NULL), 0);
    assert_int_equal(hn_room_model_publish(f->m, 1, NEW, t, 2), 2);
    hn_room_model_leg_closed(f->m, pub_leg(1));
    hn_router_remove_transport(f->r, pub_leg(1));
    fx_answer_all(f);

    tu_sink_clear(&f->sink);
    assert_int_equal(fx_send(f, 1, NEW, 0xd0d00001, AUD_PT, false), 0);
    assert_int_equal(fx_send(f, 1, NEW, 0xd0d00002, VID_PT, true), 0);
    fx_answer_all(f);
    assert_int_equal(fx_send(f, 1, NEW, 0xd0d00001, AUD_PT, false), 0);
    assert_int_equal(fx_send(f, 1, NEW, 0xd0d00002, VID_PT, true), 0);
    assert_int_equal(hn_room_model_producers(f->m), 2);
    /* both streams reach the subscriber again */
    uint32_t ssrcs[4];
    assert_int_equal(distinct_ssrcs(f, sub_leg(2), ssrcs, 4), 2);
    assert_true(tu_count(&f->sink, sub_leg(2), false) >= 2);
}

/* Removing one track (the client stopped its camera): the video section goes inactive at every
 * subscriber, audio keeps flowing, and the section is reused by the next video track. */
static void test_remove_one_track(void **state)
{
    Fx *f = *state;
    fx_join(f, 1, HN_ROLE_MEMBER);
    fx_join(f, 2, HN_ROLE_MEMBER);
    fx_join(f, 3, HN_ROLE_MEMBER);
    fx_publish_av(f, 1);
    fx_answer_all(f);
    assert_int_equal(hn_room_model_consumers(f->m), 4);
    HnRoomTrackDesc a = track("0", HN_CODEC_OPUS, AUD_PT, aud_ssrc(1));
    assert_int_equal(hn_room_model_publish(f->m, 1, pub_leg(1), &a, 1), 1);
    assert_int_equal(hn_room_model_consumers(f->m), 2);
    assert_int_equal(events_of(f, HN_RE_TRACK_REMOVED), 1);
    size_t n;
    const HnRoomSlot *s = hn_room_model_offered(f->m, 2, &n);
    assert_int_equal(n, 2);
    assert_int_equal(s[1].consumer_id, 0); /* inactive in the new offer */
    fx_answer_all(f);
    tu_sink_clear(&f->sink);
    assert_int_equal(fx_send(f, 1, pub_leg(1), aud_ssrc(1), AUD_PT, false), 0);
    assert_int_equal(fx_send(f, 1, pub_leg(1), vid_ssrc(1), VID_PT, true), -ENOENT);
    assert_int_equal(tu_count(&f->sink, sub_leg(2), false), 1);
    assert_int_equal(tu_count(&f->sink, sub_leg(3), false), 1);

    /* participant 3 starts a camera: participant 2's inactive video section is recycled */
    assert_int_equal(hn_room_model_publish(
                         f->m, 3, pub_leg(3),
                         (HnRoomTrackDesc[]){track("0", HN_CODEC_VP8, VID_PT, vid_ssrc(3))}, 1),
                     1);
    s = hn_room_model_offered(f->m, 2, &n);
    assert_int_equal(n, 2);
    assert_string_equal(s[1].track_id, "p3-0");
}

/* A track muted by the chair forwards nothing to anyone; unmuted, it resumes (video at the
 * next key frame). A member may not mute. */
static void test_muted_forwards_nothing(void **state)
{
    Fx *f = *state;
    fx_join(f, 1, HN_ROLE_CHAIR);
    fx_join(f, 2, HN_ROLE_MEMBER);
    fx_join(f, 3, HN_ROLE_MEMBER);
    fx_publish_av(f, 2);
    fx_answer_all(f);
    assert_int_equal(hn_room_model_mute(f->m, 3, 2, HN_KIND_AUDIO, true), -EPERM);
    assert_int_equal(hn_room_model_mute(f->m, 1, 2, HN_KIND_AUDIO, true), 0);
    assert_int_equal(hn_room_model_mute(f->m, 1, 2, HN_KIND_VIDEO, true), 0);
    assert_int_equal(events_of(f, HN_RE_TRACK_MUTED), 2);
    tu_sink_clear(&f->sink);
    for (int i = 0; i < 10; i++) {
        fx_send(f, 2, pub_leg(2), aud_ssrc(2), AUD_PT, false);
        fx_send(f, 2, pub_leg(2), vid_ssrc(2), VID_PT, i == 0);
    }
    assert_int_equal(tu_count(&f->sink, sub_leg(1), false), 0);
    assert_int_equal(tu_count(&f->sink, sub_leg(3), false), 0);

    /* a participant joining while the track is muted gets it paused too */
    fx_join(f, 4, HN_ROLE_MEMBER);
    fx_answer_all(f);
    fx_send(f, 2, pub_leg(2), aud_ssrc(2), AUD_PT, false);
    assert_int_equal(tu_count(&f->sink, sub_leg(4), false), 0);

    assert_int_equal(hn_room_model_mute(f->m, 1, 2, HN_KIND_AUDIO, false), 0);
    fx_send(f, 2, pub_leg(2), aud_ssrc(2), AUD_PT, false);
    assert_int_equal(tu_count(&f->sink, sub_leg(1), false), 1);
    assert_int_equal(tu_count(&f->sink, sub_leg(3), false), 1);
    assert_int_equal(tu_count(&f->sink, sub_leg(4), false), 1);

    /* a subscriber's own pause stops one view only */
    assert_int_equal(hn_room_model_pause(f->m, 3, 2, "0", true), 0);
    tu_sink_clear(&f->sink);
    fx_send(f, 2, pub_leg(2), aud_ssrc(2), AUD_PT, false);
    assert_int_equal(tu_count(&f->sink, sub_leg(1), false), 1);
    assert_int_equal(tu_count(&f->sink, sub_leg(3), false), 0);
}

/* Video packets subscriber sub receives when publisher pub sends 3 key frames (and audio). */
static unsigned video_to(Fx *f, uint64_t pub, uint64_t sub, unsigned *audio)
{
    tu_sink_clear(&f->sink);
    for (int i = 0; i < 3; i++)
        fx_send(f, pub, pub_leg(pub), vid_ssrc(pub), VID_PT, true);
    unsigned video = tu_count(&f->sink, sub_leg(sub), false);
    fx_send(f, pub, pub_leg(pub), aud_ssrc(pub), AUD_PT, false);
    if (audio)
        *audio = tu_count(&f->sink, sub_leg(sub), false) - video;
    return video;
}

/* The VIDEO_PAUSED events for viewer `to` about publisher pid, the last one's paused, or -1. */
static int last_video_paused(Fx *f, uint64_t to, uint64_t pid)
{
    int last = -1;
    for (guint i = 0; i < f->events->len; i++) {
        HnRoomEvent *e = &g_array_index(f->events, HnRoomEvent, i);
        if (e->type == HN_RE_VIDEO_PAUSED && e->to == to && e->pid == pid)
            last = e->paused;
    }
    return last;
}

/* Last-N = 1: each viewer gets the video of the latest dominant speaker other than itself (in
 * join order before anyone spoke), everyone's audio, and is told whose video it does not get. */
static void test_last_n(void **state)
{
    Fx *f = *state;
    hn_room_model_set_last_n(f->m, 1);
    for (uint64_t pid = 1; pid <= 3; pid++) {
        fx_join(f, pid, HN_ROLE_MEMBER);
        fx_publish_av(f, pid);
    }
    fx_answer_all(f);
    unsigned audio;
    /* nobody spoke yet: join order. 1 sees 2; 2 and 3 see 1 */
    assert_int_equal(video_to(f, 2, 1, &audio), 3);
    assert_int_equal(video_to(f, 3, 1, &audio), 0);
    assert_int_equal(audio, 1); /* audio always */
    assert_int_equal(video_to(f, 1, 2, NULL), 3);
    assert_int_equal(video_to(f, 3, 2, NULL), 0);
    assert_int_equal(video_to(f, 1, 3, NULL), 3);
    assert_int_equal(video_to(f, 2, 3, NULL), 0);
    assert_int_equal(last_video_paused(f, 1, 3), 1);
    assert_int_equal(last_video_paused(f, 2, 3), 1);
    assert_int_equal(last_video_paused(f, 3, 2), 1);
    assert_int_equal(last_video_paused(f, 1, 2), -1); /* never paused: nothing said */

    /* 3 takes the floor: 1 and 2 see 3, 3 still sees 1 */
    hn_room_model_spoke(f->m, 3);
    assert_int_equal(video_to(f, 3, 1, NULL), 3);
    assert_int_equal(video_to(f, 2, 1, NULL), 0);
    assert_int_equal(video_to(f, 3, 2, NULL), 3);
    assert_int_equal(video_to(f, 1, 2, NULL), 0);
    assert_int_equal(video_to(f, 1, 3, NULL), 3);
    assert_int_equal(last_video_paused(f, 1, 3), 0);
    assert_int_equal(last_video_paused(f, 1, 2), 1);
    assert_int_equal(last_video_paused(f, 2, 1), 1);

    /* a subscriber's own pause and last-N add up: resuming last-N does not undo the pause */
    assert_int_equal(hn_room_model_pause(f->m, 1, 2, "1", true), 0);
    hn_room_model_spoke(f->m, 2);
    assert_int_equal(last_video_paused(f, 1, 2), 0);
    assert_int_equal(video_to(f, 2, 1, NULL), 0);
    assert_int_equal(hn_room_model_pause(f->m, 1, 2, "1", false), 0);
    assert_int_equal(video_to(f, 2, 1, NULL), 3);

    /* the latest speaker leaves: the one before takes its place */
    hn_room_model_leave(f->m, 2, HN_LEAVE_LEFT);
    fx_answer_all(f);
    assert_int_equal(video_to(f, 3, 1, NULL), 3);
    HnRoomModelStats st;
    hn_room_model_get_stats(f->m, &st);
    assert_true(st.lastn_pauses >= 4 && st.lastn_resumes >= 3);

    /* off: everyone's video again */
    hn_room_model_set_last_n(f->m, 0);
    assert_int_equal(video_to(f, 1, 3, NULL), 3);
    assert_int_equal(video_to(f, 3, 1, NULL), 3);
    assert_int_equal(last_video_paused(f, 3, 1), 0);
}

/* An observer publishes nothing (its offer is refused) but receives everyone. */
static void test_observer_has_no_producer(void **state)
{
    Fx *f = *state;
    fx_join(f, 1, HN_ROLE_MEMBER);
    fx_join(f, 2, HN_ROLE_OBSERVER);
    assert_int_equal(fx_publish_av(f, 2), -EPERM);
    assert_int_equal(hn_room_model_producers(f->m), 0);
    assert_int_equal(hn_room_model_publishers(f->m), 0);
    fx_publish_av(f, 1);
    fx_answer_all(f);
    tu_sink_clear(&f->sink);
    fx_send(f, 1, pub_leg(1), aud_ssrc(1), AUD_PT, false);
    assert_int_equal(tu_count(&f->sink, sub_leg(2), false), 1);
    /* a member made observer loses its tracks */
    assert_int_equal(hn_room_model_set_role(f->m, 1, HN_ROLE_OBSERVER), 0);
    assert_int_equal(hn_room_model_producers(f->m), 0);
    HnRoomModelStats st;
    hn_room_model_get_stats(f->m, &st);
    assert_int_equal(st.refused_tracks, 2);
}

/* A consumer the media plane refuses is retired and counted, not left as a dead section. */
static void test_consumer_failure_retired(void **state)
{
    Fx *f = *state;
    fx_join(f, 1, HN_ROLE_MEMBER);
    fx_join(f, 2, HN_ROLE_MEMBER);
    fx_publish_av(f, 1);
    f->fail_next_consumer = 1;
    unsigned offers = offers_to(f, 2);
    fx_answer_all(f);
    HnRoomModelStats st;
    hn_room_model_get_stats(f->m, &st);
    assert_int_equal(st.consumer_failures, 1);
    assert_int_equal(hn_room_model_consumers(f->m), 1);
    assert_true(offers_to(f, 2) > offers); /* the dead section is offered inactive */
    size_t n;
    const HnRoomSlot *s = hn_room_model_offered(f->m, 2, &n);
    unsigned active = 0;
    for (size_t i = 0; i < n; i++)
        active += s[i].consumer_id != 0;
    assert_int_equal(active, 1);
}

/* Lobby: no media until admitted; then an offer with every track. An offer out when the view
 * changes is followed by another once answered. */
static void test_lobby_and_reoffer(void **state)
{
    Fx *f = *state;
    fx_join(f, 1, HN_ROLE_MEMBER);
    fx_publish_av(f, 1);
    assert_int_equal(hn_router_add_transport(f->r, sub_leg(2), 0x2002, NULL), 0);
    assert_int_equal(hn_room_model_join(f->m, 2, "Khách", HN_ROLE_MEMBER, HN_PART_BROWSER, true),
                     0);
    hn_room_model_set_sub_leg(f->m, 2, sub_leg(2));
    hn_room_model_leg_connected(f->m, sub_leg(2));
    assert_int_equal(offers_to(f, 2), 0);
    assert_int_equal(fx_publish_av(f, 2), -EPERM);
    uint64_t roster[4];
    assert_int_equal(hn_room_model_roster(f->m, roster, 4), 1);

    assert_int_equal(hn_room_model_admit(f->m, 2), 0);
    assert_int_equal(hn_room_model_admit(f->m, 2), -EALREADY);
    assert_int_equal(offers_to(f, 2), 1);
    assert_true(hn_room_model_offer_pending(f->m, 2));
    fx_join(f, 3, HN_ROLE_MEMBER);
    fx_publish_av(f, 3); /* changes 2's view while its first offer is out */
    assert_int_equal(offers_to(f, 2), 1);
    assert_int_equal(hn_room_model_sub_answer(f->m, 2, NULL, 0), 0);
    assert_int_equal(offers_to(f, 2), 2);
    size_t n;
    hn_room_model_offered(f->m, 2, &n);
    assert_int_equal(n, 4);
    assert_int_equal(hn_room_model_sub_answer(f->m, 2, NULL, 0), 0);
    assert_int_equal(hn_room_model_sub_answer(f->m, 2, NULL, 0), -EPROTO);
    /* a section the client rejected is never forwarded nor reused */
    bool rej[4] = {false, true, false, false};
    fx_join(f, 4, HN_ROLE_MEMBER);
    fx_publish_av(f, 4);
    hn_room_model_offered(f->m, 2, &n);
    assert_int_equal(hn_room_model_sub_answer(f->m, 2, rej, 4), 0);
    tu_sink_clear(&f->sink);
    fx_send(f, 1, pub_leg(1), vid_ssrc(1), VID_PT, true);
    fx_send(f, 1, pub_leg(1), aud_ssrc(1), AUD_PT, false);
    assert_int_equal(tu_count(&f->sink, sub_leg(2), false), 1);
}

/* A participant leaving takes its producers and consumers; the others' views drop its
 * sections. An offer that cannot be sent is asked for again at the next change. */
static void test_leave_and_failed_offer(void **state)
{
    Fx *f = *state;
    fx_join(f, 1, HN_ROLE_MEMBER);
    fx_join(f, 2, HN_ROLE_MEMBER);
    fx_publish_av(f, 1);
    fx_publish_av(f, 2);
    fx_answer_all(f);
    assert_int_equal(hn_room_model_consumers(f->m), 4);
    assert_int_equal(hn_room_model_leave(f->m, 1, HN_LEAVE_DISCONNECTED), 0);
    assert_int_equal(hn_room_model_leave(f->m, 1, HN_LEAVE_LEFT), -ENOENT);
    assert_int_equal(hn_room_model_consumers(f->m), 0);
    assert_int_equal(hn_room_model_producers(f->m), 2);
    assert_int_equal(events_of(f, HN_RE_PARTICIPANT_LEFT), 1);
    HnRoomEvent last = g_array_index(f->events, HnRoomEvent, f->events->len - 1);
    assert_int_equal(last.type, HN_RE_PARTICIPANT_LEFT);
    assert_int_equal(last.reason, HN_LEAVE_DISCONNECTED);
    fx_answer_all(f);

    f->fail_offers = 1;
    fx_join(f, 3, HN_ROLE_MEMBER);
    assert_false(hn_room_model_offer_pending(f->m, 3));
    f->fail_offers = 0;
    fx_join(f, 4, HN_ROLE_MEMBER);
    fx_publish_av(f, 4);
    assert_true(hn_room_model_offer_pending(f->m, 3));
    size_t n;
    hn_room_model_offered(f->m, 3, &n);
    assert_int_equal(n, 4); /* participant 2's and 4's tracks */
}

/* Sections beyond the limit are refused and counted; the view keeps working. */
static void test_section_limit(void **state)
{
    Fx *f = *state;
    hn_room_model_set_max_sections(f->m, 3);
    fx_join(f, 1, HN_ROLE_MEMBER);
    fx_join(f, 2, HN_ROLE_MEMBER);
    fx_join(f, 3, HN_ROLE_MEMBER);
    fx_publish_av(f, 2);
    fx_publish_av(f, 3);
    fx_answer_all(f);
    size_t n;
    hn_room_model_offered(f->m, 1, &n);
    assert_int_equal(n, 3);
    HnRoomModelStats st;
    hn_room_model_get_stats(f->m, &st);
    assert_int_equal(st.refused_tracks, 1);
}

/* Sends one H.264 IDR packet (or a VP8 key frame when vp8) on leg; rc of the router. */
static int fx_send_key(Fx *f, uint32_t leg, uint32_t ssrc, uint8_t pt, bool vp8)
{
    static const uint8_t idr[] = {0x65, 0x88, 0x84, 0x00, 0x33};
    uint8_t buf[64];
    uint16_t seq = f->seq++;
    size_t len = vp8 ? tu_rtp(buf, pt, seq, 3000u * seq, ssrc, TU_VP8_KEY, sizeof TU_VP8_KEY)
                     : tu_rtp(buf, pt, seq, 3000u * seq, ssrc, idr, sizeof idr);
    f->now += 1000;
    return hn_router_on_rtp(f->r, leg, buf, len, f->now);
}

static unsigned rtp_on(Fx *f, uint32_t leg, uint8_t pt)
{
    unsigned n = 0;
    for (guint i = 0; i < f->sink.sent->len; i++) {
        TuSent *p = tu_at(&f->sink, i);
        n += p->transport_id == leg && !p->rtcp && (p->data[1] & 0x7f) == pt;
    }
    return n;
}

/* Answers pid's offer rejecting its H.264 video sections (a browser without H.264). */
static void fx_answer_no_h264(Fx *f, uint64_t pid)
{
    size_t n;
    const HnRoomSlot *s = hn_room_model_offered(f->m, pid, &n);
    bool rej[16] = {0};
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++)
        rej[i] = s[i].consumer_id && s[i].codec.id == HN_CODEC_H264;
    assert_int_equal(hn_room_model_sub_answer(f->m, pid, rej, n), 0);
}

/* A room system's H.264: forwarded as is to the subscriber that accepted it; the one that
 * rejected it gets a VP8 section fed by one transcode, which stops with the last such viewer. */
static void test_h264_transcoded_for_who_rejects_it(void **state)
{
    Fx *f = *state;
    fx_join(f, 1, HN_ROLE_SITE);
    fx_join(f, 2, HN_ROLE_MEMBER);
    fx_join(f, 3, HN_ROLE_MEMBER);
    fx_join(f, 4, HN_ROLE_MEMBER);
    /* video listed first (as whip_client.py's offer): the views still start with audio */
    HnRoomTrackDesc t[2] = {track("1", HN_CODEC_H264, 102, vid_ssrc(1)),
                            track("0", HN_CODEC_OPUS, AUD_PT, aud_ssrc(1))};
    g_strlcpy(t[0].codec.fmtp, "packetization-mode=1", sizeof t[0].codec.fmtp);
    assert_int_equal(hn_room_model_publish(f->m, 1, pub_leg(1), t, 2), 2);
    fx_answer_no_h264(f, 2);
    fx_answer_no_h264(f, 4);
    assert_int_equal(f->tx_started, 1); /* one transcode for both */
    assert_int_equal(hn_room_model_transcodes(f->m), 1);
    assert_int_equal(f->tx_src, hn_room_model_producer_of(f->m, 1, "1"));
    fx_answer_all(f); /* 2 and 4 accept the VP8 section, 3 the H.264 one */
    const HnRoomSlot *v = slot_for(f, 2, 1, "1-vp8");
    assert_non_null(v);
    assert_int_equal(v->codec.id, HN_CODEC_VP8);
    assert_int_equal(v->producer_id, f->tx_derived);
    assert_string_equal(v->participant, "p1");
    assert_null(slot_for(f, 3, 1, "1-vp8"));
    /* the audio section comes first (the BUNDLE transport: a rejected first section breaks
     * Firefox's connection) and stays first: the VP8 one is appended */
    size_t n;
    const HnRoomSlot *all = hn_room_model_offered(f->m, 2, &n);
    assert_int_equal(n, 3);
    assert_int_equal(all[0].kind, HN_KIND_AUDIO);
    assert_true(all[1].rejected);
    assert_int_equal(all[2].codec.id, HN_CODEC_VP8);

    assert_int_equal(fx_send_key(f, pub_leg(1), vid_ssrc(1), 102, false), 0);
    assert_int_equal(fx_send_key(f, 9000 + f->tx_derived, f->tx_ssrc, 96, true), 0);
    uint8_t h264_pt = slot_for(f, 3, 1, "1")->codec.pt;  /* the server's */
    assert_int_equal(rtp_on(f, sub_leg(3), h264_pt), 1); /* H.264 as is */
    assert_int_equal(rtp_on(f, sub_leg(3), 96), 0);
    assert_int_equal(rtp_on(f, sub_leg(2), 96), 1); /* VP8 */
    assert_int_equal(rtp_on(f, sub_leg(2), h264_pt), 0);
    assert_int_equal(rtp_on(f, sub_leg(4), 96), 1);

    /* the chair's mute pauses the transcoded stream too */
    fx_join(f, 5, HN_ROLE_CHAIR);
    fx_answer_all(f);
    assert_int_equal(hn_room_model_mute(f->m, 5, 1, HN_KIND_VIDEO, true), 0);
    assert_int_equal(fx_send_key(f, 9000 + f->tx_derived, f->tx_ssrc, 96, true), 0);
    assert_int_equal(rtp_on(f, sub_leg(2), 96), 1);
    assert_int_equal(hn_room_model_mute(f->m, 5, 1, HN_KIND_VIDEO, false), 0);

    assert_int_equal(hn_room_model_leave(f->m, 2, HN_LEAVE_LEFT), 0);
    assert_int_equal(f->tx_stopped, 0); /* 4 still needs it */
    assert_int_equal(hn_room_model_leave(f->m, 4, HN_LEAVE_LEFT), 0);
    assert_int_equal(f->tx_stopped, 1);
    assert_int_equal(hn_room_model_transcodes(f->m), 0);
}

/* The publisher leaving stops its transcode; a refused transcode is counted, not retried. */
static void test_transcode_ends_with_producer(void **state)
{
    Fx *f = *state;
    fx_join(f, 1, HN_ROLE_SITE);
    fx_join(f, 2, HN_ROLE_MEMBER);
    HnRoomTrackDesc t = track("1", HN_CODEC_H264, 102, vid_ssrc(1));
    assert_int_equal(hn_room_model_publish(f->m, 1, pub_leg(1), &t, 1), 1);
    fx_answer_no_h264(f, 2);
    assert_int_equal(f->tx_started, 1);
    fx_answer_all(f);
    assert_int_equal(hn_room_model_leave(f->m, 1, HN_LEAVE_LEFT), 0);
    assert_int_equal(f->tx_stopped, 1);
    assert_int_equal(hn_room_model_transcodes(f->m), 0);
    assert_null(slot_for(f, 2, 1, "1-vp8"));
    fx_answer_all(f);

    /* a new H.264 publisher, and the shell cannot transcode (its transport is taken) */
    fx_join(f, 3, HN_ROLE_SITE);
    assert_int_equal(hn_router_add_transport(f->r, 9000 + 4, 1, NULL), 0); /* derived id 4 */
    HnRoomTrackDesc t3 = track("1", HN_CODEC_H264, 102, vid_ssrc(3));
    assert_int_equal(hn_room_model_publish(f->m, 3, pub_leg(3), &t3, 1), 1);
    fx_answer_no_h264(f, 2);
    fx_answer_all(f);
    HnRoomModelStats st;
    hn_room_model_get_stats(f->m, &st);
    assert_int_equal(st.transcode_failures, 1);
    assert_int_equal(f->tx_started, 2);
    assert_int_equal(hn_room_model_transcodes(f->m), 0);
    assert_null(slot_for(f, 2, 3, "1-vp8"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_forty_publishers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_renegotiate_payload_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconnect_with_ssrcs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconnect_without_ssrcs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_one_track, setup, teardown),
        cmocka_unit_test_setup_teardown(test_muted_forwards_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_observer_has_no_producer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consumer_failure_retired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lobby_and_reoffer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leave_and_failed_offer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_section_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_n, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rtx_sections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answer_without_rtx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h264_transcoded_for_who_rejects_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transcode_ends_with_producer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

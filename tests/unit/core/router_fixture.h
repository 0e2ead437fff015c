/* Router test fixture: a room with a publisher and two subscribers, a fake sink and a fake clock
 * (fx->now, advanced by the tests). */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/router.h"
#include "core/rtcp.h"
#include "test_util.h"

enum { PUB = 1, SUB1 = 2, SUB2 = 3, PUB2 = 4 };
enum { VID = 10, AUD = 11 };
enum { C_VID1 = 100, C_AUD1 = 101, C_VID2 = 102 };
#define PUB_RTCP_SSRC  0x1001u
#define SUB1_RTCP_SSRC 0x2001u
#define VID_SSRC       0xa0a0a0a0u
#define AUD_SSRC       0xb0b0b0b0u
#define OUT_VID1       0x5001u
#define OUT_AUD1       0x5002u
#define OUT_VID2       0x6001u
#define VID_PT         96
#define AUD_PT         111
#define OUT_VID_PT     100
#define OUT_AUD_PT     109

typedef struct {
    HnRouter *r;
    TuSink sink;
    int64_t now;
} Fx;

static inline HnCodec fx_codec(HnCodecId id)
{
    HnCodec c = {.id = id, .kind = HN_KIND_VIDEO, .pt = VID_PT, .clock_rate = 90000};
    c.feedback = HN_FB_NACK | HN_FB_PLI | HN_FB_FIR;
    if (id == HN_CODEC_OPUS) {
        c.kind = HN_KIND_AUDIO;
        c.pt = AUD_PT;
        c.clock_rate = 48000;
        c.channels = 2;
        c.feedback = 0;
    }
    return c;
}

/* Runs every timer due at fx->now. */
static inline void fx_timers(Fx *f)
{
    for (int guard = 0; guard < 100 && hn_router_next_deadline(f->r) <= f->now; guard++)
        hn_router_on_timeout(f->r, f->now);
}

static inline int fx_setup(void **state)
{
    Fx *f = g_new0(Fx, 1);
    tu_sink_init(&f->sink);
    HnRouterSink sink = {.send_rtp = tu_send_rtp, .send_rtcp = tu_send_rtcp};
    f->r = hn_router_new(&sink, &f->sink);
    f->now = 10 * 1000000;
    assert_int_equal(hn_router_add_transport(f->r, PUB, PUB_RTCP_SSRC, NULL), 0);
    assert_int_equal(hn_router_add_transport(f->r, SUB1, SUB1_RTCP_SSRC, NULL), 0);
    assert_int_equal(hn_router_add_transport(f->r, SUB2, 0x3001, NULL), 0);
    HnCodec vp8 = fx_codec(HN_CODEC_VP8), opus = fx_codec(HN_CODEC_OPUS);
    assert_int_equal(hn_router_add_producer(f->r, VID, PUB, &vp8, VID_SSRC), 0);
    assert_int_equal(hn_router_add_producer(f->r, AUD, PUB, &opus, AUD_SSRC), 0);
    *state = f;
    return 0;
}

static inline int fx_teardown(void **state)
{
    Fx *f = *state;
    hn_router_free(f->r);
    tu_sink_free(&f->sink);
    g_free(f);
    return 0;
}

static inline int fx_rtp(Fx *f, uint32_t tid, uint32_t ssrc, uint8_t pt, uint16_t seq, uint32_t ts,
                         const uint8_t *payload, size_t plen)
{
    uint8_t buf[HN_ROUTER_MAX_PACKET];
    size_t len = tu_rtp(buf, pt, seq, ts, ssrc, payload, plen);
    return hn_router_on_rtp(f->r, tid, buf, len, f->now);
}

static inline int fx_vp8(Fx *f, uint16_t seq, uint32_t ts, bool key)
{
    return key ? fx_rtp(f, PUB, VID_SSRC, VID_PT, seq, ts, TU_VP8_KEY, sizeof(TU_VP8_KEY))
               : fx_rtp(f, PUB, VID_SSRC, VID_PT, seq, ts, TU_VP8_DELTA, sizeof(TU_VP8_DELTA));
}

static inline HnRtpHeader fx_hdr(const TuSent *p)
{
    HnRtpHeader h;
    assert_non_null(p);
    assert_int_equal(hn_rtp_parse(p->data, p->len, &h), 0);
    return h;
}

/* Counts PLIs (and FIRs) with the given media SSRC in the RTCP sent to tid. */
static inline unsigned fx_count_fb(Fx *f, uint32_t tid, HnRtcpKind kind, uint32_t media_ssrc)
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
            uint32_t target = p.media_ssrc;
            uint8_t seq;
            if (p.kind == HN_RTCP_KIND_FIR)
                hn_rtcp_fir_item(&p, 0, &target, &seq);
            if (p.kind == kind && target == media_ssrc)
                n++;
        }
    }
    return n;
}

static inline uint64_t fx_drops(Fx *f, HnDropReason reason)
{
    HnRouterStats st;
    hn_router_get_stats(f->r, &st);
    return st.drops[reason];
}

/* Adds the video consumer on SUB1 and starts it with a key frame (seq 1000, ts 90000). */
static inline void fx_start_video(Fx *f)
{
    assert_int_equal(hn_router_add_consumer(f->r, C_VID1, VID, SUB1, OUT_VID1, OUT_VID_PT), 0);
    fx_timers(f);
    assert_int_equal(fx_vp8(f, 1000, 90000, true), 0);
    tu_sink_clear(&f->sink);
}

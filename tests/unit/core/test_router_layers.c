/* Unit tests of the router's simulcast glue (core/router_layers.c): layer SSRCs learnt from the
 * rid header extension, a consumer switching layers only on a key frame of the target with
 * continuous seq, timestamps and VP8 picture IDs, temporal layers dropped with the output seqs
 * closed, NACKs and RTX per layer. Fake sink, fake clock. */
#include "router_fixture.h"

#include "core/vp8.h"

#include <errno.h>

#define EXT_RID    4
#define EXT_RRID   5
#define RTX_PT     97
#define SSRC(l)    (0x11110000u + (l))
#define RTXSSRC(l) (0x22220000u + (l))
static const char *const RIDS[3] = {"q", "h", "f"};

/* One VP8 packet of layer l: rid (or repaired rid for RTX) header extension, descriptor with
 * picture ID, TL0PICIDX and TID, then [l, seq_hi, seq_lo] to recognise it on the way out. */
static size_t layer_pkt(uint8_t *b, unsigned l, uint16_t seq, uint32_t ts, uint16_t pid,
                        uint8_t tl0, uint8_t tid, bool key, size_t pad)
{
    size_t n = 0;
    b[n++] = 0x90;
    b[n++] = VID_PT;
    hn_wr16(b + 2, seq);
    hn_wr32(b + 4, ts);
    hn_wr32(b + 8, SSRC(l));
    n = 12;
    b[n++] = 0xbe;
    b[n++] = 0xde;
    b[n++] = 0;
    b[n++] = 1; /* one word: id/len byte, 1-byte rid, 2 padding */
    b[n++] = (uint8_t)(EXT_RID << 4 | 0);
    b[n++] = (uint8_t)RIDS[l][0];
    b[n++] = 0;
    b[n++] = 0;
    b[n++] = 0x90;
    b[n++] = 0xe0;
    b[n++] = (uint8_t)(0x80 | (pid >> 8));
    b[n++] = (uint8_t)pid;
    b[n++] = tl0;
    b[n++] = (uint8_t)(tid << 6);
    b[n++] = key ? 0x00 : 0x01;
    b[n++] = 0;
    b[n++] = 0;
    if (key) {
        uint16_t w = (uint16_t)(320u << l), h = (uint16_t)(180u << l);
        const uint8_t k[] = {
            0x9d, 0x01, 0x2a, (uint8_t)w, (uint8_t)(w >> 8), (uint8_t)h, (uint8_t)(h >> 8)};
        memcpy(b + n, k, sizeof k);
        n += sizeof k;
    }
    memset(b + n, 0x77, pad);
    n += pad;
    b[n++] = (uint8_t)l;
    hn_wr16(b + n, seq);
    n += 2;
    return n;
}

typedef struct {
    uint16_t seq[3];
    uint16_t pid[3];
    uint8_t tl0[3];
    uint32_t ts;
} Pub;

/* One frame (one packet) on every layer; TIDs follow the 0-2-1-2 pattern of 3 temporal layers. */
static void frame(Fx *f, Pub *p, unsigned frame_no, bool key_mask[3], size_t pad[3])
{
    static const uint8_t pattern[4] = {0, 2, 1, 2};
    uint8_t tid = pattern[frame_no % 4];
    for (unsigned l = 0; l < 3; l++) {
        uint8_t b[1500];
        bool key = key_mask && key_mask[l];
        if (tid == 0)
            p->tl0[l]++;
        size_t n = layer_pkt(b, l, p->seq[l]++, p->ts, p->pid[l]++, p->tl0[l], key ? 0 : tid, key,
                             pad ? pad[l] : 0);
        assert_int_equal(hn_router_on_rtp(f->r, PUB, b, n, f->now), 0);
    }
    p->ts += 3000;
}

static HnSimulcastDesc desc(void)
{
    HnSimulcastDesc d = {.n_layers = 3, .ext_rid = EXT_RID, .ext_rrid = EXT_RRID};
    for (int i = 0; i < 3; i++)
        strcpy(d.rids[i], RIDS[i]);
    return d;
}

static void make_layers(Fx *f)
{
    assert_int_equal(hn_router_set_producer_rtx(f->r, VID, RTX_PT, 0), 0);
    HnSimulcastDesc d = desc();
    assert_int_equal(hn_router_set_producer_layers(f->r, VID, &d), 0);
}

/* The layer and input seq a forwarded packet came from (its last 3 bytes). */
static unsigned out_layer(const TuSent *s, uint16_t *in_seq)
{
    *in_seq = hn_rd16(s->data + s->len - 2);
    return s->data[s->len - 3];
}

static HnVp8Descriptor out_vp8(const TuSent *s)
{
    HnRtpHeader h = fx_hdr(s);
    HnVp8Descriptor d;
    assert_int_equal(hn_vp8_parse(s->data + h.header_len, h.payload_len, &d), 0);
    return d;
}

static void test_api_errors(void **state)
{
    Fx *f = *state;
    HnSimulcastDesc d = desc();
    assert_int_equal(hn_router_set_producer_layers(f->r, 999, &d), -ENOENT);
    assert_int_equal(hn_router_set_producer_layers(f->r, AUD, &d), -EINVAL);
    d.n_layers = 1;
    assert_int_equal(hn_router_set_producer_layers(f->r, VID, &d), -EINVAL);
    d = desc();
    d.ext_rid = 0; /* no way to learn the SSRCs */
    assert_int_equal(hn_router_set_producer_layers(f->r, VID, &d), -EINVAL);
    HnCodec vp8 = fx_codec(HN_CODEC_VP8);
    assert_int_equal(hn_router_add_producer(f->r, HN_ROUTER_LAYER_ID_BASE + 1, PUB, &vp8, 77),
                     -EINVAL);
    unsigned mask, n;
    assert_int_equal(hn_router_get_wanted_layers(f->r, VID, &mask, &n), -EINVAL);
    assert_int_equal(hn_router_set_consumer_view(f->r, 999, 1, 1, f->now), -ENOENT);
}

/* A small tile gets the lowest layer, learnt from the rid; the others are not forwarded. */
static void test_small_tile_gets_low_layer(void **state)
{
    Fx *f = *state;
    make_layers(f);
    assert_int_equal(hn_router_add_consumer(f->r, C_VID1, VID, SUB1, OUT_VID1, OUT_VID_PT), 0);
    assert_int_equal(hn_router_set_consumer_view(f->r, C_VID1, 200, 150, f->now), 0);
    fx_timers(f);
    Pub p = {.ts = 1000};
    bool keys[3] = {true, true, true};
    frame(f, &p, 0, keys, NULL);
    for (unsigned i = 1; i < 10; i++) {
        f->now += 33000;
        frame(f, &p, i, NULL, NULL);
    }
    assert_int_equal(tu_count(&f->sink, SUB1, false), 10);
    for (unsigned i = 0; i < 10; i++) {
        uint16_t in;
        TuSent *s = tu_nth(&f->sink, SUB1, false, i);
        assert_int_equal(out_layer(s, &in), 0);
        assert_int_equal(fx_hdr(s).ssrc, OUT_VID1);
        assert_false(fx_hdr(s).extension); /* the rid extension is not forwarded */
    }
    HnConsumerStats cs;
    assert_int_equal(hn_router_get_consumer_stats(f->r, C_VID1, &cs), 0);
    assert_true(cs.simulcast);
    assert_int_equal(cs.layer, 0);
    assert_int_equal(cs.tile_w, 200);
    assert_true(fx_drops(f, HN_DROP_LAYER_NOT_SELECTED) >= 18);
    /* an unknown SSRC without a rid is still unknown */
    assert_int_equal(fx_rtp(f, PUB, 0xdead, VID_PT, 1, 1, TU_VP8_KEY, sizeof TU_VP8_KEY), -ENOENT);
}

/* A tile grows: the target layer is asked for a key frame (PLI to its SSRC), its delta frames
 * wait, the low layer goes on meanwhile, then the switch on the key frame with seq, timestamps,
 * picture IDs and TL0PICIDX continuous. */
static void test_switch_on_keyframe_continuous(void **state)
{
    Fx *f = *state;
    make_layers(f);
    assert_int_equal(hn_router_add_consumer(f->r, C_VID1, VID, SUB1, OUT_VID1, OUT_VID_PT), 0);
    assert_int_equal(hn_router_set_consumer_view(f->r, C_VID1, 200, 150, f->now), 0);
    Pub p = {.seq = {100, 5000, 60000}, .pid = {10, 2000, 32760}, .tl0 = {1, 50, 250}, .ts = 1000};
    bool keys[3] = {true, true, true};
    frame(f, &p, 0, keys, NULL);
    for (unsigned i = 1; i < 8; i++) {
        f->now += 33000;
        frame(f, &p, i, NULL, NULL);
    }
    tu_sink_clear(&f->sink);
    f->now += 600000; /* past the key frame request throttle */
    assert_int_equal(hn_router_set_consumer_view(f->r, C_VID1, 1200, 700, f->now), 0);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, SSRC(2)), 1);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, SSRC(0)), 0);
    for (unsigned i = 8; i < 12; i++) { /* no key frame yet: still the low layer */
        f->now += 33000;
        frame(f, &p, i, NULL, NULL);
    }
    bool key_f[3] = {false, false, true};
    f->now += 33000;
    frame(f, &p, 12, key_f, NULL);
    for (unsigned i = 13; i < 20; i++) {
        f->now += 33000;
        frame(f, &p, i, NULL, NULL);
    }
    unsigned n = tu_count(&f->sink, SUB1, false);
    assert_int_equal(n, 13); /* frame 12 of the low layer comes before the key frame */
    HnRtpHeader prev = fx_hdr(tu_nth(&f->sink, SUB1, false, 0));
    HnVp8Descriptor prev_d = out_vp8(tu_nth(&f->sink, SUB1, false, 0));
    for (unsigned i = 1; i < n; i++) {
        TuSent *s = tu_nth(&f->sink, SUB1, false, i);
        uint16_t in;
        unsigned layer = out_layer(s, &in);
        assert_int_equal(layer, i < 5 ? 0 : 2);
        HnRtpHeader h = fx_hdr(s);
        HnVp8Descriptor d = out_vp8(s);
        assert_int_equal(h.seq, (uint16_t)(prev.seq + 1));
        assert_true(h.ts - prev.ts > 0 && h.ts - prev.ts < 90000);
        assert_int_equal(d.picture_id, (prev_d.picture_id + 1) & 0x7fff);
        if (d.tid == 0)
            assert_int_equal(d.tl0picidx, (uint8_t)(prev_d.tl0picidx + 1));
        else
            assert_int_equal(d.tl0picidx, prev_d.tl0picidx);
        prev = h;
        prev_d = d;
    }
    HnConsumerStats cs;
    assert_int_equal(hn_router_get_consumer_stats(f->r, C_VID1, &cs), 0);
    assert_int_equal(cs.layer, 2);
    assert_int_equal(cs.layer_switches, 1);
    HnRouterStats st;
    hn_router_get_stats(f->r, &st);
    assert_int_equal(st.layer_switches, 1);
    unsigned mask, nl;
    assert_int_equal(hn_router_get_wanted_layers(f->r, VID, &mask, &nl), 0);
    assert_int_equal(mask, 1u << 2);
    assert_int_equal(nl, 3);
    /* the tile shrinks again: back to the low layer on its next key frame; the top layer is
     * no longer wanted once the switch is done */
    tu_sink_clear(&f->sink);
    f->now += 600000;
    assert_int_equal(hn_router_set_consumer_view(f->r, C_VID1, 160, 90, f->now), 0);
    fx_timers(f);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, SSRC(0)), 1);
    assert_int_equal(hn_router_get_wanted_layers(f->r, VID, &mask, &nl), 0);
    assert_int_equal(mask, 1u << 0 | 1u << 2);
    bool key_q[3] = {true, false, false};
    f->now += 33000;
    frame(f, &p, 20, key_q, NULL);
    assert_int_equal(hn_router_get_consumer_stats(f->r, C_VID1, &cs), 0);
    assert_int_equal(cs.layer, 0);
    assert_int_equal(hn_router_get_wanted_layers(f->r, VID, &mask, &nl), 0);
    assert_int_equal(mask, 1u << 0);
    /* a subscriber's PLI goes to the layer it forwards (the low one again) */
    uint8_t pli[12];
    assert_true(hn_rtcp_write_pli(pli, sizeof pli, SUB1_RTCP_SSRC, OUT_VID1) > 0);
    tu_sink_clear(&f->sink);
    f->now += 600000;
    assert_int_equal(hn_router_on_rtcp(f->r, SUB1, pli, sizeof pli, f->now), 0);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_PLI, SSRC(0)), 1);
}

/* An estimate just below the layer: TID 2 dropped, output seqs with no hole, a NACK of an
 * output seq resends the right packet. */
static void test_temporal_drop_and_nack(void **state)
{
    Fx *f = *state;
    make_layers(f);
    assert_int_equal(hn_router_add_consumer(f->r, C_VID1, VID, SUB1, OUT_VID1, OUT_VID_PT), 0);
    Pub p = {.ts = 1000};
    bool keys[3] = {true, true, true};
    size_t pad[3] = {50, 200, 900};
    frame(f, &p, 0, keys, pad);
    unsigned i = 1;
    for (; i < 60; i++) { /* 2 s at 30 fps: the rates get measured */
        f->now += 33333;
        frame(f, &p, i, NULL, pad);
        fx_timers(f);
    }
    /* layer 2: ~950 bytes x 30/s ~ 230 kbit/s; just below it */
    assert_int_equal(hn_router_set_transport_estimate(f->r, SUB1, 200000, HN_ESTIMATE_HINT), 0);
    f->now += 1000000;
    fx_timers(f);
    HnConsumerStats cs;
    assert_int_equal(hn_router_get_consumer_stats(f->r, C_VID1, &cs), 0);
    assert_int_equal(cs.layer, 2);
    assert_int_equal(cs.target_layer, 2);
    assert_int_equal(cs.max_tid, 1);
    tu_sink_clear(&f->sink);
    for (unsigned k = 0; k < 16; k++, i++) {
        f->now += 33333;
        frame(f, &p, i, NULL, pad);
    }
    unsigned n = tu_count(&f->sink, SUB1, false);
    assert_int_equal(n, 8); /* TID 2 is every other frame */
    assert_true(fx_drops(f, HN_DROP_TEMPORAL_LAYER) >= 8);
    HnRtpHeader first = fx_hdr(tu_nth(&f->sink, SUB1, false, 0));
    for (unsigned k = 1; k < n; k++) {
        TuSent *s = tu_nth(&f->sink, SUB1, false, k);
        assert_int_equal(fx_hdr(s).seq, (uint16_t)(first.seq + k));
        assert_true(out_vp8(s).tid <= 1);
    }
    /* NACK the 4th output packet: the same input packet comes back, same seq and picture ID */
    TuSent *want = tu_nth(&f->sink, SUB1, false, 3);
    uint16_t want_in;
    out_layer(want, &want_in);
    uint16_t want_pid = out_vp8(want).picture_id;
    uint16_t nseq = (uint16_t)(first.seq + 3);
    uint8_t nack[64];
    int len = hn_rtcp_write_nack(nack, sizeof nack, SUB1_RTCP_SSRC, OUT_VID1, &nseq, 1);
    assert_true(len > 0);
    tu_sink_clear(&f->sink);
    assert_int_equal(hn_router_on_rtcp(f->r, SUB1, nack, (size_t)len, f->now), 0);
    TuSent *s = tu_nth(&f->sink, SUB1, false, 0);
    assert_non_null(s);
    uint16_t in;
    assert_int_equal(out_layer(s, &in), 2);
    assert_int_equal(in, want_in);
    assert_int_equal(fx_hdr(s).seq, nseq);
    assert_int_equal(out_vp8(s).picture_id, want_pid);
}

/* A layer's RTX is learnt from the repaired rid and recovers that layer's loss. */
static void test_layer_rtx(void **state)
{
    Fx *f = *state;
    make_layers(f);
    assert_int_equal(hn_router_add_consumer(f->r, C_VID1, VID, SUB1, OUT_VID1, OUT_VID_PT), 0);
    uint8_t b[1500];
    size_t n = layer_pkt(b, 2, 10, 1000, 1, 1, 0, true, 0);
    assert_int_equal(hn_router_on_rtp(f->r, PUB, b, n, f->now), 0);
    n = layer_pkt(b, 2, 12, 4000, 3, 1, 0, false, 0); /* 11 lost */
    assert_int_equal(hn_router_on_rtp(f->r, PUB, b, n, f->now), 0);
    f->now += 100000;
    fx_timers(f);
    assert_int_equal(fx_count_fb(f, PUB, HN_RTCP_KIND_NACK, SSRC(2)), 1);
    /* RTX: repaired rid "f", OSN 11 then the original payload */
    n = layer_pkt(b, 2, 11, 1000, 2, 1, 0, false, 0);
    uint8_t rtx[1500];
    memcpy(rtx, b, 20); /* header and extension block */
    rtx[1] = RTX_PT;
    hn_wr16(rtx + 2, 1);
    hn_wr32(rtx + 8, RTXSSRC(2));
    rtx[16] = (uint8_t)(EXT_RRID << 4 | 0);
    hn_wr16(rtx + 20, 11);
    memcpy(rtx + 22, b + 20, n - 20);
    tu_sink_clear(&f->sink);
    assert_int_equal(hn_router_on_rtp(f->r, PUB, rtx, n + 2, f->now), 0);
    HnRouterStats st;
    hn_router_get_stats(f->r, &st);
    assert_int_equal(st.rtx_in, 1);
    assert_int_equal(st.nack_recovered, 1);
    TuSent *s = tu_nth(&f->sink, SUB1, false, 0);
    uint16_t in;
    assert_int_equal(out_layer(s, &in), 2);
    assert_int_equal(in, 11);
    /* removing the producer takes its layers */
    hn_router_remove_producer(f->r, VID);
    assert_int_equal(hn_router_on_rtp(f->r, PUB, b, n, f->now), -ENOENT);
}

typedef struct {
    unsigned by_layer[3];
    uint32_t producer;
} TapSeen;

static void tap_rtp(void *user, uint32_t producer_id, const HnTapPacket *p, int64_t now_us)
{
    TapSeen *t = user;
    t->producer = producer_id;
    t->by_layer[p->buf[p->len - 3]]++;
}

/* A recorder's tap sees the group's highest layer that flows, under the group's id. */
static void test_tap_follows_top_layer(void **state)
{
    Fx *f = *state;
    make_layers(f);
    TapSeen seen = {0};
    HnRouterTap tap = {.on_rtp = tap_rtp, .one_producer = true, .producer_id = VID};
    assert_true(hn_router_add_tap(f->r, &tap, &seen) > 0);
    Pub p = {.ts = 1000};
    bool keys[3] = {true, true, true};
    frame(f, &p, 0, keys, NULL);
    for (unsigned i = 1; i < 10; i++) {
        f->now += 33000;
        frame(f, &p, i, NULL, NULL);
    }
    assert_int_equal(seen.producer, VID);
    assert_int_equal(seen.by_layer[2], 10);
    /* the first packets of q and h came before any of f: each was the top one then */
    assert_int_equal(seen.by_layer[0], 1);
    assert_int_equal(seen.by_layer[1], 1);
    /* the publisher pauses the top layer: after a while the tap gets the middle one */
    f->now += HN_SIM_INACTIVE_US;
    uint8_t b[1500];
    for (unsigned i = 0; i < 5; i++) {
        size_t n = layer_pkt(b, 1, p.seq[1]++, p.ts, p.pid[1]++, 1, 0, false, 0);
        assert_int_equal(hn_router_on_rtp(f->r, PUB, b, n, f->now), 0);
        p.ts += 3000;
        f->now += 33000;
    }
    assert_int_equal(seen.by_layer[1], 1 + 5);
}

/* A padding-only packet (no payload, the P bit: Chromium's bandwidth probes) of layer l. */
static size_t padding_pkt(uint8_t *b, unsigned l, uint16_t seq, uint32_t ts)
{
    b[0] = 0xa0; /* V=2, P */
    b[1] = VID_PT;
    hn_wr16(b + 2, seq);
    hn_wr32(b + 4, ts);
    hn_wr32(b + 8, SSRC(l));
    memset(b + 12, 0, 255);
    b[12 + 254] = 255;
    return 12 + 255;
}

/* Probes are not media: a paused top layer that still gets padding-only packets is not active,
 * so the tap (the composed picture, the recorder) moves to the layer that carries the picture
 * instead of waiting on probes. */
static void test_padding_does_not_keep_a_layer_active(void **state)
{
    Fx *f = *state;
    make_layers(f);
    TapSeen seen = {0};
    HnRouterTap tap = {.on_rtp = tap_rtp, .one_producer = true, .producer_id = VID};
    assert_true(hn_router_add_tap(f->r, &tap, &seen) > 0);
    Pub p = {.ts = 1000};
    bool keys[3] = {true, true, true};
    frame(f, &p, 0, keys, NULL);
    for (unsigned i = 1; i < 5; i++) {
        f->now += 33000;
        frame(f, &p, i, NULL, NULL);
    }
    assert_int_equal(seen.by_layer[2], 5);
    /* the top layer is paused; its SSRC carries probes only, the middle layer the picture */
    uint8_t b[1500];
    unsigned mid = 0;
    int64_t last_media = f->now;
    for (unsigned i = 0; i < 80; i++) { /* 2.6 s */
        size_t n = padding_pkt(b, 2, p.seq[2]++, p.ts);
        assert_int_equal(hn_router_on_rtp(f->r, PUB, b, n, f->now), 0);
        n = layer_pkt(b, 1, p.seq[1]++, p.ts, p.pid[1]++, 1, 0, false, 0);
        assert_int_equal(hn_router_on_rtp(f->r, PUB, b, n, f->now), 0);
        if (f->now - last_media >= HN_SIM_INACTIVE_US)
            mid++;
        p.ts += 3000;
        f->now += 33000;
    }
    assert_true(mid > 0);
    assert_int_equal(seen.by_layer[1], 1 + mid);
}

/* A subscriber's downlink spent in order: a shared screen (HN_ROUTER_PRIO_HIGH) is paid for
 * before the cameras, so on a short link the camera steps down, not the document. */
#define SCR      77
#define SCR_SSRC 0xc0c0c0c0u
#define C_SCR    900
#define OUT_SCR  0x5009u
static void test_screen_first_in_the_budget(void **state)
{
    Fx *f = *state;
    make_layers(f);
    HnCodec vp8 = fx_codec(HN_CODEC_VP8);
    assert_int_equal(hn_router_add_producer(f->r, SCR, PUB, &vp8, SCR_SSRC), 0);
    assert_int_equal(hn_router_set_producer_priority(f->r, 12345, HN_ROUTER_PRIO_HIGH), -ENOENT);
    assert_int_equal(hn_router_add_consumer(f->r, C_VID1, VID, SUB1, OUT_VID1, OUT_VID_PT), 0);
    assert_int_equal(hn_router_add_consumer(f->r, C_SCR, SCR, SUB1, OUT_SCR, OUT_VID_PT), 0);
    Pub p = {.ts = 1000};
    bool keys[3] = {true, true, true};
    size_t pad[3] = {50, 200, 900}; /* about 20, 55 and 225 kbit/s */
    uint8_t screen[1000];           /* about 240 kbit/s */
    memcpy(screen, TU_VP8_KEY, sizeof TU_VP8_KEY);
    memset(screen + sizeof TU_VP8_KEY, 0x55, sizeof screen - sizeof TU_VP8_KEY);
    assert_int_equal(hn_router_set_transport_estimate(f->r, SUB1, 300000, HN_ESTIMATE_HINT), 0);
    HnConsumerStats cs;
    unsigned i = 0;
    for (int phase = 0; phase < 2; phase++) {
        if (phase == 1) /* the second video is a shared screen */
            assert_int_equal(hn_router_set_producer_priority(f->r, SCR, HN_ROUTER_PRIO_HIGH), 0);
        for (unsigned k = 0; k < 90; k++, i++) { /* 3 s at 30 fps */
            f->now += 33333;
            frame(f, &p, i, i == 0 ? keys : NULL, pad);
            assert_int_equal(
                fx_rtp(f, PUB, SCR_SSRC, VID_PT, (uint16_t)i, i * 3000u, screen, sizeof screen), 0);
            fx_timers(f);
        }
        assert_int_equal(hn_router_get_consumer_stats(f->r, C_VID1, &cs), 0);
        if (phase == 0) /* both normal: the camera comes first (lower id) and takes the top */
            assert_int_equal(cs.target_layer, 2);
        else /* 300 - 240 left for the camera: a lower layer */
            assert_true(cs.target_layer < 2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_api_errors, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_small_tile_gets_low_layer, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_switch_on_keyframe_continuous, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_temporal_drop_and_nack, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_layer_rtx, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tap_follows_top_layer, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_padding_does_not_keep_a_layer_active, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_screen_first_in_the_budget, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

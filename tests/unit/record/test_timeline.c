/* Unit tests of server/record/timeline.c (fake clock: every time is an argument): sender reports
 * map each publisher's NTP clock to the server's wall clock; audio and video captured together are
 * placed together whatever their delays; a late joiner with another clock; gaps stay gaps; a
 * publisher clock running 100 ppm fast does not drift over an hour; before the first SR, arrival.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <stdlib.h>

#include "record/timeline.h"

#define S  G_GINT64_CONSTANT(1000000)
#define MS G_GINT64_CONSTANT(1000)
static const int64_t T0 = G_GINT64_CONSTANT(1796480000000000); /* server wall clock, us */

/* A publisher: its NTP clock = (wall - T0) * (1 + ppm / 1e6) + ntp0; RTP = rtp0 + ntp * rate. */
typedef struct {
    int64_t ntp0;
    double ppm;
} Clock;

static int64_t pub_ntp(const Clock *c, int64_t wall)
{
    return c->ntp0 + (int64_t)((double)(wall - T0) * (1.0 + c->ppm / 1e6));
}

static uint32_t rtp_at(const Clock *c, int64_t wall, uint32_t rtp0, uint32_t rate)
{
    return rtp0 + (uint32_t)((uint64_t)(pub_ntp(c, wall) - c->ntp0) * rate / S);
}

static void sr(HnTimeline *tl, int track, const Clock *c, uint32_t ssrc, int64_t wall,
               uint32_t rtp0, uint32_t rate, int64_t delay)
{
    uint8_t p[28] = {0x80, 200, 0, 6};
    uint64_t ntp = hn_timeline_us_to_ntp(pub_ntp(c, wall));
    uint32_t rtp = rtp_at(c, wall, rtp0, rate);
    for (int i = 0; i < 4; i++) {
        p[4 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
        p[16 + i] = (uint8_t)(rtp >> (24 - 8 * i));
    }
    for (int i = 0; i < 8; i++)
        p[8 + i] = (uint8_t)(ntp >> (56 - 8 * i));
    assert_int_equal(hn_timeline_on_rtcp(tl, track, p, sizeof p, (uint64_t)(wall + delay)), 1);
}

static int64_t place(HnTimeline *tl, int track, const Clock *c, uint32_t ssrc, int64_t wall,
                     uint32_t rtp0, uint32_t rate, int64_t delay)
{
    return hn_timeline_place(tl, track, ssrc, rtp_at(c, wall, rtp0, rate),
                             (uint64_t)(wall + delay));
}

static void assert_near(int64_t got, int64_t want, int64_t tol)
{
    if (llabs(got - want) > tol)
        fail_msg("placed %" G_GINT64_FORMAT " us from the capture (tolerance %" G_GINT64_FORMAT ")",
                 got - want, tol);
}

static void test_ntp_round_trip(void **state)
{
    (void)state;
    int64_t us = T0 + 123456;
    assert_true(llabs(hn_timeline_ntp_to_us(hn_timeline_us_to_ntp(us)) - us) <= 1);
}

/* Video packets arrive 150 ms after capture (encoding, pacing), audio 20 ms, the SRs 10 ms: both
 * are placed at their capture instant (plus the SRs' 10 ms), so they stay together. */
static void test_audio_video_together(void **state)
{
    (void)state;
    HnTimeline *tl = hn_timeline_new();
    Clock c = {.ntp0 = T0 + 4321 * S, .ppm = 0}; /* the publisher's clock is off by 72 min */
    int a = hn_timeline_add_track(tl, "p1", 48000), v = hn_timeline_add_track(tl, "p1", 90000);
    for (int64_t w = T0; w < T0 + 20 * S; w += 20 * MS) {
        if ((w - T0) % S == 0) {
            sr(tl, a, &c, 11, w, 1000, 48000, 10 * MS);
            sr(tl, v, &c, 22, w, 7777, 90000, 10 * MS);
        }
        int64_t pa = place(tl, a, &c, 11, w, 1000, 48000, 20 * MS);
        int64_t pv = place(tl, v, &c, 22, w, 7777, 90000, 150 * MS);
        assert_near(pa, w + 10 * MS, 1 * MS);
        assert_near(pv, pa, 1 * MS);
    }
    hn_timeline_free(tl);
}

/* A second publisher joins 10 s late with its own NTP clock (behind the server's): both land on
 * the server's timeline where they were captured. */
static void test_late_joiner(void **state)
{
    (void)state;
    HnTimeline *tl = hn_timeline_new();
    Clock c1 = {.ntp0 = T0 + 50 * S}, c2 = {.ntp0 = T0 - 3600 * S};
    int t1 = hn_timeline_add_track(tl, "p1", 48000), t2 = hn_timeline_add_track(tl, "p2", 48000);
    for (int64_t w = T0; w < T0 + 30 * S; w += 20 * MS) {
        if ((w - T0) % S == 0)
            sr(tl, t1, &c1, 1, w, 0, 48000, 5 * MS);
        assert_near(place(tl, t1, &c1, 1, w, 0, 48000, 30 * MS), w + 5 * MS, 1 * MS);
        if (w < T0 + 10 * S)
            continue;
        if ((w - T0) % S == 0)
            sr(tl, t2, &c2, 2, w, 99, 48000, 40 * MS);
        assert_near(place(tl, t2, &c2, 2, w, 99, 48000, 60 * MS), w + 40 * MS, 1 * MS);
    }
    hn_timeline_free(tl);
}

/* Mute for 45 s (no RTP, the SRs go on) then speak again: the packets after the gap are placed
 * 45 s later, also when the packets after the gap arrive before the next SR. */
static void test_gap_stays_gap(void **state)
{
    (void)state;
    HnTimeline *tl = hn_timeline_new();
    Clock c = {.ntp0 = T0 + 7 * S};
    int t = hn_timeline_add_track(tl, "p1", 90000);
    sr(tl, t, &c, 5, T0, 0, 90000, 10 * MS);
    int64_t before = place(tl, t, &c, 5, T0 + 2 * S, 0, 90000, 50 * MS);
    int64_t after = place(tl, t, &c, 5, T0 + 47 * S, 0, 90000, 50 * MS);
    assert_near(after - before, 45 * S, 1 * MS);
    hn_timeline_free(tl);
}

/* Before any SR: the arrival time, anchored at the fastest packet, so a frame whose packets
 * arrive spread out is placed once; a restart of the RTP timestamps re-anchors. */
static void test_before_first_sr(void **state)
{
    (void)state;
    HnTimeline *tl = hn_timeline_new();
    Clock c = {.ntp0 = 0};
    int t = hn_timeline_add_track(tl, "p1", 90000);
    assert_int_equal(place(tl, t, &c, 9, T0, 0, 90000, 80 * MS), T0 + 80 * MS);
    /* a faster packet moves the anchor */
    assert_int_equal(place(tl, t, &c, 9, T0 + S, 0, 90000, 30 * MS), T0 + S + 30 * MS);
    /* a slower one is placed by its RTP time */
    assert_near(place(tl, t, &c, 9, T0 + 2 * S, 0, 90000, 90 * MS), T0 + 2 * S + 30 * MS, 1);
    /* new timestamps (a restarted sender): re-anchored at its arrival */
    int64_t p = hn_timeline_place(tl, t, 9, 123, (uint64_t)(T0 + 3 * S));
    assert_int_equal(p, T0 + 3 * S);
    hn_timeline_free(tl);
}

/* The publisher's clock runs 100 ppm fast (0.36 s an hour) and SR delays jitter 5..45 ms: after
 * an hour the packets are still placed within a few ms, live and after (frozen). */
static void test_clock_slope_no_drift(void **state)
{
    (void)state;
    HnTimeline *tl = hn_timeline_new();
    Clock c = {.ntp0 = T0 + 100 * S, .ppm = 100};
    int a = hn_timeline_add_track(tl, "p1", 48000), v = hn_timeline_add_track(tl, "p1", 90000);
    GRand *rnd = g_rand_new_with_seed(7);
    int64_t worst = 0;
    for (int64_t w = T0; w <= T0 + 3600 * S; w += S) {
        int64_t d = 5 * MS + g_rand_int_range(rnd, 0, 40 * MS);
        sr(tl, a, &c, 1, w, 0, 48000, d);
        sr(tl, v, &c, 2, w + 500 * MS, 0, 90000, d);
        if (w - T0 >= 60 * S) {
            int64_t pa = place(tl, a, &c, 1, w, 0, 48000, 25 * MS);
            int64_t pv = place(tl, v, &c, 2, w, 0, 90000, 120 * MS);
            worst = MAX(worst, llabs(pa - w - 5 * MS));
            assert_near(pv, pa, 1 * MS);
        }
    }
    /* the absolute place carries the SRs' delay jitter (5..45 ms); A/V stays within 1 ms */
    if (worst >= 25 * MS)
        fail_msg("worst %" G_GINT64_FORMAT " us", worst);
    hn_timeline_freeze(tl);
    int64_t w = T0 + 3590 * S;
    assert_near(place(tl, a, &c, 1, w, 0, 48000, 25 * MS), w + 5 * MS, 8 * MS);
    w = T0 + 5 * S; /* frozen: the start too is placed with the fit of the whole hour */
    assert_near(place(tl, v, &c, 2, w, 0, 90000, 25 * MS), w + 5 * MS, 8 * MS);
    g_rand_free(rnd);
    hn_timeline_free(tl);
}

static void test_malformed_rtcp(void **state)
{
    (void)state;
    HnTimeline *tl = hn_timeline_new();
    int t = hn_timeline_add_track(tl, "p1", 90000);
    uint8_t bad[28] = {0x80, 200, 0, 9}; /* says longer than it is */
    assert_int_equal(hn_timeline_on_rtcp(tl, t, bad, sizeof bad, 1), -74 /* EBADMSG */);
    uint8_t v1[8] = {0x40, 201, 0, 1};
    assert_int_equal(hn_timeline_on_rtcp(tl, t, v1, sizeof v1, 1), -74);
    assert_int_equal(hn_timeline_on_rtcp(tl, t, v1, 0, 1), -74);
    uint8_t rr[8] = {0x80, 201, 0, 1};
    assert_int_equal(hn_timeline_on_rtcp(tl, t, rr, sizeof rr, 1), 0);
    hn_timeline_free(tl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ntp_round_trip),  cmocka_unit_test(test_audio_video_together),
        cmocka_unit_test(test_late_joiner),     cmocka_unit_test(test_gap_stays_gap),
        cmocka_unit_test(test_before_first_sr), cmocka_unit_test(test_clock_slope_no_drift),
        cmocka_unit_test(test_malformed_rtcp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

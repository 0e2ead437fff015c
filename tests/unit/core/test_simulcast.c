/* Unit tests of core/vp8 (payload descriptor parse/rewrite, picture ID continuity) and
 * core/simulcast (layer selector on a fake clock, pausing unwatched layers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "core/simulcast.h"
#include "core/vp8.h"

/* A VP8 payload: descriptor with a 15-bit picture ID, TL0PICIDX and TID; a key frame carries
 * its size. Returns its length. */
static size_t vp8_payload(uint8_t *b, uint16_t pid, uint8_t tl0, uint8_t tid, bool key, uint16_t w,
                          uint16_t h)
{
    size_t n = 0;
    b[n++] = 0x90; /* X, S, PID 0 */
    b[n++] = 0xe0; /* I, L, T */
    b[n++] = (uint8_t)(0x80 | (pid >> 8));
    b[n++] = (uint8_t)pid;
    b[n++] = tl0;
    b[n++] = (uint8_t)(tid << 6 | (tid == 0 ? 0x20 : 0));
    b[n++] = key ? 0x00 : 0x01;
    b[n++] = 0x00;
    b[n++] = 0x00;
    if (key) {
        b[n++] = 0x9d;
        b[n++] = 0x01;
        b[n++] = 0x2a;
        b[n++] = (uint8_t)w;
        b[n++] = (uint8_t)(w >> 8);
        b[n++] = (uint8_t)h;
        b[n++] = (uint8_t)(h >> 8);
    }
    b[n++] = 0x55;
    return n;
}

static void test_vp8_parse(void **state)
{
    (void)state;
    uint8_t b[64];
    HnVp8Descriptor d;
    size_t n = vp8_payload(b, 0x1234, 77, 2, false, 0, 0);
    assert_int_equal(hn_vp8_parse(b, n, &d), 0);
    assert_true(d.has_picture_id && d.picture_id_15);
    assert_int_equal(d.picture_id, 0x1234);
    assert_true(d.has_tl0picidx);
    assert_int_equal(d.tl0picidx, 77);
    assert_true(d.has_tid);
    assert_int_equal(d.tid, 2);
    assert_false(d.is_keyframe);
    assert_int_equal(d.descriptor_len, 6);

    n = vp8_payload(b, 5, 1, 0, true, 1280 | 0x4000 /* scale bits */, 720);
    assert_int_equal(hn_vp8_parse(b, n, &d), 0);
    assert_true(d.is_keyframe);
    assert_true(d.layer_sync);
    assert_int_equal(d.width, 1280);
    assert_int_equal(d.height, 720);

    /* 7-bit picture ID, no TL0PICIDX */
    const uint8_t short_pid[] = {0x90, 0x80, 0x7f, 0x01, 0, 0};
    assert_int_equal(hn_vp8_parse(short_pid, sizeof short_pid, &d), 0);
    assert_false(d.picture_id_15);
    assert_int_equal(d.picture_id, 0x7f);
    assert_false(d.has_tl0picidx);
    hn_vp8_write((uint8_t *)b, &d, 0, 0); /* writes only where the packet has fields */

    /* truncated descriptors are refused, never read past the end */
    for (size_t len = 0; len < 6; len++) {
        n = vp8_payload(b, 0x1234, 77, 2, false, 0, 0);
        assert_int_equal(hn_vp8_parse(b, len, &d), len == 0 || len < 6 ? -EINVAL : 0);
    }
    const uint8_t x_only[] = {0x80};
    assert_int_equal(hn_vp8_parse(x_only, 1, &d), -EINVAL);
}

static void test_vp8_write_and_wrap(void **state)
{
    (void)state;
    uint8_t b[64];
    HnVp8Descriptor d;
    size_t n = vp8_payload(b, 0x7ffe, 255, 1, false, 0, 0);
    assert_int_equal(hn_vp8_parse(b, n, &d), 0);
    hn_vp8_write(b, &d, 0x0003, 9);
    HnVp8Descriptor e;
    assert_int_equal(hn_vp8_parse(b, n, &e), 0);
    assert_int_equal(e.picture_id, 3);
    assert_int_equal(e.tl0picidx, 9);
    assert_int_equal(e.tid, 1); /* the rest untouched */
    assert_int_equal(b[n - 1], 0x55);
}

/* Output picture IDs and TL0PICIDX continue across a switch to a source with other counters. */
static void test_vp8_munger_switch(void **state)
{
    (void)state;
    HnVp8Munger m;
    hn_vp8_munger_init(&m);
    uint8_t b[64];
    HnVp8Descriptor d;
    uint16_t pid = 0x7ffd; /* wraps during the first source */
    uint8_t tl0 = 254;
    for (int i = 0; i < 5; i++) {
        size_t n =
            vp8_payload(b, (uint16_t)((pid + i) & 0x7fff), (uint8_t)(tl0 + i), 0, i == 0, 640, 360);
        assert_int_equal(hn_vp8_munger_apply(&m, b, n), 0);
        assert_int_equal(hn_vp8_parse(b, n, &d), 0);
        assert_int_equal(d.picture_id, (pid + i) & 0x7fff); /* first source unchanged */
    }
    hn_vp8_munger_switch(&m);
    uint16_t last = (uint16_t)((pid + 4) & 0x7fff);
    uint8_t last_tl0 = (uint8_t)(tl0 + 4);
    for (int i = 0; i < 5; i++) {
        size_t n = vp8_payload(b, (uint16_t)(100 + i), (uint8_t)(30 + i), 0, i == 0, 1280, 720);
        assert_int_equal(hn_vp8_munger_apply(&m, b, n), 0);
        assert_int_equal(hn_vp8_parse(b, n, &d), 0);
        assert_int_equal(d.picture_id, (last + 1 + i) & 0x7fff);
        assert_int_equal(d.tl0picidx, (uint8_t)(last_tl0 + 1 + i));
    }
    /* two packets of one frame keep one picture ID */
    size_t n = vp8_payload(b, 104, 34, 0, false, 0, 0);
    assert_int_equal(hn_vp8_munger_apply(&m, b, n), 0);
    assert_int_equal(hn_vp8_parse(b, n, &d), 0);
    assert_int_equal(d.picture_id, (last + 5) & 0x7fff);
    uint8_t bad[] = {0x80};
    assert_int_equal(hn_vp8_munger_apply(&m, bad, 1), -EINVAL);
}

static HnSimLayerInfo L(bool active, uint16_t w, uint16_t h, uint64_t bps)
{
    return (HnSimLayerInfo){.active = active, .width = w, .height = h, .bps = bps};
}

static void test_sel_tile_size(void **state)
{
    (void)state;
    HnSimLayerInfo l[3] = {L(true, 320, 180, 150000), L(true, 640, 360, 500000),
                           L(true, 1280, 720, 1500000)};
    HnSimSel s;
    hn_sim_sel_init(&s, 3);
    hn_sim_sel_update(&s, l, 3, 0, 0);
    assert_int_equal(s.target, 2); /* no tile reported: the full layer */
    hn_sim_sel_set_tile(&s, 200, 150);
    assert_true(hn_sim_sel_update(&s, l, 3, 0, 1000));
    assert_int_equal(s.target, 0);
    hn_sim_sel_set_tile(&s, 480, 270);
    hn_sim_sel_update(&s, l, 3, 0, 2000);
    assert_int_equal(s.target, 1);
    hn_sim_sel_set_tile(&s, 1000, 560);
    hn_sim_sel_update(&s, l, 3, 0, 3000); /* a tile grows: up at once (not bandwidth) */
    assert_int_equal(s.target, 2);
    /* sizes unknown: derived from the layer above, else from a 720p camera */
    HnSimLayerInfo u[3] = {L(true, 0, 0, 0), L(true, 0, 0, 0), L(true, 960, 540, 0)};
    hn_sim_sel_set_tile(&s, 300, 200);
    hn_sim_sel_update(&s, u, 3, 0, 4000);
    assert_int_equal(s.target, 1); /* 240x135 < tile <= 480x270 */
    /* the target layer is paused by its publisher: the highest active one below */
    hn_sim_sel_set_tile(&s, 0, 0);
    l[2].active = false;
    hn_sim_sel_update(&s, l, 3, 0, 5000);
    assert_int_equal(s.target, 1);
    assert_int_equal(s.desired, 2); /* still wanted: the publisher is asked to resume it */
    l[1].active = l[0].active = false;
    l[2].active = true;
    hn_sim_sel_set_tile(&s, 100, 100);
    hn_sim_sel_update(&s, l, 3, 0, 6000);
    assert_int_equal(s.target, 2); /* nothing below flows: the lowest above */
}

/* Temporal layers go before spatial ones; a higher layer comes back only after the hold and
 * with headroom (no flapping). */
static void test_sel_estimate_temporal_then_spatial(void **state)
{
    (void)state;
    HnSimLayerInfo l[3] = {L(true, 320, 180, 150000), L(true, 640, 360, 500000),
                           L(true, 1280, 720, 1500000)};
    HnSimSel s;
    hn_sim_sel_init(&s, 3);
    int64_t t = 0;
    hn_sim_sel_update(&s, l, 3, 3000000, t);
    assert_int_equal(s.target, 2);
    assert_int_equal(s.max_tid, HN_SIM_ALL_TID);
    hn_sim_sel_update(&s, l, 3, 1300000, t += 1000000); /* just below the full layer */
    assert_int_equal(s.target, 2);
    assert_int_equal(s.max_tid, 1);
    hn_sim_sel_update(&s, l, 3, 900000, t += 1000000); /* further below: spatial, full rate */
    assert_int_equal(s.target, 1);
    assert_int_equal(s.max_tid, HN_SIM_ALL_TID);
    hn_sim_sel_update(&s, l, 3, 600000, t += 1000000); /* the middle layer fits */
    assert_int_equal(s.target, 1);
    assert_int_equal(s.max_tid, HN_SIM_ALL_TID);
    /* the link recovers: held for HN_SIM_UP_HOLD_US, then up with headroom only */
    hn_sim_sel_update(&s, l, 3, 3000000, t += 1000000);
    assert_int_equal(s.target, 1);
    t += HN_SIM_UP_HOLD_US;
    hn_sim_sel_update(&s, l, 3, 1600000, t); /* 1.5 M fits but not with the margin */
    assert_int_equal(s.target, 1);
    hn_sim_sel_update(&s, l, 3, 1800000, t += 1000000);
    assert_int_equal(s.target, 2);
    assert_int_equal(s.max_tid, HN_SIM_ALL_TID);
    /* an estimate oscillating around one value does not flap */
    int changes = 0;
    for (int i = 0; i < 20; i++)
        changes += hn_sim_sel_update(&s, l, 3, i % 2 ? 1400000 : 1450000, t += 500000);
    assert_true(changes <= 1);
}

/* The forwarded layer changes only on a key frame of the target; temporal drops never drop a
 * key frame or TID 0. */
static void test_sel_switch_on_keyframe(void **state)
{
    (void)state;
    HnSimSel s;
    hn_sim_sel_init(&s, 3);
    s.target = 0;
    assert_int_equal(hn_sim_sel_on_packet(&s, 0, false, 0), HN_SIM_DROP_WAIT_KEY);
    assert_int_equal(hn_sim_sel_on_packet(&s, 2, true, 0), HN_SIM_DROP_LAYER);
    assert_int_equal(hn_sim_sel_on_packet(&s, 0, true, 0), HN_SIM_SWITCH);
    assert_int_equal(s.current, 0);
    assert_int_equal(s.switches, 0); /* the start is no switch */
    assert_int_equal(hn_sim_sel_on_packet(&s, 0, false, 2), HN_SIM_FORWARD);
    s.target = 2;
    assert_int_equal(hn_sim_sel_on_packet(&s, 2, false, 0), HN_SIM_DROP_WAIT_KEY);
    assert_int_equal(hn_sim_sel_on_packet(&s, 0, false, 0), HN_SIM_FORWARD); /* meanwhile */
    assert_int_equal(hn_sim_sel_on_packet(&s, 2, true, 0), HN_SIM_SWITCH);
    assert_int_equal(s.switches, 1);
    assert_int_equal(hn_sim_sel_on_packet(&s, 0, false, 0), HN_SIM_DROP_LAYER);
    s.max_tid = 0;
    assert_int_equal(hn_sim_sel_on_packet(&s, 2, false, 1), HN_SIM_DROP_TEMPORAL);
    assert_int_equal(hn_sim_sel_on_packet(&s, 2, false, 0), HN_SIM_FORWARD);
}

static void test_pause_debounce(void **state)
{
    (void)state;
    HnSimPause p;
    hn_sim_pause_init(&p, 3);
    assert_int_equal(p.active, 7);
    int64_t t = 1000000;
    assert_false(hn_sim_pause_update(&p, 1u << 1, t)); /* f unwanted: not yet */
    assert_false(hn_sim_pause_update(&p, 1u << 1, t + HN_SIM_PAUSE_AFTER_US - 1));
    assert_true(hn_sim_pause_update(&p, 1u << 1, t + HN_SIM_PAUSE_AFTER_US));
    assert_int_equal(p.active, 3); /* q always, h wanted */
    /* a short gap in wanting h does not pause it */
    t += 10 * HN_SIM_PAUSE_AFTER_US;
    assert_false(hn_sim_pause_update(&p, 0, t));
    assert_false(hn_sim_pause_update(&p, 1u << 1, t + 1000000));
    assert_false(hn_sim_pause_update(&p, 0, t + 2000000));
    assert_false(hn_sim_pause_update(&p, 0, t + 2000000 + HN_SIM_PAUSE_AFTER_US - 1));
    assert_true(hn_sim_pause_update(&p, 0, t + 2000000 + HN_SIM_PAUSE_AFTER_US));
    assert_int_equal(p.active, 1); /* nobody watches: the lowest stays */
    assert_true(hn_sim_pause_update(&p, 1u << 2, t + 9000000)); /* wanted again: at once */
    assert_int_equal(p.active, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vp8_parse),
        cmocka_unit_test(test_vp8_write_and_wrap),
        cmocka_unit_test(test_vp8_munger_switch),
        cmocka_unit_test(test_sel_tile_size),
        cmocka_unit_test(test_sel_estimate_temporal_then_spatial),
        cmocka_unit_test(test_sel_switch_on_keyframe),
        cmocka_unit_test(test_pause_debounce),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of core/rewriter, core/recv_stats and core/rtp_cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>

#include "core/recv_stats.h"
#include "core/rewriter.h"
#include "core/rtp_cache.h"
#include "test_util.h"

typedef struct {
    uint16_t seq;
    uint32_t ts;
} Out;

static Out rw_ok(HnRewriter *rw, uint32_t ssrc, uint16_t seq, uint32_t ts, int64_t now)
{
    Out o;
    assert_int_equal(hn_rewriter_rewrite(rw, ssrc, seq, ts, now, &o.seq, &o.ts), 0);
    return o;
}

static void test_first_source_identity_and_seq_wrap(void **state)
{
    HnRewriter rw;
    hn_rewriter_init(&rw, 90000);
    assert_true(hn_rewriter_needs_sync(&rw, 1));
    uint16_t seq = 65530;
    uint32_t ts = 1000;
    Out prev = rw_ok(&rw, 1, seq, ts, 0);
    assert_int_equal(prev.seq, 65530);
    assert_int_equal(prev.ts, 1000);
    assert_false(hn_rewriter_needs_sync(&rw, 1));
    for (int i = 1; i < 20; i++) {
        Out o = rw_ok(&rw, 1, (uint16_t)(seq + i), ts + 3000u * (unsigned)i, i * 33333);
        assert_int_equal(o.seq, (uint16_t)(prev.seq + 1));
        assert_int_equal(o.ts - prev.ts, 3000);
        prev = o;
    }
    assert_int_equal(prev.seq, 13); /* 65530 + 19 wrapped */
    uint16_t in;
    assert_int_equal(hn_rewriter_out_to_in_seq(&rw, 65535, &in), 0);
    assert_int_equal(in, 65535);
    assert_int_equal(hn_rewriter_out_to_in_seq(&rw, 2, &in), 0);
    assert_int_equal(in, 2);
    assert_int_equal(hn_rewriter_out_to_in_seq(&rw, 14, &in), -ENOENT);    /* not sent yet */
    assert_int_equal(hn_rewriter_out_to_in_seq(&rw, 65529, &in), -ENOENT); /* before start */
}

static void test_ts_wrap(void **state)
{
    HnRewriter rw;
    hn_rewriter_init(&rw, 48000);
    uint32_t ts = 0xffffff00u;
    Out prev = rw_ok(&rw, 9, 100, ts, 0);
    for (unsigned i = 1; i < 10; i++) {
        Out o = rw_ok(&rw, 9, (uint16_t)(100 + i), ts + 960u * i, i * 20000);
        assert_int_equal((uint32_t)(o.ts - prev.ts), 960);
        prev = o;
    }
    assert_true(prev.ts < 0x10000); /* wrapped */
    assert_int_equal(hn_rewriter_map_ts(&rw, ts), 0xffffff00u);
}

/* Publisher restarts with a new SSRC and random seq/ts: the output must not notice. */
static void test_source_switch_is_continuous(void **state)
{
    HnRewriter rw;
    hn_rewriter_init(&rw, 90000);
    uint64_t seed = 99;
    int64_t now = 1000000;
    uint16_t seq = 65500;
    uint32_t ts = 0xfffff000u;
    Out last = {0};
    for (int i = 0; i < 100; i++, now += 33333)
        last = rw_ok(&rw, 0xa, (uint16_t)(seq + i), ts + 3000u * (unsigned)i, now);

    now += 200000; /* 200 ms gap during the reconnect */
    int64_t gap_us = 200000 + 0;
    uint16_t seq_b = (uint16_t)tu_rand(&seed);
    uint32_t ts_b = tu_rand(&seed) << 8;
    assert_true(hn_rewriter_needs_sync(&rw, 0xb));
    Out first = rw_ok(&rw, 0xb, seq_b, ts_b, now);
    assert_int_equal(first.seq, (uint16_t)(last.seq + 1));
    /* elapsed since the last output packet: 200 ms, plus the 33.3 ms step of the loop */
    gap_us += 33333;
    assert_int_equal(first.ts, (uint32_t)(last.ts + (uint32_t)(gap_us * 90000 / 1000000)));
    Out prev = first;
    for (int i = 1; i < 50; i++) {
        now += 33333;
        Out o = rw_ok(&rw, 0xb, (uint16_t)(seq_b + i), ts_b + 3000u * (unsigned)i, now);
        assert_int_equal(o.seq, (uint16_t)(prev.seq + 1));
        assert_int_equal((uint32_t)(o.ts - prev.ts), 3000);
        prev = o;
    }
    /* late packets: from A, and from B before its first packet */
    uint16_t s;
    uint32_t t;
    assert_false(hn_rewriter_needs_sync(&rw, 0xa));
    assert_int_equal(hn_rewriter_rewrite(&rw, 0xa, (uint16_t)(seq + 100), ts, now, &s, &t),
                     -ESTALE);
    assert_int_equal(hn_rewriter_rewrite(&rw, 0xb, (uint16_t)(seq_b - 1), ts_b, now, &s, &t),
                     -ESTALE);
    /* the reverse map covers B only */
    uint16_t in;
    assert_int_equal(hn_rewriter_out_to_in_seq(&rw, first.seq, &in), 0);
    assert_int_equal(in, seq_b);
    assert_int_equal(hn_rewriter_out_to_in_seq(&rw, last.seq, &in), -ENOENT);
}

static void test_switch_same_ssrc_and_min_step(void **state)
{
    HnRewriter rw;
    hn_rewriter_init(&rw, 90000);
    Out a = rw_ok(&rw, 5, 10, 500, 0);
    hn_rewriter_mark_switch(&rw);
    assert_true(hn_rewriter_needs_sync(&rw, 5));
    Out b = rw_ok(&rw, 5, 40000, 123456, 0); /* same instant: ts advances by 1 */
    assert_int_equal(b.seq, a.seq + 1);
    assert_int_equal(b.ts, a.ts + 1);
    /* explicit switch back to an earlier SSRC is allowed */
    Out c = rw_ok(&rw, 6, 1, 1, 10000);
    hn_rewriter_mark_switch(&rw);
    Out d = rw_ok(&rw, 5, 40001, 123456 + 3000, 20000);
    assert_int_equal(c.seq, b.seq + 1);
    assert_int_equal(d.seq, c.seq + 1);
    assert_int_equal(d.ts, c.ts + 900);
}

static void test_reorder_within_source(void **state)
{
    HnRewriter rw;
    hn_rewriter_init(&rw, 90000);
    Out o10 = rw_ok(&rw, 1, 10, 1000, 0);
    Out o12 = rw_ok(&rw, 1, 12, 7000, 1);
    Out o11 = rw_ok(&rw, 1, 11, 4000, 2);
    Out o13 = rw_ok(&rw, 1, 13, 10000, 3);
    assert_int_equal(o12.seq, o10.seq + 2);
    assert_int_equal(o11.seq, o10.seq + 1);
    assert_int_equal(o13.seq, o10.seq + 3);
    assert_int_equal(o11.ts, o10.ts + 3000);
    /* a switch continues after the highest output, not the last one */
    HnRewriter rw2;
    hn_rewriter_init(&rw2, 90000);
    rw_ok(&rw2, 1, 100, 0, 0);
    rw_ok(&rw2, 1, 103, 9000, 1);
    rw_ok(&rw2, 1, 101, 3000, 2);
    hn_rewriter_mark_switch(&rw2);
    Out s = rw_ok(&rw2, 2, 5, 5, 3);
    assert_int_equal(s.seq, 104);
}

static void test_recv_stats_loss_and_wrap(void **state)
{
    HnRecvStats st;
    hn_recv_stats_init(&st, 90000);
    HnRtcpReportBlock rb;
    hn_recv_stats_report(&st, 7, &rb);
    assert_int_equal(rb.ext_highest_seq, 0);
    for (uint16_t s = 65531; s != 6; s++)
        if (s != 65535 && s != 2)
            hn_recv_stats_update(&st, s, 0, 100, 0);
    assert_int_equal(hn_recv_stats_ext_highest(&st), 0x10005);
    assert_int_equal(hn_recv_stats_lost(&st), 2);
    assert_int_equal(st.packets, 9);
    assert_int_equal(st.bytes, 900);
    hn_recv_stats_report(&st, 7, &rb);
    assert_int_equal(rb.ssrc, 7);
    assert_int_equal(rb.fraction_lost, 2 * 256 / 11);
    assert_int_equal(rb.cumulative_lost, 2);
    assert_int_equal(rb.ext_highest_seq, 0x10005);
    /* the late packet arrives: the interval loss becomes negative -> 0 */
    hn_recv_stats_update(&st, 2, 0, 100, 0);
    hn_recv_stats_report(&st, 7, &rb);
    assert_int_equal(rb.fraction_lost, 0);
    assert_int_equal(rb.cumulative_lost, 1);
}

static void test_recv_stats_jitter_and_restart(void **state)
{
    HnRecvStats st;
    hn_recv_stats_init(&st, 90000);
    for (int i = 0; i < 100; i++) /* perfectly paced: 3000 ticks every 33.333 ms */
        hn_recv_stats_update(&st, (uint16_t)i, 3000u * (unsigned)i, 100, (int64_t)i * 100000 / 3);
    assert_true(hn_recv_stats_jitter(&st) <= 1);
    for (int i = 100; i < 200; i++) /* every other packet 10 ms late */
        hn_recv_stats_update(&st, (uint16_t)i, 3000u * (unsigned)i, 100,
                             (int64_t)i * 100000 / 3 + (i % 2) * 10000);
    assert_true(hn_recv_stats_jitter(&st) > 500); /* ~900 ticks */
    assert_true(hn_recv_stats_jitter(&st) < 1000);

    /* one wild packet is ignored; two in sequence mean the sender restarted */
    hn_recv_stats_update(&st, 30000, 0, 100, 0);
    assert_int_equal(hn_recv_stats_ext_highest(&st), 199);
    hn_recv_stats_update(&st, 30001, 0, 100, 0);
    assert_int_equal(hn_recv_stats_ext_highest(&st), 30001);
    assert_int_equal(hn_recv_stats_lost(&st), 0);
}

static void test_cache(void **state)
{
    HnRtpCache *c = hn_rtp_cache_new(100);
    assert_int_equal(hn_rtp_cache_capacity(c), 128);
    uint8_t pkt[HN_RTP_CACHE_SLOT + 1];
    size_t len;
    for (unsigned i = 0; i < 200; i++) {
        memset(pkt, (int)i, 20);
        assert_int_equal(hn_rtp_cache_put(c, 1, (uint16_t)(65500 + i), pkt, 20), 0);
    }
    const uint8_t *got = hn_rtp_cache_get(c, 1, (uint16_t)(65500 + 199), &len);
    assert_non_null(got);
    assert_int_equal(len, 20);
    assert_int_equal(got[0], 199);
    assert_non_null(hn_rtp_cache_get(c, 1, (uint16_t)(65500 + 72), &len));
    assert_null(hn_rtp_cache_get(c, 1, (uint16_t)(65500 + 71), &len));  /* overwritten */
    assert_null(hn_rtp_cache_get(c, 2, (uint16_t)(65500 + 199), &len)); /* other SSRC */
    assert_int_equal(hn_rtp_cache_put(c, 1, 5, pkt, sizeof(pkt)), -EMSGSIZE);
    assert_int_equal(hn_rtp_cache_put(c, 1, 5, pkt, 0), -EMSGSIZE);
    assert_int_equal(hn_rtp_cache_put(c, 1, 5, pkt, HN_RTP_CACHE_SLOT), 0);
    hn_rtp_cache_clear(c);
    assert_null(hn_rtp_cache_get(c, 1, 5, &len));
    hn_rtp_cache_free(c);
    hn_rtp_cache_free(NULL);
    c = hn_rtp_cache_new(1000000);
    assert_int_equal(hn_rtp_cache_capacity(c), 32768);
    hn_rtp_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_source_identity_and_seq_wrap),
        cmocka_unit_test(test_ts_wrap),
        cmocka_unit_test(test_source_switch_is_continuous),
        cmocka_unit_test(test_switch_same_ssrc_and_min_step),
        cmocka_unit_test(test_reorder_within_source),
        cmocka_unit_test(test_recv_stats_loss_and_wrap),
        cmocka_unit_test(test_recv_stats_jitter_and_restart),
        cmocka_unit_test(test_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

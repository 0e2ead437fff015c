/* The delay bound on received media on fake times: what is late, what is never judged, the
 * queueing-delay record and the receive buffer sized for the bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "transport/rx_age.h"

#define MS 1000000LL /* ns */

static void test_bound(void **state)
{
    (void)state;
    int64_t now = 1700000000LL * 1000 * MS;
    int64_t cut = hn_rx_cutoff(now, 100 * MS);
    assert_false(hn_rx_is_late(now, cut));            /* just arrived */
    assert_false(hn_rx_is_late(now - 100 * MS, cut)); /* exactly the bound: in time */
    assert_true(hn_rx_is_late(now - 100 * MS - 1, cut));
    assert_true(hn_rx_is_late(now - 3000 * MS, cut)); /* seconds queued */
    assert_false(hn_rx_is_late(now + 50 * MS, cut));  /* clock stepped back: not late */
    assert_false(hn_rx_is_late(0, cut));              /* no stamp: never late */
    int64_t off = hn_rx_cutoff(now, 0);               /* bound 0: off */
    assert_false(hn_rx_is_late(now - 3000 * MS, off));
}

static void test_only_media_is_judged(void **state)
{
    (void)state;
    const uint8_t rtp[] = {0x80, 96}, rtcp[] = {0x81, 201}, dtls[] = {22, 0xfe}, stun[] = {0, 1};
    assert_true(hn_rx_is_media(rtp, sizeof rtp));
    assert_true(hn_rx_is_media(rtcp, sizeof rtcp));
    assert_false(hn_rx_is_media(dtls, sizeof dtls));
    assert_false(hn_rx_is_media(stun, sizeof stun));
    assert_false(hn_rx_is_media(rtp, 1));
}

static void test_delay_record(void **state)
{
    (void)state;
    HnRxDelayStats s = {0};
    hn_rx_delay_record(&s, 50);      /* <= 100 us */
    hn_rx_delay_record(&s, 3000);    /* <= 5 ms */
    hn_rx_delay_record(&s, 2000000); /* 2 s: above the last bound */
    hn_rx_delay_record(&s, -5);      /* clock stepped: 0 */
    assert_int_equal(s.count, 4);
    assert_int_equal(s.buckets[0], 2);
    assert_int_equal(s.buckets[4], 1);
    assert_int_equal(s.buckets[HN_RX_DELAY_BUCKETS - 1], 1);
    assert_int_equal(s.max_us, 2000000);
    assert_int_equal(s.last_us, 0);
    assert_int_equal(s.window_max_us, 2000000);
    assert_int_equal(s.sum_us, 2003050);
}

static void test_buffer_for_the_bound(void **state)
{
    (void)state;
    /* 100 ms at 160 Mbit/s: 20 MB/s * 0.1 s = 2 MB (the kernel doubles it for its overhead) */
    assert_int_equal(hn_rx_buffer_bytes(100, 160), 2000000);
    assert_int_equal(hn_rx_buffer_bytes(1, 1), 256 * 1024);                /* floor */
    assert_int_equal(hn_rx_buffer_bytes(10000, 100000), 64 * 1024 * 1024); /* ceiling */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bound),
        cmocka_unit_test(test_only_media_is_judged),
        cmocka_unit_test(test_delay_record),
        cmocka_unit_test(test_buffer_for_the_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

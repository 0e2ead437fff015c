/* Unit tests of core/twcc: a hand-built feedback (run-length and both vector chunks, small,
 * large and negative deltas), write/parse round trips with seeded loss and jitter, every
 * truncation and reserved symbol rejected, random bytes never crash, and the sequence-number
 * header extension written into a forwarded packet. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/rtcp.h"
#include "core/rtp.h"
#include "core/twcc.h"

static uint32_t rnd(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static HnTwccFeedback fb;

/* base 100, 5 packets, reference 1 (64 ms), fb count 7: run of 2 small, then vector [lost,
 * large, small] (2-bit); deltas 1 ms, 2 ms, -1 ms, 0.5 ms. */
static size_t hand_built(uint8_t *b)
{
    static const uint8_t pkt[] = {
        0x8f, 205,  0x00, 0x07, 0,    0,    0,    1, 0, 0, 0, 2, /* header, sender 1, media 2 */
        0x00, 100,  0x00, 5,    0x00, 0x00, 0x01, 7,             /* base, count, ref 1, fb 7 */
        0x20, 0x02, 0xc9, 0x00,                                  /* run (small x2), 2-bit vector */
        4,    8,    0xff, 0xfc, 2,    0,    0,    0,             /* deltas + zero padding */
    };
    memcpy(b, pkt, sizeof pkt);
    return sizeof pkt;
}

static void test_parse_hand_built(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t len = hand_built(b);
    assert_int_equal(hn_rtcp_validate(b, len), 1);
    assert_int_equal(hn_twcc_parse(b, len, &fb), 0);
    assert_int_equal(fb.sender_ssrc, 1);
    assert_int_equal(fb.media_ssrc, 2);
    assert_int_equal(fb.base_seq, 100);
    assert_int_equal(fb.status_count, 5);
    assert_int_equal(fb.fb_count, 7);
    assert_int_equal(fb.reference_time, 1);
    assert_int_equal(fb.received, 4);
    assert_int_equal(fb.arrival_us[0], 65000);
    assert_int_equal(fb.arrival_us[1], 67000);
    assert_true(fb.arrival_us[2] == HN_TWCC_LOST);
    assert_int_equal(fb.arrival_us[3], 66000);
    assert_int_equal(fb.arrival_us[4], 66500);
    /* a negative reference time */
    b[16] = 0xff, b[17] = 0xff, b[18] = 0xff;
    assert_int_equal(hn_twcc_parse(b, len, &fb), 0);
    assert_int_equal(fb.reference_time, -1);
    assert_int_equal(fb.arrival_us[0], -64000 + 1000);
}

static void test_malformed(void **state)
{
    (void)state;
    uint8_t b[64], c[64];
    size_t len = hand_built(b);
    /* every truncation that cuts into chunks or deltas */
    for (size_t l = 0; l < len - 3; l++)
        assert_int_equal(hn_twcc_parse(b, l, &fb), -EINVAL);
    /* more than 3 trailing bytes */
    memcpy(c, b, len);
    memset(c + len, 0, 8);
    assert_int_equal(hn_twcc_parse(c, len + 4, &fb), -EINVAL);
    /* reserved symbol in the vector */
    memcpy(c, b, len);
    c[22] = 0xcc; /* [lost, reserved(3), ...] */
    assert_int_equal(hn_twcc_parse(c, len, &fb), -EINVAL);
    /* run longer than the count */
    memcpy(c, b, len);
    c[21] = 0x09;
    assert_int_equal(hn_twcc_parse(c, len, &fb), -EINVAL);
    /* run of reserved symbols, empty run */
    memcpy(c, b, len);
    c[20] = 0x60;
    assert_int_equal(hn_twcc_parse(c, len, &fb), -EINVAL);
    memcpy(c, b, len);
    c[20] = 0x20, c[21] = 0x00;
    assert_int_equal(hn_twcc_parse(c, len, &fb), -EINVAL);
    /* a vector that reports received packets past the count */
    memcpy(c, b, len);
    c[23] = 0x01; /* 7th symbol: small, beyond status count 5 */
    assert_int_equal(hn_twcc_parse(c, len, &fb), -EINVAL);
    /* count 0, count too large, wrong type/fmt */
    memcpy(c, b, len);
    c[14] = 0, c[15] = 0;
    assert_int_equal(hn_twcc_parse(c, len, &fb), -EINVAL);
    c[14] = 0xff, c[15] = 0xff;
    assert_int_equal(hn_twcc_parse(c, len, &fb), -E2BIG);
    memcpy(c, b, len);
    c[0] = 0x81;
    assert_int_equal(hn_twcc_parse(c, len, &fb), -EINVAL);
    assert_int_equal(hn_twcc_parse(NULL, len, &fb), -EINVAL);
    /* random bytes after a valid fixed part: never a crash, never a read past len */
    uint32_t s = 7;
    for (int round = 0; round < 20000; round++) {
        size_t l = 20 + rnd(&s) % 40;
        uint8_t *r = malloc(l); /* exact size, so ASan sees any overread */
        memcpy(r, b, 20);
        for (size_t i = 12; i < l; i++)
            r[i] = (uint8_t)rnd(&s);
        r[14] = 0;
        r[15] = (uint8_t)(rnd(&s) % 40);
        int rc = hn_twcc_parse(r, l, &fb);
        assert_true(rc == 0 || rc == -EINVAL);
        if (rc == 0)
            assert_true(fb.received <= fb.status_count);
        free(r);
    }
}

/* Writes arrivals[0..n) (possibly over several packets) and checks each parsed packet. */
static void round_trip(const int64_t *arr, size_t n, uint16_t base)
{
    uint8_t buf[1500];
    size_t done = 0;
    uint8_t fbc = 0;
    while (done < n) {
        while (done < n && arr[done] == HN_TWCC_LOST)
            done++;
        if (done == n)
            break;
        size_t covered = 0;
        int len = hn_twcc_write(buf, sizeof buf, 0xaaaa, 0xbbbb, (uint16_t)(base + done), fbc,
                                arr + done, n - done, &covered);
        assert_true(len > 0);
        assert_int_equal(len % 4, 0);
        assert_true(covered >= 1);
        assert_int_equal(hn_rtcp_validate(buf, (size_t)len), 1);
        HnRtcpIter it;
        HnRtcpPacket p;
        hn_rtcp_iter_init(&it, buf, (size_t)len);
        assert_int_equal(hn_rtcp_iter_next(&it, &p), 1);
        assert_int_equal(p.kind, HN_RTCP_KIND_TWCC);
        assert_int_equal(hn_twcc_parse(p.data, p.len, &fb), 0);
        assert_int_equal(fb.base_seq, (uint16_t)(base + done));
        assert_int_equal(fb.status_count, covered);
        assert_int_equal(fb.fb_count, fbc);
        for (size_t i = 0; i < covered; i++) {
            int64_t want = arr[done + i];
            if (want == HN_TWCC_LOST) {
                assert_true(fb.arrival_us[i] == HN_TWCC_LOST);
                continue;
            }
            /* 250 us resolution, relative to the 64 ms reference (which wraps at 24 bits) */
            int64_t floor250 = want >= 0 ? want / 250 * 250 : -((-want + 249) / 250) * 250;
            int64_t got = fb.arrival_us[i];
            int64_t span = (int64_t)1 << 24;
            int64_t diff = (floor250 - got) % (span * HN_TWCC_REF_US);
            assert_int_equal(diff, 0);
        }
        done += covered;
        fbc++;
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    static int64_t arr[HN_TWCC_MAX_STATUS];
    uint32_t s = 1;
    for (int round = 0; round < 50; round++) {
        size_t n = 1 + rnd(&s) % 600;
        int64_t t = 5000000 + (int64_t)(rnd(&s) % 100000000);
        for (size_t i = 0; i < n; i++) {
            unsigned r = rnd(&s) % 100;
            if (i > 0 &&
                r < 10u + (unsigned)(round % 3) * 20u) { /* 10-50 % loss, in runs on some rounds */
                arr[i] = HN_TWCC_LOST;
                continue;
            }
            if (r < 60)
                t += rnd(&s) % 2000; /* small */
            else if (r < 75)
                t += 70000 + rnd(&s) % 900000; /* large */
            else if (r < 85)
                t -= rnd(&s) % 30000; /* reordered: negative delta */
            arr[i] = t;
        }
        round_trip(arr, n, (uint16_t)(65500 + round));
    }
    /* long runs of one symbol (run-length chunks), all received, then a long loss run */
    for (size_t i = 0; i < 3000; i++)
        arr[i] = i < 2000 ? 1000000 + (int64_t)i * 500 : HN_TWCC_LOST;
    arr[2999] = 3000000;
    round_trip(arr, 3000, 0);
    /* a gap over 8 s does not fit in a delta: split */
    arr[0] = 1000000;
    arr[1] = 1001000;
    arr[2] = 20000000;
    arr[3] = 20001000;
    uint8_t buf[200];
    size_t covered;
    int len = hn_twcc_write(buf, sizeof buf, 1, 2, 0, 0, arr, 4, &covered);
    assert_true(len > 0);
    assert_int_equal(covered, 2);
    round_trip(arr, 4, 10);
    /* a small buffer: fewer packets per feedback, -ENOSPC below one */
    for (size_t i = 0; i < 100; i++)
        arr[i] = 1000000 + (int64_t)i * 300000; /* all large deltas */
    len = hn_twcc_write(buf, 40, 1, 2, 0, 0, arr, 100, &covered);
    assert_true(len > 0 && len <= 40);
    assert_true(covered < 100);
    assert_int_equal(hn_twcc_write(buf, 20, 1, 2, 0, 0, arr, 100, &covered), -ENOSPC);
    arr[0] = HN_TWCC_LOST;
    assert_int_equal(hn_twcc_write(buf, sizeof buf, 1, 2, 0, 0, arr, 1, &covered), -EINVAL);
}

static void test_seq_extension(void **state)
{
    (void)state;
    /* a packet with one CSRC, a one-byte extension block (audio level, id 1) and padding */
    uint8_t src[64] = {0xb1, 111, 0x12, 0x34, 0,    0,    0, 9, 0,    0,    0, 5,
                       0,    0,   0,    77,   0xbe, 0xde, 0, 1, 0x10, 0x85, 0, 0};
    memcpy(src + 24, "payload", 7);
    src[31] = 0;
    src[32] = 0;
    src[33] = 3; /* 3 padding bytes */
    size_t len = 34;
    HnRtpHeader h, h2;
    assert_int_equal(hn_rtp_parse(src, len, &h), 0);
    uint8_t dst[80];
    size_t n = hn_twcc_copy_with_seq(dst, src, len, &h, 3, 0xbeef);
    assert_int_equal(n, len);
    assert_int_equal(hn_rtp_parse(dst, n, &h2), 0);
    assert_int_equal(h2.csrc_count, 1);
    assert_true(h2.padding);
    assert_int_equal(h2.payload_len, h.payload_len);
    assert_memory_equal(dst + h2.header_len, "payload", 7);
    uint16_t seq = 0;
    assert_int_equal(hn_twcc_read_seq(dst, &h2, 3, &seq), 0);
    assert_int_equal(seq, 0xbeef);
    assert_int_equal(hn_twcc_read_seq(dst, &h2, 1, &seq), -ENOENT); /* old block replaced */
    /* a packet without an extension grows by 8 bytes */
    uint8_t plain[20] = {0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 1, 2, 3, 4};
    assert_int_equal(hn_rtp_parse(plain, 16, &h), 0);
    n = hn_twcc_copy_with_seq(dst, plain, 16, &h, 14, 7);
    assert_int_equal(n, 24);
    assert_int_equal(hn_rtp_parse(dst, n, &h2), 0);
    assert_int_equal(hn_twcc_read_seq(dst, &h2, 14, &seq), 0);
    assert_int_equal(seq, 7);
    assert_memory_equal(dst + 20, plain + 12, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_hand_built),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_seq_extension),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

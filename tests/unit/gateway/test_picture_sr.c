/* Unit tests of server/gateway/picture_sr.c: the RTCP sender reports of what a SIP room system
 * receives (counts, the RTP <-> NTP mapping at the report's instant, SDES CNAME, one a second),
 * with a fake wall clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gateway/picture_sr.h"

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static size_t rtp(uint8_t *b, uint32_t ts, uint32_t ssrc, size_t payload)
{
    memset(b, 0, 12 + payload);
    b[0] = 0x80;
    b[1] = 96;
    b[4] = (uint8_t)(ts >> 24), b[5] = (uint8_t)(ts >> 16), b[6] = (uint8_t)(ts >> 8);
    b[7] = (uint8_t)ts;
    b[8] = (uint8_t)(ssrc >> 24), b[9] = (uint8_t)(ssrc >> 16), b[10] = (uint8_t)(ssrc >> 8);
    b[11] = (uint8_t)ssrc;
    return 12 + payload;
}

#define T0 1780000000000000LL /* a wall-clock instant, microseconds since 1970 */

static void test_nothing_before_a_packet(void **state)
{
    (void)state;
    HnPictureSr sr;
    hn_picture_sr_init(&sr, 90000);
    uint8_t buf[256];
    assert_false(hn_picture_sr_due(&sr, T0));
    assert_int_equal(hn_picture_sr_build(&sr, T0, "hoinghi", buf, sizeof buf), 0);
    /* not RTP: ignored */
    uint8_t junk[20] = {0x40};
    hn_picture_sr_sent(&sr, junk, sizeof junk, T0);
    hn_picture_sr_sent(&sr, junk, 5, T0);
    assert_false(hn_picture_sr_due(&sr, T0));
}

static void test_report_states_the_mapping_and_counts(void **state)
{
    (void)state;
    HnPictureSr sr;
    hn_picture_sr_init(&sr, 90000);
    uint8_t p[1500];
    hn_picture_sr_sent(&sr, p, rtp(p, 1000, 0xabcdef01, 1000), T0);
    hn_picture_sr_sent(&sr, p, rtp(p, 1000, 0xabcdef01, 200), T0 + 100);
    hn_picture_sr_sent(&sr, p, rtp(p, 4600, 0xabcdef01, 300), T0 + 40000); /* +40 ms */
    assert_true(hn_picture_sr_due(&sr, T0 + 40000));
    uint8_t b[256];
    int64_t now = T0 + 540000; /* 500 ms after the last packet */
    size_t n = hn_picture_sr_build(&sr, now, "hoinghi@hall", b, sizeof b);
    assert_int_equal(n % 4, 0);
    assert_int_equal(b[0], 0x80);
    assert_int_equal(b[1], 200);
    assert_int_equal(b[2] << 8 | b[3], 6);
    assert_int_equal(get32(b + 4), 0xabcdef01);
    uint64_t secs = get32(b + 8), frac = get32(b + 12);
    assert_int_equal(secs, (uint64_t)(now / 1000000) + 2208988800ULL);
    assert_true(frac * 1000000 / 4294967296ULL >= (uint64_t)(now % 1000000) - 1);
    assert_true(frac * 1000000 / 4294967296ULL <= (uint64_t)(now % 1000000));
    assert_int_equal(get32(b + 16), 4600 + 45000); /* 500 ms at 90 kHz later */
    assert_int_equal(get32(b + 20), 3);
    assert_int_equal(get32(b + 24), 1500);
    /* SDES CNAME */
    const uint8_t *s = b + 28;
    assert_int_equal(s[0], 0x81);
    assert_int_equal(s[1], 202);
    assert_int_equal(28 + 4 * ((size_t)(s[2] << 8 | s[3]) + 1), n);
    assert_int_equal(get32(s + 4), 0xabcdef01);
    assert_int_equal(s[8], 1);
    assert_int_equal(s[9], strlen("hoinghi@hall"));
    assert_memory_equal(s + 10, "hoinghi@hall", strlen("hoinghi@hall"));
    assert_int_equal(s[10 + strlen("hoinghi@hall")], 0); /* END */
    /* one a second */
    assert_false(hn_picture_sr_due(&sr, now + 999999));
    assert_true(hn_picture_sr_due(&sr, now + 1000000));
    /* too small a buffer */
    assert_int_equal(hn_picture_sr_build(&sr, now, "x", b, 20), 0);
}

static void test_audio_and_video_line_up(void **state)
{
    (void)state;
    /* audio at 8 kHz and video at 90 kHz, sent at the same instants: their SRs at any instant
     * map to the same wall-clock time */
    HnPictureSr a, v;
    hn_picture_sr_init(&a, 8000);
    hn_picture_sr_init(&v, 90000);
    uint8_t p[200];
    for (int i = 0; i < 50; i++) {
        int64_t t = T0 + (int64_t)i * 20000;
        hn_picture_sr_sent(&a, p, rtp(p, 777 + (uint32_t)i * 160, 1, 160), t);
        if (i % 2 == 0)
            hn_picture_sr_sent(&v, p, rtp(p, 123456 + (uint32_t)i / 2 * 3600, 2, 100), t);
    }
    uint8_t ba[64], bv[64];
    int64_t now = T0 + 1234567;
    assert_true(hn_picture_sr_build(&a, now, "c", ba, sizeof ba) > 0);
    assert_true(hn_picture_sr_build(&v, now + 333, "c", bv, sizeof bv) > 0);
    /* the RTP timestamps at a common instant: audio's from T0 at 8 kHz, video's at 90 kHz */
    uint32_t ats = get32(ba + 16), vts = get32(bv + 16);
    int64_t a_us = (int64_t)(ats - 777) * 1000000 / 8000;
    int64_t v_us = (int64_t)(vts - 123456) * 1000000 / 90000;
    assert_true(a_us - 1234567 <= 1000 && 1234567 - a_us <= 1000);
    assert_true(v_us - (1234567 + 333) <= 1000 && (1234567 + 333) - v_us <= 1000);
    /* a clock step back: still a timestamp, behind the last */
    assert_int_equal(hn_picture_sr_rtp_at(&v, v.at_us - 1000000), v.rtp_ts - 90000);
}

static void test_a_late_packet_does_not_move_the_mapping(void **state)
{
    (void)state;
    /* 25 fps video: the second frame's packet left 60 ms late (a busy thread): the SR still
     * maps by the first; after the SR a new window anchors on the next packet, and an earlier
     * one of that window replaces it */
    HnPictureSr v;
    hn_picture_sr_init(&v, 90000);
    uint8_t p[200], b[64];
    hn_picture_sr_sent(&v, p, rtp(p, 9000, 1, 100), T0);
    hn_picture_sr_sent(&v, p, rtp(p, 9000 + 3600, 1, 100), T0 + 40000 + 60000);
    assert_true(hn_picture_sr_build(&v, T0 + 500000, "c", b, sizeof b) > 0);
    assert_int_equal(get32(b + 16), 9000 + 45000);
    hn_picture_sr_sent(&v, p, rtp(p, 9000 + 7200, 1, 100), T0 + 80000 + 30000);
    assert_int_equal(v.at_us, T0 + 110000);
    hn_picture_sr_sent(&v, p, rtp(p, 9000 + 10800, 1, 100), T0 + 120000);
    assert_int_equal(v.rtp_ts, 9000 + 10800);
    assert_int_equal(hn_picture_sr_rtp_at(&v, T0 + 1000000), 9000 + 90000);
    /* a new timestamp base 5 s back (wrapping): anchors at once */
    hn_picture_sr_sent(&v, p, rtp(p, 9000 + 10800 - 450000, 1, 100), T0 + 160000);
    assert_int_equal(v.rtp_ts, (uint32_t)(9000 + 10800 - 450000));
    assert_int_equal(v.at_us, T0 + 160000);
}

static void test_extension_and_padding_not_counted(void **state)
{
    (void)state;
    HnPictureSr sr;
    hn_picture_sr_init(&sr, 48000);
    uint8_t p[100];
    size_t n = rtp(p, 5, 9, 40);
    p[0] |= 0x10 | 0x20; /* extension of one word, padding 4 */
    p[12] = 0xbe, p[13] = 0xde, p[14] = 0, p[15] = 1;
    p[n - 1] = 4;
    hn_picture_sr_sent(&sr, p, n, T0);
    uint8_t b[64];
    assert_true(hn_picture_sr_build(&sr, T0, "", b, sizeof b) > 0);
    assert_int_equal(get32(b + 24), 40 - 8 - 4);
    /* a long CNAME is cut at 255 */
    char longname[400];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    uint8_t big[512];
    size_t m = hn_picture_sr_build(&sr, T0, longname, big, sizeof big);
    assert_int_equal(big[28 + 9], 255);
    assert_int_equal(m, 28 + ((4 + 4 + 2 + 255 + 1 + 3) & ~3u));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_before_a_packet),
        cmocka_unit_test(test_report_states_the_mapping_and_counts),
        cmocka_unit_test(test_audio_and_video_line_up),
        cmocka_unit_test(test_a_late_packet_does_not_move_the_mapping),
        cmocka_unit_test(test_extension_and_padding_not_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

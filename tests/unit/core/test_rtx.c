/* Unit tests of core/rtx: RTX wrap/unwrap round trip (CSRCs, extension, padding, marker),
 * padding-only probes and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "core/rtx.h"
#include "test_util.h"

/* An RTP packet with one CSRC, a one-byte-header extension and a 3-byte payload. */
static size_t original(uint8_t *buf)
{
    const uint8_t p[] = {
        0x91, 0xe0, 0x12, 0x34,             /* V=2 X=1 CC=1, M=1 PT=96, seq 0x1234 */
        0x00, 0x01, 0x5f, 0x90,             /* ts */
        0xa0, 0xa0, 0xa0, 0xa0,             /* ssrc */
        0xc5, 0xc5, 0xc5, 0xc5,             /* csrc */
        0xbe, 0xde, 0x00, 0x01,             /* extension, 1 word */
        0x10, 0xaa, 0x00, 0x00, 0x01, 0x02, /* ext data, then payload 01 02 03 */
        0x03,
    };
    memcpy(buf, p, sizeof(p));
    return sizeof(p);
}

static void test_round_trip(void **state)
{
    (void)state;
    uint8_t buf[64], orig[64], back[64];
    size_t len = original(buf);
    memcpy(orig, buf, len);
    int n = hn_rtx_wrap(buf, len, sizeof(buf), 7, 0xdeadbeef, 97);
    assert_int_equal(n, (int)len + 2);
    HnRtpHeader h;
    assert_int_equal(hn_rtp_parse(buf, (size_t)n, &h), 0);
    assert_int_equal(h.seq, 7);
    assert_int_equal(h.ssrc, 0xdeadbeef);
    assert_int_equal(h.pt, 97);
    assert_true(h.marker);
    assert_int_equal(h.ts, 0x00015f90);
    assert_int_equal(h.payload_len, 5);
    assert_int_equal(hn_rd16(buf + h.header_len), 0x1234); /* the OSN */

    uint16_t osn = 0;
    int m = hn_rtx_unwrap(back, buf, (size_t)n, &h, 0xa0a0a0a0, 96, &osn);
    assert_int_equal(m, (int)len);
    assert_int_equal(osn, 0x1234);
    assert_memory_equal(back, orig, len);
}

static void test_padding(void **state)
{
    (void)state;
    /* an RTX packet with 4 bytes of padding: the original comes back without it */
    uint8_t buf[64], back[64];
    size_t len =
        tu_rtp(buf, 97, 9, 1000, 0x5555, (const uint8_t[]){0x00, 0x2a, 0xab, 0, 0, 0, 4}, 7);
    buf[0] |= 0x20;
    HnRtpHeader h;
    assert_int_equal(hn_rtp_parse(buf, len, &h), 0);
    uint16_t osn;
    int m = hn_rtx_unwrap(back, buf, len, &h, 0x1111, 96, &osn);
    assert_int_equal(m, 13);
    assert_int_equal(osn, 42);
    assert_int_equal(hn_rtp_parse(back, (size_t)m, &h), 0);
    assert_false(h.padding);
    assert_int_equal(h.seq, 42);
    assert_int_equal(h.pt, 96);
    assert_int_equal(h.ssrc, 0x1111);
    assert_int_equal(back[12], 0xab);

    /* padding-only probes (an OSN, or nothing at all) and bad input */
    len = tu_rtp(buf, 97, 10, 1000, 0x5555, (const uint8_t[]){0x00, 0x2b}, 2);
    assert_int_equal(hn_rtp_parse(buf, len, &h), 0);
    assert_int_equal(hn_rtx_unwrap(back, buf, len, &h, 1, 96, &osn), -ENODATA);
    len = tu_rtp(buf, 97, 10, 1000, 0x5555, (const uint8_t[]){0, 0, 0, 4}, 4);
    buf[0] |= 0x20; /* libwebrtc's probe: padding, no OSN */
    assert_int_equal(hn_rtp_parse(buf, len, &h), 0);
    assert_int_equal(hn_rtx_unwrap(back, buf, len, &h, 1, 96, &osn), -ENODATA);
    len = tu_rtp(buf, 97, 11, 1000, 0x5555, (const uint8_t[]){0x00}, 1);
    assert_int_equal(hn_rtp_parse(buf, len, &h), 0);
    assert_int_equal(hn_rtx_unwrap(back, buf, len, &h, 1, 96, &osn), -EINVAL);
    len = tu_rtp(buf, 96, 12, 1000, 0x5555, (const uint8_t[]){1, 2, 3}, 3);
    assert_int_equal(hn_rtx_wrap(buf, len, len + 1, 1, 2, 97), -ENOSPC);
    assert_int_equal(hn_rtx_wrap(buf, 5, sizeof(buf), 1, 2, 97), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_padding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

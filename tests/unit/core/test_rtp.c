/* Unit tests of core/rtp: header parsing, validation of hostile packets, setters, demux. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>

#include "core/rtp.h"
#include "test_util.h"

static void test_parse_minimal(void **state)
{
    uint8_t buf[64];
    const uint8_t payload[] = {1, 2, 3};
    size_t len = tu_rtp(buf, 96, 0xfffe, 0xdeadbeef, 0x11223344, payload, sizeof(payload));
    buf[1] |= 0x80;
    HnRtpHeader h;
    assert_int_equal(hn_rtp_parse(buf, len, &h), 0);
    assert_true(h.marker);
    assert_int_equal(h.pt, 96);
    assert_int_equal(h.seq, 0xfffe);
    assert_int_equal(h.ts, 0xdeadbeef);
    assert_int_equal(h.ssrc, 0x11223344);
    assert_int_equal(h.header_len, 12);
    assert_int_equal(h.payload_len, 3);
    assert_false(h.extension);
    assert_false(h.padding);
}

static void test_parse_csrc_extension_padding(void **state)
{
    uint8_t buf[64] = {0};
    buf[0] = 0x80 | 0x20 | 0x10 | 2; /* P, X, CC=2 */
    buf[1] = 111;
    hn_wr32(buf + 8, 7);
    hn_wr32(buf + 12, 100); /* CSRC 1 */
    hn_wr32(buf + 16, 200); /* CSRC 2 */
    hn_wr16(buf + 20, 0xbede);
    hn_wr16(buf + 22, 1); /* one word of extension */
    buf[24] = 0x10;
    buf[25] = 0xaa;
    /* payload 28..31, then 4 bytes of padding */
    buf[28] = 9;
    buf[35] = 4;
    HnRtpHeader h;
    assert_int_equal(hn_rtp_parse(buf, 36, &h), 0);
    assert_int_equal(h.csrc_count, 2);
    assert_int_equal(h.ext_profile, 0xbede);
    assert_int_equal(h.ext_offset, 24);
    assert_int_equal(h.ext_len, 4);
    assert_int_equal(h.header_len, 28);
    assert_int_equal(h.padding_len, 4);
    assert_int_equal(h.payload_len, 4);
}

static void test_copy_without_extension(void **state)
{
    uint8_t buf[64] = {0}, out[64];
    buf[0] = 0x80 | 0x20 | 0x10 | 2; /* P, X, CC=2 */
    buf[1] = 0x80 | 96;              /* marker kept */
    hn_wr32(buf + 8, 7);
    hn_wr32(buf + 12, 100);
    hn_wr32(buf + 16, 200);
    hn_wr16(buf + 20, 0x1000); /* two-byte profile, two words */
    hn_wr16(buf + 22, 2);
    memset(buf + 24, 0x55, 8);
    for (int i = 0; i < 5; i++)
        buf[32 + i] = (uint8_t)(i + 1); /* payload 32..36 */
    buf[37] = 0;
    buf[38] = 0;
    buf[39] = 3; /* 3 bytes of padding */
    HnRtpHeader h, o;
    assert_int_equal(hn_rtp_parse(buf, 40, &h), 0);
    size_t n = hn_rtp_copy_without_extension(out, buf, 40, &h);
    assert_int_equal(n, 28);
    assert_int_equal(hn_rtp_parse(out, n, &o), 0);
    assert_false(o.extension);
    assert_true(o.marker);
    assert_int_equal(o.csrc_count, 2);
    assert_int_equal(hn_rd32(out + 16), 200);
    assert_int_equal(o.header_len, 20);
    assert_int_equal(o.payload_len, 5);
    assert_int_equal(o.padding_len, 3);
    assert_memory_equal(out + 20, buf + 32, 8);

    /* without an extension: a plain copy */
    size_t len = tu_rtp(buf, 96, 1, 2, 3, (const uint8_t *)"abc", 3);
    assert_int_equal(hn_rtp_parse(buf, len, &h), 0);
    assert_int_equal(hn_rtp_copy_without_extension(out, buf, len, &h), len);
    assert_memory_equal(out, buf, len);
}

static void test_parse_rejects_hostile(void **state)
{
    uint8_t buf[64] = {0};
    HnRtpHeader h;
    size_t len = tu_rtp(buf, 96, 1, 1, 1, NULL, 0);
    assert_int_equal(hn_rtp_parse(buf, len, &h), 0);
    assert_int_equal(hn_rtp_parse(NULL, len, &h), -EINVAL);
    for (size_t l = 0; l < 12; l++) /* truncated fixed header */
        assert_int_equal(hn_rtp_parse(buf, l, &h), -EINVAL);

    buf[0] = 0x40; /* version 1 */
    assert_int_equal(hn_rtp_parse(buf, len, &h), -EINVAL);
    buf[0] = 0x8f; /* 15 CSRCs in a 12-byte packet */
    assert_int_equal(hn_rtp_parse(buf, len, &h), -EINVAL);

    buf[0] = 0x90; /* extension header missing */
    assert_int_equal(hn_rtp_parse(buf, 14, &h), -EINVAL);
    hn_wr16(buf + 12, 0xbede);
    hn_wr16(buf + 14, 0xffff); /* extension longer than the packet */
    assert_int_equal(hn_rtp_parse(buf, 20, &h), -EINVAL);
    hn_wr16(buf + 14, 1);
    assert_int_equal(hn_rtp_parse(buf, 20, &h), 0);
    assert_int_equal(hn_rtp_parse(buf, 19, &h), -EINVAL);

    len = tu_rtp(buf, 96, 1, 1, 1, (const uint8_t *)"abcd", 4);
    buf[0] |= 0x20; /* padding */
    buf[len - 1] = 0;
    assert_int_equal(hn_rtp_parse(buf, len, &h), -EINVAL); /* count 0 */
    buf[len - 1] = 5;
    assert_int_equal(hn_rtp_parse(buf, len, &h), -EINVAL); /* eats the header */
    buf[len - 1] = 4;
    assert_int_equal(hn_rtp_parse(buf, len, &h), 0);
    assert_int_equal(h.payload_len, 0);
}

static void test_setters(void **state)
{
    uint8_t buf[32];
    size_t len = tu_rtp(buf, 96, 1, 2, 3, NULL, 0);
    buf[1] |= 0x80;
    hn_rtp_set_seq(buf, 0xabcd);
    hn_rtp_set_ts(buf, 0x01020304);
    hn_rtp_set_ssrc(buf, 0xcafebabe);
    hn_rtp_set_pt(buf, 0xff); /* masked to 127, marker kept */
    HnRtpHeader h;
    assert_int_equal(hn_rtp_parse(buf, len, &h), 0);
    assert_int_equal(h.seq, 0xabcd);
    assert_int_equal(h.ts, 0x01020304);
    assert_int_equal(h.ssrc, 0xcafebabe);
    assert_int_equal(h.pt, 127);
    assert_true(h.marker);
    hn_rtp_set_marker(buf, false);
    hn_rtp_set_pt(buf, 100);
    assert_int_equal(hn_rtp_parse(buf, len, &h), 0);
    assert_false(h.marker);
    assert_int_equal(h.pt, 100);
}

static void test_is_rtcp(void **state)
{
    uint8_t b[2] = {0x80, 200};
    assert_true(hn_rtp_is_rtcp(b, 2));
    b[1] = 192;
    assert_true(hn_rtp_is_rtcp(b, 2));
    b[1] = 223;
    assert_true(hn_rtp_is_rtcp(b, 2));
    b[1] = 224;
    assert_false(hn_rtp_is_rtcp(b, 2));
    b[1] = 96 | 0x80; /* RTP pt 96 with marker = 224 */
    assert_false(hn_rtp_is_rtcp(b, 2));
    b[1] = 111;
    assert_false(hn_rtp_is_rtcp(b, 2));
    b[1] = 200;
    assert_false(hn_rtp_is_rtcp(b, 1));
    assert_false(hn_rtp_is_rtcp(NULL, 2));
}

static void test_random_bytes_never_crash(void **state)
{
    uint64_t seed = 0x1234567;
    uint8_t buf[256];
    unsigned ok = 0;
    for (int iter = 0; iter < 5000; iter++) {
        size_t len = tu_rand(&seed) % sizeof(buf);
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)tu_rand(&seed);
        if (len)
            buf[0] = (uint8_t)((buf[0] & 0x3f) | 0x80);
        HnRtpHeader h;
        if (hn_rtp_parse(buf, len, &h) == 0) {
            ok++;
            assert_true(h.header_len + h.payload_len + h.padding_len == len);
        }
    }
    assert_true(ok > 0);
}

/* RFC 8285 header extensions and the RFC 6464 audio level in both forms. */
static void test_audio_level_extension(void **state)
{
    (void)state;
    /* One-byte form: padding, mid (id 4, 2 bytes), audio level (id 1, 1 byte: V=1, 33 dBov). */
    uint8_t one[] = {0x90, 111, 0, 1,    0,    0,   0,   0,    0,         0, 0, 1,   0xBE,
                     0xDE, 0,   2, 0x00, 0x41, 'a', 'b', 0x10, 0x80 | 33, 0, 0, 0xAA};
    HnRtpHeader h;
    assert_int_equal(hn_rtp_parse(one, sizeof one, &h), 0);
    uint8_t level = 0;
    bool voice = false;
    assert_int_equal(hn_rtp_audio_level(one, &h, 1, &level, &voice), 0);
    assert_int_equal(level, 33);
    assert_true(voice);
    const uint8_t *d = NULL;
    assert_int_equal(hn_rtp_find_extension(one, &h, 4, &d), 2);
    assert_memory_equal(d, "ab", 2);
    assert_int_equal(hn_rtp_audio_level(one, &h, 3, &level, &voice), -ENOENT);
    assert_int_equal(hn_rtp_audio_level(one, &h, 15, &level, &voice), -ENOENT);
    /* Two-byte form (0x1000): id 20 (3 bytes), id 1 (1 byte: V=0, 127 = silence). */
    uint8_t two[] = {0x90, 111, 0, 1,  0, 0, 0, 0, 0, 0, 0,   1,   0x10,
                     0x00, 0,   2, 20, 3, 1, 2, 3, 1, 1, 127, 0xAA};
    assert_int_equal(hn_rtp_parse(two, sizeof two, &h), 0);
    assert_int_equal(hn_rtp_audio_level(two, &h, 1, &level, &voice), 0);
    assert_int_equal(level, 127);
    assert_false(voice);
    assert_int_equal(hn_rtp_find_extension(two, &h, 20, &d), 3);
    /* An element running past the block is malformed; no extension at all is absent. */
    uint8_t bad[] = {0x90, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE, 0xDE, 0, 1, 0x2F, 0, 0, 0};
    assert_int_equal(hn_rtp_parse(bad, sizeof bad, &h), 0);
    assert_int_equal(hn_rtp_audio_level(bad, &h, 1, &level, &voice), -EINVAL);
    uint8_t plain[] = {0x80, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xAA};
    assert_int_equal(hn_rtp_parse(plain, sizeof plain, &h), 0);
    assert_int_equal(hn_rtp_audio_level(plain, &h, 1, &level, &voice), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_minimal),
        cmocka_unit_test(test_parse_csrc_extension_padding),
        cmocka_unit_test(test_copy_without_extension),
        cmocka_unit_test(test_parse_rejects_hostile),
        cmocka_unit_test(test_setters),
        cmocka_unit_test(test_is_rtcp),
        cmocka_unit_test(test_audio_level_extension),
        cmocka_unit_test(test_random_bytes_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

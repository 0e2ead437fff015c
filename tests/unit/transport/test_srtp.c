/* test_srtp.c - SRTP/SRTCP round trips with keys from a real in-memory DTLS handshake. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "test_dtls_pair.h"
#include "transport/srtp.h"

typedef struct {
    HnSrtp *server;
    HnSrtp *client;
    HnSrtpProfile profile;
} Sessions;

/* Handshake (offering only @profiles from the client) and build both SRTP contexts. */
static void sessions_init(Sessions *s, const char *profiles, HnSrtpProfile expect)
{
    TestPair p;
    test_pair_init(&p, NULL, NULL, NULL, NULL);
    assert_int_equal(hn_dtls_set_srtp_profiles(p.client.dtls, profiles), 0);
    test_pair_run(&p, false, 0);
    assert_int_equal(p.server.connected, 1);
    assert_int_equal(p.client.connected, 1);
    assert_int_equal(p.server.keys.profile, expect);
    GError *error = NULL;
    s->server = hn_srtp_new(&p.server.keys, &error);
    assert_null(error);
    s->client = hn_srtp_new(&p.client.keys, &error);
    assert_null(error);
    assert_non_null(s->server);
    assert_non_null(s->client);
    s->profile = expect;
    assert_int_equal(hn_srtp_get_profile(s->server), expect);
    test_pair_clear(&p);
}

static void sessions_clear(Sessions *s)
{
    hn_srtp_free(s->server);
    hn_srtp_free(s->client);
}

static size_t make_rtp(uint8_t *buf, uint16_t seq, uint32_t ssrc, size_t payload)
{
    buf[0] = 0x80;
    buf[1] = 96;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    memset(buf + 4, 0, 4); /* timestamp */
    buf[4] = (uint8_t)(seq >> 4);
    buf[8] = (uint8_t)(ssrc >> 24);
    buf[9] = (uint8_t)(ssrc >> 16);
    buf[10] = (uint8_t)(ssrc >> 8);
    buf[11] = (uint8_t)ssrc;
    for (size_t i = 0; i < payload; i++)
        buf[12 + i] = (uint8_t)(i * 7 + seq);
    return 12 + payload;
}

/* Sender report + SDES-like filler: a plausible compound packet. */
static size_t make_rtcp(uint8_t *buf, uint32_t ssrc)
{
    memset(buf, 0, 28);
    buf[0] = 0x80;
    buf[1] = 200; /* SR */
    buf[3] = 6;   /* length in words - 1 */
    buf[4] = (uint8_t)(ssrc >> 24);
    buf[5] = (uint8_t)(ssrc >> 16);
    buf[6] = (uint8_t)(ssrc >> 8);
    buf[7] = (uint8_t)ssrc;
    for (int i = 8; i < 28; i++)
        buf[i] = (uint8_t)(i * 3);
    return 28;
}

static void rtp_round_trip(HnSrtp *tx, HnSrtp *rx, uint32_t ssrc, size_t expect_overhead)
{
    uint8_t buf[1500], orig[1500];
    for (uint16_t seq = 1000; seq < 1010; seq++) {
        size_t len = make_rtp(buf, seq, ssrc, 1000);
        memcpy(orig, buf, len);
        size_t plain = len;
        assert_int_equal(hn_srtp_protect_rtp(tx, buf, &len, sizeof buf), 0);
        assert_int_equal(len, plain + expect_overhead);
        assert_memory_equal(buf, orig, 12);               /* header stays clear */
        assert_memory_not_equal(buf + 12, orig + 12, 32); /* payload encrypted */
        assert_int_equal(hn_srtp_unprotect_rtp(rx, buf, &len), 0);
        assert_int_equal(len, plain);
        assert_memory_equal(buf, orig, plain);
    }
}

static void rtcp_round_trip(HnSrtp *tx, HnSrtp *rx, uint32_t ssrc, size_t expect_overhead)
{
    uint8_t buf[256], orig[256];
    for (int i = 0; i < 5; i++) {
        size_t len = make_rtcp(buf, ssrc);
        memcpy(orig, buf, len);
        size_t plain = len;
        assert_int_equal(hn_srtp_protect_rtcp(tx, buf, &len, sizeof buf), 0);
        assert_int_equal(len, plain + expect_overhead);
        assert_int_equal(hn_srtp_unprotect_rtcp(rx, buf, &len), 0);
        assert_int_equal(len, plain);
        assert_memory_equal(buf, orig, plain);
    }
}

static void round_trips(const char *profiles, HnSrtpProfile expect, size_t tag)
{
    Sessions s;
    sessions_init(&s, profiles, expect);
    assert_int_equal(hn_srtp_rtp_overhead(s.client), tag);
    assert_int_equal(hn_srtp_rtcp_overhead(s.client), tag + 4);
    rtp_round_trip(s.client, s.server, 0x11111111, tag);
    rtp_round_trip(s.server, s.client, 0x22222222, tag);
    rtp_round_trip(s.server, s.client, 0x33333333, tag); /* a second SSRC */
    rtcp_round_trip(s.client, s.server, 0x11111111, tag + 4);
    rtcp_round_trip(s.server, s.client, 0x22222222, tag + 4);
    HnSrtpStats st;
    hn_srtp_get_stats(s.server, &st);
    assert_int_equal(st.auth_fail + st.replay + st.malformed + st.other_fail, 0);
    sessions_clear(&s);
}

static void test_round_trip_gcm(void **state)
{
    round_trips(HN_DTLS_SRTP_PROFILES, HN_SRTP_AEAD_AES_128_GCM, 16);
}

static void test_round_trip_cm(void **state)
{
    round_trips("SRTP_AES128_CM_SHA1_80", HN_SRTP_AES128_CM_SHA1_80, 10);
}

static void tamper_and_replay(const char *profiles, HnSrtpProfile expect)
{
    Sessions s;
    sessions_init(&s, profiles, expect);
    uint8_t buf[1500], copy[1500];
    HnSrtpStats st;

    /* tampered payload / tag / header */
    size_t offsets[] = {20, 0 /* set below: last byte */, 4};
    for (size_t k = 0; k < G_N_ELEMENTS(offsets); k++) {
        size_t len = make_rtp(buf, (uint16_t)(100 + k), 0xabcdef01, 200);
        assert_int_equal(hn_srtp_protect_rtp(s.client, buf, &len, sizeof buf), 0);
        size_t at = k == 1 ? len - 1 : offsets[k];
        buf[at] ^= 0x01;
        assert_int_equal(hn_srtp_unprotect_rtp(s.server, buf, &len), -EINVAL);
    }
    hn_srtp_get_stats(s.server, &st);
    assert_int_equal(st.auth_fail, 3);

    /* replay of an accepted packet */
    size_t len = make_rtp(buf, 500, 0xabcdef01, 200);
    assert_int_equal(hn_srtp_protect_rtp(s.client, buf, &len, sizeof buf), 0);
    memcpy(copy, buf, len);
    size_t clen = len;
    assert_int_equal(hn_srtp_unprotect_rtp(s.server, buf, &len), 0);
    assert_int_equal(hn_srtp_unprotect_rtp(s.server, copy, &clen), -EINVAL);
    hn_srtp_get_stats(s.server, &st);
    assert_int_equal(st.replay, 1);

    /* RTCP tamper and replay */
    len = make_rtcp(buf, 0xabcdef01);
    assert_int_equal(hn_srtp_protect_rtcp(s.client, buf, &len, sizeof buf), 0);
    memcpy(copy, buf, len);
    clen = len;
    copy[10] ^= 0x80;
    assert_int_equal(hn_srtp_unprotect_rtcp(s.server, copy, &clen), -EINVAL);
    memcpy(copy, buf, len);
    clen = len;
    assert_int_equal(hn_srtp_unprotect_rtcp(s.server, buf, &len), 0);
    assert_int_equal(hn_srtp_unprotect_rtcp(s.server, copy, &clen), -EINVAL);
    hn_srtp_get_stats(s.server, &st);
    assert_int_equal(st.auth_fail, 4);
    assert_int_equal(st.replay, 2);

    /* wrong direction key: the sender's own context cannot unprotect */
    len = make_rtp(buf, 600, 0xabcdef01, 200);
    assert_int_equal(hn_srtp_protect_rtp(s.client, buf, &len, sizeof buf), 0);
    assert_int_equal(hn_srtp_unprotect_rtp(s.client, buf, &len), -EINVAL);
    sessions_clear(&s);
}

static void test_tamper_replay_gcm(void **state)
{
    tamper_and_replay(HN_DTLS_SRTP_PROFILES, HN_SRTP_AEAD_AES_128_GCM);
}

static void test_tamper_replay_cm(void **state)
{
    tamper_and_replay("SRTP_AES128_CM_SHA1_80", HN_SRTP_AES128_CM_SHA1_80);
}

/* Retransmissions (same seq) can be protected again; a late packet within the 1024 window
 * is accepted, one beyond it is rejected. */
static void test_repeat_tx_and_window(void **state)
{
    Sessions s;
    sessions_init(&s, HN_DTLS_SRTP_PROFILES, HN_SRTP_AEAD_AES_128_GCM);
    uint8_t buf[1500], late[1500], old[1500];
    size_t len = make_rtp(buf, 10, 0x55, 100);
    assert_int_equal(hn_srtp_protect_rtp(s.client, buf, &len, sizeof buf), 0);
    len = make_rtp(buf, 10, 0x55, 100);
    assert_int_equal(hn_srtp_protect_rtp(s.client, buf, &len, sizeof buf), 0);

    size_t old_len = make_rtp(old, 11, 0x55, 100);
    assert_int_equal(hn_srtp_protect_rtp(s.client, old, &old_len, sizeof old), 0);
    size_t late_len = make_rtp(late, 12, 0x55, 100);
    assert_int_equal(hn_srtp_protect_rtp(s.client, late, &late_len, sizeof late), 0);
    for (uint16_t seq = 13; seq < 13 + 1020; seq++) {
        len = make_rtp(buf, seq, 0x55, 100);
        assert_int_equal(hn_srtp_protect_rtp(s.client, buf, &len, sizeof buf), 0);
        if (seq == 13 + 1019) /* 1032: seq 12 is 1020 behind, 11 is 1021 */
            assert_int_equal(hn_srtp_unprotect_rtp(s.server, buf, &len), 0);
    }
    assert_int_equal(hn_srtp_unprotect_rtp(s.server, late, &late_len), 0);
    len = make_rtp(buf, 2000, 0x55, 100);
    assert_int_equal(hn_srtp_protect_rtp(s.client, buf, &len, sizeof buf), 0);
    assert_int_equal(hn_srtp_unprotect_rtp(s.server, buf, &len), 0);
    assert_int_equal(hn_srtp_unprotect_rtp(s.server, old, &old_len), -EINVAL);
    sessions_clear(&s);
}

static void test_capacity(void **state)
{
    Sessions s;
    sessions_init(&s, HN_DTLS_SRTP_PROFILES, HN_SRTP_AEAD_AES_128_GCM);
    uint8_t buf[256];
    size_t len = make_rtp(buf, 1, 1, 100);
    assert_int_equal(hn_srtp_protect_rtp(s.client, buf, &len, len + 15), -ENOSPC);
    assert_int_equal(len, 112);
    assert_int_equal(hn_srtp_protect_rtp(s.client, buf, &len, len + 16), 0);
    assert_int_equal(len, 128);
    len = make_rtcp(buf, 1);
    assert_int_equal(hn_srtp_protect_rtcp(s.client, buf, &len, len + 19), -ENOSPC);
    assert_int_equal(hn_srtp_protect_rtcp(s.client, buf, &len, len + 20), 0);
    len = (size_t)1 << 40;
    assert_int_equal(hn_srtp_protect_rtp(s.client, buf, &len, SIZE_MAX), -ENOSPC);
    sessions_clear(&s);
}

static void garbage(HnSrtp *srtp, GRand *rand)
{
    uint8_t buf[400];
    for (int i = 0; i < 2000; i++) {
        size_t len = (size_t)g_rand_int_range(rand, 0, sizeof buf - 40);
        for (size_t j = 0; j < len; j++)
            buf[j] = (uint8_t)g_rand_int(rand);
        if (len > 0 && (i & 1))
            buf[0] = (uint8_t)((buf[0] & 0x3f) | 0x80); /* look like version 2 */
        size_t l = len;
        assert_true(hn_srtp_unprotect_rtp(srtp, buf, &l) < 0);
        l = len;
        assert_true(hn_srtp_unprotect_rtcp(srtp, buf, &l) < 0);
        l = len;
        int r = hn_srtp_protect_rtp(srtp, buf, &l, sizeof buf); /* may succeed if parseable */
        assert_true(r == 0 || r == -EINVAL);
        l = len;
        r = hn_srtp_protect_rtcp(srtp, buf, &l, sizeof buf);
        assert_true(r == 0 || r == -EINVAL);
    }
}

static void test_garbage(void **state)
{
    GRand *rand = g_rand_new_with_seed(7);
    Sessions s;
    sessions_init(&s, HN_DTLS_SRTP_PROFILES, HN_SRTP_AEAD_AES_128_GCM);
    garbage(s.server, rand);
    sessions_clear(&s);
    sessions_init(&s, "SRTP_AES128_CM_SHA1_80", HN_SRTP_AES128_CM_SHA1_80);
    garbage(s.server, rand);
    HnSrtpStats st;
    hn_srtp_get_stats(s.server, &st);
    assert_true(st.malformed > 0);
    assert_true(st.auth_fail > 0);
    /* still works after all that */
    rtp_round_trip(s.client, s.server, 0x77, 10);
    sessions_clear(&s);
    g_rand_free(rand);
}

static void test_bad_keys(void **state)
{
    HnSrtpKeys keys;
    memset(&keys, 0, sizeof keys);
    GError *error = NULL;
    keys.profile = HN_SRTP_AEAD_AES_128_GCM;
    keys.key_len = 30;
    assert_null(hn_srtp_new(&keys, &error));
    assert_non_null(error);
    g_clear_error(&error);
    keys.profile = HN_SRTP_AES128_CM_SHA1_80;
    keys.key_len = 28;
    assert_null(hn_srtp_new(&keys, &error));
    g_clear_error(&error);
    keys.profile = (HnSrtpProfile)77;
    keys.key_len = 30;
    assert_null(hn_srtp_new(&keys, &error));
    g_clear_error(&error);
    keys.profile = HN_SRTP_AES128_CM_SHA1_80;
    HnSrtp *ok = hn_srtp_new(&keys, &error);
    assert_non_null(ok);
    hn_srtp_free(ok);
    hn_srtp_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_gcm),
        cmocka_unit_test(test_round_trip_cm),
        cmocka_unit_test(test_tamper_replay_gcm),
        cmocka_unit_test(test_tamper_replay_cm),
        cmocka_unit_test(test_repeat_tx_and_window),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_bad_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

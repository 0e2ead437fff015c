/* Unit tests of server/gateway/sip_reinvite.c: a re-INVITE answered against the call's first
 * offer and answer: hold (sendonly, inactive, c=0.0.0.0) and resume, a moved address, the same
 * ports, keys and o= session with the version + 1, and what is refused (another codec or payload
 * type, other m= lines, new SRTP keys). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gateway/sip_reinvite.h"
#include "sdp/sdp_plain.h"

#define KEY_A "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"
#define KEY_B "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CB"

/* An endpoint's offer: PCMU audio, H.264 video at addr/ports, its direction, SDES key or none. */
static char *offer(const char *addr, int a_port, int v_port, const char *dir, const char *key,
                   const char *video_fmt)
{
    const char *proto = key ? "RTP/SAVP" : "RTP/AVP";
    g_autofree char *crypto =
        key ? g_strdup_printf("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n", key)
            : g_strdup("");
    return g_strdup_printf("v=0\r\no=ep 5 5 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
                           "m=audio %d %s 0\r\na=%s\r\n%s"
                           "m=video %d %s %s\r\na=%s\r\n%s",
                           addr, addr, a_port, proto, dir, crypto, v_port, proto, video_fmt, dir,
                           crypto);
}

#define H264 "96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1"

/* Our first answer to first (as sip.c makes it): ports 40000/40002, our key. */
static char *first_answer(const char *first)
{
    static const HnSdpSdesKey ours = {HN_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80, {1, 2, 3, 4, 5}};
    HnSdp *o = NULL;
    assert_int_equal(hn_sdp_parse(first, strlen(first), &o, NULL), 0);
    HnSdpPlainPort ports[2] = {{"192.0.2.1", 40000, 40001, &ours}, {"192.0.2.1", 40002, 0, &ours}};
    HnSdpPlainSession s = {.address = "192.0.2.1", .session_id = 4242, .version = 1};
    HnSdpPlainAnswer *a = NULL;
    assert_int_equal(hn_sdp_plain_answer(o, &s, ports, 2, &a, NULL), 0);
    char *text = g_strdup(a->sdp);
    hn_sdp_plain_answer_free(a);
    hn_sdp_free(o);
    return text;
}

static int reinvite(const char *first, const char *answer, const char *re, HnSipReinvite *r)
{
    return hn_sip_reinvite(first, answer, re, strlen(re), 0, r, NULL);
}

static void test_hold_resume_and_move(void **state)
{
    (void)state;
    g_autofree char *first = offer("192.0.2.50", 5000, 5002, "sendrecv", NULL, H264);
    g_autofree char *ans = first_answer(first);
    HnSipReinvite r;
    /* hold: a=sendonly -> we stop sending, they still send; answered recvonly */
    g_autofree char *hold = offer("192.0.2.50", 5000, 5002, "sendonly", NULL, H264);
    assert_int_equal(reinvite(first, ans, hold, &r), 0);
    assert_int_equal(r.n, 2);
    assert_true(r.held);
    assert_false(r.streams[1].send);
    assert_true(r.streams[1].receive);
    assert_non_null(strstr(r.answer, "o=hoinghi 4242 2 IN IP4 192.0.2.1"));
    assert_non_null(strstr(r.answer, "m=audio 40000 RTP/AVP 0"));
    assert_non_null(strstr(r.answer, "m=video 40002 RTP/AVP 96"));
    assert_non_null(strstr(r.answer, "a=recvonly"));
    assert_null(strstr(r.answer, "a=sendrecv"));
    g_free(r.answer);
    /* a=inactive: neither way (its silence is expected) */
    g_autofree char *inact = offer("192.0.2.50", 5000, 5002, "inactive", NULL, H264);
    assert_int_equal(reinvite(first, ans, inact, &r), 0);
    assert_false(r.streams[0].send);
    assert_false(r.streams[0].receive);
    assert_non_null(strstr(r.answer, "a=inactive"));
    g_free(r.answer);
    /* the old hold: c=0.0.0.0 with sendrecv, taken as sendonly */
    g_autofree char *zero = offer("0.0.0.0", 5000, 5002, "sendrecv", NULL, H264);
    assert_int_equal(reinvite(first, ans, zero, &r), 0);
    assert_false(r.streams[1].send);
    assert_true(r.streams[1].receive);
    assert_non_null(strstr(r.answer, "a=recvonly"));
    g_free(r.answer);
    /* resume at a new address and video port */
    g_autofree char *moved = offer("192.0.2.60", 5000, 6002, "sendrecv", NULL, H264);
    assert_int_equal(reinvite(first, ans, moved, &r), 0);
    assert_false(r.held);
    assert_true(r.streams[1].send && r.streams[1].receive);
    assert_string_equal(r.streams[1].remote.addr, "192.0.2.60");
    assert_int_equal(r.streams[1].remote_port, 6002);
    assert_int_equal(r.streams[1].remote_rtcp_port, 6003);
    assert_non_null(strstr(r.answer, "a=sendrecv"));
    g_free(r.answer);
}

static void test_refused(void **state)
{
    (void)state;
    g_autofree char *first = offer("192.0.2.50", 5000, 5002, "sendrecv", KEY_A, H264);
    g_autofree char *ans = first_answer(first);
    HnSipReinvite r;
    GError *e = NULL;
    /* the same offer (a session refresh): the same answer, its version unchanged */
    assert_int_equal(reinvite(first, ans, first, &r), 0);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.answer, ans);
    g_autofree char *ours = g_strndup(strstr(ans, "a=crypto:1"), 70);
    assert_non_null(strstr(r.answer, ours));
    g_free(r.answer);
    /* no common codec */
    g_autofree char *h263 =
        offer("192.0.2.50", 5000, 5002, "sendrecv", KEY_A, "34\r\na=rtpmap:34 H263/90000");
    assert_int_equal(hn_sip_reinvite(first, ans, h263, strlen(h263), 0, &r, &e), -EINVAL);
    assert_null(r.answer);
    assert_non_null(strstr(e->message, "m= line 1"));
    g_clear_error(&e);
    /* H.264 under another payload type */
    g_autofree char *pt =
        offer("192.0.2.50", 5000, 5002, "sendrecv", KEY_A, "97\r\na=rtpmap:97 H264/90000");
    assert_int_equal(hn_sip_reinvite(first, ans, pt, strlen(pt), 0, &r, &e), -EINVAL);
    assert_non_null(strstr(e->message, "payload type"));
    g_clear_error(&e);
    /* new SRTP keys */
    g_autofree char *rekey = offer("192.0.2.50", 5000, 5002, "sendrecv", KEY_B, H264);
    assert_int_equal(hn_sip_reinvite(first, ans, rekey, strlen(rekey), 0, &r, &e), -EINVAL);
    assert_non_null(strstr(e->message, "SRTP"));
    g_clear_error(&e);
    /* one m= line less; not SDP */
    const char *one = "v=0\r\no=ep 5 6 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.50\r\n"
                      "t=0 0\r\nm=audio 5000 RTP/SAVP 0\r\n";
    assert_int_equal(hn_sip_reinvite(first, ans, one, strlen(one), 0, &r, &e), -EINVAL);
    assert_non_null(strstr(e->message, "m= lines"));
    g_clear_error(&e);
    assert_int_equal(hn_sip_reinvite(first, ans, "garbage", 7, 0, &r, &e), -EINVAL);
    g_clear_error(&e);
}

/* The picture's b=AS is repeated in the re-answer's video section. */
static void test_bandwidth_repeated(void **state)
{
    (void)state;
    g_autofree char *first = offer("192.0.2.50", 5000, 5002, "sendrecv", NULL, H264);
    g_autofree char *ans = first_answer(first);
    HnSipReinvite r;
    assert_int_equal(hn_sip_reinvite(first, ans, first, strlen(first), 512, &r, NULL), 0);
    const char *v = strstr(r.answer, "m=video");
    assert_non_null(v);
    assert_non_null(strstr(v, "b=AS:512\r\nb=TIAS:512000\r\n"));
    assert_null(strstr(r.answer, "b=AS:512\r\nb=TIAS:512000\r\nm=video"));
    g_free(r.answer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hold_resume_and_move),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_bandwidth_repeated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

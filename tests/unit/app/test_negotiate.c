/* app/negotiate: the limits a room reports (published tracks, subscriber slots) fail with
 * HN_NEG_ERROR_TOO_MANY and a sentence for the client, never silently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>
#include <string.h>

#include "app/negotiate.h"

static const HnNegLocal local = {
    .ufrag = "srvU",
    .pwd = "serverPasswordOf24Chars+",
    .fingerprint = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
                   "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99",
};

/* A publish offer with n sendonly Opus m= lines, all bundled. transfer full. */
static char *publish_offer(size_t n)
{
    GString *s = g_string_new("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                              "a=ice-ufrag:cliU\r\na=ice-pwd:clientPasswordOf22Chars\r\n"
                              "a=fingerprint:sha-256 01:02:03\r\na=setup:actpass\r\n"
                              "a=group:BUNDLE");
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(s, " %zu", i);
    g_string_append(s, "\r\n");
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(
            s,
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:%zu\r\n"
            "a=sendonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n"
            "a=ssrc:%zu cname:x\r\n",
            i, 1000 + i);
    return g_string_free(s, FALSE);
}

static void test_publish_track_limit(void **state)
{
    GError *e = NULL;
    char *text = publish_offer(HN_NEG_MAX_PUB_TRACKS);
    HnNegOffer *o = hn_neg_parse_offer(text, &e);
    assert_non_null(o);
    HnNegPublish res;
    char *answer = hn_neg_answer_publish(o, &local, &res, &e);
    assert_non_null(answer);
    assert_int_equal(res.n_tracks, HN_NEG_MAX_PUB_TRACKS);
    hn_neg_publish_clear(&res);
    g_free(answer);
    hn_neg_offer_free(o);
    g_free(text);

    text = publish_offer(HN_NEG_MAX_PUB_TRACKS + 1);
    o = hn_neg_parse_offer(text, &e);
    assert_non_null(o);
    assert_null(hn_neg_answer_publish(o, &local, &res, &e));
    assert_true(g_error_matches(e, HN_NEG_ERROR, HN_NEG_ERROR_TOO_MANY));
    assert_string_equal(e->message, "a participant may publish at most 8 tracks, this offer has 9");
    g_clear_error(&e);
    hn_neg_publish_clear(&res);
    hn_neg_offer_free(o);
    g_free(text);
}

static void test_sub_slot_limit(void **state)
{
    HnNegSlot *slots = g_new0(HnNegSlot, HN_NEG_MAX_SUB_SLOTS + 1);
    for (size_t i = 0; i <= HN_NEG_MAX_SUB_SLOTS; i++) {
        g_snprintf(slots[i].mid, sizeof slots[i].mid, "m%zu", i);
        slots[i].kind = i % 2 ? HN_KIND_VIDEO : HN_KIND_AUDIO; /* inactive: placeholder codecs */
    }
    GError *e = NULL;
    char *sdp = hn_neg_sub_offer(&local, slots, HN_NEG_MAX_SUB_SLOTS, 1, &e);
    assert_non_null(sdp);
    g_free(sdp);
    assert_null(hn_neg_sub_offer(&local, slots, HN_NEG_MAX_SUB_SLOTS + 1, 1, &e));
    assert_true(g_error_matches(e, HN_NEG_ERROR, HN_NEG_ERROR_TOO_MANY));
    assert_string_equal(e->message,
                        "a subscriber offer may carry at most 2048 tracks, this one needs 2049");
    g_clear_error(&e);
    g_free(slots);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_publish_track_limit),
        cmocka_unit_test(test_sub_slot_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

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

/* Chromium's publish offer: the answer accepts RTX for the chosen codec (apt=96) and the track
 * carries the RTX payload type and the SSRC of a=ssrc-group:FID. */
static void test_publish_rtx(void **state)
{
    char *text = NULL;
    assert_true(g_file_get_contents(HN_SDP_FIXTURES "/chromium-sendonly.sdp", &text, NULL, NULL));
    GError *e = NULL;
    HnNegOffer *o = hn_neg_parse_offer(text, &e);
    assert_non_null(o);
    HnNegPublish res;
    char *answer = hn_neg_answer_publish(o, &local, &res, &e);
    assert_non_null(answer);
    const HnNegTrack *v = NULL;
    for (size_t i = 0; i < res.n_tracks; i++)
        if (res.tracks[i].kind == HN_KIND_VIDEO)
            v = &res.tracks[i];
    assert_non_null(v);
    assert_int_equal(v->codec.pt, 96);
    assert_int_equal(v->rtx_pt, 97);
    assert_int_equal(v->ssrc, 1829477213u);
    assert_int_equal(v->rtx_ssrc, 2478096226u);
    assert_non_null(strstr(answer, "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"));
    assert_int_equal(v->ext_audio_level, 0);
    hn_neg_publish_clear(&res);
    g_free(answer);
    hn_neg_offer_free(o);
    g_free(text);
}

/* Chromium's publish offer: the Opus answer asks for in-band FEC and DTX and accepts the audio
 * level extension with the offer's id; the track's codec (what subscribers are offered) has the
 * answered fmtp, and a subscriber offer built from it says the same. */
static void test_publish_opus(void **state)
{
    char *text = NULL;
    assert_true(g_file_get_contents(HN_SDP_FIXTURES "/chromium-sendonly.sdp", &text, NULL, NULL));
    GError *e = NULL;
    HnNegOffer *o = hn_neg_parse_offer(text, &e);
    assert_non_null(o);
    HnNegPublish res;
    char *answer = hn_neg_answer_publish(o, &local, &res, &e);
    assert_non_null(answer);
    assert_non_null(strstr(answer, "a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\r\n"));
    assert_non_null(strstr(answer, "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"));
    const HnNegTrack *au = &res.tracks[0];
    assert_int_equal(au->kind, HN_KIND_AUDIO);
    assert_int_equal(au->ext_audio_level, 1);
    assert_string_equal(au->codec.fmtp, "minptime=10;useinbandfec=1;usedtx=1");

    HnNegSlot slot = {.kind = HN_KIND_AUDIO, .codec = au->codec, .ssrc = 3333, .consumer_id = 1};
    g_strlcpy(slot.mid, "0", sizeof slot.mid);
    g_strlcpy(slot.participant, "an", sizeof slot.participant);
    g_strlcpy(slot.cname, "an-cname", sizeof slot.cname);
    g_strlcpy(slot.track_id, "an-0", sizeof slot.track_id);
    char *sdp = hn_neg_sub_offer(&local, &slot, 1, 1, &e);
    assert_non_null(sdp);
    assert_non_null(strstr(sdp, "a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\r\n"));
    g_free(sdp);
    hn_neg_publish_clear(&res);
    g_free(answer);
    hn_neg_offer_free(o);
    g_free(text);
}

/* A video slot with RTX: the subscriber offer lists the RTX payload type and the FID group. */
static void test_sub_offer_rtx(void **state)
{
    HnNegSlot slot = {.kind = HN_KIND_VIDEO,
                      .codec = {.id = HN_CODEC_VP8,
                                .kind = HN_KIND_VIDEO,
                                .pt = 96,
                                .clock_rate = 90000,
                                .feedback = HN_FB_NACK | HN_FB_PLI},
                      .ssrc = 1111,
                      .rtx_pt = 97,
                      .rtx_ssrc = 2222,
                      .consumer_id = 1};
    g_strlcpy(slot.mid, "0", sizeof slot.mid);
    g_strlcpy(slot.participant, "an", sizeof slot.participant);
    g_strlcpy(slot.cname, "an-cname", sizeof slot.cname);
    g_strlcpy(slot.track_id, "an-1", sizeof slot.track_id);
    GError *e = NULL;
    char *sdp = hn_neg_sub_offer(&local, &slot, 1, 1, &e);
    assert_non_null(sdp);
    assert_non_null(strstr(sdp, "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"));
    assert_non_null(strstr(sdp, "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"));
    assert_non_null(strstr(sdp, "a=ssrc-group:FID 1111 2222\r\n"));
    assert_non_null(strstr(sdp, "a=ssrc:2222 cname:an-cname\r\n"));
    g_free(sdp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_publish_track_limit), cmocka_unit_test(test_sub_slot_limit),
        cmocka_unit_test(test_publish_rtx),         cmocka_unit_test(test_publish_opus),
        cmocka_unit_test(test_sub_offer_rtx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

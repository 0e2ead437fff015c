/* Subscriber offers at the size of a large meeting: 200 m= lines (a 101-person meeting where
 * everyone publishes audio and video) and the largest the limits allow, built, parsed back,
 * answered the way Chromium answers, and checked. The byte sizes are asserted against the
 * limits; the times are printed, never asserted. */
#include "sdp_test.h"

#include <inttypes.h>
#include <stdio.h>

/* A Chromium-like answerer (M120-ish): every m= line repeats the transport attributes, says
 * a=rtcp:9, recvonly for a sendonly offer, rtcp-mux, rtcp-rsize, and answers every offered
 * payload type with the feedback it supports. No a=ssrc lines in a recvonly section. */
#define CHROME_UFRAG "Kq3Z"
#define CHROME_PWD   "Wm3G8mXkVzg0tCQ0/8Ruw3nS"
#define CHROME_FP                                                                                  \
    "5B:1C:3E:9F:0A:77:D2:4E:81:6C:B3:2A:F0:9D:45:E8:13:7F:A6:C4:29:5D:0E:B8:62:F1:9A:3C:D7:48:"   \
    "05:BE"

static void answer_codec(GString *s, const HnSdpCodec *c)
{
    g_string_append_printf(s, "a=rtpmap:%u %s/%u", c->pt, c->name, c->clock_rate);
    if (c->channels > 1)
        g_string_append_printf(s, "/%u", c->channels);
    g_string_append(s, "\r\n");
    if (c->feedback & HN_FB_TRANSPORT_CC)
        g_string_append_printf(s, "a=rtcp-fb:%u transport-cc\r\n", c->pt);
    if (c->feedback & HN_FB_FIR)
        g_string_append_printf(s, "a=rtcp-fb:%u ccm fir\r\n", c->pt);
    if (c->feedback & HN_FB_NACK)
        g_string_append_printf(s, "a=rtcp-fb:%u nack\r\n", c->pt);
    if (c->feedback & HN_FB_PLI)
        g_string_append_printf(s, "a=rtcp-fb:%u nack pli\r\n", c->pt);
    if (c->fmtp[0] != '\0')
        g_string_append_printf(s, "a=fmtp:%u %s\r\n", c->pt, c->fmtp);
}

/* The answer text to a parsed sub offer; transfer full. */
static char *chromium_answer(const HnSdp *offer)
{
    GString *s = g_string_sized_new(600 * offer->n_media + 256);
    g_string_append(s, "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                       "a=group:BUNDLE");
    for (size_t i = 0; i < offer->n_media; i++)
        g_string_append_printf(s, " %s", offer->media[i].mid);
    g_string_append(s, "\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n");
    for (size_t i = 0; i < offer->n_media; i++) {
        const HnSdpMedia *m = &offer->media[i];
        g_string_append_printf(s, "m=%s 9 %s", m->media, m->proto);
        for (size_t k = 0; k < m->n_codecs; k++)
            g_string_append_printf(s, " %u", m->codecs[k].pt);
        g_string_append(s, "\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
                           "a=ice-ufrag:" CHROME_UFRAG "\r\na=ice-pwd:" CHROME_PWD "\r\n"
                           "a=ice-options:trickle\r\na=fingerprint:sha-256 " CHROME_FP "\r\n"
                           "a=setup:active\r\n");
        g_string_append_printf(s, "a=mid:%s\r\n%s\r\na=rtcp-mux\r\na=rtcp-rsize\r\n", m->mid,
                               m->direction == HN_SDP_DIR_SENDONLY ? "a=recvonly" : "a=inactive");
        for (size_t k = 0; k < m->n_codecs; k++)
            answer_codec(s, &m->codecs[k]);
    }
    return g_string_free(s, FALSE);
}

#define H264_FMTP "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"

/* n slots of a meeting: per participant an Opus audio and a video (H264 for every other one,
 * VP8 for the rest) with RTX. Strings live in `keep` (free with g_ptr_array_unref). */
static HnSdpSendSlot *meeting_slots(size_t n, GPtrArray *keep)
{
    HnSdpSendSlot *slots = g_new0(HnSdpSendSlot, n);
    for (size_t i = 0; i < n; i++) {
        size_t who = i / 2;
        HnSdpSendSlot *s = &slots[i];
        bool audio = i % 2 == 0;
        char *mid = g_strdup_printf("%s%zu", audio ? "a" : "v", i);
        char *pid = g_strdup_printf("p%zu", who);
        char *tid = g_strdup_printf("p%zu-%s", who, audio ? "mic" : "cam");
        char *cname = g_strdup_printf("c%zu", who);
        g_ptr_array_add(keep, mid);
        g_ptr_array_add(keep, pid);
        g_ptr_array_add(keep, tid);
        g_ptr_array_add(keep, cname);
        s->mid = mid;
        s->kind = audio ? HN_KIND_AUDIO : HN_KIND_VIDEO;
        s->active = true;
        s->ssrc = (uint32_t)(100000 + 2 * i);
        s->cname = cname;
        s->stream_id = pid;
        s->track_id = tid;
        if (audio) {
            s->codec = (HnCodec){HN_CODEC_OPUS,
                                 HN_KIND_AUDIO,
                                 111,
                                 48000,
                                 2,
                                 HN_FB_TRANSPORT_CC,
                                 "minptime=10;useinbandfec=1"};
        } else if (who % 2 == 0) {
            s->codec = (HnCodec){HN_CODEC_H264, HN_KIND_VIDEO, 102, 90000, 0, 0, H264_FMTP};
            s->rtx_pt = 103;
            s->rtx_ssrc = s->ssrc + 1;
        } else {
            s->codec = (HnCodec){HN_CODEC_VP8, HN_KIND_VIDEO, 96, 90000, 0, 0, ""};
            s->rtx_pt = 97;
            s->rtx_ssrc = s->ssrc + 1;
        }
    }
    return slots;
}

typedef struct {
    size_t offer_bytes, answer_bytes;
    double build_ms, parse_ms, answer_check_ms;
} Round;

/* Builds, parses, answers and checks an n-slot offer; every slot must come back accepted. */
static Round round_trip(size_t n)
{
    Round r = {0};
    GPtrArray *keep = g_ptr_array_new_with_free_func(g_free);
    HnSdpSendSlot *slots = meeting_slots(n, keep);
    GError *e = NULL;
    int64_t t0 = g_get_monotonic_time();
    char *offer = hn_sdp_build_sub_offer(&test_local, slots, n, 1, &e);
    int64_t t1 = g_get_monotonic_time();
    if (!offer)
        fail_msg("offer of %zu slots: %s", n, e->message);
    HnSdp *parsed = NULL;
    if (hn_sdp_parse(offer, strlen(offer), &parsed, &e) != 0)
        fail_msg("parse of the %zu-slot offer: %s", n, e->message);
    int64_t t2 = g_get_monotonic_time();
    assert_int_equal(parsed->n_media, n);
    assert_int_equal(parsed->n_bundle, n);
    char *answer = chromium_answer(parsed);
    int64_t t3 = g_get_monotonic_time();
    HnSdpSubAnswer *a = NULL;
    if (hn_sdp_check_sub_answer(answer, strlen(answer), slots, n, &a, &e) != 0)
        fail_msg("answer to %zu slots: %s", n, e->message);
    int64_t t4 = g_get_monotonic_time();
    /* Warm runs (the first ones also pay the page faults of fresh heap): the best of 3. */
    int64_t best_parse = t2 - t1, best_check = t4 - t3;
    for (int k = 0; k < 3; k++) {
        HnSdp *again = NULL;
        HnSdpSubAnswer *a2 = NULL;
        int64_t u0 = g_get_monotonic_time();
        assert_int_equal(hn_sdp_parse(offer, strlen(offer), &again, NULL), 0);
        int64_t u1 = g_get_monotonic_time();
        assert_int_equal(hn_sdp_check_sub_answer(answer, strlen(answer), slots, n, &a2, NULL), 0);
        int64_t u2 = g_get_monotonic_time();
        best_parse = MIN(best_parse, u1 - u0);
        best_check = MIN(best_check, u2 - u1);
        hn_sdp_free(again);
        hn_sdp_sub_answer_free(a2);
    }
    assert_int_equal(a->n_mids, n);
    for (size_t i = 0; i < n; i++) {
        if (!a->mids[i].accepted || !a->mids[i].receiving)
            fail_msg("slot %zu: %s", i, a->mids[i].reason ? a->mids[i].reason : "not receiving");
        assert_int_equal(a->mids[i].pt, slots[i].codec.pt);
    }
    assert_string_equal(a->remote.ice_ufrag, CHROME_UFRAG);
    assert_true(a->dtls_server);
    r.offer_bytes = strlen(offer);
    r.answer_bytes = strlen(answer);
    r.build_ms = (double)(t1 - t0) / 1000.0;
    r.parse_ms = (double)best_parse / 1000.0;
    r.answer_check_ms = (double)best_check / 1000.0;
    hn_sdp_sub_answer_free(a);
    g_free(answer);
    hn_sdp_free(parsed);
    g_free(offer);
    g_free(slots);
    g_ptr_array_unref(keep);
    return r;
}

static void report(const char *what, size_t n, const Round *r)
{
    printf("# %s: %zu m= lines: offer %zu bytes (%zu per m=), Chromium-like answer %zu bytes (%zu "
           "per m=); build %.2f ms, parse %.2f ms, answer parse+check %.2f ms\n",
           what, n, r->offer_bytes, r->offer_bytes / n, r->answer_bytes, r->answer_bytes / n,
           r->build_ms, r->parse_ms, r->answer_check_ms);
}

static void test_200_sections(void **state)
{
    Round r = round_trip(200);
    report("100-person meeting", 200, &r);
    assert_true(r.offer_bytes <= HN_SDP_MAX_SIZE && r.answer_bytes <= HN_SDP_MAX_SIZE);
}

/* The configuration allows 1000 participants: 2 * 999 m= lines must round-trip within the
 * limits, and with room to spare for longer credentials or fmtp lines than the generator's. */
static void test_largest_meeting(void **state)
{
    size_t n = 2 * (1000 - 1);
    assert_true(n <= HN_SDP_MAX_MEDIA);
    Round r = round_trip(n);
    report("1000-person meeting", n, &r);
    assert_true(r.offer_bytes < HN_SDP_MAX_SIZE * 3 / 4);
    assert_true(r.answer_bytes < HN_SDP_MAX_SIZE * 3 / 4);
}

/* One m= line more than the limit is refused with its own error code, before any work. */
static void test_too_many(void **state)
{
    GPtrArray *keep = g_ptr_array_new_with_free_func(g_free);
    HnSdpSendSlot *slots = meeting_slots(HN_SDP_MAX_MEDIA + 1, keep);
    GError *e = NULL;
    assert_null(hn_sdp_build_sub_offer(&test_local, slots, HN_SDP_MAX_MEDIA + 1, 1, &e));
    assert_true(g_error_matches(e, HN_SDP_ERROR, HN_SDP_ERROR_TOO_MANY));
    g_clear_error(&e);
    HnSdpSubAnswer *a = NULL;
    assert_int_equal(hn_sdp_check_sub_answer("v=0\r\n", 5, slots, HN_SDP_MAX_MEDIA + 1, &a, &e),
                     -EINVAL);
    assert_true(g_error_matches(e, HN_SDP_ERROR, HN_SDP_ERROR_TOO_MANY));
    g_clear_error(&e);
    g_free(slots);
    g_ptr_array_unref(keep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_200_sections),
        cmocka_unit_test(test_largest_meeting),
        cmocka_unit_test(test_too_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

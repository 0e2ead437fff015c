/* hn_sdp_build_sub_offer and hn_sdp_check_sub_answer. */
#include "sdp_test.h"

static const HnSdpSendSlot slots3[3] = {
    {.mid = "a0",
     .kind = HN_KIND_AUDIO,
     .active = true,
     .codec = {HN_CODEC_OPUS, HN_KIND_AUDIO, 111, 48000, 2, HN_FB_TRANSPORT_CC,
               "minptime=10;useinbandfec=1"},
     .ssrc = 1001,
     .cname = "hoinghi",
     .stream_id = "p1",
     .track_id = "p1-a"},
    {.mid = "v1",
     .kind = HN_KIND_VIDEO,
     .active = true,
     .codec = {HN_CODEC_VP8, HN_KIND_VIDEO, 96, 90000, 0, HN_FB_PLI, ""},
     .ssrc = 2001,
     .rtx_pt = 97,
     .rtx_ssrc = 2002,
     .cname = "hoinghi",
     .stream_id = "p1",
     .track_id = "p1-v"},
    {.mid = "v2", .kind = HN_KIND_VIDEO, .active = false},
};

static char *offer_ok(const HnSdpLocal *local, const HnSdpSendSlot *slots, size_t n)
{
    GError *e = NULL;
    char *text = hn_sdp_build_sub_offer(local, slots, n, 5, &e);
    if (!text)
        fail_msg("sub offer failed: %s", e->message);
    return text;
}

static void test_offer(void **state)
{
    char *text = offer_ok(&test_local, slots3, 3);
    assert_true(strstr(text, "o=- 1234567890123 5 IN IP4 0.0.0.0\r\n") != NULL);
    assert_true(has_line(text, "a=msid-semantic:WMS *"));
    HnSdp *sdp = parse_ok(text);
    assert_int_equal(sdp->n_media, 3);
    assert_int_equal(sdp->n_bundle, 3);
    assert_string_equal(sdp->bundle[2], "v2");
    for (size_t i = 0; i < 3; i++) {
        const HnSdpMedia *m = &sdp->media[i];
        assert_string_equal(m->mid, slots3[i].mid);
        assert_int_equal(m->transport.setup, HN_SDP_SETUP_ACTPASS);
        assert_string_equal(m->transport.ice_ufrag, test_local.ice_ufrag);
        assert_string_equal(m->transport.fingerprint, test_local.fingerprint);
        assert_true(m->transport.ice_trickle);
        assert_true(m->rtcp_mux);
        assert_true(m->rtcp_rsize);
        assert_string_equal(m->proto, "UDP/TLS/RTP/SAVPF");
        assert_int_equal(m->port, 9);
    }
    const HnSdpMedia *a = &sdp->media[0];
    assert_int_equal(a->type, HN_SDP_MEDIA_AUDIO);
    assert_int_equal(a->direction, HN_SDP_DIR_SENDONLY);
    assert_int_equal(a->n_codecs, 1);
    assert_int_equal(a->codecs[0].id, HN_CODEC_OPUS);
    assert_int_equal(a->codecs[0].channels, 2);
    assert_int_equal(a->codecs[0].feedback, HN_FB_TRANSPORT_CC);
    assert_string_equal(a->codecs[0].fmtp, "minptime=10;useinbandfec=1");
    assert_string_equal(a->msid_stream, "p1");
    assert_string_equal(a->msid_track, "p1-a");
    assert_int_equal(a->n_ssrcs, 1);
    assert_int_equal(a->ssrcs[0].ssrc, 1001);
    assert_string_equal(a->ssrcs[0].cname, "hoinghi");
    assert_string_equal(a->ssrcs[0].msid_stream, ""); /* a=msid only, no legacy ssrc msid */

    const HnSdpMedia *v = &sdp->media[1];
    assert_int_equal(v->direction, HN_SDP_DIR_SENDONLY);
    assert_int_equal(v->n_codecs, 2);
    assert_int_equal(v->codecs[0].feedback,
                     HN_FB_NACK | HN_FB_PLI | HN_FB_FIR | HN_FB_TRANSPORT_CC | HN_FB_REMB);
    /* every section offers the transport-cc extension with the same id */
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(hn_sdp_media_find_extmap(&sdp->media[i], HN_SDP_EXT_TRANSPORT_CC),
                         HN_SDP_SUB_EXT_TRANSPORT_CC_ID);
    assert_int_equal(v->codecs[1].apt, 96);
    assert_string_equal(v->codecs[1].name, "rtx");
    assert_int_equal(v->n_ssrc_groups, 1);
    assert_string_equal(v->ssrc_groups[0].semantics, "FID");
    assert_int_equal(v->ssrc_groups[0].ssrcs[1], 2002);
    assert_int_equal(v->n_ssrcs, 2);
    assert_string_equal(hn_sdp_media_find_ssrc(v, 2002)->cname, "hoinghi");
    assert_string_equal(v->msid_track, "p1-v");

    /* The recycled slot keeps its m= line, inactive, with a placeholder VP8 and no SSRC. */
    const HnSdpMedia *r = &sdp->media[2];
    assert_int_equal(r->direction, HN_SDP_DIR_INACTIVE);
    assert_int_equal(r->codecs[0].id, HN_CODEC_VP8);
    assert_int_equal(r->n_ssrcs, 0);
    assert_string_equal(r->msid_stream, "");
    hn_sdp_free(sdp);
    g_free(text);
}

static void test_offer_variants(void **state)
{
    /* H264 keeps its fmtp; an inactive audio slot gets a placeholder Opus; candidates go to
     * the first m= line. */
    HnSdpSendSlot s[2] = {
        {.mid = "x", .kind = HN_KIND_AUDIO, .active = false},
        {.mid = "y.1",
         .kind = HN_KIND_VIDEO,
         .active = true,
         .codec = {HN_CODEC_H264, HN_KIND_VIDEO, 106, 90000, 0, 0,
                   "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"},
         .ssrc = 7,
         .cname = "c",
         .stream_id = "s",
         .track_id = "t"},
    };
    const char *cands[] = {"candidate:1 1 udp 2130706431 192.0.2.10 40000 typ host"};
    HnSdpLocal local = test_local;
    local.candidates = cands;
    local.n_candidates = 1;
    local.end_of_candidates = true;
    char *text = offer_ok(&local, s, 2);
    HnSdp *sdp = parse_ok(text);
    assert_int_equal(sdp->media[0].codecs[0].id, HN_CODEC_OPUS);
    assert_int_equal(sdp->media[0].codecs[0].pt, 111);
    assert_int_equal(sdp->media[0].n_candidates, 1);
    assert_true(sdp->media[0].end_of_candidates);
    assert_int_equal(sdp->media[1].n_candidates, 0);
    assert_int_equal(sdp->media[1].codecs[0].id, HN_CODEC_H264);
    assert_string_equal(sdp->media[1].codecs[0].fmtp, s[1].codec.fmtp);
    hn_sdp_free(sdp);
    g_free(text);
}

static void offer_err(const HnSdpLocal *local, const HnSdpSendSlot *slots, size_t n,
                      const char *want)
{
    GError *e = NULL;
    char *text = hn_sdp_build_sub_offer(local, slots, n, 1, &e);
    assert_null(text);
    assert_true(g_error_matches(e, HN_SDP_ERROR, HN_SDP_ERROR_INVALID));
    if (!strstr(e->message, want))
        fail_msg("error \"%s\" lacks \"%s\"", e->message, want);
    g_error_free(e);
}

static void test_offer_errors(void **state)
{
    HnSdpSendSlot s[2];
    offer_err(&test_local, slots3, 0, "at least 1 slot");
    offer_err(&test_local, NULL, 2, "at least 1 slot");
    HnSdpSendSlot *many = g_new0(HnSdpSendSlot, HN_SDP_MAX_MEDIA + 1);
    GError *e = NULL;
    assert_null(hn_sdp_build_sub_offer(&test_local, many, HN_SDP_MAX_MEDIA + 1, 1, &e));
    assert_true(g_error_matches(e, HN_SDP_ERROR, HN_SDP_ERROR_TOO_MANY));
    assert_non_null(strstr(e->message, "2049 slots, more than the 2048 m= lines"));
    g_clear_error(&e);
    g_free(many);
    HnSdpLocal local = test_local;
    local.ice_ufrag = "a b";
    offer_err(&local, slots3, 3, "ICE ufrag");

#define CASE(stmt, want)                                                                           \
    do {                                                                                           \
        memcpy(s, slots3, sizeof s);                                                               \
        stmt;                                                                                      \
        offer_err(&test_local, s, 2, want);                                                        \
    } while (0)
    CASE(s[1].mid = "a0", "slot 1: mid is used by an earlier slot");
    CASE(s[0].mid = "a 0", "slot 0: mid must be");
    CASE(s[0].mid = NULL, "slot 0: mid must be");
    CASE(s[0].mid = "", "slot 0: mid must be");
    CASE(s[0].mid = "012345678901234567890123456789012", "slot 0: mid must be");
    CASE(s[0].kind = (HnKind)7, "slot 0: kind");
    CASE(s[0].codec.id = HN_CODEC_VP8, "slot 0: codec");
    CASE(s[1].codec.kind = HN_KIND_AUDIO, "slot 1: codec");
    CASE(s[1].codec.pt = 72, "slot 1: codec");
    CASE(s[1].codec.pt = 128, "slot 1: codec");
    CASE(s[1].codec.clock_rate = 0, "slot 1: codec");
    CASE(strcpy(s[1].codec.fmtp, "a=1\r\na=evil"), "slot 1: codec");
    CASE(memset(s[1].codec.fmtp, 'x', sizeof s[1].codec.fmtp), "slot 1: codec");
    CASE(s[0].rtx_pt = 98, "slot 0: bad RTX");
    CASE(s[1].rtx_pt = 96, "slot 1: bad RTX");
    CASE(s[1].rtx_pt = 80, "slot 1: bad RTX");
    CASE(s[0].cname = NULL, "slot 0: cname");
    CASE(s[0].cname = "two words", "slot 0: cname");
    CASE(s[1].track_id = "", "slot 1: stream and track");
    CASE(s[1].stream_id = NULL, "slot 1: stream and track");
#undef CASE
    /* An inactive slot needs no cname, stream or SSRC. */
    memcpy(s, slots3, sizeof s);
    s[1].active = false;
    s[1].cname = NULL;
    g_free(offer_ok(&test_local, s, 2));
}

#define ANS_HEAD     "v=0\r\no=- 5 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
#define ANS_BUNDLE   "a=group:BUNDLE a0 v1 v2\r\n"
#define ANS_CREDS    "a=ice-ufrag:cliU\r\na=ice-pwd:clientPasswordOf22Chars\r\n"
#define ANS_FP       "a=fingerprint:sha-256 01:02:03\r\n"
#define ANS_T(setup) ANS_CREDS ANS_FP "a=setup:" setup "\r\n"
#define A0                                                                                         \
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:a0\r\na=recvonly\r\na=rtcp-mux\r\n"                  \
    "a=rtpmap:111 opus/48000/2\r\n"
#define V1_HEAD "m=video 9 UDP/TLS/RTP/SAVPF "
#define V1_BODY "a=mid:v1\r\na=recvonly\r\na=rtcp-mux\r\n"
#define V1                                                                                         \
    V1_HEAD "96 97\r\n" V1_BODY "a=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\n"               \
            "a=fmtp:97 apt=96\r\n"
#define V2 "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:v2\r\na=inactive\r\na=rtcp-mux\r\n"
#define GOOD(setup)                                                                                \
    ANS_HEAD ANS_BUNDLE ANS_T(setup)                                                               \
    A0 V1 V2

static HnSdpSubAnswer *check_ok(const char *text)
{
    HnSdpSubAnswer *a = NULL;
    GError *e = NULL;
    if (hn_sdp_check_sub_answer(text, strlen(text), slots3, 3, &a, &e) != 0)
        fail_msg("check failed: %s", e->message);
    assert_int_equal(a->n_mids, 3);
    return a;
}

static void check_err(const char *text, int code, const char *want)
{
    HnSdpSubAnswer *a = (HnSdpSubAnswer *)0x1;
    GError *e = NULL;
    assert_int_equal(hn_sdp_check_sub_answer(text, strlen(text), slots3, 3, &a, &e), -EINVAL);
    assert_null(a);
    if (!g_error_matches(e, HN_SDP_ERROR, code))
        fail_msg("error code %d (%s), wanted %d", e->code, e->message, code);
    if (!strstr(e->message, want))
        fail_msg("error \"%s\" lacks \"%s\"", e->message, want);
    g_error_free(e);
}

static void test_answer_good(void **state)
{
    HnSdpSubAnswer *a = check_ok(GOOD("active"));
    assert_true(a->dtls_server);
    assert_string_equal(a->remote.ice_ufrag, "cliU");
    assert_string_equal(a->remote.fingerprint, "01:02:03");
    assert_int_equal(a->remote.setup, HN_SDP_SETUP_ACTIVE);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(a->mids[i].mid, slots3[i].mid);
        assert_true(a->mids[i].accepted);
        assert_null(a->mids[i].reason);
    }
    assert_int_equal(a->mids[0].pt, 111);
    assert_int_equal(a->mids[1].pt, 96);
    assert_true(a->mids[0].receiving);
    assert_true(a->mids[1].receiving);
    assert_false(a->mids[2].receiving);
    assert_true(a->mids[1].rtx); /* the offered RTX payload type answered */
    assert_false(a->mids[0].rtx);
    assert_non_null(a->sdp);
    hn_sdp_sub_answer_free(a);

    /* an answer without the RTX payload type: accepted, plain retransmissions */
    a = check_ok(ANS_HEAD ANS_BUNDLE ANS_T("active") A0 V1_HEAD "96\r\n" V1_BODY
                                                                "a=rtpmap:96 VP8/90000\r\n" V2);
    assert_true(a->mids[1].accepted);
    assert_false(a->mids[1].rtx);
    hn_sdp_sub_answer_free(a);

    a = check_ok(GOOD("passive"));
    assert_false(a->dtls_server);
    assert_int_equal(a->transport_cc, 0); /* the answer dropped the extension */
    hn_sdp_sub_answer_free(a);

    /* transport-cc kept with the offered id; with another id it is not used */
    a = check_ok(ANS_HEAD ANS_BUNDLE ANS_T("active") A0 "a=extmap:5 " HN_SDP_EXT_TRANSPORT_CC
                                                        "\r\n" V1 V2);
    assert_int_equal(a->transport_cc, HN_SDP_SUB_EXT_TRANSPORT_CC_ID);
    hn_sdp_sub_answer_free(a);
    a = check_ok(ANS_HEAD ANS_BUNDLE ANS_T("active") A0 "a=extmap:7 " HN_SDP_EXT_TRANSPORT_CC
                                                        "\r\n" V1 V2);
    assert_int_equal(a->transport_cc, 0);
    hn_sdp_sub_answer_free(a);

    a = check_ok(ANS_HEAD ANS_BUNDLE ANS_CREDS ANS_FP A0 V1 V2); /* no setup: active */
    assert_true(a->dtls_server);
    hn_sdp_sub_answer_free(a);
    hn_sdp_sub_answer_free(NULL);
}

/* The answer a real webrtcbin gave to `sdp-tool sub-offer < chromium-sendonly.sdp`. */
static void test_answer_webrtcbin(void **state)
{
    const HnSdpSendSlot slots[3] = {
        {.mid = "m0",
         .kind = HN_KIND_AUDIO,
         .active = true,
         .codec = {HN_CODEC_OPUS, HN_KIND_AUDIO, 111, 48000, 2, 0, "minptime=10;useinbandfec=1"},
         .ssrc = 0x10000000,
         .cname = "hoinghi",
         .stream_id = "p1",
         .track_id = "p1-audio"},
        {.mid = "m1",
         .kind = HN_KIND_VIDEO,
         .active = true,
         .codec = {HN_CODEC_VP8, HN_KIND_VIDEO, 96, 90000, 0, HN_FB_NACK | HN_FB_PLI | HN_FB_FIR,
                   ""},
         .ssrc = 0x10000001,
         .cname = "hoinghi",
         .stream_id = "p1",
         .track_id = "p1-video"},
        {.mid = "m2", .kind = HN_KIND_VIDEO, .active = false},
    };
    size_t len;
    char *text = load_fixture("webrtcbin-sub-answer.sdp", &len);
    HnSdpSubAnswer *a = NULL;
    GError *e = NULL;
    if (hn_sdp_check_sub_answer(text, len, slots, 3, &a, &e) != 0)
        fail_msg("check failed: %s", e->message);
    assert_true(a->dtls_server);
    assert_int_equal(strlen(a->remote.ice_ufrag), 32);
    assert_true(a->mids[0].accepted && a->mids[0].receiving && a->mids[0].pt == 111);
    assert_true(a->mids[1].accepted && a->mids[1].receiving && a->mids[1].pt == 96);
    assert_true(a->mids[2].accepted && !a->mids[2].receiving);
    hn_sdp_sub_answer_free(a);
    g_free(text);
}

static void expect_mid(const char *text, size_t idx, const char *reason)
{
    HnSdpSubAnswer *a = check_ok(text);
    for (size_t i = 0; i < 3; i++) {
        if (i != idx) {
            assert_true(a->mids[i].accepted);
            continue;
        }
        assert_false(a->mids[i].accepted);
        assert_false(a->mids[i].receiving);
        if (!a->mids[i].reason || !strstr(a->mids[i].reason, reason))
            fail_msg("mid %zu reason \"%s\" lacks \"%s\"", i, a->mids[i].reason, reason);
    }
    hn_sdp_sub_answer_free(a);
}

static void test_answer_rejected_mids(void **state)
{
    expect_mid(ANS_HEAD "a=group:BUNDLE a0 v2\r\n" ANS_T("active") A0
               "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:v1\r\na=rtpmap:96 VP8/90000\r\n" V2,
               1, "port 0");
    expect_mid(ANS_HEAD ANS_BUNDLE ANS_T("active") A0 V1_HEAD "100\r\n" V1_BODY
                                                              "a=rtpmap:100 VP8/90000\r\n" V2,
               1, "the offered payload type is missing");
    expect_mid(ANS_HEAD ANS_BUNDLE ANS_T("active") A0 V1_HEAD "96\r\n" V1_BODY
                                                              "a=rtpmap:96 H264/90000\r\n" V2,
               1, "answered with another codec");
    expect_mid(ANS_HEAD ANS_BUNDLE ANS_T("active") A0 V1_HEAD "96 98\r\n" V1_BODY
                                                              "a=rtpmap:96 VP8/90000\r\n" V2,
               1, "not offered");
    expect_mid(ANS_HEAD "a=group:BUNDLE a0 v2\r\n" ANS_T("active") A0 V1 V2, 1,
               "not in the answer's BUNDLE group");
    expect_mid(ANS_HEAD ANS_BUNDLE ANS_T("active") A0 V1_HEAD "96\r\na=mid:v1\r\na=recvonly\r\n"
                                                              "a=rtpmap:96 VP8/90000\r\n" V2,
               1, "rtcp-mux");
    /* Without a BUNDLE group only the first m= line fits on the one transport. */
    HnSdpSubAnswer *nb = check_ok(ANS_HEAD ANS_T("active") A0 V1 V2);
    assert_true(nb->mids[0].accepted);
    assert_string_equal(nb->mids[1].reason, "not bundled");
    assert_string_equal(nb->mids[2].reason, "not bundled");
    hn_sdp_sub_answer_free(nb);

    /* Everything rejected: valid, nothing to connect, no credentials needed. */
    HnSdpSubAnswer *a = check_ok(ANS_HEAD "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=mid:a0\r\n"
                                          "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:v1\r\n"
                                          "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:v2\r\n");
    for (size_t i = 0; i < 3; i++)
        assert_false(a->mids[i].accepted);
    hn_sdp_sub_answer_free(a);
}

static void test_answer_errors(void **state)
{
    check_err(GOOD("actpass"), HN_SDP_ERROR_NEGOTIATION, "a=setup:actpass is not valid");
    check_err(GOOD("holdconn"), HN_SDP_ERROR_NEGOTIATION, "a=setup:holdconn");
    check_err(ANS_HEAD "a=group:BUNDLE a0 v1\r\n" ANS_T("active") A0 V1, HN_SDP_ERROR_NEGOTIATION,
              "2 m= lines, the offer had 3");
    check_err(ANS_HEAD "a=group:BUNDLE a0 v2 v1\r\n" ANS_T("active") A0 V2 V1,
              HN_SDP_ERROR_NEGOTIATION, "m= line 1 has mid \"v2\", the offer had \"v1\"");
    check_err(ANS_HEAD ANS_BUNDLE ANS_T("active") "m=video 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:a0\r\n"
                                                  "a=rtcp-mux\r\n" V1 V2,
              HN_SDP_ERROR_NEGOTIATION, "mid \"a0\" is m=video, the offer had audio");
    check_err(ANS_HEAD ANS_BUNDLE ANS_FP A0 V1 V2, HN_SDP_ERROR_NEGOTIATION, "no ICE credentials");
    check_err(ANS_HEAD ANS_BUNDLE ANS_CREDS A0 V1 V2, HN_SDP_ERROR_NEGOTIATION,
              "no DTLS fingerprint");
    check_err("v=0\r\nm=audio x\r\n", HN_SDP_ERROR_PARSE, "sub answer: SDP line 2: bad m= line");
    check_err("", HN_SDP_ERROR_PARSE, "sub answer: SDP is empty");

    HnSdpSubAnswer *a = NULL;
    GError *e = NULL;
    HnSdpSendSlot bad[3];
    memcpy(bad, slots3, sizeof bad);
    bad[2].mid = "a0";
    assert_int_equal(hn_sdp_check_sub_answer("v=0", 3, bad, 3, &a, &e), -EINVAL);
    assert_true(g_error_matches(e, HN_SDP_ERROR, HN_SDP_ERROR_INVALID));
    g_clear_error(&e);
    assert_int_equal(hn_sdp_check_sub_answer("v=0", 3, slots3, 0, &a, &e), -EINVAL);
    assert_true(g_error_matches(e, HN_SDP_ERROR, HN_SDP_ERROR_INVALID));
    g_clear_error(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offer),
        cmocka_unit_test(test_offer_variants),
        cmocka_unit_test(test_offer_errors),
        cmocka_unit_test(test_answer_good),
        cmocka_unit_test(test_answer_webrtcbin),
        cmocka_unit_test(test_answer_rejected_mids),
        cmocka_unit_test(test_answer_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

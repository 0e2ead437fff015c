/* hn_sdp_pub_answer: codec choice, SSRCs, extensions, DTLS role, rejections, errors. */
#include "sdp_test.h"

/* Answers `text`; the answer must parse back. *parsed_out (optional) gets the parsed answer. */
static HnSdpPubAnswer *answer_ok(const char *text, const HnSdpCaps *caps, HnSdp **parsed_out)
{
    HnSdp *offer = parse_ok(text);
    HnSdpPubAnswer *a = NULL;
    GError *e = NULL;
    if (hn_sdp_pub_answer(offer, &test_local, caps, 7, &a, &e) != 0)
        fail_msg("answer failed: %s", e->message);
    hn_sdp_free(offer);
    assert_non_null(a->sdp);
    HnSdp *parsed = parse_ok(a->sdp);
    if (parsed_out)
        *parsed_out = parsed;
    else
        hn_sdp_free(parsed);
    return a;
}

static void answer_err(const char *text, const HnSdpCaps *caps, int code, const char *want)
{
    HnSdp *offer = parse_ok(text);
    HnSdpPubAnswer *a = (HnSdpPubAnswer *)0x1;
    GError *e = NULL;
    assert_int_equal(hn_sdp_pub_answer(offer, &test_local, caps, 1, &a, &e), -EINVAL);
    assert_null(a);
    assert_true(g_error_matches(e, HN_SDP_ERROR, code));
    if (!strstr(e->message, want))
        fail_msg("error \"%s\" lacks \"%s\"", e->message, want);
    g_error_free(e);
    hn_sdp_free(offer);
}

static HnSdpPubAnswer *answer_fixture(const char *name, const HnSdpCaps *caps, HnSdp **parsed)
{
    char *text = load_fixture(name, NULL);
    HnSdpPubAnswer *a = answer_ok(text, caps, parsed);
    g_free(text);
    return a;
}

/* The transport and session lines every accepted m= line of an answer must carry. */
static void check_answer_media(const HnSdpMedia *m)
{
    assert_int_equal(m->port, 9);
    assert_string_equal(m->transport.ice_ufrag, test_local.ice_ufrag);
    assert_string_equal(m->transport.ice_pwd, test_local.ice_pwd);
    assert_string_equal(m->transport.fingerprint_alg, "sha-256");
    assert_string_equal(m->transport.fingerprint, test_local.fingerprint);
    assert_true(m->transport.ice_trickle);
    assert_true(m->rtcp_mux);
    assert_int_equal(m->n_ssrcs, 0);
}

static void test_chromium(void **state)
{
    HnSdp *ans = NULL;
    HnSdpPubAnswer *a = answer_fixture("chromium-sendonly.sdp", NULL, &ans);
    assert_true(a->dtls_server);
    assert_string_equal(a->remote.ice_ufrag, "Kq3Z");
    assert_string_equal(a->remote.ice_pwd, "Wm3G8mXkVzg0tCQ0/8Ruw3nS");
    assert_true(g_str_has_prefix(a->remote.fingerprint, "5B:1C"));
    assert_int_equal(a->n_tracks, 2);
    assert_int_equal(a->n_rejected, 0);

    const HnSdpPubTrack *au = &a->tracks[0];
    assert_string_equal(au->mid, "0");
    assert_int_equal(au->kind, HN_KIND_AUDIO);
    assert_int_equal(au->codec.id, HN_CODEC_OPUS);
    assert_int_equal(au->codec.kind, HN_KIND_AUDIO);
    assert_int_equal(au->codec.pt, 111);
    assert_int_equal(au->codec.clock_rate, 48000);
    assert_int_equal(au->codec.channels, 2);
    /* The offer's fmtp, with in-band FEC and DTX asked for: what the publisher will send. */
    assert_string_equal(au->codec.fmtp, "minptime=10;useinbandfec=1;usedtx=1");
    assert_int_equal(au->codec.feedback, 0); /* transport-cc is off by default */
    assert_true(au->receiving);
    assert_true(au->ssrc_signalled);
    assert_int_equal(au->ssrc, 3570614608u);
    assert_false(au->has_rtx);
    assert_int_equal(au->ext_mid, 4);
    assert_int_equal(au->ext_abs_send_time, 2);
    assert_int_equal(au->ext_transport_cc, 0);
    assert_int_equal(au->ext_audio_level, 1); /* the offer's id, accepted as is */
    assert_string_equal(au->cname, "4TOk42mSjXCkVIa6");
    assert_string_equal(au->msid_track, "0c4b8f57-1e2d-4a96-b3c7-8d5e6f0a1b29");

    const HnSdpPubTrack *v = &a->tracks[1];
    assert_string_equal(v->mid, "1");
    assert_int_equal(v->kind, HN_KIND_VIDEO);
    assert_int_equal(v->codec.id, HN_CODEC_VP8);
    assert_int_equal(v->codec.pt, 96);
    assert_int_equal(v->codec.clock_rate, 90000);
    assert_int_equal(v->codec.channels, 0);
    assert_int_equal(v->codec.feedback, HN_FB_NACK | HN_FB_PLI | HN_FB_FIR);
    assert_int_equal(v->ssrc, 1829477213u);
    assert_true(v->has_rtx);
    assert_int_equal(v->rtx_pt, 97);
    assert_int_equal(v->rtx_ssrc, 2478096226u);
    assert_int_equal(v->ext_mid, 4);
    assert_int_equal(v->ext_audio_level, 0);
    /* Chromium offers a=rtcp-rsize on video only; the answer echoes it where offered. */
    assert_false(au->rtcp_rsize);
    assert_true(v->rtcp_rsize);

    /* The answer text, parsed back. */
    assert_true(strstr(a->sdp, "o=- 1234567890123 7 IN IP4 0.0.0.0\r\n") != NULL);
    assert_true(has_line(a->sdp, "a=msid-semantic:WMS *"));
    assert_true(has_line(a->sdp, "a=ice-options:trickle"));
    assert_null(strstr(a->sdp, "goog-remb"));
    assert_null(strstr(a->sdp, "transport-cc"));
    assert_null(strstr(a->sdp, "\n\n"));
    assert_int_equal(ans->n_bundle, 2);
    assert_int_equal(ans->n_media, 2);
    for (size_t i = 0; i < 2; i++) {
        const HnSdpMedia *m = &ans->media[i];
        check_answer_media(m);
        assert_int_equal(m->transport.setup, HN_SDP_SETUP_PASSIVE);
        assert_int_equal(m->direction, HN_SDP_DIR_RECVONLY);
        assert_int_equal(hn_sdp_media_find_extmap(m, HN_SDP_EXT_MID), 4);
        assert_int_equal(hn_sdp_media_find_extmap(m, HN_SDP_EXT_ABS_SEND_TIME), 2);
        assert_int_equal(hn_sdp_media_find_extmap(m, HN_SDP_EXT_TRANSPORT_CC), 0);
        assert_int_equal(hn_sdp_media_find_extmap(m, HN_SDP_EXT_AUDIO_LEVEL), i == 0 ? 1 : 0);
        assert_int_equal(m->n_extmaps, i == 0 ? 3 : 2);
    }
    assert_false(ans->media[0].rtcp_rsize);
    assert_true(ans->media[1].rtcp_rsize);
    assert_int_equal(ans->media[0].n_codecs, 1);
    assert_string_equal(ans->media[0].codecs[0].fmtp, "minptime=10;useinbandfec=1;usedtx=1");
    const HnSdpMedia *vm = &ans->media[1];
    assert_int_equal(vm->n_codecs, 2);
    assert_int_equal(vm->codecs[0].pt, 96);
    assert_int_equal(vm->codecs[0].feedback, HN_FB_NACK | HN_FB_PLI | HN_FB_FIR);
    assert_int_equal(vm->codecs[1].pt, 97);
    assert_int_equal(vm->codecs[1].apt, 96);
    hn_sdp_free(ans);
    hn_sdp_pub_answer_free(a);
}

/* RID simulcast as Chromium offers it: three layers answered recv with the rid extensions. */
static void test_simulcast_rid(void **state)
{
    HnSdp *ans = NULL;
    HnSdpPubAnswer *a = answer_fixture("chromium-simulcast.sdp", NULL, &ans);
    assert_int_equal(a->n_tracks, 2);
    assert_int_equal(a->tracks[0].sim.n_layers, 0); /* audio */
    const HnSdpPubTrack *v = &a->tracks[1];
    assert_int_equal(v->kind, HN_KIND_VIDEO);
    assert_int_equal(v->sim.n_layers, 3);
    assert_string_equal(v->sim.rids[0], "q");
    assert_string_equal(v->sim.rids[1], "h");
    assert_string_equal(v->sim.rids[2], "f");
    assert_int_equal(v->sim.ext_rid, 10);
    assert_int_equal(v->sim.ext_rrid, 11);
    assert_false(v->ssrc_signalled); /* learnt from the rid of the first packets */
    const HnSdpMedia *m = &ans->media[1];
    assert_string_equal(m->simulcast, "recv q;h;f");
    assert_int_equal(m->n_rids, 3);
    for (size_t i = 0; i < 3; i++)
        assert_false(m->rids[i].send);
    assert_int_equal(hn_sdp_media_find_extmap(m, HN_SDP_EXT_RID), 10);
    assert_int_equal(hn_sdp_media_find_extmap(m, HN_SDP_EXT_REPAIRED_RID), 11);
    assert_int_equal(hn_sdp_media_find_extmap(&ans->media[0], HN_SDP_EXT_RID), 0);
    hn_sdp_free(ans);
    hn_sdp_pub_answer_free(a);

    /* without the rid extension the layers cannot be told apart: one stream */
    char *text = load_fixture("chromium-simulcast.sdp", NULL);
    GString *g = g_string_new(text);
    assert_int_equal(g_string_replace(g, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
                                      "urn:example:not-a-rid", 1),
                     1);
    a = answer_ok(g->str, NULL, &ans);
    assert_int_equal(a->tracks[1].sim.n_layers, 0);
    assert_string_equal(ans->media[1].simulcast, "");
    hn_sdp_free(ans);
    hn_sdp_pub_answer_free(a);
    g_string_free(g, TRUE);
    /* a paused layer (~f) is kept; a rid without a=rid send is dropped */
    g = g_string_new(text);
    assert_int_equal(g_string_replace(g, "a=simulcast:send q;h;f", "a=simulcast:send q;x;~f", 1),
                     1);
    a = answer_ok(g->str, NULL, &ans);
    assert_int_equal(a->tracks[1].sim.n_layers, 2);
    assert_string_equal(a->tracks[1].sim.rids[1], "f");
    assert_string_equal(ans->media[1].simulcast, "recv q;f");
    hn_sdp_free(ans);
    hn_sdp_pub_answer_free(a);
    g_string_free(g, TRUE);
    g_free(text);
}

/* SSRC simulcast: a=ssrc-group:SIM with the RTX of each layer from FID groups. */
static void test_simulcast_sim_group(void **state)
{
    char *text = load_fixture("chromium-sendonly.sdp", NULL);
    GString *g = g_string_new(text);
    g_string_replace(g, "a=ssrc-group:FID 1829477213 2478096226\r\n",
                     "a=ssrc-group:SIM 1829477213 11 12\r\n"
                     "a=ssrc-group:FID 1829477213 2478096226\r\n"
                     "a=ssrc-group:FID 12 22\r\n",
                     1);
    HnSdpPubAnswer *a = answer_ok(g->str, NULL, NULL);
    const HnSdpPubTrack *v = &a->tracks[1];
    assert_int_equal(v->sim.n_layers, 3);
    assert_int_equal(v->sim.ssrcs[0], 1829477213u);
    assert_int_equal(v->sim.ssrcs[2], 12);
    assert_int_equal(v->sim.rtx_ssrcs[0], 2478096226u);
    assert_int_equal(v->sim.rtx_ssrcs[1], 0);
    assert_int_equal(v->sim.rtx_ssrcs[2], 22);
    assert_true(v->ssrc_signalled);
    assert_int_equal(v->ssrc, 1829477213u);
    assert_null(strstr(a->sdp, "a=simulcast"));
    hn_sdp_pub_answer_free(a);
    g_string_free(g, TRUE);
    g_free(text);
}

static void test_transport_cc(void **state)
{
    HnSdpCaps caps = HN_SDP_CAPS_DEFAULT;
    caps.transport_cc = true;
    HnSdp *ans = NULL;
    HnSdpPubAnswer *a = answer_fixture("chromium-sendonly.sdp", &caps, &ans);
    assert_int_equal(a->tracks[0].codec.feedback, HN_FB_TRANSPORT_CC);
    assert_int_equal(a->tracks[0].ext_transport_cc, 3);
    assert_int_equal(a->tracks[1].codec.feedback,
                     HN_FB_NACK | HN_FB_PLI | HN_FB_FIR | HN_FB_TRANSPORT_CC);
    assert_int_equal(hn_sdp_media_find_extmap(&ans->media[1], HN_SDP_EXT_TRANSPORT_CC), 3);
    assert_int_equal(ans->media[0].codecs[0].feedback, HN_FB_TRANSPORT_CC);
    assert_null(strstr(a->sdp, "goog-remb"));
    hn_sdp_free(ans);
    hn_sdp_pub_answer_free(a);
}

static void test_h264(void **state)
{
    /* Chromium with H264 only: constrained baseline 42e01f with packetization-mode=1 wins. */
    HnSdpPubAnswer *a = answer_fixture("chromium-h264-only.sdp", NULL, NULL);
    const HnSdpPubTrack *v = &a->tracks[1];
    assert_int_equal(v->codec.id, HN_CODEC_H264);
    assert_int_equal(v->codec.pt, 106);
    assert_string_equal(v->codec.fmtp,
                        "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
    assert_int_equal(v->rtx_pt, 107);
    assert_true(has_line(a->sdp, "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;"
                                 "profile-level-id=42e01f"));
    assert_true(has_line(a->sdp, "a=fmtp:107 apt=106"));
    hn_sdp_pub_answer_free(a);

    /* The full Chromium offer with VP8 switched off in the capabilities. */
    HnSdpCaps caps = HN_SDP_CAPS_DEFAULT;
    caps.vp8 = false;
    a = answer_fixture("chromium-sendonly.sdp", &caps, NULL);
    assert_int_equal(a->tracks[1].codec.pt, 106);
    hn_sdp_pub_answer_free(a);
}

#define OFFER_HEAD                                                                                 \
    "v=0\r\no=- 99 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"                                           \
    "a=ice-ufrag:cliU\r\na=ice-pwd:clientPasswordOf22Chars\r\n"                                    \
    "a=fingerprint:sha-256 01:02:03:04\r\n"
#define BUNDLE_AV "a=group:BUNDLE a v\r\n"
#define AUDIO_OPUS                                                                                 \
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:a\r\na=sendonly\r\na=rtcp-mux\r\n"                   \
    "a=rtpmap:111 opus/48000/2\r\n"
#define VIDEO(pts)     "m=video 9 UDP/TLS/RTP/SAVPF " pts "\r\na=mid:v\r\na=sendonly\r\na=rtcp-mux\r\n"
#define H264(pt, fmtp) "a=rtpmap:" #pt " H264/90000\r\na=fmtp:" #pt " " fmtp "\r\n"

static uint8_t chosen_video_pt(const char *text)
{
    HnSdpPubAnswer *a = answer_ok(text, NULL, NULL);
    assert_int_equal(a->n_tracks, 2);
    uint8_t pt = a->tracks[1].codec.pt;
    hn_sdp_pub_answer_free(a);
    return pt;
}

static void test_h264_ranking(void **state)
{
    assert_int_equal(
        chosen_video_pt(OFFER_HEAD BUNDLE_AV AUDIO_OPUS VIDEO("100 102 104")
                            H264(100, "profile-level-id=640c1f;packetization-mode=1")
                                H264(102, "packetization-mode=1;profile-level-id=42001f")
                                    H264(104, "profile-level-id=42E01F;packetization-mode=1")),
        104);
    assert_int_equal(chosen_video_pt(OFFER_HEAD BUNDLE_AV AUDIO_OPUS VIDEO("100 102") H264(
                         100, "profile-level-id=640c1f;packetization-mode=1")
                                         H264(102, "packetization-mode=1;profile-level-id=42001f")),
                     102);
    assert_int_equal(chosen_video_pt(OFFER_HEAD BUNDLE_AV AUDIO_OPUS VIDEO("100 102")
                                         H264(100, "profile-level-id=640c1f;packetization-mode=1")
                                             H264(102, "packetization-mode=1")),
                     102); /* no profile-level-id: baseline by default */
    assert_int_equal(chosen_video_pt(OFFER_HEAD BUNDLE_AV AUDIO_OPUS VIDEO("100")
                                         H264(100, "profile-level-id=640c1f;packetization-mode=1")),
                     100);
    /* VP8 beats any H264, wherever it is in the list. */
    assert_int_equal(
        chosen_video_pt(OFFER_HEAD BUNDLE_AV AUDIO_OPUS VIDEO("104 120") H264(
            104, "profile-level-id=42e01f;packetization-mode=1") "a=rtpmap:120 VP8/90000\r\n"),
        120);
}

/* The answered Opus fmtp of an audio-only offer with `fmtp` ("" : no a=fmtp line). */
static void check_opus_fmtp(const char *fmtp, const char *want)
{
    char *text = g_strdup_printf(OFFER_HEAD "a=group:BUNDLE a\r\n" AUDIO_OPUS "%s%s%s",
                                 *fmtp ? "a=fmtp:111 " : "", fmtp, *fmtp ? "\r\n" : "");
    HnSdp *ans = NULL;
    HnSdpPubAnswer *a = answer_ok(text, NULL, &ans);
    assert_string_equal(a->tracks[0].codec.fmtp, want);
    assert_string_equal(ans->media[0].codecs[0].fmtp, want); /* the text says the same */
    assert_int_equal(a->tracks[0].ext_audio_level, 0);       /* not offered: not answered */
    hn_sdp_free(ans);
    hn_sdp_pub_answer_free(a);
    g_free(text);
}

/* Opus: the answer asks for in-band FEC and DTX; the publisher's other parameters are kept (the
 * SFU does not transcode: subscribers get this fmtp). */
static void test_opus_fec_dtx(void **state)
{
    (void)state;
    check_opus_fmtp("", "useinbandfec=1;usedtx=1");
    check_opus_fmtp("maxplaybackrate=48000;stereo=1;useinbandfec=1",
                    "maxplaybackrate=48000;stereo=1;useinbandfec=1;usedtx=1");
    check_opus_fmtp("useinbandfec=0; minptime=10;usedtx=0", "minptime=10;useinbandfec=1;usedtx=1");
    /* Too long for an HnCodec with the additions: the offer's fmtp unchanged. */
    char longer[128];
    memset(longer, 'x', sizeof longer);
    memcpy(longer, "a=", 2);
    longer[115] = '\0';
    check_opus_fmtp(longer, longer);
}

static void test_rejections(void **state)
{
    /* Video with only VP9/AV1 and H264 packetization-mode=0: video rejected, audio kept. */
    HnSdp *ans = NULL;
    HnSdpPubAnswer *a =
        answer_ok(OFFER_HEAD BUNDLE_AV AUDIO_OPUS
                      VIDEO("98 45 102") "a=rtpmap:98 VP9/90000\r\na=rtpmap:45 AV1/90000\r\n" H264(
                          102, "packetization-mode=0;profile-level-id=42e01f"),
                  NULL, &ans);
    assert_int_equal(a->n_tracks, 1);
    assert_int_equal(a->n_rejected, 1);
    assert_string_equal(a->rejected[0].mid, "v");
    assert_int_equal(a->rejected[0].index, 1);
    assert_true(strstr(a->rejected[0].reason, "no supported video codec") != NULL);
    assert_true(has_line(a->sdp, "a=group:BUNDLE a"));
    assert_true(strstr(a->sdp, "\r\nm=video 0 UDP/TLS/RTP/SAVPF 98\r\n") != NULL);
    assert_int_equal(ans->n_bundle, 1);
    assert_int_equal(ans->media[1].port, 0);
    assert_int_equal(ans->media[1].direction, HN_SDP_DIR_INACTIVE);
    assert_string_equal(ans->media[1].mid, "v");
    hn_sdp_free(ans);
    hn_sdp_pub_answer_free(a);

    /* Data channel and an unknown media type: rejected, answered with the offer's format. */
    a = answer_ok(OFFER_HEAD "a=group:BUNDLE a d t\r\n" AUDIO_OPUS
                             "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:d\r\n"
                             "a=sctp-port:5000\r\n"
                             "m=text 9 UDP/TLS/RTP/SAVPF 100\r\na=mid:t\r\na=rtcp-mux\r\n",
                  NULL, &ans);
    assert_int_equal(a->n_tracks, 1);
    assert_int_equal(a->n_rejected, 2);
    assert_string_equal(a->rejected[0].reason, "data channels are not supported");
    assert_string_equal(a->rejected[1].reason, "unsupported media type");
    assert_true(strstr(a->sdp, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n") != NULL);
    assert_string_equal(ans->media[1].mid, "d");
    hn_sdp_free(ans);
    hn_sdp_pub_answer_free(a);

    /* Not in the BUNDLE group, no rtcp-mux, disabled, plain RTP: each rejected with a reason. */
    a = answer_ok(OFFER_HEAD "a=group:BUNDLE a\r\n" AUDIO_OPUS VIDEO(
                      "96") "a=rtpmap:96 VP8/90000\r\n"
                            "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:w\r\na=rtpmap:96 VP8/90000\r\n"
                            "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:x\r\na=rtcp-mux\r\n"
                            "a=rtpmap:96 VP8/90000\r\n"
                            "m=video 9 RTP/AVP 96\r\na=mid:y\r\na=rtcp-mux\r\n"
                            "a=rtpmap:96 VP8/90000\r\n",
                  NULL, NULL);
    assert_int_equal(a->n_tracks, 1);
    assert_int_equal(a->n_rejected, 4);
    assert_string_equal(a->rejected[0].reason, "not in the BUNDLE group");
    assert_string_equal(a->rejected[1].reason, "not in the BUNDLE group");
    assert_string_equal(a->rejected[2].reason, "disabled in the offer (port 0)");
    assert_string_equal(a->rejected[3].reason, "protocol is not DTLS-SRTP");
    hn_sdp_pub_answer_free(a);

    a = answer_ok(OFFER_HEAD
                  "a=group:BUNDLE a v y\r\n" AUDIO_OPUS
                  "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:v\r\na=rtpmap:96 VP8/90000\r\n"
                  "m=video 9 RTP/AVP 96\r\na=mid:y\r\na=rtcp-mux\r\n"
                  "a=rtpmap:96 VP8/90000\r\n",
                  NULL, NULL);
    assert_string_equal(a->rejected[0].reason, "rtcp-mux is required");
    assert_string_equal(a->rejected[1].reason, "protocol is not DTLS-SRTP");
    hn_sdp_pub_answer_free(a);
}

static void test_no_bundle(void **state)
{
    /* Without a BUNDLE group only the first acceptable m= line fits on the one transport. */
    HnSdpPubAnswer *a =
        answer_ok(OFFER_HEAD AUDIO_OPUS VIDEO("96") "a=rtpmap:96 VP8/90000\r\n", NULL, NULL);
    assert_int_equal(a->n_tracks, 1);
    assert_int_equal(a->n_rejected, 1);
    assert_true(strstr(a->rejected[0].reason, "not bundled") != NULL);
    assert_null(strstr(a->sdp, "a=group:"));
    hn_sdp_pub_answer_free(a);
}

static void test_errors(void **state)
{
    answer_err(OFFER_HEAD BUNDLE_AV "m=audio 9 UDP/TLS/RTP/SAVPF 9 0\r\na=mid:a\r\na=rtcp-mux\r\n"
                                    "a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\n" VIDEO(
                                        "98") "a=rtpmap:98 VP9/90000\r\n",
               NULL, HN_SDP_ERROR_NEGOTIATION,
               "no m= line of the offer can be accepted: m=audio mid \"a\": no supported audio "
               "codec (Opus); m=video mid \"v\": no supported video codec");
    answer_err(OFFER_HEAD, NULL, HN_SDP_ERROR_NEGOTIATION, "(it has none)");
    HnSdpCaps caps = HN_SDP_CAPS_DEFAULT;
    caps.opus = false;
    answer_err(OFFER_HEAD "a=group:BUNDLE a\r\n" AUDIO_OPUS, &caps, HN_SDP_ERROR_NEGOTIATION,
               "no supported audio codec");
    answer_err("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
               "a=fingerprint:sha-256 01:02\r\na=group:BUNDLE a\r\n" AUDIO_OPUS,
               NULL, HN_SDP_ERROR_NEGOTIATION, "offer has no ICE credentials");
    answer_err("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=ice-ufrag:cliU\r\n"
               "a=fingerprint:sha-256 01:02\r\na=group:BUNDLE a\r\n" AUDIO_OPUS,
               NULL, HN_SDP_ERROR_NEGOTIATION, "offer has no ICE credentials");
    answer_err("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=ice-ufrag:cliU\r\n"
               "a=ice-pwd:clientPasswordOf22Chars\r\na=group:BUNDLE a\r\n" AUDIO_OPUS,
               NULL, HN_SDP_ERROR_NEGOTIATION, "offer has no DTLS fingerprint");
    answer_err(OFFER_HEAD "a=setup:holdconn\r\na=group:BUNDLE a\r\n" AUDIO_OPUS, NULL,
               HN_SDP_ERROR_UNSUPPORTED, "holdconn");

    /* Bad local parameters are the caller's fault. */
    HnSdp *offer = parse_ok(OFFER_HEAD "a=group:BUNDLE a\r\n" AUDIO_OPUS);
    HnSdpLocal bad[5];
    for (int i = 0; i < 5; i++)
        bad[i] = test_local;
    bad[0].ice_pwd = "short";
    bad[1].ice_ufrag = NULL;
    bad[2].fingerprint = "not hex";
    bad[3].fingerprint_alg = "sha 256";
    const char *cands[] = {"candidate:1 1 udp 1 10.0.0.1 5000 typ host\r\na=evil"};
    bad[4].candidates = cands;
    bad[4].n_candidates = 1;
    for (int i = 0; i < 5; i++) {
        HnSdpPubAnswer *a = NULL;
        GError *e = NULL;
        assert_int_equal(hn_sdp_pub_answer(offer, &bad[i], NULL, 1, &a, &e), -EINVAL);
        assert_true(g_error_matches(e, HN_SDP_ERROR, HN_SDP_ERROR_INVALID));
        assert_null(a);
        g_error_free(e);
    }
    hn_sdp_free(offer);
    hn_sdp_pub_answer_free(NULL);
}

static void test_dtls_role_and_direction(void **state)
{
    HnSdp *ans = NULL;
    HnSdpPubAnswer *a =
        answer_ok(OFFER_HEAD "a=setup:passive\r\n" BUNDLE_AV AUDIO_OPUS
                             "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:v\r\na=recvonly\r\n"
                             "a=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\n",
                  NULL, &ans);
    assert_false(a->dtls_server);
    assert_int_equal(a->remote.setup, HN_SDP_SETUP_PASSIVE);
    assert_int_equal(ans->media[0].transport.setup, HN_SDP_SETUP_ACTIVE);
    assert_true(a->tracks[0].receiving);
    assert_false(a->tracks[1].receiving);
    assert_int_equal(ans->media[1].direction, HN_SDP_DIR_INACTIVE);
    hn_sdp_free(ans);
    hn_sdp_pub_answer_free(a);

    /* setup:active and no setup at all: the server stays DTLS server. */
    a = answer_ok(OFFER_HEAD "a=setup:active\r\na=group:BUNDLE a\r\n" AUDIO_OPUS, NULL, NULL);
    assert_true(a->dtls_server);
    hn_sdp_pub_answer_free(a);
    a = answer_ok(OFFER_HEAD "a=group:BUNDLE a\r\n" AUDIO_OPUS, NULL, &ans);
    assert_true(a->dtls_server);
    assert_int_equal(ans->media[0].transport.setup, HN_SDP_SETUP_PASSIVE);
    hn_sdp_free(ans);
    hn_sdp_pub_answer_free(a);
}

static void test_ssrcs(void **state)
{
    /* webrtcbin before its encoder has caps: no a=ssrc for video. */
    HnSdp *ans = NULL;
    HnSdpPubAnswer *a = answer_fixture("webrtcbin-no-video-ssrc.sdp", NULL, &ans);
    assert_int_equal(a->n_tracks, 2);
    assert_string_equal(a->tracks[0].mid, "video0");
    assert_false(a->tracks[0].ssrc_signalled);
    assert_int_equal(a->tracks[0].ssrc, 0);
    assert_int_equal(a->tracks[0].codec.feedback, HN_FB_PLI | HN_FB_FIR); /* no plain nack */
    /* The bundle-only audio (port 0 in the offer) is accepted on port 9. */
    assert_string_equal(a->tracks[1].mid, "audio1");
    assert_true(a->tracks[1].ssrc_signalled);
    assert_int_equal(a->tracks[1].codec.pt, 97);
    assert_int_equal(ans->media[1].port, 9);
    assert_true(has_line(a->sdp, "a=rtpmap:97 OPUS/48000/2"));
    hn_sdp_free(ans);
    hn_sdp_pub_answer_free(a);

    a = answer_fixture("webrtcbin-nack.sdp", NULL, NULL);
    assert_true(a->tracks[0].has_rtx);
    assert_int_equal(a->tracks[0].rtx_pt, 98);
    assert_int_equal(a->tracks[0].codec.feedback, HN_FB_NACK | HN_FB_PLI | HN_FB_FIR);
    assert_int_not_equal(a->tracks[0].rtx_ssrc, 0);
    assert_string_equal(a->tracks[0].msid_track, "webrtctransceiver0");
    hn_sdp_pub_answer_free(a);

    a = answer_fixture("firefox.sdp", NULL, NULL);
    assert_int_equal(a->tracks[0].codec.pt, 109);
    assert_int_equal(a->tracks[0].ssrc, 2899327410u);
    assert_int_equal(a->tracks[0].ext_mid, 3);
    assert_int_equal(a->tracks[0].ext_abs_send_time, 0);
    assert_int_equal(a->tracks[1].codec.pt, 120);
    assert_int_equal(a->tracks[1].rtx_pt, 124);
    assert_int_equal(a->tracks[1].ssrc, 3461245197u);
    assert_int_equal(a->tracks[1].rtx_ssrc, 1750311298u);
    assert_int_equal(a->tracks[1].ext_abs_send_time, 4);
    assert_string_equal(a->tracks[1].msid_stream, "{a3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d}");
    hn_sdp_pub_answer_free(a);

    /* Legacy simulcast: the first SIM layer; an rtx stream is never taken as the media SSRC. */
    a = answer_ok(
        OFFER_HEAD BUNDLE_AV AUDIO_OPUS
        "a=ssrc:50 cname:x\r\na=ssrc:40 cname:x\r\n"
        "a=ssrc-group:FID 40 50\r\n" VIDEO("96 97") "a=rtpmap:96 VP8/90000\r\n"
                                                    "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
                                                    "a=ssrc-group:SIM 10 20\r\n"
                                                    "a=ssrc-group:FID 20 21\r\n"
                                                    "a=ssrc-group:FID 10 11\r\n",
        NULL, NULL);
    assert_int_equal(a->tracks[0].ssrc, 40);
    assert_int_equal(a->tracks[1].ssrc, 10);
    assert_int_equal(a->tracks[1].rtx_ssrc, 11);
    hn_sdp_pub_answer_free(a);

    /* rtx of another codec is not accepted. */
    a = answer_ok(OFFER_HEAD BUNDLE_AV AUDIO_OPUS VIDEO(
                      "96 98 99") "a=rtpmap:96 VP8/90000\r\na=rtpmap:98 VP9/90000\r\n"
                                  "a=rtpmap:99 rtx/90000\r\na=fmtp:99 apt=98\r\n",
                  NULL, NULL);
    assert_false(a->tracks[1].has_rtx);
    assert_null(strstr(a->sdp, "rtx"));
    hn_sdp_pub_answer_free(a);
}

static void test_candidates(void **state)
{
    const char *cands[] = {"candidate:1 1 udp 2130706431 192.0.2.10 40000 typ host",
                           "candidate:2 1 tcp 1518280447 192.0.2.10 9 typ host tcptype passive"};
    HnSdpLocal local = test_local;
    local.candidates = cands;
    local.n_candidates = 2;
    local.end_of_candidates = true;
    HnSdp *offer = parse_fixture("chromium-sendonly.sdp");
    HnSdpPubAnswer *a = NULL;
    GError *e = NULL;
    assert_int_equal(hn_sdp_pub_answer(offer, &local, NULL, 3, &a, &e), 0);
    HnSdp *ans = parse_ok(a->sdp);
    assert_int_equal(ans->media[0].n_candidates, 2);
    assert_string_equal(ans->media[0].candidates[1], cands[1]);
    assert_true(ans->media[0].end_of_candidates);
    assert_int_equal(ans->media[1].n_candidates, 0);
    hn_sdp_free(ans);
    hn_sdp_free(offer);
    hn_sdp_pub_answer_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chromium),
        cmocka_unit_test(test_simulcast_rid),
        cmocka_unit_test(test_simulcast_sim_group),
        cmocka_unit_test(test_transport_cc),
        cmocka_unit_test(test_h264),
        cmocka_unit_test(test_h264_ranking),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_no_bundle),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_dtls_role_and_direction),
        cmocka_unit_test(test_ssrcs),
        cmocka_unit_test(test_candidates),
        cmocka_unit_test(test_opus_fec_dtx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

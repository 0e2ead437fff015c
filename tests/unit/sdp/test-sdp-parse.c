/* hn_sdp_parse on real offers and on malformed input. */
#include "sdp_test.h"

static void test_chromium_offer(void **state)
{
    HnSdp *sdp = parse_fixture("chromium-sendonly.sdp");
    assert_string_equal(sdp->session_id, "4611731400430051336");
    assert_int_equal(sdp->session_version, 2);
    assert_true(sdp->has_bundle);
    assert_int_equal(sdp->n_bundle, 2);
    assert_string_equal(sdp->bundle[0], "0");
    assert_string_equal(sdp->bundle[1], "1");
    assert_int_equal(sdp->n_media, 2);

    const HnSdpMedia *a = &sdp->media[0];
    assert_int_equal(a->type, HN_SDP_MEDIA_AUDIO);
    assert_string_equal(a->mid, "0");
    assert_int_equal(a->port, 9);
    assert_string_equal(a->proto, "UDP/TLS/RTP/SAVPF");
    assert_int_equal(a->direction, HN_SDP_DIR_SENDONLY);
    assert_true(a->rtcp_mux);
    assert_false(a->rtcp_rsize);
    assert_string_equal(a->transport.ice_ufrag, "Kq3Z");
    assert_string_equal(a->transport.ice_pwd, "Wm3G8mXkVzg0tCQ0/8Ruw3nS");
    assert_true(a->transport.ice_trickle);
    assert_string_equal(a->transport.fingerprint_alg, "sha-256");
    assert_true(g_str_has_prefix(a->transport.fingerprint, "5B:1C:3E:9F"));
    assert_int_equal(a->transport.setup, HN_SDP_SETUP_ACTPASS);
    assert_int_equal(a->n_codecs, 8);
    const HnSdpCodec *opus = &a->codecs[0];
    assert_int_equal(opus->pt, 111);
    assert_int_equal(opus->id, HN_CODEC_OPUS);
    assert_int_equal(opus->clock_rate, 48000);
    assert_int_equal(opus->channels, 2);
    assert_string_equal(opus->fmtp, "minptime=10;useinbandfec=1");
    assert_int_equal(opus->feedback, HN_FB_TRANSPORT_CC);
    const HnSdpCodec *pcmu = hn_sdp_media_find_codec(a, 0);
    assert_non_null(pcmu);
    assert_string_equal(pcmu->name, "PCMU");
    assert_int_equal(pcmu->apt, -1);
    assert_int_equal(a->n_extmaps, 4);
    assert_int_equal(hn_sdp_media_find_extmap(a, HN_SDP_EXT_MID), 4);
    assert_int_equal(hn_sdp_media_find_extmap(a, HN_SDP_EXT_ABS_SEND_TIME), 2);
    assert_int_equal(hn_sdp_media_find_extmap(a, HN_SDP_EXT_TRANSPORT_CC), 3);
    assert_string_equal(a->msid_stream, "5f3c9a2e-7d1b-4c8e-9a06-2b7e4f1d8c35");
    assert_string_equal(a->msid_track, "0c4b8f57-1e2d-4a96-b3c7-8d5e6f0a1b29");
    assert_int_equal(a->n_ssrcs, 1);
    assert_int_equal(a->ssrcs[0].ssrc, 3570614608u);
    assert_string_equal(a->ssrcs[0].cname, "4TOk42mSjXCkVIa6");
    assert_string_equal(a->ssrcs[0].msid_track, "0c4b8f57-1e2d-4a96-b3c7-8d5e6f0a1b29");

    const HnSdpMedia *v = &sdp->media[1];
    assert_int_equal(v->type, HN_SDP_MEDIA_VIDEO);
    assert_true(v->rtcp_rsize);
    assert_int_equal(v->n_codecs, 25);
    assert_int_equal(v->codecs[0].id, HN_CODEC_VP8);
    assert_int_equal(v->codecs[0].feedback,
                     HN_FB_NACK | HN_FB_PLI | HN_FB_FIR | HN_FB_REMB | HN_FB_TRANSPORT_CC);
    const HnSdpCodec *rtx = hn_sdp_media_find_codec(v, 97);
    assert_string_equal(rtx->name, "rtx");
    assert_int_equal(rtx->apt, 96);
    assert_int_equal(hn_sdp_media_find_codec(v, 106)->id, HN_CODEC_H264);
    assert_string_equal(hn_sdp_media_find_codec(v, 45)->name, "AV1");
    assert_int_equal(hn_sdp_media_find_codec(v, 45)->id, HN_CODEC_UNKNOWN);
    assert_int_equal(v->n_extmaps, 11);
    assert_int_equal(v->n_ssrc_groups, 1);
    assert_string_equal(v->ssrc_groups[0].semantics, "FID");
    assert_int_equal(v->ssrc_groups[0].n_ssrcs, 2);
    assert_int_equal(v->ssrc_groups[0].ssrcs[0], 1829477213u);
    assert_int_equal(v->ssrc_groups[0].ssrcs[1], 2478096226u);
    assert_int_equal(v->n_ssrcs, 2);
    assert_ptr_equal(hn_sdp_find_media(sdp, "1"), v);
    assert_null(hn_sdp_find_media(sdp, "2"));
    hn_sdp_free(sdp);
}

static void test_firefox_offer(void **state)
{
    HnSdp *sdp = parse_fixture("firefox.sdp");
    assert_int_equal(sdp->n_media, 2);
    /* Session-level fingerprint and ice-options apply to every m= line. */
    for (size_t i = 0; i < 2; i++) {
        const HnSdpTransport *t = &sdp->media[i].transport;
        assert_true(g_str_has_prefix(t->fingerprint, "7E:4C:19"));
        assert_true(t->ice_trickle);
        assert_string_equal(t->ice_ufrag, "3f9a2c1e");
    }
    const HnSdpMedia *a = &sdp->media[0];
    /* a=fmtp comes before a=rtpmap in Firefox offers. */
    assert_string_equal(hn_sdp_media_find_codec(a, 109)->fmtp,
                        "maxplaybackrate=48000;stereo=1;useinbandfec=1");
    assert_int_equal(hn_sdp_media_find_codec(a, 109)->id, HN_CODEC_OPUS);
    assert_int_equal(hn_sdp_media_find_codec(a, 9)->channels, 1);
    assert_int_equal(hn_sdp_media_find_extmap(a, "urn:ietf:params:rtp-hdrext:csrc-audio-level"), 2);
    assert_string_equal(a->msid_stream, "{a3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d}");
    const HnSdpMedia *v = &sdp->media[1];
    assert_int_equal(hn_sdp_media_find_codec(v, 124)->apt, 120);
    assert_int_equal(hn_sdp_media_find_codec(v, 119)->apt, 122);
    assert_int_equal(hn_sdp_media_find_codec(v, 123)->feedback,
                     HN_FB_NACK | HN_FB_PLI | HN_FB_FIR | HN_FB_REMB | HN_FB_TRANSPORT_CC);
    hn_sdp_free(sdp);
}

static void test_webrtcbin_offer(void **state)
{
    HnSdp *sdp = parse_fixture("webrtcbin-nack.sdp");
    assert_int_equal(sdp->n_media, 2);
    assert_true(sdp->media[0].transport.ice_trickle); /* session-level a=ice-options */
    const HnSdpMedia *v = hn_sdp_find_media(sdp, "video0");
    const HnSdpMedia *a = hn_sdp_find_media(sdp, "audio1");
    assert_non_null(v);
    assert_non_null(a);
    assert_int_equal(a->port, 0);
    assert_true(a->bundle_only);
    assert_true(a->rtcp_mux_only);
    assert_string_equal(hn_sdp_media_find_codec(a, 97)->name, "OPUS");
    assert_int_equal(hn_sdp_media_find_codec(a, 97)->id, HN_CODEC_OPUS);
    assert_int_equal(hn_sdp_media_find_codec(v, 98)->apt, 96);
    assert_int_equal(v->codecs[0].feedback,
                     HN_FB_NACK | HN_FB_PLI | HN_FB_FIR | HN_FB_TRANSPORT_CC);
    assert_int_equal(v->n_ssrc_groups, 1);
    assert_int_equal(strlen(v->transport.ice_ufrag), 32);
    assert_int_equal(v->n_ssrcs, 2);
    assert_true(g_str_has_prefix(v->ssrcs[0].cname, "user"));
    assert_string_equal(v->ssrcs[0].msid_track, "webrtctransceiver0");
    hn_sdp_free(sdp);
}

/* LF line ends and a trailing blank line parse like CRLF. */
static void test_lf_line_ends(void **state)
{
    char *text = load_fixture("chromium-sendonly.sdp", NULL);
    char *lf = replace(text, "\r\n", "\n");
    char *blank = g_strconcat(lf, "\n\n", NULL);
    HnSdp *a = parse_ok(text), *b = parse_ok(blank);
    assert_int_equal(a->n_media, b->n_media);
    for (size_t i = 0; i < a->n_media; i++) {
        assert_string_equal(a->media[i].mid, b->media[i].mid);
        assert_int_equal(a->media[i].n_codecs, b->media[i].n_codecs);
        assert_string_equal(a->media[i].transport.ice_pwd, b->media[i].transport.ice_pwd);
    }
    hn_sdp_free(a);
    hn_sdp_free(b);
    g_free(text);
    g_free(lf);
    g_free(blank);
}

#define HEAD  "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
#define MLINE "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\n"

static void test_attributes(void **state)
{
    const char *text = HEAD "a=extmap:7 urn:example:session-ext\r\n"
                            "a=inactive\r\n"
                            "a=ice-lite\r\n"
                            "a=unknown-session-attribute:whatever\r\n" MLINE "a=mid:v\r\n"
                            "a=rtpmap:96 VP8/90000\r\n"
                            "a=rtpmap:97 rtx/90000\r\n"
                            "a=fmtp:97 apt=96;rtx-time=3000\r\n"
                            "a=rtcp-fb:* nack\r\n"
                            "a=rtcp-fb:96 nack pli\r\n"
                            "a=rtcp-fb:96 unknown-feedback\r\n"
                            "a=rtcp-fb:55 ccm fir\r\n"
                            "a=rid:hi send max-width=1280;max-height=720\r\n"
                            "a=rid:lo send\r\n"
                            "a=simulcast:send hi;lo\r\n"
                            "a=extmap:3/sendonly " HN_SDP_EXT_MID "\r\n"
                            "a=candidate:1 1 udp 2122260223 192.168.1.5 50000 typ host\r\n"
                            "a=candidate:2 1 udp 1686052607 203.0.113.7 50001 typ srflx raddr "
                            "192.168.1.5 rport 50000\r\n"
                            "a=end-of-candidates\r\n"
                            "a=x-google-flag:conference\r\n"
                            "a=ssrc:1 cname:c1\r\n"
                            "a=ssrc:2 cname:c1\r\n"
                            "a=ssrc:3 cname:c1\r\n"
                            "a=ssrc-group:SIM 1 2 3\r\n";
    HnSdp *sdp = parse_ok(text);
    assert_true(sdp->ice_lite);
    assert_false(sdp->has_bundle);
    const HnSdpMedia *m = &sdp->media[0];
    assert_int_equal(m->direction, HN_SDP_DIR_INACTIVE); /* session-level direction */
    assert_int_equal(m->fb_wildcard, HN_FB_NACK);
    assert_int_equal(m->codecs[0].feedback, HN_FB_NACK | HN_FB_PLI);
    assert_int_equal(m->codecs[1].feedback, HN_FB_NACK);
    assert_int_equal(m->codecs[1].apt, 96);
    assert_int_equal(m->n_rids, 2);
    assert_string_equal(m->rids[0].id, "hi");
    assert_true(m->rids[0].send);
    assert_string_equal(m->rids[0].params, "max-width=1280;max-height=720");
    assert_string_equal(m->rids[1].params, "");
    assert_string_equal(m->simulcast, "send hi;lo");
    assert_int_equal(hn_sdp_media_find_extmap(m, HN_SDP_EXT_MID), 3);
    assert_int_equal(hn_sdp_media_find_extmap(m, "urn:example:session-ext"), 7);
    assert_int_equal(m->n_candidates, 2);
    assert_string_equal(m->candidates[0],
                        "candidate:1 1 udp 2122260223 192.168.1.5 50000 typ host");
    assert_true(m->end_of_candidates);
    assert_int_equal(m->n_ssrc_groups, 1);
    assert_int_equal(m->ssrc_groups[0].n_ssrcs, 3);
    assert_non_null(hn_sdp_media_find_ssrc(m, 3));
    assert_null(hn_sdp_media_find_ssrc(m, 4));
    hn_sdp_free(sdp);

    /* A session-level extmap never overrides the m= section's own use of its id. */
    sdp = parse_ok(HEAD "a=extmap:3 urn:session\r\na=extmap:4 urn:both\r\n" MLINE
                        "a=extmap:3 urn:media\r\na=extmap:9 urn:both\r\n");
    assert_int_equal(sdp->media[0].n_extmaps, 2);
    assert_int_equal(hn_sdp_media_find_extmap(&sdp->media[0], "urn:media"), 3);
    assert_int_equal(hn_sdp_media_find_extmap(&sdp->media[0], "urn:both"), 9);
    assert_int_equal(hn_sdp_media_find_extmap(&sdp->media[0], "urn:session"), 0);
    hn_sdp_free(sdp);
}

typedef struct {
    const char *text;
    const char *want;
} BadCase;

static const BadCase bad_cases[] = {
    {"o=- 1 1 IN IP4 0.0.0.0\r\n", "SDP line 1: SDP must start with a v= line"},
    {"v=1\r\n", "unsupported SDP version"},
    {"v=0\r\nv=0\r\n", "SDP line 2: v= line after the first line"},
    {"v=0\r\nhello\r\n", "SDP line 2: expected \"<letter>=<value>\""},
    {"v=0\r\n=x\r\n", "SDP line 2: expected"},
    {"v=0\r\n1=x\r\n", "SDP line 2: bad line type '1'"},
    {"v=0\r\nV=0\r\n", "bad line type 'V'"},
    {"v=0\r\na\r\n", "SDP line 2: expected"},
    {"v=0\r\nx\tfoo\r\n", "expected"},
    {"v=0\r\ns=\x01\r\n", "control character 0x01"},
    {"v=0\r\no=- 1\r\n", "o= line needs 6 fields, has 2"},
    {"v=0\r\no=- abc 1 IN IP4 0.0.0.0\r\n", "o= session id \"abc\" is not a number"},
    {"v=0\r\no=- 1 99999999999999999999999 IN IP4 0.0.0.0\r\n", "session version"},
    {"v=0\r\no=- 123456789012345678901 1 IN IP4 0.0.0.0\r\n", "longer than 20 digits"},
    {HEAD "m=audio\r\n", "SDP line 5: bad m= line"},
    {HEAD "m=audio 9\r\n", "bad m= line"},
    {HEAD "m=audio nine UDP/TLS/RTP/SAVPF 111\r\n", "m= port \"nine\" is not a number"},
    {HEAD "m=audio 70000 UDP/TLS/RTP/SAVPF 111\r\n", "0-65535"},
    {HEAD "m=audio -1 UDP/TLS/RTP/SAVPF 111\r\n", "not a number"},
    {HEAD "m=audio 9/x UDP/TLS/RTP/SAVPF 111\r\n", "port count"},
    {HEAD "m=audio 9 UDP/TLS/RTP/SAVPF\r\n", "m= line has no payload types"},
    {HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 128\r\n", "payload type \"128\" is not a number in 0-127"},
    {HEAD "m=audio 9 UDP/TLS/RTP/SAVPF opus\r\n", "payload type \"opus\""},
    {HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 111 111\r\n", "listed twice"},
    {HEAD "m=au/dio 9 UDP/TLS/RTP/SAVPF 111\r\n", "bad m= media type"},
    {HEAD "m=application 9 UDP/DTLS/SCTP\r\n", "m= line has no format"},
    {HEAD "o=- 1 1 IN IP4 0.0.0.0\r\n" MLINE "o=- 1 1 IN IP4 0.0.0.0\r\n", "o= line inside"},
    {HEAD MLINE "a=rtpmap:96 VP8\r\n", "a=rtpmap: expected"},
    {HEAD MLINE "a=rtpmap:96 VP8/abc\r\n", "a=rtpmap: expected"},
    {HEAD MLINE "a=rtpmap:96 VP8/0\r\n", "a=rtpmap: expected"},
    {HEAD MLINE "a=rtpmap:96 VP8/90000/0\r\n", "a=rtpmap: expected"},
    {HEAD MLINE "a=rtpmap:96 VP8/90000/2/3\r\n", "a=rtpmap: expected"},
    {HEAD MLINE "a=rtpmap:96 V<P8/90000\r\n", "a=rtpmap: expected"},
    {HEAD MLINE "a=rtpmap:200 VP8/90000\r\n", "payload type \"200\" is not a number in 0-127"},
    {HEAD MLINE "a=rtpmap:96 VP8/90000\r\na=rtpmap:96 VP8/90000\r\n", "duplicate a=rtpmap"},
    {HEAD MLINE "a=rtpmap:x VP8/90000\r\n", "payload type \"x\""},
    {HEAD MLINE "a=rtpmap:\r\n", "missing payload type"},
    {HEAD MLINE "a=fmtp:97 apt=abc\r\n", "apt=\"abc\" is not a payload type"},
    {HEAD MLINE "a=fmtp:97 apt=1\r\na=fmtp:97 apt=1\r\n", "duplicate a=fmtp"},
    {HEAD MLINE "a=rtcp-fb:96\r\n", "missing feedback type"},
    {HEAD MLINE "a=rtcp-fb:-1 nack\r\n", "payload type \"-1\""},
    {HEAD MLINE "a=extmap:0 urn:x\r\n", "a=extmap id \"0\" is not a number in 1-255"},
    {HEAD MLINE "a=extmap:256 urn:x\r\n", "1-255"},
    {HEAD MLINE "a=extmap:1\r\n", "missing or too long URI"},
    {HEAD MLINE "a=extmap:1 urn:x\r\na=extmap:1 urn:y\r\n", "a=extmap id 1 is used twice"},
    {HEAD MLINE "a=ssrc:abc cname:x\r\n", "a=ssrc: SSRC is not a number"},
    {HEAD MLINE "a=ssrc:4294967296 cname:x\r\n", "a=ssrc: SSRC is not a number"},
    {HEAD MLINE "a=ssrc:1\r\n", "a=ssrc: missing attribute"},
    {HEAD MLINE "a=ssrc:1 cname:\r\n", "a=ssrc cname must be"},
    {HEAD MLINE "a=ssrc:1 msid:\r\n", "msid: missing"},
    {HEAD MLINE "a=ssrc:1 msid:a b c\r\n", "msid: expected"},
    {HEAD MLINE "a=ssrc-group:FID\r\n", "a=ssrc-group: expected"},
    {HEAD MLINE "a=ssrc-group:FID 1 x\r\n", "\"x\" is not an SSRC"},
    {HEAD MLINE "a=ssrc-group:SIM 1 2 3 4 5 6 7 8 9\r\n", "more than 8 SSRCs"},
    {HEAD MLINE "a=ice-ufrag:ab\r\n", "a=ice-ufrag must be 4-256"},
    {HEAD MLINE "a=ice-ufrag:abc!\r\n", "a=ice-ufrag must be"},
    {HEAD MLINE "a=ice-ufrag:abcd\r\na=ice-ufrag:abcd\r\n", "duplicate a=ice-ufrag"},
    {HEAD MLINE "a=ice-pwd:short\r\n", "a=ice-pwd must be 22-256"},
    {HEAD "a=fingerprint:sha-256 ZZ:00\r\n", "a=fingerprint: expected"},
    {HEAD "a=fingerprint:sha-256\r\n", "a=fingerprint: expected"},
    {HEAD "a=fingerprint:sha-256 AB:CD:\r\n", "a=fingerprint: expected"},
    {HEAD "a=fingerprint:sha-256 AB:CD extra\r\n", "a=fingerprint: expected"},
    {HEAD "a=setup:bogus\r\n", "unknown a=setup role \"bogus\""},
    {HEAD "a=setup:active\r\na=setup:active\r\n", "duplicate a=setup"},
    {HEAD MLINE "a=mid:\r\n", "a=mid must be 1-32"},
    {HEAD MLINE "a=mid:a\r\na=mid:b\r\n", "duplicate a=mid"},
    {HEAD MLINE "a=mid:a\r\n" MLINE "a=mid:a\r\n", "mid \"a\" is used by two m= lines"},
    {HEAD "a=group:BUNDLE 0 1\r\n" MLINE "a=mid:0\r\n", "names mid \"1\", which no m= line has"},
    {HEAD "a=group:BUNDLE 0 0\r\n", "lists mid \"0\" twice"},
    {HEAD "a=group:BUNDLE 012345678901234567890123456789012\r\n", "mid longer than 32"},
    {HEAD MLINE "a=rid:h!i send\r\n", "a=rid id \"h!i\""},
    {HEAD MLINE "a=rid:hi sideways\r\n", "direction must be"},
    {HEAD MLINE "a=candidate:\r\n", "empty a=candidate"},
    {HEAD MLINE "a=msid:\r\n", "msid: missing"},
    {HEAD "a=:x\r\n", "a= line without an attribute name"},
};

static void test_malformed(void **state)
{
    for (size_t i = 0; i < G_N_ELEMENTS(bad_cases); i++)
        expect_parse_error(bad_cases[i].text, strlen(bad_cases[i].text), bad_cases[i].want);
    /* A valueless a=group is tolerated like any attribute without the value it needs. */
    HnSdp *sdp = parse_ok(HEAD "a=group\r\n");
    assert_false(sdp->has_bundle);
    hn_sdp_free(sdp);
}

static void test_sizes(void **state)
{
    expect_parse_error("", 0, "SDP is empty");
    expect_parse_error(NULL, 10, "SDP is empty");
    expect_parse_error("\r\n\r\n", 4, "missing v= line");
    expect_parse_error("v=0\r\ns=a\0b\r\n", 11, "SDP line 2: NUL byte");

    /* Over 2 MiB in total. */
    GString *s = g_string_new(HEAD);
    while (s->len <= HN_SDP_MAX_SIZE)
        g_string_append(s, "a=x-filler:0123456789012345678901234567890123456789\r\n");
    expect_parse_error(s->str, s->len, "larger than the 2097152-byte limit");
    g_string_free(s, TRUE);

    /* One line over 4096 bytes; exactly 4096 is fine. */
    s = g_string_new(HEAD "a=x-long:");
    g_string_append_printf(s, "%*s", HN_SDP_MAX_LINE - 9, "z");
    g_string_append(s, "\r\n");
    HnSdp *sdp = parse_ok(s->str);
    hn_sdp_free(sdp);
    g_string_insert_c(s, strlen(HEAD) + 9, 'y');
    expect_parse_error(s->str, s->len, "longer than 4096");
    g_string_free(s, TRUE);

    /* 2048 m= lines are fine, 2049 are not. */
    s = g_string_new(HEAD);
    for (int i = 0; i < HN_SDP_MAX_MEDIA; i++)
        g_string_append_printf(s, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:%d\r\n", i);
    sdp = parse_ok(s->str);
    assert_int_equal(sdp->n_media, HN_SDP_MAX_MEDIA);
    hn_sdp_free(sdp);
    g_string_append(s, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n");
    expect_parse_error(s->str, s->len, "more than 2048 m= lines");
    g_string_free(s, TRUE);

    /* 65 payload types on one m= line. */
    s = g_string_new(HEAD "m=video 9 UDP/TLS/RTP/SAVPF");
    for (int i = 0; i < 65; i++)
        g_string_append_printf(s, " %d", i);
    g_string_append(s, "\r\n");
    expect_parse_error(s->str, s->len, "more than 64 payload types");
    g_string_free(s, TRUE);

    /* 65 candidates, 33 extmaps, 33 ssrcs. */
    s = g_string_new(HEAD MLINE);
    for (int i = 0; i < 65; i++)
        g_string_append_printf(s, "a=candidate:%d 1 udp 1 10.0.0.1 %d typ host\r\n", i, i);
    expect_parse_error(s->str, s->len, "more than 64 a=candidate");
    g_string_free(s, TRUE);
    s = g_string_new(HEAD MLINE);
    for (int i = 1; i <= 33; i++)
        g_string_append_printf(s, "a=extmap:%d urn:x:%d\r\n", i, i);
    expect_parse_error(s->str, s->len, "more than 32 a=extmap");
    g_string_free(s, TRUE);
    s = g_string_new(HEAD MLINE);
    for (int i = 1; i <= 33; i++)
        g_string_append_printf(s, "a=ssrc:%d cname:x\r\n", i);
    expect_parse_error(s->str, s->len, "more than 32 SSRCs");
    g_string_free(s, TRUE);
}

static void test_free_null(void **state)
{
    hn_sdp_free(NULL);
    assert_string_equal(hn_sdp_direction_name(HN_SDP_DIR_RECVONLY), "recvonly");
    assert_string_equal(hn_sdp_setup_name(HN_SDP_SETUP_PASSIVE), "passive");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chromium_offer),  cmocka_unit_test(test_firefox_offer),
        cmocka_unit_test(test_webrtcbin_offer), cmocka_unit_test(test_lf_line_ends),
        cmocka_unit_test(test_attributes),      cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_sizes),           cmocka_unit_test(test_free_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

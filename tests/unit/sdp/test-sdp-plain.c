/* Plain RTP legs (sdp_plain.h): offers as SIP room systems send them (fixtures written after
 * what Polycom, Cisco, Yealink and baresip send), the answers we write, our own offers and the
 * round trip, and the errors of c=, a=rtcp, a=ptime and a=crypto. */
#include "sdp_test.h"

#include "sdp/sdp_plain.h"

static const HnSdpSdesKey key128 = {HN_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80,
                                    {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
                                     0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23,
                                     0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d}};
static const HnSdpSdesKey key256 = {HN_SDP_CRYPTO_AES_256_CM_HMAC_SHA1_80, {0xab, 0xcd}};

static const HnSdpPlainSession session4 = {
    .address = "192.0.2.1", .session_id = 77, .version = 3, .codecs = 0};

/* Answers a fixture with ports 30000, 30002... on `addr`, each with `key`. */
static HnSdpPlainAnswer *answer_fixture(const char *name, const HnSdpPlainSession *session,
                                        const char *addr, const HnSdpSdesKey *key, HnSdp **parsed)
{
    HnSdp *offer = parse_fixture(name);
    HnSdpPlainPort ports[8];
    assert_true(offer->n_media <= 8);
    for (size_t i = 0; i < offer->n_media; i++)
        ports[i] = (HnSdpPlainPort){addr, (uint16_t)(30000 + 2 * i), 0, key};
    HnSdpPlainAnswer *a = NULL;
    GError *e = NULL;
    if (hn_sdp_plain_answer(offer, session, ports, offer->n_media, &a, &e) != 0)
        fail_msg("plain answer to %s: %s", name, e->message);
    hn_sdp_free(offer);
    *parsed = parse_ok(a->sdp);
    /* What a plain answer never says. */
    static const char *const webrtc[] = {"a=ice-",   "a=fingerprint", "a=setup",
                                         "a=group",  "a=candidate",   "a=ssrc",
                                         "a=extmap", "a=msid",        "UDP/TLS"};
    for (size_t i = 0; i < G_N_ELEMENTS(webrtc); i++) {
        if (strstr(a->sdp, webrtc[i]))
            fail_msg("plain answer has \"%s\":\n%s", webrtc[i], a->sdp);
    }
    return a;
}

static void test_polycom_savp(void **state)
{
    HnSdp *ans = NULL;
    HnSdpPlainAnswer *a = answer_fixture("polycom-savp.sdp", &session4, "192.0.2.1", &key128, &ans);
    assert_int_equal(a->n_streams, 3);
    const HnSdpPlainStream *au = &a->streams[0];
    assert_true(au->accepted);
    assert_int_equal(au->profile, HN_SDP_PROFILE_SAVP);
    assert_int_equal(au->codec, HN_SDP_PLAIN_CODEC_G722); /* G.722.1 (115, 102) is not ours */
    assert_int_equal(au->pt, 9);
    assert_int_equal(au->clock_rate, 8000);
    assert_int_equal(au->dtmf_pt, 101);
    assert_string_equal(au->remote.addr, "192.0.2.21");
    assert_false(au->remote.ipv6);
    assert_int_equal(au->remote_port, 49170);
    assert_int_equal(au->remote_rtcp_port, 49171);
    assert_false(au->rtcp_mux);
    assert_int_equal(au->direction, HN_SDP_DIR_SENDRECV);
    assert_true(au->srtp);
    assert_int_equal(au->remote_key.tag, 1);
    assert_int_equal(au->remote_key.key_len, 30);
    assert_int_equal(au->remote_key.lifetime, (uint64_t)1 << 48);
    assert_int_equal(au->remote_key.key[0], 0xd6); /* "1uOJ..." */

    const HnSdpPlainStream *v = &a->streams[1];
    assert_true(v->accepted);
    assert_int_equal(v->codec, HN_SDP_PLAIN_CODEC_H264);
    assert_int_equal(v->pt, 109); /* 110 is packetization-mode=0 */
    assert_string_equal(v->fmtp, "profile-level-id=640c1f;packetization-mode=1");
    assert_int_equal(v->feedback, 0); /* RTP/SAVP has no feedback, a=rtcp-fb or not */
    assert_false(a->streams[2].accepted);
    assert_string_equal(a->streams[2].reason, "not audio or video");

    /* The answer text, parsed back. */
    assert_non_null(strstr(a->sdp, "o=hoinghi 77 3 IN IP4 192.0.2.1\r\n"));
    assert_true(has_line(a->sdp, "c=IN IP4 192.0.2.1"));
    assert_true(has_line(a->sdp, "m=audio 30000 RTP/SAVP 9 101"));
    assert_true(has_line(a->sdp, "m=video 30002 RTP/SAVP 109"));
    assert_true(has_line(a->sdp, "m=application 0 TCP/BFCP *"));
    assert_true(has_line(a->sdp, "a=fmtp:101 0-15"));
    assert_int_equal(ans->n_media, 3);
    const HnSdpMedia *m = &ans->media[0];
    assert_int_equal(m->n_cryptos, 1);
    assert_int_equal(m->cryptos[0].tag, 1);
    assert_int_equal(m->cryptos[0].suite, HN_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80);
    assert_memory_equal(m->cryptos[0].key, key128.key, 30);
    assert_string_equal(m->conn.addr, "192.0.2.1");
    assert_int_equal(m->direction, HN_SDP_DIR_SENDRECV);
    assert_false(ans->has_bundle);
    assert_string_equal(ans->media[1].mid, "");
    hn_sdp_free(ans);
    hn_sdp_plain_answer_free(a);
}

static void test_cisco_avpf(void **state)
{
    HnSdp *ans = NULL;
    HnSdpPlainAnswer *a = answer_fixture("cisco-avpf.sdp", &session4, "192.0.2.1", NULL, &ans);
    const HnSdpPlainStream *au = &a->streams[0];
    assert_true(au->accepted);
    assert_false(au->srtp);
    assert_int_equal(au->codec, HN_SDP_PLAIN_CODEC_G722);
    assert_int_equal(au->dtmf_pt, 102);
    assert_int_equal(au->ptime, 20);
    assert_int_equal(au->remote_rtcp_port, 2327);
    assert_string_equal(au->remote_rtcp.addr, "198.51.100.40");
    const HnSdpPlainStream *v = &a->streams[1];
    assert_true(v->accepted);
    assert_int_equal(v->profile, HN_SDP_PROFILE_AVPF);
    assert_int_equal(v->pt, 97);
    assert_int_equal(v->feedback, HN_FB_PLI | HN_FB_FIR); /* no generic "nack" offered */
    assert_string_equal(v->fmtp, "profile-level-id=428016;packetization-mode=1");
    assert_true(has_line(a->sdp, "m=video 30002 RTP/AVPF 97"));
    assert_true(has_line(a->sdp, "a=rtcp-fb:97 nack pli"));
    assert_null(strstr(a->sdp, "a=crypto"));
    assert_int_equal(ans->media[1].codecs[0].feedback, HN_FB_PLI | HN_FB_FIR);
    hn_sdp_free(ans);
    hn_sdp_plain_answer_free(a);
}

static void test_yealink_codec_choice(void **state)
{
    /* G.711 only: the offerer's order (9 0 8) decides between what we accept. */
    HnSdpPlainSession s = session4;
    s.codecs = HN_SDP_PLAIN_PCMU | HN_SDP_PLAIN_PCMA | HN_SDP_PLAIN_DTMF;
    HnSdp *ans = NULL;
    HnSdpPlainAnswer *a = answer_fixture("yealink-avp.sdp", &s, "192.0.2.1", NULL, &ans);
    assert_int_equal(a->streams[0].codec, HN_SDP_PLAIN_CODEC_PCMU);
    assert_int_equal(a->streams[0].pt, 0);
    assert_true(has_line(a->sdp, "m=audio 30000 RTP/AVP 0 101"));
    assert_true(has_line(a->sdp, "a=rtpmap:0 PCMU/8000"));
    hn_sdp_free(ans);
    hn_sdp_plain_answer_free(a);
    /* Without DTMF, no telephone-event. */
    s.codecs = HN_SDP_PLAIN_PCMA;
    a = answer_fixture("yealink-avp.sdp", &s, "192.0.2.1", NULL, &ans);
    assert_int_equal(a->streams[0].pt, 8);
    assert_int_equal(a->streams[0].dtmf_pt, -1);
    assert_true(has_line(a->sdp, "m=audio 30000 RTP/AVP 8"));
    hn_sdp_free(ans);
    hn_sdp_plain_answer_free(a);
}

static void test_baresip_ipv6(void **state)
{
    HnSdpPlainSession s = session4;
    s.address = "2001:db8::1";
    HnSdp *ans = NULL;
    HnSdpPlainAnswer *a = answer_fixture("baresip-savp-ipv6.sdp", &s, "2001:db8::1", &key256, &ans);
    const HnSdpPlainStream *au = &a->streams[0];
    assert_true(au->accepted);
    assert_int_equal(au->codec, HN_SDP_PLAIN_CODEC_OPUS);
    assert_int_equal(au->pt, 96);
    assert_int_equal(au->channels, 2);
    assert_int_equal(au->dtmf_pt, -1); /* telephone-event/8000 does not fit Opus' 48 kHz */
    assert_true(au->remote.ipv6);
    assert_string_equal(au->remote.addr, "2001:db8::5");
    assert_true(au->rtcp_mux);
    assert_int_equal(au->remote_rtcp_port, 10420);
    assert_int_equal(au->remote_key.tag, 1);
    assert_int_equal(au->remote_key.key_len, 46);
    /* The video has no AES-256 key: rejected, with the reason. */
    assert_false(a->streams[1].accepted);
    assert_non_null(strstr(a->streams[1].reason, "no a=crypto line with our suite"));
    assert_true(has_line(a->sdp, "c=IN IP6 2001:db8::1"));
    assert_true(has_line(a->sdp, "a=rtcp-mux"));
    assert_true(has_line(a->sdp, "m=video 0 RTP/SAVP 97"));
    assert_int_equal(ans->media[0].cryptos[0].suite, HN_SDP_CRYPTO_AES_256_CM_HMAC_SHA1_80);
    assert_memory_equal(ans->media[0].cryptos[0].key, key256.key, 46);
    hn_sdp_free(ans);
    hn_sdp_plain_answer_free(a);

    /* With an AES-128 key: audio uses crypto tag 2, the sendonly video is received with VP8
     * (its H264 is packetization-mode=0). */
    a = answer_fixture("baresip-savp-ipv6.sdp", &s, "2001:db8::1", &key128, &ans);
    assert_int_equal(a->streams[0].remote_key.tag, 2);
    assert_true(has_line(a->sdp, "a=crypto:2 AES_CM_128_HMAC_SHA1_80 "
                                 "inline:EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywt"));
    const HnSdpPlainStream *v = &a->streams[1];
    assert_true(v->accepted);
    assert_int_equal(v->codec, HN_SDP_PLAIN_CODEC_VP8);
    assert_int_equal(v->direction, HN_SDP_DIR_RECVONLY);
    assert_int_equal(ans->media[1].direction, HN_SDP_DIR_RECVONLY);
    hn_sdp_free(ans);
    hn_sdp_plain_answer_free(a);
}

static void answer_err(const char *offer_text, const HnSdpPlainPort *ports, size_t n, int code,
                       const char *want)
{
    HnSdp *offer = parse_ok(offer_text);
    HnSdpPlainAnswer *a = (HnSdpPlainAnswer *)0x1;
    GError *e = NULL;
    assert_int_equal(hn_sdp_plain_answer(offer, &session4, ports, n, &a, &e), -EINVAL);
    assert_null(a);
    assert_true(g_error_matches(e, HN_SDP_ERROR, code));
    if (!strstr(e->message, want))
        fail_msg("error \"%s\" lacks \"%s\"", e->message, want);
    g_error_free(e);
    hn_sdp_free(offer);
}

#define HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nt=0 0\r\n"

/* H.264 packetization-mode 0 (single NAL units): taken only when no other video codec fits,
 * mode 1 preferred whatever the order; the answer says which mode. */
static void test_h264_mode0(void **state)
{
    HnSdpPlainPort p = {"192.0.2.1", 30000, 0, NULL};
    const struct {
        const char *media, *fmtp;
        int pt;
    } cases[] = {
        {"m=video 4000 RTP/AVP 98\r\na=rtpmap:98 H264/90000\r\n"
         "a=fmtp:98 profile-level-id=42e01f\r\n",
         "profile-level-id=42e01f;packetization-mode=0", 98},
        {"m=video 4000 RTP/AVP 98\r\na=rtpmap:98 H264/90000\r\n"
         "a=fmtp:98 packetization-mode=0\r\n",
         "packetization-mode=0", 98},
        {"m=video 4000 RTP/AVP 98 99\r\na=rtpmap:98 H264/90000\r\n"
         "a=fmtp:98 profile-level-id=42e01f;packetization-mode=0\r\na=rtpmap:99 H264/90000\r\n"
         "a=fmtp:99 profile-level-id=42e01f;packetization-mode=1\r\n",
         "profile-level-id=42e01f;packetization-mode=1", 99},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = g_strconcat(HEAD "c=IN IP4 192.0.2.9\r\n", cases[i].media, NULL);
        HnSdp *offer = parse_ok(text);
        HnSdpPlainAnswer *a = NULL;
        assert_int_equal(hn_sdp_plain_answer(offer, &session4, &p, 1, &a, NULL), 0);
        assert_true(a->streams[0].accepted);
        assert_int_equal(a->streams[0].codec, HN_SDP_PLAIN_CODEC_H264);
        assert_int_equal(a->streams[0].pt, cases[i].pt);
        assert_string_equal(a->streams[0].fmtp, cases[i].fmtp);
        g_autofree char *line = g_strdup_printf("a=fmtp:%d %s", cases[i].pt, cases[i].fmtp);
        assert_true(has_line(a->sdp, line));
        hn_sdp_plain_answer_free(a);
        hn_sdp_free(offer);
    }
    /* mode 2 (interleaved) is refused */
    answer_err(HEAD "c=IN IP4 192.0.2.9\r\nm=video 4000 RTP/AVP 98\r\na=rtpmap:98 H264/90000\r\n"
                    "a=fmtp:98 packetization-mode=2\r\n",
               &p, 1, HN_SDP_ERROR_NEGOTIATION, "no supported video codec");
}

static void test_answer_errors(void **state)
{
    HnSdpPlainPort p[2] = {{"192.0.2.1", 30000, 0, NULL}, {"192.0.2.1", 30002, 0, NULL}};
    const char *savp = HEAD "c=IN IP4 192.0.2.9\r\nm=audio 4000 RTP/SAVP 0\r\n"
                            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                            "inline:1uOJvC3bpBHRMcJLmRtGt7wVYaCZfQdXzh1uTitm\r\n";
    answer_err(savp, p, 1, HN_SDP_ERROR_NEGOTIATION,
               "no m= line of the offer can be accepted: m=audio: SRTP offered, but this leg has "
               "no SDES key");
    answer_err(HEAD "m=audio 4000 RTP/AVP 0\r\n", p, 1, HN_SDP_ERROR_NEGOTIATION, "no c= address");
    answer_err(HEAD "c=IN IP4 192.0.2.9\r\nm=audio 4000 RTP/AVP 18\r\nm=video 0 RTP/AVP 96\r\n", p,
               2, HN_SDP_ERROR_NEGOTIATION,
               "m=audio: no supported audio codec (Opus, G722, PCMU, PCMA); m=video: disabled");
    answer_err(HEAD "c=IN IP4 192.0.2.9\r\nm=audio 4000 UDP/TLS/RTP/SAVPF 111\r\n", p, 1,
               HN_SDP_ERROR_NEGOTIATION, "DTLS-SRTP is the WebRTC path");
    answer_err(HEAD, p, 0, HN_SDP_ERROR_NEGOTIATION, "(it has none)");
    answer_err(HEAD "c=IN IP4 192.0.2.9\r\nm=audio 4000 RTP/AVP 0\r\n", p, 2, HN_SDP_ERROR_INVALID,
               "2 local ports for 1 m= lines");
    HnSdpPlainPort bad = {"example.com", 30000, 0, NULL};
    answer_err(HEAD "c=IN IP4 192.0.2.9\r\nm=audio 4000 RTP/AVP 0\r\n", &bad, 1,
               HN_SDP_ERROR_INVALID, "m= line 0: address must be an IPv4 or IPv6 literal");
    bad = (HnSdpPlainPort){"192.0.2.1", 0, 0, NULL};
    answer_err(HEAD "c=IN IP4 192.0.2.9\r\nm=audio 4000 RTP/AVP 0\r\n", &bad, 1,
               HN_SDP_ERROR_INVALID, "port must be 1-65535");
}

static void test_parse_errors(void **state)
{
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {HEAD "c=IN IP4 999.0.0.1\r\n", "line 5: c=: \"999.0.0.1\" is not an IP4 address literal"},
        {HEAD "c=IN IP4 host.example.com\r\n", "not an IP4 address literal"},
        {HEAD "c=IN IP6 192.0.2.1\r\n", "not an IP6 address literal"},
        {HEAD "c=IN IPX 1.2.3.4\r\n", "c=: expected \"IN IP4|IP6 <address>\""},
        {HEAD "c=IN IP4\r\n", "c=: expected"},
        {HEAD "c=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\n", "duplicate c= line"},
        {HEAD "c=IN IP4 1.2.3.4 extra\r\n", "unexpected text after the address"},
        {HEAD "m=audio 1 RTP/AVP 0\r\na=rtcp:70000\r\n", "a=rtcp: port is not a number"},
        {HEAD "m=audio 1 RTP/AVP 0\r\na=rtcp:5 IN IP4 nope\r\n", "a=rtcp: \"nope\" is not an IP4"},
        {HEAD "m=audio 1 RTP/AVP 0\r\na=ptime:0\r\n", "a=ptime must be"},
        {HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:x AES_CM_128_HMAC_SHA1_80 inline:AAAA\r\n",
         "a=crypto: tag is not a number"},
        {HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80\r\n",
         "missing or too long key parameters"},
        {HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 uri:x\r\n",
         "key method must be \"inline:\""},
        {HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\r\n",
         "a=crypto: empty key"},
        {HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:|2^20\r\n",
         "a=crypto: empty key"},
        {HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAA\r\n",
         "AES_CM_128_HMAC_SHA1_80 needs a 30-byte key and salt, the key has 3"},
        {HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:ab$d\r\n",
         "key is not base64"},
        {HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
              "inline:1uOJvC3bpBHRMcJLmRtGt7wVYaCZfQdXzh1uTitm|2^99\r\n",
         "bad key lifetime"},
        {HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
              "inline:1uOJvC3bpBHRMcJLmRtGt7wVYaCZfQdXzh1uTitm|1:9\r\n",
         "bad MKI"},
        {HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
              "inline:1uOJvC3bpBHRMcJLmRtGt7wVYaCZfQdXzh1uTitm|2^20|2^20\r\n",
         "bad key lifetime"},
        {HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:1 X inline:AAAA\r\na=crypto:1 Y inline:AAAA\r\n",
         "a=crypto tag 1 is used twice"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        expect_parse_error(cases[i].text, strlen(cases[i].text), cases[i].want);

    /* Accepted: an unknown suite is kept without a key; a lifetime in decimal; an MKI; padding
     * left out; several keys (the first is used); session parameters. */
    HnSdp *sdp =
        parse_ok(HEAD "m=audio 1 RTP/SAVP 0\r\n"
                      "a=crypto:1 F8_128_HMAC_SHA1_80 inline:whatever\r\n"
                      "a=crypto:2 AES_CM_128_HMAC_SHA1_32 "
                      "inline:1uOJvC3bpBHRMcJLmRtGt7wVYaCZfQdXzh1uTitm|1048576|1:4\r\n"
                      "a=crypto:3 AES_CM_128_HMAC_SHA1_80 "
                      "inline:1uOJvC3bpBHRMcJLmRtGt7wVYaCZfQdXzh1uTitm;inline:x "
                      "UNENCRYPTED_SRTCP\r\n"
                      "a=crypto:4 AES_256_CM_HMAC_SHA1_80 inline:"
                      "4e/udYcZgIRl8QWGTgSveib7hqumg+nsW0udvRoj1rEqiWbgZt8fZ1SvEiaHWg\r\n");
    const HnSdpMedia *m = &sdp->media[0];
    assert_int_equal(m->n_cryptos, 4);
    assert_int_equal(m->cryptos[0].suite, HN_SDP_CRYPTO_UNKNOWN);
    assert_string_equal(m->cryptos[0].suite_name, "F8_128_HMAC_SHA1_80");
    assert_int_equal(m->cryptos[0].key_len, 0);
    assert_int_equal(m->cryptos[1].lifetime, 1048576);
    assert_int_equal(m->cryptos[1].mki, 1);
    assert_int_equal(m->cryptos[1].mki_len, 4);
    assert_true(m->cryptos[2].session_params);
    assert_int_equal(m->cryptos[2].key_len, 30);
    assert_int_equal(m->cryptos[3].key_len, 46);
    hn_sdp_free(sdp);
}

/* We call a room system: our offer, its answer (written here by our own answerer, as a plain
 * peer would), read back. */
static void test_offer_round_trip(void **state)
{
    HnSdpPlainSession caller = {.address = "192.0.2.1", .session_id = 5, .version = 1};
    HnSdpPlainOffer media[2] = {
        {HN_KIND_AUDIO, HN_SDP_PROFILE_SAVP, {"192.0.2.1", 40000, 0, &key128}, HN_SDP_DIR_SENDRECV},
        {HN_KIND_VIDEO,
         HN_SDP_PROFILE_AVPF,
         {"192.0.2.2", 40002, 40010, NULL},
         HN_SDP_DIR_SENDONLY},
    };
    GError *e = NULL;
    char *offer_text = hn_sdp_plain_offer(&caller, media, 2, &e);
    if (!offer_text)
        fail_msg("plain offer: %s", e->message);
    assert_true(has_line(offer_text, "m=audio 40000 RTP/SAVP 111 9 0 8 101 110"));
    assert_true(has_line(offer_text, "m=video 40002 RTP/AVPF 96 97"));
    assert_true(has_line(offer_text, "c=IN IP4 192.0.2.2"));
    assert_true(has_line(offer_text, "a=rtcp:40010"));
    assert_true(has_line(offer_text, "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f"));
    assert_true(has_line(offer_text, "a=rtcp-fb:96 nack pli"));
    assert_true(has_line(offer_text, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                                     "inline:EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywt"));
    assert_null(strstr(offer_text, "a=ice"));
    HnSdp *offer = parse_ok(offer_text);

    /* The callee accepts G.711 and H.264 only, with its own key. */
    HnSdpSdesKey callee_key = key128;
    callee_key.key[0] = 0x99;
    HnSdpPlainSession callee = {.address = "198.51.100.7",
                                .session_id = 9,
                                .version = 1,
                                .codecs =
                                    HN_SDP_PLAIN_PCMA | HN_SDP_PLAIN_H264 | HN_SDP_PLAIN_DTMF};
    HnSdpPlainPort ports[2] = {{"198.51.100.7", 50000, 0, &callee_key},
                               {"198.51.100.7", 50002, 0, NULL}};
    HnSdpPlainAnswer *a = NULL;
    assert_int_equal(hn_sdp_plain_answer(offer, &callee, ports, 2, &a, &e), 0);
    assert_int_equal(a->streams[0].remote_key.key[0], 0x10); /* the callee reads our key */
    assert_int_equal(a->streams[1].direction, HN_SDP_DIR_RECVONLY);
    HnSdp *answer = parse_ok(a->sdp);

    HnSdpPlainStream st[2];
    assert_int_equal(hn_sdp_plain_read_answer(answer, &caller, media, 2, st, &e), 0);
    assert_true(st[0].accepted && st[1].accepted);
    assert_int_equal(st[0].codec, HN_SDP_PLAIN_CODEC_PCMA);
    assert_int_equal(st[0].pt, 8);
    assert_int_equal(st[0].dtmf_pt, 101);
    assert_true(st[0].srtp);
    assert_int_equal(st[0].remote_key.key[0], 0x99); /* we read the callee's key */
    assert_string_equal(st[0].remote.addr, "198.51.100.7");
    assert_int_equal(st[0].remote_port, 50000);
    assert_int_equal(st[0].remote_rtcp_port, 50001);
    assert_int_equal(st[0].direction, HN_SDP_DIR_SENDRECV);
    assert_int_equal(st[1].codec, HN_SDP_PLAIN_CODEC_H264);
    assert_int_equal(st[1].direction, HN_SDP_DIR_SENDONLY);
    assert_int_equal(st[1].feedback, HN_FB_NACK | HN_FB_PLI | HN_FB_FIR);

    /* An answer that picks a payload type we did not offer, or drops the crypto line. */
    char *evil = replace(a->sdp, "RTP/SAVP 8 101", "RTP/SAVP 18");
    HnSdp *bad = parse_ok(evil);
    assert_int_equal(hn_sdp_plain_read_answer(bad, &caller, media, 2, st, &e), -EINVAL);
    assert_non_null(
        strstr(e->message, "m= line 0: the answer has a payload type we did not offer"));
    g_clear_error(&e);
    hn_sdp_free(bad);
    g_free(evil);
    evil = replace(a->sdp, "a=crypto:1 ", "a=crypto:7 ");
    bad = parse_ok(evil);
    assert_int_equal(hn_sdp_plain_read_answer(bad, &caller, media, 2, st, &e), -EINVAL);
    assert_non_null(strstr(e->message, "without an a=crypto:1 of our suite"));
    g_clear_error(&e);
    hn_sdp_free(bad);
    g_free(evil);
    assert_int_equal(hn_sdp_plain_read_answer(answer, &caller, media, 1, st, &e), -EINVAL);
    assert_non_null(strstr(e->message, "2 m= lines, the offer had 1"));
    g_clear_error(&e);

    hn_sdp_free(answer);
    hn_sdp_plain_answer_free(a);
    hn_sdp_free(offer);
    g_free(offer_text);
}

static void test_offer_errors(void **state)
{
    HnSdpPlainSession s = {.address = "192.0.2.1"};
    HnSdpPlainOffer m = {
        HN_KIND_AUDIO, HN_SDP_PROFILE_SAVP, {"192.0.2.1", 40000, 0, NULL}, HN_SDP_DIR_SENDRECV};
    GError *e = NULL;
    assert_null(hn_sdp_plain_offer(&s, &m, 1, &e));
    assert_non_null(strstr(e->message, "m= line 0: an SRTP profile needs an SDES key"));
    g_clear_error(&e);
    m.profile = HN_SDP_PROFILE_DTLS_SAVPF;
    assert_null(hn_sdp_plain_offer(&s, &m, 1, &e));
    assert_non_null(strstr(e->message, "profile must be"));
    g_clear_error(&e);
    m.profile = HN_SDP_PROFILE_AVP;
    s.codecs = HN_SDP_PLAIN_VP8;
    assert_null(hn_sdp_plain_offer(&s, &m, 1, &e));
    assert_non_null(strstr(e->message, "no codec of this kind"));
    g_clear_error(&e);
    s.codecs = 0;
    s.address = "nowhere";
    assert_null(hn_sdp_plain_offer(&s, &m, 1, &e));
    assert_non_null(strstr(e->message, "session address"));
    g_clear_error(&e);
    s.address = "192.0.2.1";
    assert_null(hn_sdp_plain_offer(&s, &m, 0, &e));
    assert_true(g_error_matches(e, HN_SDP_ERROR, HN_SDP_ERROR_INVALID));
    g_clear_error(&e);
}

/* b=AS (kbit/s) and b=TIAS (bit/s, RFC 3890), session and media level: the lower of both, the
 * media level first; the answer's video section says what we send. */
static void test_bandwidth(void **state)
{
    (void)state;
    HnSdp *cisco = parse_fixture("cisco-avpf.sdp");
    assert_int_equal(cisco->bw_as, 6000);
    assert_int_equal(cisco->media[0].bw_tias, 64000);
    assert_int_equal(hn_sdp_media_max_kbps(cisco, &cisco->media[0]), 64);
    assert_int_equal(hn_sdp_media_max_kbps(cisco, &cisco->media[1]), 6000);
    hn_sdp_free(cisco);
    HnSdp *poly = parse_fixture("polycom-savp.sdp");
    assert_int_equal(hn_sdp_media_max_kbps(poly, &poly->media[1]), 2000);
    assert_int_equal(hn_sdp_media_max_kbps(poly, &poly->media[2]), 2048); /* the session's */
    hn_sdp_free(poly);
    const char *base = "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"
                       "m=video 5000 RTP/AVP 96\r\n%sa=rtpmap:96 H264/90000\r\n";
    static const struct {
        const char *b;
        uint32_t kbps;
    } cases[] = {
        {"", 0},
        {"b=AS:512\r\n", 512},
        {"b=TIAS:384000\r\n", 384},
        {"b=AS:512\r\nb=TIAS:768000\r\n", 512},
        {"b=TIAS:300000\r\nb=AS:1000\r\n", 300},
        {"b=TIAS:500\r\n", 1},              /* under a kbit/s: not 0 (which means none) */
        {"b=CT:100\r\nb=X-foo:bar\r\n", 0}, /* other types ignored */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *text = g_strdup_printf(base, cases[i].b);
        HnSdp *sdp = parse_ok(text);
        assert_int_equal(hn_sdp_media_max_kbps(sdp, &sdp->media[0]), cases[i].kbps);
        /* the plain answer carries it, and writes b= in the video section when told */
        HnSdpPlainPort port = {"192.0.2.1", 30000, 0, NULL};
        HnSdpPlainSession ss = session4;
        ss.video_kbps = 640;
        HnSdpPlainAnswer *a = NULL;
        assert_int_equal(hn_sdp_plain_answer(sdp, &ss, &port, 1, &a, NULL), 0);
        assert_int_equal(a->streams[0].max_kbps, cases[i].kbps);
        assert_non_null(
            strstr(a->sdp, "m=video 30000 RTP/AVP 96\r\nb=AS:640\r\nb=TIAS:640000\r\n"));
        HnSdp *back = parse_ok(a->sdp);
        assert_int_equal(back->media[0].bw_as, 640);
        assert_int_equal(back->media[0].bw_tias, 640000);
        hn_sdp_free(back);
        hn_sdp_plain_answer_free(a);
        hn_sdp_free(sdp);
        g_free(text);
    }
    expect_parse_error("v=0\r\nb=AS:lots\r\n", 16, "b=AS: bandwidth is not a number");
    expect_parse_error("v=0\r\nb=TIAS:-1\r\n", 16, "b=TIAS: bandwidth is not a number");
    expect_parse_error("v=0\r\nb=AS\r\n", 11, "b= line is not <type>:<bandwidth>");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_polycom_savp),         cmocka_unit_test(test_cisco_avpf),
        cmocka_unit_test(test_yealink_codec_choice), cmocka_unit_test(test_baresip_ipv6),
        cmocka_unit_test(test_answer_errors),        cmocka_unit_test(test_h264_mode0),
        cmocka_unit_test(test_parse_errors),         cmocka_unit_test(test_offer_round_trip),
        cmocka_unit_test(test_offer_errors),         cmocka_unit_test(test_bandwidth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

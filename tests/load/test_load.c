/* Unit tests of hn-load's pure parts: the payload trailer, the delay histogram, per-stream
 * receive accounting (loss, reordering, jitter, first key frame) and the client SDP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stun/stunagent.h>
#include <stun/usages/ice.h>

#include "sdp_client.h"
#include "stats.h"
#include "stun.h"

#define MS 1000000LL

static void test_trailer(void **state)
{
    uint8_t payload[40] = {0};
    load_trailer_write(payload + 28, 123456789012345LL);
    int64_t t = 0;
    assert_true(load_trailer_read(payload, sizeof payload, &t));
    assert_int_equal(t, 123456789012345LL);
    payload[28] ^= 1; /* magic broken */
    assert_false(load_trailer_read(payload, sizeof payload, &t));
    assert_false(load_trailer_read(payload, 11, &t));
}

static void test_hist(void **state)
{
    LoadHist h = {0};
    for (uint64_t v = 1; v <= 1000; v++)
        load_hist_add(&h, v);
    assert_int_equal(h.n, 1000);
    assert_int_equal(h.max, 1000);
    uint64_t p50 = load_hist_quantile(&h, 0.5), p99 = load_hist_quantile(&h, 0.99);
    assert_true(p50 >= 470 && p50 <= 530); /* within the 6% bucket resolution */
    assert_true(p99 >= 930 && p99 <= 1000);
    assert_int_equal(load_hist_quantile(&h, 0), 1);
    LoadHist before = h, d;
    for (int i = 0; i < 100; i++)
        load_hist_add(&h, 5000);
    load_hist_diff(&d, &h, &before);
    assert_int_equal(d.n, 100);
    uint64_t q = load_hist_quantile(&d, 0.5);
    assert_true(q >= 4800 && q <= 5200);
    LoadHist empty = {0};
    assert_int_equal(load_hist_quantile(&empty, 0.5), 0);
    load_hist_add(&empty, UINT64_MAX); /* clamped into the last bucket, no overflow */
    assert_int_equal(empty.n, 1);
}

/* An RTP header + payload for the receive tests; payload is VP8 with a trailer. */
static size_t make_packet(uint8_t *buf, uint16_t seq, uint32_t ts, bool marker, bool kf_start,
                          bool frame_start, int64_t sent_ns)
{
    memset(buf, 0, 64);
    buf[0] = 0x80;
    buf[1] = (uint8_t)(96 | (marker ? 0x80 : 0));
    hn_wr16(buf + 2, seq);
    hn_wr32(buf + 4, ts);
    hn_wr32(buf + 8, 0x1234);
    buf[12] = frame_start ? 0x10 : 0x00; /* VP8 descriptor: S bit, PID 0 */
    buf[13] = kf_start ? 0x00 : 0x01;    /* frame tag P bit: 0 = key frame */
    load_trailer_write(buf + 12 + 20, sent_ns);
    return 12 + 20 + LOAD_TRAILER_LEN;
}

static unsigned feed(LoadRxStream *s, LoadHist *h, uint16_t seq, uint32_t ts, bool marker, bool kf,
                     bool start, int64_t sent, int64_t now)
{
    uint8_t buf[64];
    size_t len = make_packet(buf, seq, ts, marker, kf, start, sent);
    HnRtpHeader hdr;
    assert_int_equal(hn_rtp_parse(buf, len, &hdr), 0);
    return load_rx_stream_on_packet(s, &hdr, buf + hdr.header_len, hdr.payload_len, now, h);
}

static LoadRxStream video_stream(void)
{
    LoadRxStream s = {0};
    s.kind = HN_KIND_VIDEO;
    s.codec = HN_CODEC_VP8;
    s.clock_rate = 90000;
    return s;
}

static void test_loss_and_wrap(void **state)
{
    LoadRxStream s = video_stream();
    LoadHist h = {0};
    /* 65530..65535, 0..9 with 3 and 4 missing: 16 sent, 14 received, across the wrap. */
    for (uint32_t i = 65530; i < 65536 + 10; i++) {
        uint16_t seq = (uint16_t)i;
        if (seq == 3 || seq == 4)
            continue;
        feed(&s, &h, seq, 0, false, false, false, 0, 1000);
    }
    assert_int_equal(s.packets, 14);
    assert_int_equal(load_rx_stream_expected(&s), 16);
    assert_int_equal(load_rx_stream_lost(&s), 2);
    assert_int_equal(load_rx_stream_ext_max(&s), 65536 + 9);
    /* A late packet fills a gap: counted, marked reordered, loss goes down. */
    feed(&s, &h, 3, 0, false, false, false, 0, 1000);
    assert_int_equal(s.reordered, 1);
    assert_int_equal(load_rx_stream_lost(&s), 1);
    assert_int_equal(load_rx_stream_expected(&s), 16);
}

static void test_delay_and_jitter(void **state)
{
    LoadRxStream s = video_stream();
    LoadHist h = {0};
    /* 30 fps, every frame arriving exactly 2 ms after it was sent: zero jitter. */
    for (int i = 0; i < 50; i++) {
        int64_t sent = 1000 * MS + i * 33333333LL;
        feed(&s, &h, (uint16_t)i, (uint32_t)(i * 3000), true, false, true, sent, sent + 2 * MS);
    }
    assert_int_equal(s.delay_n, 50);
    assert_int_equal(h.n, 50);
    uint64_t p50 = load_hist_quantile(&h, 0.5);
    assert_true(p50 >= 1900 && p50 <= 2100);
    assert_true(s.jitter < 2.0); /* rounding of 90 kHz units only */
    /* One frame 10 ms late: jitter jumps by about 900/16 units. */
    int64_t sent = 1000 * MS + 50 * 33333333LL;
    feed(&s, &h, 50, 50 * 3000, true, false, true, sent, sent + 12 * MS);
    assert_true(s.jitter > 40 && s.jitter < 70);
    assert_int_equal(s.delay_max_us, 12000);
}

static void test_first_keyframe(void **state)
{
    LoadRxStream s = video_stream();
    LoadHist h = {0};
    /* A delta frame first: a key frame is wanted. */
    assert_true(feed(&s, &h, 1, 100, true, false, true, 0, 10) & LOAD_RX_WANT_KEYFRAME);
    /* Key frame of 3 packets with a gap: not complete. */
    assert_int_equal(feed(&s, &h, 2, 200, false, true, true, 0, 20), 0);
    feed(&s, &h, 4, 200, true, false, false, 0, 30);
    assert_int_equal(s.keyframe_ns, 0);
    /* The next key frame, contiguous: complete at its marker. */
    assert_int_equal(feed(&s, &h, 5, 300, false, true, true, 0, 40), 0);
    assert_int_equal(feed(&s, &h, 6, 300, false, false, false, 0, 50), 0);
    assert_true(feed(&s, &h, 7, 300, true, false, false, 0, 60) & LOAD_RX_KEYFRAME_DONE);
    assert_int_equal(s.keyframe_ns, 60);
    /* Later frames do not change it. */
    assert_int_equal(feed(&s, &h, 8, 400, true, true, true, 0, 70), 0);
    assert_int_equal(s.keyframe_ns, 60);
}

static const LoadSdpLocal local = {
    .ufrag = "abcd",
    .pwd = "0123456789abcdefghijkl",
    .fingerprint = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:"
                   "44:55:66:77:88:99",
    .session_id = 42,
};

static void test_publish_offer(void **state)
{
    LoadPubDesc d = {
        .audio = true, .audio_ssrc = 111, .video_ssrc = 222, .cname = "cn", .stream_id = "st"};
    char *text = load_sdp_publish_offer(&local, &d);
    HnSdp *sdp = NULL;
    assert_int_equal(hn_sdp_parse(text, strlen(text), &sdp, NULL), 0);
    assert_int_equal(sdp->n_media, 2);
    assert_int_equal(sdp->media[0].type, HN_SDP_MEDIA_AUDIO);
    assert_int_equal(sdp->media[1].type, HN_SDP_MEDIA_VIDEO);
    assert_int_equal(sdp->media[1].codecs[0].id, HN_CODEC_VP8);
    assert_int_equal(sdp->media[1].codecs[0].pt, LOAD_PT_VP8);
    assert_true(sdp->media[1].codecs[0].feedback & HN_FB_PLI);
    assert_int_equal(sdp->media[0].ssrcs[0].ssrc, 111);
    assert_int_equal(sdp->media[1].direction, HN_SDP_DIR_SENDONLY);
    assert_int_equal(sdp->media[1].transport.setup, HN_SDP_SETUP_ACTPASS);
    assert_true(sdp->media[0].rtcp_mux && hn_sdp_in_bundle(sdp, "1"));
    hn_sdp_free(sdp);
    g_free(text);
    d.audio = false;
    text = load_sdp_publish_offer(&local, &d);
    assert_int_equal(hn_sdp_parse(text, strlen(text), &sdp, NULL), 0);
    assert_int_equal(sdp->n_media, 1);
    assert_string_equal(sdp->media[0].mid, "0");
    hn_sdp_free(sdp);
    g_free(text);
}

static const char *sfu_offer =
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE a v x d\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 109\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:srvu\r\n"
    "a=ice-pwd:serverpasswordserverpw\r\na=fingerprint:sha-256 "
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:"
    "99\r\na=setup:actpass\r\na=mid:a\r\na=sendonly\r\na=rtcp-mux\r\na=rtpmap:109 opus/48000/2\r\n"
    "a=ssrc:1001 cname:x\r\na=candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 100 101\r\nc=IN IP4 0.0.0.0\r\na=mid:v\r\na=sendonly\r\n"
    "a=rtcp-mux\r\na=rtpmap:100 VP8/90000\r\na=rtpmap:101 rtx/90000\r\na=fmtp:101 apt=100\r\n"
    "a=ssrc-group:FID 2002 2003\r\na=ssrc:2002 cname:x\r\na=ssrc:2003 cname:x\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 100\r\nc=IN IP4 0.0.0.0\r\na=mid:x\r\na=sendonly\r\n"
    "a=rtcp-mux\r\na=rtpmap:100 VP8/90000\r\na=ssrc:3003 cname:y\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:d\r\n"
    "a=sctp-port:5000\r\n";

static void test_subscribe_answer(void **state)
{
    HnSdp *offer = NULL;
    assert_int_equal(hn_sdp_parse(sfu_offer, strlen(sfu_offer), &offer, NULL), 0);
    LoadMidPlan plan[4] = {{true, 0}, {true, 0}, {false, 1}, {true, -1}};
    LoadSdpRecvTrack tracks[4];
    char *answer = load_sdp_subscribe_answer(&local, offer, plan, tracks, NULL);
    assert_non_null(answer);
    assert_true(tracks[0].accepted && tracks[0].receiving);
    assert_int_equal(tracks[0].pt, 109);
    assert_int_equal(tracks[0].ssrc, 1001);
    assert_int_equal(tracks[1].ssrc, 2002); /* the primary of the FID group */
    assert_int_equal(tracks[1].kind, HN_KIND_VIDEO);
    assert_false(tracks[2].accepted); /* not wanted */
    assert_false(tracks[3].accepted); /* data channel */
    HnSdp *a = NULL;
    assert_int_equal(hn_sdp_parse(answer, strlen(answer), &a, NULL), 0);
    assert_int_equal(a->n_media, 4);
    assert_int_equal(a->media[0].direction, HN_SDP_DIR_RECVONLY);
    assert_int_equal(a->media[0].transport.setup, HN_SDP_SETUP_ACTIVE);
    assert_int_equal(a->media[1].n_codecs, 1); /* rtx not answered */
    assert_int_equal(a->media[2].port, 0);
    assert_int_equal(a->media[3].port, 0);
    assert_string_equal(a->media[3].mid, "d");
    assert_true(hn_sdp_in_bundle(a, "v") && !hn_sdp_in_bundle(a, "x"));
    LoadSdpRemote r;
    assert_true(load_sdp_remote_get(offer, &r, NULL));
    assert_string_equal(r.ufrag, "srvu");
    assert_string_equal(r.fp_alg, "sha-256");
    assert_int_equal(r.setup, HN_SDP_SETUP_ACTPASS);
    assert_int_equal(r.candidates->len, 1);
    load_sdp_remote_clear(&r);
    hn_sdp_free(a);
    hn_sdp_free(offer);
    g_free(answer);
}

static void test_remote_missing(void **state)
{
    const char *bad = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n"
                      "a=rtpmap:111 opus/48000/2\r\n";
    HnSdp *sdp = NULL;
    assert_int_equal(hn_sdp_parse(bad, strlen(bad), &sdp, NULL), 0);
    LoadSdpRemote r;
    GError *err = NULL;
    assert_false(load_sdp_remote_get(sdp, &r, &err));
    assert_non_null(err);
    g_error_free(err);
    load_sdp_remote_clear(&r);
    hn_sdp_free(sdp);
}

static const char *stun_pwd = "0123456789abcdefghijkl";

static bool stun_key(StunAgent *agent, StunMessage *msg, uint8_t *user, uint16_t user_len,
                     uint8_t **pwd, size_t *pwd_len, void *data)
{
    *pwd = (uint8_t *)stun_pwd;
    *pwd_len = strlen(stun_pwd);
    return true;
}

/* Our ICE-lite side against libnice's own STUN agent: its check is accepted, our answer
 * validates and tells it the right address. */
static void test_stun_with_libnice(void **state)
{
    static const uint16_t known[] = {
        STUN_ATTRIBUTE_USERNAME,           STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
        STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, STUN_ATTRIBUTE_PRIORITY,
        STUN_ATTRIBUTE_USE_CANDIDATE,      STUN_ATTRIBUTE_ICE_CONTROLLING,
        STUN_ATTRIBUTE_FINGERPRINT,        0};
    StunAgent agent;
    stun_agent_init(&agent, known, STUN_COMPATIBILITY_RFC5389,
                    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);
    StunMessage req;
    uint8_t buf[512];
    size_t n = stun_usage_ice_conncheck_create(
        &agent, &req, buf, sizeof buf, (const uint8_t *)"abcd:wxyz", 9, (const uint8_t *)stun_pwd,
        strlen(stun_pwd), true, true, 0x6e0001ff, 0x1234, NULL,
        STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
    assert_true(n > 20);
    assert_true(load_stun_is_stun(buf, n));
    char ufrag[16];
    assert_true(load_stun_username(buf, n, ufrag, sizeof ufrag));
    assert_string_equal(ufrag, "abcd");
    LoadStunRequest r;
    assert_int_equal(load_stun_check_request(buf, n, "abcd", stun_pwd, &r), 1);
    assert_true(r.use_candidate);
    assert_int_equal(load_stun_check_request(buf, n, "abce", stun_pwd, &r), -1);
    assert_int_equal(load_stun_check_request(buf, n, "abcd", "wrongpasswordwrongpass", &r), -1);
    uint8_t bad[512];
    memcpy(bad, buf, n);
    bad[n - 30] ^= 0x40; /* inside MESSAGE-INTEGRITY's scope or the MAC itself */
    assert_int_equal(load_stun_check_request(bad, n, "abcd", stun_pwd, &r), -1);
    assert_int_equal(load_stun_check_request(buf, n - 4, "abcd", stun_pwd, &r), -1);
    assert_int_equal(load_stun_check_request(buf, n, "abcd", stun_pwd, &r), 1);

    struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(5000)};
    inet_pton(AF_INET, "10.0.0.1", &from.sin_addr);
    uint8_t out[LOAD_STUN_RESPONSE_MAX];
    size_t m = load_stun_write_response(out, &r, (struct sockaddr *)&from, stun_pwd);
    assert_true(m > 20 && m <= sizeof out);
    StunMessage resp;
    assert_int_equal(stun_agent_validate(&agent, &resp, out, m, stun_key, NULL),
                     STUN_VALIDATION_SUCCESS);
    struct sockaddr_storage mapped;
    socklen_t mlen = sizeof mapped;
    assert_int_equal(stun_usage_ice_conncheck_process(&resp, &mapped, &mlen,
                                                      STUN_USAGE_ICE_COMPATIBILITY_RFC5245),
                     STUN_USAGE_ICE_RETURN_SUCCESS);
    struct sockaddr_in *got = (struct sockaddr_in *)&mapped;
    assert_int_equal(got->sin_family, AF_INET);
    assert_int_equal(ntohs(got->sin_port), 5000);
    assert_memory_equal(&got->sin_addr, &from.sin_addr, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trailer),           cmocka_unit_test(test_hist),
        cmocka_unit_test(test_loss_and_wrap),     cmocka_unit_test(test_delay_and_jitter),
        cmocka_unit_test(test_first_keyframe),    cmocka_unit_test(test_publish_offer),
        cmocka_unit_test(test_subscribe_answer),  cmocka_unit_test(test_remote_missing),
        cmocka_unit_test(test_stun_with_libnice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

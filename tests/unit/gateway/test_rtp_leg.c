/* Unit tests of server/gateway/rtp_leg.c over real 127.0.0.1 sockets on a context of the test's
 * own: what the endpoint sends reaches the room (plain and SDES-SRTP, garbage dropped), the
 * leg answers to where authentic packets come from (comedia), the media provider seam
 * (sip_media.h) starts, sends to the endpoint, hears its PLI and stops; key-frame requests for
 * an endpoint without RTCP feedback and its silence are told to the SIP side. Waits are bounded
 * polls, never sleeps of a fixed length. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <gio/gio.h>
#include <string.h>

#include "gateway/rtp_leg.h"
#include "transport/srtp.h"

typedef struct {
    GMainContext *ctx;
    int rtp_in, rtcp_in;
    uint8_t last_rtp[1500];
    size_t last_rtp_len;
    int started, keyframes, stopped;
    HnSipMediaOut *out;
    char told[16];
    uint64_t told_pid;
    int told_n;
} Fx;

static void on_rtp(void *owner, HnLeg *leg, uint8_t *buf, size_t len)
{
    Fx *f = owner;
    f->rtp_in++;
    memcpy(f->last_rtp, buf, len);
    f->last_rtp_len = len;
}

static void on_rtcp(void *owner, HnLeg *leg, uint8_t *buf, size_t len)
{
    ((Fx *)owner)->rtcp_in++;
}

static const HnLegEvents events = {.on_rtp = on_rtp, .on_rtcp = on_rtcp};

static void *p_start(void *user, const HnSipMediaCall *call)
{
    Fx *f = user;
    f->started++;
    f->out = call->out;
    assert_string_equal(call->room, "hall");
    assert_int_equal(call->n_streams, 1);
    assert_string_equal(call->streams[0].encoding, "H264");
    assert_int_equal(call->streams[0].pt, 96);
    return f;
}

static void p_keyframe(void *handle)
{
    ((Fx *)handle)->keyframes++;
}

static void p_stop(void *handle)
{
    ((Fx *)handle)->stopped++;
}

static void told(void *user, uint64_t pid, const char *what)
{
    Fx *f = user;
    g_strlcpy(f->told, what, sizeof f->told);
    f->told_pid = pid;
    f->told_n++;
}

/* Runs both contexts until *flag >= want or 5 s passed. */
static void run_until(Fx *f, const int *flag, int want)
{
    int64_t end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (*flag < want && g_get_monotonic_time() < end) {
        g_main_context_iteration(f->ctx, FALSE);
        g_main_context_iteration(NULL, FALSE);
        g_usleep(2000);
    }
}

static GSocket *udp(uint16_t *port)
{
    GSocket *s =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, 0);
    assert_true(g_socket_bind(s, sa, FALSE, NULL));
    g_autoptr(GSocketAddress) local = g_socket_get_local_address(s, NULL);
    *port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
    g_socket_set_timeout(s, 5);
    return s;
}

static void send_to(GSocket *s, uint16_t port, const uint8_t *buf, size_t len)
{
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, port);
    assert_int_equal(g_socket_send_to(s, sa, (const char *)buf, len, NULL, NULL), (gssize)len);
}

static size_t rtp_packet(uint8_t *b, uint16_t seq, uint32_t ssrc, const char *payload)
{
    b[0] = 0x80;
    b[1] = 96;
    b[2] = seq >> 8;
    b[3] = seq & 0xff;
    memset(b + 4, 0, 4);
    b[8] = ssrc >> 24;
    b[9] = ssrc >> 16;
    b[10] = ssrc >> 8;
    b[11] = ssrc & 0xff;
    size_t n = strlen(payload);
    memcpy(b + 12, payload, n);
    return 12 + n;
}

static void run_call(gboolean srtp)
{
    Fx f = {.ctx = g_main_context_new()};
    uint16_t ep_rtp_port, ep_rtcp_port, dead_port;
    GSocket *ep_rtp = udp(&ep_rtp_port), *ep_rtcp = udp(&ep_rtcp_port), *dead = udp(&dead_port);

    HnSdpPlainStream neg = {.accepted = true,
                            .kind = HN_KIND_VIDEO,
                            .codec = HN_SDP_PLAIN_CODEC_H264,
                            .pt = 96,
                            .clock_rate = 90000,
                            .feedback = HN_FB_PLI,
                            .remote_port = dead_port,
                            .remote_rtcp_port = ep_rtcp_port,
                            .srtp = srtp};
    g_strlcpy(neg.remote.addr, "127.0.0.1", sizeof neg.remote.addr);
    g_strlcpy(neg.remote_rtcp.addr, "127.0.0.1", sizeof neg.remote_rtcp.addr);
    HnSdpSdesKey ours = {.suite = HN_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80};
    HnSrtp *ep = NULL;
    if (srtp) {
        neg.remote_key.suite = HN_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80;
        neg.remote_key.key_len = 30;
        for (int i = 0; i < 30; i++) {
            neg.remote_key.key[i] = (uint8_t)(i + 1);
            ours.key[i] = (uint8_t)(100 + i);
        }
        HnSrtpKeys k = {.profile = HN_SRTP_AES128_CM_SHA1_80, .key_len = 30};
        memcpy(k.local_key, neg.remote_key.key, 30);
        memcpy(k.remote_key, ours.key, 30);
        ep = hn_srtp_new(&k, NULL);
        assert_non_null(ep);
    }
    HnRtpLegStreamInit init = {.neg = &neg, .local_key = srtp ? &ours : NULL};
    assert_true(hn_rtp_ports_open(&init.ports, "127.0.0.1", NULL));
    uint16_t leg_rtp = init.ports.rtp_port, leg_rtcp = init.ports.rtcp_port;
    GError *err = NULL;
    HnRtpLeg *leg = hn_rtp_leg_new(f.ctx, &init, 1, 30, 42, told, &f, &err);
    assert_non_null(leg);
    HnLeg *base = hn_rtp_leg_base(leg);
    assert_int_equal(base->kind, HN_LEG_RTP);
    hn_leg_adopt(base, &events, &f, 7);
    HnSipMediaProvider prov = {p_start, p_keyframe, p_stop, &f};
    hn_rtp_leg_start(leg, &prov, "hall", "Hall");
    run_until(&f, &f.started, 1);
    assert_int_equal(f.started, 1);

    /* garbage and (with SRTP) unauthenticated packets are dropped, not latched */
    uint8_t pkt[1600];
    size_t n = rtp_packet(pkt, 1, 0xabc, "forged");
    send_to(dead, leg_rtp, (const uint8_t *)"junk", 4);
    if (srtp)
        send_to(dead, leg_rtp, pkt, n + 10);
    /* the endpoint's RTP reaches the room, decrypted */
    n = rtp_packet(pkt, 2, 0x1234, "frame-1");
    if (srtp)
        assert_int_equal(hn_srtp_protect_rtp(ep, pkt, &n, sizeof pkt), 0);
    send_to(ep_rtp, leg_rtp, pkt, n);
    run_until(&f, &f.rtp_in, 1);
    assert_int_equal(f.rtp_in, 1);
    assert_int_equal(f.last_rtp_len, 12 + 7);
    assert_memory_equal(f.last_rtp + 12, "frame-1", 7);
    HnLegStats st;
    base->cls->get_stats(base, &st);
    assert_int_equal(st.rx_errors, srtp ? 2 : 1);
    assert_true(hn_leg_is_connected(base));

    /* the provider's packet goes to where the endpoint sent from (not the SDP's dead port) */
    n = rtp_packet(pkt, 9, 0x5555, "composed");
    assert_int_equal(hn_sip_media_send(f.out, HN_KIND_VIDEO, pkt, n, sizeof pkt), 0);
    assert_int_equal(hn_sip_media_send(f.out, HN_KIND_AUDIO, pkt, n, sizeof pkt), -ENOENT);
    uint8_t rx[1600];
    gssize got = g_socket_receive(ep_rtp, (char *)rx, sizeof rx, NULL, NULL);
    assert_true(got > 0);
    size_t rlen = (size_t)got;
    if (srtp)
        assert_int_equal(hn_srtp_unprotect_rtp(ep, rx, &rlen), 0);
    assert_int_equal(rlen, 12 + 8);
    assert_memory_equal(rx + 12, "composed", 8);

    /* the endpoint's PLI: the room hears it, the provider is asked for a key frame */
    uint8_t pli[64] = {0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0x55, 0x55};
    size_t plen = 12;
    if (srtp)
        assert_int_equal(hn_srtp_protect_rtcp(ep, pli, &plen, sizeof pli), 0);
    send_to(ep_rtcp, leg_rtcp, pli, plen);
    run_until(&f, &f.keyframes, 1);
    assert_int_equal(f.keyframes, 1);
    assert_int_equal(f.rtcp_in, 1);

    /* the room's RTCP reaches the endpoint's RTCP port (feedback negotiated: no INFO) */
    uint8_t room_pli[12] = {0x81, 206, 0, 2, 0, 0, 0, 2, 0, 0, 0x12, 0x34};
    hn_leg_send_rtcp(base, room_pli, sizeof room_pli);
    got = g_socket_receive(ep_rtcp, (char *)rx, sizeof rx, NULL, NULL);
    rlen = got > 0 ? (size_t)got : 0;
    if (srtp)
        assert_int_equal(hn_srtp_unprotect_rtcp(ep, rx, &rlen), 0);
    assert_int_equal(rlen, sizeof room_pli);
    assert_memory_equal(rx, room_pli, sizeof room_pli);
    run_until(&f, &f.told_n, 1);
    assert_int_equal(f.told_n, 0);

    hn_leg_destroy(base);
    assert_int_equal(f.stopped, 1);
    hn_srtp_free(ep);
    g_object_unref(ep_rtp);
    g_object_unref(ep_rtcp);
    g_object_unref(dead);
    while (g_main_context_iteration(f.ctx, FALSE))
        ;
    g_main_context_unref(f.ctx);
}

static void test_plain_call(void **state)
{
    run_call(FALSE);
}

static void test_srtp_call(void **state)
{
    run_call(TRUE);
}

/* No RTCP feedback: the room's PLI becomes "keyframe" (INFO), at most once a second; silence
 * becomes "timeout", once. */
static void test_info_and_silence(void **state)
{
    Fx f = {.ctx = g_main_context_new()};
    uint16_t ep_port;
    GSocket *ep = udp(&ep_port);
    HnSdpPlainStream neg = {.accepted = true,
                            .kind = HN_KIND_VIDEO,
                            .codec = HN_SDP_PLAIN_CODEC_H264,
                            .pt = 96,
                            .clock_rate = 90000,
                            .remote_port = ep_port,
                            .remote_rtcp_port = ep_port + 1};
    g_strlcpy(neg.remote.addr, "127.0.0.1", sizeof neg.remote.addr);
    g_strlcpy(neg.remote_rtcp.addr, "127.0.0.1", sizeof neg.remote_rtcp.addr);
    HnRtpLegStreamInit init = {.neg = &neg};
    assert_true(hn_rtp_ports_open(&init.ports, "127.0.0.1", NULL));
    HnRtpLeg *leg = hn_rtp_leg_new(f.ctx, &init, 1, 1, 77, told, &f, NULL);
    HnLeg *base = hn_rtp_leg_base(leg);
    hn_leg_adopt(base, &events, &f, 9);
    hn_rtp_leg_start(leg, NULL, "hall", "Hall");
    uint8_t pli[12] = {0x81, 206, 0, 2, 0, 0, 0, 2, 0, 0, 0x12, 0x34};
    hn_leg_send_rtcp(base, pli, sizeof pli);
    hn_leg_send_rtcp(base, pli, sizeof pli); /* within the second: not told again */
    run_until(&f, &f.told_n, 1);
    assert_int_equal(f.told_n, 1);
    assert_string_equal(f.told, "keyframe");
    assert_int_equal(f.told_pid, 77);
    run_until(&f, &f.told_n, 2); /* silent for 1 s */
    assert_int_equal(f.told_n, 2);
    assert_string_equal(f.told, "timeout");
    run_until(&f, &f.told_n, 3);
    assert_int_equal(f.told_n, 2); /* once */
    hn_leg_destroy(base);
    g_object_unref(ep);
    while (g_main_context_iteration(f.ctx, FALSE))
        ;
    g_main_context_unref(f.ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_call),
        cmocka_unit_test(test_srtp_call),
        cmocka_unit_test(test_info_and_silence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

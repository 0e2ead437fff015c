/* The worker's shared media sockets (ICE-lite): real UDP sockets on 127.0.0.1, connectivity
 * checks built and checked by libnice's STUN library as a full ICE agent would, datagrams
 * demultiplexed to the right connection and batched sends that all arrive. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stun/stunagent.h>
#include <stun/usages/ice.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "transport/udp_mux.h"

typedef struct {
    int selected;
    int data;
    int heard;
    uint8_t last[64];
    size_t last_len;
} Seen;

static void on_selected(void *user)
{
    ((Seen *)user)->selected++;
}

static void on_data(void *user, uint8_t *buf, size_t len, int64_t now_us)
{
    Seen *s = user;
    s->data++;
    s->last_len = MIN(len, sizeof s->last);
    memcpy(s->last, buf, s->last_len);
}

static void on_heard(void *user, int64_t now_us)
{
    ((Seen *)user)->heard++;
}

static const HnUdpMuxConnCallbacks cbs = {
    .on_selected = on_selected, .on_data = on_data, .on_heard = on_heard};

typedef struct {
    GMainContext *ctx;
    HnUdpMux *mux;
    struct sockaddr_in server;
} Fx;

static int fx_setup(void **state)
{
    Fx *f = g_new0(Fx, 1);
    f->ctx = g_main_context_new();
    char *ips[] = {"127.0.0.1", NULL};
    GError *err = NULL;
    f->mux = hn_udp_mux_new(f->ctx, ips, 0, NULL, &err);
    assert_non_null(f->mux);
    hn_udp_mux_set_rx_bound(f->mux, 10000,
                            HN_RX_PEAK_DEFAULT_MBPS); /* a stalled test is not late */
    f->server.sin_family = AF_INET;
    f->server.sin_port = htons(hn_udp_mux_port(f->mux));
    f->server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    Fx *f = *state;
    hn_udp_mux_free(f->mux);
    g_main_context_unref(f->ctx);
    g_free(f);
    return 0;
}

static int client_socket(struct sockaddr_in *bound)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    if (bound)
        *bound = a;
    return fd;
}

/* Runs the mux's loop until fd has a datagram (returned in buf) or ~300 ms pass (returns 0). */
static ssize_t pump_recv(Fx *f, int fd, uint8_t *buf, size_t cap)
{
    for (int i = 0; i < 300; i++) {
        while (g_main_context_iteration(f->ctx, FALSE))
            ;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 1) == 1)
            return recv(fd, buf, cap, 0);
    }
    return 0;
}

static void pump(Fx *f, int ms)
{
    for (int i = 0; i < ms; i++) {
        while (g_main_context_iteration(f->ctx, FALSE))
            ;
        g_usleep(1000);
    }
}

static const uint16_t attrs[] = {
    STUN_ATTRIBUTE_USERNAME,        STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
    STUN_ATTRIBUTE_ERROR_CODE,      STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
    STUN_ATTRIBUTE_PRIORITY,        STUN_ATTRIBUTE_USE_CANDIDATE,
    STUN_ATTRIBUTE_FINGERPRINT,     STUN_ATTRIBUTE_ICE_CONTROLLED,
    STUN_ATTRIBUTE_ICE_CONTROLLING, 0,
};

/* A full agent's check of conn (USERNAME "theirs:ours"), sent from fd. */
static void send_check(Fx *f, StunAgent *agent, int fd, HnUdpMuxConn *c, const char *pwd,
                       gboolean controlling, gboolean use_candidate)
{
    StunMessage msg;
    uint8_t buf[512];
    char user[64];
    g_snprintf(user, sizeof user, "%s:CLNT", hn_udp_mux_conn_ufrag(c));
    size_t n = stun_usage_ice_conncheck_create(
        agent, &msg, buf, sizeof buf, (uint8_t *)user, strlen(user), (uint8_t *)pwd, strlen(pwd),
        use_candidate, controlling, 0x6e7fffff, 12345, NULL, STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
    assert_true(n > 0);
    assert_int_equal(sendto(fd, buf, n, 0, (struct sockaddr *)&f->server, sizeof f->server),
                     (ssize_t)n);
}

static StunUsageIceReturn read_response(Fx *f, StunAgent *agent, int fd, const char *pwd,
                                        struct sockaddr_storage *mapped)
{
    uint8_t buf[512];
    ssize_t n = pump_recv(f, fd, buf, sizeof buf);
    if (n <= 0)
        return STUN_USAGE_ICE_RETURN_ERROR;
    StunMessage msg;
    StunDefaultValidaterData v = {(uint8_t *)"", 0, (uint8_t *)pwd, strlen(pwd)};
    StunValidationStatus vs =
        stun_agent_validate(agent, &msg, buf, (size_t)n, stun_agent_default_validater, &v);
    assert_int_equal(vs, STUN_VALIDATION_SUCCESS);
    socklen_t len = sizeof *mapped;
    return stun_usage_ice_conncheck_process(&msg, mapped, &len,
                                            STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
}

static void new_agent(StunAgent *agent)
{
    stun_agent_init(agent, attrs, STUN_COMPATIBILITY_RFC5389,
                    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);
}

/* A connection on the mux and a full agent's socket and STUN agent to check it with. */
static HnUdpMuxConn *conn_and_peer(Fx *f, Seen *seen, StunAgent *agent, int *fd)
{
    *fd = client_socket(NULL);
    new_agent(agent);
    return hn_udp_mux_conn_new(f->mux, &cbs, seen);
}

static void test_check_selects_and_demuxes(void **state)
{
    Fx *f = *state;
    Seen seen = {0};
    HnUdpMuxConn *c = hn_udp_mux_conn_new(f->mux, &cbs, &seen);
    assert_int_equal(strlen(hn_udp_mux_conn_ufrag(c)), 8);
    assert_true(strlen(hn_udp_mux_conn_pwd(c)) >= 22);
    assert_false(hn_udp_mux_conn_has_path(c));
    assert_int_equal(hn_udp_mux_conn_send(c, (const uint8_t *)"x", 1), -1); /* no path yet */

    struct sockaddr_in me;
    int fd = client_socket(&me);
    StunAgent agent;
    new_agent(&agent);
    send_check(f, &agent, fd, c, hn_udp_mux_conn_pwd(c), TRUE, TRUE);
    struct sockaddr_storage mapped;
    assert_int_equal(read_response(f, &agent, fd, hn_udp_mux_conn_pwd(c), &mapped),
                     STUN_USAGE_ICE_RETURN_SUCCESS);
    struct sockaddr_in *m4 = (struct sockaddr_in *)&mapped;
    assert_int_equal(m4->sin_port, me.sin_port); /* XOR-MAPPED-ADDRESS tells us who we are */
    assert_int_equal(m4->sin_addr.s_addr, me.sin_addr.s_addr);
    assert_int_equal(seen.selected, 1);
    assert_true(hn_udp_mux_conn_has_path(c));

    /* Media from the checked address reaches the connection; from another it is dropped. */
    uint8_t rtp[12] = {0x80, 96, 0, 1};
    sendto(fd, rtp, sizeof rtp, 0, (struct sockaddr *)&f->server, sizeof f->server);
    int other = client_socket(NULL);
    sendto(other, rtp, sizeof rtp, 0, (struct sockaddr *)&f->server, sizeof f->server);
    pump(f, 50);
    assert_int_equal(seen.data, 1);
    assert_int_equal(seen.last_len, sizeof rtp);
    HnUdpMuxStats st;
    hn_udp_mux_get_stats(f->mux, &st);
    assert_int_equal(st.rx_unknown_source, 1);
    assert_int_equal(st.rx_stun_requests, 1);

    /* Sends go to the checked address, batched: 150 datagrams, every one arrives. */
    for (int i = 0; i < 150; i++) {
        uint8_t d[100];
        memset(d, i, sizeof d);
        assert_int_equal(hn_udp_mux_conn_send(c, d, sizeof d), 0);
    }
    int got = 0;
    uint8_t buf[200];
    while (pump_recv(f, fd, buf, sizeof buf) == 100) {
        assert_int_equal(buf[0], got);
        got++;
    }
    assert_int_equal(got, 150);
    hn_udp_mux_get_stats(f->mux, &st);
    assert_true(st.tx_batches < 10); /* 64 per sendmmsg, not one call each */
    close(fd);
    close(other);
    hn_udp_mux_conn_free(c);
}

/* Media that waited in the socket longer than the bound is dropped and counted; DTLS and STUN of
 * the same age are still handled, and fresh media passes. */
static void test_late_media_is_dropped(void **state)
{
    Fx *f = *state;
    Seen seen = {0};
    StunAgent agent;
    int fd;
    HnUdpMuxConn *c = conn_and_peer(f, &seen, &agent, &fd);
    send_check(f, &agent, fd, c, hn_udp_mux_conn_pwd(c), TRUE, TRUE);
    struct sockaddr_storage mapped;
    assert_int_equal(read_response(f, &agent, fd, hn_udp_mux_conn_pwd(c), &mapped),
                     STUN_USAGE_ICE_RETURN_SUCCESS);

    hn_udp_mux_set_rx_bound(f->mux, 20, HN_RX_PEAK_DEFAULT_MBPS);
    uint8_t rtp[12] = {0x80, 96, 0, 1};
    uint8_t rtcp[8] = {0x80, 200, 0, 1};
    uint8_t dtls[13] = {22, 0xfe, 0xfd};
    sendto(fd, rtp, sizeof rtp, 0, (struct sockaddr *)&f->server, sizeof f->server);
    sendto(fd, rtcp, sizeof rtcp, 0, (struct sockaddr *)&f->server, sizeof f->server);
    sendto(fd, dtls, sizeof dtls, 0, (struct sockaddr *)&f->server, sizeof f->server);
    send_check(f, &agent, fd, c, hn_udp_mux_conn_pwd(c), TRUE, TRUE);
    g_usleep(80000); /* they wait in the socket at least this long */
    assert_int_equal(read_response(f, &agent, fd, hn_udp_mux_conn_pwd(c), &mapped),
                     STUN_USAGE_ICE_RETURN_SUCCESS); /* the old check is still answered */
    pump(f, 20);
    assert_int_equal(seen.data, 1); /* the DTLS record only */
    assert_int_equal(seen.last[0], 22);
    HnUdpMuxStats st;
    hn_udp_mux_get_stats(f->mux, &st);
    assert_int_equal(st.rx_late, 2);
    assert_int_equal(seen.heard, 2); /* shed, but the peer counts as alive */
    HnRxDelayStats d;
    hn_udp_mux_get_delay(f->mux, &d);
    assert_true(d.count >= 1);
    assert_true(d.max_us >= 80000);
    assert_true(hn_udp_mux_take_delay(f->mux) >= 80000);
    assert_int_equal(hn_udp_mux_take_delay(f->mux), 0); /* taken */

    /* Behind by more than half the bound: video is shed first, audio and RTCP still pass. */
    hn_udp_mux_set_rx_bound(f->mux, 2000, HN_RX_PEAK_DEFAULT_MBPS);
    hn_udp_mux_conn_set_audio(c, 0x0a0b0c0d);
    uint8_t audio[12] = {0x80, 111, 0, 2, 0, 0, 0, 0, 0x0a, 0x0b, 0x0c, 0x0d};
    uint8_t video[12] = {0x80, 96, 0, 3, 0, 0, 0, 0, 0x01, 0x02, 0x03, 0x04};
    sendto(fd, video, sizeof video, 0, (struct sockaddr *)&f->server, sizeof f->server);
    sendto(fd, audio, sizeof audio, 0, (struct sockaddr *)&f->server, sizeof f->server);
    sendto(fd, rtcp, sizeof rtcp, 0, (struct sockaddr *)&f->server, sizeof f->server);
    g_usleep(1100000); /* more than half of 2 s */
    pump(f, 20);
    assert_int_equal(seen.data, 3); /* DTLS before, then the audio and the RTCP */
    assert_int_equal(seen.last[1], 200);
    hn_udp_mux_get_stats(f->mux, &st);
    assert_int_equal(st.rx_shed_video, 1);
    assert_int_equal(st.rx_late, 2);
    assert_int_equal(seen.heard, 3);

    /* With a generous bound the same media passes. */
    hn_udp_mux_set_rx_bound(f->mux, 10000, HN_RX_PEAK_DEFAULT_MBPS);
    sendto(fd, rtp, sizeof rtp, 0, (struct sockaddr *)&f->server, sizeof f->server);
    pump(f, 20);
    assert_int_equal(seen.data, 4);
    assert_int_equal(seen.last[0], 0x80);
    hn_udp_mux_get_stats(f->mux, &st);
    assert_int_equal(st.rx_late, 2);
    close(fd);
    hn_udp_mux_conn_free(c);
}

static void test_bad_password_is_not_answered(void **state)
{
    Fx *f = *state;
    Seen seen = {0};
    StunAgent agent;
    int fd;
    HnUdpMuxConn *c = conn_and_peer(f, &seen, &agent, &fd);
    send_check(f, &agent, fd, c, "not-the-password-at-all", TRUE, TRUE);
    uint8_t buf[512];
    assert_int_equal(pump_recv(f, fd, buf, sizeof buf), 0);
    /* garbage that looks like STUN, and a check for a ufrag nobody has */
    uint8_t junk[40] = {0x00, 0x01, 0x00, 0x14, 0x21, 0x12, 0xA4, 0x42};
    sendto(fd, junk, sizeof junk, 0, (struct sockaddr *)&f->server, sizeof f->server);
    pump(f, 30);
    HnUdpMuxStats st;
    hn_udp_mux_get_stats(f->mux, &st);
    assert_int_equal(st.rx_stun_rejected, 2);
    assert_int_equal(seen.selected, 0);
    assert_false(hn_udp_mux_conn_has_path(c));
    close(fd);
    hn_udp_mux_conn_free(c);
}

static void test_controlled_peer_gets_role_conflict(void **state)
{
    Fx *f = *state;
    Seen seen = {0};
    StunAgent agent;
    int fd;
    HnUdpMuxConn *c = conn_and_peer(f, &seen, &agent, &fd);
    /* A full agent that believes it is controlled (it answered our offer) must be told to take
     * the controlling role: 487, and no path chosen. */
    send_check(f, &agent, fd, c, hn_udp_mux_conn_pwd(c), FALSE, FALSE);
    struct sockaddr_storage mapped;
    assert_int_equal(read_response(f, &agent, fd, hn_udp_mux_conn_pwd(c), &mapped),
                     STUN_USAGE_ICE_RETURN_ROLE_CONFLICT);
    assert_int_equal(seen.selected, 0);
    /* As controlling it succeeds. */
    send_check(f, &agent, fd, c, hn_udp_mux_conn_pwd(c), TRUE, TRUE);
    assert_int_equal(read_response(f, &agent, fd, hn_udp_mux_conn_pwd(c), &mapped),
                     STUN_USAGE_ICE_RETURN_SUCCESS);
    assert_int_equal(seen.selected, 1);
    close(fd);
    hn_udp_mux_conn_free(c);
}

static void test_address_moves_to_the_connection_that_checks_it(void **state)
{
    Fx *f = *state;
    Seen s1 = {0}, s2 = {0};
    HnUdpMuxConn *c1 = hn_udp_mux_conn_new(f->mux, &cbs, &s1);
    HnUdpMuxConn *c2 = hn_udp_mux_conn_new(f->mux, &cbs, &s2);
    int fd = client_socket(NULL);
    StunAgent agent;
    new_agent(&agent);
    struct sockaddr_storage mapped;
    send_check(f, &agent, fd, c1, hn_udp_mux_conn_pwd(c1), TRUE, TRUE);
    assert_int_equal(read_response(f, &agent, fd, hn_udp_mux_conn_pwd(c1), &mapped),
                     STUN_USAGE_ICE_RETURN_SUCCESS);
    /* The same address checks c2 (an ICE restart reusing the port): c2 owns it now. */
    send_check(f, &agent, fd, c2, hn_udp_mux_conn_pwd(c2), TRUE, TRUE);
    assert_int_equal(read_response(f, &agent, fd, hn_udp_mux_conn_pwd(c2), &mapped),
                     STUN_USAGE_ICE_RETURN_SUCCESS);
    assert_false(hn_udp_mux_conn_has_path(c1));
    uint8_t rtp[12] = {0x80, 96};
    sendto(fd, rtp, sizeof rtp, 0, (struct sockaddr *)&f->server, sizeof f->server);
    pump(f, 30);
    assert_int_equal(s1.data, 0);
    assert_int_equal(s2.data, 1);
    /* Freed connections leave nothing behind: media from the address is unknown again. */
    hn_udp_mux_conn_free(c2);
    sendto(fd, rtp, sizeof rtp, 0, (struct sockaddr *)&f->server, sizeof f->server);
    pump(f, 30);
    assert_int_equal(s1.data, 0);
    close(fd);
    hn_udp_mux_conn_free(c1);
}

static void test_ice_restart_moves_the_path(void **state)
{
    Fx *f = *state;
    Seen seen = {0};
    StunAgent agent;
    int old_fd;
    HnUdpMuxConn *c = conn_and_peer(f, &seen, &agent, &old_fd);
    struct sockaddr_storage mapped;
    send_check(f, &agent, old_fd, c, hn_udp_mux_conn_pwd(c), TRUE, TRUE);
    assert_int_equal(read_response(f, &agent, old_fd, hn_udp_mux_conn_pwd(c), &mapped),
                     STUN_USAGE_ICE_RETURN_SUCCESS);
    char old_ufrag[16], old_pwd[64];
    g_strlcpy(old_ufrag, hn_udp_mux_conn_ufrag(c), sizeof old_ufrag);
    g_strlcpy(old_pwd, hn_udp_mux_conn_pwd(c), sizeof old_pwd);

    assert_int_equal(hn_udp_mux_conn_restart(c), 0);
    assert_string_not_equal(hn_udp_mux_conn_ufrag(c), old_ufrag);
    assert_string_not_equal(hn_udp_mux_conn_pwd(c), old_pwd);
    /* Until a check with the new credentials passes, the old path carries the datagrams. */
    uint8_t d[4] = {1, 2, 3, 4}, buf[64];
    assert_int_equal(hn_udp_mux_conn_send(c, d, sizeof d), 0);
    assert_int_equal(pump_recv(f, old_fd, buf, sizeof buf), (ssize_t)sizeof d);
    /* A check with the old password is not answered any more. */
    send_check(f, &agent, old_fd, c, old_pwd, TRUE, TRUE);
    assert_int_equal(pump_recv(f, old_fd, buf, sizeof buf), 0);

    /* The peer's new network: a check from a new port, not even nominated, takes the path. */
    int new_fd = client_socket(NULL);
    send_check(f, &agent, new_fd, c, hn_udp_mux_conn_pwd(c), TRUE, FALSE);
    assert_int_equal(read_response(f, &agent, new_fd, hn_udp_mux_conn_pwd(c), &mapped),
                     STUN_USAGE_ICE_RETURN_SUCCESS);
    assert_int_equal(seen.selected, 2);
    assert_int_equal(hn_udp_mux_conn_send(c, d, sizeof d), 0);
    assert_int_equal(pump_recv(f, new_fd, buf, sizeof buf), (ssize_t)sizeof d);
    assert_int_equal(pump_recv(f, old_fd, buf, sizeof buf), 0);
    /* Media from the new address reaches the connection. */
    uint8_t rtp[12] = {0x80, 96};
    sendto(new_fd, rtp, sizeof rtp, 0, (struct sockaddr *)&f->server, sizeof f->server);
    pump(f, 30);
    assert_int_equal(seen.data, 1);
    /* Once nominated, the new path stays: a plain check from the old port does not move it. */
    send_check(f, &agent, new_fd, c, hn_udp_mux_conn_pwd(c), TRUE, TRUE);
    assert_int_equal(read_response(f, &agent, new_fd, hn_udp_mux_conn_pwd(c), &mapped),
                     STUN_USAGE_ICE_RETURN_SUCCESS);
    send_check(f, &agent, old_fd, c, hn_udp_mux_conn_pwd(c), TRUE, FALSE);
    assert_int_equal(read_response(f, &agent, old_fd, hn_udp_mux_conn_pwd(c), &mapped),
                     STUN_USAGE_ICE_RETURN_SUCCESS);
    assert_int_equal(hn_udp_mux_conn_send(c, d, sizeof d), 0);
    assert_int_equal(pump_recv(f, new_fd, buf, sizeof buf), (ssize_t)sizeof d);
    HnUdpMuxStats st;
    hn_udp_mux_get_stats(f->mux, &st);
    assert_int_equal(st.ice_restarts, 1);
    assert_int_equal(st.ice_restart_paths, 1);
    close(old_fd);
    close(new_fd);
    hn_udp_mux_conn_free(c);
}

/* Credentials chosen by another thread (one room across workers): taken as given, refused when
 * the ufrag is in use or the lengths are wrong; a restart with given ones replaces them. */
static void test_given_credentials(void **state)
{
    Fx *f = *state;
    Seen s1 = {0}, s2 = {0};
    const char *uf = "abcdEFGH", *pw = "0123456789abcdefghijKLMN";
    HnUdpMuxConn *c = hn_udp_mux_conn_new_with(f->mux, &cbs, &s1, uf, pw);
    assert_non_null(c);
    assert_string_equal(hn_udp_mux_conn_ufrag(c), uf);
    assert_string_equal(hn_udp_mux_conn_pwd(c), pw);
    assert_null(hn_udp_mux_conn_new_with(f->mux, &cbs, &s2, uf, pw)); /* ufrag in use */
    assert_null(hn_udp_mux_conn_new_with(f->mux, &cbs, &s2, "short", pw));
    assert_null(hn_udp_mux_conn_new_with(f->mux, &cbs, &s2, uf, NULL));
    HnUdpMuxConn *d = hn_udp_mux_conn_new(f->mux, &cbs, &s2);
    assert_non_null(d);
    assert_int_equal(hn_udp_mux_conn_restart_with(d, uf, pw), -EEXIST);
    assert_int_equal(hn_udp_mux_conn_restart_with(d, "12345678", "short"), -EINVAL);
    assert_int_equal(hn_udp_mux_conn_restart_with(c, "zyxwVUTS", "ZYXWVUTSRQPONMLKJIHGFEDC"), 0);
    assert_string_equal(hn_udp_mux_conn_ufrag(c), "zyxwVUTS");
    /* the old ufrag is free again */
    assert_int_equal(hn_udp_mux_conn_restart_with(d, uf, pw), 0);
    hn_udp_mux_conn_free(c);
    hn_udp_mux_conn_free(d);
}

static void test_fixed_port_and_candidates(void **state)
{
    GMainContext *ctx = g_main_context_new();
    char *ips[] = {"127.0.0.1", NULL};
    GError *err = NULL;
    HnUdpMux *a = hn_udp_mux_new(ctx, ips, 0, "203.0.113.7", &err);
    assert_non_null(a);
    guint16 port = hn_udp_mux_port(a);
    char *const *c = hn_udp_mux_candidates(a);
    assert_non_null(c[0]);
    assert_null(c[1]); /* no public-IP twin for loopback */
    char *want = g_strdup_printf("127.0.0.1 %u typ host", port);
    assert_non_null(strstr(c[0], want));
    g_free(want);
    /* The same port again cannot be had: a clear error, not a crash. */
    HnUdpMux *b = hn_udp_mux_new(ctx, ips, port, NULL, &err);
    assert_null(b);
    assert_non_null(err);
    assert_non_null(strstr(err->message, "127.0.0.1"));
    g_clear_error(&err);
    char *bad[] = {"not-an-ip", NULL};
    assert_null(hn_udp_mux_new(ctx, bad, 0, NULL, &err));
    g_clear_error(&err);
    hn_udp_mux_free(a);
    g_main_context_unref(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_check_selects_and_demuxes, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_late_media_is_dropped, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_password_is_not_answered, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_controlled_peer_gets_role_conflict, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_address_moves_to_the_connection_that_checks_it,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_ice_restart_moves_the_path, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_given_credentials, fx_setup, fx_teardown),
        cmocka_unit_test(test_fixed_port_and_candidates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

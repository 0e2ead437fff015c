#include "transport/webrtc_transport.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "transport/srtp.h"

#define HN_MTU_MAX          1500
#define HN_SRTP_TRAILER_MAX 148
#define ICE_LITE_TIMEOUT    (30 * G_USEC_PER_SEC) /* remote set, no check or no DTLS: failed */
#define EARLY_DTLS_MAX      4 /* DTLS datagrams kept when they arrive before the answer */

struct HnWebrtcTransport {
    GMainContext *ctx;
    /* Either a libnice agent (full ICE, its own sockets) or a connection on the worker's shared
     * sockets (ICE-lite, see udp_mux.h). */
    NiceAgent *agent;
    guint stream_id;
    HnUdpMuxConn *conn;
    int64_t ice_deadline;  /* ICE-lite: fail when not connected by then; INT64_MAX: none */
    GPtrArray *early_dtls; /* GBytes*: DTLS that arrived before hn_webrtc_transport_set_remote */
    char *ufrag, *pwd;
    const HnIceSettings *ice;
    HnCert *cert;
    HnDtls *dtls;
    HnSrtp *srtp;
    gboolean dtls_server;
    gboolean remote_set;
    gboolean connected;
    gboolean failed;
    gboolean closing;
    gboolean dtls_started;
    gboolean hs_admitted; /* the worker's handshake budget let this handshake start */
    GBytes *hs_held;      /* the peer's first DTLS flight, held while the budget is spent */
    GSource *hs_retry;    /* offers hs_held to the budget again; NULL until needed */
    GSource *dtls_timer;
    HnUdpMux *mux;
    HnWebrtcTransportCallbacks cb;
    void *user;
    int64_t last_rx;
    unsigned ice_restarts;
    /* Fast path: the selected pair's UDP socket and peer address, so media is sent with one
     * sendto() instead of through libnice's locked send path (STUN stays with libnice). */
    GSocket *media_sock;
    int media_fd;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    HnWebrtcTransportStats stats;
    uint8_t out[HN_MTU_MAX + HN_SRTP_TRAILER_MAX];
};

static void fail(HnWebrtcTransport *t, const char *reason)
{
    if (t->failed || t->closing)
        return;
    t->failed = TRUE;
    g_message("transport %p failed: %s", (void *)t, reason);
    if (t->cb.on_failed)
        t->cb.on_failed(t->user, t, reason);
}

/* --- DTLS callbacks --------------------------------------------------------------------- */

static void dtls_send(void *user, const uint8_t *data, size_t len)
{
    HnWebrtcTransport *t = user;
    int rc = t->conn ? hn_udp_mux_conn_send(t->conn, data, len)
                     : nice_agent_send(t->agent, t->stream_id, 1, len, (const gchar *)data);
    if (rc < 0)
        t->stats.tx_send_errors++;
}

static void dtls_connected(void *user, const HnSrtpKeys *keys)
{
    HnWebrtcTransport *t = user;
    GError *err = NULL;
    t->srtp = hn_srtp_new(keys, &err);
    if (!t->srtp) {
        fail(t, err ? err->message : "SRTP set-up failed");
        g_clear_error(&err);
        return;
    }
    t->stats.srtp_profile = keys->profile;
    t->connected = TRUE;
    t->ice_deadline = INT64_MAX;
    if (t->cb.on_connected)
        t->cb.on_connected(t->user, t);
}

static void dtls_failed(void *user, const char *reason)
{
    fail(user, reason);
}

static void dtls_closed(void *user)
{
    fail(user, "peer closed DTLS");
}

static const HnDtlsCallbacks dtls_callbacks = {
    .send = dtls_send,
    .connected = dtls_connected,
    .failed = dtls_failed,
    .closed = dtls_closed,
};

/* The worker's handshake budget while this transport's handshake is under way (ICE-lite only:
 * a libnice transport has no worker mux); NULL once connected. */
static HnHsBudget *hs_budget(HnWebrtcTransport *t)
{
    return t->mux && !t->connected ? hn_udp_mux_hs_budget(t->mux) : NULL;
}

/* Feeds one DTLS record and charges the time it took to the handshake budget. */
static void dtls_feed(HnWebrtcTransport *t, const uint8_t *p, size_t len, int64_t now)
{
    HnHsBudget *b = hs_budget(t);
    int64_t t0 = b ? g_get_monotonic_time() : 0;
    hn_dtls_handle(t->dtls, p, len, now);
    if (b) {
        int64_t t1 = g_get_monotonic_time();
        hn_hs_budget_spend(b, t1 - t0, t1);
    }
}

static void arm_dtls_timer(HnWebrtcTransport *t)
{
    if (!t->dtls_timer)
        return;
    int64_t next = t->dtls ? hn_dtls_next_timeout(t->dtls) : INT64_MAX;
    next = MIN(next, t->ice_deadline);
    g_source_set_ready_time(t->dtls_timer, next == INT64_MAX ? -1 : next);
}

static gboolean dtls_timer_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    HnWebrtcTransport *t = data;
    g_source_set_ready_time(src, -1);
    if (t->closing || t->failed)
        return G_SOURCE_CONTINUE;
    int64_t now = g_get_monotonic_time();
    if (now >= t->ice_deadline) {
        fail(t, t->conn && hn_udp_mux_conn_has_path(t->conn)
                    ? "DTLS handshake timed out"
                    : "ICE: no connectivity check from the peer");
        return G_SOURCE_CONTINUE;
    }
    if (t->dtls)
        hn_dtls_on_timeout(t->dtls, now);
    arm_dtls_timer(t);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs dtls_timer_funcs = {.dispatch = dtls_timer_dispatch};

/* --- ICE -------------------------------------------------------------------------------- */

static GSourceFuncs hs_retry_funcs;

/* A DTLS record from the peer, its handshake admitted. */
static void dtls_in(HnWebrtcTransport *t, const uint8_t *p, size_t len)
{
    if (t->dtls) {
        dtls_feed(t, p, len, t->last_rx);
        arm_dtls_timer(t);
    } else if (t->conn && t->early_dtls->len < EARLY_DTLS_MAX) {
        /* ICE-lite answers checks before the peer's answer reaches us; its ClientHello may
         * too. Kept for the DTLS endpoint rather than waiting for a retransmission. */
        g_ptr_array_add(t->early_dtls, g_bytes_new(p, len));
    }
}

/* Offers the held first flight again once the budget should hold time (plus up to 10 ms of
 * jitter, so a storm's held flights do not all come back in the same turn). */
static void hs_arm_retry(HnWebrtcTransport *t, HnHsBudget *b, int64_t now)
{
    int64_t at = now + hn_hs_budget_wait_us(b, now) + g_random_int_range(0, 10000);
    g_source_set_ready_time(t->hs_retry, at);
}

static void hs_hold(HnWebrtcTransport *t, HnHsBudget *b, const uint8_t *p, size_t len, int64_t now)
{
    if (t->hs_held)
        g_bytes_unref(t->hs_held); /* a retransmission: the latest copy will do */
    t->hs_held = g_bytes_new(p, len);
    if (!t->hs_retry) {
        t->hs_retry = g_source_new(&hs_retry_funcs, sizeof(GSource));
        g_source_set_callback(t->hs_retry, NULL, t, NULL);
        g_source_attach(t->hs_retry, t->ctx);
    }
    hs_arm_retry(t, b, now);
}

static gboolean hs_retry_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    HnWebrtcTransport *t = data;
    g_source_set_ready_time(src, -1);
    if (t->closing || t->hs_admitted || !t->hs_held)
        return G_SOURCE_CONTINUE;
    HnHsBudget *b = hs_budget(t);
    int64_t now = g_get_monotonic_time();
    if (b && !hn_hs_budget_admit(b, now, FALSE)) {
        hs_arm_retry(t, b, now);
        return G_SOURCE_CONTINUE;
    }
    t->hs_admitted = TRUE;
    GBytes *held = g_steal_pointer(&t->hs_held);
    gsize n;
    const uint8_t *d = g_bytes_get_data(held, &n);
    dtls_in(t, d, n);
    g_bytes_unref(held);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs hs_retry_funcs = {.dispatch = hs_retry_dispatch};

/* One datagram that is not STUN, from the peer's address. */
static void handle_datagram(HnWebrtcTransport *t, uint8_t *p, size_t len, int64_t now)
{
    if (t->closing || len == 0)
        return;
    t->last_rx = now;
    t->stats.rx_packets++;
    t->stats.rx_bytes += len;
    if (p[0] >= 20 && p[0] <= 63) { /* RFC 7983 demux: DTLS */
        if (!t->hs_admitted && !t->connected) {
            /* the peer's first flight: a new handshake starts only within the worker's budget,
             * else it is held (counted there) and offered again as the budget refills */
            HnHsBudget *b = hs_budget(t);
            if (b && !hn_hs_budget_admit(b, now, t->hs_held == NULL)) {
                hs_hold(t, b, p, len, now);
                return;
            }
            t->hs_admitted = TRUE;
            g_clear_pointer(&t->hs_held, g_bytes_unref); /* this copy goes in instead */
        }
        dtls_in(t, p, len);
        return;
    }
    if (p[0] < 128 || p[0] > 191 || len < 12) {
        t->stats.rx_unknown++;
        return;
    }
    if (!t->srtp) {
        t->stats.rx_dropped_not_ready++;
        return;
    }
    gboolean rtcp = p[1] >= 192 && p[1] <= 223; /* RFC 5761: RTCP packet types 192..223 */
    size_t n = len;
    int rc = rtcp ? hn_srtp_unprotect_rtcp(t->srtp, p, &n) : hn_srtp_unprotect_rtp(t->srtp, p, &n);
    if (rc < 0) {
        t->stats.rx_srtp_errors++;
        return;
    }
    if (rtcp) {
        if (t->cb.on_rtcp)
            t->cb.on_rtcp(t->user, t, p, n);
    } else if (t->cb.on_rtp) {
        t->cb.on_rtp(t->user, t, p, n);
    }
}

static void on_recv(NiceAgent *agent, guint stream_id, guint component_id, guint len, gchar *buf,
                    gpointer data)
{
    handle_datagram(data, (uint8_t *)buf, len, g_get_monotonic_time());
}

static void mux_on_data(void *user, uint8_t *buf, size_t len, int64_t now_us)
{
    handle_datagram(user, buf, len, now_us);
}

static void start_dtls_client(HnWebrtcTransport *t)
{
    if (t->dtls && !t->dtls_server && !t->dtls_started) {
        t->dtls_started = TRUE;
        t->hs_admitted = TRUE; /* our own handshake: charged, not refused */
        HnHsBudget *b = hs_budget(t);
        int64_t t0 = g_get_monotonic_time();
        hn_dtls_start(t->dtls, t0);
        if (b) {
            int64_t t1 = g_get_monotonic_time();
            hn_hs_budget_spend(b, t1 - t0, t1);
        }
        arm_dtls_timer(t);
    }
}

static void mux_on_selected(void *user)
{
    HnWebrtcTransport *t = user;
    if (!t->closing)
        start_dtls_client(t);
}

/* Late media dropped by the mux: nothing to process, but the peer was heard (consent). */
static void mux_on_heard(void *user, int64_t now_us)
{
    HnWebrtcTransport *t = user;
    if (!t->closing)
        t->last_rx = now_us;
}

static const HnUdpMuxConnCallbacks mux_callbacks = {
    .on_selected = mux_on_selected,
    .on_data = mux_on_data,
    .on_heard = mux_on_heard,
};

static void on_new_candidate(NiceAgent *agent, NiceCandidate *c, gpointer data)
{
    HnWebrtcTransport *t = data;
    if (t->closing || !t->cb.on_candidate)
        return;
    char *pub = hn_ice_candidate_public(agent, c, t->ice->public_ip);
    if (pub) {
        t->cb.on_candidate(t->user, t, pub);
        g_free(pub);
    }
    char *line = hn_ice_candidate_to_string(agent, c);
    if (line)
        t->cb.on_candidate(t->user, t, line);
    g_free(line);
}

static void on_gathering_done(NiceAgent *agent, guint stream_id, gpointer data)
{
    HnWebrtcTransport *t = data;
    if (!t->closing && t->cb.on_candidate)
        t->cb.on_candidate(t->user, t, NULL);
}

static void on_selected_pair(NiceAgent *agent, guint stream_id, guint component_id,
                             NiceCandidate *local, NiceCandidate *remote, gpointer data)
{
    HnWebrtcTransport *t = data;
    g_clear_object(&t->media_sock);
    t->media_fd = -1;
    if (t->closing)
        return;
    GSocket *sock = nice_agent_get_selected_socket(agent, stream_id, component_id);
    if (!sock)
        return; /* TCP or relayed: libnice frames those, keep its send path */
    memset(&t->peer, 0, sizeof t->peer);
    nice_address_copy_to_sockaddr(&remote->addr, (struct sockaddr *)&t->peer);
    t->peer_len =
        t->peer.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    t->media_sock = sock;
    t->media_fd = g_socket_get_fd(sock);
}

static void on_state(NiceAgent *agent, guint stream_id, guint component_id, guint state,
                     gpointer data)
{
    HnWebrtcTransport *t = data;
    if (t->closing)
        return;
    if (state == NICE_COMPONENT_STATE_FAILED)
        fail(t, "ICE failed");
    else if (state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY)
        start_dtls_client(t);
}

/* Undoes a half-built hn_webrtc_transport_new (no agent, no connection yet). Returns NULL. */
static HnWebrtcTransport *abandon(HnWebrtcTransport *t)
{
    g_source_destroy(t->dtls_timer);
    g_source_unref(t->dtls_timer);
    hn_cert_unref(t->cert);
    g_main_context_unref(t->ctx);
    g_free(t);
    return NULL;
}

static HnWebrtcTransport *transport_new(GMainContext *ctx, const HnIceSettings *ice, HnUdpMux *mux,
                                        HnCert *cert, gboolean controlling,
                                        const HnWebrtcTransportCallbacks *cb, void *user,
                                        const char *ufrag, const char *pwd)
{
    HnWebrtcTransport *t = g_new0(HnWebrtcTransport, 1);
    t->ctx = g_main_context_ref(ctx);
    t->ice = ice;
    t->cert = hn_cert_ref(cert);
    t->cb = *cb;
    t->user = user;
    t->stats.srtp_profile = -1;
    t->media_fd = -1;
    t->ice_deadline = INT64_MAX;
    t->dtls_timer = g_source_new(&dtls_timer_funcs, sizeof(GSource));
    g_source_set_callback(t->dtls_timer, NULL, t, NULL);
    g_source_attach(t->dtls_timer, ctx);
    if (mux) {
        t->conn = hn_udp_mux_conn_new_with(mux, &mux_callbacks, t, ufrag, pwd);
        if (!t->conn)
            return abandon(t);
        t->ufrag = g_strdup(hn_udp_mux_conn_ufrag(t->conn));
        t->pwd = g_strdup(hn_udp_mux_conn_pwd(t->conn));
        t->early_dtls = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
        t->mux = mux;
        return t;
    }
    t->agent = hn_ice_agent_new(ctx, ice, controlling, &t->stream_id);
    if (!t->agent)
        return abandon(t);
    g_signal_connect(t->agent, "new-candidate-full", G_CALLBACK(on_new_candidate), t);
    g_signal_connect(t->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), t);
    g_signal_connect(t->agent, "component-state-changed", G_CALLBACK(on_state), t);
    g_signal_connect(t->agent, "new-selected-pair-full", G_CALLBACK(on_selected_pair), t);
    nice_agent_get_local_credentials(t->agent, t->stream_id, &t->ufrag, &t->pwd);
    nice_agent_attach_recv(t->agent, t->stream_id, 1, ctx, on_recv, t);
    return t;
}

HnWebrtcTransport *hn_webrtc_transport_new(GMainContext *ctx, const HnIceSettings *ice,
                                           HnUdpMux *mux, HnCert *cert, gboolean controlling,
                                           const HnWebrtcTransportCallbacks *cb, void *user)
{
    return transport_new(ctx, ice, mux, cert, controlling, cb, user, NULL, NULL);
}

HnWebrtcTransport *hn_webrtc_transport_new_lite(GMainContext *ctx, const HnIceSettings *ice,
                                                HnUdpMux *mux, HnCert *cert, const char *ufrag,
                                                const char *pwd,
                                                const HnWebrtcTransportCallbacks *cb, void *user)
{
    g_return_val_if_fail(mux != NULL && ufrag != NULL && pwd != NULL, NULL);
    return transport_new(ctx, ice, mux, cert, FALSE, cb, user, ufrag, pwd);
}

void hn_webrtc_transport_start_gathering(HnWebrtcTransport *t)
{
    if (t->conn)
        return; /* ICE-lite: the worker's sockets are the candidates; they go in the SDP */
    if (!nice_agent_gather_candidates(t->agent, t->stream_id))
        fail(t, "cannot gather ICE candidates");
}

gboolean hn_webrtc_transport_is_lite(const HnWebrtcTransport *t)
{
    return t->conn != NULL;
}

const char *hn_webrtc_transport_ufrag(HnWebrtcTransport *t)
{
    return t->ufrag;
}

const char *hn_webrtc_transport_pwd(HnWebrtcTransport *t)
{
    return t->pwd;
}

int hn_webrtc_transport_set_remote(HnWebrtcTransport *t, const char *ufrag, const char *pwd,
                                   const char *fp_alg, const char *fp, gboolean dtls_server)
{
    if (t->remote_set)
        return 0; /* same transport renegotiated: credentials already in place */
    if (!ufrag || !pwd || !fp_alg || !fp)
        return -EINVAL;
    if (t->agent && !nice_agent_set_remote_credentials(t->agent, t->stream_id, ufrag, pwd))
        return -EINVAL;
    t->dtls_server = dtls_server;
    GError *err = NULL;
    t->dtls = hn_dtls_new(t->cert, dtls_server ? HN_DTLS_SERVER : HN_DTLS_CLIENT, fp_alg, fp,
                          &dtls_callbacks, t, &err);
    if (!t->dtls) {
        g_message("transport %p: %s", (void *)t, err ? err->message : "DTLS set-up failed");
        g_clear_error(&err);
        return -EINVAL;
    }
    t->remote_set = TRUE;
    if (t->conn) {
        t->ice_deadline = g_get_monotonic_time() + ICE_LITE_TIMEOUT;
        for (guint i = 0; i < t->early_dtls->len && t->dtls_server; i++) {
            gsize n;
            const uint8_t *d = g_bytes_get_data(t->early_dtls->pdata[i], &n);
            dtls_feed(t, d, n, g_get_monotonic_time());
        }
        g_ptr_array_set_size(t->early_dtls, 0);
        if (hn_udp_mux_conn_has_path(t->conn))
            start_dtls_client(t);
        arm_dtls_timer(t);
    }
    return 0;
}

int hn_webrtc_transport_restart_ice(HnWebrtcTransport *t)
{
    return hn_webrtc_transport_restart_ice_with(t, NULL, NULL);
}

int hn_webrtc_transport_restart_ice_with(HnWebrtcTransport *t, const char *ufrag, const char *pwd)
{
    if (!t->conn)
        return -ENOTSUP;
    if (t->closing || t->failed)
        return -EBADF;
    int rc = hn_udp_mux_conn_restart_with(t->conn, ufrag, pwd);
    if (rc < 0)
        return rc;
    g_free(t->ufrag);
    g_free(t->pwd);
    t->ufrag = g_strdup(hn_udp_mux_conn_ufrag(t->conn));
    t->pwd = g_strdup(hn_udp_mux_conn_pwd(t->conn));
    t->ice_restarts++;
    return 0;
}

int hn_webrtc_transport_add_candidate(HnWebrtcTransport *t, const char *line, const char **why)
{
    if (t->conn)
        return 0; /* ICE-lite: the peer's checks tell its addresses; candidates are not needed */
    if (!line || !*line) {
        nice_agent_peer_candidate_gathering_done(t->agent, t->stream_id);
        return 0;
    }
    NiceCandidate *c = hn_ice_candidate_parse(t->agent, t->stream_id, line, why);
    if (!c)
        return -EINVAL;
    GSList *l = g_slist_append(NULL, c);
    int n = nice_agent_set_remote_candidates(t->agent, t->stream_id, 1, l);
    g_slist_free_full(l, (GDestroyNotify)nice_candidate_free);
    if (n < 1) {
        *why = "candidate rejected by ICE agent";
        return -EINVAL;
    }
    return 0;
}

/* Puts one SRTP datagram on the wire: on the selected pair's socket when there is one. */
static void send_datagram(HnWebrtcTransport *t, const uint8_t *buf, size_t n)
{
    if (t->media_fd >= 0) {
        if (sendto(t->media_fd, buf, n, MSG_DONTWAIT, (struct sockaddr *)&t->peer, t->peer_len) <
            0) {
            t->stats.tx_send_errors++;
            return;
        }
    } else if (nice_agent_send(t->agent, t->stream_id, 1, n, (const gchar *)buf) < 0) {
        t->stats.tx_send_errors++;
        return;
    }
    t->stats.tx_packets++;
    t->stats.tx_bytes += n;
}

/* Protects buf (len bytes, room for cap) in place and sends it. */
static void protect_and_send(HnWebrtcTransport *t, uint8_t *buf, size_t len, size_t cap,
                             gboolean rtcp)
{
    if (!t->srtp || t->closing || len > HN_MTU_MAX) {
        t->stats.tx_send_errors++;
        return;
    }
    uint8_t *slot = NULL;
    if (t->conn) {
        /* One copy into the mux's send queue, then protect in place there (no second copy into
         * a socket buffer of ours: sendmmsg reads the queue slot). */
        slot = hn_udp_mux_conn_reserve(t->conn, &cap);
        if (!slot) {
            t->stats.tx_send_errors++;
            return;
        }
        memcpy(slot, buf, len);
        buf = slot;
    }
    size_t n = len;
    int rc = rtcp ? hn_srtp_protect_rtcp(t->srtp, buf, &n, cap)
                  : hn_srtp_protect_rtp(t->srtp, buf, &n, cap);
    if (rc < 0) {
        t->stats.tx_srtp_errors++;
        return;
    }
    if (slot) {
        hn_udp_mux_conn_commit(t->conn, n);
        t->stats.tx_packets++;
        t->stats.tx_bytes += n;
        return;
    }
    send_datagram(t, buf, n);
}

static void send_protected(HnWebrtcTransport *t, const uint8_t *buf, size_t len, gboolean rtcp)
{
    if (len > HN_MTU_MAX) {
        t->stats.tx_send_errors++;
        return;
    }
    memcpy(t->out, buf, len);
    protect_and_send(t, t->out, len, sizeof t->out, rtcp);
}

void hn_webrtc_transport_send_rtp_inplace(HnWebrtcTransport *t, uint8_t *buf, size_t len,
                                          size_t cap)
{
    protect_and_send(t, buf, len, cap, FALSE);
}

void hn_webrtc_transport_send_rtp(HnWebrtcTransport *t, const uint8_t *buf, size_t len)
{
    send_protected(t, buf, len, FALSE);
}

void hn_webrtc_transport_send_rtcp(HnWebrtcTransport *t, const uint8_t *buf, size_t len)
{
    send_protected(t, buf, len, TRUE);
}

gboolean hn_webrtc_transport_is_connected(const HnWebrtcTransport *t)
{
    return t->connected && !t->failed;
}

void hn_webrtc_transport_mark_audio(HnWebrtcTransport *t, uint32_t ssrc)
{
    if (t->conn)
        hn_udp_mux_conn_set_audio(t->conn, ssrc);
}

int64_t hn_webrtc_transport_last_rx(const HnWebrtcTransport *t)
{
    return t->last_rx;
}

void hn_webrtc_transport_get_stats(const HnWebrtcTransport *t, HnWebrtcTransportStats *out)
{
    *out = t->stats;
}

static gboolean free_later(gpointer data)
{
    HnWebrtcTransport *t = data;
    if (t->agent) {
        nice_agent_attach_recv(t->agent, t->stream_id, 1, t->ctx, NULL, NULL);
        g_signal_handlers_disconnect_by_data(t->agent, t);
        nice_agent_remove_stream(t->agent, t->stream_id);
        nice_agent_close_async(t->agent, NULL, NULL);
        g_object_unref(t->agent);
    }
    hn_udp_mux_conn_free(t->conn);
    if (t->early_dtls)
        g_ptr_array_unref(t->early_dtls);
    g_clear_object(&t->media_sock);
    hn_dtls_free(t->dtls);
    hn_srtp_free(t->srtp);
    hn_cert_unref(t->cert);
    g_free(t->ufrag);
    g_free(t->pwd);
    g_main_context_unref(t->ctx);
    g_free(t);
    return G_SOURCE_REMOVE;
}

void hn_webrtc_transport_free(HnWebrtcTransport *t)
{
    if (!t || t->closing)
        return;
    if (t->dtls && t->connected)
        hn_dtls_close(t->dtls);
    t->closing = TRUE;
    g_source_destroy(t->dtls_timer);
    g_source_unref(t->dtls_timer);
    t->dtls_timer = NULL;
    if (t->hs_retry) {
        g_source_destroy(t->hs_retry);
        g_source_unref(t->hs_retry);
        t->hs_retry = NULL;
    }
    g_clear_pointer(&t->hs_held, g_bytes_unref);
    GSource *idle = g_idle_source_new();
    g_source_set_callback(idle, free_later, t, NULL);
    g_source_attach(idle, t->ctx);
    g_source_unref(idle);
}

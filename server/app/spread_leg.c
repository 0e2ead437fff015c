/* spread_leg.c - a subscriber's transport on another worker, behind a proxy leg (spread_leg.h). */
#include "app/spread_leg.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "transport/webrtc_transport.h"

#define FLAG_RTP  0u
#define FLAG_RTCP 1u

/* What the remote worker mirrors for the proxy: written there, read on the home worker. */
typedef struct {
    atomic_int ref;
    atomic_int connected;
    _Atomic int64_t last_rx;
    _Atomic uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, rx_errors, tx_errors;
} Shared;

typedef struct {
    HnLeg base; /* first: an HnLeg* is a Proxy* */
    HnWorker *home, *remote;
    uint64_t key;
    Shared *sh;
    char ufrag[HN_ICE_CRED_UFRAG_LEN + 1];
    char pwd[HN_ICE_CRED_PWD_LEN + 1];
    gboolean remote_set;
    uint64_t push_errors; /* refused by the relay (full, closed): counted as tx errors */
} Proxy;

/* The remote worker's side. */
typedef struct {
    HnWorker *home, *remote;
    uint64_t key;
    Shared *sh;
    HnWebrtcTransport *t;
    GSource *sync;
} Remote;

typedef enum { MSG_OPEN, MSG_SET_REMOTE, MSG_RESTART, MSG_AUDIO, MSG_FREE, MSG_EVENT } MsgType;

/* One posted call, either way. */
typedef struct {
    MsgType type;
    HnWorker *home, *remote;
    uint64_t key;
    Shared *sh;               /* MSG_OPEN: a reference for the remote side */
    const HnIceSettings *ice; /* MSG_OPEN */
    HnCert *cert;             /* MSG_OPEN: a reference */
    char *a, *b, *c, *d;      /* ufrag, pwd, fp_alg, fp / event reason in a */
    gboolean flag;            /* dtls_server / event: connected (else failed) */
    uint32_t ssrc;
} Msg;

static void shared_unref(Shared *sh)
{
    if (sh && atomic_fetch_sub(&sh->ref, 1) == 1)
        g_free(sh);
}

static void msg_free(gpointer data)
{
    Msg *m = data;
    shared_unref(m->sh);
    if (m->cert)
        hn_cert_unref(m->cert);
    g_free(m->a);
    g_free(m->b);
    g_free(m->c);
    g_free(m->d);
    g_free(m);
}

static Msg *msg_new(MsgType type, HnWorker *home, HnWorker *remote, uint64_t key)
{
    Msg *m = g_new0(Msg, 1);
    *m = (Msg){.type = type, .home = home, .remote = remote, .key = key};
    return m;
}

static void set_u64(_Atomic uint64_t *a, uint64_t v)
{
    atomic_store_explicit(a, v, memory_order_relaxed);
}

static uint64_t get_u64(const _Atomic uint64_t *a)
{
    return atomic_load_explicit((_Atomic uint64_t *)a, memory_order_relaxed);
}

/* --- the home worker: what comes back ------------------------------------------------------ */

static void proxy_deliver(void *user, const HnRelayPacket *pkt, int64_t now_us)
{
    Proxy *p = user;
    if ((pkt->target & 3) == FLAG_RTCP)
        hn_leg_emit_rtcp(&p->base, pkt->data, pkt->len);
    else
        hn_leg_emit_rtp(&p->base, pkt->data, pkt->len);
}

static gboolean home_event(gpointer data)
{
    Msg *m = data;
    Proxy *p = hn_worker_relay_find(m->home, m->key, proxy_deliver);
    if (!p || !p->base.events) /* destroyed meanwhile */
        return G_SOURCE_REMOVE;
    if (m->flag) {
        if (p->base.events->on_connected)
            p->base.events->on_connected(p->base.owner, &p->base);
    } else if (p->base.events->on_failed) {
        p->base.events->on_failed(p->base.owner, &p->base, m->a ? m->a : "failed");
    }
    return G_SOURCE_REMOVE;
}

/* --- the remote worker ---------------------------------------------------------------------- */

static void post_event(Remote *r, gboolean connected, const char *reason)
{
    Msg *m = msg_new(MSG_EVENT, r->home, r->remote, r->key);
    m->flag = connected;
    m->a = g_strdup(reason);
    hn_worker_invoke(r->home, home_event, m, msg_free);
}

static void mirror(Remote *r)
{
    HnWebrtcTransportStats st;
    hn_webrtc_transport_get_stats(r->t, &st);
    Shared *sh = r->sh;
    set_u64(&sh->rx_packets, st.rx_packets);
    set_u64(&sh->rx_bytes, st.rx_bytes);
    set_u64(&sh->tx_packets, st.tx_packets);
    set_u64(&sh->tx_bytes, st.tx_bytes);
    set_u64(&sh->rx_errors, st.rx_srtp_errors + st.rx_unknown);
    set_u64(&sh->tx_errors, st.tx_srtp_errors + st.tx_send_errors);
    atomic_store_explicit(&sh->last_rx, hn_webrtc_transport_last_rx(r->t), memory_order_relaxed);
}

static gboolean remote_sync(gpointer data)
{
    mirror(data);
    return G_SOURCE_CONTINUE;
}

static void r_connected(void *user, HnWebrtcTransport *t)
{
    Remote *r = user;
    mirror(r);
    atomic_store(&r->sh->connected, 1);
    post_event(r, TRUE, NULL);
}

static void r_failed(void *user, HnWebrtcTransport *t, const char *reason)
{
    Remote *r = user;
    atomic_store(&r->sh->connected, 0);
    post_event(r, FALSE, reason);
}

static void r_back(Remote *r, unsigned flag, const uint8_t *buf, size_t len)
{
    hn_worker_relay_push(r->remote, r->home, r->key << 2 | flag, buf, len, g_get_monotonic_time());
}

static void r_rtp(void *user, HnWebrtcTransport *t, uint8_t *buf, size_t len)
{
    r_back(user, FLAG_RTP, buf, len);
}

static void r_rtcp(void *user, HnWebrtcTransport *t, uint8_t *buf, size_t len)
{
    r_back(user, FLAG_RTCP, buf, len);
}

static const HnWebrtcTransportCallbacks remote_cb = {
    .on_connected = r_connected,
    .on_failed = r_failed,
    .on_rtp = r_rtp,
    .on_rtcp = r_rtcp,
};

/* A packet the home worker forwarded: protect it in the relay's slot and send. */
static void remote_deliver(void *user, const HnRelayPacket *pkt, int64_t now_us)
{
    Remote *r = user;
    if ((pkt->target & 3) == FLAG_RTCP)
        hn_webrtc_transport_send_rtcp(r->t, pkt->data, pkt->len);
    else
        hn_webrtc_transport_send_rtp_inplace(r->t, pkt->data, pkt->len, pkt->cap);
}

static void remote_open(Msg *m)
{
    Remote *r = g_new0(Remote, 1);
    r->home = m->home;
    r->remote = m->remote;
    r->key = m->key;
    r->t =
        hn_webrtc_transport_new_lite(hn_worker_context(m->remote), m->ice, hn_worker_mux(m->remote),
                                     m->cert, m->a, m->b, &remote_cb, r);
    if (!r->t) {
        post_event(r, FALSE, "cannot open the transport on its worker");
        g_free(r);
        return;
    }
    r->sh = m->sh; /* the message's reference is ours now */
    m->sh = NULL;
    r->sync = g_timeout_source_new(HN_SPREAD_LEG_SYNC_MS);
    g_source_set_callback(r->sync, remote_sync, r, NULL);
    g_source_attach(r->sync, hn_worker_context(m->remote));
    hn_worker_relay_register(m->remote, m->key, remote_deliver, r);
}

static void remote_free(Remote *r)
{
    hn_worker_relay_unregister(r->remote, r->key);
    g_source_destroy(r->sync);
    g_source_unref(r->sync);
    hn_webrtc_transport_free(r->t); /* no callback after this (closing) */
    shared_unref(r->sh);
    g_free(r);
}

static gboolean remote_call(gpointer data)
{
    Msg *m = data;
    if (m->type == MSG_OPEN) {
        remote_open(m);
        return G_SOURCE_REMOVE;
    }
    Remote *r = hn_worker_relay_find(m->remote, m->key, remote_deliver);
    if (!r)
        return G_SOURCE_REMOVE; /* its opening failed (reported) */
    switch (m->type) {
    case MSG_SET_REMOTE:
        if (hn_webrtc_transport_set_remote(r->t, m->a, m->b, m->c, m->d, m->flag) < 0)
            post_event(r, FALSE, "DTLS set-up failed");
        break;
    case MSG_RESTART:
        if (hn_webrtc_transport_restart_ice_with(r->t, m->a, m->b) < 0)
            post_event(r, FALSE, "ICE restart failed");
        break;
    case MSG_AUDIO:
        hn_webrtc_transport_mark_audio(r->t, m->ssrc);
        break;
    case MSG_FREE:
        remote_free(r);
        break;
    default:
        break;
    }
    return G_SOURCE_REMOVE;
}

static void post_remote(Proxy *p, Msg *m)
{
    hn_worker_invoke(p->remote, remote_call, m, msg_free);
}

/* --- the proxy leg (home worker) ------------------------------------------------------------ */

static void leg_send_rtp(HnLeg *leg, uint8_t *buf, size_t len, size_t cap)
{
    Proxy *p = (Proxy *)leg;
    if (!atomic_load_explicit(&p->sh->connected, memory_order_relaxed))
        return; /* as a transport before DTLS is up: nothing to send yet */
    if (hn_worker_relay_push(p->home, p->remote, p->key << 2 | FLAG_RTP, buf, len,
                             g_get_monotonic_time()) < 0)
        p->push_errors++;
}

static void leg_send_rtcp(HnLeg *leg, const uint8_t *buf, size_t len)
{
    Proxy *p = (Proxy *)leg;
    if (!atomic_load_explicit(&p->sh->connected, memory_order_relaxed))
        return;
    if (hn_worker_relay_push(p->home, p->remote, p->key << 2 | FLAG_RTCP, buf, len,
                             g_get_monotonic_time()) < 0)
        p->push_errors++;
}

static bool leg_is_connected(const HnLeg *leg)
{
    return atomic_load(&((const Proxy *)leg)->sh->connected) != 0;
}

static int64_t leg_last_rx(const HnLeg *leg)
{
    return atomic_load_explicit(&((const Proxy *)leg)->sh->last_rx, memory_order_relaxed);
}

static void leg_stats(const HnLeg *leg, HnLegStats *out)
{
    const Proxy *p = (const Proxy *)leg;
    const Shared *sh = p->sh;
    *out = (HnLegStats){
        .rx_packets = get_u64(&sh->rx_packets),
        .rx_bytes = get_u64(&sh->rx_bytes),
        .tx_packets = get_u64(&sh->tx_packets),
        .tx_bytes = get_u64(&sh->tx_bytes),
        .rx_errors = get_u64(&sh->rx_errors),
        .tx_errors = get_u64(&sh->tx_errors) + p->push_errors,
    };
}

static void leg_mark_audio(HnLeg *leg, uint32_t ssrc)
{
    Proxy *p = (Proxy *)leg;
    Msg *m = msg_new(MSG_AUDIO, p->home, p->remote, p->key);
    m->ssrc = ssrc;
    post_remote(p, m);
}

static void leg_destroy(HnLeg *leg)
{
    Proxy *p = (Proxy *)leg;
    hn_worker_relay_unregister(p->home, p->key); /* nothing reaches p after this */
    post_remote(p, msg_new(MSG_FREE, p->home, p->remote, p->key));
    shared_unref(p->sh);
    g_free(p);
}

static void leg_flush(HnLeg *leg)
{
    hn_worker_relay_flush(((Proxy *)leg)->home);
}

static const HnLegClass spread_leg_class = {
    .name = "spread",
    .send_rtp = leg_send_rtp,
    .send_rtcp = leg_send_rtcp,
    .is_connected = leg_is_connected,
    .last_rx_us = leg_last_rx,
    .get_stats = leg_stats,
    .destroy = leg_destroy,
    .mark_audio = leg_mark_audio,
    .flush = leg_flush,
};

static int draw_credentials(Proxy *p)
{
    if (hn_ice_random_string(p->ufrag, HN_ICE_CRED_UFRAG_LEN) != 0 ||
        hn_ice_random_string(p->pwd, HN_ICE_CRED_PWD_LEN) != 0) {
        g_warning("spread leg: cannot make ICE credentials (OpenSSL RAND_bytes failed)");
        return -EIO;
    }
    return 0;
}

HnLeg *hn_spread_leg_new(HnWorker *home, HnWorker *remote, const HnIceSettings *ice, HnCert *cert)
{
    g_return_val_if_fail(home != remote && hn_worker_mux(remote) != NULL, NULL);
    Proxy *p = g_new0(Proxy, 1);
    p->base.cls = &spread_leg_class;
    p->base.kind = HN_LEG_RELAY;
    p->home = home;
    p->remote = remote;
    p->key = hn_worker_relay_key();
    if (draw_credentials(p) < 0) {
        g_free(p);
        return NULL;
    }
    p->sh = g_new0(Shared, 1);
    atomic_init(&p->sh->ref, 2); /* the proxy's and the remote side's (in the message) */
    hn_worker_relay_register(home, p->key, proxy_deliver, p);
    Msg *m = msg_new(MSG_OPEN, home, remote, p->key);
    m->sh = p->sh;
    m->ice = ice;
    m->cert = hn_cert_ref(cert);
    m->a = g_strdup(p->ufrag);
    m->b = g_strdup(p->pwd);
    post_remote(p, m);
    return &p->base;
}

gboolean hn_spread_leg_is(const HnLeg *leg)
{
    return leg && leg->cls == &spread_leg_class;
}

HnWorker *hn_spread_leg_worker(HnLeg *leg)
{
    return ((Proxy *)leg)->remote;
}

const char *hn_spread_leg_ufrag(HnLeg *leg)
{
    return ((Proxy *)leg)->ufrag;
}

const char *hn_spread_leg_pwd(HnLeg *leg)
{
    return ((Proxy *)leg)->pwd;
}

char *const *hn_spread_leg_candidates(HnLeg *leg)
{
    return hn_udp_mux_candidates(hn_worker_mux(((Proxy *)leg)->remote));
}

int hn_spread_leg_set_remote(HnLeg *leg, const char *ufrag, const char *pwd, const char *fp_alg,
                             const char *fp, gboolean dtls_server)
{
    Proxy *p = (Proxy *)leg;
    if (p->remote_set)
        return 0; /* renegotiated: as the transport, credentials already in place */
    if (!ufrag || !pwd || !fp_alg || !fp)
        return -EINVAL;
    p->remote_set = TRUE;
    Msg *m = msg_new(MSG_SET_REMOTE, p->home, p->remote, p->key);
    m->a = g_strdup(ufrag);
    m->b = g_strdup(pwd);
    m->c = g_strdup(fp_alg);
    m->d = g_strdup(fp);
    m->flag = dtls_server;
    post_remote(p, m);
    return 0;
}

int hn_spread_leg_restart_ice(HnLeg *leg)
{
    Proxy *p = (Proxy *)leg;
    if (draw_credentials(p) < 0)
        return -EIO;
    Msg *m = msg_new(MSG_RESTART, p->home, p->remote, p->key);
    m->a = g_strdup(p->ufrag);
    m->b = g_strdup(p->pwd);
    post_remote(p, m);
    return 0;
}

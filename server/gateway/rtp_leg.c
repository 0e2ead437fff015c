/* The RTP leg of a SIP room system: see rtp_leg.h. */
#include "gateway/rtp_leg.h"

#include <errno.h>
#include <string.h>

#include "gateway/transcode.h"
#include "transport/srtp.h"

typedef struct {
    HnRtpLeg *leg;
    HnKind kind;
    GSocket *sock[2]; /* RTP, RTCP (the same socket twice with rtcp-mux) */
    GSource *src[2];
    GSocketAddress *to[2]; /* where to send: the SDP's, then where packets come from */
    gboolean latched[2];
    gboolean mux;
    HnSrtp *srtp; /* NULL: plain RTP */
    uint32_t feedback;
    HnSdpPlainCodec codec;
    uint8_t pt;         /* the negotiated payload type */
    uint32_t opus_ssrc; /* transcoded audio: the Opus SSRC */
    HnTranscoder *tc;   /* G.711/G.722 -> Opus, NULL: published as is */
    gboolean held;      /* re-INVITE hold: nothing sent to the endpoint on this stream */
    gboolean mute_rx;   /* re-INVITE: the endpoint sends nothing (a=inactive / recvonly) */
} Stream;

struct HnRtpLeg {
    HnLeg base; /* first */
    GMainContext *ctx;
    Stream s[HN_RTP_LEG_MAX_STREAMS];
    size_t n;
    int64_t last_rx, started;
    int silence_s;
    HnLegStats stats;
    GSource *timer;
    HnRtpLegGoneFn gone; /* NULL once "timeout" was told */
    void *gone_user;
    uint64_t pid;
    int64_t last_info; /* the last "keyframe" told */
    gboolean connected, ended;
    HnSipMediaProvider provider;
    HnSipMediaCall call; /* provider's */
    HnSipMediaStream media[HN_RTP_LEG_MAX_STREAMS];
    HnInjectRing *ring; /* the transcoders' Opus back onto the worker; NULL: none */
    void *handle;
    char *room, *name;
};

/* pid -> HnRtpLeg*, of every started leg: an INFO key-frame request finds its leg on the
 * worker. A leg is added on the main thread and removed on its worker, under the lock; it is
 * used only on its own worker, where it cannot go away during the use. */
static GMutex legs_lock;
static GHashTable *legs_by_pid;

static void legs_put(HnRtpLeg *l)
{
    g_mutex_lock(&legs_lock);
    if (!legs_by_pid)
        legs_by_pid = g_hash_table_new(g_int64_hash, g_int64_equal);
    g_hash_table_insert(legs_by_pid, &l->pid, l);
    g_mutex_unlock(&legs_lock);
}

static void legs_remove(HnRtpLeg *l)
{
    g_mutex_lock(&legs_lock);
    if (legs_by_pid && g_hash_table_lookup(legs_by_pid, &l->pid) == l)
        g_hash_table_remove(legs_by_pid, &l->pid);
    g_mutex_unlock(&legs_lock);
}

typedef struct {
    uint64_t pid;
} KeyframeCmd;

static gboolean keyframe_run(gpointer data)
{
    KeyframeCmd *k = data;
    g_mutex_lock(&legs_lock);
    HnRtpLeg *l = legs_by_pid ? g_hash_table_lookup(legs_by_pid, &k->pid) : NULL;
    g_mutex_unlock(&legs_lock);
    /* on l's worker: only this thread destroys it */
    if (l && l->handle && l->provider.keyframe)
        l->provider.keyframe(l->handle);
    return G_SOURCE_REMOVE;
}

void hn_rtp_leg_keyframe_by_pid(HnWorker *worker, uint64_t pid)
{
    if (!worker)
        return;
    KeyframeCmd *k = g_new(KeyframeCmd, 1);
    k->pid = pid;
    hn_worker_invoke(worker, keyframe_run, k, g_free);
}

gboolean hn_rtp_ports_open(HnRtpPorts *p, const char *address, GError **error)
{
    memset(p, 0, sizeof *p);
    g_autoptr(GInetAddress) ia = g_inet_address_new_from_string(address);
    if (!ia) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad media address %s",
                    address);
        return FALSE;
    }
    GSocketFamily fam = g_inet_address_get_family(ia);
    for (int i = 0; i < 2; i++) {
        GSocket *s = g_socket_new(fam, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
        if (!s) {
            hn_rtp_ports_close(p);
            return FALSE;
        }
        g_socket_set_blocking(s, FALSE);
        g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(ia, 0);
        if (!g_socket_bind(s, sa, FALSE, error)) {
            g_object_unref(s);
            hn_rtp_ports_close(p);
            return FALSE;
        }
        g_autoptr(GSocketAddress) local = g_socket_get_local_address(s, NULL);
        uint16_t port = local ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local)) : 0;
        if (i == 0) {
            p->rtp = s;
            p->rtp_port = port;
        } else {
            p->rtcp = s;
            p->rtcp_port = port;
        }
    }
    return TRUE;
}

void hn_rtp_ports_close(HnRtpPorts *p)
{
    g_clear_object(&p->rtp);
    g_clear_object(&p->rtcp);
}

HnLeg *hn_rtp_leg_base(HnRtpLeg *leg)
{
    return &leg->base;
}

static void leg_sendto(Stream *s, int which, const uint8_t *buf, size_t len)
{
    HnRtpLeg *l = s->leg;
    int w = s->mux ? 0 : which;
    if (!s->to[w])
        return;
    GError *err = NULL;
    if (g_socket_send_to(s->sock[w], s->to[w], (const char *)buf, len, NULL, &err) < 0) {
        l->stats.tx_errors++;
        g_clear_error(&err);
        return;
    }
    l->stats.tx_packets++;
    l->stats.tx_bytes += len;
}

int hn_rtp_leg_send_kind(HnRtpLeg *l, HnKind kind, uint8_t *buf, size_t len, size_t cap)
{
    for (size_t i = 0; i < l->n; i++) {
        Stream *s = &l->s[i];
        if (s->kind != kind)
            continue;
        if (s->held)
            return 0; /* on hold: dropped, not an error */
        if (s->srtp && hn_srtp_protect_rtp(s->srtp, buf, &len, cap) < 0) {
            l->stats.tx_errors++;
            return -EIO;
        }
        leg_sendto(s, 0, buf, len);
        return 0;
    }
    return -ENOENT;
}

int hn_sip_media_send(HnSipMediaOut *out, HnKind kind, uint8_t *buf, size_t len, size_t cap)
{
    return hn_rtp_leg_send_kind((HnRtpLeg *)out, kind, buf, len, cap);
}

int hn_sip_media_send_rtcp(HnSipMediaOut *out, HnKind kind, uint8_t *buf, size_t len, size_t cap)
{
    HnRtpLeg *l = (HnRtpLeg *)out;
    for (size_t i = 0; i < l->n; i++) {
        Stream *s = &l->s[i];
        if (s->kind != kind)
            continue;
        if (s->srtp && hn_srtp_protect_rtcp(s->srtp, buf, &len, cap) < 0) {
            l->stats.tx_errors++;
            return -EIO;
        }
        leg_sendto(s, 1, buf, len); /* the RTCP port, or the RTP one with rtcp-mux */
        return 0;
    }
    return -ENOENT;
}

static void tell(HnRtpLeg *l, const char *what);

/* RTCP payload types 192-223 (RFC 5761 section 4): what a muxed socket tells apart. */
static gboolean is_rtcp(const uint8_t *b, size_t len)
{
    return len >= 8 && b[1] >= 192 && b[1] <= 223;
}

/* An RTCP PLI or FIR from the endpoint asks for a picture refresh. */
static gboolean wants_keyframe(const uint8_t *b, size_t len)
{
    size_t off = 0;
    while (off + 4 <= len) {
        uint8_t pt = b[off + 1], fmt = b[off] & 0x1f;
        size_t words = ((size_t)b[off + 2] << 8 | b[off + 3]) + 1;
        if ((pt == 206 && (fmt == 1 || fmt == 4)) || pt == 192)
            return TRUE;
        off += words * 4;
    }
    return FALSE;
}

static gboolean addr_equal(GSocketAddress *a, GSocketAddress *b)
{
    if (!G_IS_INET_SOCKET_ADDRESS(a) || !G_IS_INET_SOCKET_ADDRESS(b))
        return FALSE;
    GInetSocketAddress *x = G_INET_SOCKET_ADDRESS(a), *y = G_INET_SOCKET_ADDRESS(b);
    return g_inet_socket_address_get_port(x) == g_inet_socket_address_get_port(y) &&
           g_inet_address_equal(g_inet_socket_address_get_address(x),
                                g_inet_socket_address_get_address(y));
}

static gboolean on_readable(GSocket *sock, GIOCondition cond, gpointer data)
{
    Stream *s = data;
    HnRtpLeg *l = s->leg;
    int which = sock == s->sock[0] ? 0 : 1;
    uint8_t buf[2048];
    for (int k = 0; k < 64 && !l->ended; k++) {
        GSocketAddress *from = NULL;
        gssize n = g_socket_receive_from(sock, &from, (char *)buf, sizeof buf - 64, NULL, NULL);
        if (n <= 0) {
            if (from)
                g_object_unref(from);
            break;
        }
        size_t len = (size_t)n;
        gboolean rtcp = which == 1 || (s->mux && is_rtcp(buf, len));
        int w = s->mux ? 0 : which;
        if (len < (rtcp ? 8u : 12u) || (buf[0] >> 6) != 2) {
            l->stats.rx_errors++;
            g_object_unref(from);
            continue;
        }
        int rc = !s->srtp ? 0
                 : rtcp   ? hn_srtp_unprotect_rtcp(s->srtp, buf, &len)
                          : hn_srtp_unprotect_rtp(s->srtp, buf, &len);
        if (rc < 0) {
            l->stats.rx_errors++;
            g_object_unref(from);
            continue;
        }
        /* comedia: answer to where authentic packets come from */
        if (!s->latched[w] || !s->to[w] || !addr_equal(from, s->to[w])) {
            if (s->to[w])
                g_object_unref(s->to[w]);
            s->to[w] = g_object_ref(from);
            s->latched[w] = TRUE;
        }
        g_object_unref(from);
        l->stats.rx_packets++;
        l->stats.rx_bytes += len;
        l->last_rx = g_get_monotonic_time();
        if (!l->connected) {
            l->connected = TRUE;
            if (l->base.events && l->base.events->on_connected)
                l->base.events->on_connected(l->base.owner, &l->base);
        }
        if (!rtcp && s->tc) {
            if ((buf[1] & 0x7f) == s->pt) /* not telephone-event */
                hn_transcoder_push(s->tc, buf, len);
        } else if (rtcp) {
            if (s->kind == HN_KIND_VIDEO && l->handle && l->provider.keyframe &&
                wants_keyframe(buf, len))
                l->provider.keyframe(l->handle);
            hn_leg_emit_rtcp(&l->base, buf, len);
        } else {
            hn_leg_emit_rtp(&l->base, buf, len);
        }
    }
    return G_SOURCE_CONTINUE;
}

/* The router's separate streams of the other participants: a room system shows one picture,
 * which the media provider sends (hn_sip_media_send). Counted, not sent. */
static void leg_send_rtp(HnLeg *leg, uint8_t *buf, size_t len, size_t cap)
{
    (void)leg, (void)buf, (void)len, (void)cap;
}

/* The router's RTCP: receiver reports and the browsers' key-frame requests (PLI/FIR) for the
 * endpoint's video, to the endpoint's RTCP address of the video stream (else the first). */
static void leg_send_rtcp(HnLeg *leg, const uint8_t *buf, size_t len)
{
    HnRtpLeg *l = (HnRtpLeg *)leg;
    if (l->n == 0 || len > 1400)
        return;
    Stream *s = &l->s[0];
    for (size_t i = 0; i < l->n; i++)
        if (l->s[i].kind == HN_KIND_VIDEO)
            s = &l->s[i];
    /* an endpoint without RTCP feedback gets its key-frame requests as SIP INFO */
    if (s->kind == HN_KIND_VIDEO && !(s->feedback & (HN_FB_PLI | HN_FB_FIR)) && l->gone &&
        wants_keyframe(buf, len)) {
        int64_t now = g_get_monotonic_time();
        if (now - l->last_info >= G_USEC_PER_SEC) {
            l->last_info = now;
            tell(l, "keyframe");
        }
    }
    uint8_t tmp[1500];
    memcpy(tmp, buf, len);
    size_t n = len;
    if (s->srtp && hn_srtp_protect_rtcp(s->srtp, tmp, &n, sizeof tmp) < 0) {
        l->stats.tx_errors++;
        return;
    }
    leg_sendto(s, 1, tmp, n);
}

static bool leg_is_connected(const HnLeg *leg)
{
    return ((const HnRtpLeg *)leg)->connected;
}

static int64_t leg_last_rx_us(const HnLeg *leg)
{
    return ((const HnRtpLeg *)leg)->last_rx;
}

static void leg_get_stats(const HnLeg *leg, HnLegStats *out)
{
    *out = ((const HnRtpLeg *)leg)->stats;
}

static void leg_destroy(HnLeg *leg)
{
    HnRtpLeg *l = (HnRtpLeg *)leg;
    l->ended = TRUE;
    legs_remove(l);
    if (l->handle && l->provider.stop)
        l->provider.stop(l->handle);
    l->handle = NULL;
    if (l->ring)
        hn_inject_ring_close(l->ring); /* nothing is delivered to l after this */
    for (size_t i = 0; i < l->n; i++)
        hn_transcoder_free(l->s[i].tc); /* stopped on a thread of their own */
    hn_inject_ring_unref(l->ring);
    if (l->timer) {
        g_source_destroy(l->timer);
        g_source_unref(l->timer);
    }
    for (size_t i = 0; i < l->n; i++) {
        Stream *s = &l->s[i];
        for (int w = 0; w < 2; w++) {
            if (s->src[w]) {
                g_source_destroy(s->src[w]);
                g_source_unref(s->src[w]);
            }
            if (s->to[w])
                g_object_unref(s->to[w]);
            if (s->sock[w])
                g_object_unref(s->sock[w]);
        }
        hn_srtp_free(s->srtp);
    }
    for (size_t i = 0; i < HN_RTP_LEG_MAX_STREAMS; i++)
        g_free((char *)l->media[i].fmtp);
    g_free(l->room);
    g_free(l->name);
    g_free(l);
}

static const HnLegClass rtp_leg_class = {
    .name = "rtp",
    .send_rtp = leg_send_rtp,
    .send_rtcp = leg_send_rtcp,
    .is_connected = leg_is_connected,
    .last_rx_us = leg_last_rx_us,
    .get_stats = leg_get_stats,
    .destroy = leg_destroy,
};

/* The transcoders' Opus RTP, on the worker: into the room as the leg's. */
static void ring_deliver(void *user, const HnInjectPacket *pkt, int64_t now_us)
{
    HnRtpLeg *l = user;
    (void)now_us;
    hn_leg_emit_rtp(&l->base, pkt->data, pkt->len);
}

typedef struct {
    HnRtpLegGoneFn fn;
    void *user;
    uint64_t pid;
    const char *what;
} GoneMsg;

static gboolean gone_run(gpointer data)
{
    GoneMsg *m = data;
    m->fn(m->user, m->pid, m->what);
    return G_SOURCE_REMOVE;
}

static void tell(HnRtpLeg *l, const char *what)
{
    GoneMsg *m = g_new(GoneMsg, 1);
    *m = (GoneMsg){l->gone, l->gone_user, l->pid, what};
    g_main_context_invoke_full(NULL, G_PRIORITY_DEFAULT, gone_run, m, g_free);
}

/* Every second on the worker: the provider starts once the leg is in its room; an endpoint
 * silent for silence_s is gone (the SIP side sends BYE and the participant leaves). */
static gboolean tick(gpointer data)
{
    HnRtpLeg *l = data;
    int64_t now = g_get_monotonic_time();
    if (!l->handle && l->provider.start && l->base.events) {
        l->call.out = (HnSipMediaOut *)l;
        l->call.pid = l->pid; /* the participant: "p<pid>" */
        l->handle = l->provider.start(l->provider.user, &l->call);
        l->provider.start = NULL; /* once */
    }
    int64_t since = l->last_rx ? l->last_rx : l->started;
    gboolean all_quiet = l->n > 0; /* every stream put on hold both ways: silence is expected */
    for (size_t i = 0; i < l->n; i++)
        all_quiet = all_quiet && l->s[i].mute_rx;
    if (all_quiet)
        l->last_rx = now;
    if (l->gone && !all_quiet && now - since > (int64_t)l->silence_s * G_USEC_PER_SEC) {
        tell(l, "timeout");
        l->gone = NULL;
    }
    return G_SOURCE_CONTINUE;
}

static const char *encoding_name(HnSdpPlainCodec c)
{
    switch (c) {
    case HN_SDP_PLAIN_CODEC_OPUS:
        return "opus";
    case HN_SDP_PLAIN_CODEC_G722:
        return "G722";
    case HN_SDP_PLAIN_CODEC_PCMU:
        return "PCMU";
    case HN_SDP_PLAIN_CODEC_PCMA:
        return "PCMA";
    case HN_SDP_PLAIN_CODEC_H264:
        return "H264";
    case HN_SDP_PLAIN_CODEC_VP8:
        return "VP8";
    default:
        return "";
    }
}

static GSocketAddress *sockaddr(const HnSdpConn *c, uint16_t port)
{
    if (!c->addr[0] || port == 0)
        return NULL;
    g_autoptr(GInetAddress) ia = g_inet_address_new_from_string(c->addr);
    return ia ? g_inet_socket_address_new(ia, port) : NULL;
}

HnRtpLeg *hn_rtp_leg_new(GMainContext *ctx, const HnRtpLegStreamInit *init, size_t n, int silence_s,
                         uint64_t pid, HnRtpLegGoneFn gone, void *gone_user, GError **error)
{
    HnRtpLeg *l = g_new0(HnRtpLeg, 1);
    l->base.cls = &rtp_leg_class;
    l->base.kind = HN_LEG_RTP;
    l->ctx = ctx;
    l->silence_s = silence_s > 0 ? silence_s : 30;
    l->gone = gone;
    l->gone_user = gone_user;
    l->pid = pid;
    l->started = g_get_monotonic_time();
    for (size_t i = 0; i < n && i < HN_RTP_LEG_MAX_STREAMS; i++) {
        const HnSdpPlainStream *neg = init[i].neg;
        Stream *s = &l->s[l->n++];
        s->leg = l;
        s->kind = neg->kind;
        s->mux = neg->rtcp_mux;
        s->feedback = neg->feedback;
        s->codec = neg->codec;
        s->pt = neg->pt;
        s->opus_ssrc = init[i].opus_ssrc;
        s->sock[0] = g_object_ref(init[i].ports.rtp);
        s->sock[1] = g_object_ref(init[i].ports.rtcp);
        s->to[0] = sockaddr(&neg->remote, neg->remote_port);
        s->to[1] = sockaddr(&neg->remote_rtcp, neg->remote_rtcp_port);
        if (neg->srtp) {
            HnSrtpKeys k = {.profile = HN_SRTP_AES128_CM_SHA1_80, .key_len = 30};
            if (neg->remote_key.suite != HN_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80 ||
                !init[i].local_key) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                            "SRTP suite not supported");
                leg_destroy(&l->base);
                return NULL;
            }
            memcpy(k.local_key, init[i].local_key->key, 30);
            memcpy(k.remote_key, neg->remote_key.key, 30);
            s->srtp = hn_srtp_new(&k, error);
            memset(&k, 0, sizeof k);
            if (!s->srtp) {
                leg_destroy(&l->base);
                return NULL;
            }
        }
        HnSipMediaStream *m = &l->media[i];
        m->kind = neg->kind;
        m->encoding = encoding_name(neg->codec);
        m->pt = neg->pt;
        m->clock_rate = neg->clock_rate;
        m->fmtp = g_strdup(neg->fmtp); /* neg is the answer's: gone after the INVITE */
        m->feedback = neg->feedback;
        m->max_kbps = neg->max_kbps;
    }
    return l;
}

void hn_rtp_leg_start(HnRtpLeg *l, const HnSipMediaProvider *p, const char *room, const char *name)
{
    if (p)
        l->provider = *p;
    l->room = g_strdup(room);
    l->name = g_strdup(name);
    l->call.room = l->room;
    l->call.name = l->name;
    l->call.streams = l->media;
    l->call.n_streams = l->n;
    for (size_t i = 0; i < l->n; i++) {
        Stream *s = &l->s[i];
        for (int w = 0; w < 2; w++) {
            if (w == 1 && s->mux)
                break;
            s->src[w] = g_socket_create_source(s->sock[w], G_IO_IN, NULL);
            g_source_set_callback(s->src[w], (GSourceFunc)(GCallback)on_readable, s, NULL);
            g_source_attach(s->src[w], l->ctx);
        }
    }
    l->timer = g_timeout_source_new(1000);
    g_source_set_callback(l->timer, tick, l, NULL);
    g_source_attach(l->timer, l->ctx);
    legs_put(l);
    for (size_t i = 0; i < l->n; i++) {
        Stream *s = &l->s[i];
        if (s->kind != HN_KIND_AUDIO || !hn_transcoder_handles(s->codec))
            continue;
        g_autoptr(GError) err = NULL;
        if (!l->ring)
            l->ring = hn_inject_ring_new(l->ctx, 256, ring_deliver, l, &err);
        if (l->ring)
            hn_inject_ring_set_max_age(l->ring, HN_INJECT_MAX_AGE_US);
        if (l->ring)
            s->tc = hn_transcoder_new(s->codec, s->pt, s->opus_ssrc, l->ring, l, 0, &err);
        if (!s->tc)
            g_warning("sip: %s: no %s to Opus transcoding: %s", room, l->media[i].encoding,
                      err ? err->message : "?");
    }
}

typedef struct {
    uint64_t pid;
    HnRtpLegUpdate u[HN_RTP_LEG_MAX_STREAMS];
    size_t n;
} UpdateCmd;

/* Points the stream's RTP (w 0) or RTCP (w 1) at a new address: sent there until packets come
 * from elsewhere (comedia again). */
static void retarget(Stream *s, int w, const HnSdpConn *c, uint16_t port)
{
    GSocketAddress *to = sockaddr(c, port);
    if (!to)
        return;
    if (s->to[w] && addr_equal(to, s->to[w])) {
        g_object_unref(to);
        return;
    }
    if (s->to[w])
        g_object_unref(s->to[w]);
    s->to[w] = to;
    s->latched[w] = FALSE;
}

static gboolean update_run(gpointer data)
{
    UpdateCmd *u = data;
    g_mutex_lock(&legs_lock);
    HnRtpLeg *l = legs_by_pid ? g_hash_table_lookup(legs_by_pid, &u->pid) : NULL;
    g_mutex_unlock(&legs_lock);
    if (!l) /* on l's worker: only this thread destroys it */
        return G_SOURCE_REMOVE;
    gboolean resumed = FALSE;
    for (size_t i = 0; i < u->n && i < l->n; i++) {
        Stream *s = &l->s[i];
        const HnRtpLegUpdate *up = &u->u[i];
        if (s->held && up->send && s->kind == HN_KIND_VIDEO)
            resumed = TRUE;
        s->held = !up->send;
        s->mute_rx = !up->receive;
        if (up->send) {
            retarget(s, 0, &up->remote, up->remote_port);
            if (!s->mux)
                retarget(s, 1, &up->remote_rtcp, up->remote_rtcp_port);
        }
    }
    l->last_rx = g_get_monotonic_time(); /* the silence count starts again */
    if (resumed && l->handle && l->provider.keyframe)
        l->provider.keyframe(l->handle); /* the picture resumes with a key frame */
    return G_SOURCE_REMOVE;
}

void hn_rtp_leg_update_by_pid(HnWorker *worker, uint64_t pid, const HnRtpLegUpdate *u, size_t n)
{
    if (!worker)
        return;
    UpdateCmd *c = g_new0(UpdateCmd, 1);
    c->pid = pid;
    c->n = MIN(n, (size_t)HN_RTP_LEG_MAX_STREAMS);
    memcpy(c->u, u, c->n * sizeof *u);
    hn_worker_invoke(worker, update_run, c, g_free);
}

#include "transport/udp_mux.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <stun/stunagent.h>
#include <stun/usages/ice.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "transport/ice.h"
#include "transport/rx_age.h"

#define RX_BATCH   32  /* datagrams per recvmmsg */
#define RX_BUDGET  256 /* datagrams per socket and dispatch, so timers get their turn */
#define TX_QUEUE   64  /* datagrams queued before a sendmmsg */
#define MAX_SOCKS  16
#define CONN_PATHS 4 /* checked remote addresses remembered per connection */
#define CONN_AUDIO 4 /* audio SSRCs a connection keeps to the full bound (rx_age.h) */
#define SOCK_BUF   (4 * 1024 * 1024) /* send buffer */
#define UFRAG_LEN  HN_ICE_CRED_UFRAG_LEN
#define PWD_LEN    HN_ICE_CRED_PWD_LEN
/* SO_TIMESTAMPNS (every datagram) and SO_RXQ_OVFL (once the kernel has dropped some) */
#define CTRL_LEN (CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(uint32_t)))

/* A remote transport address seen on one of our sockets, as a hash key (zero padded). */
typedef struct {
    uint8_t sock;
    uint8_t family;
    uint16_t port;
    uint8_t addr[16];
} MuxKey;

typedef union {
    struct sockaddr sa;
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
} MuxAddr;

typedef struct {
    MuxKey key;
    MuxAddr addr;
    socklen_t len;
    gboolean used;
} MuxPath;

struct HnUdpMuxConn {
    HnUdpMux *mux;
    char ufrag[UFRAG_LEN + 1];
    char pwd[PWD_LEN + 1];
    HnUdpMuxConnCallbacks cb;
    void *user;
    MuxPath paths[CONN_PATHS];
    int selected; /* index in paths, -1: none */
    gboolean nominated;
    gboolean restarting;        /* new credentials: the first check that passes selects its path */
    guint next_slot;            /* round robin for replacing paths */
    uint32_t audio[CONN_AUDIO]; /* SSRCs shed last when the worker is behind (0: free) */
    guint next_audio;
};

typedef struct {
    int fd;
    gpointer tag;
    uint32_t drops_seen; /* SO_RXQ_OVFL counter */
} MuxSock;

typedef struct {
    GSource src;
    HnUdpMux *mux;
} MuxSource;

struct HnUdpMux {
    GMainContext *ctx;
    MuxSource *source;
    MuxSock socks[MAX_SOCKS];
    guint n_socks;
    guint16 port;
    char **candidates;
    GHashTable *by_ufrag; /* char* -> HnUdpMuxConn* */
    GHashTable *by_addr;  /* MuxKey* (in a conn's paths) -> HnUdpMuxConn* */
    StunAgent stun;
    HnUdpMuxConn *validating; /* set by the STUN validater for the request being handled */
    HnUdpMuxStats stats;
    int64_t bound_ns; /* delay bound on received media, 0: none */
    HnRxDelayStats delay;
    HnHsBudget hs; /* new DTLS handshakes' share of this worker's time */
    /* receive batch */
    struct mmsghdr rmsg[RX_BATCH];
    struct iovec riov[RX_BATCH];
    MuxAddr raddr[RX_BATCH];
    uint8_t rctrl[RX_BATCH][CTRL_LEN];
    uint8_t rbuf[RX_BATCH][HN_UDP_MUX_DATAGRAM_MAX];
    /* send queue */
    guint tn;
    struct mmsghdr tmsg[TX_QUEUE];
    struct iovec tiov[TX_QUEUE];
    MuxAddr taddr[TX_QUEUE];
    uint8_t tsock[TX_QUEUE];
    uint8_t tbuf[TX_QUEUE][HN_UDP_MUX_DATAGRAM_MAX];
};

static const uint16_t known_attributes[] = {
    STUN_ATTRIBUTE_USERNAME,
    STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
    STUN_ATTRIBUTE_ERROR_CODE,
    STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES,
    STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
    STUN_ATTRIBUTE_PRIORITY,
    STUN_ATTRIBUTE_USE_CANDIDATE,
    STUN_ATTRIBUTE_FINGERPRINT,
    STUN_ATTRIBUTE_ICE_CONTROLLED,
    STUN_ATTRIBUTE_ICE_CONTROLLING,
    0,
};

/* --- keys ---------------------------------------------------------------------------------- */

static void make_key(MuxKey *k, guint sock, const MuxAddr *a)
{
    memset(k, 0, sizeof *k);
    k->sock = (uint8_t)sock;
    k->family = (uint8_t)a->sa.sa_family;
    if (a->sa.sa_family == AF_INET) {
        k->port = a->v4.sin_port;
        memcpy(k->addr, &a->v4.sin_addr, 4);
    } else {
        k->port = a->v6.sin6_port;
        memcpy(k->addr, &a->v6.sin6_addr, 16);
    }
}

static guint key_hash(gconstpointer p)
{
    const MuxKey *k = p;
    guint h = (guint)k->sock * 31u + k->port;
    for (int i = 0; i < 16; i++)
        h = h * 33u + k->addr[i];
    return h;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(MuxKey)) == 0;
}

/* --- sending ------------------------------------------------------------------------------- */

/* Sends the queued run [from, to) that shares one socket; a datagram the kernel refuses is
 * dropped and counted, the rest still go. */
static void send_run(HnUdpMux *m, guint from, guint to)
{
    int fd = m->socks[m->tsock[from]].fd;
    while (from < to) {
        int n = sendmmsg(fd, &m->tmsg[from], to - from, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
                m->stats.tx_dropped += to - from; /* socket buffer full: shed this batch */
                return;
            }
            m->stats.tx_dropped++; /* this datagram (bad address, too big): skip it */
            from++;
            continue;
        }
        m->stats.tx_datagrams += (guint)n;
        from += (guint)n;
    }
}

void hn_udp_mux_flush(HnUdpMux *m)
{
    guint i = 0;
    while (i < m->tn) {
        guint j = i + 1;
        while (j < m->tn && m->tsock[j] == m->tsock[i])
            j++;
        send_run(m, i, j);
        m->stats.tx_batches++;
        i = j;
    }
    m->tn = 0;
}

static uint8_t *queue_slot(HnUdpMux *m)
{
    if (m->tn == TX_QUEUE)
        hn_udp_mux_flush(m);
    return m->tbuf[m->tn];
}

static void queue_commit(HnUdpMux *m, guint sock, const MuxAddr *to, socklen_t to_len, size_t len)
{
    guint i = m->tn++;
    m->taddr[i] = *to;
    m->tsock[i] = (uint8_t)sock;
    m->tiov[i].iov_base = m->tbuf[i];
    m->tiov[i].iov_len = len;
    m->tmsg[i].msg_hdr = (struct msghdr){
        .msg_name = &m->taddr[i],
        .msg_namelen = to_len,
        .msg_iov = &m->tiov[i],
        .msg_iovlen = 1,
    };
}

/* --- connectivity checks ------------------------------------------------------------------- */

static bool validater(StunAgent *agent, StunMessage *msg, uint8_t *username, uint16_t username_len,
                      uint8_t **password, size_t *password_len, void *user)
{
    HnUdpMux *m = user;
    char local[UFRAG_LEN + 1];
    const uint8_t *colon = memchr(username, ':', username_len);
    if (!colon || colon - username != UFRAG_LEN)
        return false;
    memcpy(local, username, UFRAG_LEN);
    local[UFRAG_LEN] = '\0';
    HnUdpMuxConn *c = g_hash_table_lookup(m->by_ufrag, local);
    if (!c)
        return false;
    m->validating = c;
    *password = (uint8_t *)c->pwd;
    *password_len = PWD_LEN;
    return true;
}

static void forget_path(HnUdpMuxConn *c, int i)
{
    if (!c->paths[i].used)
        return;
    g_hash_table_remove(c->mux->by_addr, &c->paths[i].key);
    c->paths[i].used = FALSE;
    if (c->selected == i) {
        c->selected = -1;
        c->nominated = FALSE;
    }
}

/* The path of c for key, added (taken from another connection if need be) when new. */
static int add_path(HnUdpMuxConn *c, const MuxKey *key, const MuxAddr *from, socklen_t from_len)
{
    for (int i = 0; i < CONN_PATHS; i++) {
        if (c->paths[i].used && key_equal(&c->paths[i].key, key))
            return i;
    }
    HnUdpMuxConn *other = g_hash_table_lookup(c->mux->by_addr, key);
    if (other) {
        for (int i = 0; i < CONN_PATHS; i++) {
            if (other->paths[i].used && key_equal(&other->paths[i].key, key))
                forget_path(other, i);
        }
    }
    int slot = -1;
    for (int i = 0; i < CONN_PATHS && slot < 0; i++) {
        if (!c->paths[i].used)
            slot = i;
    }
    while (slot < 0) {
        int i = (int)(c->next_slot++ % CONN_PATHS);
        if (i != c->selected) {
            forget_path(c, i);
            slot = i;
        }
    }
    MuxPath *p = &c->paths[slot];
    p->key = *key;
    p->addr = *from;
    p->len = from_len;
    p->used = TRUE;
    g_hash_table_insert(c->mux->by_addr, &p->key, c);
    return slot;
}

static void handle_stun(HnUdpMux *m, guint sock, uint8_t *buf, size_t len, const MuxAddr *from,
                        socklen_t from_len)
{
    StunMessage req;
    m->validating = NULL;
    StunValidationStatus vs = stun_agent_validate(&m->stun, &req, buf, len, validater, m);
    HnUdpMuxConn *c = m->validating;
    if (vs != STUN_VALIDATION_SUCCESS || !c || stun_message_get_class(&req) != STUN_REQUEST ||
        stun_message_get_method(&req) != STUN_BINDING) {
        m->stats.rx_stun_rejected++;
        return;
    }
    m->stats.rx_stun_requests++;
    StunMessage resp;
    uint8_t *out = queue_slot(m);
    size_t n = HN_UDP_MUX_DATAGRAM_MAX;
    bool control = false; /* a lite agent is always controlled */
    struct sockaddr_storage src;
    memset(&src, 0, sizeof src);
    memcpy(&src, from, from_len);
    /* The lowest tie-breaker: a full agent that also thinks it is controlled gets 487 (Role
     * Conflict, RFC 8445 section 7.3.1.1) and takes the controlling role, as it must with a lite
     * peer. */
    StunUsageIceReturn r =
        stun_usage_ice_conncheck_create_reply(&m->stun, &req, &resp, out, &n, &src, from_len,
                                              &control, 0, STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
    if (n > 0 && (r == STUN_USAGE_ICE_RETURN_SUCCESS || r == STUN_USAGE_ICE_RETURN_ROLE_CONFLICT))
        queue_commit(m, sock, from, from_len, n);
    if (r != STUN_USAGE_ICE_RETURN_SUCCESS || control)
        return; /* role conflict answered with 487: the peer checks again as controlling */
    MuxKey key;
    make_key(&key, sock, from);
    int i = add_path(c, &key, from, from_len);
    gboolean use = stun_usage_ice_conncheck_use_candidate(&req);
    if (i == c->selected && !c->restarting) {
        c->nominated = c->nominated || use;
        return;
    }
    if (c->restarting) {
        c->restarting = FALSE;
        m->stats.ice_restart_paths++;
    } else if (c->selected >= 0 && c->nominated && !use)
        return; /* a nominated path stays until another is nominated */
    c->selected = i;
    c->nominated = use;
    if (c->cb.on_selected)
        c->cb.on_selected(c->user);
}

/* --- receiving ----------------------------------------------------------------------------- */

static gboolean is_stun(const uint8_t *p, size_t len)
{
    /* RFC 7983: first byte 0..3; RFC 5389 magic cookie */
    return len >= 20 && p[0] < 4 && p[4] == 0x21 && p[5] == 0x12 && p[6] == 0xA4 && p[7] == 0x42;
}

/* The datagram's kernel receive stamp (ns, CLOCK_REALTIME; 0 when absent), and the kernel's drop
 * counter when it came along. */
static int64_t read_control(HnUdpMux *m, MuxSock *s, struct msghdr *mh)
{
    int64_t stamp = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        if (c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            stamp = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        } else if (c->cmsg_type == SO_RXQ_OVFL) {
            uint32_t v;
            memcpy(&v, CMSG_DATA(c), sizeof v);
            m->stats.rx_kernel_drops += (uint32_t)(v - s->drops_seen);
            s->drops_seen = v;
        }
    }
    return stamp;
}

static gboolean is_audio(const HnUdpMuxConn *c, const uint8_t *p, size_t len)
{
    if (len < 12)
        return FALSE;
    uint32_t ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
    for (guint i = 0; i < CONN_AUDIO; i++)
        if (c->audio[i] && c->audio[i] == ssrc)
            return TRUE;
    return FALSE;
}

/* RTP/RTCP that waited more than half the bound: drop it (TRUE, counted) when it is past the
 * bound (late: never forwarded late; STUN and DTLS have no age limit), or when it is video (RTP
 * of an SSRC not marked audio) and so shed first, so that audio gets the time left. */
static gboolean shed_late(HnUdpMux *m, const HnUdpMuxConn *c, const uint8_t *p, size_t len,
                          gboolean past_bound)
{
    if (past_bound) {
        m->stats.rx_late++;
        return TRUE;
    }
    gboolean rtcp = p[1] >= 192 && p[1] <= 223; /* RFC 5761 */
    if (rtcp || is_audio(c, p, len))
        return FALSE;
    m->stats.rx_shed_video++;
    return TRUE;
}

static void drain(HnUdpMux *m, guint si)
{
    MuxSock *s = &m->socks[si];
    for (guint total = 0; total < RX_BUDGET;) {
        for (guint i = 0; i < RX_BATCH; i++) {
            m->riov[i].iov_base = m->rbuf[i];
            m->riov[i].iov_len = HN_UDP_MUX_DATAGRAM_MAX;
            m->rmsg[i].msg_hdr = (struct msghdr){
                .msg_name = &m->raddr[i],
                .msg_namelen = sizeof m->raddr[i],
                .msg_iov = &m->riov[i],
                .msg_iovlen = 1,
                .msg_control = m->rctrl[i],
                .msg_controllen = CTRL_LEN,
            };
        }
        int n = recvmmsg(s->fd, m->rmsg, RX_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            return;
        total += (guint)n;
        int64_t now = g_get_monotonic_time();
        /* The kernel stamps in CLOCK_REALTIME: one read of it per batch, one compare per datagram
         */
        struct timespec rt;
        clock_gettime(CLOCK_REALTIME, &rt);
        int64_t now_rt = (int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec;
        /* behind by half the bound: video is shed first, audio and RTCP kept to the bound */
        int64_t shed = hn_rx_cutoff(now_rt, m->bound_ns / 2);
        int64_t cutoff = hn_rx_cutoff(now_rt, m->bound_ns);
        for (int i = 0; i < n; i++) {
            struct msghdr *mh = &m->rmsg[i].msg_hdr;
            size_t len = m->rmsg[i].msg_len;
            uint8_t *buf = m->rbuf[i];
            m->stats.rx_datagrams++;
            int64_t stamp = mh->msg_controllen ? read_control(m, s, mh) : 0;
            if (i == 0 && stamp) /* the oldest of the batch: the socket is FIFO */
                hn_rx_delay_record(&m->delay, (now_rt - stamp) / 1000);
            if (mh->msg_flags & MSG_TRUNC)
                continue;
            if (is_stun(buf, len)) {
                handle_stun(m, si, buf, len, &m->raddr[i], mh->msg_namelen);
                continue;
            }
            MuxKey key;
            make_key(&key, si, &m->raddr[i]);
            HnUdpMuxConn *c = g_hash_table_lookup(m->by_addr, &key);
            if (!c) {
                m->stats.rx_unknown_source++;
                continue;
            }
            if (G_UNLIKELY(hn_rx_is_late(stamp, shed)) && hn_rx_is_media(buf, len) &&
                shed_late(m, c, buf, len, stamp < cutoff)) {
                if (c->cb.on_heard) /* shed the packet, not the participant */
                    c->cb.on_heard(c->user, now);
                continue;
            }
            if (c->cb.on_data)
                c->cb.on_data(c->user, buf, len, now);
        }
        if (n < RX_BATCH)
            return;
    }
}

static gboolean source_prepare(GSource *src, gint *timeout)
{
    HnUdpMux *m = ((MuxSource *)src)->mux;
    if (m && m->tn)
        hn_udp_mux_flush(m); /* what timers and other sources queued in this loop turn */
    *timeout = -1;
    return FALSE;
}

static gboolean source_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    HnUdpMux *m = ((MuxSource *)src)->mux;
    for (guint i = 0; i < m->n_socks; i++) {
        if (g_source_query_unix_fd(src, m->socks[i].tag) & (G_IO_IN | G_IO_ERR))
            drain(m, i);
    }
    hn_udp_mux_flush(m);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs source_funcs = {.prepare = source_prepare, .dispatch = source_dispatch};

/* --- sockets ------------------------------------------------------------------------------- */

/* Root may go beyond net.core.rmem_max; others get what the limit allows. */
static void set_rcvbuf(int fd, int size)
{
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

static int open_socket(const char *ip, guint16 port, guint16 *bound, GError **error)
{
    MuxAddr a;
    socklen_t len;
    memset(&a, 0, sizeof a);
    if (inet_pton(AF_INET, ip, &a.v4.sin_addr) == 1) {
        a.v4.sin_family = AF_INET;
        a.v4.sin_port = htons(port);
        len = sizeof a.v4;
    } else if (inet_pton(AF_INET6, ip, &a.v6.sin6_addr) == 1) {
        a.v6.sin6_family = AF_INET6;
        a.v6.sin6_port = htons(port);
        len = sizeof a.v6;
    } else {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: not an IP address", ip);
        return -1;
    }
    int fd = socket(a.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "UDP socket for %s: %s", ip,
                    g_strerror(errno));
        return -1;
    }
    int one = 1, size = SOCK_BUF;
    if (a.sa.sa_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    set_rcvbuf(fd, hn_rx_buffer_bytes(HN_RX_DELAY_DEFAULT_MS, HN_RX_PEAK_DEFAULT_MBPS));
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    if (bind(fd, &a.sa, len) < 0 || getsockname(fd, &a.sa, &len) < 0) {
        int e = errno;
        close(fd);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "UDP %s port %u: %s", ip, port,
                    g_strerror(e));
        return -1;
    }
    *bound = ntohs(a.sa.sa_family == AF_INET ? a.v4.sin_port : a.v6.sin6_port);
    return fd;
}

static gboolean is_loopback(const char *ip)
{
    return g_str_has_prefix(ip, "127.") || strcmp(ip, "::1") == 0;
}

/* RFC 8445 section 5.1.2.1: host type preference 126, one local preference per address. */
static char *candidate_line(guint index, const char *foundation_suffix, const char *ip,
                            guint16 port)
{
    guint32 prio = (126u << 24) | ((65535u - index) << 8) | 255u;
    return g_strdup_printf("candidate:%u%s 1 udp %u %s %u typ host", index + 1, foundation_suffix,
                           prio, ip, port);
}

HnUdpMux *hn_udp_mux_new(GMainContext *ctx, char *const *ips, guint16 port, const char *public_ip,
                         GError **error)
{
    HnUdpMux *m = g_new0(HnUdpMux, 1);
    m->ctx = ctx ? g_main_context_ref(ctx) : NULL;
    m->bound_ns = (int64_t)HN_RX_DELAY_DEFAULT_MS * 1000000;
    hn_hs_budget_init(&m->hs, HN_HS_BUDGET_DEFAULT_PCT, g_get_monotonic_time());
    m->by_ufrag = g_hash_table_new(g_str_hash, g_str_equal);
    m->by_addr = g_hash_table_new(key_hash, key_equal);
    stun_agent_init(&m->stun, known_attributes, STUN_COMPATIBILITY_RFC5389,
                    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);
    GPtrArray *cands = g_ptr_array_new();
    m->source = (MuxSource *)g_source_new(&source_funcs, sizeof(MuxSource));
    m->source->mux = m;
    g_source_set_name(&m->source->src, "hn-udp-mux");
    for (char *const *ip = ips; ip && *ip; ip++) {
        if (m->n_socks == MAX_SOCKS) {
            g_warning("udp mux: more than %d local addresses, %s and later ones unused", MAX_SOCKS,
                      *ip);
            break;
        }
        guint16 want = port ? port : m->port, bound = 0;
        int fd = open_socket(*ip, want, &bound, error);
        if (fd < 0 && !port && want) {
            g_clear_error(error); /* the first socket's port is taken on this address */
            fd = open_socket(*ip, 0, &bound, error);
        }
        if (fd < 0) {
            g_ptr_array_add(cands, NULL);
            g_strfreev((char **)g_ptr_array_free(cands, FALSE));
            hn_udp_mux_free(m);
            return NULL;
        }
        if (!m->port)
            m->port = bound;
        MuxSock *s = &m->socks[m->n_socks];
        s->fd = fd;
        s->tag = g_source_add_unix_fd(&m->source->src, fd, G_IO_IN | G_IO_ERR);
        g_ptr_array_add(cands, candidate_line(m->n_socks, "", *ip, bound));
        if (public_ip && strchr(*ip, ':') == NULL && !is_loopback(*ip))
            g_ptr_array_add(cands, candidate_line(m->n_socks, "p", public_ip, bound));
        m->n_socks++;
    }
    g_ptr_array_add(cands, NULL);
    m->candidates = (char **)g_ptr_array_free(cands, FALSE);
    if (m->n_socks == 0) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                            "no local IP address to open a media socket on");
        hn_udp_mux_free(m);
        return NULL;
    }
    if (ctx)
        g_source_attach(&m->source->src, ctx);
    return m;
}

void hn_udp_mux_attach(HnUdpMux *m, GMainContext *ctx)
{
    g_return_if_fail(g_source_get_context(&m->source->src) == NULL && !m->ctx);
    m->ctx = g_main_context_ref(ctx);
    g_source_attach(&m->source->src, ctx);
}

void hn_udp_mux_free(HnUdpMux *m)
{
    if (!m)
        return;
    if (g_hash_table_size(m->by_ufrag))
        g_warning("udp mux freed with %u connections", g_hash_table_size(m->by_ufrag));
    if (m->source) {
        m->source->mux = NULL;
        g_source_destroy(&m->source->src);
        g_source_unref(&m->source->src);
    }
    for (guint i = 0; i < m->n_socks; i++)
        close(m->socks[i].fd);
    g_strfreev(m->candidates);
    g_hash_table_destroy(m->by_ufrag);
    g_hash_table_destroy(m->by_addr);
    if (m->ctx)
        g_main_context_unref(m->ctx);
    g_free(m);
}

char *const *hn_udp_mux_candidates(const HnUdpMux *m)
{
    return m->candidates;
}

guint16 hn_udp_mux_port(const HnUdpMux *m)
{
    return m->port;
}

void hn_udp_mux_get_stats(const HnUdpMux *m, HnUdpMuxStats *out)
{
    *out = m->stats;
    out->hs_admitted = m->hs.admitted;
    out->hs_deferred = m->hs.deferred;
    out->hs_us = (uint64_t)m->hs.spent_us;
}

void hn_udp_mux_set_handshake_budget(HnUdpMux *m, guint pct)
{
    HnHsBudget keep = m->hs;
    hn_hs_budget_init(&m->hs, pct, g_get_monotonic_time());
    m->hs.admitted = keep.admitted;
    m->hs.deferred = keep.deferred;
    m->hs.spent_us = keep.spent_us;
}

HnHsBudget *hn_udp_mux_hs_budget(HnUdpMux *m)
{
    return &m->hs;
}

void hn_udp_mux_set_rx_bound(HnUdpMux *m, guint max_delay_ms, guint peak_mbps)
{
    m->bound_ns = (int64_t)max_delay_ms * 1000000;
    int size = hn_rx_buffer_bytes(max_delay_ms ? max_delay_ms : HN_RX_DELAY_DEFAULT_MS, peak_mbps);
    for (guint i = 0; i < m->n_socks; i++)
        set_rcvbuf(m->socks[i].fd, size);
}

void hn_udp_mux_get_delay(const HnUdpMux *m, HnRxDelayStats *out)
{
    *out = m->delay;
}

int64_t hn_udp_mux_take_delay(HnUdpMux *m)
{
    int64_t d = m->delay.window_max_us;
    m->delay.window_max_us = 0;
    return d;
}

/* --- connections --------------------------------------------------------------------------- */

/* Fresh credentials into ufrag/pwd, or given ones checked: -EIO (CSPRNG), -EINVAL (bad length),
 * -EEXIST (a given ufrag in use on m). */
static int conn_credentials(HnUdpMux *m, const char *want_ufrag, const char *want_pwd,
                            char ufrag[UFRAG_LEN + 1], char pwd[PWD_LEN + 1])
{
    if (want_ufrag || want_pwd) {
        if (!want_ufrag || !want_pwd || strlen(want_ufrag) != UFRAG_LEN ||
            strlen(want_pwd) != PWD_LEN)
            return -EINVAL;
        if (g_hash_table_contains(m->by_ufrag, want_ufrag))
            return -EEXIST;
        memcpy(ufrag, want_ufrag, UFRAG_LEN + 1);
        memcpy(pwd, want_pwd, PWD_LEN + 1);
        return 0;
    }
    int rc;
    do {
        rc = hn_ice_random_string(ufrag, UFRAG_LEN);
    } while (rc == 0 && g_hash_table_contains(m->by_ufrag, ufrag));
    if (rc == 0)
        rc = hn_ice_random_string(pwd, PWD_LEN);
    if (rc != 0) {
        g_warning("udp mux: cannot make ICE credentials (OpenSSL RAND_bytes failed)");
        return -EIO;
    }
    return 0;
}

HnUdpMuxConn *hn_udp_mux_conn_new_with(HnUdpMux *m, const HnUdpMuxConnCallbacks *cb, void *user,
                                       const char *ufrag, const char *pwd)
{
    HnUdpMuxConn *c = g_new0(HnUdpMuxConn, 1);
    c->mux = m;
    c->cb = *cb;
    c->user = user;
    c->selected = -1;
    if (conn_credentials(m, ufrag, pwd, c->ufrag, c->pwd) < 0) {
        g_free(c);
        return NULL;
    }
    g_hash_table_insert(m->by_ufrag, c->ufrag, c);
    return c;
}

HnUdpMuxConn *hn_udp_mux_conn_new(HnUdpMux *m, const HnUdpMuxConnCallbacks *cb, void *user)
{
    return hn_udp_mux_conn_new_with(m, cb, user, NULL, NULL);
}

int hn_udp_mux_conn_restart_with(HnUdpMuxConn *c, const char *want_ufrag, const char *want_pwd)
{
    HnUdpMux *m = c->mux;
    char ufrag[UFRAG_LEN + 1], pwd[PWD_LEN + 1];
    int rc = conn_credentials(m, want_ufrag, want_pwd, ufrag, pwd);
    if (rc < 0)
        return rc;
    g_hash_table_remove(m->by_ufrag, c->ufrag);
    memcpy(c->ufrag, ufrag, sizeof c->ufrag);
    memcpy(c->pwd, pwd, sizeof c->pwd);
    g_hash_table_insert(m->by_ufrag, c->ufrag, c);
    /* The old path keeps carrying datagrams until a check with the new credentials passes:
     * then, nominated or not, that check's path takes over (the peer moved). */
    c->nominated = FALSE;
    c->restarting = TRUE;
    m->stats.ice_restarts++;
    return 0;
}

int hn_udp_mux_conn_restart(HnUdpMuxConn *c)
{
    return hn_udp_mux_conn_restart_with(c, NULL, NULL);
}

void hn_udp_mux_conn_set_audio(HnUdpMuxConn *c, uint32_t ssrc)
{
    for (guint i = 0; i < CONN_AUDIO; i++)
        if (c->audio[i] == ssrc)
            return;
    c->audio[c->next_audio] = ssrc;
    c->next_audio = (c->next_audio + 1) % CONN_AUDIO;
}

void hn_udp_mux_conn_free(HnUdpMuxConn *c)
{
    if (!c)
        return;
    for (int i = 0; i < CONN_PATHS; i++)
        forget_path(c, i);
    g_hash_table_remove(c->mux->by_ufrag, c->ufrag);
    g_free(c);
}

const char *hn_udp_mux_conn_ufrag(const HnUdpMuxConn *c)
{
    return c->ufrag;
}

const char *hn_udp_mux_conn_pwd(const HnUdpMuxConn *c)
{
    return c->pwd;
}

gboolean hn_udp_mux_conn_has_path(const HnUdpMuxConn *c)
{
    return c->selected >= 0;
}

uint8_t *hn_udp_mux_conn_reserve(HnUdpMuxConn *c, size_t *cap)
{
    if (c->selected < 0) {
        c->mux->stats.tx_no_path++;
        return NULL;
    }
    *cap = HN_UDP_MUX_DATAGRAM_MAX;
    return queue_slot(c->mux);
}

void hn_udp_mux_conn_commit(HnUdpMuxConn *c, size_t len)
{
    if (c->selected < 0 || len > HN_UDP_MUX_DATAGRAM_MAX)
        return;
    const MuxPath *p = &c->paths[c->selected];
    queue_commit(c->mux, p->key.sock, &p->addr, p->len, len);
}

int hn_udp_mux_conn_send(HnUdpMuxConn *c, const uint8_t *buf, size_t len)
{
    size_t cap;
    if (len > HN_UDP_MUX_DATAGRAM_MAX)
        return -1;
    uint8_t *slot = hn_udp_mux_conn_reserve(c, &cap);
    if (!slot)
        return -1;
    memcpy(slot, buf, len);
    hn_udp_mux_conn_commit(c, len);
    return 0;
}

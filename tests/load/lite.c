#include "lite.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "stun.h"
#include "transport/srtp.h"

#define BATCH         32           /* datagrams per recvmmsg */
#define BUDGET        256          /* datagrams per dispatch, so pacing sources get their turn */
#define RX_MAX        1600         /* largest datagram read */
#define NOMINATE_WAIT (100 * 1000) /* us: start DTLS without USE-CANDIDATE */
#define ICE_TIMEOUT   (30 * G_USEC_PER_SEC) /* us: no check, or no DTLS, until then */
#define DTLS_RTO_MS   400                   /* first DTLS retransmission */
#define RCVBUF        (16 * 1024 * 1024)
#define REST_US       1000 /* a socket that had data is read again after this, not at once */
#define CTRL_LEN      (CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(struct timespec)))

/* A remote transport address, as a hash key. */
typedef struct {
    sa_family_t family;
    uint16_t port;
    uint8_t addr[16];
} AddrKey;

/* One per worker thread: the UDP socket every lite transport of that thread shares (one port,
 * like a single-port SFU), demultiplexed by the STUN USERNAME (our ufrag) and then by the
 * SFU's source address, and the receive buffers. */
typedef struct {
    GSource src;
    int fd;
    int refs;
    char ip[INET6_ADDRSTRLEN];
    int port;
    GHashTable *by_ufrag; /* char* (the lite's) -> LoadLite* */
    GHashTable *by_addr;  /* AddrKey* (the lite's) -> LoadLite* */
    uint32_t drops_seen;  /* SO_RXQ_OVFL counter of the socket */
    gpointer fd_tag;
    gboolean resting;     /* fd not watched: read again at the ready time */
    int64_t real_to_mono; /* CLOCK_REALTIME - CLOCK_MONOTONIC (ns), at this dispatch */
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_storage addrs[BATCH];
    uint8_t ctrl[BATCH][CTRL_LEN];
    uint8_t bufs[BATCH][RX_MAX];
} LiteLoop;

static __thread LiteLoop *tl_loop;
static uint64_t total_drops; /* atomic: datagrams the kernel dropped on lite sockets */

struct LoadLite {
    LiteLoop *loop;
    GSource *timer; /* DTLS and ICE time-outs, until connected */
    char ufrag[9], pwd[25];
    char candidate[128];
    HnCert *cert;
    LoadLiteCallbacks cb;
    void *user;
    HnDtls *dtls;
    HnSrtp *srtp;
    struct sockaddr_storage remote;
    socklen_t remote_len;
    AddrKey key; /* remote as registered in by_addr (family 0: none) */
    gboolean nominated, dtls_started, connected, failed, closing;
    int64_t first_check_us, deadline_us;
    HnWebrtcTransportStats stats;
    uint8_t out[RX_MAX + HN_SRTP_MAX_OVERHEAD];
};

static void lite_handle(LoadLite *l, uint8_t *buf, size_t len, int64_t arrival_ns);
static void on_stun(LoadLite *l, const uint8_t *buf, size_t len, const struct sockaddr *from,
                    socklen_t from_len);

/* --- addresses ---------------------------------------------------------------------------- */

static void addr_key(AddrKey *k, const struct sockaddr *sa)
{
    memset(k, 0, sizeof *k);
    k->family = sa->sa_family;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        k->port = a->sin_port;
        memcpy(k->addr, &a->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        k->port = a->sin6_port;
        memcpy(k->addr, &a->sin6_addr, 16);
    }
}

static guint addr_hash(gconstpointer p)
{
    const AddrKey *k = p;
    guint h = (guint)k->family * 31u + k->port;
    for (int i = 0; i < 16; i++)
        h = h * 31u + k->addr[i];
    return h;
}

static gboolean addr_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(AddrKey)) == 0;
}

/* --- the per-thread socket ---------------------------------------------------------------- */

/* Reads the cmsgs of one datagram: the drop counter (SO_RXQ_OVFL) and the kernel receive time
 * (SCM_TIMESTAMPNS, CLOCK_REALTIME) as CLOCK_MONOTONIC ns, or `fallback` when absent. */
static int64_t read_cmsgs(LiteLoop *loop, struct msghdr *mh, int64_t fallback)
{
    int64_t t = fallback;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        if (c->cmsg_type == SO_RXQ_OVFL) {
            uint32_t v;
            memcpy(&v, CMSG_DATA(c), sizeof v);
            if (v != loop->drops_seen)
                __atomic_add_fetch(&total_drops, (uint32_t)(v - loop->drops_seen),
                                   __ATOMIC_RELAXED);
            loop->drops_seen = v;
        } else if (c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            t = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - loop->real_to_mono;
        }
    }
    return t;
}

static void demux(LiteLoop *loop, uint8_t *buf, size_t len, struct sockaddr *from,
                  socklen_t from_len, int64_t arrival_ns)
{
    AddrKey k;
    addr_key(&k, from);
    LoadLite *l = g_hash_table_lookup(loop->by_addr, &k);
    if (len > 0 && buf[0] < 4) {
        char ufrag[sizeof l->ufrag];
        if (load_stun_username(buf, len, ufrag, sizeof ufrag))
            l = g_hash_table_lookup(loop->by_ufrag, ufrag);
        if (l)
            on_stun(l, buf, len, from, from_len);
        return;
    }
    if (l)
        lite_handle(l, buf, len, arrival_ns);
}

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Reads up to BUDGET datagrams; returns how many. */
static int drain(LiteLoop *loop)
{
    int64_t mono = clock_ns(CLOCK_MONOTONIC);
    loop->real_to_mono = clock_ns(CLOCK_REALTIME) - mono;
    int done = 0;
    while (done < BUDGET) {
        for (int k = 0; k < BATCH; k++) {
            loop->iov[k] = (struct iovec){loop->bufs[k], RX_MAX};
            loop->msgs[k].msg_hdr = (struct msghdr){
                .msg_name = &loop->addrs[k],
                .msg_namelen = sizeof loop->addrs[k],
                .msg_iov = &loop->iov[k],
                .msg_iovlen = 1,
                .msg_control = loop->ctrl[k],
                .msg_controllen = sizeof loop->ctrl[k],
            };
        }
        int m = recvmmsg(loop->fd, loop->msgs, BATCH, MSG_DONTWAIT, NULL);
        if (m <= 0)
            break;
        for (int k = 0; k < m; k++) {
            int64_t t = read_cmsgs(loop, &loop->msgs[k].msg_hdr, mono);
            demux(loop, loop->bufs[k], loop->msgs[k].msg_len, (struct sockaddr *)&loop->addrs[k],
                  loop->msgs[k].msg_hdr.msg_namelen, t);
        }
        done += m;
        if (m < BATCH)
            break;
    }
    return done;
}

/* Event mode (fd watched) while idle; once data came, rest mode: read every REST_US until a
 * read finds nothing. */
static gboolean loop_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    LiteLoop *loop = (LiteLoop *)src;
    int n = drain(loop);
    if (n > 0 && !loop->resting) {
        loop->resting = TRUE;
        g_source_modify_unix_fd(src, loop->fd_tag, 0);
    } else if (n == 0 && loop->resting) {
        loop->resting = FALSE;
        g_source_modify_unix_fd(src, loop->fd_tag, G_IO_IN);
    }
    g_source_set_ready_time(src, loop->resting ? g_get_monotonic_time() + REST_US : -1);
    return G_SOURCE_CONTINUE;
}

static void loop_finalize(GSource *src)
{
    LiteLoop *loop = (LiteLoop *)src;
    close(loop->fd);
    g_hash_table_destroy(loop->by_ufrag);
    g_hash_table_destroy(loop->by_addr);
}

static GSourceFuncs loop_funcs = {.dispatch = loop_dispatch, .finalize = loop_finalize};

/* A non-blocking UDP socket bound to ip:0 with a large receive buffer and drop counting. */
static int open_socket(const char *ip, int *port, GError **error)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        len = sizeof *v4;
    } else if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        len = sizeof *v6;
    } else {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad local IP '%s'", ip);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int size = RCVBUF, one = 1;
    if (fd >= 0) {
        /* Beyond net.core.rmem_max when allowed (CAP_NET_ADMIN), else up to it. */
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    }
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "UDP socket on %s: %s", ip,
                    g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(ss.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
    return fd;
}

static LiteLoop *loop_ref(GMainContext *ctx, const char *ip, GError **error)
{
    if (tl_loop && strcmp(tl_loop->ip, ip) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "one local IP per thread for lite transports");
        return NULL;
    }
    if (!tl_loop) {
        int port;
        int fd = open_socket(ip, &port, error);
        if (fd < 0)
            return NULL;
        LiteLoop *loop = (LiteLoop *)g_source_new(&loop_funcs, sizeof(LiteLoop));
        loop->fd = fd;
        loop->port = port;
        g_strlcpy(loop->ip, ip, sizeof loop->ip);
        loop->by_ufrag = g_hash_table_new(g_str_hash, g_str_equal);
        loop->by_addr = g_hash_table_new(addr_hash, addr_equal);
        loop->fd_tag = g_source_add_unix_fd(&loop->src, fd, G_IO_IN);
        g_source_attach(&loop->src, ctx);
        tl_loop = loop;
    }
    tl_loop->refs++;
    return tl_loop;
}

static void loop_unref(LiteLoop *loop)
{
    if (--loop->refs > 0)
        return;
    if (tl_loop == loop)
        tl_loop = NULL;
    g_source_destroy(&loop->src);
    g_source_unref(&loop->src);
}

uint64_t load_lite_socket_drops(void)
{
    return __atomic_load_n(&total_drops, __ATOMIC_RELAXED);
}

/* --- DTLS and timers ---------------------------------------------------------------------- */

static void fail(LoadLite *l, const char *reason)
{
    if (l->failed || l->closing)
        return;
    l->failed = TRUE;
    if (l->cb.on_failed)
        l->cb.on_failed(l->user, reason);
}

static void drop_timer(LoadLite *l)
{
    if (l->timer) {
        g_source_destroy(l->timer);
        g_source_unref(l->timer);
        l->timer = NULL;
    }
}

static void arm_timer(LoadLite *l)
{
    if (!l->timer)
        return;
    int64_t next = l->deadline_us;
    if (l->dtls)
        next = MIN(next, hn_dtls_next_timeout(l->dtls));
    if (!l->dtls_started && l->first_check_us)
        next = MIN(next, l->first_check_us + NOMINATE_WAIT);
    g_source_set_ready_time(l->timer, next == INT64_MAX ? -1 : next);
}

static void start_dtls(LoadLite *l, int64_t now)
{
    if (l->dtls_started || !l->dtls || !l->remote_len)
        return;
    l->dtls_started = TRUE;
    hn_dtls_start(l->dtls, now);
}

static gboolean timer_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    LoadLite *l = data;
    int64_t now = g_get_monotonic_time();
    g_source_set_ready_time(src, -1);
    if (l->closing || l->failed || l->connected)
        return G_SOURCE_CONTINUE;
    if (now >= l->deadline_us) {
        fail(l, l->first_check_us ? "DTLS handshake timed out"
                                  : "no ICE connectivity check from the SFU");
        return G_SOURCE_CONTINUE;
    }
    if (l->first_check_us && now >= l->first_check_us + NOMINATE_WAIT)
        start_dtls(l, now);
    if (l->dtls)
        hn_dtls_on_timeout(l->dtls, now);
    arm_timer(l);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_funcs = {.dispatch = timer_dispatch};

static void send_to_remote(LoadLite *l, const uint8_t *buf, size_t len)
{
    if (!l->remote_len ||
        sendto(l->loop->fd, buf, len, 0, (struct sockaddr *)&l->remote, l->remote_len) < 0) {
        l->stats.tx_send_errors++;
        return;
    }
    l->stats.tx_packets++;
    l->stats.tx_bytes += len;
}

static void dtls_send(void *user, const uint8_t *data, size_t len)
{
    send_to_remote(user, data, len);
}

static void dtls_connected(void *user, const HnSrtpKeys *keys)
{
    LoadLite *l = user;
    GError *err = NULL;
    l->srtp = hn_srtp_new(keys, &err);
    if (!l->srtp) {
        fail(l, err ? err->message : "SRTP set-up failed");
        g_clear_error(&err);
        return;
    }
    l->stats.srtp_profile = keys->profile;
    l->connected = TRUE;
    if (l->cb.on_connected && !l->closing)
        l->cb.on_connected(l->user);
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

/* --- receive ------------------------------------------------------------------------------ */

/* The SFU's checks choose the path: later packets from `from` are this transport's. */
static void bind_remote(LoadLite *l, const struct sockaddr *from, socklen_t from_len)
{
    if (l->key.family)
        g_hash_table_remove(l->loop->by_addr, &l->key);
    memcpy(&l->remote, from, from_len);
    l->remote_len = from_len;
    addr_key(&l->key, from);
    g_hash_table_replace(l->loop->by_addr, &l->key, l);
}

static void on_stun(LoadLite *l, const uint8_t *buf, size_t len, const struct sockaddr *from,
                    socklen_t from_len)
{
    LoadStunRequest req;
    l->stats.rx_packets++;
    l->stats.rx_bytes += len;
    if (load_stun_check_request(buf, len, l->ufrag, l->pwd, &req) != 1) {
        l->stats.rx_unknown++;
        return;
    }
    uint8_t resp[LOAD_STUN_RESPONSE_MAX];
    size_t n = load_stun_write_response(resp, &req, from, l->pwd);
    if (n == 0 || sendto(l->loop->fd, resp, n, 0, from, from_len) < 0)
        l->stats.tx_send_errors++;
    /* A nominated path replaces an earlier one; before any nomination the first checked path
     * is used. */
    if (!l->nominated && (req.use_candidate || !l->remote_len)) {
        bind_remote(l, from, from_len);
        l->nominated = req.use_candidate;
    }
    int64_t now = g_get_monotonic_time();
    if (!l->first_check_us) {
        l->first_check_us = now;
        l->deadline_us = now + ICE_TIMEOUT;
    }
    if (req.use_candidate)
        start_dtls(l, now);
    arm_timer(l);
}

static void lite_handle(LoadLite *l, uint8_t *buf, size_t len, int64_t arrival_ns)
{
    l->stats.rx_packets++;
    l->stats.rx_bytes += len;
    if (len == 0) {
        l->stats.rx_unknown++;
    } else if (buf[0] >= 20 && buf[0] <= 63) {
        if (l->dtls) {
            hn_dtls_handle(l->dtls, buf, len, g_get_monotonic_time());
            if (l->connected)
                drop_timer(l);
            else
                arm_timer(l);
        }
    } else if (buf[0] >= 128 && buf[0] <= 191 && len >= 12) {
        if (!l->srtp) {
            l->stats.rx_dropped_not_ready++;
            return;
        }
        gboolean rtcp = buf[1] >= 192 && buf[1] <= 223;
        size_t n = len;
        int rc = rtcp ? hn_srtp_unprotect_rtcp(l->srtp, buf, &n)
                      : hn_srtp_unprotect_rtp(l->srtp, buf, &n);
        if (rc < 0)
            l->stats.rx_srtp_errors++;
        else if (rtcp && l->cb.on_rtcp)
            l->cb.on_rtcp(l->user, buf, n);
        else if (!rtcp && l->cb.on_rtp)
            l->cb.on_rtp(l->user, buf, n, arrival_ns);
    } else {
        l->stats.rx_unknown++;
    }
}

/* --- public API ------------------------------------------------------------------------- */

static void random_ice_string(char *out, size_t n)
{
    static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (size_t i = 0; i < n; i++)
        out[i] = chars[g_random_int_range(0, (gint32)sizeof chars - 1)];
    out[n] = '\0';
}

LoadLite *load_lite_new(GMainContext *ctx, const char *local_ip, HnCert *cert,
                        const LoadLiteCallbacks *cb, void *user, GError **error)
{
    LiteLoop *loop = loop_ref(ctx, local_ip, error);
    if (!loop)
        return NULL;
    LoadLite *l = g_new0(LoadLite, 1);
    l->loop = loop;
    l->cert = hn_cert_ref(cert);
    l->cb = *cb;
    l->user = user;
    l->stats.srtp_profile = -1;
    l->deadline_us = g_get_monotonic_time() + ICE_TIMEOUT;
    do {
        random_ice_string(l->ufrag, sizeof l->ufrag - 1);
    } while (g_hash_table_contains(loop->by_ufrag, l->ufrag));
    random_ice_string(l->pwd, sizeof l->pwd - 1);
    g_hash_table_insert(loop->by_ufrag, l->ufrag, l);
    g_snprintf(l->candidate, sizeof l->candidate, "candidate:1 1 udp 2130706431 %s %d typ host",
               loop->ip, loop->port);
    l->timer = g_source_new(&timer_funcs, sizeof(GSource));
    g_source_set_callback(l->timer, NULL, l, NULL);
    g_source_attach(l->timer, ctx);
    arm_timer(l);
    return l;
}

const char *load_lite_ufrag(LoadLite *l)
{
    return l->ufrag;
}

const char *load_lite_pwd(LoadLite *l)
{
    return l->pwd;
}

void load_lite_start_gathering(LoadLite *l)
{
    if (!l->cb.on_candidate)
        return;
    l->cb.on_candidate(l->user, l->candidate);
    l->cb.on_candidate(l->user, NULL);
}

int load_lite_set_remote(LoadLite *l, const char *fp_alg, const char *fp)
{
    if (l->dtls)
        return 0;
    GError *err = NULL;
    l->dtls = hn_dtls_new(l->cert, HN_DTLS_CLIENT, fp_alg, fp, &dtls_callbacks, l, &err);
    if (!l->dtls) {
        g_clear_error(&err);
        return -EINVAL;
    }
    hn_dtls_set_initial_timeout(l->dtls, DTLS_RTO_MS);
    if (l->nominated)
        start_dtls(l, g_get_monotonic_time());
    arm_timer(l);
    return 0;
}

void load_lite_send_rtcp(LoadLite *l, const uint8_t *buf, size_t len)
{
    if (!l->srtp || l->closing || len > RX_MAX) {
        l->stats.tx_send_errors++;
        return;
    }
    memcpy(l->out, buf, len);
    size_t n = len;
    if (hn_srtp_protect_rtcp(l->srtp, l->out, &n, sizeof l->out) < 0) {
        l->stats.tx_srtp_errors++;
        return;
    }
    send_to_remote(l, l->out, n);
}

void load_lite_get_stats(const LoadLite *l, HnWebrtcTransportStats *out)
{
    *out = l->stats;
}

void load_lite_free(LoadLite *l)
{
    if (!l)
        return;
    if (l->dtls && l->connected)
        hn_dtls_close(l->dtls);
    l->closing = TRUE;
    g_hash_table_remove(l->loop->by_ufrag, l->ufrag);
    if (l->key.family)
        g_hash_table_remove(l->loop->by_addr, &l->key);
    drop_timer(l);
    hn_dtls_free(l->dtls);
    hn_srtp_free(l->srtp);
    hn_cert_unref(l->cert);
    loop_unref(l->loop);
    g_free(l);
}

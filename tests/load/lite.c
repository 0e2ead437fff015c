#include "lite.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
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
#define RCVBUF        (2 * 1024 * 1024)     /* per transport */
#define EPOLL_BATCH   64
#define REST_US       1000 /* a socket that had data is read again after this, not at once */
#define CTRL_LEN      (CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(struct timespec)))
#define CHECK_RTO     (100 * 1000) /* us between our checks of an ICE-lite SFU */
#define PRFLX_PRIO    ((110u << 24) | (65535u << 8) | 255u)

/* One per worker thread: an epoll set of the sockets of every lite transport of that thread
 * (one socket, so one port, per transport, as a browser has one per peer connection: an SFU that
 * serves every transport on one port tells them apart by address), watched by one GSource, and
 * the receive buffers. */
typedef struct {
    GSource src;
    int epfd;
    int refs;
    char ip[INET6_ADDRSTRLEN];
    gpointer fd_tag;
    gboolean resting;     /* epoll fd not watched: read again at the ready time */
    int64_t real_to_mono; /* CLOCK_REALTIME - CLOCK_MONOTONIC (ns), at this dispatch */
    struct epoll_event events[EPOLL_BATCH];
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
    int fd, port;
    uint32_t drops_seen; /* SO_RXQ_OVFL counter of the socket */
    GSource *timer;      /* DTLS and ICE time-outs, until connected */
    char ufrag[9], pwd[25];
    char candidate[128];
    HnCert *cert;
    LoadLiteCallbacks cb;
    void *user;
    HnDtls *dtls;
    HnSrtp *srtp;
    struct sockaddr_storage remote;
    socklen_t remote_len;
    gboolean nominated, dtls_started, connected, failed, closing;
    int64_t first_check_us, deadline_us;
    /* Facing an ICE-lite SFU we check (controlling, USE-CANDIDATE) one of its candidates. */
    gboolean remote_lite;
    char rufrag[257], rpwd[257];
    uint8_t check_txid[12];
    int64_t next_check_us;
    uint64_t tiebreaker;
    HnWebrtcTransportStats stats;
    uint8_t out[RX_MAX + HN_SRTP_MAX_OVERHEAD];
};

static void lite_handle(LoadLite *l, uint8_t *buf, size_t len, int64_t arrival_ns);
static void on_stun(LoadLite *l, const uint8_t *buf, size_t len, const struct sockaddr *from,
                    socklen_t from_len);

static gboolean same_addr(const struct sockaddr_storage *a, socklen_t alen,
                          const struct sockaddr *b, socklen_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

/* --- the per-thread socket ---------------------------------------------------------------- */

/* Reads the cmsgs of one datagram: the drop counter (SO_RXQ_OVFL) and the kernel receive time
 * (SCM_TIMESTAMPNS, CLOCK_REALTIME) as CLOCK_MONOTONIC ns, or `fallback` when absent. */
static int64_t read_cmsgs(LiteLoop *loop, LoadLite *l, struct msghdr *mh, int64_t fallback)
{
    int64_t t = fallback;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        if (c->cmsg_type == SO_RXQ_OVFL) {
            uint32_t v;
            memcpy(&v, CMSG_DATA(c), sizeof v);
            if (v != l->drops_seen)
                __atomic_add_fetch(&total_drops, (uint32_t)(v - l->drops_seen), __ATOMIC_RELAXED);
            l->drops_seen = v;
        } else if (c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            t = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - loop->real_to_mono;
        }
    }
    return t;
}

static void demux(LoadLite *l, uint8_t *buf, size_t len, struct sockaddr *from, socklen_t from_len,
                  int64_t arrival_ns)
{
    if (len > 0 && buf[0] < 4)
        on_stun(l, buf, len, from, from_len);
    else if (same_addr(&l->remote, l->remote_len, from, from_len))
        lite_handle(l, buf, len, arrival_ns);
    else
        l->stats.rx_unknown++;
}

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Reads up to BUDGET datagrams of one transport's socket; returns how many. */
static int drain_one(LiteLoop *loop, LoadLite *l, int64_t mono)
{
    int done = 0;
    while (done < BUDGET && !l->closing) {
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
        int m = recvmmsg(l->fd, loop->msgs, BATCH, MSG_DONTWAIT, NULL);
        if (m <= 0)
            break;
        for (int k = 0; k < m && !l->closing; k++) {
            int64_t t = read_cmsgs(loop, l, &loop->msgs[k].msg_hdr, mono);
            demux(l, loop->bufs[k], loop->msgs[k].msg_len, (struct sockaddr *)&loop->addrs[k],
                  loop->msgs[k].msg_hdr.msg_namelen, t);
        }
        done += m;
        if (m < BATCH)
            break;
    }
    return done;
}

/* Reads every socket epoll says is readable; returns how many datagrams. */
static int drain(LiteLoop *loop)
{
    int64_t mono = clock_ns(CLOCK_MONOTONIC);
    loop->real_to_mono = clock_ns(CLOCK_REALTIME) - mono;
    int n = epoll_wait(loop->epfd, loop->events, EPOLL_BATCH, 0);
    int done = 0;
    for (int i = 0; i < n; i++)
        done += drain_one(loop, loop->events[i].data.ptr, mono);
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
    close(loop->epfd);
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
        int epfd = epoll_create1(EPOLL_CLOEXEC);
        if (epfd < 0) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "epoll: %s",
                        g_strerror(errno));
            return NULL;
        }
        LiteLoop *loop = (LiteLoop *)g_source_new(&loop_funcs, sizeof(LiteLoop));
        loop->epfd = epfd;
        g_strlcpy(loop->ip, ip, sizeof loop->ip);
        loop->fd_tag = g_source_add_unix_fd(&loop->src, epfd, G_IO_IN);
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
    if (l->remote_lite && !l->nominated)
        next = MIN(next, l->next_check_us);
    g_source_set_ready_time(l->timer, next == INT64_MAX ? -1 : next);
}

static void start_dtls(LoadLite *l, int64_t now)
{
    if (l->dtls_started || !l->dtls || !l->remote_len)
        return;
    l->dtls_started = TRUE;
    hn_dtls_start(l->dtls, now);
}

static void send_check(LoadLite *l, int64_t now)
{
    uint8_t req[LOAD_STUN_REQUEST_MAX];
    char user[520];
    g_snprintf(user, sizeof user, "%s:%s", l->rufrag, l->ufrag);
    size_t n =
        load_stun_write_request(req, l->check_txid, user, l->rpwd, PRFLX_PRIO, l->tiebreaker, TRUE);
    if (n == 0 || sendto(l->fd, req, n, 0, (struct sockaddr *)&l->remote, l->remote_len) < 0)
        l->stats.tx_send_errors++;
    l->next_check_us = now + CHECK_RTO;
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
                : l->remote_lite  ? "no answer to our ICE checks from the SFU"
                                  : "no ICE connectivity check from the SFU");
        return G_SOURCE_CONTINUE;
    }
    if (l->remote_lite && !l->nominated && now >= l->next_check_us)
        send_check(l, now);
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
        sendto(l->fd, buf, len, 0, (struct sockaddr *)&l->remote, l->remote_len) < 0) {
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

/* The checks choose the path: later packets from `from` are this transport's. */
static void bind_remote(LoadLite *l, const struct sockaddr *from, socklen_t from_len)
{
    memset(&l->remote, 0, sizeof l->remote);
    memcpy(&l->remote, from, from_len);
    l->remote_len = from_len;
}

static void on_stun(LoadLite *l, const uint8_t *buf, size_t len, const struct sockaddr *from,
                    socklen_t from_len)
{
    LoadStunRequest req;
    l->stats.rx_packets++;
    l->stats.rx_bytes += len;
    if (l->remote_lite) {
        /* We are the checking side: only the answer to our check matters. */
        int r = load_stun_check_response(buf, len, l->check_txid, l->rpwd);
        if (r != 1) {
            l->stats.rx_unknown++;
            return;
        }
        if (!l->nominated) {
            int64_t now = g_get_monotonic_time();
            l->nominated = TRUE;
            l->first_check_us = now;
            start_dtls(l, now);
            arm_timer(l);
        }
        return;
    }
    if (load_stun_check_request(buf, len, l->ufrag, l->pwd, &req) != 1) {
        l->stats.rx_unknown++;
        return;
    }
    uint8_t resp[LOAD_STUN_RESPONSE_MAX];
    size_t n = load_stun_write_response(resp, &req, from, l->pwd);
    if (n == 0 || sendto(l->fd, resp, n, 0, from, from_len) < 0)
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
    l->fd = open_socket(local_ip, &l->port, error);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = l};
    if (l->fd < 0 || epoll_ctl(loop->epfd, EPOLL_CTL_ADD, l->fd, &ev) < 0) {
        if (l->fd >= 0) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "epoll: %s",
                        g_strerror(errno));
            close(l->fd);
        }
        loop_unref(loop);
        g_free(l);
        return NULL;
    }
    l->cert = hn_cert_ref(cert);
    l->cb = *cb;
    l->user = user;
    l->stats.srtp_profile = -1;
    l->deadline_us = g_get_monotonic_time() + ICE_TIMEOUT;
    random_ice_string(l->ufrag, sizeof l->ufrag - 1);
    random_ice_string(l->pwd, sizeof l->pwd - 1);
    g_snprintf(l->candidate, sizeof l->candidate, "candidate:1 1 udp 2130706431 %s %d typ host",
               loop->ip, l->port);
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

/* The candidate to check: the same IP as ours, else the first of our family that is loopback
 * only when we are. */
static gboolean pick_candidate(LoadLite *l, GPtrArray *candidates, struct sockaddr_storage *out,
                               socklen_t *out_len)
{
    gboolean found = FALSE,
             we_loop = g_str_has_prefix(l->loop->ip, "127.") || strcmp(l->loop->ip, "::1") == 0;
    for (guint i = 0; i < candidates->len; i++) {
        char **tok = g_strsplit(candidates->pdata[i], " ", 0);
        GInetSocketAddress *sa = NULL;
        if (g_strv_length(tok) >= 8 && g_ascii_strcasecmp(tok[2], "udp") == 0)
            sa = G_INET_SOCKET_ADDRESS(
                g_inet_socket_address_new_from_string(tok[4], (guint)atoi(tok[5])));
        gboolean same_ip = sa && strcmp(tok[4], l->loop->ip) == 0;
        gboolean is_loop = sa && (g_str_has_prefix(tok[4], "127.") || strcmp(tok[4], "::1") == 0);
        gboolean same_family =
            sa && (strchr(tok[4], ':') != NULL) == (strchr(l->loop->ip, ':') != NULL);
        if (sa && same_family && (same_ip || (!found && is_loop == we_loop))) {
            g_socket_address_to_native(G_SOCKET_ADDRESS(sa), out, sizeof *out, NULL);
            *out_len = (socklen_t)g_socket_address_get_native_size(G_SOCKET_ADDRESS(sa));
            found = TRUE;
        }
        if (sa)
            g_object_unref(sa);
        g_strfreev(tok);
        if (same_ip)
            break;
    }
    return found;
}

int load_lite_set_remote_lite(LoadLite *l, const char *ufrag, const char *pwd,
                              GPtrArray *candidates)
{
    if (l->remote_lite)
        return 0;
    struct sockaddr_storage to;
    socklen_t to_len = 0;
    if (!ufrag || !pwd || !pick_candidate(l, candidates, &to, &to_len))
        return -EINVAL;
    l->remote_lite = TRUE;
    g_strlcpy(l->rufrag, ufrag, sizeof l->rufrag);
    g_strlcpy(l->rpwd, pwd, sizeof l->rpwd);
    for (size_t i = 0; i < sizeof l->check_txid; i++)
        l->check_txid[i] = (uint8_t)g_random_int();
    l->tiebreaker = ((uint64_t)g_random_int() << 32) | g_random_int();
    bind_remote(l, (struct sockaddr *)&to, to_len);
    send_check(l, g_get_monotonic_time());
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
    epoll_ctl(l->loop->epfd, EPOLL_CTL_DEL, l->fd, NULL);
    close(l->fd);
    drop_timer(l);
    hn_dtls_free(l->dtls);
    hn_srtp_free(l->srtp);
    hn_cert_unref(l->cert);
    loop_unref(l->loop);
    g_free(l);
}

/* One worker's media sockets, shared by every WebRTC transport of that worker (ICE-lite, RFC 8445
 * section 2.5): one UDP socket per local IP, all on one port. Datagrams are read in batches
 * (recvmmsg) and demultiplexed: STUN Binding requests by the USERNAME's first half (the local
 * ufrag of a connection), authenticated with that connection's password and answered here (STUN
 * from libnice's STUN usage library); everything else by its source address, which only a
 * successful check can bind to a connection. Sends are copied into a 64-slot queue and leave in
 * sendmmsg batches: when the queue is full, at the end of each dispatch of the mux's source (after
 * every readable socket has been drained: up to 256 datagrams per socket, read 32 per recvmmsg, so
 * several receive batches share one flush) and in the source's prepare, i.e. before the worker's
 * loop polls again (what timers and other sources queued in that loop turn). So one incoming
 * packet fanned out to N subscribers costs one system call per 64 datagrams instead of N.
 *
 * Why not libnice on the media path: one agent per transport means one socket per transport, so
 * every forwarded packet is one sendto() and every received one a GSource dispatch; the profile in
 * docs/benchmarks.md shows the kernel's per-call cost as the largest share of the server's CPU.
 *
 * Thread: everything on the worker thread of the context given at creation, except
 * hn_udp_mux_new and hn_udp_mux_free (any thread while that worker's loop is not using it). */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/hs_budget.h"
#include "transport/rx_age.h"

typedef struct HnUdpMux HnUdpMux;
typedef struct HnUdpMuxConn HnUdpMuxConn;

typedef struct {
    /* A connectivity check succeeded and chose the path datagrams are sent on (the first checked
     * path, then the nominated one). Called at every change of path. */
    void (*on_selected)(void *user);
    /* A non-STUN datagram from one of the connection's checked addresses; buf is the mux's,
     * valid during the call only, may be modified in place. now_us: monotonic time of the
     * batch. */
    void (*on_data)(void *user, uint8_t *buf, size_t len, int64_t now_us);
    /* RTP/RTCP from a checked address dropped unread because it was late (the delay bound): the
     * peer is alive even though its media is shed, so liveness (consent) must count it as
     * heard. NULL ok. */
    void (*on_heard)(void *user, int64_t now_us);
} HnUdpMuxConnCallbacks;

typedef struct {
    uint64_t rx_datagrams, rx_stun_requests, rx_stun_rejected, rx_unknown_source;
    uint64_t rx_kernel_drops; /* datagrams the kernel dropped: the receive buffer was full */
    uint64_t rx_late;       /* RTP/RTCP older than the delay bound, dropped (transport/rx_age.h) */
    uint64_t rx_shed_video; /* video RTP older than half the bound, dropped so audio keeps up */
    uint64_t tx_datagrams, tx_batches, tx_dropped, tx_no_path;
    uint64_t ice_restarts;      /* connections given new credentials (ICE restart) */
    uint64_t ice_restart_paths; /* restarted connections whose first new check chose a path */
    /* the handshake budget (hs_budget.h): new DTLS handshakes let in, first flights dropped for
     * the peer to retransmit, microseconds of handshake work */
    uint64_t hs_admitted, hs_deferred, hs_us;
} HnUdpMuxStats;

#define HN_UDP_MUX_DATAGRAM_MAX 1600 /* largest datagram read or queued */

/* Opens one socket per IP of ips (NULL-terminated, IPv4 or IPv6 literals), bound to port, or
 * with port 0 to a port the system chooses for the first IP and reused for the others when free.
 * public_ip (or NULL): an IPv4 address advertised as an extra host candidate beside every
 * non-loopback IPv4 socket, for a server behind 1:1 NAT. The sockets are watched on ctx, or, when
 * ctx is NULL, from hn_udp_mux_attach() on. transfer full; NULL with error set when a socket
 * cannot be opened. */
HnUdpMux *hn_udp_mux_new(GMainContext *ctx, char *const *ips, guint16 port, const char *public_ip,
                         GError **error);
/* Starts watching the sockets of a mux made with ctx NULL on ctx; call it on ctx's thread (a
 * worker attaches its own mux, so everything the opening thread wrote is ordered before the first
 * packet is read). Once only. */
void hn_udp_mux_attach(HnUdpMux *m, GMainContext *ctx);
/* Closes the sockets. Every connection must be freed before. NULL ok. */
void hn_udp_mux_free(HnUdpMux *m);
/* Local host candidates, "candidate:..." without "a=", NULL-terminated; transfer none. */
char *const *hn_udp_mux_candidates(const HnUdpMux *m);
/* The port of the first socket. */
guint16 hn_udp_mux_port(const HnUdpMux *m);
/* Sends every queued datagram now (normally done by the mux itself). */
void hn_udp_mux_flush(HnUdpMux *m);
void hn_udp_mux_get_stats(const HnUdpMux *m, HnUdpMuxStats *out);
/* The delay bound on received RTP/RTCP (0: none; default HN_RX_DELAY_DEFAULT_MS) and the receive
 * buffer sized for it: max_delay_ms of media at peak_mbps (hn_rx_buffer_bytes). Thread: the
 * worker's, or any before hn_udp_mux_attach. */
void hn_udp_mux_set_rx_bound(HnUdpMux *m, guint max_delay_ms, guint peak_mbps);
/* The share of the worker's time new DTLS handshakes may take (percent, 0 or 100: no limit;
 * default HN_HS_BUDGET_DEFAULT_PCT). Thread: as hn_udp_mux_set_rx_bound. */
void hn_udp_mux_set_handshake_budget(HnUdpMux *m, guint pct);
/* The worker's handshake budget, for its transports (transfer none). Thread: the worker's. */
HnHsBudget *hn_udp_mux_hs_budget(HnUdpMux *m);
/* Queueing delay of the sockets: per recvmmsg batch, its oldest datagram's time in the socket. */
void hn_udp_mux_get_delay(const HnUdpMux *m, HnRxDelayStats *out);
/* The largest batch queueing delay since the previous call (0: nothing read), in microseconds. */
int64_t hn_udp_mux_take_delay(HnUdpMux *m);

/* A connection (one transport) with fresh random ICE credentials (hn_ice_random_string:
 * OpenSSL's CSPRNG; the ufrag unique on this mux). transfer full; NULL (logged) when the CSPRNG
 * fails. */
HnUdpMuxConn *hn_udp_mux_conn_new(HnUdpMux *m, const HnUdpMuxConnCallbacks *cb, void *user);
/* ICE restart in place (RFC 8445 section 9): fresh random local credentials (the old ones stop
 * answering); the path in use keeps carrying datagrams until the first check with the new
 * credentials passes, whose source address then becomes the path (the peer's new address).
 * 0, or -EIO when the CSPRNG fails (the old credentials stay). */
int hn_udp_mux_conn_restart(HnUdpMuxConn *c);
/* The same two with credentials chosen by the caller (another thread, which writes the SDP:
 * one room across workers); ufrag and pwd of HN_ICE_CRED_UFRAG_LEN / _PWD_LEN characters. NULL
 * (new) or -EEXIST (restart) when the ufrag is in use on this mux, -EINVAL for a bad length. */
HnUdpMuxConn *hn_udp_mux_conn_new_with(HnUdpMux *m, const HnUdpMuxConnCallbacks *cb, void *user,
                                       const char *ufrag, const char *pwd);
int hn_udp_mux_conn_restart_with(HnUdpMuxConn *c, const char *ufrag, const char *pwd);
/* Marks ssrc as the peer's audio: when the worker is behind (a datagram waited more than half the
 * delay bound) other RTP (video) is shed first, audio and RTCP only at the bound. The last 4
 * marked are kept. */
void hn_udp_mux_conn_set_audio(HnUdpMuxConn *c, uint32_t ssrc);
/* Forgets the connection and its addresses. Not from within its own callbacks. NULL ok. */
void hn_udp_mux_conn_free(HnUdpMuxConn *c);
/* Local ICE credentials; transfer none, valid while c lives. */
const char *hn_udp_mux_conn_ufrag(const HnUdpMuxConn *c);
const char *hn_udp_mux_conn_pwd(const HnUdpMuxConn *c);
/* TRUE once a check has chosen a path. */
gboolean hn_udp_mux_conn_has_path(const HnUdpMuxConn *c);
/* Queues a copy of buf to the connection's path. -1 (counted) when there is no path yet. */
int hn_udp_mux_conn_send(HnUdpMuxConn *c, const uint8_t *buf, size_t len);
/* The same without the copy of hn_udp_mux_conn_send (the caller writes or copies the datagram
 * itself): a queue slot of *cap (HN_UDP_MUX_DATAGRAM_MAX) bytes to write a datagram
 * into, then hn_udp_mux_conn_commit(c, len) queues it. NULL (counted) when there is no path.
 * Nothing else may be sent on the mux between the two calls. */
uint8_t *hn_udp_mux_conn_reserve(HnUdpMuxConn *c, size_t *cap);
void hn_udp_mux_conn_commit(HnUdpMuxConn *c, size_t len);

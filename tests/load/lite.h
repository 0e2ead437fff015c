/* lite.h - a light receive-side WebRTC transport for hn-load's subscribers: ICE-lite (RFC 8445
 * section 2.5: one host candidate, answers the SFU's connectivity checks) facing a full-ICE SFU,
 * or the checking (controlling) side facing an ICE-lite SFU; DTLS client and SRTP from the
 * server's own sans-IO modules (transport/dtls.h, srtp.h). Each transport has its own UDP socket
 * (a port per peer connection, as browsers have); the sockets of a worker thread sit in one epoll
 * set behind one GSource and are read in batches with recvmmsg.
 *
 * Why: with one libnice agent per subscriber, every packet costs a GLib source dispatch (poll
 * over every socket of the worker, an eventfd write when the source is unblocked, one recvmsg),
 * which made hn-load as expensive per received packet as the SFU per forwarded packet. The SFU
 * sees the same thing either way: STUN checks, DTLS, SRTP, one address per peer connection.
 * (--sub-transport libnice keeps the libnice path.)
 *
 * Arrival times are the kernel's (SO_TIMESTAMPNS), so hn-load's own scheduling is not part of
 * the measured delay; that lets busy sockets be read every millisecond in batches instead of
 * at every datagram (an idle thread waits for readiness).
 *
 * Thread: everything on the worker thread whose context is given at creation. */
#pragma once

#include <glib.h>

#include "transport/webrtc_transport.h"

typedef struct LoadLite LoadLite;

/* Like HnWebrtcTransportCallbacks, with the kernel's receive time of each RTP packet. */
typedef struct {
    void (*on_candidate)(void *user, const char *candidate); /* NULL: gathering done */
    void (*on_connected)(void *user);
    void (*on_failed)(void *user, const char *reason);
    /* Decrypted RTP; arrival_ns: when the kernel received the datagram (CLOCK_MONOTONIC). */
    void (*on_rtp)(void *user, uint8_t *buf, size_t len, int64_t arrival_ns);
    void (*on_rtcp)(void *user, uint8_t *buf, size_t len);
} LoadLiteCallbacks;

/* A transport with its own socket on local_ip (any port), read by the calling worker thread's
 * epoll set. transfer full; NULL with error set when the socket cannot be opened (or another IP
 * was used on this thread before). */
LoadLite *load_lite_new(GMainContext *ctx, const char *local_ip, HnCert *cert,
                        const LoadLiteCallbacks *cb, void *user, GError **error);
const char *load_lite_ufrag(LoadLite *l);
const char *load_lite_pwd(LoadLite *l);
/* Delivers our single host candidate, then end-of-candidates, through on_candidate. */
void load_lite_start_gathering(LoadLite *l);
/* The SFU's DTLS fingerprint: we are the DTLS client (setup:active) and start the handshake
 * once the SFU's checks have chosen our candidate. 0 or -EINVAL (bad fingerprint). */
int load_lite_set_remote(LoadLite *l, const char *fp_alg, const char *fp);
/* The SFU is ICE-lite (a=ice-lite): we take the controlling role and check one of its
 * candidates (the one with our own IP, else the first of our address family, loopback only when
 * we are on loopback) with USE-CANDIDATE until it answers, then start DTLS. Call after
 * load_lite_set_remote. 0, or -EINVAL when no candidate fits. */
int load_lite_set_remote_lite(LoadLite *l, const char *ufrag, const char *pwd,
                              GPtrArray *candidates);
void load_lite_send_rtcp(LoadLite *l, const uint8_t *buf, size_t len);
void load_lite_get_stats(const LoadLite *l, HnWebrtcTransportStats *out);
/* Sends DTLS close_notify, closes the socket and frees l. NULL ok. Not from its callbacks. */
void load_lite_free(LoadLite *l);

/* Datagrams the kernel dropped on lite sockets since start (receive buffer full: hn-load fell
 * behind), all threads. Any thread. */
uint64_t load_lite_socket_drops(void);

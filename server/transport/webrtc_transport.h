/* One WebRTC transport (one RTCPeerConnection's bundled 5-tuple): ICE (a libnice agent with one
 * component, or an ICE-lite connection on the worker's shared sockets), a DTLS endpoint and an
 * SRTP session. It decrypts what arrives and hands plain RTP
 * and RTCP to its owner; it encrypts and sends what its owner gives it. All on one worker
 * thread (the context given at creation); no function may be called from another thread. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "transport/cert.h"
#include "transport/dtls.h"
#include "transport/ice.h"
#include "transport/udp_mux.h"

typedef struct HnWebrtcTransport HnWebrtcTransport;

typedef struct {
    /* A local candidate to trickle ("candidate:..."), or NULL when gathering is done. */
    void (*on_candidate)(void *user, HnWebrtcTransport *t, const char *candidate);
    /* DTLS is up and SRTP keys are installed: media can flow. */
    void (*on_connected)(void *user, HnWebrtcTransport *t);
    /* ICE failed, DTLS failed or the peer closed DTLS. The owner should drop the transport
     * (it may free it from within this callback: freeing is deferred to a safe point). */
    void (*on_failed)(void *user, HnWebrtcTransport *t, const char *reason);
    /* Decrypted RTP / RTCP; buf is owned by the transport, valid during the call only and may
     * be modified in place. */
    void (*on_rtp)(void *user, HnWebrtcTransport *t, uint8_t *buf, size_t len);
    void (*on_rtcp)(void *user, HnWebrtcTransport *t, uint8_t *buf, size_t len);
} HnWebrtcTransportCallbacks;

typedef struct {
    uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
    uint64_t rx_srtp_errors, tx_srtp_errors, rx_dropped_not_ready, rx_unknown, tx_send_errors;
    int srtp_profile; /* HnSrtpProfile, -1 until connected */
} HnWebrtcTransportStats;

/* A transport on ctx. mux NULL: full ICE with its own libnice agent (controlling: TRUE when we
 * are the offerer). mux set: ICE-lite on the worker's shared sockets (mux must be ctx's and
 * outlive the transport; controlling is ignored: a lite agent is always controlled).
 * cert: transfer none (a reference is taken). transfer full; NULL (logged) only when the ICE
 * credentials cannot be drawn (OpenSSL's CSPRNG failed). */
HnWebrtcTransport *hn_webrtc_transport_new(GMainContext *ctx, const HnIceSettings *ice,
                                           HnUdpMux *mux, HnCert *cert, gboolean controlling,
                                           const HnWebrtcTransportCallbacks *cb, void *user);
/* An ICE-lite transport on mux whose local credentials are ufrag and pwd, chosen by the caller
 * (HN_ICE_CRED_UFRAG_LEN / _PWD_LEN characters; the room on another worker wrote them in its
 * description already). NULL when the ufrag is in use on mux or has a bad length. */
HnWebrtcTransport *hn_webrtc_transport_new_lite(GMainContext *ctx, const HnIceSettings *ice,
                                                HnUdpMux *mux, HnCert *cert, const char *ufrag,
                                                const char *pwd,
                                                const HnWebrtcTransportCallbacks *cb, void *user);
/* TRUE for an ICE-lite transport (its SDP must say a=ice-lite). */
gboolean hn_webrtc_transport_is_lite(const HnWebrtcTransport *t);
/* Starts gathering; candidates arrive through on_candidate (some from within this call). An
 * ICE-lite transport has none to trickle: hn_udp_mux_candidates() of its mux go in the SDP. */
void hn_webrtc_transport_start_gathering(HnWebrtcTransport *t);
/* Local ICE credentials for the SDP; transfer none, valid while t lives. */
const char *hn_webrtc_transport_ufrag(HnWebrtcTransport *t);
const char *hn_webrtc_transport_pwd(HnWebrtcTransport *t);
/* Remote ICE credentials and DTLS parameters from the peer's SDP; starts connectivity checks.
 * dtls_server: TRUE when we take the DTLS server role. 0 or -EINVAL. */
int hn_webrtc_transport_set_remote(HnWebrtcTransport *t, const char *ufrag, const char *pwd,
                                   const char *fp_alg, const char *fp, gboolean dtls_server);
/* ICE restart in place, keeping DTLS and SRTP (no new handshake): new local credentials
 * (read them again with _ufrag/_pwd for the new description); media goes on over the old path
 * until the peer's first check with them passes from its new address. ICE-lite only: 0, -ENOTSUP
 * (a libnice transport: the caller opens a new transport instead), -EBADF (failed or closing),
 * -EIO (no randomness). */
int hn_webrtc_transport_restart_ice(HnWebrtcTransport *t);
/* The same with the new credentials chosen by the caller (-EEXIST: ufrag in use, -EINVAL). */
int hn_webrtc_transport_restart_ice_with(HnWebrtcTransport *t, const char *ufrag, const char *pwd);
/* One trickled remote candidate (with or without "a="); NULL or "" = end of candidates.
 * Returns 0, or -EINVAL with *why set for a candidate that cannot be used (TCP, mDNS). */
int hn_webrtc_transport_add_candidate(HnWebrtcTransport *t, const char *line, const char **why);
/* Encrypts and sends one RTP / RTCP packet; buf is not kept. Dropped (counted) before DTLS is up.
 */
void hn_webrtc_transport_send_rtp(HnWebrtcTransport *t, const uint8_t *buf, size_t len);
void hn_webrtc_transport_send_rtcp(HnWebrtcTransport *t, const uint8_t *buf, size_t len);
/* The same without the transport's own staging copy: buf holds cap >= len + 20 bytes and may be
 * overwritten. With full ICE (libnice) buf is protected in place and sent from there; with
 * ICE-lite it is copied once into the mux's send queue slot and protected there (one copy per
 * packet either way). For the router's scratch buffers on the hot path. */
void hn_webrtc_transport_send_rtp_inplace(HnWebrtcTransport *t, uint8_t *buf, size_t len,
                                          size_t cap);
gboolean hn_webrtc_transport_is_connected(const HnWebrtcTransport *t);
/* Monotonic time (us) of the last packet received, 0 if none. */
int64_t hn_webrtc_transport_last_rx(const HnWebrtcTransport *t);
/* The peer sends audio on ssrc: kept longer than video when the worker is behind (ICE-lite
 * sockets: hn_udp_mux_conn_set_audio; nothing on the libnice path). */
void hn_webrtc_transport_mark_audio(HnWebrtcTransport *t, uint32_t ssrc);
void hn_webrtc_transport_get_stats(const HnWebrtcTransport *t, HnWebrtcTransportStats *out);
/* Sends DTLS close_notify, stops the agent and frees t at the next loop turn. NULL ok. */
void hn_webrtc_transport_free(HnWebrtcTransport *t);

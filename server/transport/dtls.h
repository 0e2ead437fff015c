/* dtls.h - one DTLS 1.2 endpoint (DTLS-SRTP, RFC 5763/5764) per peer connection, sans-network.
 *
 * Datagrams go in through hn_dtls_handle() and out through the send callback; nothing here
 * touches a socket. OpenSSL's retransmission timer reads the real clock, so the now_us the
 * caller passes must advance at real-time rate (any epoch: g_get_monotonic_time() is typical);
 * the worker loop drives retransmission with hn_dtls_next_timeout()/hn_dtls_on_timeout().
 *
 * Thread: an endpoint is used by one thread only. Callbacks run synchronously inside the call
 * that triggered them; a callback must not free the endpoint (defer the free to the loop).
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/cert.h"

G_BEGIN_DECLS

typedef struct HnDtls HnDtls;

/* Domain of the GError from hn_dtls_new (bad fingerprint, OpenSSL setup failure); code 0. */
#define HN_DTLS_ERROR hn_dtls_error_quark()
GQuark hn_dtls_error_quark(void);

typedef enum { HN_DTLS_SERVER, HN_DTLS_CLIENT } HnDtlsRole;

typedef enum { HN_SRTP_AES128_CM_SHA1_80, HN_SRTP_AEAD_AES_128_GCM } HnSrtpProfile;

/* SRTP master key followed by master salt, as libsrtp wants them (RFC 5764 section 4.2). */
#define HN_SRTP_MASTER_MAX 32
typedef struct {
    HnSrtpProfile profile;
    uint8_t local_key[HN_SRTP_MASTER_MAX];  /* protects what we send */
    uint8_t remote_key[HN_SRTP_MASTER_MAX]; /* unprotects what we receive */
    size_t key_len; /* 30 (16 + 14) for AES128_CM_SHA1_80, 28 (16 + 12) for AEAD_AES_128_GCM */
} HnSrtpKeys;

typedef struct {
    /* A datagram to put on the wire ((transfer none), valid during the call). Required. */
    void (*send)(void *user, const uint8_t *data, size_t len);
    /* Handshake done and peer fingerprint verified; @keys valid during the call. Required. */
    void (*connected)(void *user, const HnSrtpKeys *keys);
    /* Handshake error, timeout, fingerprint mismatch, or a fatal alert after the handshake;
     * the endpoint is dead (state FAILED). Required. */
    void (*failed)(void *user, const char *reason);
    /* close_notify received from the peer. Optional (NULL: ignored). */
    void (*closed)(void *user);
    /* Application data received after the handshake (e.g. SCTP for data channels).
     * Optional (NULL: counted in app_data_dropped and dropped). */
    void (*data)(void *user, const uint8_t *data, size_t len);
} HnDtlsCallbacks;

typedef enum {
    HN_DTLS_STATE_NEW,        /* created, nothing sent or received yet */
    HN_DTLS_STATE_CONNECTING, /* handshake in progress */
    HN_DTLS_STATE_CONNECTED,  /* keys delivered */
    HN_DTLS_STATE_FAILED,     /* failed callback fired; endpoint ignores further input */
    HN_DTLS_STATE_CLOSED,     /* close_notify sent or received */
} HnDtlsState;

typedef struct {
    uint64_t datagrams_in;     /* accepted by hn_dtls_handle */
    uint64_t datagrams_out;    /* passed to the send callback */
    uint64_t garbage;          /* not a DTLS record, or received after failure/close */
    uint64_t retransmits;      /* timer-driven flight retransmissions */
    uint64_t app_data_dropped; /* application data with no data callback */
} HnDtlsStats;

/* Default SRTP protection profiles, in preference order (OpenSSL names). */
#define HN_DTLS_SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"

/* Create an endpoint using @cert (ref taken) in @role. The peer certificate must match the SDP
 * fingerprint @remote_fp ("AB:CD:...") hashed with @remote_fp_alg ("sha-256"; "sha-1",
 * "sha-384", "sha-512" also accepted). @cb is copied; @user is passed to every callback.
 * Returns (transfer full) the endpoint, or NULL with @error set for a bad fingerprint or an
 * OpenSSL failure. */
HnDtls *hn_dtls_new(HnCert *cert, HnDtlsRole role, const char *remote_fp_alg, const char *remote_fp,
                    const HnDtlsCallbacks *cb, void *user, GError **error);

/* Restrict/reorder the SRTP profiles offered (client) or accepted in preference order (server),
 * e.g. "SRTP_AES128_CM_SHA1_80". Call before hn_dtls_start()/the first hn_dtls_handle().
 * Returns 0, -EINVAL if OpenSSL rejects the list, -EBUSY if the handshake already began. */
int hn_dtls_set_srtp_profiles(HnDtls *dtls, const char *profiles);

/* Initial retransmission timeout (default 1000 ms, doubling up to 60 s, RFC 6347). Call before
 * the handshake begins. Returns 0, -EINVAL if @ms is 0, -EBUSY if the handshake began. */
int hn_dtls_set_initial_timeout(HnDtls *dtls, unsigned ms);

/* Largest datagram we send (default 1200). Call before the handshake begins.
 * Returns 0, -EINVAL if @mtu < 280 or > 65535, -EBUSY if the handshake began. */
int hn_dtls_set_mtu(HnDtls *dtls, unsigned mtu);

/* Begin: a client sends its ClientHello; a server only starts waiting. Idempotent. */
void hn_dtls_start(HnDtls *dtls, int64_t now_us);

/* Process one received datagram (transfer none). Starts a server implicitly. Callbacks may fire.
 * Returns 0 if processed, -EINVAL if it is not a DTLS record (counted as garbage, ignored),
 * -ENOTCONN if the endpoint has failed or closed (counted as garbage, ignored). */
int hn_dtls_handle(HnDtls *dtls, const uint8_t *data, size_t len, int64_t now_us);

/* Absolute time (in the caller's now_us clock) of the next retransmission, or INT64_MAX. */
int64_t hn_dtls_next_timeout(HnDtls *dtls);

/* Run the retransmission timer: resends the last flight if it is due. During the handshake,
 * the endpoint fails ("timed out") when the timer expires after 6 retransmissions with no
 * datagram from the peer (about 63 s with the default timer). Harmless if called early. */
void hn_dtls_on_timeout(HnDtls *dtls, int64_t now_us);

/* Send application data after the handshake. Returns 0, -ENOTCONN if not connected,
 * -EMSGSIZE if it does not fit a record, -EIO on an OpenSSL error. */
int hn_dtls_write(HnDtls *dtls, const uint8_t *data, size_t len);

/* Send close_notify (if connected) and enter HN_DTLS_STATE_CLOSED. Idempotent. */
void hn_dtls_close(HnDtls *dtls);

/* Free the endpoint (never from inside one of its callbacks). NULL is a no-op. */
void hn_dtls_free(HnDtls *dtls);

HnDtlsState hn_dtls_get_state(HnDtls *dtls);
HnDtlsRole hn_dtls_get_role(HnDtls *dtls);
/* The OpenSSL context the endpoint's session was made from: the one its certificate carries
 * (hn_cert_dtls_ctx), shared by every endpoint on that certificate. (transfer none), for
 * diagnostics and tests; it must not be changed. */
SSL_CTX *hn_dtls_get_ssl_ctx(HnDtls *dtls);
/* Counters (copied into @out). */
void hn_dtls_get_stats(HnDtls *dtls, HnDtlsStats *out);

/* Name of a profile as in OpenSSL/IANA ("SRTP_AEAD_AES_128_GCM"). Static string. */
const char *hn_srtp_profile_name(HnSrtpProfile profile);

G_END_DECLS

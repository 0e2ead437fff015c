/* srtp.h - SRTP/SRTCP protection for one peer connection (libsrtp2), keyed by DTLS-SRTP.
 *
 * Two libsrtp sessions: inbound (remote key, any SSRC) and outbound (local key, any SSRC,
 * repeated sequence numbers allowed so NACK retransmissions can be re-protected, replay
 * window 1024). All functions work in place and never crash on garbage input.
 * Thread: one HnSrtp is used by one thread only; different HnSrtp may be used concurrently.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/dtls.h"

G_BEGIN_DECLS

typedef struct HnSrtp HnSrtp;

#define HN_SRTP_ERROR hn_srtp_error_quark()
GQuark hn_srtp_error_quark(void);

/* Worst-case bytes added by protect (RTCP with a 16-byte tag: 4-byte index + tag). Callers
 * sizing buffers should leave this much room after the plaintext. */
#define HN_SRTP_MAX_OVERHEAD 20

typedef struct {
    uint64_t auth_fail;  /* unprotect: authentication tag mismatch */
    uint64_t replay;     /* unprotect: replayed or too old */
    uint64_t malformed;  /* unprotect/protect: not a parseable RTP/RTCP packet */
    uint64_t other_fail; /* any other libsrtp failure */
} HnSrtpStats;

/* Create the inbound and outbound sessions from DTLS-exported @keys (transfer none).
 * Returns (transfer full) the context, or NULL with @error set (bad key length, libsrtp
 * failure). Any thread. */
HnSrtp *hn_srtp_new(const HnSrtpKeys *keys, GError **error);

/* Free both sessions and wipe the keys. NULL is a no-op. */
void hn_srtp_free(HnSrtp *srtp);

/* Protect the RTP packet in @buf (*@len bytes, buffer capacity @cap) in place; on success
 * *@len is the SRTP length. Returns 0, -ENOSPC if @cap lacks room for the tag, -EINVAL if the
 * packet is malformed, -EIO on another libsrtp failure. */
int hn_srtp_protect_rtp(HnSrtp *srtp, uint8_t *buf, size_t *len, size_t cap);

/* Verify and decrypt the SRTP packet in @buf in place; on success *@len is the RTP length.
 * Returns 0, -EINVAL on authentication failure, replay or malformed input, -EIO otherwise. */
int hn_srtp_unprotect_rtp(HnSrtp *srtp, uint8_t *buf, size_t *len);

/* Same as hn_srtp_protect_rtp for an RTCP compound packet. */
int hn_srtp_protect_rtcp(HnSrtp *srtp, uint8_t *buf, size_t *len, size_t cap);

/* Same as hn_srtp_unprotect_rtp for an SRTCP packet. */
int hn_srtp_unprotect_rtcp(HnSrtp *srtp, uint8_t *buf, size_t *len);

/* Bytes protect adds to an RTP / RTCP packet for this profile. */
size_t hn_srtp_rtp_overhead(HnSrtp *srtp);
size_t hn_srtp_rtcp_overhead(HnSrtp *srtp);

HnSrtpProfile hn_srtp_get_profile(HnSrtp *srtp);
void hn_srtp_get_stats(HnSrtp *srtp, HnSrtpStats *out);

G_END_DECLS

/* Private helpers shared by the files of the sdp module. Not installed, not for other modules. */
#pragma once

#include "sdp/sdp.h"
#include "sdp/sdp_negotiate.h"

/* Parser state while walking the lines of one description. */
typedef struct {
    HnSdp *sdp;
    HnSdpMedia *m; /* current m= section, NULL at session level */
    unsigned line; /* current line number, 1-based */
    HnSdpExtmap sess_extmaps[HN_SDP_MAX_EXTMAPS];
    size_t n_sess_extmaps;
    HnSdpDirection sess_dir;
    bool sess_has_dir;
} HnSdpParser;

/* Sets `error` to "SDP line N: <message>" (HN_SDP_ERROR_PARSE) and returns -EINVAL. */
int hn_sdp_fail(const HnSdpParser *p, GError **error, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Handles one a= line (name and value split at the first ':'; value NULL without ':'). */
int hn_sdp_parse_attribute(HnSdpParser *p, const char *name, const char *value, GError **error);

/* c= line at the current level (sdp_crypto.c). */
int hn_sdp_parse_connection(HnSdpParser *p, const char *value, GError **error);

/* a=rtcp, a=ptime and a=crypto values of the current m= section (sdp_crypto.c). */
int hn_sdp_attr_rtcp(HnSdpParser *p, const char *value, GError **error);
int hn_sdp_attr_ptime(HnSdpParser *p, const char *value, GError **error);
int hn_sdp_attr_crypto(HnSdpParser *p, const char *value, GError **error);

/* Reads the next blank-separated token of *cur into buf. Returns 1 on success (advancing *cur),
 * 0 when only blanks remain, -1 when the token does not fit in `size` bytes. */
int hn_sdp_next_token(const char **cur, char *buf, size_t size);

/* Skips blanks (spaces, tabs). */
const char *hn_sdp_skip_blanks(const char *s);

/* Parses a whole string of 1-10 decimal digits no larger than `max`. */
bool hn_sdp_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* Copies s into buf when it fits (strlen < size); false otherwise. */
bool hn_sdp_copy(char *buf, size_t size, const char *s);

/* ice-char (ALPHA / DIGIT / "+" / "/") string with a length in [min, max]. */
bool hn_sdp_is_ice_string(const char *s, size_t min, size_t max);

/* A non-empty token of visible ASCII characters (0x21-0x7e), at most max bytes. */
bool hn_sdp_is_token(const char *s, size_t max);

/* Colon-separated hex bytes, 1 to 64 of them ("AB:CD:..."). */
bool hn_sdp_is_fingerprint(const char *s);

/* Reads parameter `key` (case-insensitive) of a "k=v;k=v" fmtp string into val. */
bool hn_sdp_fmtp_get(const char *fmtp, const char *key, char *val, size_t size);

/* Appends a zeroed element to a growable array of at most `max` elements; NULL when full. The
 * capacity doubles (it is the next power of two of *n), so n pushes cost O(n). */
void *hn_sdp_array_push(void **arr, size_t *n, size_t elem_size, size_t max);

/* --- Writing (sdp_write.c) --- */

/* Checks the server's ICE credentials, fingerprint and candidates (HN_SDP_ERROR_INVALID). */
bool hn_sdp_local_check(const HnSdpLocal *local, GError **error);

/* v= o= s= t= lines. */
void hn_sdp_write_session(GString *s, uint64_t session_id, uint64_t version);

/* c= and the ICE/DTLS attributes of one m= section; setup is "passive", "active" or "actpass".
 * a=ice-options is written once at session level by the callers (RFC 8839 allows both). */
void hn_sdp_write_transport(GString *s, const HnSdpLocal *local, const char *setup);

/* The local candidates and a=end-of-candidates, if any. */
void hn_sdp_write_candidates(GString *s, const HnSdpLocal *local);

/* a=rtpmap, a=rtcp-fb (from HN_FB_* bits) and a=fmtp of one payload type. */
void hn_sdp_write_codec(GString *s, unsigned pt, const char *name, uint32_t clock_rate,
                        unsigned channels, const char *fmtp, uint32_t feedback);

/* SDP fragments for WHIP (RFC 9725) trickle and ICE restart: application/trickle-ice-sdpfrag
 * bodies (RFC 8840) read into ICE credentials and candidates, the same read of a whole SDP (the
 * credentials of an offer or answer), the credentials of an SDP replaced (a restart re-offer),
 * and the fragment that answers a restart. Pure, any thread. */
#pragma once

#include <glib.h>
#include <stddef.h>

#define HN_SDP_FRAG_MAX_CANDIDATES 64 /* a fragment with more is refused */

typedef struct {
    char *ufrag, *pwd;     /* the first a=ice-ufrag / a=ice-pwd (session or media level); or NULL */
    char *mid;             /* the first a=mid, or NULL */
    GPtrArray *candidates; /* "candidate:..." strings (no "a="), each checked by
                            * hn_sdp_candidate_parse (mDNS ones are left out) */
    gboolean end_of_candidates;
} HnSdpFrag;

/* Reads text (len bytes; a fragment or a whole SDP, CRLF or LF lines). Every line must be
 * "<letter>=<value>"; an unparseable a=candidate, more than HN_SDP_FRAG_MAX_CANDIDATES, an empty
 * ice-ufrag/pwd or a NUL byte is an error. Returns TRUE and fills *out (clear it with
 * hn_sdp_frag_clear), or FALSE with a message for people in *error. */
gboolean hn_sdp_frag_parse(const char *text, size_t len, HnSdpFrag *out, GError **error);
void hn_sdp_frag_clear(HnSdpFrag *f);

/* sdp with every a=ice-ufrag and a=ice-pwd line's value replaced. transfer full. */
char *hn_sdp_frag_replace_credentials(const char *sdp, const char *ufrag, const char *pwd);

/* The trickle-ice-sdpfrag answering an ICE restart: ice-lite when lite, the credentials, one
 * m= section (mid, when not NULL) with the candidates (transfer none, "candidate:..." strings)
 * and end-of-candidates. transfer full. */
char *hn_sdp_frag_write(gboolean lite, const char *ufrag, const char *pwd, const char *mid,
                        const GPtrArray *candidates);

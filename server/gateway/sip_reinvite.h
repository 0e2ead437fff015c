/* A re-INVITE of a call in progress (RFC 3264 section 8): hold (a=sendonly, a=inactive, or the
 * old c=0.0.0.0), resume (sendrecv), a moved media address or port. The new offer is answered
 * on the same sockets, keys and codecs as the call's first answer (o= version + 1 when the
 * answer changed, the same answer for the same offer: a session refresh); what
 * the call cannot take without new media (another codec or payload type, an m= line more or
 * less, a new SRTP key) is refused, and the call goes on unchanged (488). Pure: no I/O, unit-
 * tested (tests/unit/gateway/test_sip_reinvite.c); any thread. */
#pragma once

#include <glib.h>

#include "gateway/rtp_leg.h"

typedef struct {
    char *answer;                                   /* the new answer text, transfer full */
    HnRtpLegUpdate streams[HN_RTP_LEG_MAX_STREAMS]; /* per accepted m= line, the leg's order */
    size_t n;
    gboolean held; /* a stream we no longer send to (for the log) */
} HnSipReinvite;

/* first_offer, current_answer: the texts of the call's INVITE offer and of our latest answer.
 * offer: the re-INVITE's body (len bytes). video_kbps > 0: the b=AS / b=TIAS to write in the
 * accepted video section (what the picture sends). Returns 0 and fills *out (free
 * out->answer with g_free), or -EINVAL with why in error (answer 488). */
int hn_sip_reinvite(const char *first_offer, const char *current_answer, const char *offer,
                    size_t len, uint32_t video_kbps, HnSipReinvite *out, GError **error);

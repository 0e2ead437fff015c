/* The join gate: decides, before any media is negotiated, whether a "join" may enter a room and
 * with which role, from the room's access policy ([room:NAME] access, pin; [auth] jwt_secret),
 * the join's token or PIN, and the brute-force limiter of the client's address. The role comes
 * only from a verified token (or, later, an account's session), never from the client asking.
 *
 * No I/O and no clock reads: now_us (monotonic, for the limiter) and now_s (unix time, for token
 * expiry) are arguments, so every decision is unit-tested. The caller writes the audit row from
 * the verdict. Thread: the signalling thread. */
#pragma once

#include <glib.h>

#include "app/config.h"
#include "core/room_model.h"
#include "signaling/protocol.h"

typedef struct HnJoinGate HnJoinGate;

typedef struct {
    gboolean ok;
    HnProtoErrorCode code; /* when !ok */
    const char *message;   /* English, for people; never contains a secret. transfer none */
    HnRole role;           /* when ok */
    char *name;            /* when ok and the token names the participant, else NULL */
    char *sub;             /* the token's sub, or NULL */
    const char *how;       /* "open", "pin", "token": for the audit row */
    gboolean locked_now;   /* this failure locked the address (log it) */
    gboolean lobby_bypass; /* the token's lobby_bypass claim: skips a room's lobby */
} HnJoinVerdict;

void hn_join_verdict_clear(HnJoinVerdict *v);

/* cfg: transfer none, must outlive the gate. session_secret: the key of account sessions
 * (copied; the jwt_secret, or a random one per process). transfer full. */
HnJoinGate *hn_join_gate_new(const HnConfig *cfg, const char *session_secret);
void hn_join_gate_free(HnJoinGate *g);
/* The rooms made through the API (app/room_policy.h) the gate also knows, besides the
 * configured ones. transfer none, must outlive the gate; NULL: configured rooms only. */
struct HnRoomPolicies;
void hn_join_gate_set_policies(HnJoinGate *g, struct HnRoomPolicies *policies);

/* Decides the join of addr into room with token and pin (each NULL when not sent) and the
 * session cookie of a logged-in account (NULL when none; one that does not verify counts as
 * none). Order: token, then session, then PIN. */
void hn_join_gate_check(HnJoinGate *g, const char *room, const char *addr, const char *token,
                        const char *pin, const char *session, gint64 now_us, gint64 now_s,
                        HnJoinVerdict *out);

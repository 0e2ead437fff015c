/* The join gate: room policy + token/PIN + limiter -> a verdict. */
#include "app/join_gate.h"

#include <string.h>

#include "app/room_policy.h"
#include "meeting/join_token.h"
#include "meeting/limiter.h"

struct HnJoinGate {
    const HnConfig *cfg;
    HnLimiter *limiter;
    char *session_secret;
    HnRoomPolicies *policies; /* API rooms, or NULL */
};

void hn_join_verdict_clear(HnJoinVerdict *v)
{
    g_free(v->name);
    g_free(v->sub);
    memset(v, 0, sizeof *v);
}

HnJoinGate *hn_join_gate_new(const HnConfig *cfg, const char *session_secret)
{
    HnJoinGate *g = g_new0(HnJoinGate, 1);
    g->session_secret = g_strdup(session_secret);
    g->cfg = cfg;
    g->limiter =
        hn_limiter_new(cfg->lockout_failures, cfg->lockout_seconds, cfg->attempts_per_minute);
    return g;
}

void hn_join_gate_set_policies(HnJoinGate *g, HnRoomPolicies *policies)
{
    g->policies = policies;
}

void hn_join_gate_free(HnJoinGate *g)
{
    if (!g)
        return;
    hn_limiter_free(g->limiter);
    if (g->session_secret)
        memset(g->session_secret, 0, strlen(g->session_secret));
    g_free(g->session_secret);
    g_free(g);
}

static void refuse(HnJoinVerdict *v, HnProtoErrorCode code, const char *message)
{
    v->ok = FALSE;
    v->code = code;
    v->message = message;
}

static void check_token(HnJoinGate *g, const char *room, const char *token, gint64 now_s,
                        HnJoinVerdict *v)
{
    v->how = "token";
    if (!g->cfg->jwt_secret) {
        refuse(v, HN_PROTO_ERR_BAD_TOKEN, "this server accepts no join tokens");
        return;
    }
    HnTokenClaims c;
    const char *why = NULL;
    switch (hn_join_token_verify(g->cfg->jwt_secret, token, room, now_s, &c, &why)) {
    case HN_TOKEN_OK:
        v->ok = TRUE;
        v->role = c.role;
        v->name = g_steal_pointer(&c.name);
        v->sub = g_steal_pointer(&c.sub);
        v->lobby_bypass = c.lobby_bypass;
        hn_token_claims_clear(&c);
        return;
    case HN_TOKEN_EXPIRED:
        refuse(v, HN_PROTO_ERR_TOKEN_EXPIRED, why);
        return;
    case HN_TOKEN_WRONG_ROOM:
        refuse(v, HN_PROTO_ERR_WRONG_ROOM, why);
        return;
    case HN_TOKEN_NOT_YET:
    case HN_TOKEN_BAD:
        break;
    }
    refuse(v, HN_PROTO_ERR_BAD_TOKEN, why);
}

/* An account's session: a token for every room signed with the session secret. */
static gboolean check_session(HnJoinGate *g, const char *session, gint64 now_s, HnJoinVerdict *v)
{
    if (!session || !g->session_secret)
        return FALSE;
    HnTokenClaims c;
    const char *why = NULL;
    if (hn_join_token_verify(g->session_secret, session, "*", now_s, &c, &why) != HN_TOKEN_OK)
        return FALSE;
    gboolean ok = strcmp(c.room, "*") == 0 && c.sub != NULL;
    if (ok) {
        v->ok = TRUE;
        v->how = "account";
        v->role = c.role;
        v->name = g_steal_pointer(&c.name);
        v->sub = g_steal_pointer(&c.sub);
    }
    hn_token_claims_clear(&c);
    return ok;
}

void hn_join_gate_check(HnJoinGate *g, const char *room, const char *addr, const char *token,
                        const char *pin, const char *session, gint64 now_us, gint64 now_s,
                        HnJoinVerdict *v)
{
    memset(v, 0, sizeof *v);
    if (!token && check_session(g, session, now_s, v))
        return; /* a logged-in account: its role, in any room */
    HnRoomPolicy pol;
    hn_room_policy_lookup(g->cfg, g->policies, room, &pol);
    HnAccess access = pol.access;
    const char *room_pin = pol.pin;
    gboolean pin_ok = room_pin && (access == HN_ACCESS_PIN || access == HN_ACCESS_TOKEN_OR_PIN);
    gboolean token_ok = access != HN_ACCESS_PIN; /* open rooms take tokens: a chair's role */

    if (access == HN_ACCESS_OPEN && !token) {
        v->ok = TRUE;
        v->role = HN_ROLE_MEMBER;
        v->how = "open";
        return;
    }
    switch (hn_limiter_attempt(g->limiter, addr, now_us)) {
    case HN_LIMIT_LOCKED:
        refuse(v, HN_PROTO_ERR_LOCKED, "too many failed attempts from your address: wait");
        return;
    case HN_LIMIT_RATE:
        refuse(v, HN_PROTO_ERR_RATE_LIMITED, "too many attempts from your address: slow down");
        return;
    case HN_LIMIT_OK:
        break;
    }
    if (token && token_ok) {
        check_token(g, room, token, now_s, v);
    } else if (pin && pin_ok) {
        v->how = "pin";
        if (hn_pin_equal(room_pin, pin)) {
            v->ok = TRUE;
            v->role = HN_ROLE_MEMBER;
        } else {
            refuse(v, HN_PROTO_ERR_BAD_PIN, "wrong PIN");
        }
    } else {
        v->how = "none";
        refuse(v, HN_PROTO_ERR_AUTH_REQUIRED,
               access == HN_ACCESS_PIN     ? "this room needs its PIN"
               : access == HN_ACCESS_TOKEN ? "this room needs a join token"
                                           : "this room needs its PIN or a join token");
        return; /* asking is not a failure: the client shows the PIN field */
    }
    if (v->ok)
        hn_limiter_success(g->limiter, addr);
    else
        v->locked_now = hn_limiter_fail(g->limiter, addr, now_us);
}

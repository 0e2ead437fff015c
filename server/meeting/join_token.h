/* Join tokens: HS256 JWTs that a portal or e-office signs with the shared secret ([auth]
 * jwt_secret) and hands out as links (/?room=R&token=T). Claims (docs/security.md): room (or
 * "*"), name, role, exp (required), nbf, sub, lobby_bypass.
 *
 * Pure: libjwt checks the signature, the clock is an argument (now_s, unix seconds), so every
 * case is unit-tested with a fake clock. Only HS256 is accepted: a token that says "none",
 * RS256 or anything else is refused before its claims are read. Thread: any. */
#pragma once

#include <glib.h>

#include "core/room_model.h"

G_BEGIN_DECLS

#define HN_TOKEN_MAX    4096 /* bytes of token text */
#define HN_TOKEN_LEEWAY 30   /* seconds of clock difference allowed on exp and nbf */

typedef enum {
    HN_TOKEN_OK = 0,
    HN_TOKEN_BAD,        /* malformed, bad signature, wrong algorithm, bad claims */
    HN_TOKEN_EXPIRED,    /* exp passed */
    HN_TOKEN_NOT_YET,    /* nbf in the future */
    HN_TOKEN_WRONG_ROOM, /* signed for another room */
} HnTokenResult;

typedef struct {
    char *room;  /* as signed ("*": any room) */
    char *name;  /* NULL when the token names no one */
    char *sub;   /* NULL when absent */
    HnRole role; /* participant/site -> member */
    char *role_name;
    gboolean lobby_bypass;
    gint64 exp, nbf; /* nbf 0 when absent */
} HnTokenClaims;

void hn_token_claims_clear(HnTokenClaims *c);

/* Verifies token for joining room at now_s. HN_TOKEN_OK fills out (clear it); any other result
 * leaves out empty and sets *why (transfer none, English, never contains the token). */
HnTokenResult hn_join_token_verify(const char *secret, const char *token, const char *room,
                                   gint64 now_s, HnTokenClaims *out, const char **why);

/* Signs a token (for the REST API and tests). name, role_name, sub may be NULL; nbf 0: none.
 * transfer full (g_free); NULL when libjwt fails. */
char *hn_join_token_mint(const char *secret, const char *room, const char *name,
                         const char *role_name, const char *sub, gint64 exp, gint64 nbf);

/* The join role a token's "role" claim names: chair, secretary, participant (or member),
 * observer, site. FALSE when unknown. */
gboolean hn_token_role_parse(const char *name, HnRole *out);

/* Compares a PIN in constant time (for PINs of the same length; the length is not a secret
 * worth hiding: 4-32 digits). */
gboolean hn_pin_equal(const char *expected, const char *given);

G_END_DECLS

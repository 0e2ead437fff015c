/* Join tokens on libjwt (HS256 only), verified against a clock given by the caller. */
#include "meeting/join_token.h"

#include <errno.h>
#include <jwt.h>
#include <string.h>

void hn_token_claims_clear(HnTokenClaims *c)
{
    g_free(c->room);
    g_free(c->name);
    g_free(c->sub);
    g_free(c->role_name);
    memset(c, 0, sizeof *c);
}

gboolean hn_token_role_parse(const char *name, HnRole *out)
{
    static const struct {
        const char *name;
        HnRole role;
    } roles[] = {
        {"chair", HN_ROLE_CHAIR},        {"secretary", HN_ROLE_SECRETARY},
        {"participant", HN_ROLE_MEMBER}, {"member", HN_ROLE_MEMBER},
        {"site", HN_ROLE_SITE},          {"observer", HN_ROLE_OBSERVER},
    };
    for (guint i = 0; name && i < G_N_ELEMENTS(roles); i++) {
        if (strcmp(name, roles[i].name) == 0) {
            *out = roles[i].role;
            return TRUE;
        }
    }
    return FALSE;
}

gboolean hn_pin_equal(const char *expected, const char *given)
{
    if (!expected || !given)
        return FALSE;
    size_t n = strlen(expected), m = strlen(given);
    volatile unsigned char diff = (unsigned char)(n != m);
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(expected[i] ^ (i < m ? given[i] : 0));
    return diff == 0;
}

/* The header's "alg" before libjwt sees the token: libjwt 1.10 accepts an unsigned ("none")
 * token even when a key is given, so the algorithm is checked here first. */
static gboolean header_is_hs256(const char *token)
{
    const char *dot = strchr(token, '.');
    if (!dot || dot == token || dot - token > 1024)
        return FALSE;
    char buf[1400];
    size_t n = (size_t)(dot - token);
    memcpy(buf, token, n);
    for (size_t i = 0; i < n; i++) /* base64url -> base64 */
        buf[i] = buf[i] == '-' ? '+' : buf[i] == '_' ? '/' : buf[i];
    while (n % 4)
        buf[n++] = '=';
    buf[n] = '\0';
    gsize len = 0;
    g_autofree guchar *json = g_base64_decode(buf, &len);
    if (!json || len == 0)
        return FALSE;
    g_autofree char *text = g_strndup((const char *)json, len);
    /* exactly one alg, HS256; a thorough parse follows in libjwt */
    const char *a = strstr(text, "\"alg\"");
    if (!a || strstr(a + 5, "\"alg\""))
        return FALSE;
    a += 5;
    while (*a == ' ' || *a == ':')
        a++;
    return strncmp(a, "\"HS256\"", 7) == 0;
}

static gint64 grant_int(jwt_t *jwt, const char *name, gboolean *present)
{
    errno = 0;
    long v = jwt_get_grant_int(jwt, name);
    *present = errno == 0;
    return v;
}

HnTokenResult hn_join_token_verify(const char *secret, const char *token, const char *room,
                                   gint64 now_s, HnTokenClaims *out, const char **why)
{
    memset(out, 0, sizeof *out);
    *why = NULL;
    if (!secret || !token || !*token || strlen(token) > HN_TOKEN_MAX) {
        *why = "the token is empty or too long";
        return HN_TOKEN_BAD;
    }
    if (!header_is_hs256(token)) {
        *why = "the token is not an HS256 JWT";
        return HN_TOKEN_BAD;
    }
    jwt_t *jwt = NULL;
    if (jwt_decode(&jwt, token, (const unsigned char *)secret, (int)strlen(secret)) != 0 || !jwt) {
        *why = "the token's signature does not verify";
        return HN_TOKEN_BAD;
    }
    HnTokenResult res = HN_TOKEN_BAD;
    gboolean has_exp, has_nbf;
    gint64 exp = grant_int(jwt, "exp", &has_exp), nbf = grant_int(jwt, "nbf", &has_nbf);
    const char *troom = jwt_get_grant(jwt, "room");
    const char *name = jwt_get_grant(jwt, "name");
    const char *role = jwt_get_grant(jwt, "role");
    const char *sub = jwt_get_grant(jwt, "sub");
    HnRole r = HN_ROLE_MEMBER;
    if (jwt_get_alg(jwt) != JWT_ALG_HS256)
        *why = "the token is not an HS256 JWT";
    else if (!has_exp)
        *why = "the token has no exp claim";
    else if (!troom || !*troom)
        *why = "the token has no room claim";
    else if (role && !hn_token_role_parse(role, &r))
        *why = "the token's role is not chair, secretary, participant, observer or site";
    else if (now_s > exp + HN_TOKEN_LEEWAY) {
        *why = "the token has expired";
        res = HN_TOKEN_EXPIRED;
    } else if (has_nbf && now_s + HN_TOKEN_LEEWAY < nbf) {
        *why = "the token is not valid yet";
        res = HN_TOKEN_NOT_YET;
    } else if (strcmp(troom, "*") != 0 && g_ascii_strcasecmp(troom, room) != 0) {
        *why = "the token is for another room";
        res = HN_TOKEN_WRONG_ROOM;
    } else {
        res = HN_TOKEN_OK;
        out->room = g_strdup(troom);
        out->name = name && *name ? g_strdup(name) : NULL;
        out->sub = sub && *sub ? g_strdup(sub) : NULL;
        out->role = r;
        out->role_name = g_strdup(role ? role : "participant");
        errno = 0;
        out->lobby_bypass = jwt_get_grant_bool(jwt, "lobby_bypass") == 1 && errno == 0;
        out->exp = exp;
        out->nbf = has_nbf ? nbf : 0;
    }
    jwt_free(jwt);
    return res;
}

char *hn_join_token_mint(const char *secret, const char *room, const char *name,
                         const char *role_name, const char *sub, gint64 exp, gint64 nbf)
{
    jwt_t *jwt = NULL;
    if (jwt_new(&jwt) != 0)
        return NULL;
    int rc = jwt_add_grant(jwt, "room", room);
    if (name)
        rc |= jwt_add_grant(jwt, "name", name);
    if (role_name)
        rc |= jwt_add_grant(jwt, "role", role_name);
    if (sub)
        rc |= jwt_add_grant(jwt, "sub", sub);
    rc |= jwt_add_grant_int(jwt, "exp", (long)exp);
    if (nbf)
        rc |= jwt_add_grant_int(jwt, "nbf", (long)nbf);
    rc |= jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret, (int)strlen(secret));
    char *s = rc == 0 ? jwt_encode_str(jwt) : NULL;
    jwt_free(jwt);
    if (!s)
        return NULL;
    char *out = g_strdup(s);
    free(s);
    return out;
}

/* Join tokens minted through the API: POST /api/v1/rooms/NAME/tokens,
 * POST /api/v1/meetings/ID/tokens and the older POST /api/rooms/NAME/tokens. */
#include <string.h>

#include "app/api_v1_priv.h"
#include "meeting/join_token.h"
#include "signaling/protocol.h"

typedef struct {
    const char *name, *role, *sub; /* transfer none: into the call's body */
    gint64 ttl;
} TokenReq;

/* Reads the body into t; NULL when fine, else the reason for a 400. */
static const char *parse_body(json_t *j, TokenReq *t)
{
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        if (strcmp(key, "name") == 0) {
            if (!json_is_string(v) || !hn_proto_display_name_valid(json_string_value(v)))
                return "name must be a display name of 1-64 characters";
            t->name = json_string_value(v);
        } else if (strcmp(key, "role") == 0) {
            HnRole r;
            if (!json_is_string(v) || !hn_token_role_parse(json_string_value(v), &r))
                return "role must be chair, secretary, participant, observer or site";
            t->role = json_string_value(v);
        } else if (strcmp(key, "sub") == 0) {
            const char *s = json_string_value(v);
            if (!s || !*s || strlen(s) > 128 || !g_utf8_validate(s, -1, NULL))
                return "sub must be a string of 1-128 bytes";
            t->sub = s;
        } else if (strcmp(key, "ttl") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 60 ||
                json_integer_value(v) > HN_API_TOKEN_TTL_MAX)
                return "ttl must be a whole number of seconds, 60..604800";
            t->ttl = json_integer_value(v);
        } else {
            return "unknown field (known: name, role, sub, ttl)";
        }
    }
    return NULL;
}

void hn_api_mint_token(HnApiCall *c, const char *room, gint64 ends_s, const char *what)
{
    const HnConfig *cfg = c->api->hub->cfg;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    TokenReq t = {NULL, "participant", NULL, HN_API_TOKEN_TTL_DEFAULT};
    if (ends_s > now) /* a meeting's token lasts until an hour after its end */
        t.ttl = CLAMP(ends_s - now + 3600, 60, HN_API_TOKEN_TTL_MAX);
    const char *bad = c->body ? parse_body(c->body, &t) : NULL;
    if (bad) {
        hn_api_problem(c, 400, "bad-request", bad);
        return;
    }
    if (t.sub && strcmp(room, "*") == 0) {
        /* a "*" token with a sub has the shape of an account session (app/api_login.h): the
         * session key is the jwt_secret, so it would log its holder in as that account */
        hn_api_problem(c, 400, "bad-request", "a token for every room (*) cannot carry a sub");
        return;
    }
    if (!cfg->jwt_secret) {
        hn_api_problem(c, 503, "unavailable",
                       "this server has no [auth] jwt_secret: it signs no join tokens");
        return;
    }
    g_autofree char *token =
        hn_join_token_mint(cfg->jwt_secret, room, t.name, t.role, t.sub, now + t.ttl, 0);
    if (!token) {
        hn_api_problem(c, 500, "unavailable", "cannot sign the token");
        return;
    }
    g_autofree char *d = g_strdup_printf("name=%s role=%s ttl=%" G_GINT64_FORMAT "%s%s%s%s",
                                         t.name ? t.name : "-", t.role, t.ttl, t.sub ? " sub=" : "",
                                         t.sub ? t.sub : "", what ? " " : "", what ? what : "");
    hn_api_audit(c, "token-minted", room, d);
    g_autofree char *url = g_strdup_printf("/?room=%s&token=%s", room, token);
    json_t *body =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "token", token, "url", url, "path", url, "room",
                  room, "role", t.role, "expires", (json_int_t)(now + t.ttl));
    hn_api_json(c, 201, body);
}

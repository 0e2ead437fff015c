/* The token-minting REST endpoint: parse, check the key on the store thread, mint, reply. */
#include "app/api_tokens.h"

#include <jansson.h>
#include <string.h>

#include "meeting/join_token.h"
#include "signaling/protocol.h"

typedef struct {
    const HnConfig *cfg;
    HnStore *store;
    HnMailbox *home;
} Api;

static Api api_singleton; /* one server per process */

typedef struct {
    HnHttpRequest *req;
    char *key;   /* the presented key; wiped when freed */
    char *label; /* set by the store thread when the key is known */
    char *room, *name, *role, *sub;
    gint64 ttl;
    char peer[64];
} Mint;

static void mint_free(gpointer p)
{
    Mint *m = p;
    if (m->key)
        memset(m->key, 0, strlen(m->key));
    g_free(m->key);
    g_free(m->label);
    g_free(m->room);
    g_free(m->name);
    g_free(m->role);
    g_free(m->sub);
    g_free(m);
}

/* Store thread. */
static void check_key(HnDb *db, gpointer data)
{
    Mint *m = data;
    m->label = hn_db_apikey_check(db, m->key);
}

/* Main thread: the key was checked. */
static gboolean mint_reply(gpointer data)
{
    Mint *m = data;
    Api *a = &api_singleton;
    if (!m->label) {
        g_autofree char *d = g_strdup_printf("addr=%s", m->peer);
        hn_store_audit(a->store, m->peer, "api-auth-failed", m->room, d);
        hn_http_reply_error(m->req, 401, "unknown API key");
        return G_SOURCE_REMOVE;
    }
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    g_autofree char *token =
        hn_join_token_mint(a->cfg->jwt_secret, m->room, m->name, m->role, m->sub, now + m->ttl, 0);
    if (!token) {
        hn_http_reply_error(m->req, 500, "cannot sign the token");
        return G_SOURCE_REMOVE;
    }
    g_autofree char *actor = g_strdup_printf("apikey:%s", m->label);
    g_autofree char *d =
        g_strdup_printf("name=%s role=%s ttl=%" G_GINT64_FORMAT "%s%s", m->name ? m->name : "-",
                        m->role, m->ttl, m->sub ? " sub=" : "", m->sub ? m->sub : "");
    hn_store_audit(a->store, actor, "token-minted", m->room, d);
    json_t *body = json_pack("{s:s, s:s, s:I, s:s}", "token", token, "room", m->room, "expires",
                             (json_int_t)(now + m->ttl), "role", m->role);
    g_autofree char *path = g_strdup_printf("/?room=%s&token=%s", m->room, token);
    json_object_set_new(body, "path", json_string(path));
    hn_http_reply_json(m->req, 201, body);
    return G_SOURCE_REMOVE;
}

/* The bearer key of an Authorization header, NULL when it has none. */
static const char *bearer(const char *auth)
{
    if (!auth || g_ascii_strncasecmp(auth, "Bearer ", 7) != 0)
        return NULL;
    auth += 7;
    while (*auth == ' ')
        auth++;
    return *auth ? auth : NULL;
}

/* Reads the JSON body into m; NULL when fine, else the reason for a 400. */
static const char *parse_body(json_t *j, Mint *m)
{
    m->ttl = HN_API_TOKEN_TTL_DEFAULT;
    m->role = g_strdup("participant");
    if (!j)
        return NULL;
    json_t *v;
    if ((v = json_object_get(j, "name"))) {
        if (!json_is_string(v) || !hn_proto_display_name_valid(json_string_value(v)))
            return "name must be a display name of 1-64 characters";
        m->name = g_strdup(json_string_value(v));
    }
    if ((v = json_object_get(j, "role"))) {
        HnRole r;
        if (!json_is_string(v) || !hn_token_role_parse(json_string_value(v), &r))
            return "role must be chair, secretary, participant, observer or site";
        g_free(m->role);
        m->role = g_strdup(json_string_value(v));
    }
    if ((v = json_object_get(j, "sub"))) {
        if (!json_is_string(v) || strlen(json_string_value(v)) < 1 ||
            strlen(json_string_value(v)) > 128 || !g_utf8_validate(json_string_value(v), -1, NULL))
            return "sub must be a string of 1-128 bytes";
        m->sub = g_strdup(json_string_value(v));
    }
    if ((v = json_object_get(j, "ttl"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 60 ||
            json_integer_value(v) > HN_API_TOKEN_TTL_MAX)
            return "ttl must be a whole number of seconds, 60..604800";
        m->ttl = json_integer_value(v);
    }
    return NULL;
}

static void on_tokens(void *user, HnHttpRequest *req)
{
    Api *a = user;
    /* subpath: "/NAME/tokens" */
    const char *sub = hn_http_request_subpath(req);
    g_auto(GStrv) parts = g_strsplit(sub, "/", 0);
    if (g_strv_length(parts) != 3 || parts[0][0] || strcmp(parts[2], "tokens") != 0 ||
        (!hn_config_room_name_valid(parts[1]) && strcmp(parts[1], "*") != 0)) {
        hn_http_reply_error(req, 404, "no such resource: POST /api/rooms/NAME/tokens");
        return;
    }
    const char *key = bearer(hn_http_request_authorization(req));
    if (!key) {
        hn_http_reply_error(req, 401, "an API key is required: Authorization: Bearer KEY");
        return;
    }
    if (!a->cfg->jwt_secret) {
        hn_http_reply_error(req, 503, "this server has no [auth] jwt_secret: it signs no tokens");
        return;
    }
    Mint *m = g_new0(Mint, 1);
    m->req = req;
    m->room = g_strdup(parts[1]);
    g_strlcpy(m->peer, hn_http_request_peer(req), sizeof m->peer);
    const char *bad = parse_body(hn_http_request_json(req), m);
    if (bad) {
        hn_http_reply_error(req, 400, bad);
        mint_free(m);
        return;
    }
    m->key = g_strdup(key);
    hn_store_query(a->store, check_key, mint_reply, a->home, m, mint_free);
}

void hn_api_tokens_register(HnHttpRoutes *routes, const HnConfig *cfg, HnStore *store,
                            HnMailbox *home)
{
    if (!store)
        return;
    api_singleton = (Api){cfg, store, home};
    hn_http_routes_add(routes, HN_HTTP_POST, "/api/rooms",
                       HN_HTTP_ROUTE_PREFIX | HN_HTTP_ROUTE_JSON, 0, on_tokens, &api_singleton);
}

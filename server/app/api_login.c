/* POST /api/login and /api/logout. */
#include "app/api_login.h"

#include <jansson.h>
#include <string.h>

#include "meeting/join_token.h"
#include "meeting/limiter.h"
#include "signaling/server.h"

typedef struct {
    const HnConfig *cfg;
    HnStore *store;
    HnMailbox *home;
    char *secret;
    HnLimiter *limiter;
} Login;

static Login login_singleton; /* one server per process */

typedef struct {
    HnHttpRequest *req;
    char *name, *password;
    gboolean ok;
    HnDbUser user;
    char peer[64];
} Attempt;

static void attempt_free(gpointer p)
{
    Attempt *a = p;
    if (a->password)
        memset(a->password, 0, strlen(a->password));
    g_free(a->password);
    g_free(a->name);
    hn_db_user_clear(&a->user);
    g_free(a);
}

/* Store thread: argon2id takes tens of milliseconds on purpose. */
static void verify(HnDb *db, gpointer data)
{
    Attempt *a = data;
    a->ok = hn_db_user_verify(db, a->name, a->password, &a->user, NULL);
}

static const char *join_role(HnUserRole r)
{
    switch (r) {
    case HN_USER_CHAIR:
        return "chair";
    case HN_USER_SECRETARY:
        return "secretary";
    default:
        return "participant";
    }
}

static void set_cookie(HnHttpRequest *req, const Login *l, const char *value, int max_age)
{
    g_autofree char *c =
        g_strdup_printf("%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s", HN_SESSION_COOKIE,
                        value, max_age, l->cfg->tls_cert ? "; Secure" : "");
    hn_http_request_set_cookie(req, c);
}

static gboolean login_reply(gpointer data)
{
    Attempt *a = data;
    Login *l = &login_singleton;
    g_autofree char *d = g_strdup_printf("addr=%s", a->peer);
    if (!a->ok) {
        gboolean locked = hn_limiter_fail(l->limiter, a->peer, g_get_monotonic_time());
        hn_store_audit(l->store, a->name, "login-failed", NULL, d);
        if (locked) {
            g_message("address %s locked for %u s after %u failed logins", a->peer,
                      l->cfg->lockout_seconds, l->cfg->lockout_failures);
            hn_store_audit(l->store, a->peer, "address-locked", NULL, d);
        }
        hn_http_reply_error(a->req, 401, "wrong name or password");
        return G_SOURCE_REMOVE;
    }
    hn_limiter_success(l->limiter, a->peer);
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    const char *role = join_role(a->user.role);
    g_autofree char *jwt = hn_join_token_mint(l->secret, "*", a->user.display_name, role,
                                              a->user.name, now + HN_SESSION_TTL, 0);
    if (!jwt) {
        hn_http_reply_error(a->req, 500, "cannot sign the session");
        return G_SOURCE_REMOVE;
    }
    hn_store_audit(l->store, a->user.name, "login", NULL, d);
    set_cookie(a->req, l, jwt, HN_SESSION_TTL);
    json_t *body = json_pack("{s:s, s:s, s:s, s:I}", "name", a->user.name, "display_name",
                             a->user.display_name, "role", hn_user_role_name(a->user.role),
                             "expires", (json_int_t)(now + HN_SESSION_TTL));
    hn_http_reply_json(a->req, 200, body);
    return G_SOURCE_REMOVE;
}

static void on_login(void *user, HnHttpRequest *req)
{
    Login *l = user;
    json_t *j = hn_http_request_json(req);
    const char *name = j ? json_string_value(json_object_get(j, "name")) : NULL;
    const char *pw = j ? json_string_value(json_object_get(j, "password")) : NULL;
    if (!name || !pw || !*pw || strlen(pw) > 1024) {
        hn_http_reply_error(req, 400, "send {\"name\": ..., \"password\": ...}");
        return;
    }
    const char *peer = hn_http_request_peer(req);
    switch (hn_limiter_attempt(l->limiter, peer, g_get_monotonic_time())) {
    case HN_LIMIT_LOCKED:
        hn_http_reply_error(req, 429, "too many failed attempts from your address: wait");
        return;
    case HN_LIMIT_RATE:
        hn_http_reply_error(req, 429, "too many attempts from your address: slow down");
        return;
    case HN_LIMIT_OK:
        break;
    }
    Attempt *a = g_new0(Attempt, 1);
    a->req = req;
    a->name = g_strdup(name);
    a->password = g_strdup(pw);
    g_strlcpy(a->peer, peer, sizeof a->peer);
    hn_store_query(l->store, verify, login_reply, l->home, a, attempt_free);
}

static void on_logout(void *user, HnHttpRequest *req)
{
    set_cookie(req, user, "", 0);
    hn_http_reply(req, 200, "application/json", "{}\n", 3);
}

char *hn_session_account(const char *secret, HnHttpRequest *req)
{
    g_autofree char *cookie = hn_http_request_cookie(req, HN_SESSION_COOKIE);
    if (!cookie || strlen(cookie) > HN_TOKEN_MAX)
        return NULL;
    HnTokenClaims c = {0};
    const char *why = NULL;
    char *sub = NULL;
    if (hn_join_token_verify(secret, cookie, "*", g_get_real_time() / G_USEC_PER_SEC, &c, &why) ==
            HN_TOKEN_OK &&
        strcmp(c.room, "*") == 0)
        sub = g_strdup(c.sub);
    hn_token_claims_clear(&c);
    memset(cookie, 0, strlen(cookie));
    return sub;
}

void hn_api_login_register(HnHttpRoutes *routes, const HnConfig *cfg, HnStore *store,
                           HnMailbox *home, const char *secret)
{
    if (!store || login_singleton.limiter)
        return;
    login_singleton = (Login){
        cfg, store, home, g_strdup(secret),
        hn_limiter_new(cfg->lockout_failures, cfg->lockout_seconds, cfg->attempts_per_minute)};
    hn_http_routes_add(routes, HN_HTTP_POST, "/api/login", HN_HTTP_ROUTE_JSON, 4096, on_login,
                       &login_singleton);
    hn_http_routes_add(routes, HN_HTTP_POST, "/api/logout", HN_HTTP_ROUTE_EXACT, 0, on_logout,
                       &login_singleton);
}

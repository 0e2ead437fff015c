/* The REST API's front: routes, authentication (API key or admin session), problem details,
 * store round trips, and the API rooms loaded at start. Resources: api_v1_rooms.c,
 * api_v1_meetings.c, api_v1_participants.c. */
#include "app/api_v1.h"

#include <string.h>

#include "app/api_login.h"
#include "app/api_v1_priv.h"
#include "app/hub_picture.h"
#include "app/hub_recording.h"
#include "store/db_audit.h"

static HnApi api_singleton; /* one server per process */

/* ---- replies ---- */

static const struct {
    const char *kind, *title;
} problem_titles[] = {
    {"unauthorized", "Authentication required"},
    {"forbidden", "Not allowed for this account"},
    {"locked", "Too many failed attempts from this address"},
    {"bad-request", "The request is not valid"},
    {"not-found", "No such resource"},
    {"method-not-allowed", "Method not allowed here"},
    {"conflict", "The request conflicts with the resource's state"},
    {"too-large", "The body is too large"},
    {"unavailable", "The server cannot do this"},
    {"store-error", "The store could not do this"},
};

void hn_api_problem(HnApiCall *c, int status, const char *kind, const char *detail)
{
    if (!c->req)
        return;
    const char *title = "Error";
    for (guint i = 0; i < G_N_ELEMENTS(problem_titles); i++) {
        if (strcmp(problem_titles[i].kind, kind) == 0)
            title = problem_titles[i].title;
    }
    g_autofree char *type = g_strconcat("urn:hoinghi:api:", kind, NULL);
    json_t *p = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", title, "status", status,
                          "detail", detail ? detail : title);
    char *text = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    g_autofree char *body = g_strdup_printf("%s\n", text ? text : "{}");
    free(text);
    hn_http_reply(c->req, status, "application/problem+json", body, strlen(body));
    c->req = NULL;
}

void hn_api_json(HnApiCall *c, int status, json_t *body)
{
    if (!c->req) {
        if (body)
            json_decref(body);
        return;
    }
    if (body)
        hn_http_reply_json(c->req, status, body);
    else
        hn_http_reply(c->req, status, "application/json", "", 0);
    c->req = NULL;
}

void hn_api_not_allowed(HnApiCall *c, const char *allow)
{
    hn_http_request_add_header(c->req, "allow", allow);
    hn_api_problem(c, 405, "method-not-allowed", allow);
}

static void call_unref(gpointer p)
{
    HnApiCall *c = p;
    if (!g_atomic_int_dec_and_test(&c->refs))
        return;
    if (c->req) /* a path that forgot to answer: never leave the client waiting */
        hn_api_problem(c, 500, "store-error", "the request was not answered");
    g_strfreev(c->seg);
    if (c->body)
        json_decref(c->body);
    if (c->key)
        memset(c->key, 0, strlen(c->key));
    g_free(c->key);
    g_free(c->account);
    g_free(c->actor);
    if (c->op_free && c->op)
        c->op_free(c->op);
    g_clear_error(&c->error);
    g_free(c);
}

static gboolean store_reply(gpointer p)
{
    HnApiCall *c = p;
    HnApiReply reply = c->reply;
    c->reply = NULL;
    if (reply)
        reply(c);
    return G_SOURCE_REMOVE;
}

void hn_api_store(HnApiCall *c, HnStoreQueryFn fn, HnApiReply reply)
{
    g_atomic_int_inc(&c->refs);
    c->reply = reply;
    hn_store_query(c->api->store, fn, store_reply, c->api->home, c, call_unref);
}

void hn_api_audit(HnApiCall *c, const char *action, const char *room, const char *detail)
{
    g_autofree char *d =
        g_strdup_printf("%s%saddr=%s", detail ? detail : "", detail ? " " : "", c->peer);
    hn_store_audit(c->api->store, c->actor, action, room, d);
}

gint64 hn_api_parse_id(const char *s)
{
    if (!s || !*s || strlen(s) > 18)
        return -1;
    for (const char *p = s; *p; p++) {
        if (!g_ascii_isdigit(*p))
            return -1;
    }
    return g_ascii_strtoll(s, NULL, 10);
}

/* ---- routing (after authentication) ---- */

static void route(HnApiCall *c)
{
    size_t len = 0;
    const char *raw = hn_http_request_body(c->req, &len);
    char err[200];
    int st = hn_http_parse_json_body(raw, len, 64 * 1024, &c->body, err, sizeof err);
    if (st) {
        hn_api_problem(c, st, st == 413 ? "too-large" : "bad-request", err);
        return;
    }
    const char *what = c->nseg ? c->seg[0] : "";
    if (strcmp(what, "rooms") == 0 && c->nseg >= 2) {
        for (char *p = c->seg[1]; *p; p++) /* room names ignore case */
            *p = g_ascii_tolower(*p);
    }
    if (strcmp(what, "rooms") == 0 && c->nseg >= 3 && strcmp(c->seg[2], "participants") == 0)
        hn_api_participants(c);
    else if (strcmp(what, "rooms") == 0 && c->nseg == 3 && strcmp(c->seg[2], "recording") == 0)
        hn_api_recording(c);
    else if (strcmp(what, "rooms") == 0 && c->nseg >= 3 && strcmp(c->seg[2], "picture") == 0)
        hn_api_picture(c);
    else if (strcmp(what, "rooms") == 0 && c->nseg >= 3 && strcmp(c->seg[2], "sites") == 0)
        hn_api_sites(c);
    else if (strcmp(what, "rooms") == 0)
        hn_api_rooms(c);
    else if (strcmp(what, "meetings") == 0)
        hn_api_meetings(c);
    else if (strcmp(what, "webhooks") == 0)
        hn_api_webhooks(c);
    else
        hn_api_problem(c, 404, "not-found",
                       "the API has rooms, meetings and webhooks (docs/api.md)");
}

/* ---- authentication ---- */

/* Store thread: the key's label, or the session account's role. */
static void auth_check(HnDb *db, gpointer p)
{
    HnApiCall *c = p;
    if (c->key) {
        char *label = hn_db_apikey_check(db, c->key);
        if (label)
            c->actor = g_strdup_printf("apikey:%s", label);
        g_free(label);
        return;
    }
    HnDbUser u = {0};
    c->account_found = hn_db_user_get(db, c->account, &u);
    c->account_role = u.role;
    hn_db_user_clear(&u);
}

static void refuse_401(HnApiCall *c, const char *detail)
{
    hn_http_request_add_header(c->req, "www-authenticate", "Bearer realm=\"hoinghi\"");
    hn_api_problem(c, 401, "unauthorized", detail);
}

static gboolean auth_done(HnApiCall *c)
{
    HnApi *a = c->api;
    if (c->key && !c->actor) {
        gboolean locked = hn_limiter_fail(a->limiter, c->peer, g_get_monotonic_time());
        g_autofree char *d = g_strdup_printf("addr=%s", c->peer);
        hn_store_audit(a->store, c->peer, "api-auth-failed", NULL, d);
        if (locked) {
            g_message("address %s locked for %u s after %u unknown API keys", c->peer,
                      a->hub->cfg->lockout_seconds, a->hub->cfg->lockout_failures);
            hn_store_audit(a->store, c->peer, "address-locked", NULL, d);
        }
        refuse_401(c, "unknown API key");
        return G_SOURCE_REMOVE;
    }
    if (!c->key) {
        if (!c->account_found) {
            refuse_401(c, "the session's account no longer exists");
            return G_SOURCE_REMOVE;
        }
        if (c->account_role != HN_USER_ADMIN) {
            hn_api_problem(c, 403, "forbidden", "the API is for admin accounts and API keys");
            return G_SOURCE_REMOVE;
        }
        c->actor = g_strdup_printf("user:%s", c->account);
    }
    hn_limiter_success(a->limiter, c->peer);
    route(c);
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

static void start_call(HnApi *a, HnHttpRequest *req, char **seg, gboolean legacy)
{
    HnApiCall *c = g_new0(HnApiCall, 1);
    c->refs = 1;
    c->api = a;
    c->req = req;
    c->method = hn_http_request_method(req);
    if (c->method == HN_HTTP_HEAD)
        c->method = HN_HTTP_GET;
    c->seg = seg;
    c->nseg = g_strv_length(seg);
    c->legacy = legacy;
    g_strlcpy(c->peer, hn_http_request_peer(req), sizeof c->peer);
    const char *key = bearer(hn_http_request_authorization(req));
    if (key)
        c->key = g_strdup(key);
    else
        c->account = hn_session_account(a->hub->session_secret, req);
    if (!c->key && !c->account) {
        refuse_401(c, "send an API key (Authorization: Bearer KEY) or log in as an admin");
    } else if (hn_limiter_locked_for(a->limiter, c->peer, g_get_monotonic_time()) > 0) {
        g_autofree char *s = g_strdup_printf(
            "%u", hn_limiter_locked_for(a->limiter, c->peer, g_get_monotonic_time()));
        hn_http_request_add_header(req, "retry-after", s);
        hn_api_problem(c, 429, "locked", "too many failed attempts from your address: wait");
    } else {
        hn_api_store(c, auth_check, auth_done);
    }
    call_unref(c);
}

/* /api/v1/...: the segments after /api/v1. */
static void on_v1(void *user, HnHttpRequest *req)
{
    const char *sub = hn_http_request_subpath(req);
    start_call(user, req, g_strsplit(*sub == '/' ? sub + 1 : sub, "/", 8), FALSE);
}

/* The older POST /api/rooms/NAME/tokens: the same call as /api/v1/rooms/NAME/tokens. */
static void on_legacy_tokens(void *user, HnHttpRequest *req)
{
    const char *sub = hn_http_request_subpath(req);
    g_autofree char *path = g_strconcat("rooms", sub, NULL);
    char **seg = g_strsplit(path, "/", 8);
    if (g_strv_length(seg) != 3 || strcmp(seg[2], "tokens") != 0) {
        g_strfreev(seg);
        hn_http_reply_error(req, 404, "no such resource: POST /api/rooms/NAME/tokens");
        return;
    }
    start_call(user, req, seg, TRUE);
}

/* ---- the API rooms, loaded once at start ---- */

/* The store thread hands the rows over through atomics, not a GMutex: GLib's mutexes are
 * futexes ThreadSanitizer cannot see, atomics it can. */
typedef struct {
    gint done; /* atomic: 1 once rooms is set */
    GArray *rooms;
    gint refs; /* atomic */
} Load;

static void load_unref(gpointer p)
{
    Load *l = p;
    if (!g_atomic_int_dec_and_test(&l->refs))
        return;
    if (l->rooms)
        g_array_unref(l->rooms);
    g_free(l);
}

static void load_run(HnDb *db, gpointer p)
{
    Load *l = p;
    GError *err = NULL;
    l->rooms = hn_db_room_list(db, &err);
    if (!l->rooms) {
        g_warning("store: cannot read the API rooms: %s", err->message);
        g_error_free(err);
    }
    g_atomic_int_set(&l->done, 1);
}

static gboolean load_reply(gpointer p)
{
    (void)p;
    return G_SOURCE_REMOVE;
}

/* Main thread, before the loop runs: waits (a few milliseconds) for the store thread. */
static void load_rooms(HnApi *a)
{
    Load *l = g_new0(Load, 1);
    l->refs = 2;
    hn_store_query(a->store, load_run, load_reply, a->home, l, load_unref);
    while (!g_atomic_int_get(&l->done))
        g_usleep(1000);
    GArray *rooms = g_steal_pointer(&l->rooms);
    guint n = 0;
    for (guint i = 0; rooms && i < rooms->len; i++) {
        const HnDbRoom *r = &g_array_index(rooms, HnDbRoom, i);
        if (hn_config_find_room(a->hub->cfg, r->name)) {
            g_warning("room %s is in the configuration file and in the store: the file's "
                      "settings apply",
                      r->name);
            continue;
        }
        hn_room_policies_put(a->hub->policies, r);
        n++;
    }
    if (rooms)
        g_array_unref(rooms);
    if (n)
        g_message("%u room%s made through the API", n, n == 1 ? "" : "s");
    load_unref(l);
}

void hn_api_v1_register(HnHub *hub)
{
    if (!hub->store || api_singleton.hub)
        return;
    const HnConfig *cfg = hub->cfg;
    api_singleton = (HnApi){
        hub, hub->store, hn_worker_pool_home(hub->pool),
        hn_limiter_new(cfg->lockout_failures, cfg->lockout_seconds, cfg->attempts_per_minute)};
    load_rooms(&api_singleton);
    unsigned all = HN_HTTP_GET | HN_HTTP_POST | HN_HTTP_PATCH | HN_HTTP_DELETE | HN_HTTP_PUT;
    hn_http_routes_add(hub->routes, all, "/api/v1", HN_HTTP_ROUTE_PREFIX, 0, on_v1, &api_singleton);
    hn_http_routes_add(hub->routes, HN_HTTP_POST, "/api/rooms", HN_HTTP_ROUTE_PREFIX, 0,
                       on_legacy_tokens, &api_singleton);
}

/* /login, /logout and /admin/audit (app/hub_admin.h). */
#include "app/hub_admin.h"

#include <string.h>

#include "app/api_login.h"
#include "app/audit_view.h"
#include "app/hub_priv.h"
#include "meeting/join_token.h"
#include "store/db_audit.h"

typedef enum { KIND_PAGE, KIND_JSON, KIND_CSV } Kind;

typedef struct {
    HnHub *hub;
    char *client_dir;
} Admin;

static Admin admin_singleton; /* one hub per process */

typedef struct {
    HnHttpRequest *req;
    Kind kind;
    char *account;
    HnAuditFilter filter;
    gboolean known, is_admin;
    GArray *rows;
    gboolean more;
    GError *error;
} Query;

static void query_free(gpointer p)
{
    Query *q = p;
    g_free(q->account);
    hn_audit_filter_clear(&q->filter);
    if (q->rows)
        g_array_unref(q->rows);
    g_clear_error(&q->error);
    g_free(q);
}

/* The account name of the request's session, NULL without a valid one. transfer full. */
static char *session_account(const Admin *a, HnHttpRequest *req)
{
    return hn_session_account(a->hub->session_secret, req);
}

/* Headers that keep the pages out of frames and foreign scripts. */
static void page_headers(HnHttpRequest *req)
{
    hn_http_request_add_header(req, "content-security-policy",
                               "default-src 'self'; frame-ancestors 'none'; form-action 'self'");
    hn_http_request_add_header(req, "x-frame-options", "DENY");
    hn_http_request_add_header(req, "referrer-policy", "same-origin");
}

static void reply_file(const Admin *a, HnHttpRequest *req, const char *file)
{
    g_autofree char *path = g_build_filename(a->client_dir, file, NULL);
    g_autofree char *body = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &body, &len, NULL)) {
        hn_http_reply_error(req, 404, "page not installed");
        return;
    }
    page_headers(req);
    hn_http_reply(req, 200, "text/html; charset=utf-8", body, len);
}

void hn_hub_admin_reply_page(HnHttpRequest *req, const char *file)
{
    reply_file(&admin_singleton, req, file);
}

static void redirect(HnHttpRequest *req, const char *to)
{
    hn_http_request_add_header(req, "location", to);
    hn_http_reply(req, 303, "text/plain; charset=utf-8", to, strlen(to));
}

/* Store thread: the account's role, then the rows when it is an admin's. */
static void run_query(HnDb *db, gpointer data)
{
    Query *q = data;
    HnDbUser u = {0};
    q->known = hn_db_user_get(db, q->account, &u);
    q->is_admin = q->known && u.role == HN_USER_ADMIN;
    hn_db_user_clear(&u);
    if (q->is_admin && q->kind != KIND_PAGE)
        q->rows = hn_db_audit_query(db, &q->filter, &q->more, &q->error);
}

static gboolean query_reply(gpointer data)
{
    Query *q = data;
    Admin *a = &admin_singleton;
    HnHttpRequest *req = q->req;
    if (!q->is_admin) {
        if (q->kind == KIND_PAGE && !q->known)
            redirect(req, "/login?next=/admin/audit");
        else if (q->kind == KIND_PAGE)
            hn_http_reply(req, 403, "text/plain; charset=utf-8", "403: admin accounts only\n", 25);
        else
            hn_http_reply_error(req, q->known ? 403 : 401,
                                q->known ? "admin accounts only" : "log in first");
        return G_SOURCE_REMOVE;
    }
    if (q->kind == KIND_PAGE) {
        reply_file(a, req, "audit.html");
        return G_SOURCE_REMOVE;
    }
    if (!q->rows) {
        g_warning("audit query failed: %s", q->error ? q->error->message : "?");
        hn_http_reply_error(req, 500, "the audit log cannot be read now");
        return G_SOURCE_REMOVE;
    }
    if (q->kind == KIND_JSON) {
        hn_http_reply_json(req, 200, hn_audit_json(q->rows, q->more));
        return G_SOURCE_REMOVE;
    }
    GString *csv = hn_audit_csv(q->rows);
    hn_http_request_add_header(req, "content-disposition",
                               "attachment; filename=\"hoinghi-audit.csv\"");
    if (q->more && q->rows->len) { /* the next page, for scripts that page the export */
        g_autofree char *n = g_strdup_printf(
            "%" G_GINT64_FORMAT, g_array_index(q->rows, HnAuditRow, q->rows->len - 1).id);
        hn_http_request_add_header(req, "x-next-before", n);
    }
    g_autofree char *detail = g_strdup_printf("rows=%u", q->rows->len);
    hn_store_audit(a->hub->store, q->account, "audit-export", NULL, detail);
    hn_http_reply(req, 200, "text/csv; charset=utf-8; header=present", csv->str, csv->len);
    g_string_free(csv, TRUE);
    return G_SOURCE_REMOVE;
}

static void serve(Admin *a, HnHttpRequest *req, Kind kind)
{
    if (!a->hub->store) {
        hn_http_reply_error(req, 503, "no store: the audit log is not kept");
        return;
    }
    char *account = session_account(a, req);
    if (!account) {
        if (kind == KIND_PAGE)
            redirect(req, "/login?next=/admin/audit");
        else
            hn_http_reply_error(req, 401, "log in first");
        return;
    }
    Query *q = g_new0(Query, 1);
    q->req = req;
    q->kind = kind;
    q->account = account;
    g_autofree char *why = NULL;
    if (kind != KIND_PAGE &&
        !hn_audit_filter_parse(hn_http_request_query(req),
                               kind == KIND_CSV ? HN_AUDIT_CSV_DEFAULT : HN_AUDIT_PAGE_DEFAULT,
                               &q->filter, &why)) {
        query_free(q);
        hn_http_reply_error(req, 400, why);
        return;
    }
    hn_store_query(a->hub->store, run_query, query_reply, hn_worker_pool_home(a->hub->pool), q,
                   query_free);
}

static void on_audit_page(void *user, HnHttpRequest *req)
{
    serve(user, req, KIND_PAGE);
}

static void on_audit_json(void *user, HnHttpRequest *req)
{
    serve(user, req, KIND_JSON);
}

static void on_audit_csv(void *user, HnHttpRequest *req)
{
    serve(user, req, KIND_CSV);
}

static void on_admin(void *user, HnHttpRequest *req)
{
    redirect(req, "/admin/audit");
}

static void on_login_page(void *user, HnHttpRequest *req)
{
    reply_file(user, req, "login.html");
}

static void on_logout(void *user, HnHttpRequest *req)
{
    Admin *a = user;
    g_autofree char *account = session_account(a, req);
    if (account && a->hub->store) {
        g_autofree char *d = g_strdup_printf("addr=%s", hn_http_request_peer(req));
        hn_store_audit(a->hub->store, account, "logout", NULL, d);
    }
    g_autofree char *c =
        g_strdup_printf("%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s", HN_SESSION_COOKIE,
                        a->hub->cfg->tls_cert ? "; Secure" : "");
    hn_http_request_set_cookie(req, c);
    redirect(req, "/login");
}

void hn_hub_admin_register(HnHub *hub, const char *client_dir)
{
    Admin *a = &admin_singleton;
    g_free(a->client_dir);
    a->hub = hub;
    a->client_dir = g_strdup(client_dir);
    HnHttpRoutes *r = hub->routes;
    hn_http_routes_add(r, HN_HTTP_GET, "/login", 0, 0, on_login_page, a);
    hn_http_routes_add(r, HN_HTTP_GET, "/logout", 0, 0, on_logout, a);
    hn_http_routes_add(r, HN_HTTP_GET, "/admin", 0, 0, on_admin, a);
    hn_http_routes_add(r, HN_HTTP_GET, "/admin/audit", 0, 0, on_audit_page, a);
    hn_http_routes_add(r, HN_HTTP_GET, "/admin/audit.json", 0, 0, on_audit_json, a);
    hn_http_routes_add(r, HN_HTTP_GET, "/admin/audit.csv", 0, 0, on_audit_csv, a);
}

void hn_hub_admin_unregister(HnHub *hub)
{
    Admin *a = &admin_singleton;
    if (a->hub != hub)
        return;
    g_clear_pointer(&a->client_dir, g_free);
    a->hub = NULL;
}

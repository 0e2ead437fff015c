/* /api/minutes/<meeting>: read, edit and approve the minutes (app/api_minutes.h). */
#include "app/api_minutes.h"

#include <stdlib.h>
#include <string.h>

#include "app/api_login.h"
#include "app/hub_meeting.h"
#include "app/hub_minutes.h"
#include "meeting/minutes.h"
#include "record/hnr.h"
#include "store/db_audit.h"
#include "store/db_minutes.h"

#define BODY_MAX (1024 * 1024)

typedef enum { OP_GET, OP_HTML, OP_EDIT, OP_APPROVE, OP_PDF } OpKind;

typedef struct {
    HnHub *hub;
    HnHttpRequest *req;
    OpKind kind;
    gint64 meeting;
    char *account;
    json_t *edit; /* PUT's body */
    /* results (store thread) */
    char *role;
    int status;      /* 0: fine */
    const char *why; /* with status */
    json_t *reply;   /* OP_GET, OP_EDIT, OP_APPROVE */
    char *html;      /* OP_HTML */
    int want;        /* OP_PDF: the version asked (?v=N; 0: the newest) */
    char *pdf;       /* OP_PDF: the file's bytes */
    gsize pdf_len;
    int version;      /* written (edit, approve) */
    char *room, *dir; /* of the written version */
    GError *error;
} Op;

static void op_free(gpointer p)
{
    Op *op = p;
    g_free(op->account);
    json_decref(op->edit);
    g_free(op->role);
    json_decref(op->reply);
    g_free(op->html);
    g_free(op->pdf);
    g_free(op->room);
    g_free(op->dir);
    g_clear_error(&op->error);
    g_free(op);
}

static gboolean may_read(const char *role)
{
    return role && (hn_minutes_role_may_edit(role) || strcmp(role, "clerk") == 0 ||
                    strcmp(role, "admin") == 0);
}

static void refuse(Op *op, int status, const char *why)
{
    op->status = status;
    op->why = why;
}

/* <archive>/.../<meeting>/minutes/v<version>/minutes.pdf of the minutes m. transfer full. */
static char *version_pdf(const HnConfig *cfg, const json_t *m, int version)
{
    const json_t *mt = json_object_get(m, "meeting");
    g_autofree char *base =
        hn_archive_meeting_dir(cfg->data_dir, json_integer_value(json_object_get(mt, "id")),
                               json_integer_value(json_object_get(mt, "started_ms")));
    g_autofree char *sub = g_strdup_printf("v%d", version);
    return g_build_filename(base, "minutes", sub, "minutes.pdf", NULL);
}

/* The reply of GET: the newest version, its minutes, the versions, what the account may do. */
static json_t *state_json(HnDb *db, const Op *op, int version, const char *state, json_t *m)
{
    const HnConfig *cfg = op->hub->cfg;
    g_autofree char *html = g_strdup_printf("/api/minutes/%" G_GINT64_FORMAT "/html", op->meeting);
    g_autofree char *pdf = g_strdup_printf("/api/minutes/%" G_GINT64_FORMAT "/pdf", op->meeting);
    g_autofree char *file = version_pdf(cfg, m, version);
    return json_pack("{s:I, s:i, s:s, s:o, s:o, s:s, s:s, s:b, s:b, s:b}", "meeting",
                     (json_int_t)op->meeting, "version", version, "state", state, "minutes", m,
                     "versions", hn_db_minutes_versions(db, op->meeting), "html", html, "pdf", pdf,
                     "pdf_ready", g_file_test(file, G_FILE_TEST_IS_REGULAR), "may_edit",
                     hn_minutes_role_may_edit(op->role), "may_approve",
                     hn_minutes_role_may_approve(cfg, op->role) && strcmp(state, "draft") == 0);
}

static void op_run(HnDb *db, gpointer p)
{
    Op *op = p;
    const HnConfig *cfg = op->hub->cfg;
    HnDbUser u = {0};
    if (!hn_db_user_get(db, op->account, &u)) {
        refuse(op, 401, "log in first");
        return;
    }
    op->role = g_strdup(hn_user_role_name(u.role));
    hn_db_user_clear(&u);
    if (!may_read(op->role)) {
        refuse(op, 403, "the minutes are for chairs, secretaries, clerks and admins");
        return;
    }
    g_autofree char *state = NULL, *text = NULL;
    int version = hn_db_minutes_latest(db, op->meeting, &state, &text);
    json_t *m = text ? json_loads(text, 0, NULL) : NULL;
    if (!version || !m) {
        json_decref(m);
        refuse(op, 404, "this meeting has no minutes (yet: they are drafted when it ends)");
        return;
    }
    if (op->kind == OP_GET) {
        op->reply = state_json(db, op, version, state, m);
        return;
    }
    if (op->kind == OP_HTML) {
        op->html = hn_minutes_html(m);
        json_decref(m);
        return;
    }
    if (op->kind == OP_PDF) {
        g_autofree char *file = version_pdf(cfg, m, op->want ? op->want : version);
        json_decref(m);
        if (op->want > version || !g_file_get_contents(file, &op->pdf, &op->pdf_len, NULL))
            refuse(op, 404, "no PDF of this version (yet: it is rendered within seconds)");
        return;
    }
    json_t *next = NULL;
    if (op->kind == OP_EDIT) {
        if (!hn_minutes_role_may_edit(op->role)) {
            json_decref(m);
            refuse(op, 403, "only a secretary or a chair edits the minutes");
            return;
        }
        next = hn_minutes_edit(m, op->edit, &op->why);
        json_decref(m);
        if (!next) {
            op->status = 400;
            return;
        }
        op->version = version + 1;
        json_object_set_new(next, "minutes_version", json_integer(op->version));
    } else {
        if (!hn_minutes_role_may_approve(cfg, op->role)) {
            json_decref(m);
            refuse(op, 403,
                   cfg->minutes_approver_secretary
                       ? "only a chair or the secretary approves the minutes"
                       : "only a chair approves the minutes");
            return;
        }
        if (strcmp(state, "draft") != 0) {
            json_decref(m);
            refuse(op, 409, "the newest version is already approved: edit it to make a new draft");
            return;
        }
        next = m;
        json_object_set_new(next, "draft", json_false());
        op->version = version;
    }
    g_autofree char *out = json_dumps(next, JSON_COMPACT | JSON_PRESERVE_ORDER);
    gboolean ok =
        hn_minutes_files_write(cfg->data_dir, next, &op->dir, &op->error) &&
        (op->kind == OP_EDIT
             ? hn_db_minutes_add(db, op->meeting, op->version, out,
                                 g_get_real_time() / G_USEC_PER_SEC, op->account, &op->error)
             : hn_db_minutes_approve(db, op->meeting, op->version, out, op->account,
                                     g_get_real_time() / G_USEC_PER_SEC, &op->error));
    if (!ok) {
        if (!op->error) /* the version was taken by a concurrent edit */
            refuse(op, 409, "someone else changed the minutes meanwhile: reload and edit again");
        json_decref(next);
        return;
    }
    op->room =
        g_strdup(json_string_value(json_object_get(json_object_get(next, "meeting"), "room")));
    op->reply = state_json(db, op, op->version, op->kind == OP_EDIT ? "draft" : "approved", next);
}

static gboolean op_done(gpointer p)
{
    Op *op = p;
    HnHttpRequest *req = op->req;
    if (op->status) {
        hn_http_reply_error(req, op->status, op->why);
        return G_SOURCE_REMOVE;
    }
    if (op->pdf) {
        g_autofree char *cd =
            g_strdup_printf("attachment; filename=\"bien-ban-%" G_GINT64_FORMAT "%s%.0d.pdf\"",
                            op->meeting, op->want ? "-v" : "", op->want);
        hn_http_request_add_header(req, "content-disposition", cd);
        hn_http_reply(req, 200, "application/pdf", op->pdf, op->pdf_len);
        return G_SOURCE_REMOVE;
    }
    if (op->error || (!op->reply && !op->html)) {
        g_warning("minutes: meeting %" G_GINT64_FORMAT ": %s", op->meeting,
                  op->error ? op->error->message : "?");
        hn_http_reply_error(req, 500, "the minutes cannot be written now");
        return G_SOURCE_REMOVE;
    }
    if (op->html) {
        hn_http_request_add_header(req, "content-security-policy",
                                   "default-src 'none'; style-src 'unsafe-inline'; "
                                   "frame-ancestors 'self'");
        hn_http_reply(req, 200, "text/html; charset=utf-8", op->html, strlen(op->html));
        return G_SOURCE_REMOVE;
    }
    if (op->kind == OP_EDIT || op->kind == OP_APPROVE) {
        gboolean approve = op->kind == OP_APPROVE;
        g_autofree char *d =
            g_strdup_printf("meeting=%" G_GINT64_FORMAT " version=%d", op->meeting, op->version);
        hn_store_audit(op->hub->store, op->account, approve ? "minutes-approve" : "minutes-edit",
                       op->room, d);
        json_t *data = json_pack("{s:I, s:i, s:s, s:s?}", "meeting", (json_int_t)op->meeting,
                                 "version", op->version, "by", op->account, "dir", op->dir);
        hn_hub_meeting_event(op->hub, op->room ? op->room : "",
                             approve ? "minutes.approved" : "minutes.edited", op->account, NULL,
                             data);
    }
    hn_http_reply_json(req, 200, g_steal_pointer(&op->reply));
    return G_SOURCE_REMOVE;
}

static void on_minutes(void *user, HnHttpRequest *req)
{
    HnHub *hub = user;
    const char *sub = hn_http_request_subpath(req); /* "/12", "/12/approve", "/12/html" */
    g_auto(GStrv) seg = g_strsplit(*sub == '/' ? sub + 1 : sub, "/", 3);
    guint n = g_strv_length(seg);
    gint64 meeting =
        n >= 1 && *seg[0] && strspn(seg[0], "0123456789") == strlen(seg[0]) && strlen(seg[0]) < 16
            ? g_ascii_strtoll(seg[0], NULL, 10)
            : 0;
    const char *tail = n == 2 ? seg[1] : NULL;
    HnHttpMethod method = hn_http_request_method(req);
    if (meeting <= 0 || n > 2 ||
        (tail && strcmp(tail, "approve") && strcmp(tail, "html") && strcmp(tail, "pdf"))) {
        hn_http_reply_error(req, 404,
                            "no such minutes: /api/minutes/<meeting>[/html|/pdf|/approve]");
        return;
    }
    OpKind kind;
    if (!tail && (method == HN_HTTP_GET || method == HN_HTTP_HEAD))
        kind = OP_GET;
    else if (!tail && method == HN_HTTP_PUT)
        kind = OP_EDIT;
    else if (tail && tail[0] == 'h' && (method == HN_HTTP_GET || method == HN_HTTP_HEAD))
        kind = OP_HTML;
    else if (tail && tail[0] == 'p' && (method == HN_HTTP_GET || method == HN_HTTP_HEAD))
        kind = OP_PDF;
    else if (tail && tail[0] == 'a' && method == HN_HTTP_POST)
        kind = OP_APPROVE;
    else {
        hn_http_request_add_header(
            req, "allow", tail ? (tail[0] != 'a' ? "GET, HEAD" : "POST") : "GET, HEAD, PUT");
        hn_http_reply_error(req, 405, "method not allowed here");
        return;
    }
    if (!hub->store) {
        hn_http_reply_error(req, 503, "no store: this server keeps no minutes");
        return;
    }
    char *account = hn_session_account(hub->session_secret, req);
    if (!account) {
        hn_http_reply_error(req, 401, "log in first");
        return;
    }
    json_t *body = hn_http_request_json(req);
    if (kind == OP_EDIT && !body) {
        g_free(account);
        hn_http_reply_error(req, 400, "send the edit as a JSON object");
        return;
    }
    Op *op = g_new0(Op, 1);
    op->hub = hub;
    op->req = req;
    op->kind = kind;
    op->meeting = meeting;
    op->account = account;
    op->edit = body ? json_incref(body) : NULL;
    const char *q = hn_http_request_query(req); /* /pdf?v=N */
    if (kind == OP_PDF && q && g_str_has_prefix(q, "v=") && strlen(q + 2) < 6 &&
        strspn(q + 2, "0123456789") == strlen(q + 2))
        op->want = atoi(q + 2);
    hn_store_query(hub->store, op_run, op_done, hn_worker_pool_home(hub->pool), op, op_free);
}

void hn_api_minutes_register(HnHub *hub)
{
    hn_http_routes_add(hub->routes, HN_HTTP_GET | HN_HTTP_PUT | HN_HTTP_POST, "/api/minutes",
                       HN_HTTP_ROUTE_PREFIX | HN_HTTP_ROUTE_JSON, BODY_MAX, on_minutes, hub);
}

/* The clerks' portal (app/hub_archive.h). */
#include "app/hub_archive.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/api_login.h"
#include "app/hub_admin.h"
#include "app/hub_priv.h"
#include "store/db_audit.h"
#include "store/db_rooms.h"

typedef enum { KIND_PAGE, KIND_FILE, KIND_LIST, KIND_MEETING, KIND_VERIFY } Kind;

typedef struct {
    HnHub *hub;
    HnArchive *archive;
} Portal;

static Portal portal_singleton; /* one hub per process */

typedef struct {
    HnHttpRequest *req;
    Kind kind;
    char *account;
    gboolean known, allowed;
    gint64 id;
    char *file; /* KIND_FILE: the path inside the meeting; KIND_VERIFY: one file or NULL */
    HnDbArchiveFilter filter;
    GArray *found; /* KIND_LIST */
    gboolean have; /* KIND_MEETING, KIND_FILE, KIND_VERIFY: the meeting is catalogued */
    HnDbArchiveMeeting m;
    int fd;     /* KIND_FILE: opened on the store thread, -1 when not */
    int status; /* KIND_FILE: the refusal's status when fd is -1 */
    char *why;  /* its reason */
    char *root; /* the archive root (for the store thread) */
} Query;

static void query_free(gpointer p)
{
    Query *q = p;
    g_free(q->account);
    g_free(q->file);
    hn_db_archive_filter_clear(&q->filter);
    if (q->found)
        g_array_unref(q->found);
    hn_db_archive_meeting_clear(&q->m);
    if (q->fd >= 0)
        close(q->fd);
    g_free(q->why);
    g_free(q->root);
    g_free(q);
}

/* ---- the store thread ---- */

static const HnDbArchiveFile *find_file(const HnDbArchiveMeeting *m, const char *name)
{
    for (guint i = 0; m->files && i < m->files->len; i++) {
        const HnDbArchiveFile *f = &g_array_index(m->files, HnDbArchiveFile, i);
        if (strcmp(f->name, name) == 0)
            return f;
    }
    return NULL;
}

/* Opens q->file of meeting q->m: listed, present, inside its folder. */
static void open_file(Query *q)
{
    q->status = 404;
    if (!hn_archive_path_valid(q->file)) {
        q->status = 400;
        q->why = g_strdup("not a valid file path");
        return;
    }
    const HnDbArchiveFile *f = q->have ? find_file(&q->m, q->file) : NULL;
    if (!q->have || (!f && strcmp(q->file, HN_ARCHIVE_MANIFEST) != 0)) {
        q->why = g_strdup(q->have ? "no such file in this meeting" : "no such meeting");
        return;
    }
    if (f && f->removed) {
        q->status = 410;
        q->why = g_strdup("removed by the room's retention");
        return;
    }
    GError *err = NULL;
    q->fd = hn_archive_open(q->root, q->m.dir, q->file, &err);
    if (q->fd < 0) {
        if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
            q->status = 400;
        q->why = g_strdup("the file cannot be opened");
        g_message("archive: meeting %" G_GINT64_FORMAT " file %s refused: %s", q->id, q->file,
                  err->message);
        g_error_free(err);
    }
}

static void run_query(HnDb *db, gpointer data)
{
    Query *q = data;
    HnDbUser u = {0};
    q->known = hn_db_user_get(db, q->account, &u);
    q->allowed = q->known && (u.role == HN_USER_CLERK || u.role == HN_USER_ADMIN);
    hn_db_user_clear(&u);
    if (!q->allowed)
        return;
    switch (q->kind) {
    case KIND_PAGE:
        break;
    case KIND_LIST:
        q->found = hn_db_archive_search(db, &q->filter, NULL);
        break;
    case KIND_FILE:
        q->have = hn_db_archive_get(db, q->id, &q->m);
        open_file(q);
        break;
    case KIND_MEETING:
    case KIND_VERIFY:
        q->have = hn_db_archive_get(db, q->id, &q->m);
        break;
    }
}

/* ---- replies (main loop) ---- */

static void redirect_login(HnHttpRequest *req)
{
    const char *to = "/login?next=/archive";
    hn_http_request_add_header(req, "location", to);
    hn_http_reply(req, 303, "text/plain; charset=utf-8", to, strlen(to));
}

static void reply_forbidden_page(HnHttpRequest *req)
{
    static const char page[] =
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>403</title>"
        "<link rel=\"stylesheet\" href=\"/style.css\"></head><body><main class=\"audit\">"
        "<h1>403</h1><p>Chỉ tài khoản văn thư hoặc quản trị được xem kho lưu trữ.</p>"
        "<p lang=\"en\">Only clerk and admin accounts may open the archive.</p>"
        "<p><a href=\"/logout\">Đăng xuất / Log out</a></p></main></body></html>\n";
    hn_http_reply(req, 403, "text/html; charset=utf-8", page, sizeof page - 1);
}

/* "2026-12-05T08:30:00+07:00" of unix ms, local time; NULL for 0. transfer full. */
static char *iso_ms(gint64 ms)
{
    if (!ms)
        return NULL;
    GDateTime *dt = g_date_time_new_from_unix_local(ms / 1000);
    char *s = dt ? g_date_time_format(dt, "%FT%T%:z") : NULL;
    if (dt)
        g_date_time_unref(dt);
    return s;
}

static json_t *meeting_summary(const HnDbArchiveMeeting *m)
{
    g_autofree char *removed = iso_ms(m->removed * 1000);
    return json_pack("{s:I, s:s, s:s?, s:I, s:o, s:s, s:b, s:s?}", "id", (json_int_t)m->id, "room",
                     m->room, "title", m->title, "started_ms", (json_int_t)m->started_ms,
                     "ended_ms", m->ended_ms ? json_integer(m->ended_ms) : json_null(), "state",
                     m->state ? m->state : "", "interrupted", m->interrupted, "removed", removed);
}

static json_t *meeting_full(const HnDbArchiveMeeting *m)
{
    json_t *o = meeting_summary(m);
    json_t *people = json_array(), *files = json_array();
    for (guint i = 0; i < m->people->len; i++) {
        const HnDbArchivePerson *p = &g_array_index(m->people, HnDbArchivePerson, i);
        json_array_append_new(
            people, json_pack("{s:s, s:s?, s:o, s:o}", "name", p->name, "role", p->role,
                              "joined_ms", p->joined_ms ? json_integer(p->joined_ms) : json_null(),
                              "left_ms", p->left_ms ? json_integer(p->left_ms) : json_null()));
    }
    for (guint i = 0; i < m->files->len; i++) {
        const HnDbArchiveFile *f = &g_array_index(m->files, HnDbArchiveFile, i);
        gboolean attachment = FALSE;
        const char *type = hn_archive_content_type(f->name, &attachment);
        g_autofree char *url =
            g_strdup_printf("/archive/files/%" G_GINT64_FORMAT "/%s", m->id, f->name);
        g_autofree char *removed = iso_ms(f->removed * 1000);
        json_array_append_new(files, json_pack("{s:s, s:I, s:s?, s:s?, s:s, s:s, s:b}", "name",
                                               f->name, "bytes", (json_int_t)f->bytes, "sha256",
                                               f->sha256, "removed", removed, "url", url, "type",
                                               type, "playable", g_str_has_prefix(type, "video/")));
    }
    json_error_t err;
    json_t *manifest = m->manifest ? json_loads(m->manifest, 0, &err) : NULL;
    json_object_set_new(o, "participants", people);
    json_object_set_new(o, "files", files);
    json_object_set_new(o, "manifest", manifest ? manifest : json_null());
    return o;
}

/* Answers a file request: Range, Content-Type, Content-Disposition, streamed. */
static void reply_file(Portal *p, Query *q)
{
    HnHttpRequest *req = q->req;
    if (q->fd < 0) {
        hn_http_reply_error(req, q->status, q->why ? q->why : "no such file");
        return;
    }
    struct stat sb;
    if (fstat(q->fd, &sb) != 0) {
        hn_http_reply_error(req, 404, "the file cannot be read");
        return;
    }
    unsigned long long size = (unsigned long long)sb.st_size, start = 0, len = size;
    gboolean attachment = FALSE;
    const char *type = hn_archive_content_type(q->file, &attachment);
    const char *query = hn_http_request_query(req);
    gboolean download = strstr(query, "download=1") != NULL;
    const char *range = hn_http_request_range(req);
    int r = hn_http_range_parse(range, size, &start, &len);
    hn_http_request_add_header(req, "accept-ranges", "bytes");
    if (r < 0) {
        g_autofree char *cr = g_strdup_printf("bytes */%llu", size);
        hn_http_request_add_header(req, "content-range", cr);
        hn_http_reply_error(req, 416, "the range is outside the file");
        return;
    }
    if (r > 0) {
        g_autofree char *cr = g_strdup_printf("bytes %llu-%llu/%llu", start, start + len - 1, size);
        hn_http_request_add_header(req, "content-range", cr);
    }
    const char *base = strrchr(q->file, '/') ? strrchr(q->file, '/') + 1 : q->file;
    g_autofree char *disp =
        g_strdup_printf("%s; filename=\"%" G_GINT64_FORMAT "-%s\"",
                        attachment || download ? "attachment" : "inline", q->id, base);
    hn_http_request_add_header(req, "content-disposition", disp);
    hn_http_request_add_header(req, "x-content-type-options", "nosniff");
    if (hn_http_request_method(req) == HN_HTTP_GET && (download || start == 0)) {
        g_autofree char *d =
            g_strdup_printf("meeting=%" G_GINT64_FORMAT " file=%s bytes=%llu", q->id, q->file, len);
        hn_store_audit(p->hub->store, q->account, download ? "archive-download" : "archive-view",
                       q->m.room, d);
    }
    int fd = q->fd;
    q->fd = -1;
    hn_http_reply_file(req, r > 0 ? 206 : 200, type, fd, start, len);
}

typedef struct {
    HnHttpRequest *req;
    char *account, *room;
    gint64 id;
} Verifying;

static void verifying_free(gpointer p)
{
    Verifying *v = p;
    g_free(v->account);
    g_free(v->room);
    g_free(v);
}

static void verify_done(GArray *verdicts, gpointer user)
{
    Verifying *v = user;
    json_t *arr = json_array();
    guint bad = 0;
    for (guint i = 0; i < verdicts->len; i++) {
        const HnArchiveVerdict *d = &g_array_index(verdicts, HnArchiveVerdict, i);
        bad += d->check == HN_ARCHIVE_MISMATCH || d->check == HN_ARCHIVE_MISSING;
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s?, s:s?}", "name", d->name, "check",
                                             hn_archive_check_name(d->check), "expected",
                                             d->expected, "actual", d->actual));
    }
    g_autofree char *detail =
        g_strdup_printf("meeting=%" G_GINT64_FORMAT " files=%u bad=%u", v->id, verdicts->len, bad);
    hn_store_audit(portal_singleton.hub->store, v->account, "archive-verify", v->room, detail);
    hn_http_reply_json(v->req, 200, json_pack("{s:I, s:o}", "id", (json_int_t)v->id, "files", arr));
}

static gboolean query_reply(gpointer data)
{
    Query *q = data;
    Portal *p = &portal_singleton;
    HnHttpRequest *req = q->req;
    gboolean page = q->kind == KIND_PAGE || q->kind == KIND_FILE;
    if (!q->allowed) {
        if (page && !q->known)
            redirect_login(req);
        else if (q->kind == KIND_PAGE)
            reply_forbidden_page(req);
        else
            hn_http_reply_error(req, q->known ? 403 : 401,
                                q->known ? "clerk or admin accounts only" : "log in first");
        return G_SOURCE_REMOVE;
    }
    switch (q->kind) {
    case KIND_PAGE:
        hn_hub_admin_reply_page(req, "archive.html");
        break;
    case KIND_FILE:
        reply_file(p, q);
        break;
    case KIND_LIST: {
        if (!q->found) {
            hn_http_reply_error(req, 500, "the catalogue cannot be read now");
            break;
        }
        json_t *arr = json_array();
        for (guint i = 0; i < q->found->len; i++)
            json_array_append_new(arr,
                                  meeting_summary(&g_array_index(q->found, HnDbArchiveMeeting, i)));
        HnArchiveStats st = {0};
        if (p->archive)
            hn_archive_get_stats(p->archive, &st);
        hn_http_reply_json(req, 200,
                           json_pack("{s:o, s:{s:I, s:I, s:I}}", "meetings", arr, "archive",
                                     "indexed", (json_int_t)st.indexed, "bad_manifests",
                                     (json_int_t)st.bad_manifests, "meetings_removed",
                                     (json_int_t)st.meetings_removed));
        break;
    }
    case KIND_MEETING:
        if (!q->have)
            hn_http_reply_error(req, 404, "no such meeting in the archive");
        else
            hn_http_reply_json(req, 200, meeting_full(&q->m));
        break;
    case KIND_VERIFY: {
        if (!q->have || (q->file && !find_file(&q->m, q->file))) {
            hn_http_reply_error(req, 404, q->have ? "no such file" : "no such meeting");
            break;
        }
        Verifying *v = g_new0(Verifying, 1);
        v->req = req;
        v->account = g_strdup(q->account);
        v->room = g_strdup(q->m.room);
        v->id = q->id;
        hn_archive_verify(p->archive, &q->m, q->file, verify_done, v, verifying_free);
        break;
    }
    }
    return G_SOURCE_REMOVE;
}

/* ---- requests ---- */

/* Unix ms of a from/to value: unix ms, or a local date "2026-12-05" (to: the day's end). */
static gboolean parse_when(const char *v, gboolean to, gint64 *out)
{
    gint64 n = 0;
    if (g_ascii_string_to_signed(v, 10, 0, G_GINT64_CONSTANT(253402300799000), &n, NULL)) {
        *out = n;
        return TRUE;
    }
    int y = 0, mo = 0, d = 0;
    char tail = 0;
    if (strlen(v) != 10 || sscanf(v, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3)
        return FALSE;
    GDateTime *dt = g_date_time_new_local(y, mo, d, 0, 0, 0);
    if (!dt)
        return FALSE;
    *out = (g_date_time_to_unix(dt) + (to ? 86400 : 0)) * 1000;
    g_date_time_unref(dt);
    return TRUE;
}

static gboolean parse_filter(const char *query, HnDbArchiveFilter *f, char **why)
{
    GHashTable *params = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_auto(GStrv) pairs = g_strsplit(query ? query : "", "&", 32);
    for (guint i = 0; pairs[i]; i++) {
        char *eq = strchr(pairs[i], '=');
        if (!eq)
            continue;
        *eq = '\0';
        g_strdelimit(eq + 1, "+", ' ');
        char *v = g_uri_unescape_string(eq + 1, NULL);
        if (!v || !g_utf8_validate(v, -1, NULL)) {
            g_free(v);
            g_hash_table_unref(params);
            *why = g_strdup_printf("%s: not valid %%-escaped UTF-8", pairs[i]);
            return FALSE;
        }
        g_hash_table_replace(params, g_strdup(pairs[i]), v);
    }
    gboolean ok = TRUE;
    const char *v;
    if ((v = g_hash_table_lookup(params, "from")) && *v && !parse_when(v, FALSE, &f->from_ms))
        ok = FALSE;
    if ((v = g_hash_table_lookup(params, "to")) && *v && !parse_when(v, TRUE, &f->to_ms))
        ok = FALSE;
    if (!ok)
        *why = g_strdup("from, to: a date (2026-12-05) or unix milliseconds");
    char **texts[] = {&f->room, &f->title, &f->participant};
    const char *keys[] = {"room", "title", "participant"};
    for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
        v = g_hash_table_lookup(params, keys[i]);
        if (v && *v && strlen(v) <= 256)
            *texts[i] = g_strdup(v);
    }
    gint64 limit = 0;
    if ((v = g_hash_table_lookup(params, "limit")) &&
        g_ascii_string_to_signed(v, 10, 1, HN_DB_ARCHIVE_LIMIT_MAX, &limit, NULL))
        f->limit = (guint)limit;
    g_hash_table_unref(params);
    return ok;
}

/* The meeting id at the start of s ("12" or "12/..."); *rest after it. 0 when none. */
static gint64 leading_id(const char *s, const char **rest)
{
    gint64 id = 0;
    const char *p = s;
    while (g_ascii_isdigit(*p) && id < G_GINT64_CONSTANT(100000000000000))
        id = id * 10 + (*p++ - '0');
    *rest = p;
    return p == s ? 0 : id;
}

static void serve(Portal *p, HnHttpRequest *req, Kind kind)
{
    if (!p->hub->store || !p->archive) {
        hn_http_reply_error(req, 503, "no store: the archive is not catalogued");
        return;
    }
    char *account = hn_session_account(p->hub->session_secret, req);
    gboolean page = kind == KIND_PAGE || kind == KIND_FILE;
    if (!account) {
        if (page)
            redirect_login(req);
        else
            hn_http_reply_error(req, 401, "log in first");
        return;
    }
    Query *q = g_new0(Query, 1);
    q->req = req;
    q->kind = kind;
    q->account = account;
    q->fd = -1;
    q->root = g_strdup(hn_archive_root(p->archive));
    const char *sub = hn_http_request_subpath(req), *rest = "";
    g_autofree char *why = NULL;
    if (kind == KIND_LIST && !parse_filter(hn_http_request_query(req), &q->filter, &why)) {
        query_free(q);
        hn_http_reply_error(req, 400, why);
        return;
    }
    if (kind == KIND_FILE || kind == KIND_MEETING || kind == KIND_VERIFY) {
        q->id = *sub == '/' ? leading_id(sub + 1, &rest) : 0;
        gboolean shape = q->id > 0 && (kind == KIND_FILE     ? *rest == '/'
                                       : kind == KIND_VERIFY ? strcmp(rest, "/verify") == 0
                                                             : *rest == '\0');
        if (!shape) {
            query_free(q);
            hn_http_reply_error(req, 404, "no such meeting in the archive");
            return;
        }
    }
    if (kind == KIND_FILE)
        q->file = g_strdup(rest + 1);
    json_t *body = kind == KIND_VERIFY ? hn_http_request_json(req) : NULL;
    const char *only = body ? json_string_value(json_object_get(body, "file")) : NULL;
    if (only)
        q->file = g_strdup(only);
    hn_store_query(p->hub->store, run_query, query_reply, hn_worker_pool_home(p->hub->pool), q,
                   query_free);
}

/* A route's user data: which kind of request it is. */
typedef struct {
    Portal *portal;
    Kind kind;
} Route;

static Route routes[] = {
    {&portal_singleton, KIND_PAGE},   {&portal_singleton, KIND_FILE},
    {&portal_singleton, KIND_LIST},   {&portal_singleton, KIND_MEETING},
    {&portal_singleton, KIND_VERIFY},
};

static void on_request(void *user, HnHttpRequest *req)
{
    const Route *r = user;
    serve(r->portal, req, r->kind);
}

void hn_hub_archive_register(HnHub *hub)
{
    portal_singleton.hub = hub;
    HnHttpRoutes *r = hub->routes;
    hn_http_routes_add(r, HN_HTTP_GET, "/archive", 0, 0, on_request, &routes[KIND_PAGE]);
    hn_http_routes_add(r, HN_HTTP_GET, "/archive/files", HN_HTTP_ROUTE_PREFIX, 0, on_request,
                       &routes[KIND_FILE]);
    hn_http_routes_add(r, HN_HTTP_GET, "/api/archive/meetings", 0, 0, on_request,
                       &routes[KIND_LIST]);
    hn_http_routes_add(r, HN_HTTP_GET, "/api/archive/meetings", HN_HTTP_ROUTE_PREFIX, 0, on_request,
                       &routes[KIND_MEETING]);
    hn_http_routes_add(r, HN_HTTP_POST, "/api/archive/meetings",
                       HN_HTTP_ROUTE_PREFIX | HN_HTTP_ROUTE_JSON, 4096, on_request,
                       &routes[KIND_VERIFY]);
}

/* Store thread: a [room:NAME] group (the configuration does not change while the server runs),
 * else a room of the REST API (read from the store here, not from the main thread's cache),
 * else [rooms] retention_days. */
static guint retention_of(HnDb *db, const char *room, gpointer user)
{
    const HnConfig *cfg = user;
    const HnRoomConfig *rc = hn_config_find_room(cfg, room);
    if (rc)
        return rc->retention_days;
    HnDbRoom r = {0};
    g_autofree char *lower = g_ascii_strdown(room, -1); /* room names ignore case */
    guint days = cfg->retention_days;
    if ((hn_db_room_get(db, room, &r) || hn_db_room_get(db, lower, &r)) && r.has_retention)
        days = r.retention_days;
    hn_db_room_clear(&r);
    return days;
}

void hn_hub_archive_start(HnHub *hub, HnStore *store)
{
    Portal *p = &portal_singleton;
    if (!store || p->archive || p->hub != hub)
        return;
    p->archive = hn_archive_new(hub->cfg->data_dir, store, hn_worker_pool_home(hub->pool));
    hn_archive_set_retention(p->archive, retention_of, (gpointer)hub->cfg);
    hn_archive_start(p->archive);
}

void hn_hub_archive_stop(HnHub *hub)
{
    Portal *p = &portal_singleton;
    if (p->hub != hub)
        return;
    hn_archive_free(g_steal_pointer(&p->archive));
    p->hub = NULL;
}

HnArchive *hn_hub_archive(HnHub *hub)
{
    return portal_singleton.hub == hub ? portal_singleton.archive : NULL;
}

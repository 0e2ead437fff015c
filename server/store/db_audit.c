/* The audit log's reader and the account look-up of admin sessions (store/db_audit.h). */
#include "store/db_audit.h"

#include <sqlite3.h>
#include <string.h>

void hn_audit_filter_clear(HnAuditFilter *f)
{
    g_free(f->actor);
    g_free(f->action);
    g_free(f->room);
    memset(f, 0, sizeof *f);
}

void hn_audit_row_clear(HnAuditRow *r)
{
    g_free(r->actor);
    g_free(r->action);
    g_free(r->room);
    g_free(r->detail);
    memset(r, 0, sizeof *r);
}

static void row_clear(gpointer p)
{
    hn_audit_row_clear(p);
}

static char *column(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? g_strdup((const char *)t) : NULL;
}

GArray *hn_db_audit_query(HnDb *db, const HnAuditFilter *f, gboolean *more, GError **error)
{
    sqlite3 *h = hn_db_handle(db);
    GString *sql = g_string_new("SELECT id, time, actor, action, room, detail FROM audit WHERE 1");
    if (f->from)
        g_string_append(sql, " AND time >= :from");
    if (f->to)
        g_string_append(sql, " AND time < :to");
    if (f->actor)
        g_string_append(sql, " AND actor = :actor");
    if (f->action)
        g_string_append(sql, " AND action = :action");
    if (f->room)
        g_string_append(sql, " AND room = :room");
    if (f->before)
        g_string_append(sql, " AND id < :before");
    g_string_append(sql, " ORDER BY id DESC LIMIT :limit");
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h, sql->str, -1, &st, NULL);
    g_string_free(sql, TRUE);
    if (rc != SQLITE_OK) {
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_SQL, "audit query: %s", sqlite3_errmsg(h));
        return NULL;
    }
    guint limit = CLAMP(f->limit, 1, HN_AUDIT_LIMIT_MAX);
    struct {
        const char *name;
        const char *text;
    } texts[] = {{":actor", f->actor}, {":action", f->action}, {":room", f->room}};
    for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
        int idx = sqlite3_bind_parameter_index(st, texts[i].name);
        if (idx)
            sqlite3_bind_text(st, idx, texts[i].text, -1, SQLITE_TRANSIENT);
    }
    int idx;
    if ((idx = sqlite3_bind_parameter_index(st, ":from")))
        sqlite3_bind_int64(st, idx, f->from);
    if ((idx = sqlite3_bind_parameter_index(st, ":to")))
        sqlite3_bind_int64(st, idx, f->to);
    if ((idx = sqlite3_bind_parameter_index(st, ":before")))
        sqlite3_bind_int64(st, idx, f->before);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"), (sqlite3_int64)limit + 1);
    GArray *rows = g_array_new(FALSE, TRUE, sizeof(HnAuditRow));
    g_array_set_clear_func(rows, row_clear);
    gboolean extra = FALSE;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (rows->len == limit) {
            extra = TRUE;
            break;
        }
        HnAuditRow r = {sqlite3_column_int64(st, 0),
                        sqlite3_column_int64(st, 1),
                        column(st, 2),
                        column(st, 3),
                        column(st, 4),
                        column(st, 5)};
        g_array_append_val(rows, r);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_SQL, "audit query: %s", sqlite3_errmsg(h));
        sqlite3_finalize(st);
        g_array_unref(rows);
        return NULL;
    }
    sqlite3_finalize(st);
    if (more)
        *more = extra;
    return rows;
}

gboolean hn_db_user_get(HnDb *db, const char *name, HnDbUser *out)
{
    sqlite3 *h = hn_db_handle(db);
    sqlite3_stmt *st = NULL;
    if (!name || sqlite3_prepare_v2(h,
                                    "SELECT name, display_name, role, created FROM users"
                                    " WHERE name = ?",
                                    -1, &st, NULL) != SQLITE_OK)
        return FALSE;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    gboolean ok = sqlite3_step(st) == SQLITE_ROW;
    if (ok) {
        out->name = column(st, 0);
        out->display_name = column(st, 1);
        const char *role = (const char *)sqlite3_column_text(st, 2);
        ok = role && hn_user_role_parse(role, &out->role);
        out->created = sqlite3_column_int64(st, 3);
        if (!ok)
            hn_db_user_clear(out);
    }
    sqlite3_finalize(st);
    return ok;
}

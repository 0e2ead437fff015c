/* The rows behind the minutes (store/db_minutes.h). */
#include "store/db_minutes.h"

#include <sqlite3.h>
#include <string.h>

static gboolean fail(sqlite3 *s, GError **error, const char *what)
{
    g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_SQL, "%s: %s", what, sqlite3_errmsg(s));
    return FALSE;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static json_t *col_json(sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
        return json_integer(sqlite3_column_int64(st, i));
    case SQLITE_NULL:
        return json_null();
    default:
        return json_string((const char *)sqlite3_column_text(st, i));
    }
}

/* Rows of sql (one ?1 = meeting) as objects keyed by the column names. transfer full. */
static json_t *rows(HnDb *db, const char *sql, gint64 meeting)
{
    sqlite3 *s = hn_db_handle(db);
    sqlite3_stmt *st = NULL;
    json_t *out = json_array();
    if (sqlite3_prepare_v2(s, sql, -1, &st, NULL) != SQLITE_OK) {
        g_warning("store: %s", sqlite3_errmsg(s));
        return out;
    }
    sqlite3_bind_int64(st, 1, meeting);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *o = json_object();
        for (int i = 0; i < sqlite3_column_count(st); i++)
            json_object_set_new(o, sqlite3_column_name(st, i), col_json(st, i));
        json_array_append_new(out, o);
    }
    sqlite3_finalize(st);
    return out;
}

/* Runs sql with ?1 = meeting, ?2.. = the texts (NULL: null) to its end. */
static gboolean run(HnDb *db, const char *sql, gint64 meeting, const char *const *texts, int n,
                    GError **error)
{
    sqlite3 *s = hn_db_handle(db);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(s, error, "minutes");
    sqlite3_bind_int64(st, 1, meeting);
    for (int i = 0; i < n; i++)
        bind_text(st, i + 2, texts[i]);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? TRUE : fail(s, error, "minutes");
}

static gboolean exec(HnDb *db, const char *sql)
{
    return sqlite3_exec(hn_db_handle(db), sql, NULL, NULL, NULL) == SQLITE_OK;
}

gboolean hn_db_meeting_details_set(HnDb *db, gint64 meeting, const json_t *d, GError **error)
{
    if (!exec(db, "SAVEPOINT details"))
        return fail(hn_db_handle(db), error, "details");
    gboolean ok = run(db, "INSERT OR IGNORE INTO meeting_details (meeting) VALUES (?1)", meeting,
                      NULL, 0, error);
    static const char *const cols[] = {"summary", "place"};
    for (int i = 0; ok && i < 2; i++) {
        json_t *v = json_object_get(d, cols[i]);
        if (!v)
            continue;
        g_autofree char *sql =
            g_strdup_printf("UPDATE meeting_details SET %s = ?2 WHERE meeting = ?1", cols[i]);
        const char *t[] = {json_string_value(v)};
        ok = run(db, sql, meeting, t, 1, error);
    }
    json_t *agenda = json_object_get(d, "agenda"), *invited = json_object_get(d, "invited");
    if (ok && agenda)
        ok = run(db, "DELETE FROM meeting_agenda WHERE meeting = ?1", meeting, NULL, 0, error);
    size_t i;
    json_t *v;
    json_array_foreach(agenda, i, v)
    {
        if (!ok)
            break;
        g_autofree char *n = g_strdup_printf("%zu", i + 1);
        const char *t[] = {n, json_string_value(v)};
        ok = run(db, "INSERT INTO meeting_agenda (meeting, n, title) VALUES (?1, ?2, ?3)", meeting,
                 t, 2, error);
    }
    if (ok && invited)
        ok = run(db, "DELETE FROM meeting_invited WHERE meeting = ?1", meeting, NULL, 0, error);
    json_array_foreach(invited, i, v)
    {
        if (!ok)
            break;
        g_autofree char *n = g_strdup_printf("%zu", i + 1);
        const char *t[] = {n, json_string_value(json_object_get(v, "name")),
                           json_string_value(json_object_get(v, "site"))};
        ok = run(db, "INSERT INTO meeting_invited (meeting, n, name, site) VALUES (?1, ?2, ?3, ?4)",
                 meeting, t, 3, error);
    }
    exec(db, ok ? "RELEASE details" : "ROLLBACK TO details; RELEASE details");
    return ok;
}

json_t *hn_db_meeting_details_get(HnDb *db, gint64 meeting)
{
    json_t *d = rows(db, "SELECT summary, place FROM meeting_details WHERE meeting = ?1", meeting);
    json_t *out = json_array_size(d) ? json_incref(json_array_get(d, 0))
                                     : json_pack("{s:n, s:n}", "summary", "place");
    json_decref(d);
    json_t *agenda = json_array(),
           *items = rows(db,
                         "SELECT title FROM meeting_agenda WHERE meeting = ?1"
                         " ORDER BY n",
                         meeting);
    size_t i;
    json_t *v;
    json_array_foreach(items, i, v) json_array_append(agenda, json_object_get(v, "title"));
    json_decref(items);
    json_object_set_new(out, "agenda", agenda);
    json_object_set_new(out, "invited",
                        rows(db,
                             "SELECT name, site FROM meeting_invited WHERE meeting = ?1"
                             " ORDER BY n",
                             meeting));
    return out;
}

gint64 hn_db_minutes_note_add(HnDb *db, gint64 meeting, int item, const char *kind, const char *who,
                              const char *text, gint64 time_ms, const char *author, GError **error)
{
    g_autofree char *n = g_strdup_printf("%d", item),
                    *t = g_strdup_printf("%" G_GINT64_FORMAT, time_ms);
    const char *v[] = {n, kind, who, text, t, author};
    if (!run(db,
             "INSERT INTO minutes_notes (meeting, item, kind, who, text, time, author)"
             " VALUES (?1, CAST(?2 AS INTEGER), ?3, ?4, ?5, CAST(?6 AS INTEGER), ?7)",
             meeting, v, 6, error))
        return 0;
    return sqlite3_last_insert_rowid(hn_db_handle(db));
}

json_t *hn_db_minutes_notes(HnDb *db, gint64 meeting)
{
    return rows(db,
                "SELECT id, item, kind, who, text, time, author FROM minutes_notes"
                " WHERE meeting = ?1 ORDER BY id",
                meeting);
}

gboolean hn_db_minutes_absent_set(HnDb *db, gint64 meeting, const char *kind, const char *name,
                                  const char *reason, gint64 time_ms, const char *author,
                                  GError **error)
{
    g_autofree char *t = g_strdup_printf("%" G_GINT64_FORMAT, time_ms);
    const char *v[] = {kind, name, reason, t, author};
    if (!reason || !*reason)
        return run(db, "DELETE FROM minutes_absent WHERE meeting = ?1 AND kind = ?2 AND name = ?3",
                   meeting, v, 2, error);
    return run(db,
               "INSERT OR REPLACE INTO minutes_absent (meeting, kind, name, reason, time, author)"
               " VALUES (?1, ?2, ?3, ?4, CAST(?5 AS INTEGER), ?6)",
               meeting, v, 5, error);
}

json_t *hn_db_minutes_absent(HnDb *db, gint64 meeting)
{
    return rows(db,
                "SELECT kind, name, reason FROM minutes_absent WHERE meeting = ?1 ORDER BY time",
                meeting);
}

gboolean hn_db_minutes_add(HnDb *db, gint64 meeting, int version, const char *json_text,
                           gint64 now_s, const char *author, GError **error)
{
    g_autofree char *v = g_strdup_printf("%d", version),
                    *t = g_strdup_printf("%" G_GINT64_FORMAT, now_s);
    const char *p[] = {v, json_text, t, author};
    if (!run(db,
             "INSERT OR IGNORE INTO minutes (meeting, version, state, json, created, author)"
             " VALUES (?1, CAST(?2 AS INTEGER), 'draft', ?3, CAST(?4 AS INTEGER), ?5)",
             meeting, p, 4, error))
        return FALSE;
    return sqlite3_changes(hn_db_handle(db)) == 1;
}

int hn_db_minutes_latest(HnDb *db, gint64 meeting, char **state, char **json_text)
{
    json_t *r = rows(db,
                     "SELECT version, state, json FROM minutes WHERE meeting = ?1"
                     " ORDER BY version DESC LIMIT 1",
                     meeting);
    json_t *row = json_array_get(r, 0);
    int v = row ? (int)json_integer_value(json_object_get(row, "version")) : 0;
    if (state)
        *state = row ? g_strdup(json_string_value(json_object_get(row, "state"))) : NULL;
    if (json_text)
        *json_text = row ? g_strdup(json_string_value(json_object_get(row, "json"))) : NULL;
    json_decref(r);
    return v;
}

json_t *hn_db_minutes_versions(HnDb *db, gint64 meeting)
{
    return rows(db,
                "SELECT version, state, created, author, approved, approved_by FROM minutes"
                " WHERE meeting = ?1 ORDER BY version",
                meeting);
}

gboolean hn_db_minutes_approve(HnDb *db, gint64 meeting, int version, const char *json_text,
                               const char *by, gint64 now_s, GError **error)
{
    g_autofree char *v = g_strdup_printf("%d", version),
                    *t = g_strdup_printf("%" G_GINT64_FORMAT, now_s);
    const char *p[] = {v, json_text, by, t};
    if (!run(db,
             "UPDATE minutes SET state = 'approved', json = ?3, approved_by = ?4,"
             " approved = CAST(?5 AS INTEGER) WHERE meeting = ?1 AND version = CAST(?2 AS INTEGER)"
             " AND state = 'draft'",
             meeting, p, 4, error))
        return FALSE;
    if (sqlite3_changes(hn_db_handle(db)) != 1) {
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_NOT_FOUND, "no such draft");
        return FALSE;
    }
    return TRUE;
}

GArray *hn_db_meetings_without_minutes(HnDb *db, guint limit, GError **error)
{
    sqlite3 *s = hn_db_handle(db);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s,
                           "SELECT id FROM meetings m WHERE state = 'ended' AND NOT EXISTS"
                           " (SELECT 1 FROM minutes WHERE meeting = m.id) ORDER BY id LIMIT ?1",
                           -1, &st, NULL) != SQLITE_OK) {
        fail(s, error, "meetings without minutes");
        return NULL;
    }
    sqlite3_bind_int(st, 1, (int)limit);
    GArray *out = g_array_new(FALSE, FALSE, sizeof(gint64));
    while (sqlite3_step(st) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(st, 0);
        g_array_append_val(out, id);
    }
    sqlite3_finalize(st);
    return out;
}

gboolean hn_db_minutes_mark_signed(HnDb *db, gint64 meeting, int version, GError **error)
{
    g_autofree char *v = g_strdup_printf("%d", version);
    const char *p[] = {v};
    if (!run(db,
             "UPDATE minutes SET state = 'signed' WHERE meeting = ?1"
             " AND version = CAST(?2 AS INTEGER) AND state = 'approved'",
             meeting, p, 1, error))
        return FALSE;
    if (sqlite3_changes(hn_db_handle(db)) != 1) {
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_NOT_FOUND, "no such approved version");
        return FALSE;
    }
    return TRUE;
}

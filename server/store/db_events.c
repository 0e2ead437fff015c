/* The meeting event log and lifecycle rows (store/db_events.h). */
#include "store/db_events.h"
#include "store/db_hooks.h"

#include <sqlite3.h>

static sqlite3 *handle(HnDb *db)
{
    return hn_db_handle(db);
}

static gboolean fail(HnDb *db, GError **error, const char *what)
{
    g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_SQL, "%s: %s", what, sqlite3_errmsg(handle(db)));
    return FALSE;
}

static sqlite3_stmt *prep(HnDb *db, const char *sql, GError **error)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(handle(db), sql, -1, &st, NULL) != SQLITE_OK) {
        fail(db, error, "prepare");
        return NULL;
    }
    return st;
}

static void text_or_null(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static char *dup_col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? g_strdup((const char *)t) : NULL;
}

void hn_db_event_clear(HnDbEvent *ev)
{
    if (!ev)
        return;
    g_clear_pointer(&ev->room, g_free);
    g_clear_pointer(&ev->type, g_free);
    g_clear_pointer(&ev->actor, g_free);
    g_clear_pointer(&ev->participant, g_free);
    g_clear_pointer(&ev->data, g_free);
}

static gboolean event_insert(HnDb *db, HnDbEvent *ev, GError **error)
{
    g_return_val_if_fail(db && ev && ev->room && ev->type, FALSE);
    sqlite3_stmt *st =
        prep(db,
             "INSERT INTO events (meeting, room, time, type, actor, participant, data)"
             " VALUES (?, ?, ?, ?, ?, ?, ?)",
             error);
    if (!st)
        return FALSE;
    if (ev->meeting)
        sqlite3_bind_int64(st, 1, ev->meeting);
    else
        sqlite3_bind_null(st, 1);
    text_or_null(st, 2, ev->room);
    sqlite3_bind_int64(st, 3, ev->time_ms);
    text_or_null(st, 4, ev->type);
    text_or_null(st, 5, ev->actor);
    text_or_null(st, 6, ev->participant);
    sqlite3_bind_text(st, 7, ev->data ? ev->data : "{}", -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(db, error, "event");
    ev->id = sqlite3_last_insert_rowid(handle(db));
    return TRUE;
}

/* The event and its hook outbox rows (store/db_hooks.h) commit together: a savepoint makes them
 * one unit inside the caller's transaction, or a transaction of their own without one. */
gboolean hn_db_event_append(HnDb *db, HnDbEvent *ev, GError **error)
{
    g_return_val_if_fail(db && ev && ev->room && ev->type, FALSE);
    if (sqlite3_exec(handle(db), "SAVEPOINT event_append", NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, error, "savepoint");
    HnHookEvent hook = {0};
    gboolean ok = event_insert(db, ev, error);
    if (ok) {
        hook = (HnHookEvent){.event_id = ev->id,
                             .meeting = ev->meeting,
                             .room = ev->room,
                             .type = ev->type,
                             .time_ms = ev->time_ms,
                             .actor = ev->actor,
                             .participant = ev->participant,
                             .data = ev->data};
        ok = hn_db_outbox_enqueue(db, &hook, NULL, error);
    }
    if (!ok) {
        sqlite3_exec(handle(db), "ROLLBACK TO event_append", NULL, NULL, NULL);
        sqlite3_exec(handle(db), "RELEASE event_append", NULL, NULL, NULL);
        return FALSE;
    }
    if (sqlite3_exec(handle(db), "RELEASE event_append", NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, error, "release");
    return TRUE;
}

static void event_clear_cb(gpointer p)
{
    hn_db_event_clear(p);
}

GArray *hn_db_event_list(HnDb *db, gint64 meeting, GError **error)
{
    sqlite3_stmt *st = prep(db,
                            "SELECT id, meeting, room, time, type, actor, participant, data"
                            " FROM events WHERE meeting = ? ORDER BY id",
                            error);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, meeting);
    GArray *out = g_array_new(FALSE, TRUE, sizeof(HnDbEvent));
    g_array_set_clear_func(out, event_clear_cb);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        HnDbEvent ev = {
            .id = sqlite3_column_int64(st, 0),
            .meeting = sqlite3_column_int64(st, 1),
            .room = dup_col(st, 2),
            .time_ms = sqlite3_column_int64(st, 3),
            .type = dup_col(st, 4),
            .actor = dup_col(st, 5),
            .participant = dup_col(st, 6),
            .data = dup_col(st, 7),
        };
        g_array_append_val(out, ev);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        g_array_unref(out);
        fail(db, error, "events");
        return NULL;
    }
    return out;
}

/* One id and title from a SELECT id, title ... LIMIT 1; FALSE when no row. */
static gboolean one_meeting(sqlite3_stmt *st, gint64 *id, char **title)
{
    gboolean found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        *id = sqlite3_column_int64(st, 0);
        *title = dup_col(st, 1);
    }
    sqlite3_finalize(st);
    return found;
}

gboolean hn_db_meeting_begin(HnDb *db, const char *room, const char *title, gint64 now_ms,
                             gint64 *id, char **title_out, gboolean *scheduled, gboolean *resumed,
                             GError **error)
{
    g_return_val_if_fail(db && room && id && title_out, FALSE);
    gint64 now_s = now_ms / 1000;
    *title_out = NULL;
    if (scheduled)
        *scheduled = FALSE;
    if (resumed)
        *resumed = FALSE;
    sqlite3_stmt *st = prep(
        db,
        "SELECT id, title FROM meetings WHERE room = ? AND state = 'live' ORDER BY id DESC LIMIT 1",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
    if (one_meeting(st, id, title_out)) {
        if (resumed)
            *resumed = TRUE;
        return TRUE;
    }
    st = prep(db,
              "SELECT id, title FROM meetings WHERE room = ? AND state = 'scheduled'"
              " AND starts <= ? + 3600 AND CASE WHEN ends IS NULL OR ends = 0"
              " THEN starts >= ? - 43200 ELSE ends >= starts AND ? <= ends END"
              " ORDER BY abs(starts - ?) LIMIT 1",
              error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now_s);
    sqlite3_bind_int64(st, 3, now_s);
    sqlite3_bind_int64(st, 4, now_s);
    if (one_meeting(st, id, title_out)) {
        st = prep(db, "UPDATE meetings SET state = 'live', started = ? WHERE id = ?", error);
        if (!st)
            return FALSE;
        sqlite3_bind_int64(st, 1, now_s);
        sqlite3_bind_int64(st, 2, *id);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            g_clear_pointer(title_out, g_free);
            return fail(db, error, "meeting live");
        }
        if (scheduled)
            *scheduled = TRUE;
        return TRUE;
    }
    st = prep(db,
              "INSERT INTO meetings (room, title, starts, state, created, started)"
              " VALUES (?, ?, ?, 'live', ?, ?)",
              error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, title ? title : room, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now_s);
    sqlite3_bind_int64(st, 4, now_s);
    sqlite3_bind_int64(st, 5, now_s);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(db, error, "meeting ad hoc");
    *id = sqlite3_last_insert_rowid(handle(db));
    *title_out = g_strdup(title ? title : room);
    return TRUE;
}

gboolean hn_db_meeting_finish(HnDb *db, gint64 id, gint64 now_ms, const char *reason,
                              GError **error)
{
    sqlite3_stmt *st = prep(db,
                            "UPDATE meetings SET state = 'ended', ended = coalesce(ended, ?),"
                            " end_reason = coalesce(end_reason, ?) WHERE id = ?",
                            error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, now_ms / 1000);
    text_or_null(st, 2, reason);
    sqlite3_bind_int64(st, 3, id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(db, error, "meeting end");
    if (sqlite3_changes(handle(db)) == 0) {
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_NOT_FOUND, "no meeting %" G_GINT64_FORMAT, id);
        return FALSE;
    }
    return TRUE;
}

void hn_db_live_meeting_clear(HnDbLiveMeeting *m)
{
    if (m)
        g_clear_pointer(&m->room, g_free);
}

static void live_clear_cb(gpointer p)
{
    hn_db_live_meeting_clear(p);
}

GArray *hn_db_meeting_list_live(HnDb *db, GError **error)
{
    sqlite3_stmt *st = prep(db,
                            "SELECT m.id, m.room, coalesce((SELECT max(time) FROM events e"
                            " WHERE e.meeting = m.id), m.started * 1000), m.started * 1000"
                            " FROM meetings m WHERE m.state = 'live' ORDER BY m.id",
                            error);
    if (!st)
        return NULL;
    GArray *out = g_array_new(FALSE, TRUE, sizeof(HnDbLiveMeeting));
    g_array_set_clear_func(out, live_clear_cb);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        HnDbLiveMeeting m = {
            .id = sqlite3_column_int64(st, 0),
            .room = dup_col(st, 1),
            .last_ms = sqlite3_column_int64(st, 2),
            .started_ms = sqlite3_column_int64(st, 3),
        };
        g_array_append_val(out, m);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        g_array_unref(out);
        fail(db, error, "live meetings");
        return NULL;
    }
    return out;
}

gboolean hn_db_transaction(HnDb *db, gboolean (*fn)(HnDb *db, gpointer data, GError **error),
                           gpointer data, GError **error)
{
    if (sqlite3_exec(handle(db), "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, error, "begin");
    if (!fn(db, data, error)) {
        sqlite3_exec(handle(db), "ROLLBACK", NULL, NULL, NULL);
        return FALSE;
    }
    if (sqlite3_exec(handle(db), "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        fail(db, error, "commit");
        sqlite3_exec(handle(db), "ROLLBACK", NULL, NULL, NULL);
        return FALSE;
    }
    return TRUE;
}

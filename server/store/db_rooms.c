/* The rooms and meetings tables of the API (store/db_rooms.h). */
#include "store/db_rooms.h"

#include <sqlite3.h>
#include <string.h>

static sqlite3 *handle(HnDb *db)
{
    return hn_db_handle(db);
}

static gboolean sql_fail(HnDb *db, GError **error, const char *what)
{
    g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_SQL, "%s: %s", what, sqlite3_errmsg(handle(db)));
    return FALSE;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static void bind_int_or_null(sqlite3_stmt *st, int i, gint64 v, gboolean null)
{
    if (null)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, v);
}

static char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? g_strdup((const char *)t) : NULL;
}

/* Steps a prepared write; -1 + error, else the rows changed. Finalizes st. */
static int step_write(HnDb *db, sqlite3_stmt *st, GError **error)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_EXISTS, "already exists");
        return -1;
    }
    if (rc != SQLITE_DONE) {
        sql_fail(db, error, "write");
        return -1;
    }
    return sqlite3_changes(handle(db));
}

static sqlite3_stmt *prepare(HnDb *db, const char *sql, GError **error)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(handle(db), sql, -1, &st, NULL) != SQLITE_OK) {
        sql_fail(db, error, "prepare");
        return NULL;
    }
    return st;
}

/* Every row of st (finalized here) as elements of elem_size filled by row: a GArray with
 * clear set. transfer full; NULL + error. */
static GArray *read_rows(HnDb *db, sqlite3_stmt *st, guint elem_size, GDestroyNotify clear,
                         void (*row)(sqlite3_stmt *st, gpointer elem), GError **error)
{
    GArray *out = g_array_new(FALSE, TRUE, elem_size);
    g_array_set_clear_func(out, clear);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        g_array_set_size(out, out->len + 1);
        row(st, out->data + (gsize)(out->len - 1) * elem_size);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        g_array_unref(out);
        sql_fail(db, error, "read rows");
        return NULL;
    }
    return out;
}

/* The first row of st (finalized here) into elem; FALSE when there is none. */
static gboolean read_one(sqlite3_stmt *st, void (*row)(sqlite3_stmt *st, gpointer elem),
                         gpointer elem)
{
    gboolean found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        row(st, elem);
    sqlite3_finalize(st);
    return found;
}

/* ---- rooms ---- */

void hn_db_room_clear(HnDbRoom *r)
{
    g_free(r->name);
    g_free(r->title);
    g_free(r->access);
    if (r->pin)
        memset(r->pin, 0, strlen(r->pin));
    g_free(r->pin);
    memset(r, 0, sizeof *r);
}

void hn_db_room_copy(HnDbRoom *dst, const HnDbRoom *src)
{
    *dst = *src;
    dst->name = g_strdup(src->name);
    dst->title = g_strdup(src->title);
    dst->access = g_strdup(src->access);
    dst->pin = g_strdup(src->pin);
}

#define ROOM_COLS                                                                                  \
    "name, title, access, pin, lobby, max_participants, last_n, created, updated, retention_days"

static void room_row(sqlite3_stmt *st, HnDbRoom *r)
{
    r->name = col_text(st, 0);
    r->title = col_text(st, 1);
    r->access = col_text(st, 2);
    r->pin = col_text(st, 3);
    r->lobby = sqlite3_column_int(st, 4) != 0;
    r->max_participants = sqlite3_column_type(st, 5) == SQLITE_NULL ? 0 : sqlite3_column_int(st, 5);
    r->last_n = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 6);
    r->created = sqlite3_column_int64(st, 7);
    r->updated = sqlite3_column_int64(st, 8);
    r->has_retention = sqlite3_column_type(st, 9) != SQLITE_NULL;
    r->retention_days = r->has_retention ? (guint)sqlite3_column_int(st, 9) : 0;
}

static void room_row_fn(sqlite3_stmt *st, gpointer elem)
{
    room_row(st, elem);
}

static void room_clear_func(gpointer p)
{
    hn_db_room_clear(p);
}

GArray *hn_db_room_list(HnDb *db, GError **error)
{
    sqlite3_stmt *st = prepare(db, "SELECT " ROOM_COLS " FROM rooms ORDER BY name", error);
    if (!st)
        return NULL;
    return read_rows(db, st, sizeof(HnDbRoom), room_clear_func, room_row_fn, error);
}

gboolean hn_db_room_get(HnDb *db, const char *name, HnDbRoom *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = prepare(db, "SELECT " ROOM_COLS " FROM rooms WHERE name = ?", NULL);
    if (!st)
        return FALSE;
    bind_text(st, 1, name);
    return read_one(st, room_row_fn, out);
}

static void bind_room(sqlite3_stmt *st, const HnDbRoom *r)
{
    bind_text(st, 1, r->title);
    bind_text(st, 2, r->access);
    bind_text(st, 3, r->pin);
    sqlite3_bind_int(st, 4, r->lobby ? 1 : 0);
    bind_int_or_null(st, 5, r->max_participants, r->max_participants <= 0);
    bind_int_or_null(st, 6, r->last_n, r->last_n < 0);
    bind_text(st, 8, r->name);
    bind_int_or_null(st, 9, r->retention_days, !r->has_retention);
}

gboolean hn_db_room_insert(HnDb *db, const HnDbRoom *r, gint64 now_s, GError **error)
{
    sqlite3_stmt *st = prepare(db,
                               "INSERT INTO rooms (title, access, pin, lobby, max_participants,"
                               " last_n, created, updated, name, retention_days) VALUES (?1, ?2,"
                               " ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9)",
                               error);
    if (!st)
        return FALSE;
    bind_room(st, r);
    sqlite3_bind_int64(st, 7, now_s);
    return step_write(db, st, error) > 0;
}

gboolean hn_db_room_update(HnDb *db, const HnDbRoom *r, gint64 now_s, GError **error)
{
    sqlite3_stmt *st = prepare(db,
                               "UPDATE rooms SET title = ?1, access = ?2, pin = ?3, lobby = ?4,"
                               " max_participants = ?5, last_n = ?6, updated = ?7,"
                               " retention_days = ?9 WHERE name = ?8",
                               error);
    if (!st)
        return FALSE;
    bind_room(st, r);
    sqlite3_bind_int64(st, 7, now_s);
    int n = step_write(db, st, error);
    if (n == 0)
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_NOT_FOUND, "no room %s", r->name);
    return n > 0;
}

gboolean hn_db_room_delete(HnDb *db, const char *name, GError **error)
{
    sqlite3_stmt *st = prepare(db, "DELETE FROM rooms WHERE name = ?", error);
    if (!st)
        return FALSE;
    bind_text(st, 1, name);
    int n = step_write(db, st, error);
    if (n == 0)
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_NOT_FOUND, "no room %s", name);
    return n > 0;
}

/* ---- meetings ---- */

void hn_db_meeting_clear(HnDbMeeting *m)
{
    g_free(m->room);
    g_free(m->title);
    g_free(m->chair);
    g_free(m->secretary);
    g_free(m->state);
    g_strfreev(m->sites);
    memset(m, 0, sizeof *m);
}

static void meeting_clear_func(gpointer p)
{
    hn_db_meeting_clear(p);
}

#define MEETING_COLS                                                                               \
    "id, room, title, starts, ends, chair, secretary, state, created, started, ended"

static void meeting_row(sqlite3_stmt *st, HnDbMeeting *m)
{
    m->id = sqlite3_column_int64(st, 0);
    m->room = col_text(st, 1);
    m->title = col_text(st, 2);
    m->starts = sqlite3_column_int64(st, 3);
    m->ends = sqlite3_column_int64(st, 4);
    m->chair = col_text(st, 5);
    m->secretary = col_text(st, 6);
    m->state = col_text(st, 7);
    m->created = sqlite3_column_int64(st, 8);
    m->started = sqlite3_column_int64(st, 9);
    m->ended = sqlite3_column_int64(st, 10);
}

static void meeting_row_fn(sqlite3_stmt *st, gpointer elem)
{
    meeting_row(st, elem);
}

static char **read_sites(HnDb *db, gint64 id)
{
    GPtrArray *out = g_ptr_array_new();
    sqlite3_stmt *st =
        prepare(db, "SELECT site FROM meeting_sites WHERE meeting = ? ORDER BY rowid", NULL);
    if (st) {
        sqlite3_bind_int64(st, 1, id);
        while (sqlite3_step(st) == SQLITE_ROW)
            g_ptr_array_add(out, col_text(st, 0));
        sqlite3_finalize(st);
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

static gboolean write_sites(HnDb *db, gint64 id, char *const *sites, GError **error)
{
    sqlite3_stmt *st = prepare(db, "DELETE FROM meeting_sites WHERE meeting = ?", error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, id);
    if (step_write(db, st, error) < 0)
        return FALSE;
    for (guint i = 0; sites && sites[i]; i++) {
        st =
            prepare(db, "INSERT OR IGNORE INTO meeting_sites (meeting, site) VALUES (?, ?)", error);
        if (!st)
            return FALSE;
        sqlite3_bind_int64(st, 1, id);
        bind_text(st, 2, sites[i]);
        if (step_write(db, st, error) < 0)
            return FALSE;
    }
    return TRUE;
}

static gboolean exec(HnDb *db, const char *sql)
{
    return sqlite3_exec(handle(db), sql, NULL, NULL, NULL) == SQLITE_OK;
}

static void bind_meeting(sqlite3_stmt *st, const HnDbMeeting *m)
{
    bind_text(st, 1, m->room);
    bind_text(st, 2, m->title);
    sqlite3_bind_int64(st, 3, m->starts);
    bind_int_or_null(st, 4, m->ends, m->ends <= 0);
    bind_text(st, 5, m->chair);
    bind_text(st, 6, m->secretary);
    bind_text(st, 7, m->state ? m->state : "scheduled");
    bind_int_or_null(st, 8, m->started, m->started <= 0);
    bind_int_or_null(st, 9, m->ended, m->ended <= 0);
}

/* Runs sql (an INSERT or UPDATE of meetings binding m as ?1-?9 and p10 as ?10) and writes the
 * sites, in one transaction. *id: the new row's id (insert) or m->id. */
static gboolean write_meeting(HnDb *db, const char *sql, const HnDbMeeting *m, gint64 p10,
                              gboolean insert, gint64 *id, GError **error)
{
    if (!exec(db, "BEGIN IMMEDIATE"))
        return sql_fail(db, error, "begin");
    sqlite3_stmt *st = prepare(db, sql, error);
    int n = -1;
    if (st) {
        bind_meeting(st, m);
        sqlite3_bind_int64(st, 10, p10);
        n = step_write(db, st, error);
        if (n == 0)
            g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_NOT_FOUND, "no meeting %" G_GINT64_FORMAT,
                        m->id);
    }
    *id = insert ? sqlite3_last_insert_rowid(handle(db)) : m->id;
    gboolean ok = n > 0 && write_sites(db, *id, m->sites, error);
    if (!ok || !exec(db, "COMMIT")) {
        exec(db, "ROLLBACK");
        return ok ? sql_fail(db, error, "commit") : FALSE;
    }
    return TRUE;
}

gboolean hn_db_meeting_insert(HnDb *db, const HnDbMeeting *m, gint64 now_s, gint64 *id_out,
                              GError **error)
{
    return write_meeting(db,
                         "INSERT INTO meetings (room, title, starts, ends, chair, secretary,"
                         " state, started, ended, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
                         " ?8, ?9, ?10)",
                         m, now_s, TRUE, id_out, error);
}

gboolean hn_db_meeting_get(HnDb *db, gint64 id, HnDbMeeting *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = prepare(db, "SELECT " MEETING_COLS " FROM meetings WHERE id = ?", NULL);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, id);
    gboolean found = read_one(st, meeting_row_fn, out);
    if (found)
        out->sites = read_sites(db, id);
    return found;
}

GArray *hn_db_meeting_list(HnDb *db, const char *room, guint limit, GError **error)
{
    sqlite3_stmt *st = prepare(db,
                               "SELECT " MEETING_COLS " FROM meetings WHERE (?1 IS NULL OR room ="
                               " ?1) ORDER BY starts DESC, id DESC LIMIT ?2",
                               error);
    if (!st)
        return NULL;
    bind_text(st, 1, room);
    sqlite3_bind_int64(st, 2, limit);
    GArray *out = read_rows(db, st, sizeof(HnDbMeeting), meeting_clear_func, meeting_row_fn, error);
    for (guint i = 0; out && i < out->len; i++) {
        HnDbMeeting *m = &g_array_index(out, HnDbMeeting, i);
        m->sites = read_sites(db, m->id);
    }
    return out;
}

gboolean hn_db_meeting_update(HnDb *db, const HnDbMeeting *m, GError **error)
{
    gint64 id;
    return write_meeting(db,
                         "UPDATE meetings SET room = ?1, title = ?2, starts = ?3, ends = ?4,"
                         " chair = ?5, secretary = ?6, state = ?7, started = ?8, ended = ?9"
                         " WHERE id = ?10",
                         m, m->id, FALSE, &id, error);
}

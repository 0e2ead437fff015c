/* The archive's catalogue (store/db_archive.h). */
#include "store/db_archive.h"

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

static sqlite3_stmt *prepare(HnDb *db, const char *sql, GError **error)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(handle(db), sql, -1, &st, NULL) != SQLITE_OK) {
        sql_fail(db, error, "prepare");
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static void bind_ms(sqlite3_stmt *st, int i, gint64 v)
{
    if (v)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? g_strdup((const char *)t) : NULL;
}

/* Steps a prepared write and finalizes it; FALSE + error. */
static gboolean step_done(HnDb *db, sqlite3_stmt *st, GError **error)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sql_fail(db, error, "write");
    return TRUE;
}

static gboolean exec(HnDb *db, const char *sql, GError **error)
{
    char *msg = NULL;
    if (sqlite3_exec(handle(db), sql, NULL, NULL, &msg) != SQLITE_OK) {
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_SQL, "%s", msg ? msg : "exec");
        sqlite3_free(msg);
        return FALSE;
    }
    return TRUE;
}

static void person_clear(gpointer p)
{
    HnDbArchivePerson *x = p;
    g_free(x->name);
    g_free(x->role);
}

static void file_clear(gpointer p)
{
    HnDbArchiveFile *f = p;
    g_free(f->name);
    g_free(f->sha256);
}

GArray *hn_db_archive_people_new(void)
{
    GArray *a = g_array_new(FALSE, TRUE, sizeof(HnDbArchivePerson));
    g_array_set_clear_func(a, person_clear);
    return a;
}

GArray *hn_db_archive_files_new(void)
{
    GArray *a = g_array_new(FALSE, TRUE, sizeof(HnDbArchiveFile));
    g_array_set_clear_func(a, file_clear);
    return a;
}

void hn_db_archive_meeting_clear(HnDbArchiveMeeting *m)
{
    if (!m)
        return;
    g_free(m->room);
    g_free(m->title);
    g_free(m->state);
    g_free(m->dir);
    g_free(m->manifest);
    if (m->people)
        g_array_unref(m->people);
    if (m->files)
        g_array_unref(m->files);
    memset(m, 0, sizeof *m);
}

static void meeting_clear_func(gpointer p)
{
    hn_db_archive_meeting_clear(p);
}

void hn_db_archive_filter_clear(HnDbArchiveFilter *f)
{
    g_free(f->room);
    g_free(f->title);
    g_free(f->participant);
    memset(f, 0, sizeof *f);
}

char *hn_db_archive_fold(const char *text)
{
    if (!text)
        return g_strdup("");
    g_autofree char *nfd = g_utf8_normalize(text, -1, G_NORMALIZE_NFD);
    if (!nfd)
        return g_strdup("");
    GString *out = g_string_new(NULL);
    for (const char *p = nfd; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        GUnicodeType t = g_unichar_type(c);
        if (t == G_UNICODE_NON_SPACING_MARK || t == G_UNICODE_SPACING_MARK ||
            t == G_UNICODE_ENCLOSING_MARK)
            continue;
        if (c == 0x0110 || c == 0x0111) /* Đ đ have no decomposition */
            c = 'd';
        g_string_append_unichar(out, g_unichar_tolower(c));
    }
    return g_string_free(out, FALSE);
}

/* Replaces the participants of m->id. */
static gboolean put_people(HnDb *db, const HnDbArchiveMeeting *m, GError **error)
{
    sqlite3_stmt *st = prepare(db, "DELETE FROM archive_participants WHERE meeting = ?", error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, m->id);
    if (!step_done(db, st, error))
        return FALSE;
    for (guint i = 0; m->people && i < m->people->len; i++) {
        const HnDbArchivePerson *p = &g_array_index(m->people, HnDbArchivePerson, i);
        st = prepare(db,
                     "INSERT INTO archive_participants (meeting, name, name_fold, role, joined,"
                     " left) VALUES (?, ?, ?, ?, ?, ?)",
                     error);
        if (!st)
            return FALSE;
        g_autofree char *fold = hn_db_archive_fold(p->name);
        sqlite3_bind_int64(st, 1, m->id);
        bind_text(st, 2, p->name);
        bind_text(st, 3, fold);
        bind_text(st, 4, p->role);
        bind_ms(st, 5, p->joined_ms);
        bind_ms(st, 6, p->left_ms);
        if (!step_done(db, st, error))
            return FALSE;
    }
    return TRUE;
}

/* Replaces the files of m->id, keeping the removed time of those already known. */
static gboolean put_files(HnDb *db, const HnDbArchiveMeeting *m, GError **error)
{
    sqlite3_stmt *st = prepare(db,
                               "CREATE TEMP TABLE IF NOT EXISTS archive_keep (name TEXT PRIMARY"
                               " KEY, removed INTEGER)",
                               error);
    if (!st || !step_done(db, st, error) || !exec(db, "DELETE FROM temp.archive_keep", error))
        return FALSE;
    st = prepare(db,
                 "INSERT INTO temp.archive_keep SELECT name, removed FROM archive_files"
                 " WHERE meeting = ? AND removed IS NOT NULL",
                 error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, m->id);
    if (!step_done(db, st, error))
        return FALSE;
    st = prepare(db, "DELETE FROM archive_files WHERE meeting = ?", error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, m->id);
    if (!step_done(db, st, error))
        return FALSE;
    for (guint i = 0; m->files && i < m->files->len; i++) {
        const HnDbArchiveFile *f = &g_array_index(m->files, HnDbArchiveFile, i);
        st = prepare(db,
                     "INSERT OR REPLACE INTO archive_files (meeting, name, bytes, sha256, removed)"
                     " VALUES (?1, ?2, ?3, ?4, COALESCE((SELECT removed FROM temp.archive_keep"
                     " WHERE name = ?2), ?5))",
                     error);
        if (!st)
            return FALSE;
        sqlite3_bind_int64(st, 1, m->id);
        bind_text(st, 2, f->name);
        sqlite3_bind_int64(st, 3, f->bytes);
        bind_text(st, 4, f->sha256);
        bind_ms(st, 5, f->removed);
        if (!step_done(db, st, error))
            return FALSE;
    }
    return TRUE;
}

gboolean hn_db_archive_put(HnDb *db, const HnDbArchiveMeeting *m, gint64 now_s, GError **error)
{
    g_return_val_if_fail(m && m->id > 0 && m->room && m->dir && m->manifest, FALSE);
    if (!exec(db, "BEGIN IMMEDIATE", error))
        return FALSE;
    g_autofree char *room_fold = hn_db_archive_fold(m->room);
    g_autofree char *title_fold = hn_db_archive_fold(m->title);
    sqlite3_stmt *st = prepare(
        db,
        "INSERT INTO archive_meetings (id, room, room_fold, title, title_fold, started, ended,"
        " state, interrupted, dir, manifest, indexed, removed)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
        " ON CONFLICT (id) DO UPDATE SET room = ?2, room_fold = ?3, title = ?4, title_fold = ?5,"
        " started = ?6, ended = ?7, state = ?8, interrupted = ?9, dir = ?10, manifest = ?11,"
        " indexed = ?12, removed = COALESCE(removed, ?13)",
        error);
    gboolean ok = st != NULL;
    if (ok) {
        sqlite3_bind_int64(st, 1, m->id);
        bind_text(st, 2, m->room);
        bind_text(st, 3, room_fold);
        bind_text(st, 4, m->title);
        bind_text(st, 5, title_fold);
        sqlite3_bind_int64(st, 6, m->started_ms);
        bind_ms(st, 7, m->ended_ms);
        bind_text(st, 8, m->state ? m->state : "complete");
        sqlite3_bind_int(st, 9, m->interrupted ? 1 : 0);
        bind_text(st, 10, m->dir);
        bind_text(st, 11, m->manifest);
        sqlite3_bind_int64(st, 12, now_s);
        bind_ms(st, 13, m->removed);
        ok = step_done(db, st, error);
    }
    ok = ok && put_people(db, m, error) && put_files(db, m, error);
    if (!ok) {
        exec(db, "ROLLBACK", NULL);
        return FALSE;
    }
    return exec(db, "COMMIT", error);
}

/* "%text%" for LIKE ... ESCAPE '\', folded. transfer full. */
static char *like_pattern(const char *text)
{
    g_autofree char *fold = hn_db_archive_fold(text);
    GString *s = g_string_new("%");
    for (const char *p = fold; *p; p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            g_string_append_c(s, '\\');
        g_string_append_c(s, *p);
    }
    g_string_append_c(s, '%');
    return g_string_free(s, FALSE);
}

#define MEETING_COLS                                                                               \
    "m.id, m.room, m.title, m.started, m.ended, m.state, m.interrupted, m.dir, m.indexed,"         \
    " m.removed"

static void meeting_from_row(sqlite3_stmt *st, HnDbArchiveMeeting *m)
{
    m->id = sqlite3_column_int64(st, 0);
    m->room = col_text(st, 1);
    m->title = col_text(st, 2);
    m->started_ms = sqlite3_column_int64(st, 3);
    m->ended_ms = sqlite3_column_int64(st, 4);
    m->state = col_text(st, 5);
    m->interrupted = sqlite3_column_int(st, 6) != 0;
    m->dir = col_text(st, 7);
    m->indexed = sqlite3_column_int64(st, 8);
    m->removed = sqlite3_column_int64(st, 9);
}

GArray *hn_db_archive_search(HnDb *db, const HnDbArchiveFilter *f, GError **error)
{
    g_autofree char *room = f->room && *f->room ? like_pattern(f->room) : NULL;
    g_autofree char *title = f->title && *f->title ? like_pattern(f->title) : NULL;
    g_autofree char *who = f->participant && *f->participant ? like_pattern(f->participant) : NULL;
    sqlite3_stmt *st =
        prepare(db,
                "SELECT " MEETING_COLS " FROM archive_meetings m WHERE"
                " (?1 IS NULL OR m.started >= ?1) AND (?2 IS NULL OR m.started < ?2)"
                " AND (?3 IS NULL OR m.room_fold LIKE ?3 ESCAPE '\\')"
                " AND (?4 IS NULL OR m.title_fold LIKE ?4 ESCAPE '\\')"
                " AND (?5 IS NULL OR EXISTS (SELECT 1 FROM archive_participants p WHERE"
                " p.meeting = m.id AND p.name_fold LIKE ?5 ESCAPE '\\'))"
                " ORDER BY m.started DESC, m.id DESC LIMIT ?6",
                error);
    if (!st)
        return NULL;
    bind_ms(st, 1, f->from_ms);
    bind_ms(st, 2, f->to_ms);
    bind_text(st, 3, room);
    bind_text(st, 4, title);
    bind_text(st, 5, who);
    sqlite3_bind_int(st, 6, (int)(f->limit ? MIN(f->limit, HN_DB_ARCHIVE_LIMIT_MAX) : 100));
    GArray *out = g_array_new(FALSE, TRUE, sizeof(HnDbArchiveMeeting));
    g_array_set_clear_func(out, meeting_clear_func);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        HnDbArchiveMeeting m = {0};
        meeting_from_row(st, &m);
        g_array_append_val(out, m);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        g_array_unref(out);
        sql_fail(db, error, "read");
        return NULL;
    }
    return out;
}

gboolean hn_db_archive_get(HnDb *db, gint64 id, HnDbArchiveMeeting *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = prepare(
        db, "SELECT " MEETING_COLS ", m.manifest FROM archive_meetings m WHERE m.id = ?", NULL);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, id);
    gboolean found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        meeting_from_row(st, out);
        out->manifest = col_text(st, 10);
    }
    sqlite3_finalize(st);
    if (!found)
        return FALSE;
    out->people = hn_db_archive_people_new();
    out->files = hn_db_archive_files_new();
    st = prepare(db,
                 "SELECT name, role, joined, left FROM archive_participants WHERE meeting = ?"
                 " ORDER BY rowid",
                 NULL);
    if (st) {
        sqlite3_bind_int64(st, 1, id);
        while (sqlite3_step(st) == SQLITE_ROW) {
            HnDbArchivePerson p = {col_text(st, 0), col_text(st, 1), sqlite3_column_int64(st, 2),
                                   sqlite3_column_int64(st, 3)};
            g_array_append_val(out->people, p);
        }
        sqlite3_finalize(st);
    }
    st = prepare(db,
                 "SELECT name, bytes, sha256, removed FROM archive_files WHERE meeting = ?"
                 " ORDER BY rowid",
                 NULL);
    if (st) {
        sqlite3_bind_int64(st, 1, id);
        while (sqlite3_step(st) == SQLITE_ROW) {
            HnDbArchiveFile f = {col_text(st, 0), sqlite3_column_int64(st, 1), col_text(st, 2),
                                 sqlite3_column_int64(st, 3)};
            g_array_append_val(out->files, f);
        }
        sqlite3_finalize(st);
    }
    return TRUE;
}

GArray *hn_db_archive_present(HnDb *db, GError **error)
{
    sqlite3_stmt *st = prepare(
        db, "SELECT " MEETING_COLS " FROM archive_meetings m WHERE m.removed IS NULL", error);
    if (!st)
        return NULL;
    GArray *out = g_array_new(FALSE, TRUE, sizeof(HnDbArchiveMeeting));
    g_array_set_clear_func(out, meeting_clear_func);
    while (sqlite3_step(st) == SQLITE_ROW) {
        HnDbArchiveMeeting m = {0};
        meeting_from_row(st, &m);
        g_array_append_val(out, m);
    }
    sqlite3_finalize(st);
    return out;
}

/* Runs sql with ?1 = v (NULL when 0), ?2 = id, ?3 = name (NULL ok); the rows changed or -1. */
static int update(HnDb *db, const char *sql, gint64 v, gint64 id, const char *name, GError **error)
{
    sqlite3_stmt *st = prepare(db, sql, error);
    if (!st)
        return -1;
    bind_ms(st, 1, v);
    sqlite3_bind_int64(st, 2, id);
    bind_text(st, 3, name);
    return step_done(db, st, error) ? sqlite3_changes(handle(db)) : -1;
}

gboolean hn_db_archive_mark_removed(HnDb *db, gint64 id, gint64 now_s, const char *const *keep,
                                    GError **error)
{
    int n = update(db, "UPDATE archive_meetings SET removed = ?1 WHERE id = ?2 AND removed IS NULL",
                   now_s, id, NULL, error);
    if (n < 0)
        return FALSE;
    if (n == 0) {
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_NOT_FOUND,
                    "no meeting %" G_GINT64_FORMAT " with its files present", id);
        return FALSE;
    }
    if (update(db, "UPDATE archive_files SET removed = ?1 WHERE meeting = ?2 AND removed IS NULL",
               now_s, id, NULL, error) < 0)
        return FALSE;
    for (guint i = 0; keep && keep[i]; i++) {
        if (update(db, "UPDATE archive_files SET removed = ?1 WHERE meeting = ?2 AND name = ?3", 0,
                   id, keep[i], error) < 0)
            return FALSE;
    }
    return TRUE;
}

gint64 hn_db_archive_count(HnDb *db)
{
    sqlite3_stmt *st = prepare(db, "SELECT count(*) FROM archive_meetings", NULL);
    if (!st)
        return -1;
    gint64 n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

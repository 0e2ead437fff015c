/* Chat lines, votes and ballots in the store (store/db_chatvote.h). */
#include "store/db_chatvote.h"

#include <jansson.h>
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

void hn_db_chat_line_clear(HnDbChatLine *l)
{
    g_free(l->sender);
    g_free(l->sender_id);
    g_free(l->recipient);
    g_free(l->text);
    memset(l, 0, sizeof *l);
}

gint64 hn_db_chat_add(HnDb *db, const char *room, gint64 time_ms, const char *sender,
                      const char *sender_id, const char *sender_sub, const char *recipient,
                      const char *text, GError **error)
{
    sqlite3 *s = hn_db_handle(db);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s,
                           "INSERT INTO chat (room, time, sender, sender_id, sender_sub,"
                           " recipient, text) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK) {
        fail(s, error, "chat line");
        return 0;
    }
    bind_text(st, 1, room);
    sqlite3_bind_int64(st, 2, time_ms);
    bind_text(st, 3, sender);
    bind_text(st, 4, sender_id);
    bind_text(st, 5, sender_sub);
    bind_text(st, 6, recipient);
    bind_text(st, 7, text);
    gint64 id = 0;
    if (sqlite3_step(st) == SQLITE_DONE)
        id = sqlite3_last_insert_rowid(s);
    else
        fail(s, error, "chat line");
    sqlite3_finalize(st);
    return id;
}

GArray *hn_db_chat_recent(HnDb *db, const char *room, gint64 since_ms, const char *viewer_sub,
                          const char *viewer_id, gint64 id_since_ms, gboolean may_chair,
                          guint limit, GError **error)
{
    sqlite3 *s = hn_db_handle(db);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s,
                           "SELECT id, time, sender, sender_id, recipient, text FROM chat"
                           " WHERE room = ?1 AND time >= ?2 AND (recipient IS NULL OR ?3"
                           "  OR (?4 IS NOT NULL AND sender_sub = ?4)"
                           "  OR (sender_id = ?5 AND time >= ?6))"
                           " ORDER BY id DESC LIMIT ?7",
                           -1, &st, NULL) != SQLITE_OK) {
        fail(s, error, "chat history");
        return NULL;
    }
    bind_text(st, 1, room);
    sqlite3_bind_int64(st, 2, since_ms);
    sqlite3_bind_int(st, 3, may_chair ? 1 : 0);
    bind_text(st, 4, viewer_sub);
    bind_text(st, 5, viewer_id);
    sqlite3_bind_int64(st, 6, id_since_ms);
    sqlite3_bind_int(st, 7, (int)limit);
    GArray *out = g_array_new(FALSE, TRUE, sizeof(HnDbChatLine));
    g_array_set_clear_func(out, (GDestroyNotify)hn_db_chat_line_clear);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        HnDbChatLine l = {
            .id = sqlite3_column_int64(st, 0),
            .time_ms = sqlite3_column_int64(st, 1),
            .sender = g_strdup((const char *)sqlite3_column_text(st, 2)),
            .sender_id = g_strdup((const char *)sqlite3_column_text(st, 3)),
            .recipient = g_strdup((const char *)sqlite3_column_text(st, 4)),
            .text = g_strdup((const char *)sqlite3_column_text(st, 5)),
        };
        g_array_prepend_val(out, l); /* newest came first: oldest first in the result */
    }
    if (rc != SQLITE_DONE) {
        fail(s, error, "chat history");
        g_array_free(out, TRUE);
        out = NULL;
    }
    sqlite3_finalize(st);
    return out;
}

gint64 hn_db_vote_open(HnDb *db, const char *room, const char *question, const char *const *options,
                       guint n_options, gboolean secret, gint64 opened_ms, const char *opened_by,
                       GError **error)
{
    json_t *opts = json_array(), *tally = json_array();
    for (guint i = 0; i < n_options; i++) {
        json_array_append_new(opts, json_string(options[i]));
        json_array_append_new(tally, json_integer(0));
    }
    char *opts_text = json_dumps(opts, JSON_COMPACT);
    char *tally_text = json_dumps(tally, JSON_COMPACT);
    json_decref(opts);
    json_decref(tally);
    sqlite3 *s = hn_db_handle(db);
    sqlite3_stmt *st = NULL;
    gint64 id = 0;
    if (!opts_text || !tally_text) {
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_SQL, "vote: options are not valid UTF-8");
    } else if (sqlite3_prepare_v2(s,
                                  "INSERT INTO votes (room, question, options, secret, opened,"
                                  " opened_by, tally) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                  -1, &st, NULL) != SQLITE_OK) {
        fail(s, error, "vote");
    } else {
        bind_text(st, 1, room);
        bind_text(st, 2, question);
        bind_text(st, 3, opts_text);
        sqlite3_bind_int(st, 4, secret ? 1 : 0);
        sqlite3_bind_int64(st, 5, opened_ms);
        bind_text(st, 6, opened_by);
        bind_text(st, 7, tally_text);
        if (sqlite3_step(st) == SQLITE_DONE)
            id = sqlite3_last_insert_rowid(s);
        else
            fail(s, error, "vote");
    }
    sqlite3_finalize(st);
    free(opts_text);
    free(tally_text);
    return id;
}

/* Runs one statement with the given int64/text binds; TRUE when it changed exactly one row. */
static gboolean step_one(sqlite3 *s, sqlite3_stmt *st, GError **error, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        return fail(s, error, what);
    if (sqlite3_changes(s) != 1) {
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_NOT_FOUND, "%s: no such open vote", what);
        return FALSE;
    }
    return TRUE;
}

gboolean hn_db_ballot_add(HnDb *db, gint64 vote, const char *voter, const char *voter_name,
                          guint option, gboolean secret, gint64 time_ms, GError **error)
{
    sqlite3 *s = hn_db_handle(db);
    if (sqlite3_exec(s, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail(s, error, "ballot");
    sqlite3_stmt *ins = NULL, *upd = NULL;
    gboolean ok = FALSE;
    g_autofree char *path = g_strdup_printf("$[%u]", option);
    if (sqlite3_prepare_v2(s,
                           "INSERT INTO ballots (vote, voter, voter_name, option, time)"
                           " VALUES (?, ?, ?, ?, ?)",
                           -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s,
                           "UPDATE votes SET tally = json_set(tally, ?2, json_extract(tally, ?2)"
                           " + 1) WHERE id = ?1 AND closed IS NULL"
                           " AND json_extract(tally, ?2) IS NOT NULL",
                           -1, &upd, NULL) != SQLITE_OK) {
        fail(s, error, "ballot");
        goto out;
    }
    sqlite3_bind_int64(ins, 1, vote);
    bind_text(ins, 2, voter);
    bind_text(ins, 3, voter_name);
    if (secret)
        sqlite3_bind_null(ins, 4);
    else
        sqlite3_bind_int(ins, 4, (int)option);
    sqlite3_bind_int64(ins, 5, time_ms);
    sqlite3_bind_int64(upd, 1, vote);
    bind_text(upd, 2, path);
    ok = step_one(s, ins, error, "ballot") && step_one(s, upd, error, "ballot tally");
out:
    sqlite3_finalize(ins);
    sqlite3_finalize(upd);
    if (ok && sqlite3_exec(s, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        ok = fail(s, error, "ballot commit");
    if (!ok)
        sqlite3_exec(s, "ROLLBACK", NULL, NULL, NULL);
    return ok;
}

gboolean hn_db_vote_close(HnDb *db, gint64 vote, gint64 closed_ms, GError **error)
{
    sqlite3 *s = hn_db_handle(db);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s, "UPDATE votes SET closed = ? WHERE id = ? AND closed IS NULL", -1,
                           &st, NULL) != SQLITE_OK)
        return fail(s, error, "close vote");
    sqlite3_bind_int64(st, 1, closed_ms);
    sqlite3_bind_int64(st, 2, vote);
    gboolean ok = step_one(s, st, error, "close vote");
    sqlite3_finalize(st);
    return ok;
}

int hn_db_vote_close_stale(HnDb *db, gint64 closed_ms, GError **error)
{
    sqlite3 *s = hn_db_handle(db);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s, "UPDATE votes SET closed = ? WHERE closed IS NULL", -1, &st, NULL) !=
        SQLITE_OK) {
        fail(s, error, "close stale votes");
        return -1;
    }
    sqlite3_bind_int64(st, 1, closed_ms);
    int n = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(s) : -1;
    if (n < 0)
        fail(s, error, "close stale votes");
    sqlite3_finalize(st);
    return n;
}

/* The store's chat and vote rows (schema 3: tables chat, votes, ballots). Synchronous; run on
 * the store thread (store/store.h: hn_store_query) in the server. Times are milliseconds since
 * the epoch (the `time` of the chat message on the wire), unlike audit rows (seconds).
 *
 * A secret ballot keeps who voted (once: the primary key (vote, voter)) and not what: its option
 * is NULL and only votes.tally (a JSON array of counts) counts it; the ballot row and the tally
 * are written in one transaction, so the tally always equals the ballots. Errors: HN_DB_ERROR.
 * Thread: the HnDb's. */
#pragma once

#include <glib.h>

#include "store/db.h"

G_BEGIN_DECLS

typedef struct {
    gint64 id, time_ms;
    char *sender;    /* display name */
    char *sender_id; /* participant id "p<n>" */
    char *recipient; /* NULL: everyone; "chair": the chairs */
    char *text;
} HnDbChatLine;

void hn_db_chat_line_clear(HnDbChatLine *l);

/* Appends a chat line; returns its row id (> 0, the line's seq), 0 + error. sender_sub,
 * recipient may be NULL. */
gint64 hn_db_chat_add(HnDb *db, const char *room, gint64 time_ms, const char *sender,
                      const char *sender_id, const char *sender_sub, const char *recipient,
                      const char *text, GError **error);

/* The last `limit` lines of room since since_ms that a viewer may read, oldest first: public
 * lines, and lines to the chair when the viewer is a chair (may_chair), wrote them under the same
 * token sub (viewer_sub, NULL: none) or under its participant id (viewer_id) since id_since_ms
 * (ids are reused by a restarted server). GArray of HnDbChatLine (clear func set). transfer full;
 * NULL + error. */
GArray *hn_db_chat_recent(HnDb *db, const char *room, gint64 since_ms, const char *viewer_sub,
                          const char *viewer_id, gint64 id_since_ms, gboolean may_chair,
                          guint limit, GError **error);

/* Inserts an open vote (tally: n_options zeros); returns its row id (> 0), 0 + error. */
gint64 hn_db_vote_open(HnDb *db, const char *room, const char *question, const char *const *options,
                       guint n_options, gboolean secret, gint64 opened_ms, const char *opened_by,
                       GError **error);

/* Records voter's ballot for option (0-based) of vote and counts it in votes.tally, in one
 * transaction; secret: the option is not kept in the ballot row. FALSE + error (nothing
 * written: a second ballot of the same voter, an unknown vote, an option out of range). */
gboolean hn_db_ballot_add(HnDb *db, gint64 vote, const char *voter, const char *voter_name,
                          guint option, gboolean secret, gint64 time_ms, GError **error);

/* Marks vote closed at closed_ms. FALSE + error (NOT_FOUND: no open vote of that id). */
gboolean hn_db_vote_close(HnDb *db, gint64 vote, gint64 closed_ms, GError **error);

/* Closes at closed_ms every vote still open in the store: votes live in the memory of the process
 * that opened them, so at start those of a stopped or crashed process are over. Returns how many
 * were closed, -1 + error. */
int hn_db_vote_close_stale(HnDb *db, gint64 closed_ms, GError **error);

G_END_DECLS

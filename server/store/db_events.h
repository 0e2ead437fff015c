/* The meeting event log and the meeting lifecycle rows (migration 4), used by the store thread
 * for app/hub_meeting.c: plain rows in and out, no policy. Errors: HN_DB_ERROR. */
#pragma once

#include <glib.h>

#include "store/db.h"

G_BEGIN_DECLS

/* A row of events. Strings owned (hn_db_event_clear). data: a JSON object's text. */
typedef struct {
    gint64 id;      /* set by hn_db_event_append */
    gint64 meeting; /* meetings.id; 0: none (NULL in the table) */
    char *room;
    gint64 time_ms;    /* wall clock, ms since the epoch */
    char *type;        /* "meeting.started", "participant.joined", ... (docs/minutes.md) */
    char *actor;       /* who did it (a display name, or "system"); may be NULL */
    char *participant; /* "p12": the participant concerned; may be NULL */
    char *data;        /* JSON object text; NULL: "{}" */
} HnDbEvent;

void hn_db_event_clear(HnDbEvent *ev);
/* Appends ev (ev->id gets its id). Runs inside the caller's transaction when there is one.
 * FALSE + error. */
gboolean hn_db_event_append(HnDb *db, HnDbEvent *ev, GError **error);
/* The events of a meeting in order: GArray of HnDbEvent (clear func set). transfer full; NULL +
 * error. */
GArray *hn_db_event_list(HnDb *db, gint64 meeting, GError **error);

/* The meeting of room that starts now (now_ms): the `live` meeting of the room if one is left
 * (a restart within end_grace continues it: *resumed TRUE), else the scheduled meeting whose start
 * is within an hour from now and which is not over (before its `ends`, or, without one, started
 * at most 12 h ago; the nearest; it becomes live, started now),
 * else a new ad hoc meeting titled title (NULL: the room's name). *id and *title_out (transfer
 * full) get the meeting's; *scheduled says whether it was planned. FALSE + error. */
gboolean hn_db_meeting_begin(HnDb *db, const char *room, const char *title, gint64 now_ms,
                             gint64 *id, char **title_out, gboolean *scheduled, gboolean *resumed,
                             GError **error);
/* Marks meeting id ended at now_ms with reason ("chair", "empty", "interrupted"); an end time
 * or reason already set (the API's end) is kept. FALSE + error (NOT_FOUND). */
gboolean hn_db_meeting_finish(HnDb *db, gint64 id, gint64 now_ms, const char *reason,
                              GError **error);

/* A live meeting left from before a restart. */
typedef struct {
    gint64 id;
    char *room;
    gint64 started_ms; /* when it started */
    gint64 last_ms;    /* the time of its last event (its start when none) */
} HnDbLiveMeeting;

void hn_db_live_meeting_clear(HnDbLiveMeeting *m);
/* Every meeting in state live: GArray of HnDbLiveMeeting (clear func set). transfer full. */
GArray *hn_db_meeting_list_live(HnDb *db, GError **error);

/* Runs fn(db, data) inside one transaction (BEGIN IMMEDIATE .. COMMIT; ROLLBACK when fn returns
 * FALSE or the commit fails). FALSE + error. */
gboolean hn_db_transaction(HnDb *db, gboolean (*fn)(HnDb *db, gpointer data, GError **error),
                           gpointer data, GError **error);

G_END_DECLS

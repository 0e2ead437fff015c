/* The store's rows behind the minutes (docs/minutes.md): a meeting's details (summary, place),
 * agenda and invited people; the secretary's notes and absence reasons; the minutes' versions.
 * Plain rows in and out as JSON (jansson), no policy: callers validate. Errors: HN_DB_ERROR.
 * Thread: the HnDb's (the store thread in the server). */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "store/db.h"

G_BEGIN_DECLS

/* Replaces what details has of meeting's details: {"summary", "place" (strings or null),
 * "agenda": [titles], "invited": [{"name", "site"}]}; a key that is absent is left as it is. */
gboolean hn_db_meeting_details_set(HnDb *db, gint64 meeting, const json_t *details, GError **error);
/* {"summary", "place", "agenda", "invited"} of meeting (empty ones when none). transfer full. */
json_t *hn_db_meeting_details_get(HnDb *db, gint64 meeting);

/* Appends a note; returns its id (> 0), 0 + error. who may be NULL; time in ms. */
gint64 hn_db_minutes_note_add(HnDb *db, gint64 meeting, int item, const char *kind, const char *who,
                              const char *text, gint64 time_ms, const char *author, GError **error);
/* The notes of meeting in order: [{"id", "item", "kind", "who", "text", "time", "author"}].
 * transfer full. */
json_t *hn_db_minutes_notes(HnDb *db, gint64 meeting);
/* Sets (reason non-empty) or clears the absence reason of a site or person of meeting. */
gboolean hn_db_minutes_absent_set(HnDb *db, gint64 meeting, const char *kind, const char *name,
                                  const char *reason, gint64 time_ms, const char *author,
                                  GError **error);
/* [{"kind", "name", "reason"}] of meeting. transfer full. */
json_t *hn_db_minutes_absent(HnDb *db, gint64 meeting);

/* Adds version `version` of meeting's minutes (state draft) unless it exists: TRUE when
 * written, FALSE without error when the version is taken, FALSE + error on failure. */
gboolean hn_db_minutes_add(HnDb *db, gint64 meeting, int version, const char *json_text,
                           gint64 now_s, const char *author, GError **error);
/* The newest version of meeting's minutes: its number (0: none), and when asked its state and
 * JSON text (transfer full). */
int hn_db_minutes_latest(HnDb *db, gint64 meeting, char **state, char **json_text);
/* [{"version", "state", "created", "author", "approved", "approved_by"}], oldest first.
 * transfer full. */
json_t *hn_db_minutes_versions(HnDb *db, gint64 meeting);
/* Marks version of meeting approved (by, now_s) and stores its JSON text (draft false). FALSE +
 * error (NOT_FOUND: no such draft). */
gboolean hn_db_minutes_approve(HnDb *db, gint64 meeting, int version, const char *json_text,
                               const char *by, gint64 now_s, GError **error);
/* Marks an approved version of meeting signed (its minutes.pdf carries the agency's signature).
 * FALSE + error (NOT_FOUND: no such approved version). */
gboolean hn_db_minutes_mark_signed(HnDb *db, gint64 meeting, int version, GError **error);
/* Ids of ended meetings without any minutes, oldest first, at most limit. transfer full
 * (GArray of gint64). */
GArray *hn_db_meetings_without_minutes(HnDb *db, guint limit, GError **error);

G_END_DECLS

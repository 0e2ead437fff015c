/* Rooms and meetings made through the admin REST API (app/api_v1*.c), in the tables of schema 3
 * (rooms, meetings, meeting_sites): plain rows in and out, no policy. The caller validates the
 * values (names, ranges); these functions only store them. Errors: GError in HN_DB_ERROR
 * (EXISTS, NOT_FOUND, SQL). Thread: the store thread (or a command-line tool), like store/db.h. */
#pragma once

#include "store/db.h"

G_BEGIN_DECLS

/* A row of rooms. */
typedef struct {
    char *name;
    char *title;  /* NULL: none */
    char *access; /* "open", "pin", "token", "token-or-pin"; NULL: the server's default */
    char *pin;    /* NULL: none; never logged */
    gboolean lobby;
    gint max_participants;  /* 0: the server's default */
    gint last_n;            /* -1: the server's default */
    gboolean has_retention; /* FALSE: [rooms] retention_days */
    guint retention_days;   /* days the archive keeps the room's recordings, 0: forever */
    gint64 created, updated;
} HnDbRoom;

void hn_db_room_clear(HnDbRoom *r);
/* Copies src into dst (deep). */
void hn_db_room_copy(HnDbRoom *dst, const HnDbRoom *src);
/* Every API room by name: GArray of HnDbRoom (clear func set). transfer full; NULL + error. */
GArray *hn_db_room_list(HnDb *db, GError **error);
/* The room called name into *out (clear it); FALSE when there is none (or on error). */
gboolean hn_db_room_get(HnDb *db, const char *name, HnDbRoom *out);
/* Inserts r (created = updated = now_s). FALSE + error (EXISTS). */
gboolean hn_db_room_insert(HnDb *db, const HnDbRoom *r, gint64 now_s, GError **error);
/* Replaces the settings of the room r->name (updated = now_s). FALSE + error (NOT_FOUND). */
gboolean hn_db_room_update(HnDb *db, const HnDbRoom *r, gint64 now_s, GError **error);
/* Deletes the room. FALSE + error (NOT_FOUND). */
gboolean hn_db_room_delete(HnDb *db, const char *name, GError **error);

/* A row of meetings with its sites. */
typedef struct {
    gint64 id;
    char *room, *title;
    gint64 starts, ends;            /* unix seconds; ends 0: open-ended */
    char *chair, *secretary;        /* NULL: none */
    char *state;                    /* "scheduled", "live", "ended" */
    gint64 created, started, ended; /* started, ended 0: not yet */
    char **sites;                   /* NULL-terminated, never NULL */
} HnDbMeeting;

void hn_db_meeting_clear(HnDbMeeting *m);
/* Inserts m with its sites (state scheduled, created now_s); *id_out gets its id. */
gboolean hn_db_meeting_insert(HnDb *db, const HnDbMeeting *m, gint64 now_s, gint64 *id_out,
                              GError **error);
/* The meeting id into *out (clear it); FALSE when there is none. */
gboolean hn_db_meeting_get(HnDb *db, gint64 id, HnDbMeeting *out);
/* Meetings by start time, newest first, at most limit: GArray of HnDbMeeting (clear func set).
 * room NULL: every room. transfer full; NULL + error. */
GArray *hn_db_meeting_list(HnDb *db, const char *room, guint limit, GError **error);
/* Replaces the fields of meeting m->id (room, title, starts, ends, chair, secretary, state,
 * started, ended) and its sites. FALSE + error (NOT_FOUND). */
gboolean hn_db_meeting_update(HnDb *db, const HnDbMeeting *m, GError **error);

G_END_DECLS

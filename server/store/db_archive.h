/* The archive's catalogue (schema 5: archive_meetings, archive_participants, archive_files):
 * every meeting folder found under <data-dir>/archive (record/archive_index.h writes it from
 * the folders' manifest.json), searchable by time, room, title and participant name. Search is
 * case-insensitive and ignores Vietnamese diacritics: text is kept and matched "folded"
 * (hn_db_archive_fold: NFD, combining marks dropped, đ -> d, lower case), with SQL LIKE.
 * Plain rows in and out, no policy. Errors: GError in HN_DB_ERROR.
 * Thread: the store thread (or a command-line tool), like store/db.h. */
#pragma once

#include "store/db.h"

G_BEGIN_DECLS

#define HN_DB_ARCHIVE_LIMIT_MAX 500 /* rows a search returns at most */

/* A participant of an archived meeting (times: unix ms, 0 when unknown). */
typedef struct {
    char *name;
    char *role; /* NULL: unknown */
    gint64 joined_ms, left_ms;
} HnDbArchivePerson;

/* A file of an archived meeting. */
typedef struct {
    char *name;     /* relative to the meeting's folder ("meeting.webm", "tracks/p1-...webm") */
    gint64 bytes;   /* as recorded */
    char *sha256;   /* 64 hex digits as recorded; NULL: none recorded */
    gint64 removed; /* unix seconds the file was removed (retention), 0: present */
} HnDbArchiveFile;

/* A meeting of the archive. */
typedef struct {
    gint64 id;                   /* meetings.id, the folder's name */
    char *room, *title;          /* title NULL: none */
    gint64 started_ms, ended_ms; /* ended 0: not ended (recording or interrupted) */
    char *state;                 /* "recording", "complete", "interrupted" */
    gboolean interrupted;
    char *dir;      /* relative to the archive root: "2026/12/05/12" */
    char *manifest; /* the manifest.json text; NULL in search results */
    gint64 indexed; /* unix seconds */
    gint64 removed; /* unix seconds its files were removed (retention), 0: present */
    GArray *people; /* HnDbArchivePerson; NULL in search results */
    GArray *files;  /* HnDbArchiveFile; NULL in search results */
} HnDbArchiveMeeting;

/* Frees what m holds (NULL ok) and zeroes it. */
void hn_db_archive_meeting_clear(HnDbArchiveMeeting *m);
/* Empty people/files arrays with their clear functions. transfer full. */
GArray *hn_db_archive_people_new(void);
GArray *hn_db_archive_files_new(void);

/* What a search asks for; every field optional (0 / NULL: any). Text matches anywhere inside,
 * folded (see above). from/to: unix ms on the meeting's start, to exclusive. */
typedef struct {
    gint64 from_ms, to_ms;
    char *room, *title, *participant;
    guint limit; /* 1..HN_DB_ARCHIVE_LIMIT_MAX; 0: 100 */
} HnDbArchiveFilter;

void hn_db_archive_filter_clear(HnDbArchiveFilter *f);

/* text lower-cased without diacritics ("Nguyễn Đức" -> "nguyen duc"). transfer full. */
char *hn_db_archive_fold(const char *text);

/* Adds or replaces meeting m->id with its people and files (m->manifest required). A file
 * already catalogued keeps its removed time; the meeting keeps its removed time. now_s: the
 * indexed time. FALSE + error. */
gboolean hn_db_archive_put(HnDb *db, const HnDbArchiveMeeting *m, gint64 now_s, GError **error);
/* Meetings matching f, newest start first (without manifest, people or files), GArray of
 * HnDbArchiveMeeting (clear func set). transfer full; NULL + error. */
GArray *hn_db_archive_search(HnDb *db, const HnDbArchiveFilter *f, GError **error);
/* Meeting id with manifest, people and files into *out (clear it first); FALSE when none. */
gboolean hn_db_archive_get(HnDb *db, gint64 id, HnDbArchiveMeeting *out);
/* The meetings whose files are still there (removed 0): id, room, started, ended, dir only.
 * transfer full; NULL + error. */
GArray *hn_db_archive_present(HnDb *db, GError **error);
/* Marks the meeting's files removed at now_s, except those named in keep (NULL-terminated,
 * NULL ok), and the meeting itself. FALSE + error (NOT_FOUND). */
gboolean hn_db_archive_mark_removed(HnDb *db, gint64 id, gint64 now_s, const char *const *keep,
                                    GError **error);
/* Number of catalogued meetings (-1 on error). */
gint64 hn_db_archive_count(HnDb *db);

G_END_DECLS

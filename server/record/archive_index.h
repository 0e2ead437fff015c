/* The archive's index: reads the meeting folders of <data-dir>/archive (their manifest.json,
 * docs/recording.md) into the store's catalogue (store/db_archive.h), removes the files of
 * meetings past their room's retention, opens archived files safely for the portal, and
 * recomputes their SHA-256.
 *
 * Everything that touches the disk runs off the main loop: on the archive's two threads (one
 * reads manifests and removes files, one hashes for verification; each fed through a mailbox)
 * or on the store thread (catalogue reads and writes, opening a file to serve). A manifest that is
 * missing, not JSON, or not the layout of docs/recording.md is skipped, logged and counted
 * (hn_archive_get_stats), never a crash.
 *
 * Files are only ever opened by walking from the archive root one component at a time with
 * openat(O_NOFOLLOW): a symlink anywhere, "..", ".", an absolute path, a NUL, a backslash or a
 * character outside [A-Za-z0-9._-] never resolves (docs/security.md).
 * Thread: the main loop unless said otherwise. */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "store/db_archive.h"
#include "store/store.h"
#include "transport/mailbox.h"

G_BEGIN_DECLS

#define HN_ARCHIVE_MANIFEST     "manifest.json"
#define HN_ARCHIVE_MANIFEST_MAX (4 * 1024 * 1024) /* bytes; larger manifests are refused */

typedef struct HnArchive HnArchive;

/* The retention of room in days (0: keep forever). Called on the store thread with its
 * database (the REST API's rooms are there): it must otherwise only read what does not change
 * while the server runs (the configuration). */
typedef guint (*HnArchiveRetentionFn)(HnDb *db, const char *room, gpointer user);

/* An archive over <data_dir>/archive writing its catalogue through store, replying on home's
 * thread (the main loop's mailbox). Creates the archive folder when missing. All transfer none,
 * must outlive the archive. transfer full. */
HnArchive *hn_archive_new(const char *data_dir, HnStore *store, HnMailbox *home);
/* Stops the daily sweep and waits for the archive's threads (queued work is dropped). NULL ok. */
void hn_archive_free(HnArchive *a);
/* The retention policy (fn NULL: keep everything). */
void hn_archive_set_retention(HnArchive *a, HnArchiveRetentionFn fn, gpointer user);
/* Indexes every meeting folder (YYYY/MM/DD/<id>/manifest.json) in the background, then sweeps;
 * sweeps again every day. */
void hn_archive_start(HnArchive *a);
/* (Re-)indexes one meeting folder (absolute, or relative to the archive root) in the
 * background: the recorder calls it when it finishes a folder, the minutes when a minutes/v<N>/
 * version appears (hn_archive_index_minutes). Files under minutes/v<N>/ that the manifest does
 * not list are catalogued too (their SHA-256 computed). Thread: any. */
void hn_archive_index_meeting(HnArchive *a, const char *dir);
void hn_archive_index_minutes(HnArchive *a, const char *dir);
/* Removes the files of every meeting past its room's retention (keeping manifest.json and the
 * catalogue row, which says when). Runs in the background. */
void hn_archive_sweep(HnArchive *a);
/* The archive root (<data_dir>/archive). transfer none. */
const char *hn_archive_root(const HnArchive *a);

typedef struct {
    guint64 indexed;                         /* manifests read into the catalogue */
    guint64 bad_manifests;                   /* manifests skipped: missing, unreadable, invalid */
    guint64 meetings_removed, files_removed; /* by retention */
    guint64 verified, verify_mismatch;       /* files hashed by hn_archive_verify, mismatches */
} HnArchiveStats;
/* Thread: any. */
void hn_archive_get_stats(HnArchive *a, HnArchiveStats *out);

/* ---- verification ---- */

typedef enum {
    HN_ARCHIVE_MATCH,    /* the file's SHA-256 is the recorded one */
    HN_ARCHIVE_MISMATCH, /* it differs */
    HN_ARCHIVE_MISSING,  /* the file is gone (or cannot be opened) */
    HN_ARCHIVE_UNKNOWN,  /* no SHA-256 was recorded: *sha256 is what the file has now */
    HN_ARCHIVE_REMOVED,  /* removed by retention */
} HnArchiveCheck;

/* "match", "mismatch", "missing", "unknown", "removed". transfer none. */
const char *hn_archive_check_name(HnArchiveCheck c);

typedef struct {
    char *name;
    HnArchiveCheck check;
    char *expected, *actual; /* hex; NULL when unknown */
} HnArchiveVerdict;

/* Called on the main loop with the verdicts (GArray of HnArchiveVerdict, transfer none). */
typedef void (*HnArchiveVerifyFn)(GArray *verdicts, gpointer user);
/* Recomputes the SHA-256 of the files of m (all of them, or only the one called only when not
 * NULL) in the background, then calls done(verdicts, user) on home's thread, then destroy(user).
 * m: transfer none (copied). */
void hn_archive_verify(HnArchive *a, const HnDbArchiveMeeting *m, const char *only,
                       HnArchiveVerifyFn done, gpointer user, GDestroyNotify destroy);

/* ---- pure and synchronous helpers (any thread) ---- */

/* TRUE when rel is a relative path of components of [A-Za-z0-9._-] (not "." or ".."), each at
 * most 255 bytes, at most 8 deep and 1024 bytes in all. */
gboolean hn_archive_path_valid(const char *rel);
/* Reads a manifest's text (len bytes) into *out (clear it; people and files filled, manifest
 * copied, dir set to dir). FALSE with *why (transfer full) when it is not a valid manifest.
 * Files listed with an invalid name are skipped (counted in *skipped, may be NULL). */
gboolean hn_archive_manifest_parse(const char *text, gsize len, const char *dir,
                                   HnDbArchiveMeeting *out, guint *skipped, char **why);
/* Opens root/dir/name for reading (both relative, each valid as hn_archive_path_valid) without
 * following any symlink; the file must be a regular file. Returns the fd (O_CLOEXEC), or -1 with
 * error: G_IO_ERROR_INVALID_ARGUMENT (a bad path), G_IO_ERROR_NOT_FOUND (anything else).
 * Blocking: store or archive thread. */
int hn_archive_open(const char *root, const char *dir, const char *name, GError **error);
/* The SHA-256 of what fd reads from its start, hex. transfer full; NULL on a read error. */
char *hn_archive_sha256_fd(int fd);
/* The Content-Type the portal serves name with, by its extension ("video/webm", ...);
 * *attachment is set when it must only be downloaded (HTML, unknown kinds). transfer none. */
const char *hn_archive_content_type(const char *name, gboolean *attachment);

G_END_DECLS

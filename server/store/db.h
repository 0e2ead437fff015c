/* The embedded store's database: one SQLite file (<data-dir>/hoinghi.db) in WAL mode, its schema
 * applied by versioned migrations kept in this code (PRAGMA user_version), and the synchronous
 * queries on it. Used by the store thread (store/store.h) in the server and directly by the
 * command-line tools (app/cli.c), which run in their own process: nothing on a media thread ever
 * calls these functions.
 *
 * A database written by a newer hoinghi (user_version above HN_DB_SCHEMA_VERSION), a file that
 * is not a SQLite database, or one whose pages are damaged (PRAGMA quick_check at open) is
 * refused with an error saying so. Errors: GError in HN_DB_ERROR.
 * Thread: one HnDb is used by one thread at a time. */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define HN_DB_ERROR          (hn_db_error_quark())
#define HN_DB_FILE           "hoinghi.db"
#define HN_DB_SCHEMA_VERSION 7
#define HN_DB_NAME_MAX       64 /* user name: 1-64 chars [a-z0-9_.-] */
#define HN_DB_LABEL_MAX      64 /* api key label, same characters */

typedef enum {
    HN_DB_ERROR_OPEN,      /* cannot open or not a database */
    HN_DB_ERROR_NEWER,     /* schema newer than this binary knows */
    HN_DB_ERROR_SQL,       /* a statement failed */
    HN_DB_ERROR_EXISTS,    /* the name or label is taken */
    HN_DB_ERROR_NOT_FOUND, /* no such user or key */
    HN_DB_ERROR_CORRUPT    /* a database whose pages are damaged (PRAGMA quick_check) */
} HnDbError;

typedef struct HnDb HnDb;

GQuark hn_db_error_quark(void);

/* Opens (creating it when missing) the database at path and migrates it to
 * HN_DB_SCHEMA_VERSION. transfer full; NULL + error. */
HnDb *hn_db_open(const char *path, GError **error);
/* Same, migrating only up to version target (tests build "old" databases with it). */
HnDb *hn_db_open_at(const char *path, int target, GError **error);
/* NULL ok. */
void hn_db_close(HnDb *db);
/* PRAGMA user_version. */
int hn_db_schema_version(HnDb *db);
/* The sqlite3* handle (for tests). transfer none. */
void *hn_db_handle(HnDb *db);

/* ---- accounts ---- */

/* The role of an account (docs/security.md). */
typedef enum {
    HN_USER_MEMBER,
    HN_USER_CHAIR,
    HN_USER_SECRETARY,
    HN_USER_CLERK,
    HN_USER_ADMIN,
} HnUserRole;

/* "member", "chair", ... transfer none. */
const char *hn_user_role_name(HnUserRole r);
/* The role called name, FALSE when unknown. */
gboolean hn_user_role_parse(const char *name, HnUserRole *out);
/* TRUE when name is a valid account name or API key label. */
gboolean hn_db_name_valid(const char *name);

typedef struct {
    char *name, *display_name;
    HnUserRole role;
    gint64 created; /* unix seconds */
} HnDbUser;

void hn_db_user_clear(HnDbUser *u);

/* Adds an account; the password is hashed with argon2id here. FALSE + error (EXISTS). */
gboolean hn_db_user_add(HnDb *db, const char *name, const char *display_name, HnUserRole role,
                        const char *password, GError **error);
/* Sets a new password. FALSE + error (NOT_FOUND). */
gboolean hn_db_user_passwd(HnDb *db, const char *name, const char *password, GError **error);
/* Deletes an account. FALSE + error (NOT_FOUND). */
gboolean hn_db_user_del(HnDb *db, const char *name, GError **error);
/* Every account, by name: GArray of HnDbUser (clear func set). transfer full; NULL + error. */
GArray *hn_db_user_list(HnDb *db, GError **error);
/* Checks name's password (argon2id, slow on purpose): TRUE and *out filled (clear with
 * hn_db_user_clear) when it matches; FALSE without error when the name or password is wrong. */
gboolean hn_db_user_verify(HnDb *db, const char *name, const char *password, HnDbUser *out,
                           GError **error);

/* ---- API keys ---- */

/* Creates a key labelled label: returns the key text (transfer full, shown once; only its
 * SHA-256 is stored). NULL + error (EXISTS). */
char *hn_db_apikey_add(HnDb *db, const char *label, GError **error);
/* Deletes the key labelled label. FALSE + error (NOT_FOUND). */
gboolean hn_db_apikey_del(HnDb *db, const char *label, GError **error);
/* Labels and creation times: GPtrArray of "label\tcreated" strings. transfer full. */
GPtrArray *hn_db_apikey_list(HnDb *db, GError **error);
/* The label of the key whose text is key (transfer full), NULL when none matches. */
char *hn_db_apikey_check(HnDb *db, const char *key);

/* ---- audit (append-only: triggers refuse UPDATE and DELETE) ---- */

/* Appends one row; now_s: unix seconds. actor, action required; room, detail may be NULL. */
gboolean hn_db_audit(HnDb *db, gint64 now_s, const char *actor, const char *action,
                     const char *room, const char *detail, GError **error);

G_END_DECLS

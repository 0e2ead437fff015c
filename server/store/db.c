/* The store's SQLite database: open, migrate, and the queries of accounts, keys and audit. */
#include "store/db.h"

#include <argon2.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/random.h>

G_DEFINE_QUARK(hn - db - error - quark, hn_db_error)

#define ARGON2_T    2
#define ARGON2_M    19456 /* KiB (OWASP's argon2id minimum) */
#define ARGON2_P    1
#define ARGON2_SALT 16
#define ARGON2_HASH 32
#define KEY_BYTES   32
#define BUSY_MS     5000

struct HnDb {
    sqlite3 *db;
};

/* The schema, one step per version: step i takes user_version i to i + 1, in one transaction.
 * Never edit a released step: add a new one. */
static const char *const migrations[HN_DB_SCHEMA_VERSION] = {
    /* 1: accounts and API keys */
    "CREATE TABLE users ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " display_name TEXT NOT NULL,"
    " hash TEXT NOT NULL,"
    " role TEXT NOT NULL CHECK (role IN ('member','chair','secretary','clerk','admin')),"
    " created INTEGER NOT NULL);"
    "CREATE TABLE api_keys ("
    " id INTEGER PRIMARY KEY,"
    " label TEXT NOT NULL UNIQUE,"
    " key_sha256 TEXT NOT NULL UNIQUE,"
    " created INTEGER NOT NULL);",
    /* 2: the audit log, append-only */
    "CREATE TABLE audit ("
    " id INTEGER PRIMARY KEY,"
    " time INTEGER NOT NULL,"
    " actor TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " room TEXT,"
    " detail TEXT);"
    "CREATE INDEX audit_time ON audit (time);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    /* 3: rooms and meetings made through the API, chat, votes. A secret ballot keeps who voted
     * (once only) but not what: its option is NULL and only votes.tally counts it. */
    "CREATE TABLE rooms ("
    " name TEXT PRIMARY KEY,"
    " title TEXT,"
    " access TEXT CHECK (access IN ('open','pin','token','token-or-pin')),"
    " pin TEXT,"
    " lobby INTEGER NOT NULL DEFAULT 0,"
    " max_participants INTEGER,"
    " last_n INTEGER,"
    " created INTEGER NOT NULL,"
    " updated INTEGER NOT NULL);"
    "CREATE TABLE meetings ("
    " id INTEGER PRIMARY KEY,"
    " room TEXT NOT NULL,"
    " title TEXT NOT NULL,"
    " starts INTEGER NOT NULL,"
    " ends INTEGER,"
    " chair TEXT,"
    " secretary TEXT,"
    " state TEXT NOT NULL DEFAULT 'scheduled' CHECK (state IN ('scheduled','live','ended')),"
    " created INTEGER NOT NULL,"
    " started INTEGER,"
    " ended INTEGER);"
    "CREATE INDEX meetings_room ON meetings (room, starts);"
    "CREATE TABLE meeting_sites ("
    " meeting INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,"
    " site TEXT NOT NULL,"
    " PRIMARY KEY (meeting, site));"
    "CREATE TABLE chat ("
    " id INTEGER PRIMARY KEY,"
    " room TEXT NOT NULL,"
    " meeting INTEGER,"
    " time INTEGER NOT NULL,"
    " sender TEXT NOT NULL,"
    " sender_id TEXT,"
    " sender_sub TEXT,"
    " recipient TEXT,"
    " text TEXT NOT NULL);"
    "CREATE INDEX chat_room ON chat (room, time);"
    "CREATE TABLE votes ("
    " id INTEGER PRIMARY KEY,"
    " room TEXT NOT NULL,"
    " meeting INTEGER,"
    " question TEXT NOT NULL,"
    " options TEXT NOT NULL,"
    " secret INTEGER NOT NULL DEFAULT 0,"
    " opened INTEGER NOT NULL,"
    " closed INTEGER,"
    " opened_by TEXT NOT NULL,"
    " tally TEXT NOT NULL DEFAULT '[]');"
    "CREATE TABLE ballots ("
    " vote INTEGER NOT NULL REFERENCES votes (id),"
    " voter TEXT NOT NULL,"
    " voter_name TEXT,"
    " option INTEGER,"
    " time INTEGER NOT NULL,"
    " PRIMARY KEY (vote, voter));",
    /* 4: the meeting event log (app/hub_meeting.c): everything that happens in a meeting, in
     * order; times in ms. meetings.end_reason: chair, empty, interrupted. */
    "CREATE TABLE events ("
    " id INTEGER PRIMARY KEY,"
    " meeting INTEGER,"
    " room TEXT NOT NULL,"
    " time INTEGER NOT NULL,"
    " type TEXT NOT NULL,"
    " actor TEXT,"
    " participant TEXT,"
    " data TEXT NOT NULL DEFAULT '{}');"
    "CREATE INDEX events_meeting ON events (meeting, id);"
    "ALTER TABLE meetings ADD COLUMN end_reason TEXT;",
    /* 5: the archive's catalogue (store/db_archive.h): meetings found in <data-dir>/archive
     * (their manifest kept whole), who took part, and their files with SHA-256. *_fold columns
     * hold the text lower-cased and without Vietnamese diacritics, for search. */
    "CREATE TABLE archive_meetings ("
    " id INTEGER PRIMARY KEY,"
    " room TEXT NOT NULL,"
    " room_fold TEXT NOT NULL,"
    " title TEXT,"
    " title_fold TEXT,"
    " started INTEGER NOT NULL,"
    " ended INTEGER,"
    " state TEXT NOT NULL,"
    " interrupted INTEGER NOT NULL DEFAULT 0,"
    " dir TEXT NOT NULL,"
    " manifest TEXT NOT NULL,"
    " indexed INTEGER NOT NULL,"
    " removed INTEGER);"
    "CREATE INDEX archive_meetings_started ON archive_meetings (started);"
    "CREATE TABLE archive_participants ("
    " meeting INTEGER NOT NULL REFERENCES archive_meetings (id) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " name_fold TEXT NOT NULL,"
    " role TEXT,"
    " joined INTEGER,"
    " left INTEGER);"
    "CREATE INDEX archive_participants_meeting ON archive_participants (meeting);"
    "CREATE TABLE archive_files ("
    " meeting INTEGER NOT NULL REFERENCES archive_meetings (id) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " bytes INTEGER NOT NULL,"
    " sha256 TEXT,"
    " removed INTEGER,"
    " PRIMARY KEY (meeting, name));"
    "ALTER TABLE rooms ADD COLUMN retention_days INTEGER;",
    /* 6 (minutes): a meeting's details for its minutes (summary, place), agenda items and invited
     * people; the secretary's notes and absence reasons; the minutes' versions (draft, approved,
     * signed), each kept (docs/minutes.md). */
    "CREATE TABLE meeting_details ("
    " meeting INTEGER PRIMARY KEY REFERENCES meetings (id) ON DELETE CASCADE,"
    " summary TEXT,"
    " place TEXT);"
    "CREATE TABLE meeting_agenda ("
    " meeting INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,"
    " n INTEGER NOT NULL,"
    " title TEXT NOT NULL,"
    " PRIMARY KEY (meeting, n));"
    "CREATE TABLE meeting_invited ("
    " meeting INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,"
    " n INTEGER NOT NULL,"
    " name TEXT NOT NULL,"
    " site TEXT,"
    " PRIMARY KEY (meeting, n));"
    "CREATE TABLE minutes_notes ("
    " id INTEGER PRIMARY KEY,"
    " meeting INTEGER NOT NULL,"
    " item INTEGER NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('opinion','conclusion','decision')),"
    " who TEXT,"
    " text TEXT NOT NULL,"
    " time INTEGER NOT NULL,"
    " author TEXT NOT NULL);"
    "CREATE INDEX minutes_notes_meeting ON minutes_notes (meeting, id);"
    "CREATE TABLE minutes_absent ("
    " meeting INTEGER NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('site','person')),"
    " name TEXT NOT NULL,"
    " reason TEXT NOT NULL,"
    " time INTEGER NOT NULL,"
    " author TEXT NOT NULL,"
    " PRIMARY KEY (meeting, kind, name));"
    "CREATE TABLE minutes ("
    " meeting INTEGER NOT NULL,"
    " version INTEGER NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('draft','approved','signed')),"
    " json TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " author TEXT,"
    " approved INTEGER,"
    " approved_by TEXT,"
    " PRIMARY KEY (meeting, version));",
    /* 7: hook endpoints and the durable outbox (store/db_hooks.h); confidential rooms and
     * meetings send no hook */
    "CREATE TABLE webhooks ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " kind TEXT NOT NULL DEFAULT 'webhook'"
    "  CHECK (kind IN ('webhook','eoffice-upload','eoffice-edxml')),"
    " source TEXT NOT NULL CHECK (source IN ('config','api')),"
    " url TEXT NOT NULL,"
    " secret TEXT,"
    " events TEXT NOT NULL DEFAULT '*',"
    " enabled INTEGER NOT NULL DEFAULT 1,"
    " disabled_reason TEXT,"
    " created INTEGER NOT NULL,"
    " updated INTEGER NOT NULL);"
    "CREATE TABLE outbox ("
    " id INTEGER PRIMARY KEY,"
    " endpoint INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,"
    " event INTEGER,"
    " meeting INTEGER NOT NULL DEFAULT 0,"
    " type TEXT NOT NULL,"
    " msg_id TEXT NOT NULL UNIQUE,"
    " body TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL,"
    " since_ms INTEGER NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'pending'"
    "  CHECK (state IN ('pending','inflight','delivered','dead')),"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_ms INTEGER NOT NULL,"
    " last_ms INTEGER,"
    " last_status INTEGER,"
    " last_error TEXT,"
    " delivered_ms INTEGER,"
    " result TEXT);"
    "CREATE INDEX outbox_open ON outbox (endpoint, meeting, id)"
    " WHERE state IN ('pending','inflight');"
    "CREATE INDEX outbox_endpoint ON outbox (endpoint, state, id);"
    "ALTER TABLE rooms ADD COLUMN confidential INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE meetings ADD COLUMN confidential INTEGER NOT NULL DEFAULT 0;",
};

static gboolean sql_error(HnDb *db, GError **error, const char *what)
{
    g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_SQL, "%s: %s", what, sqlite3_errmsg(db->db));
    return FALSE;
}

static gboolean exec(HnDb *db, const char *sql, GError **error)
{
    char *msg = NULL;
    if (sqlite3_exec(db->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_SQL, "%s", msg ? msg : "unknown error");
        sqlite3_free(msg);
        return FALSE;
    }
    return TRUE;
}

int hn_db_schema_version(HnDb *db)
{
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(db->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static gboolean migrate(HnDb *db, const char *path, int target, GError **error)
{
    int v = hn_db_schema_version(db);
    if (v < 0) {
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_OPEN, "%s: not a hoinghi database (%s)", path,
                    sqlite3_errmsg(db->db));
        return FALSE;
    }
    if (v > HN_DB_SCHEMA_VERSION) {
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_NEWER,
                    "%s: schema version %d is newer than this hoinghi knows (%d): it was "
                    "written by a newer release; run that release or restore a backup",
                    path, v, HN_DB_SCHEMA_VERSION);
        return FALSE;
    }
    for (; v < target; v++) {
        g_autofree char *sql = g_strdup_printf(
            "BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;", migrations[v], v + 1);
        if (!exec(db, sql, error)) {
            sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
            g_prefix_error(error, "%s: migration to schema version %d: ", path, v + 1);
            return FALSE;
        }
        if (v > 0 || target > 1)
            g_info("store: %s migrated to schema version %d", path, v + 1);
    }
    return TRUE;
}

/* PRAGMA quick_check: a file whose pages are damaged (a disk error, a copy cut short) is
 * refused at open instead of failing later, row by row. O(pages), without the index checks of
 * integrity_check: a fraction of a second for a year of audit rows. */
static gboolean check_intact(HnDb *db, const char *path, GError **error)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->db, "PRAGMA quick_check(1)", -1, &st, NULL);
    const char *first = NULL;
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        first = (const char *)sqlite3_column_text(st, 0);
    gboolean ok = first && strcmp(first, "ok") == 0;
    if (!ok) {
        g_autofree char *why = g_strdup(first ? first : sqlite3_errmsg(db->db));
        g_strdelimit(why, "\r\n", ' ');
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_CORRUPT,
                    "%s: the database is damaged (%s); restore it from a backup, or move it "
                    "away to start with an empty one",
                    path, why);
    }
    sqlite3_finalize(st);
    return ok;
}

HnDb *hn_db_open_at(const char *path, int target, GError **error)
{
    g_return_val_if_fail(target >= 0 && target <= HN_DB_SCHEMA_VERSION, NULL);
    HnDb *db = g_new0(HnDb, 1);
    if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_OPEN, "%s: %s", path,
                    db->db ? sqlite3_errmsg(db->db) : "out of memory");
        hn_db_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db->db, BUSY_MS);
    GError *e = NULL;
    /* WAL: readers (sqlite3, backups) never block the writer; synchronous=NORMAL keeps every
     * committed transaction across a crash of the process (kill -9). */
    if (!exec(db,
              "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
              " PRAGMA foreign_keys = ON;",
              &e)) {
        if ((sqlite3_errcode(db->db) & 0xff) == SQLITE_CORRUPT) /* its schema pages */
            g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_CORRUPT,
                        "%s: the database is damaged (%s); restore it from a backup, or move it "
                        "away to start with an empty one",
                        path, e->message);
        else
            g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_OPEN, "%s: not a usable database: %s", path,
                        e->message);
        g_error_free(e);
        hn_db_close(db);
        return NULL;
    }
    if (!check_intact(db, path, error) || !migrate(db, path, target, error)) {
        hn_db_close(db);
        return NULL;
    }
    return db;
}

HnDb *hn_db_open(const char *path, GError **error)
{
    return hn_db_open_at(path, HN_DB_SCHEMA_VERSION, error);
}

void hn_db_close(HnDb *db)
{
    if (!db)
        return;
    sqlite3_close_v2(db->db);
    g_free(db);
}

void *hn_db_handle(HnDb *db)
{
    return db->db;
}

/* ---- accounts ---- */

static const char *const role_names[] = {"member", "chair", "secretary", "clerk", "admin"};

const char *hn_user_role_name(HnUserRole r)
{
    return (guint)r < G_N_ELEMENTS(role_names) ? role_names[r] : "unknown";
}

gboolean hn_user_role_parse(const char *name, HnUserRole *out)
{
    for (guint i = 0; name && i < G_N_ELEMENTS(role_names); i++) {
        if (strcmp(name, role_names[i]) == 0) {
            *out = (HnUserRole)i;
            return TRUE;
        }
    }
    return FALSE;
}

gboolean hn_db_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n < 1 || n > HN_DB_NAME_MAX)
        return FALSE;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!(g_ascii_islower(c) || g_ascii_isdigit(c) || c == '_' || c == '.' || c == '-'))
            return FALSE;
    }
    return TRUE;
}

void hn_db_user_clear(HnDbUser *u)
{
    g_free(u->name);
    g_free(u->display_name);
    memset(u, 0, sizeof *u);
}

static gboolean random_bytes(guint8 *buf, size_t n, GError **error)
{
    if (getrandom(buf, n, 0) != (ssize_t)n) {
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_SQL, "no randomness from the kernel");
        return FALSE;
    }
    return TRUE;
}

static char *hash_password(const char *password, GError **error)
{
    guint8 salt[ARGON2_SALT];
    if (!random_bytes(salt, sizeof salt, error))
        return NULL;
    size_t len =
        argon2_encodedlen(ARGON2_T, ARGON2_M, ARGON2_P, ARGON2_SALT, ARGON2_HASH, Argon2_id);
    char *enc = g_malloc0(len);
    int rc = argon2id_hash_encoded(ARGON2_T, ARGON2_M, ARGON2_P, password, strlen(password), salt,
                                   sizeof salt, ARGON2_HASH, enc, len);
    if (rc != ARGON2_OK) {
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_SQL, "argon2id: %s", argon2_error_message(rc));
        g_free(enc);
        return NULL;
    }
    return enc;
}

/* Runs one statement with text parameters (NULL: SQL NULL); returns the changes made or -1. */
static int run(HnDb *db, const char *sql, GError **error, int n, ...)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sql_error(db, error, "prepare");
        return -1;
    }
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        const char *v = va_arg(ap, const char *);
        sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT);
    }
    va_end(ap);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT) {
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_EXISTS, "already exists");
        return -1;
    }
    if (rc != SQLITE_DONE) {
        sql_error(db, error, "write");
        return -1;
    }
    return sqlite3_changes(db->db);
}

static char *now_text(void)
{
    return g_strdup_printf("%" G_GINT64_FORMAT, g_get_real_time() / G_USEC_PER_SEC);
}

gboolean hn_db_user_add(HnDb *db, const char *name, const char *display_name, HnUserRole role,
                        const char *password, GError **error)
{
    g_autofree char *hash = hash_password(password, error);
    if (!hash)
        return FALSE;
    g_autofree char *now = now_text();
    int rc = run(db,
                 "INSERT INTO users (name, display_name, hash, role, created)"
                 " VALUES (?, ?, ?, ?, CAST(? AS INTEGER))",
                 error, 5, name, display_name, hash, hn_user_role_name(role), now);
    if (rc < 0)
        g_prefix_error(error, "user %s: ", name);
    return rc > 0;
}

static gboolean changed_one(int rc, const char *what, const char *name, GError **error)
{
    if (rc == 0)
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_NOT_FOUND, "no %s called %s", what, name);
    return rc > 0;
}

gboolean hn_db_user_passwd(HnDb *db, const char *name, const char *password, GError **error)
{
    g_autofree char *hash = hash_password(password, error);
    if (!hash)
        return FALSE;
    int rc = run(db, "UPDATE users SET hash = ? WHERE name = ?", error, 2, hash, name);
    return rc >= 0 && changed_one(rc, "user", name, error);
}

gboolean hn_db_user_del(HnDb *db, const char *name, GError **error)
{
    int rc = run(db, "DELETE FROM users WHERE name = ?", error, 1, name);
    return rc >= 0 && changed_one(rc, "user", name, error);
}

static void user_from_row(sqlite3_stmt *st, HnDbUser *u)
{
    u->name = g_strdup((const char *)sqlite3_column_text(st, 0));
    u->display_name = g_strdup((const char *)sqlite3_column_text(st, 1));
    if (!hn_user_role_parse((const char *)sqlite3_column_text(st, 2), &u->role))
        u->role = HN_USER_MEMBER;
    u->created = sqlite3_column_int64(st, 3);
}

GArray *hn_db_user_list(HnDb *db, GError **error)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->db,
                           "SELECT name, display_name, role, created FROM users ORDER BY name", -1,
                           &st, NULL) != SQLITE_OK) {
        sql_error(db, error, "list users");
        return NULL;
    }
    GArray *out = g_array_new(FALSE, TRUE, sizeof(HnDbUser));
    g_array_set_clear_func(out, (GDestroyNotify)hn_db_user_clear);
    while (sqlite3_step(st) == SQLITE_ROW) {
        HnDbUser u = {0};
        user_from_row(st, &u);
        g_array_append_val(out, u);
    }
    sqlite3_finalize(st);
    return out;
}

gboolean hn_db_user_verify(HnDb *db, const char *name, const char *password, HnDbUser *out,
                           GError **error)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->db,
                           "SELECT name, display_name, role, created, hash FROM users"
                           " WHERE name = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_error(db, error, "find user");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    gboolean ok = FALSE;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *hash = (const char *)sqlite3_column_text(st, 4);
        if (hash && argon2id_verify(hash, password, strlen(password)) == ARGON2_OK) {
            user_from_row(st, out);
            ok = TRUE;
        }
    } else {
        /* the same work for an unknown name, so timing does not tell which names exist */
        g_free(hash_password(password, NULL));
    }
    sqlite3_finalize(st);
    return ok;
}

/* ---- API keys ---- */

static char *sha256_hex(const char *text)
{
    return g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
}

char *hn_db_apikey_add(HnDb *db, const char *label, GError **error)
{
    guint8 raw[KEY_BYTES];
    if (!random_bytes(raw, sizeof raw, error))
        return NULL;
    g_autofree char *b64 = g_base64_encode(raw, sizeof raw);
    for (char *p = b64; *p; p++) /* base64url, no padding */
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    char *eq = strchr(b64, '=');
    if (eq)
        *eq = '\0';
    char *key = g_strconcat("hnk_", b64, NULL);
    g_autofree char *hash = sha256_hex(key);
    g_autofree char *now = now_text();
    int rc = run(db,
                 "INSERT INTO api_keys (label, key_sha256, created)"
                 " VALUES (?, ?, CAST(? AS INTEGER))",
                 error, 3, label, hash, now);
    if (rc <= 0) {
        g_prefix_error(error, "api key %s: ", label);
        g_free(key);
        return NULL;
    }
    return key;
}

gboolean hn_db_apikey_del(HnDb *db, const char *label, GError **error)
{
    int rc = run(db, "DELETE FROM api_keys WHERE label = ?", error, 1, label);
    return rc >= 0 && changed_one(rc, "api key", label, error);
}

GPtrArray *hn_db_apikey_list(HnDb *db, GError **error)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->db, "SELECT label, created FROM api_keys ORDER BY label", -1, &st,
                           NULL) != SQLITE_OK) {
        sql_error(db, error, "list keys");
        return NULL;
    }
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    while (sqlite3_step(st) == SQLITE_ROW)
        g_ptr_array_add(out, g_strdup_printf("%s\t%" G_GINT64_FORMAT, sqlite3_column_text(st, 0),
                                             (gint64)sqlite3_column_int64(st, 1)));
    sqlite3_finalize(st);
    return out;
}

char *hn_db_apikey_check(HnDb *db, const char *key)
{
    if (!key || !g_str_has_prefix(key, "hnk_") || strlen(key) > 128)
        return NULL;
    g_autofree char *hash = sha256_hex(key);
    sqlite3_stmt *st = NULL;
    char *label = NULL;
    if (sqlite3_prepare_v2(db->db, "SELECT label FROM api_keys WHERE key_sha256 = ?", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW)
            label = g_strdup((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return label;
}

/* ---- audit ---- */

gboolean hn_db_audit(HnDb *db, gint64 now_s, const char *actor, const char *action,
                     const char *room, const char *detail, GError **error)
{
    g_autofree char *t = g_strdup_printf("%" G_GINT64_FORMAT, now_s);
    return run(db,
               "INSERT INTO audit (time, actor, action, room, detail)"
               " VALUES (CAST(? AS INTEGER), ?, ?, ?, ?)",
               error, 5, t, actor, action, room, detail) > 0;
}

/* The archive's index, retention and safe file access (record/archive_index.h). */
#include "record/archive_index.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SWEEP_PERIOD_S (24 * 3600)
#define PATH_DEPTH_MAX 8

/* A thread of the archive with its own GMainContext, fed through a mailbox (so ThreadSanitizer
 * sees every hand-over: transport/mailbox.h). Lane 0 scans, indexes and removes; lane 1 hashes
 * for verification, so that a long verification never delays indexing. */
typedef struct {
    GMainContext *ctx;
    GMainLoop *loop;
    HnMailbox *mb;
    GThread *thread;
} Lane;

#define LANES 2
#define STATS 6

struct HnArchive {
    gint ref;    /* atomic: the archive, its jobs and its store queries */
    gint closed; /* atomic: hn_archive_free began */
    char *root;
    HnStore *store;
    HnMailbox *home;
    Lane lanes[LANES];
    guint sweep_timer;
    HnArchiveRetentionFn retention;
    gpointer retention_user;
    gint stats[STATS]; /* atomics, in the order of HnArchiveStats */
};

static HnArchive *archive_ref(HnArchive *a)
{
    g_atomic_int_inc(&a->ref);
    return a;
}

static void archive_unref(HnArchive *a)
{
    if (!g_atomic_int_dec_and_test(&a->ref))
        return;
    g_free(a->root);
    g_free(a);
}

enum { ST_INDEXED, ST_BAD, ST_MEETINGS_REMOVED, ST_FILES_REMOVED, ST_VERIFIED, ST_MISMATCH };
#define STAT_ADD(a, field, n) g_atomic_int_add(&(a)->stats[field], (gint)(n))

/* ---- pure helpers ---- */

gboolean hn_archive_path_valid(const char *rel)
{
    if (!rel || !*rel || strlen(rel) > 1024)
        return FALSE;
    g_auto(GStrv) parts = g_strsplit(rel, "/", PATH_DEPTH_MAX + 1);
    guint n = g_strv_length(parts);
    if (n > PATH_DEPTH_MAX)
        return FALSE;
    for (guint i = 0; i < n; i++) {
        const char *p = parts[i];
        size_t len = strlen(p);
        if (len == 0 || len > 255 || strcmp(p, ".") == 0 || strcmp(p, "..") == 0)
            return FALSE;
        for (size_t k = 0; k < len; k++) {
            if (!g_ascii_isalnum(p[k]) && !strchr("._-", p[k]))
                return FALSE;
        }
    }
    return TRUE;
}

const char *hn_archive_content_type(const char *name, gboolean *attachment)
{
    static const struct {
        const char *ext, *type;
        gboolean attachment;
    } types[] = {
        {".webm", "video/webm", FALSE},
        {".mp4", "video/mp4", FALSE},
        {".mkv", "video/x-matroska", FALSE},
        {".json", "application/json", FALSE},
        {".pdf", "application/pdf", FALSE},
        {".html", "text/html; charset=utf-8", TRUE}, /* never rendered on our origin */
        {".p7s", "application/pkcs7-signature", TRUE},
        {".hnr", "application/octet-stream", TRUE},
    };
    for (size_t i = 0; name && i < G_N_ELEMENTS(types); i++) {
        if (g_str_has_suffix(name, types[i].ext)) {
            *attachment = types[i].attachment;
            return types[i].type;
        }
    }
    *attachment = TRUE;
    return "application/octet-stream";
}

/* Opens the directory root/dir/<every component of name but the last> without following
 * symlinks; *base gets the last component of name. -1 + error. */
static int open_parent(const char *root, const char *dir, const char *name, const char **base,
                       GError **error)
{
    if (!hn_archive_path_valid(dir) || !hn_archive_path_valid(name)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "not a valid archive path");
        return -1;
    }
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no archive: %s", g_strerror(errno));
        return -1;
    }
    g_autofree char *rel = g_strconcat(dir, "/", name, NULL);
    g_auto(GStrv) parts = g_strsplit(rel, "/", -1);
    guint n = g_strv_length(parts);
    for (guint i = 0; i + 1 < n; i++) {
        int next = openat(fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        if (next < 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s", g_strerror(errno));
            return -1;
        }
        fd = next;
    }
    *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    return fd;
}

int hn_archive_open(const char *root, const char *dir, const char *name, GError **error)
{
    const char *base = NULL;
    int dfd = open_parent(root, dir, name, &base, error);
    if (dfd < 0)
        return -1;
    int fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    int err = errno;
    close(dfd);
    struct stat sb;
    if (fd >= 0 && (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))) {
        close(fd);
        fd = -1;
        err = EISDIR;
    }
    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s", g_strerror(err));
        return -1;
    }
    /* O_NONBLOCK only kept a FIFO from blocking the open */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

char *hn_archive_sha256_fd(int fd)
{
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 *buf = g_malloc(256 * 1024);
    off_t off = 0;
    gboolean ok = TRUE;
    for (;;) {
        ssize_t n = pread(fd, buf, 256 * 1024, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            ok = FALSE;
        if (n <= 0)
            break;
        g_checksum_update(c, buf, (gssize)n);
        off += n;
    }
    g_free(buf);
    char *hex = ok ? g_strdup(g_checksum_get_string(c)) : NULL;
    g_checksum_free(c);
    return hex;
}

const char *hn_archive_check_name(HnArchiveCheck c)
{
    static const char *const names[] = {"match", "mismatch", "missing", "unknown", "removed"};
    return (unsigned)c < G_N_ELEMENTS(names) ? names[c] : "?";
}

/* ---- manifests ---- */

static gboolean is_sha256(const char *s)
{
    if (!s || strlen(s) != 64)
        return FALSE;
    for (int i = 0; i < 64; i++) {
        if (!g_ascii_isxdigit(s[i]))
            return FALSE;
    }
    return TRUE;
}

static gint64 int_of(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (gint64)json_integer_value(v) : 0;
}

static const char *text_of(json_t *o, const char *key, size_t max)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s && *s && strlen(s) <= max ? s : NULL;
}

/* Adds a file (bytes -1: unknown) unless one of that name is listed. */
static void add_file(GArray *files, const char *name, gint64 bytes, const char *sha)
{
    for (guint i = 0; i < files->len; i++) {
        if (strcmp(g_array_index(files, HnDbArchiveFile, i).name, name) == 0)
            return;
    }
    HnDbArchiveFile f = {g_strdup(name), bytes, g_ascii_strdown(sha ? sha : "", -1), 0};
    if (!sha)
        g_clear_pointer(&f.sha256, g_free);
    g_array_append_val(files, f);
}

/* A file name of the manifest: kept when valid, else counted. */
static void listed(GArray *files, const char *name, gint64 bytes, const char *sha, guint *skipped)
{
    if (!name)
        return;
    if (!hn_archive_path_valid(name) || strcmp(name, HN_ARCHIVE_MANIFEST) == 0) {
        if (strcmp(name, HN_ARCHIVE_MANIFEST) != 0)
            (*skipped)++;
        return;
    }
    add_file(files, name, bytes, is_sha256(sha) ? sha : NULL);
}

gboolean hn_archive_manifest_parse(const char *text, gsize len, const char *dir,
                                   HnDbArchiveMeeting *out, guint *skipped, char **why)
{
    guint skip = 0;
    memset(out, 0, sizeof *out);
    if (len > HN_ARCHIVE_MANIFEST_MAX || memchr(text, '\0', len)) {
        *why = g_strdup("too large, or holds a NUL byte");
        return FALSE;
    }
    json_error_t jerr;
    json_t *j = json_loadb(text, len, 0, &jerr);
    if (!json_is_object(j)) {
        *why = j ? g_strdup("not a JSON object")
                 : g_strdup_printf("not JSON (line %d: %s)", jerr.line, jerr.text);
        json_decref(j);
        return FALSE;
    }
    gint64 version = int_of(j, "version"), id = int_of(j, "meeting");
    const char *room = text_of(j, "room", 256);
    const char *state = text_of(j, "state", 32);
    gint64 started = int_of(j, "started_ms");
    if (version != 1 || id <= 0 || !room || started <= 0) {
        *why = g_strdup("needs version 1, meeting (> 0), room and started_ms");
        json_decref(j);
        return FALSE;
    }
    out->id = id;
    out->room = g_strdup(room);
    out->title = g_strdup(text_of(j, "title", 1024));
    out->started_ms = started;
    out->ended_ms = MAX(int_of(j, "ended_ms"), 0);
    out->interrupted =
        json_is_true(json_object_get(j, "interrupted")) || g_strcmp0(state, "interrupted") == 0;
    out->state = g_strdup(state ? state : (out->ended_ms ? "complete" : "recording"));
    out->dir = g_strdup(dir);
    out->manifest = g_strndup(text, len);
    out->people = hn_db_archive_people_new();
    out->files = hn_db_archive_files_new();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(j, "participants"), i, v)
    {
        const char *name = text_of(v, "name", 256);
        if (!name) {
            skip++;
            continue;
        }
        HnDbArchivePerson p = {g_strdup(name), g_strdup(text_of(v, "role", 32)),
                               MAX(int_of(v, "joined_ms"), 0), MAX(int_of(v, "left_ms"), 0)};
        g_array_append_val(out->people, p);
    }
    json_array_foreach(json_object_get(j, "files"), i, v)
    {
        json_t *b = json_object_get(v, "bytes");
        listed(out->files, text_of(v, "name", 1024),
               json_is_integer(b) && json_integer_value(b) >= 0 ? json_integer_value(b) : -1,
               text_of(v, "sha256", 64), &skip);
    }
    listed(out->files, text_of(json_object_get(j, "composed"), "file", 1024), -1, NULL, &skip);
    json_array_foreach(json_object_get(j, "tracks"), i, v)
    {
        listed(out->files, text_of(v, "playable", 1024), -1, NULL, &skip);
        listed(out->files, text_of(v, "file", 1024), -1, NULL, &skip);
    }
    json_decref(j);
    if (skipped)
        *skipped = skip;
    return TRUE;
}

/* ---- jobs on the archive's threads ---- */

typedef enum { JOB_SCAN, JOB_INDEX, JOB_REMOVE, JOB_VERIFY } JobKind;

typedef struct {
    JobKind kind;
    HnArchive *a;           /* a ref */
    char *dir;              /* JOB_INDEX: relative */
    GArray *meetings;       /* JOB_REMOVE: HnDbArchiveMeeting with files */
    HnDbArchiveMeeting m;   /* JOB_VERIFY */
    char *only;             /* JOB_VERIFY */
    GArray *verdicts;       /* JOB_VERIFY */
    HnArchiveVerifyFn done; /* JOB_VERIFY */
    gpointer user;
    GDestroyNotify destroy;
} Job;

static void verdict_clear(gpointer p)
{
    HnArchiveVerdict *v = p;
    g_free(v->name);
    g_free(v->expected);
    g_free(v->actual);
}

static void job_free(gpointer p)
{
    Job *j = p;
    g_free(j->dir);
    if (j->meetings)
        g_array_unref(j->meetings);
    hn_db_archive_meeting_clear(&j->m);
    g_free(j->only);
    if (j->verdicts)
        g_array_unref(j->verdicts);
    if (j->destroy)
        j->destroy(j->user);
    archive_unref(j->a);
    g_free(j);
}

static Job *job_new(HnArchive *a, JobKind kind)
{
    Job *j = g_new0(Job, 1);
    j->kind = kind;
    j->a = archive_ref(a);
    return j;
}

static gboolean job_run(gpointer data);

static void push(HnArchive *a, Job *j)
{
    if (g_atomic_int_get(&a->closed)) {
        job_free(j);
        return;
    }
    hn_mailbox_post(a->lanes[j->kind == JOB_VERIFY ? 1 : 0].mb, job_run, j, job_free);
}

/* A catalogue write: the meeting, put on the store thread. */
typedef struct {
    HnArchive *a;
    HnDbArchiveMeeting m;
    char **keep; /* mark_removed */
    gint64 now;
    gboolean remove;
} Write;

static void write_free(gpointer p)
{
    Write *w = p;
    hn_db_archive_meeting_clear(&w->m);
    g_strfreev(w->keep);
    archive_unref(w->a);
    g_free(w);
}

static void write_run(HnDb *db, gpointer data)
{
    Write *w = data;
    GError *err = NULL;
    gboolean ok = w->remove ? hn_db_archive_mark_removed(db, w->m.id, w->now,
                                                         (const char *const *)w->keep, &err)
                            : hn_db_archive_put(db, &w->m, w->now, &err);
    if (!ok) {
        g_warning("archive: meeting %" G_GINT64_FORMAT " not catalogued: %s", w->m.id,
                  err->message);
        g_error_free(err);
    } else if (!w->remove) {
        STAT_ADD(w->a, ST_INDEXED, 1);
    }
}

static gboolean write_reply(gpointer data)
{
    (void)data;
    return G_SOURCE_REMOVE;
}

/* Reads a small file of the meeting fully. transfer full; NULL when it cannot. */
static char *read_small(const char *root, const char *dir, const char *name, gsize max, gsize *len,
                        char **why)
{
    GError *err = NULL;
    int fd = hn_archive_open(root, dir, name, &err);
    if (fd < 0) {
        *why = g_strdup(err->message);
        g_error_free(err);
        return NULL;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || (gsize)sb.st_size > max) {
        *why = g_strdup("too large");
        close(fd);
        return NULL;
    }
    char *buf = g_malloc((gsize)sb.st_size + 1);
    gsize got = 0;
    while (got < (gsize)sb.st_size) {
        ssize_t n = read(fd, buf + got, (gsize)sb.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (gsize)n;
    }
    close(fd);
    buf[got] = '\0';
    *len = got;
    return buf;
}

/* Files under minutes/v<N>/ that the manifest does not list, with their size and SHA-256. */
static void add_minutes(HnArchive *a, HnDbArchiveMeeting *m)
{
    g_autofree char *mdir = g_build_filename(a->root, m->dir, "minutes", NULL);
    GDir *d = g_dir_open(mdir, 0, NULL);
    const char *v;
    while (d && (v = g_dir_read_name(d))) {
        if (v[0] != 'v' || !hn_archive_path_valid(v))
            continue;
        g_autofree char *vdir = g_build_filename(mdir, v, NULL);
        GDir *vd = g_dir_open(vdir, 0, NULL);
        const char *f;
        while (vd && (f = g_dir_read_name(vd))) {
            g_autofree char *name = g_strdup_printf("minutes/%s/%s", v, f);
            if (!hn_archive_path_valid(name))
                continue;
            int fd = hn_archive_open(a->root, m->dir, name, NULL);
            if (fd < 0)
                continue;
            struct stat sb;
            g_autofree char *sha = fstat(fd, &sb) == 0 ? hn_archive_sha256_fd(fd) : NULL;
            close(fd);
            if (sha)
                add_file(m->files, name, (gint64)sb.st_size, sha);
        }
        if (vd)
            g_dir_close(vd);
    }
    if (d)
        g_dir_close(d);
}

/* Archive thread: one folder (relative) into the catalogue. */
static void index_dir(HnArchive *a, const char *dir)
{
    g_autofree char *why = NULL;
    gsize len = 0;
    g_autofree char *text = NULL;
    HnDbArchiveMeeting m = {0};
    guint skipped = 0;
    if (!hn_archive_path_valid(dir))
        why = g_strdup("not a folder of the archive");
    else
        text = read_small(a->root, dir, HN_ARCHIVE_MANIFEST, HN_ARCHIVE_MANIFEST_MAX, &len, &why);
    if (text && !hn_archive_manifest_parse(text, len, dir, &m, &skipped, &why))
        g_clear_pointer(&text, g_free);
    const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    g_autofree char *id = text ? g_strdup_printf("%" G_GINT64_FORMAT, m.id) : NULL;
    if (text && strcmp(base, id) != 0) {
        why = g_strdup_printf("the folder %s holds meeting %s", base, id);
        g_clear_pointer(&text, g_free);
    }
    if (!text) {
        STAT_ADD(a, ST_BAD, 1);
        g_warning("archive: %s/%s skipped: %s", dir, HN_ARCHIVE_MANIFEST, why);
        hn_db_archive_meeting_clear(&m);
        return;
    }
    if (skipped)
        g_warning("archive: %s/%s: %u entries with a bad name or no name skipped", dir,
                  HN_ARCHIVE_MANIFEST, skipped);
    add_minutes(a, &m);
    for (guint i = 0; i < m.files->len; i++) { /* sizes the manifest does not give */
        HnDbArchiveFile *f = &g_array_index(m.files, HnDbArchiveFile, i);
        int fd = f->bytes < 0 ? hn_archive_open(a->root, dir, f->name, NULL) : -1;
        struct stat sb;
        if (fd >= 0 && fstat(fd, &sb) == 0)
            f->bytes = (gint64)sb.st_size;
        if (fd >= 0)
            close(fd);
        f->bytes = MAX(f->bytes, 0);
    }
    Write *w = g_new0(Write, 1);
    w->a = archive_ref(a);
    w->m = m;
    w->now = g_get_real_time() / G_USEC_PER_SEC;
    hn_store_query(a->store, write_run, write_reply, a->home, w, write_free);
}

static gboolean all_digits(const char *s, size_t len)
{
    if (len && strlen(s) != len)
        return FALSE;
    for (const char *p = s; *p; p++) {
        if (!g_ascii_isdigit(*p))
            return FALSE;
    }
    return *s != '\0';
}

/* The names in root/rel matching digits of len (0: any length), sorted. */
static GPtrArray *list_digits(const char *root, const char *rel, size_t len)
{
    g_autofree char *path = rel ? g_build_filename(root, rel, NULL) : g_strdup(root);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    GDir *d = g_dir_open(path, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        if (all_digits(n, len))
            g_ptr_array_add(out, rel ? g_strconcat(rel, "/", n, NULL) : g_strdup(n));
    }
    if (d)
        g_dir_close(d);
    g_ptr_array_sort(out, (GCompareFunc)g_strcmp0);
    return out;
}

static void scan(HnArchive *a)
{
    guint n = 0;
    g_autoptr(GPtrArray) years = list_digits(a->root, NULL, 4);
    for (guint y = 0; y < years->len && !g_atomic_int_get(&a->closed); y++) {
        g_autoptr(GPtrArray) months = list_digits(a->root, years->pdata[y], 2);
        for (guint mo = 0; mo < months->len; mo++) {
            g_autoptr(GPtrArray) days = list_digits(a->root, months->pdata[mo], 2);
            for (guint d = 0; d < days->len; d++) {
                g_autoptr(GPtrArray) ids = list_digits(a->root, days->pdata[d], 0);
                for (guint i = 0; i < ids->len && !g_atomic_int_get(&a->closed); i++, n++)
                    index_dir(a, ids->pdata[i]);
            }
        }
    }
    g_message("archive: %u meeting folders found in %s", n, a->root);
    hn_archive_sweep(a);
}

/* Archive thread: removes the files of the meetings, then marks them removed. */
static void remove_files(HnArchive *a, GArray *meetings)
{
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    for (guint i = 0; i < meetings->len; i++) {
        HnDbArchiveMeeting *m = &g_array_index(meetings, HnDbArchiveMeeting, i);
        guint removed = 0;
        GHashTable *dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        for (guint k = 0; m->files && k < m->files->len; k++) {
            const HnDbArchiveFile *f = &g_array_index(m->files, HnDbArchiveFile, k);
            const char *base = NULL;
            if (f->removed || strcmp(f->name, HN_ARCHIVE_MANIFEST) == 0)
                continue;
            int dfd = open_parent(a->root, m->dir, f->name, &base, NULL);
            if (dfd < 0)
                continue;
            if (unlinkat(dfd, base, 0) == 0)
                removed++;
            else if (errno != ENOENT)
                g_warning("archive: cannot remove %s/%s: %s", m->dir, f->name, g_strerror(errno));
            close(dfd);
            if (base != f->name)
                g_hash_table_add(dirs, g_strndup(f->name, (gsize)(base - 1 - f->name)));
        }
        /* folders left empty (tracks, minutes/v1, minutes): deepest first */
        GList *list = g_list_sort(g_hash_table_get_keys(dirs), (GCompareFunc)g_strcmp0);
        for (GList *l = g_list_last(list); l; l = l->prev) {
            for (char *d = g_strdup(l->data); d;) {
                g_autofree char *p = g_build_filename(a->root, m->dir, d, NULL);
                g_rmdir(p); /* fails, as it should, when not empty */
                char *slash = strrchr(d, '/');
                if (slash)
                    *slash = '\0';
                else
                    g_clear_pointer(&d, g_free);
            }
        }
        g_list_free(list);
        g_hash_table_destroy(dirs);
        g_message("archive: meeting %" G_GINT64_FORMAT " (room %s) is past its retention: %u"
                  " files removed",
                  m->id, m->room, removed);
        STAT_ADD(a, ST_MEETINGS_REMOVED, 1);
        STAT_ADD(a, ST_FILES_REMOVED, removed);
        Write *w = g_new0(Write, 1);
        w->a = archive_ref(a);
        w->m.id = m->id;
        w->now = now;
        w->remove = TRUE;
        w->keep = g_strsplit(HN_ARCHIVE_MANIFEST, ",", -1);
        hn_store_query(a->store, write_run, write_reply, a->home, w, write_free);
    }
}

static gboolean verify_reply(gpointer data)
{
    Job *j = data;
    if (j->done)
        j->done(j->verdicts, j->user);
    return G_SOURCE_REMOVE;
}

static void verify(HnArchive *a, Job *j)
{
    j->verdicts = g_array_new(FALSE, TRUE, sizeof(HnArchiveVerdict));
    g_array_set_clear_func(j->verdicts, verdict_clear);
    for (guint i = 0; j->m.files && i < j->m.files->len; i++) {
        const HnDbArchiveFile *f = &g_array_index(j->m.files, HnDbArchiveFile, i);
        if (j->only && strcmp(j->only, f->name) != 0)
            continue;
        HnArchiveVerdict v = {g_strdup(f->name), HN_ARCHIVE_MISSING, g_strdup(f->sha256), NULL};
        int fd = f->removed ? -1 : hn_archive_open(a->root, j->m.dir, f->name, NULL);
        if (f->removed)
            v.check = HN_ARCHIVE_REMOVED;
        else if (fd >= 0 && (v.actual = hn_archive_sha256_fd(fd)))
            v.check = !f->sha256                                     ? HN_ARCHIVE_UNKNOWN
                      : g_ascii_strcasecmp(f->sha256, v.actual) == 0 ? HN_ARCHIVE_MATCH
                                                                     : HN_ARCHIVE_MISMATCH;
        if (fd >= 0)
            close(fd);
        STAT_ADD(a, ST_VERIFIED, 1);
        if (v.check == HN_ARCHIVE_MISMATCH || v.check == HN_ARCHIVE_MISSING)
            STAT_ADD(a, ST_MISMATCH, 1);
        g_array_append_val(j->verdicts, v);
    }
}

/* On a lane: the job (skipped once the archive is closing), then freed by job_free. */
static gboolean job_run(gpointer data)
{
    Job *j = data;
    HnArchive *a = j->a;
    if (g_atomic_int_get(&a->closed))
        return G_SOURCE_REMOVE;
    switch (j->kind) {
    case JOB_SCAN:
        scan(a);
        break;
    case JOB_INDEX:
        index_dir(a, j->dir);
        break;
    case JOB_REMOVE:
        remove_files(a, j->meetings);
        break;
    case JOB_VERIFY: {
        verify(a, j);
        /* what the main loop needs moves to a job of its own: this one is freed here, after */
        Job *out = g_new(Job, 1);
        *out = *j;
        memset(j, 0, sizeof *j);
        j->a = archive_ref(a);
        hn_mailbox_post(a->home, verify_reply, out, job_free);
        break;
    }
    }
    return G_SOURCE_REMOVE;
}

static gpointer lane_main(gpointer data)
{
    Lane *l = data;
    g_main_context_push_thread_default(l->ctx);
    g_main_loop_run(l->loop);
    g_main_context_pop_thread_default(l->ctx);
    return NULL;
}

static gboolean lane_quit(gpointer data)
{
    g_main_loop_quit(((Lane *)data)->loop);
    return G_SOURCE_REMOVE;
}

/* ---- the sweep: the store picks the meetings, the archive thread removes their files ---- */

typedef struct {
    HnArchive *a;
    GArray *expired; /* HnDbArchiveMeeting with files */
} Sweep;

static void sweep_free(gpointer p)
{
    Sweep *s = p;
    if (s->expired)
        g_array_unref(s->expired);
    archive_unref(s->a);
    g_free(s);
}

static void sweep_run(HnDb *db, gpointer data)
{
    Sweep *s = data;
    HnArchive *a = s->a;
    if (!a->retention)
        return;
    GArray *present = hn_db_archive_present(db, NULL);
    gint64 now_ms = g_get_real_time() / 1000;
    for (guint i = 0; present && i < present->len; i++) {
        const HnDbArchiveMeeting *m = &g_array_index(present, HnDbArchiveMeeting, i);
        guint days = a->retention(db, m->room, a->retention_user);
        gint64 end = m->ended_ms ? m->ended_ms : m->started_ms;
        if (days == 0 || end + (gint64)days * 86400 * 1000 > now_ms)
            continue;
        HnDbArchiveMeeting full = {0};
        if (!hn_db_archive_get(db, m->id, &full))
            continue;
        if (!s->expired) {
            s->expired = g_array_new(FALSE, TRUE, sizeof(HnDbArchiveMeeting));
            g_array_set_clear_func(s->expired, (GDestroyNotify)hn_db_archive_meeting_clear);
        }
        g_array_append_val(s->expired, full);
    }
    if (present)
        g_array_unref(present);
}

static gboolean sweep_reply(gpointer data)
{
    Sweep *s = data;
    if (!s->expired || g_atomic_int_get(&s->a->closed))
        return G_SOURCE_REMOVE;
    Job *j = job_new(s->a, JOB_REMOVE);
    j->meetings = g_steal_pointer(&s->expired);
    push(s->a, j);
    return G_SOURCE_REMOVE;
}

void hn_archive_sweep(HnArchive *a)
{
    Sweep *s = g_new0(Sweep, 1);
    s->a = archive_ref(a);
    hn_store_query(a->store, sweep_run, sweep_reply, a->home, s, sweep_free);
}

static gboolean sweep_tick(gpointer data)
{
    hn_archive_sweep(data);
    return G_SOURCE_CONTINUE;
}

/* ---- life ---- */

HnArchive *hn_archive_new(const char *data_dir, HnStore *store, HnMailbox *home)
{
    HnArchive *a = g_new0(HnArchive, 1);
    a->ref = 1;
    a->root = g_build_filename(data_dir, "archive", NULL);
    a->store = store;
    a->home = home;
    if (g_mkdir_with_parents(a->root, 0750) != 0)
        g_warning("archive: cannot create %s: %s", a->root, g_strerror(errno));
    for (int i = 0; i < LANES; i++) {
        Lane *l = &a->lanes[i];
        l->ctx = g_main_context_new();
        l->loop = g_main_loop_new(l->ctx, FALSE);
        l->mb = hn_mailbox_new(l->ctx, NULL);
        g_assert(l->mb != NULL); /* an eventfd: the store opened one already */
        l->thread = g_thread_new(i ? "hn-archive-verify" : "hn-archive", lane_main, l);
    }
    return a;
}

void hn_archive_free(HnArchive *a)
{
    if (!a)
        return;
    g_atomic_int_set(&a->closed, 1);
    if (a->sweep_timer)
        g_source_remove(a->sweep_timer);
    for (int i = 0; i < LANES; i++) { /* posted last: what is queued is dropped by job_run */
        Lane *l = &a->lanes[i];
        hn_mailbox_post(l->mb, lane_quit, l, NULL);
        g_thread_join(l->thread);
        hn_mailbox_free(l->mb);
        g_main_loop_unref(l->loop);
        g_main_context_unref(l->ctx);
    }
    archive_unref(a);
}

void hn_archive_set_retention(HnArchive *a, HnArchiveRetentionFn fn, gpointer user)
{
    a->retention = fn;
    a->retention_user = user;
}

void hn_archive_start(HnArchive *a)
{
    push(a, job_new(a, JOB_SCAN));
    if (!a->sweep_timer)
        a->sweep_timer = g_timeout_add_seconds(SWEEP_PERIOD_S, sweep_tick, a);
}

void hn_archive_index_meeting(HnArchive *a, const char *dir)
{
    g_return_if_fail(a && dir);
    const char *rel = dir;
    size_t n = strlen(a->root);
    if (g_path_is_absolute(dir)) {
        if (strncmp(dir, a->root, n) != 0 || dir[n] != '/') {
            g_warning("archive: %s is not inside %s: not indexed", dir, a->root);
            return;
        }
        rel = dir + n + 1;
    }
    Job *j = job_new(a, JOB_INDEX);
    j->dir = g_strdup(rel);
    size_t len = strlen(j->dir);
    while (len && j->dir[len - 1] == '/')
        j->dir[--len] = '\0';
    push(a, j);
}

void hn_archive_index_minutes(HnArchive *a, const char *dir)
{
    hn_archive_index_meeting(a, dir);
}

const char *hn_archive_root(const HnArchive *a)
{
    return a->root;
}

void hn_archive_get_stats(HnArchive *a, HnArchiveStats *out)
{
    guint64 v[STATS];
    for (int i = 0; i < STATS; i++)
        v[i] = (guint64)(guint)g_atomic_int_get(&a->stats[i]);
    *out = (HnArchiveStats){v[ST_INDEXED],       v[ST_BAD],      v[ST_MEETINGS_REMOVED],
                            v[ST_FILES_REMOVED], v[ST_VERIFIED], v[ST_MISMATCH]};
}

static void copy_meeting(HnDbArchiveMeeting *dst, const HnDbArchiveMeeting *src)
{
    dst->id = src->id;
    dst->room = g_strdup(src->room);
    dst->dir = g_strdup(src->dir);
    dst->files = hn_db_archive_files_new();
    for (guint i = 0; src->files && i < src->files->len; i++) {
        const HnDbArchiveFile *f = &g_array_index(src->files, HnDbArchiveFile, i);
        HnDbArchiveFile c = {g_strdup(f->name), f->bytes, g_strdup(f->sha256), f->removed};
        g_array_append_val(dst->files, c);
    }
}

void hn_archive_verify(HnArchive *a, const HnDbArchiveMeeting *m, const char *only,
                       HnArchiveVerifyFn done, gpointer user, GDestroyNotify destroy)
{
    Job *j = job_new(a, JOB_VERIFY);
    copy_meeting(&j->m, m);
    j->only = g_strdup(only);
    j->done = done;
    j->user = user;
    j->destroy = destroy;
    push(a, j);
}

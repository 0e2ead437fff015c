/* Unit test of the archive's threads (server/record/archive_index.c) with a real store thread:
 * the start scan catalogues a folder and skips a corrupt one (counted); a minutes version added
 * later is catalogued by hn_archive_index_minutes with its SHA-256; a room past its retention
 * loses its files but keeps manifest.json and a removal time; a changed byte is a verify
 * mismatch. The main loop here is the default context, as in the server. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "record/archive_index.h"

static char *data_dir, *root;
static HnStore *store;
static HnMailbox *home;
static HnArchive *archive;

static const char manifest_fmt[] =
    "{\"version\": 1, \"meeting\": %d, \"room\": \"%s\", \"title\": \"Họp\", \"state\":"
    " \"complete\", \"started_ms\": %" G_GINT64_FORMAT ", \"ended_ms\": %" G_GINT64_FORMAT ","
    " \"participants\": [{\"name\": \"Nguyễn Văn Ánh\", \"role\": \"chair\"}],"
    " \"files\": [{\"name\": \"meeting.webm\", \"bytes\": 5, \"sha256\":"
    " \"%s\"}]}";

/* A meeting folder 2026/01/0<id % 10>/<id> with meeting.webm holding "hello". */
static char *make_folder(int id, const char *room, gint64 started_ms, gboolean corrupt)
{
    char *rel = g_strdup_printf("2026/01/0%d/%d", id % 10, id);
    g_autofree char *dir = g_build_filename(root, rel, NULL);
    g_mkdir_with_parents(dir, 0700);
    g_autofree char *media = g_build_filename(dir, "meeting.webm", NULL);
    g_file_set_contents(media, "hello", 5, NULL);
    g_autofree char *text =
        corrupt
            ? g_strdup("{\"version\": 1, \"meeting\"")
            : g_strdup_printf(manifest_fmt, id, room, started_ms, started_ms + 1000,
                              "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    g_autofree char *man = g_build_filename(dir, HN_ARCHIVE_MANIFEST, NULL);
    g_file_set_contents(man, text, -1, NULL);
    return rel;
}

static guint retention(HnDb *db, const char *room, gpointer user)
{
    return strcmp(room, "ngan") == 0 ? 30 : 0;
}

typedef struct {
    gint64 id;
    HnDbArchiveMeeting m;
    gboolean found, done;
} Look;

static void look_run(HnDb *db, gpointer data)
{
    Look *l = data;
    l->found = hn_db_archive_get(db, l->id, &l->m);
}

static gboolean look_reply(gpointer data)
{
    ((Look *)data)->done = TRUE;
    return G_SOURCE_REMOVE;
}

/* The catalogue's meeting id once pred holds for it (or after 10 s: fails). */
static void wait_for(gint64 id, gboolean (*pred)(const Look *), HnDbArchiveMeeting *out)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    for (;;) {
        Look l = {.id = id};
        hn_store_query(store, look_run, look_reply, home, &l, NULL);
        while (!l.done)
            g_main_context_iteration(NULL, TRUE);
        if (pred(&l)) {
            *out = l.m;
            return;
        }
        hn_db_archive_meeting_clear(&l.m);
        assert_true(g_get_monotonic_time() < deadline);
        g_usleep(20000);
    }
}

static gboolean present(const Look *l)
{
    return l->found;
}

static gboolean removed(const Look *l)
{
    return l->found && l->m.removed;
}

static gboolean has_minutes(const Look *l)
{
    for (guint i = 0; l->found && i < l->m.files->len; i++) {
        if (strcmp(g_array_index(l->m.files, HnDbArchiveFile, i).name, "minutes/v1/minutes.pdf") ==
            0)
            return TRUE;
    }
    return FALSE;
}

static gboolean verified;
static GArray *verdicts_seen;

static void on_verified(GArray *verdicts, gpointer user)
{
    verdicts_seen = g_array_ref(verdicts);
    verified = TRUE;
}

static void test_flow(void **state)
{
    data_dir = g_dir_make_tmp("hn-arcflow-XXXXXX", NULL);
    root = g_build_filename(data_dir, "archive", NULL);
    gint64 now = g_get_real_time() / 1000;
    g_autofree char *kept = make_folder(21, "dai", now - 86400000LL * 400, FALSE);
    g_autofree char *old = make_folder(22, "ngan", now - 86400000LL * 400, FALSE);
    g_autofree char *bad = make_folder(23, "x", now, TRUE);
    /* the default context is made before any other thread exists, as in server/main.c (GLib
     * makes it under a lock ThreadSanitizer does not see) */
    home = hn_mailbox_new(g_main_context_default(), NULL);
    store = hn_store_open(data_dir, NULL);
    assert_non_null(store);
    archive = hn_archive_new(data_dir, store, home);
    hn_archive_set_retention(archive, retention, NULL);
    hn_archive_start(archive);

    HnDbArchiveMeeting m;
    wait_for(22, removed, &m);
    g_autofree char *gone = g_build_filename(root, old, "meeting.webm", NULL);
    g_autofree char *stays = g_build_filename(root, old, HN_ARCHIVE_MANIFEST, NULL);
    assert_false(g_file_test(gone, G_FILE_TEST_EXISTS));
    assert_true(g_file_test(stays, G_FILE_TEST_EXISTS));
    hn_db_archive_meeting_clear(&m);
    wait_for(21, present, &m);
    assert_int_equal(m.removed, 0);
    hn_db_archive_meeting_clear(&m);
    HnArchiveStats st;
    hn_archive_get_stats(archive, &st);
    assert_int_equal(st.bad_manifests, 1);
    assert_int_equal(st.meetings_removed, 1);

    /* minutes appear later */
    g_autofree char *vdir = g_build_filename(root, kept, "minutes", "v1", NULL);
    g_mkdir_with_parents(vdir, 0700);
    g_autofree char *pdf = g_build_filename(vdir, "minutes.pdf", NULL);
    g_file_set_contents(pdf, "abc", 3, NULL);
    g_autofree char *abs = g_build_filename(root, kept, NULL);
    hn_archive_index_minutes(archive, abs);
    wait_for(21, has_minutes, &m);
    for (guint i = 0; i < m.files->len; i++) {
        const HnDbArchiveFile *f = &g_array_index(m.files, HnDbArchiveFile, i);
        if (strcmp(f->name, "minutes/v1/minutes.pdf") == 0)
            assert_string_equal(f->sha256,
                                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    /* a changed byte */
    g_autofree char *media = g_build_filename(root, kept, "meeting.webm", NULL);
    g_file_set_contents(media, "hellO", 5, NULL);
    hn_archive_verify(archive, &m, NULL, on_verified, NULL, NULL);
    while (!verified)
        g_main_context_iteration(NULL, TRUE);
    assert_int_equal(verdicts_seen->len, 2);
    for (guint i = 0; i < verdicts_seen->len; i++) {
        const HnArchiveVerdict *v = &g_array_index(verdicts_seen, HnArchiveVerdict, i);
        assert_int_equal(v->check, strcmp(v->name, "meeting.webm") == 0 ? HN_ARCHIVE_MISMATCH
                                                                        : HN_ARCHIVE_MATCH);
    }
    g_array_unref(verdicts_seen);
    hn_db_archive_meeting_clear(&m);

    hn_archive_free(archive);
    hn_store_close(store);
    hn_mailbox_free(home);
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", data_dir);
    assert_int_equal(system(cmd), 0);
    g_free(root);
    g_free(data_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of server/store/db_archive.c: the archive's catalogue (schema 5). Search ignores
 * case and Vietnamese diacritics, re-indexing keeps the removed times, mark_removed keeps the
 * files named to keep. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "store/db_archive.h"

static char *dir, *path;
static HnDb *db;

static int setup(void **state)
{
    dir = g_dir_make_tmp("hn-dba-XXXXXX", NULL);
    path = g_build_filename(dir, HN_DB_FILE, NULL);
    db = hn_db_open(path, NULL);
    return db ? 0 : -1;
}

static int teardown(void **state)
{
    hn_db_close(db);
    g_autofree char *wal = g_strconcat(path, "-wal", NULL);
    g_autofree char *shm = g_strconcat(path, "-shm", NULL);
    g_unlink(path);
    g_unlink(wal);
    g_unlink(shm);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
    return 0;
}

static void test_fold(void **state)
{
    g_autofree char *a = hn_db_archive_fold("Nguyễn Văn Ánh");
    assert_string_equal(a, "nguyen van anh");
    g_autofree char *b = hn_db_archive_fold("ĐẶNG Thị Đào");
    assert_string_equal(b, "dang thi dao");
    g_autofree char *c = hn_db_archive_fold(NULL);
    assert_string_equal(c, "");
}

/* Puts meeting id in room with one participant and two files. */
static void put(gint64 id, const char *room, const char *title, gint64 started, const char *who)
{
    HnDbArchiveMeeting m = {.id = id,
                            .room = g_strdup(room),
                            .title = g_strdup(title),
                            .started_ms = started,
                            .ended_ms = started + 1000,
                            .state = g_strdup("complete"),
                            .dir = g_strdup_printf("2026/12/05/%" G_GINT64_FORMAT, id),
                            .manifest = g_strdup("{}"),
                            .people = hn_db_archive_people_new(),
                            .files = hn_db_archive_files_new()};
    HnDbArchivePerson p = {g_strdup(who), g_strdup("chair"), started, 0};
    g_array_append_val(m.people, p);
    HnDbArchiveFile f1 = {g_strdup("meeting.webm"), 100, g_strdup("ab"), 0};
    HnDbArchiveFile f2 = {g_strdup("manifest.json"), 10, NULL, 0};
    g_array_append_val(m.files, f1);
    g_array_append_val(m.files, f2);
    GError *err = NULL;
    assert_true(hn_db_archive_put(db, &m, 5, &err));
    hn_db_archive_meeting_clear(&m);
}

static guint search_n(const HnDbArchiveFilter *f, gint64 *first)
{
    GArray *r = hn_db_archive_search(db, f, NULL);
    assert_non_null(r);
    guint n = r->len;
    if (n && first)
        *first = g_array_index(r, HnDbArchiveMeeting, 0).id;
    g_array_unref(r);
    return n;
}

static void test_put_search_get(void **state)
{
    put(12, "so-noi-vu", "Giao ban tháng 12", 2000, "Nguyễn Văn Ánh");
    put(13, "so-tai-chinh", "Họp quý", 3000, "Trần Thị Bình");
    put(12, "so-noi-vu", "Giao ban tháng 12", 2000, "Nguyễn Văn Ánh"); /* again: replaced */
    assert_int_equal(hn_db_archive_count(db), 2);
    HnDbArchiveFilter f = {0};
    gint64 first = 0;
    assert_int_equal(search_n(&f, &first), 2);
    assert_int_equal(first, 13); /* newest first */
    f.participant = "NGUYEN van anh";
    assert_int_equal(search_n(&f, &first), 1);
    assert_int_equal(first, 12);
    f.participant = "trần";
    assert_int_equal(search_n(&f, &first), 1);
    assert_int_equal(first, 13);
    f.participant = "100%";
    assert_int_equal(search_n(&f, NULL), 0);
    f.participant = NULL;
    f.title = "THANG";
    assert_int_equal(search_n(&f, &first), 1);
    f.title = NULL;
    f.from_ms = 2500;
    assert_int_equal(search_n(&f, &first), 1);
    assert_int_equal(first, 13);
    f.from_ms = 0;
    f.to_ms = 2500;
    f.room = "noi";
    assert_int_equal(search_n(&f, &first), 1);
    assert_int_equal(first, 12);

    HnDbArchiveMeeting m = {0};
    assert_true(hn_db_archive_get(db, 12, &m));
    assert_string_equal(m.manifest, "{}");
    assert_int_equal(m.people->len, 1);
    assert_string_equal(g_array_index(m.people, HnDbArchivePerson, 0).name, "Nguyễn Văn Ánh");
    assert_int_equal(m.files->len, 2);
    hn_db_archive_meeting_clear(&m);
    assert_false(hn_db_archive_get(db, 99, &m));
}

static void test_removed(void **state)
{
    put(20, "r", "t", 1000, "a");
    const char *keep[] = {"manifest.json", NULL};
    GError *err = NULL;
    assert_true(hn_db_archive_mark_removed(db, 20, 777, keep, &err));
    assert_false(hn_db_archive_mark_removed(db, 20, 778, keep, &err)); /* already */
    g_clear_error(&err);
    GArray *present = hn_db_archive_present(db, NULL);
    for (guint i = 0; i < present->len; i++)
        assert_int_not_equal(g_array_index(present, HnDbArchiveMeeting, i).id, 20);
    g_array_unref(present);
    put(20, "r", "t", 1000, "a"); /* re-indexed from its manifest: stays removed */
    HnDbArchiveMeeting m = {0};
    assert_true(hn_db_archive_get(db, 20, &m));
    assert_int_equal(m.removed, 777);
    for (guint i = 0; i < m.files->len; i++) {
        const HnDbArchiveFile *f = &g_array_index(m.files, HnDbArchiveFile, i);
        assert_int_equal(f->removed, strcmp(f->name, "manifest.json") == 0 ? 0 : 777);
    }
    hn_db_archive_meeting_clear(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test_setup_teardown(test_put_search_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of the pure and synchronous parts of server/record/archive_index.c: archive paths,
 * manifest validation, opening files without following symlinks, content types, SHA-256. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "record/archive_index.h"

static void test_paths(void **state)
{
    assert_true(hn_archive_path_valid("meeting.webm"));
    assert_true(hn_archive_path_valid("tracks/p1-camera-video.webm"));
    assert_true(hn_archive_path_valid("2026/12/05/12"));
    const char *bad[] = {"",
                         "/etc/passwd",
                         "../x",
                         "a/../b",
                         "a//b",
                         "a/",
                         ".",
                         "a/./b",
                         "a\\b",
                         "a%2fb",
                         "tên.webm",
                         "a b",
                         "1/2/3/4/5/6/7/8/9",
                         NULL};
    for (int i = 0; bad[i]; i++)
        assert_false(hn_archive_path_valid(bad[i]));
    assert_false(hn_archive_path_valid(NULL));
}

static const char good[] =
    "{\"version\": 1, \"meeting\": 12, \"room\": \"so-noi-vu\", \"title\": \"Giao ban\","
    " \"state\": \"complete\", \"started_ms\": 1000, \"ended_ms\": 5000,"
    " \"participants\": [{\"name\": \"Nguyễn Văn Ánh\", \"role\": \"chair\", \"joined_ms\": 1000,"
    " \"left_ms\": 4000}, {\"role\": \"x\"}],"
    " \"tracks\": [{\"file\": \"tracks/p1.hnr\", \"playable\": \"tracks/p1.webm\"}],"
    " \"composed\": {\"file\": \"meeting.webm\"},"
    " \"files\": [{\"name\": \"meeting.webm\", \"bytes\": 7, \"sha256\": "
    "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"},"
    " {\"name\": \"../../etc/passwd\", \"bytes\": 1}, {\"name\": \"manifest.json\"}]}";

static void test_manifest(void **state)
{
    HnDbArchiveMeeting m;
    guint skipped = 0;
    char *why = NULL;
    assert_true(hn_archive_manifest_parse(good, strlen(good), "2026/12/05/12", &m, &skipped, &why));
    assert_int_equal(m.id, 12);
    assert_string_equal(m.room, "so-noi-vu");
    assert_string_equal(m.dir, "2026/12/05/12");
    assert_int_equal(m.people->len, 1);
    assert_int_equal(skipped, 2); /* the nameless participant, the ../ file */
    assert_int_equal(m.files->len, 3);
    const HnDbArchiveFile *f = &g_array_index(m.files, HnDbArchiveFile, 0);
    assert_string_equal(f->name, "meeting.webm");
    assert_int_equal(f->bytes, 7);
    assert_string_equal(f->sha256,
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_string_equal(g_array_index(m.files, HnDbArchiveFile, 1).name, "tracks/p1.webm");
    assert_int_equal(g_array_index(m.files, HnDbArchiveFile, 1).bytes, -1);
    assert_null(g_array_index(m.files, HnDbArchiveFile, 2).sha256);
    hn_db_archive_meeting_clear(&m);

    const char *bad[] = {"",
                         "{",
                         "[]",
                         "{\"version\": 2, \"meeting\": 1, \"room\": \"r\"}",
                         "{\"version\": 1, \"meeting\": -1, \"room\": \"r\", \"started_ms\": 1}",
                         "{\"version\": 1, \"meeting\": 1, \"started_ms\": 1}",
                         NULL};
    for (int i = 0; bad[i]; i++) {
        assert_false(hn_archive_manifest_parse(bad[i], strlen(bad[i]), "d", &m, NULL, &why));
        assert_non_null(why);
        g_clear_pointer(&why, g_free);
    }
    char nul[] = "{\"version\": 1}\0";
    assert_false(hn_archive_manifest_parse(nul, sizeof nul, "d", &m, NULL, &why));
    g_free(why);
}

static void test_open(void **state)
{
    g_autofree char *root = g_dir_make_tmp("hn-arc-XXXXXX", NULL);
    g_autofree char *mdir = g_build_filename(root, "2026", "12", NULL);
    g_mkdir_with_parents(mdir, 0700);
    g_autofree char *file = g_build_filename(mdir, "a.webm", NULL);
    assert_true(g_file_set_contents(file, "abc", 3, NULL));
    g_autofree char *link = g_build_filename(mdir, "evil.webm", NULL);
    assert_int_equal(symlink("/etc/passwd", link), 0);
    g_autofree char *dlink = g_build_filename(root, "2027", NULL);
    assert_int_equal(symlink(mdir, dlink), 0);

    GError *err = NULL;
    int fd = hn_archive_open(root, "2026/12", "a.webm", &err);
    assert_true(fd >= 0);
    g_autofree char *sha = hn_archive_sha256_fd(fd);
    assert_string_equal(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    close(fd);
    assert_int_equal(hn_archive_open(root, "2026/12", "evil.webm", &err), -1);
    assert_true(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
    g_clear_error(&err);
    assert_int_equal(hn_archive_open(root, "2027", "a.webm", &err), -1); /* a symlinked folder */
    g_clear_error(&err);
    assert_int_equal(hn_archive_open(root, "2026", "12", &err), -1); /* a folder */
    g_clear_error(&err);
    assert_int_equal(hn_archive_open(root, "2026/12", "../12/a.webm", &err), -1);
    assert_true(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
    g_clear_error(&err);

    g_unlink(file);
    g_unlink(link);
    g_unlink(dlink);
    g_rmdir(mdir);
    g_autofree char *y = g_build_filename(root, "2026", NULL);
    g_rmdir(y);
    g_rmdir(root);
}

static void test_types(void **state)
{
    gboolean att = FALSE;
    assert_string_equal(hn_archive_content_type("meeting.webm", &att), "video/webm");
    assert_false(att);
    assert_string_equal(hn_archive_content_type("meeting.mp4", &att), "video/mp4");
    assert_string_equal(hn_archive_content_type("t.mkv", &att), "video/x-matroska");
    assert_string_equal(hn_archive_content_type("minutes/v1/minutes.pdf", &att), "application/pdf");
    assert_string_equal(hn_archive_content_type("manifest.json", &att), "application/json");
    hn_archive_content_type("minutes/v1/minutes.html", &att);
    assert_true(att); /* never rendered on the server's origin */
    assert_string_equal(hn_archive_content_type("x.bin", &att), "application/octet-stream");
    assert_true(att);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_manifest),
        cmocka_unit_test(test_open),
        cmocka_unit_test(test_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

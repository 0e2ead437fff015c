/* Unit tests of server/store/db_rooms.c: the API's rooms and meetings round-trip through the
 * schema 3 tables (NULLs for "the server's default", sites kept in order, EXISTS and NOT_FOUND). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "store/db_rooms.h"

static char *dir, *path;
static HnDb *db;

static int setup(void **state)
{
    dir = g_dir_make_tmp("hn-dbr-XXXXXX", NULL);
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

static void test_rooms(void **state)
{
    GError *err = NULL;
    HnDbRoom r = {.name = "phong-a",
                  .title = "Phòng A",
                  .access = "pin",
                  .pin = "1234",
                  .lobby = TRUE,
                  .max_participants = 0,
                  .last_n = -1};
    assert_true(hn_db_room_insert(db, &r, 1000, &err));
    assert_false(hn_db_room_insert(db, &r, 1001, &err));
    assert_true(g_error_matches(err, HN_DB_ERROR, HN_DB_ERROR_EXISTS));
    g_clear_error(&err);
    HnDbRoom b = {.name = "phong-b", .max_participants = 7, .last_n = 0};
    assert_true(hn_db_room_insert(db, &b, 1002, &err));

    HnDbRoom got;
    assert_true(hn_db_room_get(db, "phong-a", &got));
    assert_string_equal(got.title, "Phòng A");
    assert_string_equal(got.access, "pin");
    assert_string_equal(got.pin, "1234");
    assert_true(got.lobby);
    assert_int_equal(got.max_participants, 0); /* NULL: the default */
    assert_int_equal(got.last_n, -1);
    assert_int_equal(got.created, 1000);
    g_free(got.title);
    got.title = NULL;
    got.max_participants = 3;
    assert_true(hn_db_room_update(db, &got, 2000, &err));
    hn_db_room_clear(&got);
    assert_true(hn_db_room_get(db, "phong-a", &got));
    assert_null(got.title);
    assert_int_equal(got.max_participants, 3);
    assert_int_equal(got.updated, 2000);
    hn_db_room_clear(&got);

    GArray *all = hn_db_room_list(db, &err);
    assert_int_equal(all->len, 2);
    assert_string_equal(g_array_index(all, HnDbRoom, 1).name, "phong-b");
    assert_null(g_array_index(all, HnDbRoom, 1).access);
    assert_int_equal(g_array_index(all, HnDbRoom, 1).last_n, 0);
    g_array_unref(all);

    assert_true(hn_db_room_delete(db, "phong-a", &err));
    assert_false(hn_db_room_delete(db, "phong-a", &err));
    assert_true(g_error_matches(err, HN_DB_ERROR, HN_DB_ERROR_NOT_FOUND));
    g_clear_error(&err);
    HnDbRoom none = {.name = "khong-co"};
    assert_false(hn_db_room_update(db, &none, 1, &err));
    assert_true(g_error_matches(err, HN_DB_ERROR, HN_DB_ERROR_NOT_FOUND));
    g_clear_error(&err);
    assert_false(hn_db_room_get(db, "phong-a", &got));
}

static void test_meetings(void **state)
{
    GError *err = NULL;
    char *sites[] = {"Huyện B", "Huyện A", NULL};
    HnDbMeeting m = {.room = "phong-b",
                     .title = "Giao ban",
                     .starts = 5000,
                     .ends = 9000,
                     .chair = "Chủ tịch",
                     .sites = sites};
    gint64 id1 = 0, id2 = 0;
    assert_true(hn_db_meeting_insert(db, &m, 100, &id1, &err));
    m.starts = 6000;
    m.ends = 0;
    m.chair = NULL;
    m.room = "phong-c";
    assert_true(hn_db_meeting_insert(db, &m, 101, &id2, &err));
    assert_true(id2 > id1);

    HnDbMeeting got;
    assert_true(hn_db_meeting_get(db, id1, &got));
    assert_string_equal(got.state, "scheduled");
    assert_string_equal(got.chair, "Chủ tịch");
    assert_null(got.secretary);
    assert_int_equal(got.ends, 9000);
    assert_int_equal(g_strv_length(got.sites), 2);
    assert_string_equal(got.sites[0], "Huyện B"); /* in the order given */
    g_free(got.state);
    got.state = g_strdup("ended");
    got.ended = 9100;
    g_strfreev(got.sites);
    got.sites = g_new0(char *, 1);
    assert_true(hn_db_meeting_update(db, &got, &err));
    hn_db_meeting_clear(&got);
    assert_true(hn_db_meeting_get(db, id1, &got));
    assert_string_equal(got.state, "ended");
    assert_int_equal(got.ended, 9100);
    assert_int_equal(g_strv_length(got.sites), 0);
    hn_db_meeting_clear(&got);

    GArray *all = hn_db_meeting_list(db, NULL, 10, &err);
    assert_int_equal(all->len, 2);
    assert_int_equal(g_array_index(all, HnDbMeeting, 0).id, id2); /* newest start first */
    g_array_unref(all);
    all = hn_db_meeting_list(db, "phong-b", 10, &err);
    assert_int_equal(all->len, 1);
    g_array_unref(all);

    assert_false(hn_db_meeting_get(db, 424242, &got));
    HnDbMeeting none = {.id = 424242, .room = "x", .title = "x", .starts = 1};
    assert_false(hn_db_meeting_update(db, &none, &err));
    assert_true(g_error_matches(err, HN_DB_ERROR, HN_DB_ERROR_NOT_FOUND));
    g_clear_error(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rooms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meetings, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

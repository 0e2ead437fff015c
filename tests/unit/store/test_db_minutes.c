/* Unit tests of server/store/db_minutes.c: details, notes, reasons and the minutes' versions
 * round-trip through their tables; an ended meeting without minutes is found. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "store/db_minutes.h"
#include "store/db_rooms.h"

static char *dir, *path;
static HnDb *db;

static int setup(void **state)
{
    dir = g_dir_make_tmp("hn-dbm-XXXXXX", NULL);
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

static void test_minutes_rows(void **state)
{
    GError *err = NULL;
    char *sites[] = {NULL};
    HnDbMeeting m = {.room = "phong-a", .title = "Họp", .starts = 1000, .sites = sites};
    gint64 id = 0;
    assert_true(hn_db_meeting_insert(db, &m, 900, &id, &err));

    json_t *d = json_loads("{\"summary\": \"Về việc A\", \"agenda\": [\"Một\", \"Hai\"],"
                           " \"invited\": [{\"name\": \"Lê C\", \"site\": \"Xã B\"}]}",
                           0, NULL);
    assert_true(hn_db_meeting_details_set(db, id, d, &err));
    json_decref(d);
    d = json_loads("{\"place\": \"Hội trường\", \"agenda\": [\"Một\", \"Hai\", \"Ba\"]}", 0, NULL);
    assert_true(hn_db_meeting_details_set(db, id, d, &err));
    json_decref(d);
    json_t *got = hn_db_meeting_details_get(db, id);
    assert_string_equal(json_string_value(json_object_get(got, "summary")), "Về việc A");
    assert_string_equal(json_string_value(json_object_get(got, "place")), "Hội trường");
    assert_int_equal(json_array_size(json_object_get(got, "agenda")), 3);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(got, "invited"), 0), "site")),
                        "Xã B");
    json_decref(got);

    assert_true(
        hn_db_minutes_note_add(db, id, 2, "opinion", "Lê C", "Ý kiến", 5000, "thuky", &err) > 0);
    assert_true(
        hn_db_minutes_note_add(db, id, 2, "conclusion", NULL, "Kết luận", 6000, "thuky", &err) > 0);
    assert_int_equal(hn_db_minutes_note_add(db, id, 1, "gossip", NULL, "x", 7000, "thuky", &err),
                     0);
    g_clear_error(&err);
    json_t *notes = hn_db_minutes_notes(db, id);
    assert_int_equal(json_array_size(notes), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(notes, 1), "item")), 2);
    assert_true(json_is_null(json_object_get(json_array_get(notes, 1), "who")));
    assert_int_equal(json_integer_value(json_object_get(json_array_get(notes, 0), "time")), 5000);
    json_decref(notes);

    assert_true(hn_db_minutes_absent_set(db, id, "site", "Xã B", "Bão", 1, "thuky", &err));
    assert_true(hn_db_minutes_absent_set(db, id, "person", "Lê C", "Ốm", 2, "thuky", &err));
    assert_true(hn_db_minutes_absent_set(db, id, "person", "Lê C", NULL, 3, "thuky", &err));
    json_t *abs = hn_db_minutes_absent(db, id);
    assert_int_equal(json_array_size(abs), 1);
    json_decref(abs);

    /* an ended meeting without minutes is found until its first version exists */
    HnDbMeeting row = {0};
    assert_true(hn_db_meeting_get(db, id, &row));
    g_free(row.state);
    row.state = g_strdup("ended");
    assert_true(hn_db_meeting_update(db, &row, &err));
    hn_db_meeting_clear(&row);
    GArray *todo = hn_db_meetings_without_minutes(db, 10, &err);
    assert_int_equal(todo->len, 1);
    g_array_unref(todo);
    assert_true(hn_db_minutes_add(db, id, 1, "{\"v\":1}", 10, NULL, &err));
    assert_false(hn_db_minutes_add(db, id, 1, "{\"v\":9}", 11, NULL, &err));
    assert_null(err);
    todo = hn_db_meetings_without_minutes(db, 10, &err);
    assert_int_equal(todo->len, 0);
    g_array_unref(todo);

    assert_true(hn_db_minutes_approve(db, id, 1, "{\"v\":1,\"a\":1}", "chu-toa", 20, &err));
    assert_false(hn_db_minutes_approve(db, id, 1, "{}", "chu-toa", 21, &err));
    g_clear_error(&err);
    assert_true(hn_db_minutes_add(db, id, 2, "{\"v\":2}", 30, "thuky", &err));
    char *st = NULL, *text = NULL;
    assert_int_equal(hn_db_minutes_latest(db, id, &st, &text), 2);
    assert_string_equal(st, "draft");
    assert_string_equal(text, "{\"v\":2}");
    g_free(st);
    g_free(text);
    json_t *vs = hn_db_minutes_versions(db, id);
    assert_int_equal(json_array_size(vs), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(vs, 0), "state")),
                        "approved");
    assert_string_equal(json_string_value(json_object_get(json_array_get(vs, 0), "approved_by")),
                        "chu-toa");
    json_decref(vs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_minutes_rows, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

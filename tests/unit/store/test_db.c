/* Unit tests of server/store/db.c: migrations on an empty and an old database, a newer and a
 * corrupt one refused, accounts (argon2id), API keys (hashed), the append-only audit log. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "store/db.h"

static char *dir, *path;

static int setup(void **state)
{
    dir = g_dir_make_tmp("hn-db-XXXXXX", NULL);
    path = g_build_filename(dir, HN_DB_FILE, NULL);
    return 0;
}

static int teardown(void **state)
{
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

static int count(HnDb *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(hn_db_handle(db), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void test_empty(void **state)
{
    GError *err = NULL;
    HnDb *db = hn_db_open(path, &err);
    assert_non_null(db);
    assert_int_equal(hn_db_schema_version(db), HN_DB_SCHEMA_VERSION);
    assert_int_equal(count(db, "SELECT count(*) FROM users"), 0);
    assert_int_equal(count(db, "SELECT count(*) FROM audit"), 0);
    hn_db_close(db);
    /* opening again changes nothing */
    db = hn_db_open(path, &err);
    assert_non_null(db);
    assert_int_equal(hn_db_schema_version(db), HN_DB_SCHEMA_VERSION);
    hn_db_close(db);
}

static void test_old(void **state)
{
    GError *err = NULL;
    HnDb *db = hn_db_open_at(path, 1, &err); /* a database of the first release */
    assert_non_null(db);
    assert_int_equal(hn_db_schema_version(db), 1);
    assert_true(hn_db_user_add(db, "chair1", "Chủ trì", HN_USER_CHAIR, "password-1", &err));
    hn_db_close(db);
    db = hn_db_open(path, &err);
    assert_non_null(db);
    assert_int_equal(hn_db_schema_version(db), HN_DB_SCHEMA_VERSION);
    HnDbUser u = {0};
    assert_true(hn_db_user_verify(db, "chair1", "password-1", &u, &err));
    assert_string_equal(u.display_name, "Chủ trì");
    assert_int_equal(u.role, HN_USER_CHAIR);
    hn_db_user_clear(&u);
    assert_true(hn_db_audit(db, 1, "t", "a", NULL, NULL, &err));
    hn_db_close(db);
}

static void test_newer_and_corrupt(void **state)
{
    GError *err = NULL;
    HnDb *db = hn_db_open(path, &err);
    assert_non_null(db);
    assert_int_equal(sqlite3_exec(hn_db_handle(db), "PRAGMA user_version = 99", NULL, NULL, NULL),
                     SQLITE_OK);
    hn_db_close(db);
    assert_null(hn_db_open(path, &err));
    assert_true(g_error_matches(err, HN_DB_ERROR, HN_DB_ERROR_NEWER));
    assert_non_null(strstr(err->message, "newer"));
    g_clear_error(&err);
    teardown(state);
    setup(state);
    assert_true(g_file_set_contents(path, "this is not a database, just some text\n", -1, NULL));
    assert_null(hn_db_open(path, &err));
    assert_true(g_error_matches(err, HN_DB_ERROR, HN_DB_ERROR_OPEN));
    g_clear_error(&err);
}

static void test_accounts(void **state)
{
    GError *err = NULL;
    HnDb *db = hn_db_open(path, &err);
    assert_true(hn_db_user_add(db, "an", "Nguyễn An", HN_USER_ADMIN, "correct horse", &err));
    assert_false(hn_db_user_add(db, "an", "x", HN_USER_MEMBER, "whatever1", &err));
    assert_true(g_error_matches(err, HN_DB_ERROR, HN_DB_ERROR_EXISTS));
    g_clear_error(&err);
    HnDbUser u = {0};
    assert_false(hn_db_user_verify(db, "an", "wrong horse", &u, &err));
    assert_null(err);
    assert_false(hn_db_user_verify(db, "nobody", "correct horse", &u, &err));
    assert_true(hn_db_user_verify(db, "an", "correct horse", &u, &err));
    hn_db_user_clear(&u);
    /* the hash is argon2id, never the password */
    assert_int_equal(count(db, "SELECT count(*) FROM users WHERE hash LIKE '$argon2id$%'"), 1);
    assert_int_equal(count(db, "SELECT count(*) FROM users WHERE hash LIKE '%horse%'"), 0);
    assert_true(hn_db_user_passwd(db, "an", "battery staple", &err));
    assert_false(hn_db_user_verify(db, "an", "correct horse", &u, &err));
    assert_true(hn_db_user_verify(db, "an", "battery staple", &u, &err));
    hn_db_user_clear(&u);
    assert_false(hn_db_user_passwd(db, "nobody", "battery staple", &err));
    assert_true(g_error_matches(err, HN_DB_ERROR, HN_DB_ERROR_NOT_FOUND));
    g_clear_error(&err);
    GArray *list = hn_db_user_list(db, &err);
    assert_int_equal(list->len, 1);
    g_array_unref(list);
    assert_true(hn_db_user_del(db, "an", &err));
    assert_false(hn_db_user_del(db, "an", &err));
    g_clear_error(&err);
    assert_true(hn_db_name_valid("a.b_c-1"));
    assert_false(hn_db_name_valid("A"));
    assert_false(hn_db_name_valid(""));
    assert_false(hn_db_name_valid("a b"));
    hn_db_close(db);
}

static void test_keys_and_audit(void **state)
{
    GError *err = NULL;
    HnDb *db = hn_db_open(path, &err);
    char *key = hn_db_apikey_add(db, "portal", &err);
    assert_non_null(key);
    assert_true(g_str_has_prefix(key, "hnk_"));
    g_autofree char *label = hn_db_apikey_check(db, key);
    assert_string_equal(label, "portal");
    assert_null(hn_db_apikey_check(db, "hnk_wrong"));
    assert_null(hn_db_apikey_check(db, NULL));
    g_autofree char *like =
        g_strdup_printf("SELECT count(*) FROM api_keys WHERE key_sha256 = '%s'", key);
    assert_int_equal(count(db, like), 0); /* only the hash is stored */
    assert_null(hn_db_apikey_add(db, "portal", &err));
    g_clear_error(&err);
    assert_true(hn_db_apikey_del(db, "portal", &err));
    assert_null(hn_db_apikey_check(db, key));
    g_free(key);

    assert_true(hn_db_audit(db, 100, "an", "join", "r", "how=pin", &err));
    assert_int_equal(count(db, "SELECT count(*) FROM audit"), 1);
    /* append-only */
    assert_int_not_equal(
        sqlite3_exec(hn_db_handle(db), "UPDATE audit SET actor = 'x'", NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(hn_db_handle(db), "DELETE FROM audit", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_equal(count(db, "SELECT count(*) FROM audit WHERE actor = 'an'"), 1);
    hn_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_and_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accounts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys_and_audit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

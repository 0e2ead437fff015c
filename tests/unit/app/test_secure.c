/* Unit tests of server/app/secure.c (the loopback rule and the self-signed certificate) and
 * server/app/audit_view.c (the audit filter, JSON and CSV) with store/db_audit.c on a temporary
 * database. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "app/audit_view.h"
#include "app/secure.h"
#include "store/db_audit.h"

static HnConfig *cfg_of(const char *text, const char *listen)
{
    HnConfig *cfg = hn_config_new();
    GError *err = NULL;
    if (!hn_config_load_data(cfg, text, -1, "t.conf", &err) ||
        (listen && !hn_config_set_listen(cfg, listen, &err)))
        fail_msg("%s", err->message);
    return cfg;
}

static void test_loopback(void **state)
{
    const char *yes[] = {"127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"};
    const char *no[] = {"0.0.0.0",   "::",      "10.78.0.1",       "192.168.1.2",
                        "128.0.0.1", "fd00::2", "::ffff:10.0.0.1", "localhost",
                        "",          NULL};
    for (guint i = 0; i < G_N_ELEMENTS(yes); i++)
        assert_true(hn_secure_is_loopback(yes[i]));
    for (guint i = 0; i < G_N_ELEMENTS(no); i++)
        assert_false(hn_secure_is_loopback(no[i]));
}

static void test_check_listen(void **state)
{
    struct {
        const char *conf, *listen;
        gboolean ok;
    } cases[] = {
        {"", "127.0.0.1:8080", TRUE},
        {"", "[::1]:8080", TRUE},
        {"", "0.0.0.0:8080", FALSE},
        {"", "10.78.0.1:8080", FALSE},
        {"[server]\ninsecure_http = true\n", "10.78.0.1:8080", TRUE},
        {"[server]\ntls = self-signed\n", "0.0.0.0:8443", TRUE},
        {"[server]\ntls = off\n", "[::]:8443", FALSE},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        HnConfig *cfg = cfg_of(cases[i].conf, cases[i].listen);
        GError *err = NULL;
        assert_int_equal(hn_secure_check_listen(cfg, &err), cases[i].ok);
        if (!cases[i].ok) {
            assert_non_null(strstr(err->message, "insecure_http = true"));
            assert_non_null(strstr(err->message, "tls = self-signed"));
            g_error_free(err);
        }
        hn_config_free(cfg);
    }
    HnConfig *cfg = hn_config_new();
    GError *err = NULL;
    assert_false(hn_config_load_data(cfg, "[server]\ntls = yes\n", -1, "t.conf", &err));
    assert_non_null(strstr(err->message, "[server] tls"));
    g_error_free(err);
    hn_config_free(cfg);
}

static void test_self_signed(void **state)
{
    g_autofree char *dir = g_dir_make_tmp("hn-secure-XXXXXX", NULL);
    char *cert = NULL, *key = NULL;
    gboolean made = FALSE;
    GError *err = NULL;
    char *fp = hn_secure_self_signed(dir, "10.1.2.3", "may-chu", &cert, &key, &made, &err);
    assert_non_null(fp);
    assert_true(made);
    assert_int_equal(strlen(fp), 95);
    struct stat st;
    assert_int_equal(g_stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *cert2 = NULL, *key2 = NULL;
    char *fp2 = hn_secure_self_signed(dir, "10.1.2.3", "may-chu", &cert2, &key2, &made, &err);
    assert_false(made); /* kept */
    assert_string_equal(fp, fp2);
    g_free(fp2);
    g_free(cert2);
    g_free(key2);
    /* a damaged key: made again */
    assert_true(g_file_set_contents(key, "garbage", -1, NULL));
    fp2 = hn_secure_self_signed(dir, "10.1.2.3", "may-chu", &cert2, &key2, &made, &err);
    assert_true(made);
    assert_string_not_equal(fp, fp2);
    char *again = hn_secure_fingerprint_file(cert2, NULL);
    assert_string_equal(again, fp2);
    g_free(again);
    g_free(fp2);
    g_free(cert2);
    g_free(key2);
    g_unlink(key);
    g_unlink(cert);
    g_autofree char *tls = g_build_filename(dir, HN_SECURE_DIR, NULL);
    g_rmdir(tls);
    g_rmdir(dir);
    g_free(fp);
    g_free(cert);
    g_free(key);
}

static void test_filter_parse(void **state)
{
    HnAuditFilter f;
    char *why = NULL;
    assert_true(hn_audit_filter_parse("", 100, &f, &why));
    assert_int_equal(f.limit, 100);
    assert_null(f.actor);
    hn_audit_filter_clear(&f);
    assert_true(hn_audit_filter_parse("actor=Nguy%E1%BB%85n+V%C4%83n+A%26B&room=phong-1&action="
                                      "&from=1800000000&to=1800000600&before=42&limit=7&x=1",
                                      100, &f, &why));
    assert_string_equal(f.actor, "Nguyễn Văn A&B");
    assert_string_equal(f.room, "phong-1");
    assert_null(f.action); /* an empty field: no filter */
    assert_int_equal(f.from, 1800000000);
    assert_int_equal(f.to, 1800000600);
    assert_int_equal(f.before, 42);
    assert_int_equal(f.limit, 7);
    hn_audit_filter_clear(&f);
    /* ISO 8601: a date alone as `to` takes the whole day */
    assert_true(hn_audit_filter_parse("from=2027-01-15T00:00:00&to=2027-01-15T00:00", 1, &f, &why));
    assert_int_equal(f.to - f.from, 0);
    hn_audit_filter_clear(&f);
    assert_true(hn_audit_filter_parse("from=2027-01-15&to=2027-01-15", 1, &f, &why));
    assert_int_equal(f.to - f.from, 86400);
    hn_audit_filter_clear(&f);
    const char *bad[] = {"limit=0", "limit=10001", "before=-1", "from=hôm-qua",
                         "to=1e9",  "actor=%FF",   "actor=%zz"};
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        assert_false(hn_audit_filter_parse(bad[i], 100, &f, &why));
        assert_non_null(why);
        g_clear_pointer(&why, g_free);
    }
}

static void test_csv_and_json(void **state)
{
    GArray *rows = g_array_new(FALSE, TRUE, sizeof(HnAuditRow));
    HnAuditRow a = {2,
                    1800000000,
                    g_strdup("=cmd|'/c calc'!A1"),
                    g_strdup("join"),
                    g_strdup("phòng"),
                    g_strdup("addr=1.2.3.4, \"x\"\nnext")};
    HnAuditRow b = {1, 1800000000, g_strdup("-1+2"), g_strdup("@sum"), NULL, NULL};
    g_array_append_val(rows, a);
    g_array_append_val(rows, b);
    GString *csv = hn_audit_csv(rows);
    assert_true(g_str_has_prefix(csv->str, "\xEF\xBB\xBFid,time,actor,action,room,detail\r\n"));
    assert_non_null(strstr(csv->str, ",\"'=cmd|'/c calc'!A1\",join,phòng,\"addr=1.2.3.4, "
                                     "\"\"x\"\"\nnext\"\r\n"));
    assert_non_null(strstr(csv->str, ",\"'-1+2\",\"'@sum\",,\r\n"));
    g_string_free(csv, TRUE);
    json_t *j = hn_audit_json(rows, TRUE);
    assert_int_equal(json_integer_value(json_object_get(j, "next_before")), 1);
    json_t *r0 = json_array_get(json_object_get(j, "rows"), 0);
    assert_string_equal(json_string_value(json_object_get(r0, "actor")), "=cmd|'/c calc'!A1");
    assert_true(
        json_is_null(json_object_get(json_array_get(json_object_get(j, "rows"), 1), "room")));
    json_decref(j);
    j = hn_audit_json(rows, FALSE);
    assert_true(json_is_null(json_object_get(j, "next_before")));
    json_decref(j);
    for (guint i = 0; i < rows->len; i++)
        hn_audit_row_clear(&g_array_index(rows, HnAuditRow, i));
    g_array_unref(rows);
}

static void test_query(void **state)
{
    g_autofree char *dir = g_dir_make_tmp("hn-audit-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "t.db", NULL);
    HnDb *db = hn_db_open(path, NULL);
    assert_non_null(db);
    for (int i = 0; i < 25; i++)
        assert_true(hn_db_audit(db, 1000 + i, i % 2 ? "an" : "binh", i % 3 ? "join" : "login",
                                i % 5 ? "phong" : NULL, NULL, NULL));
    HnAuditFilter f = {.limit = 10};
    gboolean more = FALSE;
    GArray *rows = hn_db_audit_query(db, &f, &more, NULL);
    assert_int_equal(rows->len, 10);
    assert_true(more);
    assert_int_equal(g_array_index(rows, HnAuditRow, 0).id, 25);
    f.before = g_array_index(rows, HnAuditRow, 9).id;
    g_array_unref(rows);
    rows = hn_db_audit_query(db, &f, &more, NULL);
    assert_int_equal(g_array_index(rows, HnAuditRow, 0).id, 15);
    g_array_unref(rows);
    HnAuditFilter g = {
        .from = 1010, .to = 1020, .actor = "an", .action = "join", .room = "phong", .limit = 100};
    rows = hn_db_audit_query(db, &g, &more, NULL);
    assert_false(more);
    for (guint i = 0; i < rows->len; i++) {
        const HnAuditRow *r = &g_array_index(rows, HnAuditRow, i);
        assert_true(r->time >= 1010 && r->time < 1020);
        assert_string_equal(r->actor, "an");
        assert_string_equal(r->action, "join");
        assert_string_equal(r->room, "phong");
    }
    assert_int_equal(rows->len, 4); /* times 1011, 1013, 1017, 1019 (1015 is a login) */
    g_array_unref(rows);
    HnDbUser u = {0};
    assert_false(hn_db_user_get(db, "nobody", &u));
    assert_true(hn_db_user_add(db, "quan-tri", "Quản trị", HN_USER_ADMIN, "mat-khau-dai", NULL));
    assert_true(hn_db_user_get(db, "quan-tri", &u));
    assert_int_equal(u.role, HN_USER_ADMIN);
    hn_db_user_clear(&u);
    hn_db_close(db);
    g_autofree char *wal = g_strconcat(path, "-wal", NULL);
    g_autofree char *shm = g_strconcat(path, "-shm", NULL);
    g_unlink(wal);
    g_unlink(shm);
    g_unlink(path);
    g_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback),     cmocka_unit_test(test_check_listen),
        cmocka_unit_test(test_self_signed),  cmocka_unit_test(test_filter_parse),
        cmocka_unit_test(test_csv_and_json), cmocka_unit_test(test_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

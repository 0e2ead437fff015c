/* Unit tests of server/store/db_hooks.c: endpoints from the config and the API, the outbox rows an
 * event makes (filters, confidential rooms, stable ids), heads per endpoint and meeting, crash
 * recovery of rows in flight, "deliver again". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "store/db_hooks.h"

static char *dir, *path;
static HnDb *db;

static int setup(void **state)
{
    dir = g_dir_make_tmp("hn-dbh-XXXXXX", NULL);
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

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

static void test_outbox_rows(void **state)
{
    GError *err = NULL;
    HnDbWebhook cfg[] = {
        {.name = "all", .url = "http://127.0.0.1:1/a", .secret = SECRET, .events = "*"},
        {.name = "joins",
         .url = "http://127.0.0.1:1/j",
         .secret = SECRET,
         .events = "participant.*, meeting.ended"},
    };
    assert_true(hn_db_webhook_sync_config(db, cfg, 2, 100, &err));
    HnDbWebhook api = {
        .name = "api1", .url = "https://x.example/h", .secret = SECRET, .events = "minutes.signed"};
    gint64 api_id = 0;
    assert_true(hn_db_webhook_insert(db, &api, 100, &api_id, &err));
    assert_false(hn_db_webhook_insert(db, &api, 100, &api_id, &err)); /* the name is taken */
    g_clear_error(&err);

    guint rows = 0;
    HnHookEvent ev = {.event_id = 7,
                      .meeting = 3,
                      .room = "r",
                      .type = "participant.joined",
                      .time_ms = 1700000000123,
                      .data = "{\"name\":\"Nguyễn\"}"};
    assert_true(hn_db_outbox_append(db, &ev, &rows, &err));
    assert_int_equal(rows, 2);
    ev.event_id = 8;
    ev.type = "meeting.started";
    assert_true(hn_db_outbox_append(db, &ev, &rows, &err));
    assert_int_equal(rows, 1);
    /* a confidential meeting sends nothing */
    HnHookEvent conf = ev;
    conf.event_id = 9;
    conf.confidential = TRUE;
    assert_true(hn_db_outbox_append(db, &conf, &rows, &err));
    assert_int_equal(rows, 0);
    sqlite3_exec(hn_db_handle(db), "UPDATE rooms SET confidential = 1", NULL, NULL, NULL);

    g_autoptr(GArray) heads = hn_db_outbox_heads(db, &err);
    assert_int_equal(heads->len, 2); /* (all, 3) and (joins, 3) */
    HnOutboxRow *h = &g_array_index(heads, HnOutboxRow, 0);
    HnDbDelivery d = {0};
    assert_true(hn_db_outbox_get(db, h->id, &d));
    assert_string_equal(d.msg_id, "msg_e7_w1");
    assert_string_equal(d.ep.secret, SECRET);
    assert_non_null(strstr(d.body, "\"type\":\"participant.joined\""));
    assert_non_null(strstr(d.body, "\"timestamp\":\"2023-11-14T22:13:20.123Z\""));
    assert_non_null(strstr(d.body, "Nguyễn"));
    /* in flight, then a crash: back to pending */
    assert_true(hn_db_outbox_mark_inflight(db, d.id, 2000, &err));
    assert_int_equal(hn_db_outbox_recover(db, &err), 1);
    /* delivered: the next of (all, 3) is the head */
    assert_true(
        hn_db_outbox_record(db, d.id, HN_OUTBOX_DELIVERED, 1, 3000, 3000, 204, NULL, NULL, &err));
    g_autoptr(GArray) heads2 = hn_db_outbox_heads(db, &err);
    gint64 second = 0;
    for (guint i = 0; i < heads2->len; i++) {
        HnDbDelivery e = {0};
        assert_true(hn_db_outbox_get(db, g_array_index(heads2, HnOutboxRow, i).id, &e));
        if (strcmp(e.msg_id, "msg_e8_w1") == 0)
            second = e.id;
        hn_db_delivery_clear(&e);
    }
    assert_true(second > 0);
    /* dead, then "deliver again" */
    assert_true(hn_db_outbox_record(db, second, HN_OUTBOX_DEAD, 9, 4000, 4000, 500, "HTTP 500",
                                    NULL, &err));
    guint64 pending = 0, dead = 0;
    assert_true(hn_db_outbox_counts(db, &pending, &dead, &err));
    assert_int_equal(dead, 1);
    assert_false(hn_db_outbox_retry(db, api_id, second, 5000, &err)); /* not that endpoint's */
    g_clear_error(&err);
    assert_true(hn_db_outbox_retry(db, d.endpoint, second, 5000, &err));
    g_autoptr(GArray) list = hn_db_outbox_list(db, d.endpoint, "pending", 10, &err);
    assert_int_equal(list->len, 1);
    assert_int_equal(g_array_index(list, HnDbDelivery, 0).since_ms, 5000);
    hn_db_delivery_clear(&d);

    /* the config loses "joins": disabled, rows kept */
    assert_true(hn_db_webhook_sync_config(db, cfg, 1, 200, &err));
    HnDbWebhook w = {0};
    assert_true(hn_db_webhook_get(db, 2, &w));
    assert_false(w.enabled);
    assert_non_null(w.disabled_reason);
    hn_db_webhook_clear(&w);
    assert_true(hn_db_webhook_update(db, api_id, NULL, "*", 0, 300, &err));
    assert_true(hn_db_webhook_delete(db, api_id, &err));
    assert_false(hn_db_webhook_delete(db, api_id, &err));
    g_clear_error(&err);
}

static void test_filter(void **state)
{
    assert_true(hn_hook_filter_match("*", "a.b"));
    assert_true(hn_hook_filter_match(NULL, "a.b"));
    assert_true(hn_hook_filter_match("x.y, a.b", "a.b"));
    assert_true(hn_hook_filter_match("a.*", "a.b"));
    assert_false(hn_hook_filter_match("a.*", "ab.c"));
    assert_false(hn_hook_filter_match("a.bc", "a.b"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_outbox_rows, setup, teardown),
        cmocka_unit_test(test_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

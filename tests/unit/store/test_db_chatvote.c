/* Unit tests of server/store/db_chatvote.c: chat lines and who may read them, votes, ballots
 * (once per voter; a secret one without its option) with the tally in the same transaction. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <sqlite3.h>
#include <string.h>

#include "store/db_chatvote.h"

#define T0 1800000000000

static char *text_of(HnDb *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(hn_db_handle(db), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    char *s = g_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return s;
}

static void test_chat(void **state)
{
    (void)state;
    GError *err = NULL;
    HnDb *db = hn_db_open(":memory:", &err);
    assert_non_null(db);
    gint64 a = hn_db_chat_add(db, "r", T0, "An", "p1", "u-an", NULL, "chào", &err);
    gint64 b = hn_db_chat_add(db, "r", T0 + 1, "Bình", "p2", NULL, "chair", "riêng", &err);
    gint64 c = hn_db_chat_add(db, "other", T0 + 2, "An", "p1", "u-an", NULL, "x", &err);
    gint64 d = hn_db_chat_add(db, "r", T0 + 3, "An", "p1", "u-an", "chair", "của An", &err);
    assert_true(a > 0 && b > a && c > b && d > c);
    /* a participant: public lines and its own private ones (by sub) */
    GArray *l = hn_db_chat_recent(db, "r", 0, "u-an", "p9", 0, FALSE, 100, &err);
    assert_int_equal(l->len, 2);
    assert_string_equal(g_array_index(l, HnDbChatLine, 0).text, "chào"); /* oldest first */
    assert_string_equal(g_array_index(l, HnDbChatLine, 1).text, "của An");
    assert_string_equal(g_array_index(l, HnDbChatLine, 1).recipient, "chair");
    g_array_free(l, TRUE);
    /* by participant id, only since the given time (ids are reused after a restart) */
    l = hn_db_chat_recent(db, "r", 0, NULL, "p2", T0, FALSE, 100, &err);
    assert_int_equal(l->len, 2);
    g_array_free(l, TRUE);
    l = hn_db_chat_recent(db, "r", 0, NULL, "p2", T0 + 2, FALSE, 100, &err);
    assert_int_equal(l->len, 1);
    g_array_free(l, TRUE);
    /* a chair reads every line; the limit keeps the newest */
    l = hn_db_chat_recent(db, "r", 0, NULL, "p5", 0, TRUE, 2, &err);
    assert_int_equal(l->len, 2);
    assert_int_equal(g_array_index(l, HnDbChatLine, 0).id, b);
    assert_int_equal(g_array_index(l, HnDbChatLine, 1).id, d);
    g_array_free(l, TRUE);
    hn_db_close(db);
}

static void test_votes(void **state)
{
    (void)state;
    GError *err = NULL;
    HnDb *db = hn_db_open(":memory:", &err);
    const char *opts[] = {"Đồng ý", "Không đồng ý", "Không ý kiến"};
    gint64 open = hn_db_vote_open(db, "r", "Q?", opts, 3, FALSE, T0, "Chủ trì", &err);
    gint64 secret = hn_db_vote_open(db, "r", "Kín?", opts, 3, TRUE, T0, "Chủ trì", &err);
    assert_true(open > 0 && secret > open);
    assert_true(hn_db_ballot_add(db, open, "u-an", "An", 0, FALSE, T0 + 1, &err));
    assert_true(hn_db_ballot_add(db, open, "p2", "Bình", 2, FALSE, T0 + 2, &err));
    /* once per voter: nothing written, the tally unchanged */
    assert_false(hn_db_ballot_add(db, open, "u-an", "An", 1, FALSE, T0 + 3, &err));
    g_clear_error(&err);
    /* an option out of range */
    assert_false(hn_db_ballot_add(db, open, "u-c", "C", 7, FALSE, T0 + 3, &err));
    g_clear_error(&err);
    g_autofree char *t1 = text_of(db, "SELECT tally FROM votes WHERE id = 1");
    assert_string_equal(t1, "[1,0,1]");
    /* secret: the option is not kept, the tally counts it */
    assert_true(hn_db_ballot_add(db, secret, "u-an", "An", 1, TRUE, T0 + 4, &err));
    g_autofree char *t2 = text_of(db, "SELECT tally FROM votes WHERE id = 2");
    assert_string_equal(t2, "[0,1,0]");
    g_autofree char *o = text_of(db, "SELECT quote(option) FROM ballots WHERE vote = 2");
    assert_string_equal(o, "NULL");
    /* closed: no more ballots, no second close */
    assert_true(hn_db_vote_close(db, open, T0 + 5, &err));
    assert_false(hn_db_vote_close(db, open, T0 + 6, &err));
    g_clear_error(&err);
    assert_false(hn_db_ballot_add(db, open, "u-d", "D", 0, FALSE, T0 + 7, &err));
    g_clear_error(&err);
    g_autofree char *n = text_of(db, "SELECT count(*) FROM ballots WHERE vote = 1");
    assert_string_equal(n, "2");
    /* at start, the votes an earlier run left open are closed */
    assert_int_equal(hn_db_vote_close_stale(db, T0 + 9, &err), 1);
    assert_int_equal(hn_db_vote_close_stale(db, T0 + 9, &err), 0);
    g_autofree char *c = text_of(db, "SELECT closed FROM votes WHERE id = 2");
    assert_string_equal(c, "1800000000009");
    hn_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chat),
        cmocka_unit_test(test_votes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of server/meeting/lobby.c: the line, positions, capacity, timeouts on a fake
 * clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>

#include "meeting/lobby.h"

#define S G_GINT64_CONSTANT(1000000)

static void test_positions_follow_the_line(void **state)
{
    (void)state;
    HnLobby *l = hn_lobby_new(10, 60 * S, g_free);
    assert_int_equal(hn_lobby_add(l, 7, 0, g_strdup("a")), 1);
    assert_int_equal(hn_lobby_add(l, 3, 1 * S, g_strdup("b")), 2);
    assert_int_equal(hn_lobby_add(l, 9, 2 * S, g_strdup("c")), 3);
    assert_int_equal(hn_lobby_add(l, 3, 3 * S, NULL), -EEXIST);
    assert_int_equal(hn_lobby_size(l), 3);
    /* the one in the middle leaves: the last moves up, the first stays first */
    char *b = hn_lobby_remove(l, 3);
    assert_string_equal(b, "b");
    g_free(b);
    assert_null(hn_lobby_remove(l, 3));
    assert_int_equal(hn_lobby_position(l, 7), 1);
    assert_int_equal(hn_lobby_position(l, 9), 2);
    assert_int_equal(hn_lobby_position(l, 3), 0);
    uint64_t id = 0;
    assert_string_equal(hn_lobby_nth(l, 1, &id), "c");
    assert_int_equal(id, 9);
    assert_null(hn_lobby_nth(l, 2, &id));
    hn_lobby_free(l); /* frees "a" and "c" (ASan would tell) */
}

static void test_capacity(void **state)
{
    (void)state;
    HnLobby *l = hn_lobby_new(2, 60 * S, NULL);
    int data = 0;
    assert_int_equal(hn_lobby_add(l, 1, 0, &data), 1);
    assert_int_equal(hn_lobby_add(l, 2, 0, &data), 2);
    assert_int_equal(hn_lobby_add(l, 3, 0, &data), -ENOSPC);
    assert_ptr_equal(hn_lobby_remove(l, 1), &data);
    assert_int_equal(hn_lobby_add(l, 3, 0, &data), 2); /* a place freed up */
    hn_lobby_free(l);
    hn_lobby_free(NULL);
}

static void test_timeouts_on_a_fake_clock(void **state)
{
    (void)state;
    HnLobby *l = hn_lobby_new(10, 30 * 60 * S, NULL);
    int a, b, c;
    assert_true(hn_lobby_next_deadline(l) == G_MAXINT64);
    hn_lobby_add(l, 1, 100 * S, &a);
    hn_lobby_add(l, 2, 200 * S, &b);
    hn_lobby_add(l, 3, 200 * S, &c);
    assert_true(hn_lobby_next_deadline(l) == 100 * S + 1800 * S);
    uint64_t id = 0;
    assert_null(hn_lobby_pop_expired(l, 1899 * S, &id));
    assert_ptr_equal(hn_lobby_pop_expired(l, 1900 * S, &id), &a);
    assert_int_equal(id, 1);
    assert_null(hn_lobby_pop_expired(l, 1900 * S, &id));
    assert_int_equal(hn_lobby_position(l, 2), 1);
    assert_true(hn_lobby_next_deadline(l) == 2000 * S);
    /* two whose wait ended at once both go, in their order */
    assert_ptr_equal(hn_lobby_pop_expired(l, 5000 * S, &id), &b);
    assert_int_equal(id, 2);
    assert_ptr_equal(hn_lobby_pop_expired(l, 5000 * S, &id), &c);
    assert_int_equal(id, 3);
    assert_null(hn_lobby_pop_expired(l, 5000 * S, &id));
    assert_int_equal(hn_lobby_size(l), 0);
    hn_lobby_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positions_follow_the_line),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_timeouts_on_a_fake_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

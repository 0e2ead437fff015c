/* Unit tests of server/meeting/outbox.c: the retry schedule on a fake clock, Retry-After, 410,
 * the dead letter at the end of the retry period, ordering per endpoint and meeting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "meeting/outbox.h"

#define S 1000
#define H (3600 * S)

static void test_backoff_grows_with_jitter_and_cap(void **state)
{
    (void)state;
    HnOutboxPolicy p;
    hn_outbox_policy_default(&p);
    /* equal jitter: half fixed, half random */
    assert_int_equal(hn_outbox_backoff_ms(&p, 1, 0.0), 2500);
    assert_int_equal(hn_outbox_backoff_ms(&p, 1, 0.5), 3750);
    assert_true(hn_outbox_backoff_ms(&p, 1, 0.999) < 5000);
    assert_int_equal(hn_outbox_backoff_ms(&p, 2, 0.0), 5000);
    assert_int_equal(hn_outbox_backoff_ms(&p, 4, 0.0), 20000);
    /* capped at max_delay (1 h), also for absurd attempt counts */
    assert_int_equal(hn_outbox_backoff_ms(&p, 40, 0.0), H / 2);
    assert_true(hn_outbox_backoff_ms(&p, 4000, 0.99) <= H);
}

/* A receiver that always answers 500, on a fake clock: the row is retried with growing gaps and
 * is dead when the 3 days are over, with the last try at the end of the period. */
static void test_retries_until_dead(void **state)
{
    (void)state;
    HnOutboxPolicy p;
    hn_outbox_policy_default(&p);
    HnOutboxAttempt a = {.status = 500, .retry_after_ms = -1};
    HnOutboxDecision d;
    gint64 since = 1000000, now = since;
    guint attempts = 0;
    gint64 last_gap = 0;
    for (;;) {
        attempts++;
        hn_outbox_decide(&p, &a, attempts, since, now, 0.5, &d);
        if (d.state == HN_OUTBOX_DEAD)
            break;
        assert_int_equal(d.state, HN_OUTBOX_PENDING);
        gint64 gap = d.next_ms - now;
        assert_true(gap >= last_gap || d.next_ms == since + p.retry_period_ms);
        assert_true(gap <= H);
        last_gap = gap;
        now = d.next_ms;
        assert_true(attempts < 200);
    }
    assert_int_equal(now, since + p.retry_period_ms); /* the last try was at the end */
    assert_true(attempts > 90 && attempts < 120);     /* 96 tries 45 min apart, plus the ramp */
    /* a 2xx at any point: delivered */
    HnOutboxAttempt ok = {.status = 204, .retry_after_ms = -1};
    hn_outbox_decide(&p, &ok, 3, since, since + 10 * S, 0.1, &d);
    assert_int_equal(d.state, HN_OUTBOX_DELIVERED);
}

static void test_retry_after_and_gone(void **state)
{
    (void)state;
    HnOutboxPolicy p;
    hn_outbox_policy_default(&p);
    HnOutboxDecision d;
    /* 503 with Retry-After: 120 -> two minutes, whatever the backoff says */
    HnOutboxAttempt a = {.status = 503, .retry_after_ms = 120 * S};
    hn_outbox_decide(&p, &a, 1, 0, 50 * S, 0.0, &d);
    assert_int_equal(d.state, HN_OUTBOX_PENDING);
    assert_int_equal(d.next_ms, 170 * S);
    /* an absurd Retry-After is capped at max_delay */
    a.retry_after_ms = 100 * H;
    hn_outbox_decide(&p, &a, 1, 0, 0, 0.0, &d);
    assert_int_equal(d.next_ms, H);
    /* 410: the endpoint is disabled, the row kept pending */
    HnOutboxAttempt gone = {.status = 410, .retry_after_ms = -1};
    hn_outbox_decide(&p, &gone, 1, 0, 7 * S, 0.0, &d);
    assert_true(d.disable_endpoint);
    assert_int_equal(d.state, HN_OUTBOX_PENDING);
    /* a connection error (status 0) is retried like a 500 */
    HnOutboxAttempt refused = {.status = 0, .retry_after_ms = -1};
    hn_outbox_decide(&p, &refused, 1, 0, 0, 0.0, &d);
    assert_int_equal(d.state, HN_OUTBOX_PENDING);
    assert_int_equal(d.next_ms, 2500);
    assert_false(d.disable_endpoint);
}

static void test_parse_retry_after(void **state)
{
    (void)state;
    gint64 now = G_GINT64_CONSTANT(784111777000); /* Sun, 06 Nov 1994 08:49:37 GMT */
    assert_int_equal(hn_outbox_parse_retry_after("120", now), 120 * S);
    assert_int_equal(hn_outbox_parse_retry_after(" 0 ", now), 0);
    assert_int_equal(hn_outbox_parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now), 60 * S);
    assert_int_equal(hn_outbox_parse_retry_after("Sun, 06 Nov 1994 08:40:37 GMT", now), 0);
    const char *bad[] = {"",
                         "soon",
                         "-5",
                         "12abc",
                         "Sun, 06 Nov 1994 08:50:37 CET",
                         "Sun 06 Nov 1994 08:50:37 GMT",
                         "Sun, 06 Foo 1994 08:50:37 GMT",
                         "Sun, 31 Feb 1994 08:50:37 GMT",
                         "99999999999"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        assert_int_equal(hn_outbox_parse_retry_after(bad[i], now), -1);
    assert_int_equal(hn_outbox_parse_retry_after(NULL, now), -1);
}

static void test_pick_orders_per_endpoint_and_meeting(void **state)
{
    (void)state;
    /* endpoint 1, meeting 7: rows 1 (delivered), 2 (pending, due), 5 (pending, due) -> only 2;
     * endpoint 1, meeting 8: row 3 in flight blocks row 6;
     * endpoint 2, meeting 7: row 4 due later (not now), row 9 waits behind it;
     * endpoint 3 (disabled): row 10 not sent; endpoint 2, meeting 9: row 11 dead, row 12 due. */
    HnOutboxRow rows[] = {
        {1, 1, 7, HN_OUTBOX_DELIVERED, 0, TRUE}, {5, 1, 7, HN_OUTBOX_PENDING, 0, TRUE},
        {2, 1, 7, HN_OUTBOX_PENDING, 50, TRUE},  {3, 1, 8, HN_OUTBOX_INFLIGHT, 0, TRUE},
        {6, 1, 8, HN_OUTBOX_PENDING, 0, TRUE},   {4, 2, 7, HN_OUTBOX_PENDING, 500, TRUE},
        {9, 2, 7, HN_OUTBOX_PENDING, 0, TRUE},   {10, 3, 7, HN_OUTBOX_PENDING, 0, FALSE},
        {11, 2, 9, HN_OUTBOX_DEAD, 0, TRUE},     {12, 2, 9, HN_OUTBOX_PENDING, 10, TRUE},
    };
    guint out[10];
    guint n = hn_outbox_pick(rows, G_N_ELEMENTS(rows), 100, out, 10);
    assert_int_equal(n, 2);
    assert_int_equal(rows[out[0]].id, 12); /* by due time */
    assert_int_equal(rows[out[1]].id, 2);
    assert_int_equal(hn_outbox_pick(rows, G_N_ELEMENTS(rows), 100, out, 1), 1);
    assert_int_equal(hn_outbox_next_due(rows, G_N_ELEMENTS(rows)), 10);
    /* row 2 delivered: row 5 is next for (1, 7); row 4 comes due at 500 */
    rows[2].state = HN_OUTBOX_DELIVERED;
    rows[9].state = HN_OUTBOX_DELIVERED;
    n = hn_outbox_pick(rows, G_N_ELEMENTS(rows), 100, out, 10);
    assert_int_equal(n, 1);
    assert_int_equal(rows[out[0]].id, 5);
    n = hn_outbox_pick(rows, G_N_ELEMENTS(rows), 500, out, 10);
    assert_int_equal(n, 2);
    assert_int_equal(rows[out[0]].id, 5);
    assert_int_equal(rows[out[1]].id, 4);
    assert_int_equal(hn_outbox_pick(rows, 0, 0, out, 10), 0);
    assert_int_equal(hn_outbox_next_due(rows, 0), G_MAXINT64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_grows_with_jitter_and_cap),
        cmocka_unit_test(test_retries_until_dead),
        cmocka_unit_test(test_retry_after_and_gone),
        cmocka_unit_test(test_parse_retry_after),
        cmocka_unit_test(test_pick_orders_per_endpoint_and_meeting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The handshake budget on a fake clock: a burst of newcomers is admitted up to the bucket and the
 * rest deferred, the bucket refills at its share of wall time, an overrunning step is a debt, a
 * budget of 0 or 100 admits everything, and the clock going back changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "transport/hs_budget.h"

#define MS 1000LL /* us */

/* Admits and charges `cost` per handshake at now until the first refusal; returns how many. */
static int burst(HnHsBudget *b, int64_t now, int64_t cost, int max)
{
    int n = 0;
    while (n < max && hn_hs_budget_admit(b, now, true)) {
        hn_hs_budget_spend(b, cost, now);
        n++;
    }
    return n;
}

static void test_burst_then_refill(void **state)
{
    (void)state;
    HnHsBudget b;
    int64_t t = 5000 * MS;
    hn_hs_budget_init(&b, 25, t); /* 25 ms of handshakes per 100 ms, a 25 ms bucket */
    /* 100 newcomers at once, 1 ms each: 25 get in, the 26th is deferred */
    assert_int_equal(burst(&b, t, 1 * MS, 100), 25);
    assert_int_equal(b.admitted, 25);
    assert_int_equal(b.deferred, 1);
    assert_int_equal(b.spent_us, 25 * MS);
    /* their retransmissions 1 s later: the bucket is full again (capped at 25 ms, not 250) */
    t += 1000 * MS;
    assert_int_equal(burst(&b, t, 1 * MS, 100), 25);
    /* 40 ms later: 10 ms refilled */
    t += 40 * MS;
    assert_int_equal(burst(&b, t, 1 * MS, 100), 10);
    assert_int_equal(b.deferred, 3);
}

static void test_debt(void **state)
{
    (void)state;
    HnHsBudget b;
    int64_t t = 0;
    hn_hs_budget_init(&b, 10, t); /* 10 ms per 100 ms */
    assert_true(hn_hs_budget_admit(&b, t, true));
    hn_hs_budget_spend(&b, 50 * MS, t); /* a step that took 50 ms: 40 ms of debt */
    assert_false(hn_hs_budget_admit(&b, t + 300 * MS, true)); /* 30 ms back: still 10 ms in debt */
    assert_true(hn_hs_budget_admit(&b, t + 401 * MS, true));
    /* a handshake under way is never refused: spending needs no admission */
    hn_hs_budget_spend(&b, 1 * MS, t + 401 * MS);
    assert_int_equal(b.spent_us, 51 * MS);
}

static void test_off_and_full(void **state)
{
    (void)state;
    HnHsBudget off, full;
    hn_hs_budget_init(&off, 0, 0);
    hn_hs_budget_init(&full, 250, 0); /* clamped to 100: all of the worker's time */
    assert_int_equal(full.pct, 100);
    assert_int_equal(burst(&off, 0, 10 * MS, 1000), 1000);
    assert_int_equal(burst(&full, 0, 10 * MS, 1000), 1000);
    assert_int_equal(off.deferred + full.deferred, 0);
    assert_int_equal(off.spent_us, 10000 * MS);
}

static void test_clock_back(void **state)
{
    (void)state;
    HnHsBudget b;
    hn_hs_budget_init(&b, 20, 1000 * MS);
    assert_int_equal(burst(&b, 1000 * MS, 5 * MS, 100), 4);
    /* an earlier time refills nothing and does not move the reference back */
    assert_false(hn_hs_budget_admit(&b, 900 * MS, false));
    assert_false(hn_hs_budget_admit(&b, 1000 * MS, false));
    assert_true(hn_hs_budget_admit(&b, 1010 * MS, false)); /* 2 ms refilled */
    assert_int_equal(b.deferred, 1); /* retries of a held flight are not counted again */
}

static void test_wait(void **state)
{
    (void)state;
    HnHsBudget b;
    hn_hs_budget_init(&b, 10, 0);
    assert_int_equal(hn_hs_budget_wait_us(&b, 0), 0); /* full */
    assert_true(hn_hs_budget_admit(&b, 0, true));
    hn_hs_budget_spend(&b, 30 * MS, 0); /* 20 ms of debt at 10 %: 200 ms to pay back */
    int64_t w = hn_hs_budget_wait_us(&b, 0);
    assert_true(w > 200 * MS && w <= 200 * MS + 1);
    assert_false(hn_hs_budget_admit(&b, w - 1, true));
    assert_true(hn_hs_budget_admit(&b, w, true));
    HnHsBudget off;
    hn_hs_budget_init(&off, 0, 0);
    hn_hs_budget_spend(&off, 30 * MS, 0);
    assert_int_equal(hn_hs_budget_wait_us(&off, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_refill),
        cmocka_unit_test(test_debt),
        cmocka_unit_test(test_off_and_full),
        cmocka_unit_test(test_clock_back),
        cmocka_unit_test(test_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

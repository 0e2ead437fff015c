/* Admission control on a fake clock: a single slow turn refuses nobody, sustained lag does, the
 * busy state holds (hysteresis) and the retry hint counts down. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/admission.h"

#define MS 1000LL
#define S  1000000LL

/* Feeds one sample every 100 ms from *t for dur_us; returns the last verdict. */
static bool feed(HnAdmission *a, int64_t *t, int64_t dur_us, int64_t sample_us)
{
    bool busy = false;
    for (int64_t end = *t + dur_us; *t < end; *t += 100 * MS)
        busy = hn_admission_sample(a, *t, sample_us);
    return busy;
}

static void test_idle_worker_admits(void **state)
{
    (void)state;
    HnAdmission a;
    hn_admission_init(&a, 200, 10);
    int64_t t = 1000 * S;
    assert_false(feed(&a, &t, 10 * S, 2 * MS));
    assert_int_equal(hn_admission_retry_after(&a, t), 0);
}

static void test_one_slow_turn_is_smoothed(void **state)
{
    (void)state;
    HnAdmission a;
    hn_admission_init(&a, 200, 10);
    int64_t t = 1000 * S;
    feed(&a, &t, S, 1 * MS);
    assert_false(hn_admission_sample(&a, t, 500 * MS)); /* 1/4 of 500 ms: under 200 */
    t += 100 * MS;
    assert_false(feed(&a, &t, 2 * S, 1 * MS));
}

static void test_stall_makes_busy_with_hold_and_hysteresis(void **state)
{
    (void)state;
    HnAdmission a;
    hn_admission_init(&a, 200, 10);
    int64_t t = 1000 * S;
    feed(&a, &t, S, 1 * MS);
    assert_true(hn_admission_sample(&a, t, 1500 * MS)); /* a 1.5 s stall */
    int64_t stall = t;
    assert_int_equal(hn_admission_retry_after(&a, t), 10);
    t += 100 * MS;
    /* the loop is back to normal: still busy for the hold, hint counting down */
    assert_true(feed(&a, &t, 5 * S, 1 * MS));
    unsigned hint = hn_admission_retry_after(&a, t);
    assert_true(hint >= 4 && hint <= 6);
    assert_true(feed(&a, &t, stall + 10 * S - 100 * MS - t, 1 * MS));
    assert_false(
        feed(&a, &t, 500 * MS, 1 * MS)); /* hold over (from the last high smoothed value) */
    assert_int_equal(hn_admission_retry_after(&a, t), 0);
}

static void test_stays_busy_between_half_and_threshold(void **state)
{
    (void)state;
    HnAdmission a;
    hn_admission_init(&a, 200, 1);
    int64_t t = 1000 * S;
    assert_true(feed(&a, &t, 2 * S, 400 * MS)); /* sustained lag */
    assert_true(feed(&a, &t, 5 * S, 150 * MS)); /* better, above half: still busy */
    assert_int_equal(hn_admission_retry_after(&a, t), 1);
    assert_false(feed(&a, &t, 2 * S, 50 * MS)); /* under half, hold long over */
    /* and not busy again until the threshold is reached (150 ms is not enough) */
    assert_false(feed(&a, &t, 5 * S, 150 * MS));
}

static void test_threshold_zero_never_refuses(void **state)
{
    (void)state;
    HnAdmission a;
    hn_admission_init(&a, 0, 10);
    int64_t t = 1000 * S;
    assert_false(feed(&a, &t, S, 5 * S));
    assert_int_equal(hn_admission_retry_after(&a, t), 0);
}

/* The machine's CPU pressure (PSI) as the kernel and a cgroup write it; malformed text refused. */
static void test_psi_parse(void **state)
{
    (void)state;
    int64_t v = -1;
    assert_true(hn_admission_parse_psi("some avg10=3.89 avg60=1.31 avg300=4.29 total=2469191601\n"
                                       "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
                                       &v));
    assert_int_equal(v, 39);
    assert_true(hn_admission_parse_psi("some avg10=100.00 avg60=99.00 avg300=1.00 total=1", &v));
    assert_int_equal(v, 1000);
    /* the "full" line first (not the kernel's order, but a line is a line) */
    assert_true(hn_admission_parse_psi("full avg10=9.00 avg60=0 avg300=0 total=0\nsome avg10=0.04 "
                                       "avg60=0 avg300=0 total=0\n",
                                       &v));
    assert_int_equal(v, 0);
    const char *bad[] = {"",
                         "some",
                         "some avg10=",
                         "some avg10=x avg60=1",
                         "some avg10=101.0 a",
                         "some avg10=-1.0 a",
                         "some avg10=1.0x",
                         "full avg10=1.00 avg60=0",
                         "nonsome avg10=5.0 x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(hn_admission_parse_psi(bad[i], &v));
}

/* CPU pressure in per mille through the same model: 90 % sustained refuses, 20 % admits again. */
static void test_pressure_model(void **state)
{
    (void)state;
    HnAdmission a;
    hn_admission_init_raw(&a, 800, 10 * S);
    int64_t t = 1000 * S;
    assert_false(feed(&a, &t, 10 * S, 300));
    assert_true(hn_admission_sample(&a, t, 850)); /* an average already: at once */
    assert_true(feed(&a, &t, 10 * S, 900));
    assert_true(feed(&a, &t, 5 * S, 500)); /* between half and the threshold: still busy */
    assert_true(hn_admission_retry_after(&a, t) >= 1);
    assert_false(feed(&a, &t, 20 * S, 200));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_worker_admits),
        cmocka_unit_test(test_one_slow_turn_is_smoothed),
        cmocka_unit_test(test_stall_makes_busy_with_hold_and_hysteresis),
        cmocka_unit_test(test_stays_busy_between_half_and_threshold),
        cmocka_unit_test(test_threshold_zero_never_refuses),
        cmocka_unit_test(test_psi_parse),
        cmocka_unit_test(test_pressure_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The dial-out model (gateway/dialout_model.h) on a fake clock: a site called when the meeting
 * starts, redialled redial_s after it drops, not redialled after a stop or the chair's remove,
 * given up after max_failures calls in a row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "gateway/dialout_model.h"

#define S 1000000LL

static void expect_out(HnDialoutOut o, HnDialoutAction a, HnDialoutEvent e)
{
    assert_int_equal(o.action, a);
    assert_int_equal(o.event, e);
}

static void test_meeting_start_calls_and_answer_connects(void **state)
{
    (void)state;
    HnDialout d;
    hn_dialout_init(&d, 10, 0);
    assert_int_equal(d.state, HN_DIALOUT_IDLE);
    assert_int_equal(hn_dialout_next_deadline(&d), 0);
    expect_out(hn_dialout_start(&d, 100 * S), HN_DIALOUT_DO_DIAL, HN_DIALOUT_EV_CALLING);
    assert_int_equal(d.state, HN_DIALOUT_CALLING);
    assert_int_equal(hn_dialout_next_deadline(&d), (100 + HN_DIALOUT_RING_S) * S);
    /* a second start while ringing (the API's POST): nothing more */
    expect_out(hn_dialout_start(&d, 101 * S), HN_DIALOUT_DO_NOTHING, HN_DIALOUT_EV_NONE);
    expect_out(hn_dialout_answered(&d, 102 * S), HN_DIALOUT_DO_NOTHING, HN_DIALOUT_EV_CONNECTED);
    assert_int_equal(d.state, HN_DIALOUT_IN_CALL);
    assert_int_equal(hn_dialout_next_deadline(&d), 0);
    expect_out(hn_dialout_tick(&d, 1000 * S), HN_DIALOUT_DO_NOTHING, HN_DIALOUT_EV_NONE);
    assert_string_equal(hn_dialout_event_name(HN_DIALOUT_EV_CONNECTED), "site.connected");
    assert_string_equal(hn_dialout_state_name(d.state), "in-call");
}

static void test_drop_is_redialled_after_redial_seconds(void **state)
{
    (void)state;
    HnDialout d;
    hn_dialout_init(&d, 10, 0);
    hn_dialout_start(&d, 0);
    hn_dialout_answered(&d, 1 * S);
    /* the site's BYE */
    expect_out(hn_dialout_ended(&d, HN_DIALOUT_END_DROPPED, 5 * S), HN_DIALOUT_DO_NOTHING,
               HN_DIALOUT_EV_DROPPED);
    assert_int_equal(d.state, HN_DIALOUT_WAITING);
    assert_int_equal(hn_dialout_next_deadline(&d), 15 * S);
    expect_out(hn_dialout_tick(&d, 14 * S), HN_DIALOUT_DO_NOTHING, HN_DIALOUT_EV_NONE);
    expect_out(hn_dialout_tick(&d, 15 * S), HN_DIALOUT_DO_DIAL, HN_DIALOUT_EV_CALLING);
    assert_int_equal(d.calls, 2);
    /* media silent: the same */
    hn_dialout_answered(&d, 16 * S);
    expect_out(hn_dialout_ended(&d, HN_DIALOUT_END_DROPPED, 20 * S), HN_DIALOUT_DO_NOTHING,
               HN_DIALOUT_EV_DROPPED);
    /* the meeting ends while waiting: no redial */
    expect_out(hn_dialout_stop(&d, 21 * S), HN_DIALOUT_DO_NOTHING, HN_DIALOUT_EV_NONE);
    assert_int_equal(d.state, HN_DIALOUT_IDLE);
    expect_out(hn_dialout_tick(&d, 40 * S), HN_DIALOUT_DO_NOTHING, HN_DIALOUT_EV_NONE);
}

static void test_stop_and_remove_hang_up_without_redial(void **state)
{
    (void)state;
    HnDialout d;
    hn_dialout_init(&d, 10, 0);
    hn_dialout_start(&d, 0);
    hn_dialout_answered(&d, 1 * S);
    expect_out(hn_dialout_stop(&d, 2 * S), HN_DIALOUT_DO_HANGUP, HN_DIALOUT_EV_HUNG_UP);
    /* the BYE's own end, reported afterwards, changes nothing */
    expect_out(hn_dialout_ended(&d, HN_DIALOUT_END_DROPPED, 3 * S), HN_DIALOUT_DO_NOTHING,
               HN_DIALOUT_EV_NONE);
    assert_int_equal(hn_dialout_next_deadline(&d), 0);
    /* a stop while ringing: CANCEL */
    hn_dialout_start(&d, 10 * S);
    expect_out(hn_dialout_stop(&d, 11 * S), HN_DIALOUT_DO_HANGUP, HN_DIALOUT_EV_HUNG_UP);
    /* the chair removes it */
    hn_dialout_start(&d, 20 * S);
    hn_dialout_answered(&d, 21 * S);
    expect_out(hn_dialout_ended(&d, HN_DIALOUT_END_REMOVED, 30 * S), HN_DIALOUT_DO_NOTHING,
               HN_DIALOUT_EV_HUNG_UP);
    assert_int_equal(d.state, HN_DIALOUT_IDLE);
    expect_out(hn_dialout_tick(&d, 100 * S), HN_DIALOUT_DO_NOTHING, HN_DIALOUT_EV_NONE);
    /* an answer after a stop is hung up */
    hn_dialout_start(&d, 200 * S);
    hn_dialout_stop(&d, 201 * S);
    expect_out(hn_dialout_answered(&d, 202 * S), HN_DIALOUT_DO_HANGUP, HN_DIALOUT_EV_NONE);
}

static void test_gives_up_after_max_failures(void **state)
{
    (void)state;
    HnDialout d;
    hn_dialout_init(&d, 10, 3);
    int64_t now = 0;
    expect_out(hn_dialout_start(&d, now), HN_DIALOUT_DO_DIAL, HN_DIALOUT_EV_CALLING);
    /* refused (486), then no answer at all (ring timeout), then refused: failed */
    now += 1 * S;
    expect_out(hn_dialout_ended(&d, HN_DIALOUT_END_REFUSED, now), HN_DIALOUT_DO_NOTHING,
               HN_DIALOUT_EV_DROPPED);
    now += 10 * S;
    expect_out(hn_dialout_tick(&d, now), HN_DIALOUT_DO_DIAL, HN_DIALOUT_EV_CALLING);
    now += HN_DIALOUT_RING_S * S;
    expect_out(hn_dialout_tick(&d, now), HN_DIALOUT_DO_HANGUP, HN_DIALOUT_EV_DROPPED);
    assert_int_equal(d.state, HN_DIALOUT_WAITING);
    now += 10 * S;
    expect_out(hn_dialout_tick(&d, now), HN_DIALOUT_DO_DIAL, HN_DIALOUT_EV_CALLING);
    now += 1 * S;
    expect_out(hn_dialout_ended(&d, HN_DIALOUT_END_REFUSED, now), HN_DIALOUT_DO_NOTHING,
               HN_DIALOUT_EV_FAILED);
    assert_int_equal(d.state, HN_DIALOUT_FAILED);
    assert_int_equal(hn_dialout_next_deadline(&d), 0);
    assert_int_equal(d.calls, 3);
    /* the next start (a new meeting, the API) tries again from zero */
    expect_out(hn_dialout_start(&d, now + 100 * S), HN_DIALOUT_DO_DIAL, HN_DIALOUT_EV_CALLING);
    assert_int_equal(d.failures, 0);
}

static void test_short_calls_count_as_failures_long_ones_do_not(void **state)
{
    (void)state;
    HnDialout d;
    hn_dialout_init(&d, 1, 2);
    hn_dialout_start(&d, 0);
    hn_dialout_answered(&d, 1 * S);
    /* a call that lasted 5 minutes: a fresh start of the count */
    expect_out(hn_dialout_ended(&d, HN_DIALOUT_END_DROPPED, 301 * S), HN_DIALOUT_DO_NOTHING,
               HN_DIALOUT_EV_DROPPED);
    hn_dialout_tick(&d, 302 * S);
    hn_dialout_answered(&d, 303 * S);
    expect_out(hn_dialout_ended(&d, HN_DIALOUT_END_DROPPED, 305 * S), HN_DIALOUT_DO_NOTHING,
               HN_DIALOUT_EV_FAILED); /* 2 short ones in a row */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meeting_start_calls_and_answer_connects),
        cmocka_unit_test(test_drop_is_redialled_after_redial_seconds),
        cmocka_unit_test(test_stop_and_remove_hang_up_without_redial),
        cmocka_unit_test(test_gives_up_after_max_failures),
        cmocka_unit_test(test_short_calls_count_as_failures_long_ones_do_not),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

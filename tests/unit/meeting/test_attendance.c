/* Unit tests of server/meeting/attendance.c (fake clock: times are arguments). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "meeting/attendance.h"

#define T0     1800000000000 /* ms */
#define MINUTE 60000

static const HnAttendEntry *person(HnAttendance *a, const char *name)
{
    for (guint i = 0; i < hn_attendance_n_people(a); i++)
        if (strcmp(hn_attendance_person(a, i)->name, name) == 0)
            return hn_attendance_person(a, i);
    fail_msg("no person %s", name);
    return NULL;
}

static const HnAttendEntry *site(HnAttendance *a, const char *name)
{
    for (guint i = 0; i < hn_attendance_n_sites(a); i++)
        if (strcmp(hn_attendance_site(a, i)->name, name) == 0)
            return hn_attendance_site(a, i);
    fail_msg("no site %s", name);
    return NULL;
}

static void test_four_states(void **state)
{
    (void)state;
    HnAttendance *a = hn_attendance_new();
    hn_attendance_invite_site(a, "Xã Hải Phú");
    hn_attendance_invite_site(a, "Xã Gio Linh");
    hn_attendance_invite_site(a, "Xã Cam Lộ");
    hn_attendance_invite_site(a, "Xã Vĩnh Linh");
    hn_attendance_invite_person(a, "Lê Văn C", "Xã Cam Lộ");
    hn_attendance_invite_person(a, "Phạm D", NULL);
    hn_attendance_invite_person(a, "Hoàng E", NULL);
    hn_attendance_reason(a, TRUE, "Xã Gio Linh", "Mất điện");
    hn_attendance_reason(a, FALSE, "Phạm D", "Đi công tác");

    hn_attendance_join(a, "p1", "Chủ tọa", "chair", "u:1", NULL, T0);
    hn_attendance_join(a, "p2", "Hội trường Hải Phú", "site", NULL, "Xã Hải Phú", T0 + 1000);
    hn_attendance_join(a, "p3", "lê văn c", "member", "u:3", "Xã Cam Lộ", T0 + 2 * MINUTE);
    hn_attendance_leave(a, "p3", T0 + 10 * MINUTE);
    hn_attendance_leave(a, "p9", T0 + 11 * MINUTE); /* never joined */
    hn_attendance_finish(a, T0 + 30 * MINUTE);

    assert_int_equal(site(a, "Xã Hải Phú")->state, HN_ATTEND_PRESENT_HALL);
    assert_int_equal(site(a, "Xã Hải Phú")->presence_ms, 30 * MINUTE - 1000);
    assert_int_equal(site(a, "Xã Cam Lộ")->state, HN_ATTEND_PRESENT_ONLINE);
    assert_int_equal(site(a, "Xã Cam Lộ")->presence_ms, 8 * MINUTE);
    assert_int_equal(site(a, "Xã Gio Linh")->state, HN_ATTEND_ABSENT);
    assert_string_equal(site(a, "Xã Gio Linh")->reason, "Mất điện");
    assert_int_equal(site(a, "Xã Vĩnh Linh")->state, HN_ATTEND_NOT_CHECKED_IN);
    assert_int_equal(site(a, "Xã Vĩnh Linh")->presence_ms, 0);

    /* the invited "Lê Văn C" is the one who joined as "lê văn c" */
    const HnAttendEntry *c = person(a, "Lê Văn C");
    assert_true(c->invited);
    assert_int_equal(c->state, HN_ATTEND_PRESENT_ONLINE);
    assert_string_equal(c->role, "member");
    assert_int_equal(c->intervals->len, 1);
    assert_int_equal(g_array_index(c->intervals, HnAttendInterval, 0).start_ms, T0 + 2 * MINUTE);
    assert_int_equal(c->presence_ms, 8 * MINUTE);
    assert_int_equal(person(a, "Phạm D")->state, HN_ATTEND_ABSENT);
    assert_int_equal(person(a, "Hoàng E")->state, HN_ATTEND_NOT_CHECKED_IN);
    assert_int_equal(person(a, "Chủ tọa")->presence_ms, 30 * MINUTE);
    assert_false(person(a, "Chủ tọa")->invited);
    /* the hall is a site, not a person */
    assert_int_equal(hn_attendance_n_people(a), 4);
    /* invited first, in the order invited */
    assert_string_equal(hn_attendance_person(a, 0)->name, "Lê Văn C");
    assert_string_equal(hn_attendance_site(a, 0)->name, "Xã Hải Phú");
    assert_int_equal(hn_attendance_stray(a), 1);
    hn_attendance_free(a);
}

static void test_two_devices_and_rejoin(void **state)
{
    (void)state;
    HnAttendance *a = hn_attendance_new();
    /* the same sub on a phone and a laptop, overlapping: counted once */
    hn_attendance_join(a, "p1", "An", "member", "u:an", NULL, T0);
    hn_attendance_join(a, "p2", "An (điện thoại)", "member", "u:an", NULL, T0 + 5 * MINUTE);
    hn_attendance_leave(a, "p1", T0 + 10 * MINUTE);
    hn_attendance_leave(a, "p2", T0 + 12 * MINUTE);
    /* back later: a second interval */
    hn_attendance_join(a, "p3", "An", "member", "u:an", NULL, T0 + 20 * MINUTE);
    /* a reused id joins again without a leave: the first stretch closes */
    hn_attendance_join(a, "p3", "An", "member", "u:an", NULL, T0 + 25 * MINUTE);
    /* a reason for someone who came does not make them absent */
    hn_attendance_reason(a, FALSE, "An", "Ốm");
    hn_attendance_finish(a, T0 + 30 * MINUTE);
    assert_int_equal(hn_attendance_n_people(a), 1);
    const HnAttendEntry *an = person(a, "An");
    assert_int_equal(an->state, HN_ATTEND_PRESENT_ONLINE);
    assert_null(an->reason);
    assert_int_equal(an->intervals->len, 2);
    assert_int_equal(an->presence_ms, 12 * MINUTE + 10 * MINUTE);
    /* after finish nothing changes */
    hn_attendance_join(a, "p4", "Bình", "member", NULL, NULL, T0 + 31 * MINUTE);
    assert_int_equal(hn_attendance_n_people(a), 1);
    hn_attendance_free(a);
}

static void test_hall_and_online_same_site(void **state)
{
    (void)state;
    HnAttendance *a = hn_attendance_new();
    /* someone of the site online first, then the hall connects: the hall wins */
    hn_attendance_join(a, "p1", "Bình", "member", NULL, "Xã A", T0);
    hn_attendance_join(a, "p2", "Xã A", "site", NULL, NULL, T0 + MINUTE);
    hn_attendance_leave(a, "p2", T0 + 3 * MINUTE);
    hn_attendance_leave(a, "p1", T0 + 2 * MINUTE);
    hn_attendance_finish(a, T0 + 10 * MINUTE);
    assert_int_equal(site(a, "Xã A")->state, HN_ATTEND_PRESENT_HALL);
    assert_int_equal(site(a, "Xã A")->presence_ms, 3 * MINUTE);
    assert_int_equal(person(a, "Bình")->state, HN_ATTEND_PRESENT_ONLINE);
    assert_string_equal(hn_attend_state_name(HN_ATTEND_NOT_CHECKED_IN), "not_checked_in");
    hn_attendance_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_four_states),
        cmocka_unit_test(test_two_devices_and_rejoin),
        cmocka_unit_test(test_hall_and_online_same_site),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

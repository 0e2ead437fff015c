/* Unit tests of server/meeting/floor.c: roles, chair rights, forged requests, locks, hand order
 * (raise times from a fake clock). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>

#include "meeting/floor.h"

enum { CHAIR = 1, SEC = 2, ANA = 3, BAO = 4, OBS = 5 };

typedef struct {
    HnFloor *f;
    GArray *fx;
} Fix;

static int setup(void **state)
{
    Fix *x = g_new0(Fix, 1);
    x->f = hn_floor_new();
    x->fx = g_array_new(FALSE, FALSE, sizeof(HnFloorFx));
    hn_floor_join(x->f, CHAIR, HN_ROLE_CHAIR, false);
    hn_floor_join(x->f, SEC, HN_ROLE_SECRETARY, false);
    hn_floor_join(x->f, ANA, HN_ROLE_MEMBER, false);
    hn_floor_join(x->f, BAO, HN_ROLE_SITE, false);
    hn_floor_join(x->f, OBS, HN_ROLE_OBSERVER, false);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    Fix *x = *state;
    hn_floor_free(x->f);
    g_array_free(x->fx, TRUE);
    g_free(x);
    return 0;
}

/* The number of effects of type t (for pid, 0: any). */
static unsigned count(const Fix *x, HnFloorFxType t, uint64_t pid)
{
    unsigned n = 0;
    for (guint i = 0; i < x->fx->len; i++) {
        const HnFloorFx *e = &g_array_index(x->fx, HnFloorFx, i);
        n += e->type == t && (!pid || e->pid == pid);
    }
    return n;
}

static const HnFloorPart *get(const Fix *x, uint64_t pid)
{
    const HnFloorPart *p = hn_floor_get(x->f, pid);
    assert_non_null(p);
    return p;
}

static void test_names(void **state)
{
    (void)state;
    for (int a = 0; a < HN_FLOOR_N_ACTIONS; a++)
        assert_int_equal(hn_floor_action_parse(hn_floor_action_name(a)), a);
    assert_int_equal(hn_floor_action_parse("nuke"), -1);
    assert_int_equal(hn_floor_action_parse(NULL), -1);
}

static void test_open_room_first_is_chair(void **state)
{
    (void)state;
    HnFloor *f = hn_floor_new();
    assert_int_equal(hn_floor_join(f, 10, HN_ROLE_MEMBER, true), HN_ROLE_CHAIR);
    assert_int_equal(hn_floor_join(f, 11, HN_ROLE_MEMBER, true), HN_ROLE_MEMBER);
    assert_true(hn_floor_may_chair(f, 10));
    assert_false(hn_floor_may_chair(f, 11));
    hn_floor_leave(f, 10, NULL);
    /* nobody chairs now: the next to join an open room does */
    assert_int_equal(hn_floor_join(f, 12, HN_ROLE_MEMBER, true), HN_ROLE_CHAIR);
    /* not in a room with tokens or PINs, and never an observer */
    assert_int_equal(hn_floor_join(f, 13, HN_ROLE_OBSERVER, true), HN_ROLE_OBSERVER);
    HnFloor *g = hn_floor_new();
    assert_int_equal(hn_floor_join(g, 1, HN_ROLE_MEMBER, false), HN_ROLE_MEMBER);
    hn_floor_free(g);
    hn_floor_free(f);
}

static void test_forged_requests_change_nothing(void **state)
{
    Fix *x = *state;
    for (int a = 0; a < HN_FLOOR_N_ACTIONS; a++) {
        for (uint64_t by = SEC; by <= OBS; by++)
            assert_int_equal(hn_floor_moderate(x->f, by, a, ANA, HN_FLOOR_AUDIO, x->fx), -EPERM);
    }
    assert_int_equal(x->fx->len, 0);
    assert_false(get(x, ANA)->locked[HN_FLOOR_AUDIO]);
    assert_false(hn_floor_locked(x->f));
    /* an unknown actor too */
    assert_int_equal(hn_floor_moderate(x->f, 99, HN_FLOOR_END, 0, HN_FLOOR_AUDIO, x->fx), -EPERM);
    assert_int_equal(x->fx->len, 0);
}

static void test_mute_and_allow(void **state)
{
    Fix *x = *state;
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_MUTE, ANA, HN_FLOOR_AUDIO, x->fx), 0);
    assert_true(get(x, ANA)->locked[HN_FLOOR_AUDIO]);
    assert_false(get(x, ANA)->on[HN_FLOOR_AUDIO]);
    assert_false(get(x, ANA)->locked[HN_FLOOR_VIDEO]);
    const HnFloorFx *e = &g_array_index(x->fx, HnFloorFx, 0);
    assert_int_equal(e->type, HN_FLOOR_FX_FORWARD);
    assert_int_equal(e->pid, ANA);
    assert_false(e->on);
    assert_int_equal(count(x, HN_FLOOR_FX_UPDATED, ANA), 1);
    /* the owner cannot unmute; turning off is fine */
    g_array_set_size(x->fx, 0);
    assert_int_equal(hn_floor_set_state(x->f, ANA, HN_FLOOR_AUDIO, true, x->fx), -EPERM);
    assert_int_equal(hn_floor_set_state(x->f, ANA, HN_FLOOR_AUDIO, false, x->fx), 0);
    assert_int_equal(x->fx->len, 0);
    /* muting again changes nothing */
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_MUTE, ANA, HN_FLOOR_AUDIO, x->fx), 0);
    assert_int_equal(x->fx->len, 0);
    assert_int_equal(
        hn_floor_moderate(x->f, CHAIR, HN_FLOOR_ALLOW_UNMUTE, ANA, HN_FLOOR_AUDIO, x->fx), 0);
    assert_int_equal(count(x, HN_FLOOR_FX_FORWARD, ANA), 1);
    assert_true(g_array_index(x->fx, HnFloorFx, 0).on);
    assert_false(get(x, ANA)->locked[HN_FLOOR_AUDIO]);
    assert_false(get(x, ANA)->on[HN_FLOOR_AUDIO]); /* until the owner turns it on */
    assert_int_equal(count(x, HN_FLOOR_FX_UNMUTE_REQUEST, 0), 0);
    assert_int_equal(hn_floor_set_state(x->f, ANA, HN_FLOOR_AUDIO, true, x->fx), 0);
    assert_true(get(x, ANA)->on[HN_FLOOR_AUDIO]);
    /* bad targets */
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_MUTE, 77, HN_FLOOR_AUDIO, x->fx),
                     -ENOENT);
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_MUTE, 0, HN_FLOOR_AUDIO, x->fx),
                     -EINVAL);
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_MUTE, ANA, 7, x->fx), -EINVAL);
}

static void test_ask_unmute_and_video(void **state)
{
    Fix *x = *state;
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_MUTE, BAO, HN_FLOOR_VIDEO, x->fx), 0);
    assert_true(get(x, BAO)->locked[HN_FLOOR_VIDEO]);
    assert_false(get(x, BAO)->locked[HN_FLOOR_AUDIO]);
    g_array_set_size(x->fx, 0);
    assert_int_equal(
        hn_floor_moderate(x->f, CHAIR, HN_FLOOR_ASK_UNMUTE, BAO, HN_FLOOR_VIDEO, x->fx), 0);
    assert_int_equal(count(x, HN_FLOOR_FX_UNMUTE_REQUEST, BAO), 1);
    assert_int_equal(count(x, HN_FLOOR_FX_FORWARD, BAO), 1);
    const HnFloorFx *r = &g_array_index(x->fx, HnFloorFx, x->fx->len - 1);
    assert_int_equal(r->kind, HN_FLOOR_VIDEO);
    assert_int_equal(r->by, CHAIR);
}

static void test_mute_all_spares_chairs(void **state)
{
    Fix *x = *state;
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_GRANT_CHAIR, SEC, 0, x->fx), 0);
    g_array_set_size(x->fx, 0);
    assert_int_equal(hn_floor_moderate(x->f, SEC, HN_FLOOR_MUTE_ALL, 0, HN_FLOOR_AUDIO, x->fx), 0);
    assert_true(get(x, ANA)->locked[HN_FLOOR_AUDIO]);
    assert_true(get(x, BAO)->locked[HN_FLOOR_AUDIO]);
    assert_false(get(x, CHAIR)->locked[HN_FLOOR_AUDIO]);
    assert_false(get(x, SEC)->locked[HN_FLOOR_AUDIO]);
    assert_false(get(x, OBS)->locked[HN_FLOOR_AUDIO]);
    assert_int_equal(count(x, HN_FLOOR_FX_FORWARD, 0), 2);
}

static void test_mute_all_spares_the_presenter(void **state)
{
    Fix *x = *state;
    hn_floor_set_presenting(x->f, ANA, true, NULL);
    hn_floor_set_presenting(x->f, BAO, true, NULL); /* takes over */
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_MUTE_ALL, 0, HN_FLOOR_AUDIO, x->fx),
                     0);
    assert_true(get(x, ANA)->locked[HN_FLOOR_AUDIO]);
    assert_false(get(x, BAO)->locked[HN_FLOOR_AUDIO]);
    hn_floor_set_presenting(x->f, ANA, false, NULL); /* not the presenter: no change */
    hn_floor_set_presenting(x->f, BAO, false, NULL);
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_MUTE_ALL, 0, HN_FLOOR_AUDIO, x->fx),
                     0);
    assert_true(get(x, BAO)->locked[HN_FLOOR_AUDIO]);
    /* the chair can still mute the presenter by name */
    hn_floor_set_presenting(x->f, SEC, true, NULL);
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_MUTE, SEC, HN_FLOOR_AUDIO, x->fx), 0);
    assert_true(get(x, SEC)->locked[HN_FLOOR_AUDIO]);
}

static void test_presenting_and_stop_share(void **state)
{
    Fix *x = *state;
    /* a take-over is seen by everyone: both participants' state changes */
    hn_floor_set_presenting(x->f, ANA, true, x->fx);
    assert_true(get(x, ANA)->presenting);
    assert_int_equal(count(x, HN_FLOOR_FX_UPDATED, ANA), 1);
    g_array_set_size(x->fx, 0);
    hn_floor_set_presenting(x->f, BAO, true, x->fx);
    assert_false(get(x, ANA)->presenting);
    assert_true(get(x, BAO)->presenting);
    assert_int_equal(count(x, HN_FLOOR_FX_UPDATED, ANA), 1);
    assert_int_equal(count(x, HN_FLOOR_FX_UPDATED, BAO), 1);
    g_array_set_size(x->fx, 0);
    /* only a chair may stop a share, and only the presenter's */
    assert_int_equal(hn_floor_moderate(x->f, ANA, HN_FLOOR_STOP_SHARE, BAO, 0, x->fx), -EPERM);
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_STOP_SHARE, ANA, 0, x->fx), -EINVAL);
    assert_true(get(x, BAO)->presenting);
    assert_int_equal(x->fx->len, 0);
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_STOP_SHARE, BAO, 0, x->fx), 0);
    assert_int_equal(count(x, HN_FLOOR_FX_STOP_SHARE, BAO), 1);
    assert_false(get(x, BAO)->presenting);
    assert_int_equal(count(x, HN_FLOOR_FX_UPDATED, BAO), 1);
    assert_string_equal(hn_floor_action_name(HN_FLOOR_STOP_SHARE), "stop-share");
    assert_true(hn_floor_action_needs_target(HN_FLOOR_STOP_SHARE));
}

static void test_chair_rights(void **state)
{
    Fix *x = *state;
    assert_false(hn_floor_may_chair(x->f, SEC));
    /* only a secretary may be given chair rights */
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_GRANT_CHAIR, ANA, 0, x->fx), -EINVAL);
    assert_false(get(x, ANA)->chair);
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_GRANT_CHAIR, SEC, 0, x->fx), 0);
    assert_true(get(x, SEC)->chair);
    assert_int_equal(count(x, HN_FLOOR_FX_UPDATED, SEC), 1);
    assert_int_equal(hn_floor_moderate(x->f, SEC, HN_FLOOR_MUTE, ANA, HN_FLOOR_AUDIO, x->fx), 0);
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_REVOKE_CHAIR, SEC, 0, x->fx), 0);
    assert_false(get(x, SEC)->chair);
    assert_int_equal(
        hn_floor_moderate(x->f, SEC, HN_FLOOR_ALLOW_UNMUTE, ANA, HN_FLOOR_AUDIO, x->fx), -EPERM);
    assert_true(get(x, ANA)->locked[HN_FLOOR_AUDIO]);
    /* the REST API (by 0) may do it */
    assert_int_equal(hn_floor_moderate(x->f, 0, HN_FLOOR_ALLOW_UNMUTE, ANA, HN_FLOOR_AUDIO, x->fx),
                     0);
    assert_false(get(x, ANA)->locked[HN_FLOOR_AUDIO]);
}

static void test_hand_order(void **state)
{
    Fix *x = *state;
    int64_t now = 1000000;
    assert_int_equal(hn_floor_hand(x->f, BAO, true, now, x->fx), 0);
    assert_int_equal(hn_floor_hand(x->f, ANA, true, now + 5, x->fx), 0);
    assert_int_equal(hn_floor_hand(x->f, SEC, true, now + 5, x->fx), 0); /* same time: after ANA */
    assert_int_equal(get(x, BAO)->hand, 1);
    assert_int_equal(get(x, ANA)->hand, 2);
    assert_int_equal(get(x, SEC)->hand, 3);
    assert_int_equal(get(x, CHAIR)->hand, 0);
    /* raising again keeps the place */
    g_array_set_size(x->fx, 0);
    assert_int_equal(hn_floor_hand(x->f, BAO, true, now + 9, x->fx), 0);
    assert_int_equal(get(x, BAO)->hand, 1);
    assert_int_equal(x->fx->len, 0);
    /* the first lowers: the others move up, each told */
    assert_int_equal(hn_floor_hand(x->f, BAO, false, now + 10, x->fx), 0);
    assert_int_equal(get(x, ANA)->hand, 1);
    assert_int_equal(get(x, SEC)->hand, 2);
    assert_int_equal(count(x, HN_FLOOR_FX_UPDATED, 0), 3);
    /* give the floor to ANA: hand down, audio unlocked, asked to unmute */
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_MUTE, ANA, HN_FLOOR_AUDIO, x->fx), 0);
    g_array_set_size(x->fx, 0);
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_GIVE_FLOOR, ANA, 0, x->fx), 0);
    assert_int_equal(get(x, ANA)->hand, 0);
    assert_false(get(x, ANA)->locked[HN_FLOOR_AUDIO]);
    assert_int_equal(get(x, SEC)->hand, 1);
    assert_int_equal(count(x, HN_FLOOR_FX_UNMUTE_REQUEST, ANA), 1);
    assert_int_equal(count(x, HN_FLOOR_FX_FORWARD, ANA), 1);
    /* a leaver's place goes to those behind */
    assert_int_equal(hn_floor_hand(x->f, BAO, true, now + 20, x->fx), 0);
    assert_int_equal(get(x, BAO)->hand, 2);
    hn_floor_leave(x->f, SEC, x->fx);
    assert_int_equal(get(x, BAO)->hand, 1);
    assert_null(hn_floor_get(x->f, SEC));
    /* lower one, lower all */
    assert_int_equal(hn_floor_hand(x->f, ANA, true, now + 30, x->fx), 0);
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_LOWER_HAND, BAO, 0, x->fx), 0);
    assert_int_equal(get(x, ANA)->hand, 1);
    assert_int_equal(hn_floor_hand(x->f, BAO, true, now + 40, x->fx), 0);
    g_array_set_size(x->fx, 0);
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_LOWER_HANDS, 0, 0, x->fx), 0);
    assert_int_equal(get(x, ANA)->hand, 0);
    assert_int_equal(get(x, BAO)->hand, 0);
    assert_int_equal(get(x, ANA)->hand_at, 0);
    assert_int_equal(count(x, HN_FLOOR_FX_UPDATED, 0), 2);
    assert_int_equal(hn_floor_hand(x->f, 99, true, now, x->fx), -ENOENT);
}

static void test_lock_remove_end(void **state)
{
    Fix *x = *state;
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_LOCK, 0, 0, x->fx), 0);
    assert_true(hn_floor_locked(x->f));
    assert_int_equal(count(x, HN_FLOOR_FX_ROOM_STATE, 0), 1);
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_LOCK, 0, 0, x->fx), 0);
    assert_int_equal(count(x, HN_FLOOR_FX_ROOM_STATE, 0), 1); /* no change, no message */
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_UNLOCK, 0, 0, x->fx), 0);
    assert_false(hn_floor_locked(x->f));
    g_array_set_size(x->fx, 0);
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_REMOVE, CHAIR, 0, x->fx), -EINVAL);
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_REMOVE, BAO, 0, x->fx), 0);
    assert_int_equal(count(x, HN_FLOOR_FX_REMOVE, BAO), 1);
    assert_int_equal(hn_floor_moderate(x->f, CHAIR, HN_FLOOR_END, 0, 0, x->fx), 0);
    assert_int_equal(count(x, HN_FLOOR_FX_END, 0), 1);
}

static void test_state_and_list(void **state)
{
    Fix *x = *state;
    assert_true(get(x, ANA)->on[HN_FLOOR_VIDEO]);
    assert_false(get(x, OBS)->on[HN_FLOOR_AUDIO]);
    assert_int_equal(hn_floor_set_state(x->f, ANA, HN_FLOOR_VIDEO, false, x->fx), 0);
    assert_false(get(x, ANA)->on[HN_FLOOR_VIDEO]);
    assert_int_equal(count(x, HN_FLOOR_FX_UPDATED, ANA), 1);
    assert_int_equal(hn_floor_set_state(x->f, 42, HN_FLOOR_VIDEO, false, x->fx), -ENOENT);
    assert_int_equal(hn_floor_set_state(x->f, OBS, HN_FLOOR_AUDIO, true, x->fx), -EPERM);
    uint64_t pids[3];
    assert_int_equal(hn_floor_list(x->f, pids, 3), 5);
    assert_int_equal(pids[0], CHAIR);
    assert_int_equal(pids[2], ANA);
    assert_int_equal(get(x, BAO)->role, HN_ROLE_SITE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_open_room_first_is_chair),
        cmocka_unit_test_setup_teardown(test_forged_requests_change_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mute_and_allow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ask_unmute_and_video, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mute_all_spares_chairs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mute_all_spares_the_presenter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_presenting_and_stop_share, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chair_rights, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hand_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_remove_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_and_list, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

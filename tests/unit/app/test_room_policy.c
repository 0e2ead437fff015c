/* Unit tests of server/app/room_policy.c: configured rooms win, API rooms get the server's
 * defaults where they set nothing, and the join gate applies an API room's access and PIN. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>

#include "app/join_gate.h"
#include "app/room_policy.h"

static HnConfig *load(const char *text)
{
    HnConfig *cfg = hn_config_new();
    GError *err = NULL;
    assert_true(hn_config_load_data(cfg, text, -1, "test.conf", &err));
    return cfg;
}

static void test_lookup(void **state)
{
    HnConfig *cfg = load("[auth]\njwt_secret = unit-secret-0123456789\n[rooms]\nmax_participants = "
                         "50\nlast_n = 6\n[room:tep]\naccess = open\n");
    HnRoomPolicies *p = hn_room_policies_new(cfg);
    HnRoomPolicy pol;
    assert_true(hn_room_policy_lookup(cfg, p, "tep", &pol));
    assert_true(pol.from_config);
    assert_int_equal(pol.access, HN_ACCESS_OPEN);

    assert_false(hn_room_policy_lookup(cfg, p, "api", &pol));
    assert_int_equal(pol.access, HN_ACCESS_TOKEN); /* undeclared, with [auth] */
    HnDbRoom r = {.name = "api", .pin = "2468", .lobby = TRUE, .last_n = -1};
    hn_room_policies_put(p, &r);
    assert_true(hn_room_policy_lookup(cfg, p, "api", &pol));
    assert_false(pol.from_config);
    assert_int_equal(pol.access, HN_ACCESS_TOKEN_OR_PIN); /* default with a PIN */
    assert_int_equal(pol.access_set, HN_ACCESS_DEFAULT);
    assert_string_equal(pol.pin, "2468");
    assert_true(pol.lobby);
    assert_int_equal(pol.max_participants, 50);
    assert_int_equal(pol.last_n, 6);

    HnDbRoom r2 = {.name = "api", .access = "open", .max_participants = 3, .last_n = 0};
    hn_room_policies_put(p, &r2); /* replaces */
    assert_true(hn_room_policy_lookup(cfg, p, "api", &pol));
    assert_int_equal(pol.access, HN_ACCESS_OPEN);
    assert_null(pol.pin);
    assert_int_equal(pol.max_participants, 3);
    assert_int_equal(pol.last_n, 0);

    HnDbRoom shadow = {.name = "tep", .access = "pin", .pin = "1111", .last_n = -1};
    hn_room_policies_put(p, &shadow);
    assert_true(hn_room_policy_lookup(cfg, p, "tep", &pol));
    assert_true(pol.from_config); /* the file wins */
    assert_int_equal(pol.access, HN_ACCESS_OPEN);

    assert_true(hn_room_policies_remove(p, "api"));
    assert_false(hn_room_policies_remove(p, "api"));
    assert_false(hn_room_policy_lookup(cfg, p, "api", &pol));
    HnAccess a;
    assert_true(hn_access_parse("token-or-pin", &a));
    assert_int_equal(a, HN_ACCESS_TOKEN_OR_PIN);
    assert_false(hn_access_parse("anyone", &a));
    hn_room_policies_free(p);
    hn_config_free(cfg);
}

static void test_gate_uses_api_rooms(void **state)
{
    HnConfig *cfg = load("[auth]\nlockout_failures = 100\n");
    HnRoomPolicies *p = hn_room_policies_new(cfg);
    HnJoinGate *g = hn_join_gate_new(cfg, "session-secret-0123456789");
    hn_join_gate_set_policies(g, p);
    HnJoinVerdict v;
    hn_join_gate_check(g, "hop", "10.0.0.1", NULL, NULL, NULL, 1, 1000, &v);
    assert_true(v.ok); /* undeclared, no [auth] secret: open */
    hn_join_verdict_clear(&v);

    HnDbRoom r = {.name = "hop", .access = "pin", .pin = "918273", .last_n = -1};
    hn_room_policies_put(p, &r);
    hn_join_gate_check(g, "hop", "10.0.0.1", NULL, NULL, NULL, 2, 1000, &v);
    assert_false(v.ok);
    assert_int_equal(v.code, HN_PROTO_ERR_AUTH_REQUIRED);
    hn_join_verdict_clear(&v);
    hn_join_gate_check(g, "hop", "10.0.0.1", NULL, "000000", NULL, 3, 1000, &v);
    assert_false(v.ok);
    assert_int_equal(v.code, HN_PROTO_ERR_BAD_PIN);
    hn_join_verdict_clear(&v);
    hn_join_gate_check(g, "hop", "10.0.0.1", NULL, "918273", NULL, 4, 1000, &v);
    assert_true(v.ok);
    assert_string_equal(v.how, "pin");
    hn_join_verdict_clear(&v);
    hn_join_gate_free(g);
    hn_room_policies_free(p);
    hn_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_gate_uses_api_rooms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

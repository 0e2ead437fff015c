/* Unit tests of server/app/join_gate.c: each room policy with tokens, PINs and sessions, the
 * lockout, on a fake clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "app/join_gate.h"
#include "meeting/join_token.h"

#include <jwt.h>

#define SECRET  "gate-unit-secret-0123456789"
#define SESSION "session-secret-abcdefghijklmn"
#define NOW     1800000000
#define S       G_USEC_PER_SEC

static HnConfig *cfg_of(const char *text)
{
    HnConfig *cfg = hn_config_new();
    GError *err = NULL;
    if (!hn_config_load_data(cfg, text, -1, "t.conf", &err))
        fail_msg("%s", err->message);
    return cfg;
}

static HnJoinVerdict check(HnJoinGate *g, const char *room, const char *addr, const char *token,
                           const char *pin, const char *session, gint64 t_us)
{
    HnJoinVerdict v;
    hn_join_gate_check(g, room, addr, token, pin, session, t_us, NOW, &v);
    return v;
}

static void expect(HnJoinGate *g, const char *room, const char *token, const char *pin,
                   const char *session, gboolean ok, HnProtoErrorCode code, HnRole role)
{
    HnJoinVerdict v = check(g, room, "10.0.0.1", token, pin, session, 1000 * S);
    assert_int_equal(v.ok, ok);
    if (ok)
        assert_int_equal(v.role, role);
    else
        assert_int_equal(v.code, code);
    hn_join_verdict_clear(&v);
}

static void test_policies(void **state)
{
    HnConfig *cfg = cfg_of("[auth]\njwt_secret = " SECRET "\nlockout_failures = 100\n"
                           "[room:pin]\npin = 1234\naccess = pin\n[room:both]\npin = 5678\n"
                           "[room:open]\naccess = open\n[room:tok]\n");
    HnJoinGate *g = hn_join_gate_new(cfg, SESSION);
    g_autofree char *chair =
        hn_join_token_mint(SECRET, "tok", "Chủ tịch", "chair", NULL, NOW + 60, 0);
    g_autofree char *other = hn_join_token_mint(SECRET, "elsewhere", NULL, NULL, NULL, NOW + 60, 0);
    g_autofree char *old = hn_join_token_mint(SECRET, "tok", NULL, NULL, NULL, NOW - 3600, 0);
    g_autofree char *sess =
        hn_join_token_mint(SESSION, "*", "Thư ký", "secretary", "lan", NOW + 60, 0);

    expect(g, "open", NULL, NULL, NULL, TRUE, 0, HN_ROLE_MEMBER);
    expect(g, "open", NULL, "0000", NULL, TRUE, 0, HN_ROLE_MEMBER);
    expect(g, "tok", NULL, NULL, NULL, FALSE, HN_PROTO_ERR_AUTH_REQUIRED, 0);
    expect(g, "tok", chair, NULL, NULL, TRUE, 0, HN_ROLE_CHAIR);
    expect(g, "tok", other, NULL, NULL, FALSE, HN_PROTO_ERR_WRONG_ROOM, 0);
    expect(g, "tok", old, NULL, NULL, FALSE, HN_PROTO_ERR_TOKEN_EXPIRED, 0);
    expect(g, "tok", "abc.def.ghi", NULL, NULL, FALSE, HN_PROTO_ERR_BAD_TOKEN, 0);
    expect(g, "tok", NULL, "1234", NULL, FALSE, HN_PROTO_ERR_AUTH_REQUIRED, 0);
    expect(g, "pin", NULL, NULL, NULL, FALSE, HN_PROTO_ERR_AUTH_REQUIRED, 0);
    expect(g, "pin", NULL, "1234", NULL, TRUE, 0, HN_ROLE_MEMBER);
    expect(g, "pin", NULL, "1235", NULL, FALSE, HN_PROTO_ERR_BAD_PIN, 0);
    expect(g, "both", NULL, "5678", NULL, TRUE, 0, HN_ROLE_MEMBER);
    expect(g, "both", NULL, NULL, NULL, FALSE, HN_PROTO_ERR_AUTH_REQUIRED, 0);
    /* undeclared rooms follow [auth]: token */
    expect(g, "undeclared", NULL, NULL, NULL, FALSE, HN_PROTO_ERR_AUTH_REQUIRED, 0);
    /* an account's session: its role anywhere; a forged one counts as none */
    expect(g, "tok", NULL, NULL, sess, TRUE, 0, HN_ROLE_SECRETARY);
    expect(g, "open", NULL, NULL, sess, TRUE, 0, HN_ROLE_SECRETARY);
    expect(g, "tok", NULL, NULL, chair, FALSE, HN_PROTO_ERR_AUTH_REQUIRED, 0);
    expect(g, "open", NULL, NULL, "garbage", TRUE, 0, HN_ROLE_MEMBER);

    HnJoinVerdict v = check(g, "tok", "a", chair, NULL, NULL, S);
    assert_string_equal(v.name, "Chủ tịch");
    assert_string_equal(v.how, "token");
    hn_join_verdict_clear(&v);
    hn_join_gate_free(g);
    hn_config_free(cfg);
}

static void test_lockout(void **state)
{
    HnConfig *cfg = cfg_of("[auth]\nlockout_failures = 3\nlockout_seconds = 10\n"
                           "[room:pin]\npin = 1234\n");
    HnJoinGate *g = hn_join_gate_new(cfg, SESSION);
    for (int i = 0; i < 3; i++) {
        HnJoinVerdict v = check(g, "pin", "10.0.0.9", NULL, "9999", NULL, i * S);
        assert_int_equal(v.code, HN_PROTO_ERR_BAD_PIN);
        assert_int_equal(v.locked_now, i == 2);
        hn_join_verdict_clear(&v);
    }
    HnJoinVerdict v = check(g, "pin", "10.0.0.9", NULL, "1234", NULL, 3 * S);
    assert_false(v.ok);
    assert_int_equal(v.code, HN_PROTO_ERR_LOCKED);
    /* another address, and open rooms, are not affected */
    v = check(g, "pin", "10.0.0.8", NULL, "1234", NULL, 3 * S);
    assert_true(v.ok);
    v = check(g, "any-open", "10.0.0.9", NULL, NULL, NULL, 3 * S);
    assert_true(v.ok);
    v = check(g, "pin", "10.0.0.9", NULL, "1234", NULL, 13 * S);
    assert_true(v.ok);
    hn_join_gate_free(g);
    hn_config_free(cfg);
}

/* A token for room "tok" with lobby_bypass set to bypass (libjwt, as a portal would sign it). */
static char *bypass_token(gboolean bypass)
{
    jwt_t *jwt = NULL;
    assert_int_equal(jwt_new(&jwt), 0);
    int rc = jwt_add_grant(jwt, "room", "tok") | jwt_add_grant(jwt, "name", "Sở Y tế");
    rc |= jwt_add_grant_int(jwt, "exp", NOW + 60) | jwt_add_grant_bool(jwt, "lobby_bypass", bypass);
    rc |= jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)SECRET, strlen(SECRET));
    assert_int_equal(rc, 0);
    char *text = jwt_encode_str(jwt);
    jwt_free(jwt);
    char *out = g_strdup(text);
    free(text);
    return out;
}

/* The token's lobby_bypass claim reaches the verdict (the hub's lobby reads it). */
static void test_lobby_bypass(void **state)
{
    HnConfig *cfg = cfg_of("[auth]\njwt_secret = " SECRET "\n[room:tok]\nlobby = true\n");
    HnJoinGate *g = hn_join_gate_new(cfg, SESSION);
    g_autofree char *yes = bypass_token(TRUE);
    g_autofree char *no = bypass_token(FALSE);
    g_autofree char *none = hn_join_token_mint(SECRET, "tok", "Xã A", NULL, NULL, NOW + 60, 0);
    HnJoinVerdict v = check(g, "tok", "a", yes, NULL, NULL, S);
    assert_true(v.ok && v.lobby_bypass);
    assert_int_equal(v.role, HN_ROLE_MEMBER);
    hn_join_verdict_clear(&v);
    v = check(g, "tok", "a", no, NULL, NULL, S);
    assert_true(v.ok && !v.lobby_bypass);
    hn_join_verdict_clear(&v);
    v = check(g, "tok", "a", none, NULL, NULL, S);
    assert_true(v.ok && !v.lobby_bypass);
    hn_join_verdict_clear(&v);
    hn_join_gate_free(g);
    hn_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policies),
        cmocka_unit_test(test_lockout),
        cmocka_unit_test(test_lobby_bypass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

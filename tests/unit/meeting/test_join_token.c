/* Unit tests of server/meeting/join_token.c (fake clock) and limiter.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "meeting/join_token.h"
#include "meeting/limiter.h"

#define SECRET "0123456789abcdef-unit-test-secret"
#define NOW    1800000000

static char *b64url(const void *data, size_t len)
{
    char *s = g_base64_encode(data, len);
    for (char *p = s; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    char *eq = strchr(s, '=');
    if (eq)
        *eq = '\0';
    return s;
}

/* A JWT with any header, signed with HMAC-SHA256 of secret (sign FALSE: empty signature). */
static char *forge(const char *header, const char *payload, const char *secret, gboolean sign)
{
    g_autofree char *h = b64url(header, strlen(header));
    g_autofree char *p = b64url(payload, strlen(payload));
    g_autofree char *input = g_strconcat(h, ".", p, NULL);
    if (!sign)
        return g_strconcat(input, ".", NULL);
    GHmac *mac = g_hmac_new(G_CHECKSUM_SHA256, (const guchar *)secret, strlen(secret));
    g_hmac_update(mac, (const guchar *)input, -1);
    guint8 digest[32];
    gsize n = sizeof digest;
    g_hmac_get_digest(mac, digest, &n);
    g_hmac_unref(mac);
    g_autofree char *sig = b64url(digest, n);
    return g_strconcat(input, ".", sig, NULL);
}

static HnTokenResult verify(const char *token, const char *room, gint64 now, HnTokenClaims *c)
{
    const char *why = NULL;
    HnTokenResult r = hn_join_token_verify(SECRET, token, room, now, c, &why);
    if (r != HN_TOKEN_OK) {
        assert_non_null(why);
        assert_null(strstr(why, SECRET));
    }
    return r;
}

static void test_valid(void **state)
{
    g_autofree char *t =
        hn_join_token_mint(SECRET, "tinh-uy", "Chủ tịch", "chair", "u-17", NOW + 3600, NOW - 10);
    assert_non_null(t);
    HnTokenClaims c;
    assert_int_equal(verify(t, "tinh-uy", NOW, &c), HN_TOKEN_OK);
    assert_int_equal(c.role, HN_ROLE_CHAIR);
    assert_string_equal(c.name, "Chủ tịch");
    assert_string_equal(c.sub, "u-17");
    hn_token_claims_clear(&c);

    g_autofree char *any = hn_join_token_mint(SECRET, "*", NULL, "observer", NULL, NOW + 60, 0);
    assert_int_equal(verify(any, "x", NOW, &c), HN_TOKEN_OK);
    assert_int_equal(c.role, HN_ROLE_OBSERVER);
    assert_null(c.name);
    hn_token_claims_clear(&c);

    g_autofree char *norole = hn_join_token_mint(SECRET, "r", NULL, NULL, NULL, NOW + 60, 0);
    assert_int_equal(verify(norole, "r", NOW, &c), HN_TOKEN_OK);
    assert_int_equal(c.role, HN_ROLE_MEMBER);
    hn_token_claims_clear(&c);
}

static void test_time(void **state)
{
    HnTokenClaims c;
    g_autofree char *t = hn_join_token_mint(SECRET, "r", "a", "participant", NULL, NOW, NOW - 60);
    assert_int_equal(verify(t, "r", NOW + HN_TOKEN_LEEWAY, &c), HN_TOKEN_OK);
    hn_token_claims_clear(&c);
    assert_int_equal(verify(t, "r", NOW + HN_TOKEN_LEEWAY + 1, &c), HN_TOKEN_EXPIRED);
    assert_null(c.room);
    g_autofree char *later =
        hn_join_token_mint(SECRET, "r", "a", NULL, NULL, NOW + 7200, NOW + 600);
    assert_int_equal(verify(later, "r", NOW, &c), HN_TOKEN_NOT_YET);
    assert_int_equal(verify(later, "r", NOW + 600, &c), HN_TOKEN_OK);
    hn_token_claims_clear(&c);
    /* exp is required */
    g_autofree char *noexp =
        forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "{\"room\":\"r\"}", SECRET, TRUE);
    assert_int_equal(verify(noexp, "r", NOW, &c), HN_TOKEN_BAD);
}

static void test_rejected(void **state)
{
    HnTokenClaims c;
    g_autofree char *t = hn_join_token_mint(SECRET, "r", "a", "chair", NULL, NOW + 60, 0);
    assert_int_equal(verify(t, "other", NOW, &c), HN_TOKEN_WRONG_ROOM);
    /* room names ignore case */
    g_autofree char *upper = hn_join_token_mint(SECRET, "GiaoBan", "a", "chair", NULL, NOW + 60, 0);
    assert_int_equal(verify(upper, "giaoban", NOW, &c), HN_TOKEN_OK);
    hn_token_claims_clear(&c);
    /* tampered payload: the signature no longer matches */
    g_autofree char *payload =
        g_strdup_printf("{\"room\":\"r\",\"role\":\"chair\",\"exp\":%d}", NOW + 60);
    g_autofree char *good = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, SECRET, TRUE);
    assert_int_equal(verify(good, "r", NOW, &c), HN_TOKEN_OK);
    hn_token_claims_clear(&c);
    g_autofree char *other =
        forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, "another-secret-0123456", TRUE);
    assert_int_equal(verify(other, "r", NOW, &c), HN_TOKEN_BAD);
    char *dot = strrchr(good, '.');
    dot[3] = dot[3] == 'A' ? 'B' : 'A';
    assert_int_equal(verify(good, "r", NOW, &c), HN_TOKEN_BAD);
    /* alg none, and RS256 "signed" with the HS secret */
    g_autofree char *none = forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, SECRET, FALSE);
    assert_int_equal(verify(none, "r", NOW, &c), HN_TOKEN_BAD);
    g_autofree char *rs = forge("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", payload, SECRET, TRUE);
    assert_int_equal(verify(rs, "r", NOW, &c), HN_TOKEN_BAD);
    g_autofree char *two = forge("{\"alg\":\"HS256\",\"alg\":\"none\"}", payload, SECRET, TRUE);
    assert_int_equal(verify(two, "r", NOW, &c), HN_TOKEN_BAD);
    /* unknown role, garbage */
    g_autofree char *badrole = hn_join_token_mint(SECRET, "r", "a", "king", NULL, NOW + 60, 0);
    assert_int_equal(verify(badrole, "r", NOW, &c), HN_TOKEN_BAD);
    assert_int_equal(verify("", "r", NOW, &c), HN_TOKEN_BAD);
    assert_int_equal(verify("a.b.c", "r", NOW, &c), HN_TOKEN_BAD);
    assert_int_equal(verify("....", "r", NOW, &c), HN_TOKEN_BAD);
    char *huge = g_strnfill(HN_TOKEN_MAX + 1, 'a');
    assert_int_equal(verify(huge, "r", NOW, &c), HN_TOKEN_BAD);
    g_free(huge);
}

static void test_pin(void **state)
{
    assert_true(hn_pin_equal("123456", "123456"));
    assert_false(hn_pin_equal("123456", "123457"));
    assert_false(hn_pin_equal("123456", "12345"));
    assert_false(hn_pin_equal("123456", "1234567"));
    assert_false(hn_pin_equal("123456", ""));
    assert_false(hn_pin_equal(NULL, "1"));
    assert_false(hn_pin_equal("1", NULL));
}

#define S G_USEC_PER_SEC

static void test_limiter_lockout(void **state)
{
    HnLimiter *l = hn_limiter_new(5, 300, 1000);
    int64_t t = 1000 * S;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(hn_limiter_attempt(l, "10.0.0.1", t), HN_LIMIT_OK);
        assert_false(hn_limiter_fail(l, "10.0.0.1", t));
        t += S;
    }
    assert_int_equal(hn_limiter_attempt(l, "10.0.0.1", t), HN_LIMIT_OK);
    assert_true(hn_limiter_fail(l, "10.0.0.1", t)); /* the fifth within a minute locks */
    assert_int_equal(hn_limiter_attempt(l, "10.0.0.1", t + S), HN_LIMIT_LOCKED);
    assert_int_equal(hn_limiter_locked_for(l, "10.0.0.1", t + S), 299);
    /* another address is not affected */
    assert_int_equal(hn_limiter_attempt(l, "10.0.0.2", t + S), HN_LIMIT_OK);
    /* the lock expires */
    assert_int_equal(hn_limiter_attempt(l, "10.0.0.1", t + 300 * S - 1), HN_LIMIT_LOCKED);
    assert_int_equal(hn_limiter_attempt(l, "10.0.0.1", t + 300 * S), HN_LIMIT_OK);
    assert_int_equal(hn_limiter_locked_for(l, "10.0.0.1", t + 300 * S), 0);
    hn_limiter_free(l);
}

static void test_limiter_window(void **state)
{
    HnLimiter *l = hn_limiter_new(3, 60, 1000);
    int64_t t = 0;
    /* failures 40 s apart never make 3 within a minute */
    for (int i = 0; i < 10; i++, t += 40 * S)
        assert_false(hn_limiter_fail(l, "a", t));
    /* a success forgets failures */
    assert_false(hn_limiter_fail(l, "b", t));
    assert_false(hn_limiter_fail(l, "b", t));
    hn_limiter_success(l, "b");
    assert_false(hn_limiter_fail(l, "b", t));
    assert_false(hn_limiter_fail(l, "b", t));
    assert_true(hn_limiter_fail(l, "b", t));
    hn_limiter_free(l);
}

static void test_limiter_rate(void **state)
{
    HnLimiter *l = hn_limiter_new(5, 60, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(hn_limiter_attempt(l, "a", i * S), HN_LIMIT_OK);
    assert_int_equal(hn_limiter_attempt(l, "a", 3 * S), HN_LIMIT_RATE);
    assert_int_equal(hn_limiter_attempt(l, "a", 60 * S), HN_LIMIT_OK); /* next minute */
    /* idle addresses are swept as the table grows: it stays bounded */
    for (int i = 0; i < HN_LIMITER_MAX_ADDRS; i++) {
        char a[32];
        g_snprintf(a, sizeof a, "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
        hn_limiter_attempt(l, a, (int64_t)(200 + i) * 61 * S);
    }
    assert_true(hn_limiter_size(l) <= HN_LIMITER_MAX_ADDRS / 2 + 1);
    hn_limiter_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),           cmocka_unit_test(test_time),
        cmocka_unit_test(test_rejected),        cmocka_unit_test(test_pin),
        cmocka_unit_test(test_limiter_lockout), cmocka_unit_test(test_limiter_window),
        cmocka_unit_test(test_limiter_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

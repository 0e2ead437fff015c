/* Unit tests of server/meeting/webhook_sign.c against an independent computation.
 *
 * The vector is the Standard Webhooks specification's own example, recomputed with Python:
 *   import hmac, hashlib, base64
 *   key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
 *   m = b'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}'
 *   "v1," + base64.b64encode(hmac.new(key, m, hashlib.sha256).digest()).decode()
 *   -> v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "meeting/webhook_sign.h"

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

static void test_known_vector(void **state)
{
    (void)state;
    const char *body = "{\"test\": 2432232314}";
    char *sig =
        hn_webhook_sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body));
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    g_free(sig);
    /* one byte of the body changed: another signature */
    sig = hn_webhook_sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                          "{\"test\": 2432232315}", strlen(body));
    assert_string_not_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    g_free(sig);
}

static void test_secret_validation(void **state)
{
    (void)state;
    char *why = NULL;
    assert_true(hn_webhook_secret_valid(SECRET, &why));
    const char *bad[] = {"",
                         "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                         "whsec_",
                         "whsec_abc",
                         "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!",
                         "whsec_AAAA",
                         "whsec_MfKQ9r8G=YqrTwjUPD8ILPZIo2LaLaSw"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        assert_false(hn_webhook_secret_valid(bad[i], &why));
        assert_non_null(why);
        assert_null(strstr(why, "MfKQ9")); /* the reason never quotes the secret */
        g_clear_pointer(&why, g_free);
    }
    assert_null(hn_webhook_sign("nope", "id", 1, "x", 1));
    char *fresh = hn_webhook_secret_new();
    assert_true(hn_webhook_secret_valid(fresh, &why));
    g_free(fresh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_vector),
        cmocka_unit_test(test_secret_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

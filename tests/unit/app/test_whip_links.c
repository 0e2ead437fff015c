/* Unit tests of server/app/whip_links.c (the Link rel="ice-server" headers of WHIP and WHEP,
 * RFC 9725 section 4.6) and of the [whip] keys that feed them (app/config.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "app/config.h"
#include "app/whip_links.h"

static void test_urls(void **state)
{
    (void)state;
    assert_true(hn_whip_ice_url_valid("stun:stun.example.net"));
    assert_true(hn_whip_ice_url_valid("stun:203.0.113.7:3478"));
    assert_true(hn_whip_ice_url_valid("turn:turn.example.net?transport=udp"));
    assert_true(hn_whip_ice_url_valid("turns:turn.example.net:5349?transport=tcp"));
    assert_false(hn_whip_ice_url_valid("http://example.net"));
    assert_false(hn_whip_ice_url_valid("stun:"));
    assert_false(hn_whip_ice_url_valid("stun:a b"));
    assert_false(hn_whip_ice_url_valid("stun:a>; rel=\"x\""));
    assert_false(hn_whip_ice_url_valid(NULL));
}

static void test_links_with_and_without_credentials(void **state)
{
    (void)state;
    char *servers[] = {"stun:stun.example.net", "turn:turn.example.net?transport=udp", NULL};
    char **l = hn_whip_ice_links(servers, "hoinghi", "pa\"ss", TRUE);
    assert_int_equal(g_strv_length(l), 2);
    assert_string_equal(l[0], "<stun:stun.example.net>; rel=\"ice-server\"");
    assert_string_equal(l[1], "<turn:turn.example.net?transport=udp>; rel=\"ice-server\"; "
                              "username=\"hoinghi\"; credential=\"pa\\\"ss\"; "
                              "credential-type=\"password\"");
    g_strfreev(l);
    l = hn_whip_ice_links(servers, "hoinghi", "secret", FALSE);
    assert_int_equal(g_strv_length(l), 2);
    assert_null(strstr(l[1], "secret"));
    assert_null(strstr(l[1], "username"));
    g_strfreev(l);
    l = hn_whip_ice_links(NULL, NULL, NULL, TRUE);
    assert_int_equal(g_strv_length(l), 0);
    g_strfreev(l);
}

static gboolean load(const char *text, HnConfig **out, GError **err)
{
    HnConfig *cfg = hn_config_new();
    gboolean ok = hn_config_load_data(cfg, text, -1, "test.conf", err);
    *out = cfg;
    return ok;
}

static void test_config_keys(void **state)
{
    (void)state;
    HnConfig *cfg;
    GError *err = NULL;
    assert_true(load("[whip]\nice_servers = stun:stun.example.net, turn:t.example.net:3478\n"
                     "ice_username = hn\nice_credential = s3cret\n",
                     &cfg, &err));
    assert_int_equal(g_strv_length(cfg->whip_ice_servers), 2);
    assert_string_equal(cfg->whip_ice_servers[1], "turn:t.example.net:3478");
    assert_string_equal(cfg->whip_ice_username, "hn");
    assert_string_equal(cfg->whip_ice_credential, "s3cret");
    hn_config_free(cfg);
    assert_false(load("[whip]\nice_servers = http://x\n", &cfg, &err));
    assert_non_null(strstr(err->message, "ice_servers"));
    g_clear_error(&err);
    hn_config_free(cfg);
    /* a credential without a username: refused, and the secret is not in the message */
    assert_false(load("[whip]\nice_servers = turn:t\nice_credential = s3cret\n", &cfg, &err));
    assert_null(strstr(err->message, "s3cret"));
    g_clear_error(&err);
    hn_config_free(cfg);
    assert_false(load("[whip]\nice_servers = stun:a,stun:b,stun:c,stun:d,stun:e,stun:f,stun:g\n",
                      &cfg, &err));
    g_clear_error(&err);
    hn_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_links_with_and_without_credentials),
        cmocka_unit_test(test_config_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

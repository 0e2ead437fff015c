/* Unit tests of server/gateway/sip_dial.c and the [sip] / [site:NAME] configuration keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "app/config.h"
#include "gateway/sip_dial.h"
#include "gateway/sip_tls.h"

static void test_dial_strings(void **state)
{
    HnSipDial d;
    assert_true(hn_sip_dial_parse("giao-ban", &d));
    assert_string_equal(d.room, "giao-ban");
    assert_string_equal(d.pin, "");
    assert_true(hn_sip_dial_parse("giao-ban*4321", &d));
    assert_string_equal(d.room, "giao-ban");
    assert_string_equal(d.pin, "4321");
    assert_false(hn_sip_dial_parse(NULL, &d));
    assert_false(hn_sip_dial_parse("", &d));
    assert_false(hn_sip_dial_parse("*4321", &d));
    assert_false(hn_sip_dial_parse("room*", &d));
    assert_false(hn_sip_dial_parse("room*12a", &d));
    assert_false(hn_sip_dial_parse("room*1*2", &d));
    assert_false(hn_sip_dial_parse("bad room", &d));
    assert_false(hn_sip_dial_parse("room*123456789012345678901234567890123", &d));
    char longroom[100];
    memset(longroom, 'a', sizeof longroom - 1);
    longroom[sizeof longroom - 1] = 0;
    assert_false(hn_sip_dial_parse(longroom, &d));
}

static HnConfig *load(const char *text)
{
    HnConfig *cfg = hn_config_new();
    GError *err = NULL;
    gboolean ok = hn_config_load_data(cfg, text, -1, "test.conf", &err);
    if (!ok) {
        g_clear_error(&err);
        hn_config_free(cfg);
        return NULL;
    }
    return cfg;
}

static void test_config_and_sites(void **state)
{
    HnConfig *cfg = load("[sip]\nlisten = 127.0.0.1:5070\nmedia_address = 127.0.0.2\n"
                         "requests_per_minute = 30\n"
                         "[site:UBND xã An Phú]\naddress = 192.0.2.10\ntrusted = true\n"
                         "srtp = required\n"
                         "[site:Hội trường B]\nuser = hallb\n");
    assert_non_null(cfg);
    assert_string_equal(cfg->sip_listen_host, "127.0.0.1");
    assert_int_equal(cfg->sip_listen_port, 5070);
    assert_string_equal(cfg->sip_media_address, "127.0.0.2");
    assert_int_equal(cfg->sip_requests_per_minute, 30);
    assert_int_equal(cfg->sites->len, 2);
    const HnSiteConfig *s = hn_sip_site_find(cfg, "192.0.2.10", "whoever");
    assert_non_null(s);
    assert_string_equal(s->name, "UBND xã An Phú");
    assert_true(s->trusted);
    assert_int_equal(s->srtp, HN_SITE_SRTP_REQUIRED);
    s = hn_sip_site_find(cfg, "192.0.2.99", "hallb");
    assert_non_null(s);
    assert_string_equal(s->name, "Hội trường B");
    assert_false(s->trusted);
    assert_int_equal(s->srtp, HN_SITE_SRTP_OPTIONAL);
    assert_null(hn_sip_site_find(cfg, "192.0.2.99", "other"));
    assert_null(hn_sip_site_find(cfg, NULL, NULL));
    g_autofree char *n1 = hn_sip_display_name(s, "ignored", "x");
    assert_string_equal(n1, "Hội trường B");
    hn_config_free(cfg);

    /* off when absent */
    cfg = load("[server]\n");
    assert_non_null(cfg);
    assert_null(cfg->sip_listen_host);
    hn_config_free(cfg);
    /* refused */
    assert_null(load("[sip]\nlisten = nowhere\n"));
    assert_null(load("[site:x]\ntrusted = true\n")); /* neither address nor user */
    assert_null(load("[site:x]\naddress = not-an-ip\n"));
    assert_null(load("[site:x]\nuser = u\nsrtp = maybe\n"));
    assert_null(load("[sip]\nlisten = 127.0.0.1:5060\nbogus = 1\n"));
    assert_null(load("[sip]\nlisten = 0.0.0.0:5060\n")); /* which address would the SDP name? */
    cfg = load("[sip]\nlisten = 0.0.0.0:5060\nmedia_address = 192.0.2.7\n");
    assert_non_null(cfg);
    hn_config_free(cfg);
}

/* [sip] tls_listen, certificate, private_key, session_expires, min_se. */
static void test_tls_and_session_timer_keys(void **state)
{
    char *pem = NULL;
    int fd = g_file_open_tmp("hn-sip-XXXXXX.pem", &pem, NULL);
    assert_true(fd >= 0);
    close(fd);
    HnConfig *cfg = load("[sip]\nlisten = 127.0.0.1:5060\n");
    assert_int_equal(cfg->sip_session_expires, 1800);
    assert_int_equal(cfg->sip_min_se, 90);
    assert_null(cfg->sip_tls_host);
    hn_config_free(cfg);
    g_autofree char *good = g_strdup_printf(
        "[sip]\nlisten = 127.0.0.1:5060\ntls_listen = 127.0.0.1:5061\ncertificate = %s\n"
        "private_key = %s\nsession_expires = 600\nmin_se = 120\n",
        pem, pem);
    cfg = load(good);
    assert_non_null(cfg);
    assert_string_equal(cfg->sip_tls_host, "127.0.0.1");
    assert_int_equal(cfg->sip_tls_port, 5061);
    assert_string_equal(cfg->sip_certificate, pem);
    assert_int_equal(cfg->sip_session_expires, 600);
    assert_int_equal(cfg->sip_min_se, 120);
    hn_config_free(cfg);
    /* refused: no key, no listen, an unreadable file, min_se above session_expires, < 90 */
    g_autofree char *nokey = g_strdup_printf(
        "[sip]\nlisten = 127.0.0.1:5060\ntls_listen = 127.0.0.1:5061\ncertificate = %s\n", pem);
    assert_null(load(nokey));
    g_autofree char *nolisten = g_strdup_printf(
        "[sip]\ntls_listen = 127.0.0.1:5061\ncertificate = %s\nprivate_key = %s\n", pem, pem);
    assert_null(load(nolisten));
    assert_null(load("[sip]\nlisten = 127.0.0.1:5060\ncertificate = /nonexistent/cert.pem\n"));
    assert_null(load("[sip]\nlisten = 127.0.0.1:5060\nsession_expires = 300\nmin_se = 400\n"));
    assert_null(load("[sip]\nlisten = 127.0.0.1:5060\nmin_se = 30\n"));
    /* the PEM files themselves are checked when the gateway starts (gateway/sip_tls.c) */
    GError *err = NULL;
    assert_null(hn_sip_tls_new("/nonexistent/cert.pem", pem, &err));
    assert_non_null(strstr(err->message, "SIP TLS: certificate /nonexistent/cert.pem"));
    g_clear_error(&err);
    assert_true(g_file_set_contents(pem, "not a certificate\n", -1, NULL));
    assert_null(hn_sip_tls_new(pem, pem, &err));
    assert_non_null(strstr(err->message, "no PEM certificate in it"));
    g_clear_error(&err);
    unlink(pem);
    g_free(pem);
}

/* Dial-out keys: [site:NAME] dial, [room:NAME] sites, [sip] redial_seconds; an unknown site or
 * one without dial in sites refuses the start with a clear message. */
static void test_dialout_config(void **state)
{
    (void)state;
    const char *base = "[sip]\nlisten = 127.0.0.1:5060\n"
                       "[site:UBND xã An Phú]\ndial = sip:anphu@192.0.2.20:5060\n"
                       "[site:Huyện]\ndial = sip:huyen@192.0.2.21\nsrtp = required\n";
    g_autofree char *ok =
        g_strconcat(base, "[room:giao-ban]\nsites = UBND xã An Phú , Huyện\n", NULL);
    HnConfig *cfg = load(ok);
    assert_non_null(cfg);
    assert_int_equal(cfg->sip_redial_seconds, 10);
    const HnRoomConfig *r = hn_config_find_room(cfg, "giao-ban");
    assert_non_null(r->sites);
    assert_string_equal(r->sites[0], "UBND xã An Phú");
    assert_string_equal(r->sites[1], "Huyện");
    assert_null(r->sites[2]);
    assert_string_equal(hn_config_find_site(cfg, "Huyện")->dial, "sip:huyen@192.0.2.21");
    hn_config_free(cfg);
    cfg = load("[sip]\nlisten = 127.0.0.1:5060\nredial_seconds = 1\n");
    assert_int_equal(cfg->sip_redial_seconds, 1);
    hn_config_free(cfg);

    HnConfig *c2 = hn_config_new();
    GError *err = NULL;
    g_autofree char *unknown = g_strconcat(base, "[room:giao-ban]\nsites = Xã Khác\n", NULL);
    assert_false(hn_config_load_data(c2, unknown, -1, "test.conf", &err));
    assert_non_null(strstr(err->message, "no [site:Xã Khác] group is declared"));
    assert_non_null(strstr(err->message, "[room:giao-ban] sites"));
    g_clear_error(&err);
    hn_config_free(c2);
    assert_null(load("[sip]\nlisten = 127.0.0.1:5060\n[site:a]\naddress = 192.0.2.1\n"
                     "[room:r]\nsites = a\n")); /* a has no dial */
    assert_null(load("[site:a]\ndial = sip:a@192.0.2.1\n[room:r]\nsites = a\n")); /* no [sip] */
    assert_null(load("[site:a]\ndial = http://x\n"));
    assert_null(load("[site:a]\ndial = sip:nohost\n"));
    assert_null(load("[site:a]\ndial = sip:@h\n"));
    assert_null(load("[room:r]\nsites = ,\n"));
    assert_null(load("[sip]\nlisten = 127.0.0.1:5060\nredial_seconds = 0\n"));
}

static void test_display_names(void **state)
{
    g_autofree char *a = hn_sip_display_name(NULL, "\"Hội trường\x01 xã\"", "u");
    assert_string_equal(a, "Hội trường xã");
    g_autofree char *b = hn_sip_display_name(NULL, NULL, "hallc");
    assert_string_equal(b, "hallc");
    g_autofree char *c = hn_sip_display_name(NULL, "", NULL);
    assert_string_equal(c, "SIP");
    g_autofree char *d = hn_sip_display_name(NULL, "\xff\xfe", NULL);
    assert_string_equal(d, "SIP");
    /* 64 bytes at most, never a cut UTF-8 sequence */
    GString *big = g_string_new(NULL);
    for (int i = 0; i < 40; i++)
        g_string_append(big, "ệ");
    g_autofree char *e = hn_sip_display_name(NULL, big->str, NULL);
    assert_true(strlen(e) <= 66);
    assert_true(g_utf8_validate(e, -1, NULL));
    g_string_free(big, TRUE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dial_strings),
        cmocka_unit_test(test_config_and_sites),
        cmocka_unit_test(test_dialout_config),
        cmocka_unit_test(test_display_names),
        cmocka_unit_test(test_tls_and_session_timer_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

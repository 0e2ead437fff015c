/* ICE credentials the server hands out: RFC 8839 ice-chars, long enough (ufrag >= 4, pwd >= 22),
 * unique, and the same for both ICE paths (the ICE-lite mux and a full libnice agent, whose own
 * GRand-based credentials are replaced). What a browser reads in a=ice-ufrag / a=ice-pwd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "transport/ice.h"
#include "transport/udp_mux.h"

static gboolean is_ice_chars(const char *s)
{
    for (; *s; s++) {
        if (!g_ascii_isalnum(*s) && *s != '+' && *s != '/')
            return FALSE;
    }
    return TRUE;
}

static void test_format_and_length(void **state)
{
    char buf[300];
    for (size_t n = 1; n <= 256; n++) {
        memset(buf, 'x', sizeof buf);
        assert_int_equal(hn_ice_random_string(buf, n), 0);
        assert_int_equal(strlen(buf), n);
        assert_true(is_ice_chars(buf));
    }
    assert_true(HN_ICE_CRED_UFRAG_LEN >= HN_ICE_UFRAG_MIN);
    assert_true(HN_ICE_CRED_PWD_LEN >= HN_ICE_PWD_MIN);
}

/* Every one of the 64 ice-chars shows up, none more than about twice as often as expected: the
 * mapping from random bytes covers the whole set without a visible bias. */
static void test_all_symbols_used(void **state)
{
    char buf[64001];
    assert_int_equal(hn_ice_random_string(buf, 64000), 0);
    guint counts[256] = {0};
    for (const char *p = buf; *p; p++)
        counts[(uint8_t)*p]++;
    guint used = 0;
    for (int c = 0; c < 256; c++) {
        if (counts[c]) {
            used++;
            assert_true(counts[c] > 500 && counts[c] < 2000); /* expected 1000 each */
        }
    }
    assert_int_equal(used, 64);
}

static void test_ten_thousand_ufrags_unique(void **state)
{
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (int i = 0; i < 10000; i++) {
        char ufrag[HN_ICE_CRED_UFRAG_LEN + 1];
        assert_int_equal(hn_ice_random_string(ufrag, HN_ICE_CRED_UFRAG_LEN), 0);
        assert_true(g_hash_table_add(seen, g_strdup(ufrag)));
    }
    assert_int_equal(g_hash_table_size(seen), 10000);
    g_hash_table_destroy(seen);
}

static void on_selected(void *user) {}

static void on_data(void *user, uint8_t *buf, size_t len, int64_t now_us) {}

/* The ICE-lite connections: what hn_webrtc_transport_ufrag/pwd put in the SDP. */
static void test_mux_connections(void **state)
{
    GMainContext *ctx = g_main_context_new();
    char *ips[] = {"127.0.0.1", NULL};
    GError *err = NULL;
    HnUdpMux *mux = hn_udp_mux_new(ctx, ips, 0, NULL, &err);
    assert_non_null(mux);
    const HnUdpMuxConnCallbacks cbs = {.on_selected = on_selected, .on_data = on_data};
    HnUdpMuxConn *conns[1000];
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (int i = 0; i < 1000; i++) {
        conns[i] = hn_udp_mux_conn_new(mux, &cbs, NULL);
        assert_non_null(conns[i]);
        const char *u = hn_udp_mux_conn_ufrag(conns[i]), *p = hn_udp_mux_conn_pwd(conns[i]);
        assert_int_equal(strlen(u), HN_ICE_CRED_UFRAG_LEN);
        assert_int_equal(strlen(p), HN_ICE_CRED_PWD_LEN);
        assert_true(is_ice_chars(u) && is_ice_chars(p));
        assert_true(g_hash_table_add(seen, (gpointer)u));
    }
    g_hash_table_destroy(seen);
    for (int i = 0; i < 1000; i++)
        hn_udp_mux_conn_free(conns[i]);
    hn_udp_mux_free(mux);
    g_main_context_unref(ctx);
}

/* A full-ICE agent: libnice's own credentials (4 and 22 characters from GRand) are replaced. */
static void test_libnice_agent(void **state)
{
    GMainContext *ctx = g_main_context_new();
    char *addrs[] = {"127.0.0.1", NULL};
    HnIceSettings s = {.addresses = addrs};
    char *first = NULL;
    for (int i = 0; i < 2; i++) {
        guint stream;
        NiceAgent *agent = hn_ice_agent_new(ctx, &s, TRUE, &stream);
        assert_non_null(agent);
        gchar *ufrag = NULL, *pwd = NULL;
        assert_true(nice_agent_get_local_credentials(agent, stream, &ufrag, &pwd));
        assert_int_equal(strlen(ufrag), HN_ICE_CRED_UFRAG_LEN);
        assert_int_equal(strlen(pwd), HN_ICE_CRED_PWD_LEN);
        assert_true(is_ice_chars(ufrag) && is_ice_chars(pwd));
        if (first)
            assert_string_not_equal(first, ufrag);
        else
            first = g_strdup(ufrag);
        g_free(ufrag);
        g_free(pwd);
        g_object_unref(agent);
    }
    g_free(first);
    while (g_main_context_iteration(ctx, FALSE))
        ;
    g_main_context_unref(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_and_length),
        cmocka_unit_test(test_all_symbols_used),
        cmocka_unit_test(test_ten_thousand_ufrags_unique),
        cmocka_unit_test(test_mux_connections),
        cmocka_unit_test(test_libnice_agent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* hn_sdp_frag_*: WHIP trickle / ICE restart fragments (RFC 8840). */
#include "sdp_test.h"

#include "sdp/sdp_frag.h"

static const char trickle[] =
    "a=ice-ufrag:EsAw\r\n"
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
    "m=audio 9 RTP/AVP 0\r\n"
    "a=mid:0\r\n"
    "a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host "
    "generation 0 ufrag EsAw network-id 1\r\n"
    "a=candidate:3471623853 1 udp 2122194687 198.51.100.2 61765 typ host\r\n"
    "a=candidate:2 1 udp 2122194687 abcd.local 61766 typ host\r\n"
    "a=end-of-candidates\r\n";

static void test_trickle(void **state)
{
    (void)state;
    HnSdpFrag f;
    GError *e = NULL;
    assert_true(hn_sdp_frag_parse(trickle, strlen(trickle), &f, &e));
    assert_string_equal(f.ufrag, "EsAw");
    assert_string_equal(f.pwd, "P2uYro0UCOQ4zxjKXaWCBui1");
    assert_string_equal(f.mid, "0");
    assert_int_equal(f.candidates->len, 2); /* the mDNS one is left out */
    assert_true(g_str_has_prefix(g_ptr_array_index(f.candidates, 0), "candidate:1387637174 "));
    assert_true(f.end_of_candidates);
    hn_sdp_frag_clear(&f);
    hn_sdp_frag_clear(&f); /* twice is fine */
    /* LF only, no credentials */
    const char *lf = "a=candidate:1 1 udp 1 127.0.0.1 5000 typ host\n";
    assert_true(hn_sdp_frag_parse(lf, strlen(lf), &f, &e));
    assert_null(f.ufrag);
    assert_int_equal(f.candidates->len, 1);
    assert_false(f.end_of_candidates);
    hn_sdp_frag_clear(&f);
    assert_true(hn_sdp_frag_parse("", 0, &f, &e)); /* empty: nothing to do */
    assert_int_equal(f.candidates->len, 0);
    hn_sdp_frag_clear(&f);
}

static void bad(const char *text, size_t len)
{
    HnSdpFrag f;
    GError *e = NULL;
    assert_false(hn_sdp_frag_parse(text, len, &f, &e));
    assert_non_null(e);
    assert_null(f.candidates);
    g_error_free(e);
}

static void test_malformed(void **state)
{
    (void)state;
    bad("hello world\r\n", 13);
    bad("a=candidate:garbage\r\n", 21);
    bad("a=ice-ufrag:\r\n", 14);
    bad("a=ice-pwd:sp ace\r\n", 18);
    bad("a=mid:0\0x", 9);
    GString *many = g_string_new(NULL);
    for (int i = 0; i <= HN_SDP_FRAG_MAX_CANDIDATES; i++)
        g_string_append_printf(many, "a=candidate:%d 1 udp 1 127.0.0.1 %d typ host\r\n", i,
                               5000 + i);
    bad(many->str, many->len);
    g_string_free(many, TRUE);
}

static void test_replace_and_write(void **state)
{
    (void)state;
    const char *sdp = "v=0\r\na=ice-ufrag:old1\r\na=ice-pwd:oldpasswordoldpassword\r\nm=audio 9 "
                      "UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:old1\r\na=mid:0\r\n";
    char *r = hn_sdp_frag_replace_credentials(sdp, "new2", "newpasswordnewpassword");
    assert_string_equal(r, "v=0\r\na=ice-ufrag:new2\r\na=ice-pwd:newpasswordnewpassword\r\nm=audio "
                           "9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:new2\r\na=mid:0\r\n");
    g_free(r);
    GPtrArray *c = g_ptr_array_new();
    g_ptr_array_add(c, "candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host");
    char *w = hn_sdp_frag_write(TRUE, "srv1", "serverpasswordserverpw", "0", c);
    HnSdpFrag f;
    GError *e = NULL;
    assert_true(hn_sdp_frag_parse(w, strlen(w), &f, &e));
    assert_true(g_str_has_prefix(w, "a=ice-lite\r\n"));
    assert_string_equal(f.ufrag, "srv1");
    assert_string_equal(f.mid, "0");
    assert_int_equal(f.candidates->len, 1);
    assert_true(f.end_of_candidates);
    hn_sdp_frag_clear(&f);
    g_free(w);
    g_ptr_array_free(c, TRUE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trickle),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_replace_and_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

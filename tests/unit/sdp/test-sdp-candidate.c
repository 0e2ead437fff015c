/* hn_sdp_candidate_parse / hn_sdp_candidate_format. */
#include "sdp_test.h"

#include "sdp/sdp_candidate.h"

static HnCandidate parse(const char *text)
{
    HnCandidate c;
    GError *e = NULL;
    if (hn_sdp_candidate_parse(text, &c, &e) != 0)
        fail_msg("parse of \"%s\" failed: %s", text, e->message);
    return c;
}

static void test_chromium(void **state)
{
    HnCandidate c = parse("candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr "
                          "10.0.0.1 rport 46154 generation 0 ufrag Kq3Z network-id 1 "
                          "network-cost 10");
    assert_string_equal(c.foundation, "842163049");
    assert_int_equal(c.component, 1);
    assert_int_equal(c.transport, HN_CAND_UDP);
    assert_int_equal(c.priority, 1677729535u);
    assert_string_equal(c.address, "203.0.113.7");
    assert_false(c.ipv6);
    assert_int_equal(c.port, 46154);
    assert_int_equal(c.type, HN_CAND_SRFLX);
    assert_string_equal(c.raddr, "10.0.0.1");
    assert_int_equal(c.rport, 46154);
    assert_int_equal(c.tcptype, HN_CAND_TCP_NONE);
}

static void test_variants(void **state)
{
    /* libnice style: upper-case transport, "a=" prefix, CRLF. */
    HnCandidate c = parse("a=candidate:1 1 UDP 2015363327 127.0.0.1 40123 typ host\r\n");
    assert_int_equal(c.transport, HN_CAND_UDP);
    assert_int_equal(c.type, HN_CAND_HOST);
    assert_string_equal(c.raddr, "");

    c = parse("candidate:2 1 udp 2122262783 2001:db8::1 50000 typ host generation 0");
    assert_true(c.ipv6);
    assert_string_equal(c.address, "2001:db8::1");

    c = parse("candidate:3 1 tcp 1518280447 192.168.1.5 9 typ host tcptype active generation 0");
    assert_int_equal(c.transport, HN_CAND_TCP);
    assert_int_equal(c.tcptype, HN_CAND_TCP_ACTIVE);
    assert_int_equal(c.port, 9);

    c = parse("candidate:4 1 udp 41885439 198.51.100.2 3478 typ relay raddr 203.0.113.7 rport "
              "46154");
    assert_int_equal(c.type, HN_CAND_RELAY);
    assert_string_equal(c.raddr, "203.0.113.7");

    c = parse("candidate:abc+/ 2 udp 1845501695 192.0.2.1 1 typ prflx");
    assert_int_equal(c.type, HN_CAND_PRFLX);
    assert_int_equal(c.component, 2);

    /* A hidden (mDNS) related address is skipped, not fatal. */
    c = parse("candidate:5 1 udp 1677729535 203.0.113.7 5000 typ srflx raddr "
              "0f4c7a8e-1234.local rport 0");
    assert_string_equal(c.raddr, "");

    /* Repeated blanks and a dangling extension token are tolerated. */
    c = parse("candidate:6  1 udp 100   192.0.2.1 7 typ host generation");
    assert_int_equal(c.port, 7);
}

static void test_mdns_unsupported(void **state)
{
    HnCandidate c;
    GError *e = NULL;
    int r = hn_sdp_candidate_parse("candidate:1 1 udp 2113937151 "
                                   "0f4c7a8e-1234-4bcd-9e1f-2a3b4c5d6e7f.local 54321 typ host "
                                   "generation 0 ufrag Kq3Z network-cost 999",
                                   &c, &e);
    assert_int_equal(r, -ENOTSUP);
    assert_true(g_error_matches(e, HN_SDP_ERROR, HN_SDP_ERROR_UNSUPPORTED));
    assert_non_null(strstr(e->message, "mDNS address"));
    g_clear_error(&e);
    r = hn_sdp_candidate_parse("candidate:1 1 udp 1 turn.example.org 3478 typ relay", &c, &e);
    assert_int_equal(r, -ENOTSUP);
    assert_non_null(strstr(e->message, "host name"));
    g_clear_error(&e);
}

static void test_malformed(void **state)
{
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"", "does not start with"},
        {"1 1 udp 1 10.0.0.1 1 typ host", "does not start with"},
        {"candidate:", "needs at least 8 fields, has 0"},
        {"candidate:1 1 udp 1 10.0.0.1 1 typ", "needs at least 8 fields"},
        {"candidate:1 0 udp 1 10.0.0.1 1 typ host", "component \"0\""},
        {"candidate:1 257 udp 1 10.0.0.1 1 typ host", "component"},
        {"candidate:1 x udp 1 10.0.0.1 1 typ host", "component"},
        {"candidate:1 1 sctp 1 10.0.0.1 1 typ host", "transport \"sctp\""},
        {"candidate:1 1 udp 0 10.0.0.1 1 typ host", "priority \"0\""},
        {"candidate:1 1 udp 4294967296 10.0.0.1 1 typ host", "priority"},
        {"candidate:1 1 udp -5 10.0.0.1 1 typ host", "priority"},
        {"candidate:1 1 udp 1 999.0.0.1 1 typ host", "not an IP address"},
        {"candidate:1 1 udp 1 fe80::1%eth0 1 typ host", "not an IP address"},
        {"candidate:1 1 udp 1 10.0.0.1 65536 typ host", "port \"65536\""},
        {"candidate:1 1 udp 1 10.0.0.1 port typ host", "port"},
        {"candidate:1 1 udp 1 10.0.0.1 1 type host", "expected \"typ\""},
        {"candidate:1 1 udp 1 10.0.0.1 1 typ hosted", "unknown type \"hosted\""},
        {"candidate:1 1 udp 1 10.0.0.1 1 typ srflx raddr 10.0.0.2 rport x", "port \"x\""},
        {"candidate:1 1 tcp 1 10.0.0.1 1 typ host tcptype sideways", "unknown tcptype"},
        {"candidate:f!o 1 udp 1 10.0.0.1 1 typ host", "foundation"},
        {"candidate:012345678901234567890123456789012 1 udp 1 10.0.0.1 1 typ host", "foundation"},
        {"candidate:1 1 udp 1 10.0.0.1 1 typ host\x01", "control character 0x01"},
        {"candidate:1 1 udp 1 10.0.0.1\n1 typ host", "control character 0x0a"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        HnCandidate c;
        GError *e = NULL;
        if (hn_sdp_candidate_parse(cases[i].text, &c, &e) != -EINVAL)
            fail_msg("\"%s\" did not fail", cases[i].text);
        assert_true(g_error_matches(e, HN_SDP_ERROR, HN_SDP_ERROR_PARSE));
        if (!strstr(e->message, cases[i].want))
            fail_msg("error \"%s\" lacks \"%s\"", e->message, cases[i].want);
        assert_string_equal(c.address, ""); /* cleared on failure */
        g_error_free(e);
    }
    HnCandidate c;
    GError *e = NULL;
    assert_int_equal(hn_sdp_candidate_parse(NULL, &c, &e), -EINVAL);
    g_clear_error(&e);
    char *huge = g_strnfill(2000, '1');
    char *line = g_strconcat("candidate:", huge, NULL);
    assert_int_equal(hn_sdp_candidate_parse(line, &c, &e), -EINVAL);
    assert_non_null(strstr(e->message, "longer than 1024"));
    g_clear_error(&e);
    g_free(huge);
    g_free(line);
}

static void test_format(void **state)
{
    const char *lines[] = {
        "candidate:1 1 udp 2015363327 127.0.0.1 40123 typ host",
        "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.0.0.1 rport "
        "46154",
        "candidate:3 1 tcp 1518280447 192.168.1.5 9 typ host tcptype active",
        "candidate:2 1 udp 2122262783 2001:db8::1 50000 typ host",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(lines); i++) {
        HnCandidate c = parse(lines[i]);
        GError *e = NULL;
        char *s = hn_sdp_candidate_format(&c, &e);
        assert_non_null(s);
        assert_string_equal(s, lines[i]);
        HnCandidate again = parse(s);
        assert_memory_equal(&c, &again, sizeof c);
        g_free(s);
    }
    HnCandidate c = parse(lines[0]);
    assert_string_equal(hn_sdp_candidate_type_name(c.type), "host");
    GError *e = NULL;
    strcpy(c.address, "not-an-ip");
    assert_null(hn_sdp_candidate_format(&c, &e));
    assert_true(g_error_matches(e, HN_SDP_ERROR, HN_SDP_ERROR_INVALID));
    g_clear_error(&e);
    c = parse(lines[0]);
    c.component = 0;
    assert_null(hn_sdp_candidate_format(&c, &e));
    g_clear_error(&e);
    c = parse(lines[0]);
    strcpy(c.foundation, "a b");
    assert_null(hn_sdp_candidate_format(&c, &e));
    g_clear_error(&e);
    c = parse(lines[0]);
    c.ipv6 = true; /* an IPv4 text with the IPv6 flag */
    assert_null(hn_sdp_candidate_format(&c, &e));
    g_clear_error(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chromium),         cmocka_unit_test(test_variants),
        cmocka_unit_test(test_mdns_unsupported), cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

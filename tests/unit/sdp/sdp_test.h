/* Helpers shared by the sdp unit tests. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "sdp/sdp.h"
#include "sdp/sdp_negotiate.h"

#ifndef HN_SDP_FIXTURES
#error "HN_SDP_FIXTURES must name the fixtures directory"
#endif

/* The server side used by the tests. */
static const HnSdpLocal test_local = {
    .ice_ufrag = "srvU",
    .ice_pwd = "serverPasswordOf24Chars+",
    .fingerprint_alg = "sha-256",
    .fingerprint = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
                   "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99",
    .session_id = 1234567890123ULL,
};

/* Contents of fixtures/<name>; transfer full. */
static inline char *load_fixture(const char *name, size_t *len)
{
    char *path = g_build_filename(HN_SDP_FIXTURES, name, NULL);
    char *text = NULL;
    gsize n = 0;
    GError *e = NULL;
    if (!g_file_get_contents(path, &text, &n, &e))
        fail_msg("cannot read %s: %s", path, e->message);
    g_free(path);
    if (len)
        *len = n;
    return text;
}

static inline HnSdp *parse_ok(const char *text)
{
    HnSdp *sdp = NULL;
    GError *e = NULL;
    int r = hn_sdp_parse(text, strlen(text), &sdp, &e);
    if (r != 0)
        fail_msg("parse failed: %s", e ? e->message : "?");
    assert_non_null(sdp);
    return sdp;
}

static inline HnSdp *parse_fixture(const char *name)
{
    char *text = load_fixture(name, NULL);
    HnSdp *sdp = parse_ok(text);
    g_free(text);
    return sdp;
}

/* Asserts that text fails to parse with a message containing `want`. */
static inline void expect_parse_error(const char *text, size_t len, const char *want)
{
    HnSdp *sdp = (HnSdp *)0x1;
    GError *e = NULL;
    int r = hn_sdp_parse(text, len, &sdp, &e);
    if (r == 0)
        fail_msg("parse of [%.80s] succeeded, wanted error \"%s\"", text ? text : "(null)", want);
    assert_null(sdp);
    assert_non_null(e);
    assert_true(g_error_matches(e, HN_SDP_ERROR, HN_SDP_ERROR_PARSE));
    if (!strstr(e->message, want))
        fail_msg("error \"%s\" lacks \"%s\"", e->message, want);
    g_error_free(e);
}

/* Replaces every occurrence of `from` by `to`; transfer full. */
static inline char *replace(const char *text, const char *from, const char *to)
{
    char **parts = g_strsplit(text, from, -1);
    char *out = g_strjoinv(to, parts);
    g_strfreev(parts);
    return out;
}

/* Whether text contains line (without its CRLF) as a whole line. */
static inline bool has_line(const char *text, const char *line)
{
    char *needle = g_strdup_printf("\n%s\r\n", line);
    bool found = strstr(text, needle) != NULL;
    g_free(needle);
    return found;
}

/* Unit tests of signaling/http_routes.c: route matching (exact, prefix, methods, HEAD, 404/405
 * with Allow), route validation, mount points and JSON body checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <glib.h>
#include <jansson.h>

#include "signaling/http.h"

static void h_a(void *user, HnHttpRequest *req)
{
    (void)user;
    (void)req;
}

static int tag_exact, tag_prefix, tag_deep, tag_post;

/* The tag (route user) matched for method on path, or NULL; checks the result kind too. */
static void *match(const HnHttpRoutes *r, HnHttpMethod m, const char *path, HnHttpMatch want,
                   unsigned *allow)
{
    const HnHttpRoute *route = (const HnHttpRoute *)1;
    HnHttpMatch got = hn_http_routes_match(r, m, path, &route, allow);
    if (got != want)
        fail_msg("%s %s: match %d, expected %d", hn_http_method_name(m), path, got, want);
    if (got != HN_HTTP_MATCH_FOUND) {
        assert_null(route);
        return NULL;
    }
    return route->user;
}

static void test_match(void **state)
{
    (void)state;
    HnHttpRoutes *r = hn_http_routes_new();
    assert_int_equal(hn_http_routes_add(r, HN_HTTP_GET, "/api/v1/rooms", 0, 0, h_a, &tag_exact), 0);
    assert_int_equal(
        hn_http_routes_add(r, HN_HTTP_GET, "/api/v1", HN_HTTP_ROUTE_PREFIX, 0, h_a, &tag_prefix),
        0);
    assert_int_equal(hn_http_routes_add(r, HN_HTTP_GET | HN_HTTP_DELETE, "/api/v1/rooms",
                                        HN_HTTP_ROUTE_PREFIX, 0, h_a, &tag_deep),
                     0);
    assert_int_equal(hn_http_routes_add(r, HN_HTTP_POST, "/api/v1/rooms", HN_HTTP_ROUTE_JSON, 1024,
                                        h_a, &tag_post),
                     0);
    unsigned allow = 0;
    /* exact beats prefix, for its method; POST has its own exact route on the same path */
    assert_ptr_equal(match(r, HN_HTTP_GET, "/api/v1/rooms", HN_HTTP_MATCH_FOUND, &allow),
                     &tag_exact);
    assert_ptr_equal(match(r, HN_HTTP_POST, "/api/v1/rooms", HN_HTTP_MATCH_FOUND, NULL), &tag_post);
    /* HEAD is answered by GET routes */
    assert_ptr_equal(match(r, HN_HTTP_HEAD, "/api/v1/rooms", HN_HTTP_MATCH_FOUND, NULL),
                     &tag_exact);
    /* the longer prefix wins below it; the shorter one elsewhere */
    assert_ptr_equal(match(r, HN_HTTP_GET, "/api/v1/rooms/a", HN_HTTP_MATCH_FOUND, NULL),
                     &tag_deep);
    assert_ptr_equal(match(r, HN_HTTP_DELETE, "/api/v1/rooms/a", HN_HTTP_MATCH_FOUND, NULL),
                     &tag_deep);
    assert_ptr_equal(match(r, HN_HTTP_GET, "/api/v1/other", HN_HTTP_MATCH_FOUND, NULL),
                     &tag_prefix);
    assert_ptr_equal(match(r, HN_HTTP_GET, "/api/v1", HN_HTTP_MATCH_FOUND, NULL), &tag_prefix);
    /* a prefix covers whole segments only */
    match(r, HN_HTTP_GET, "/api/v1x", HN_HTTP_MATCH_NOT_FOUND, NULL);
    match(r, HN_HTTP_GET, "/api", HN_HTTP_MATCH_NOT_FOUND, NULL);
    match(r, HN_HTTP_GET, "/", HN_HTTP_MATCH_NOT_FOUND, NULL);
    match(r, HN_HTTP_GET, "", HN_HTTP_MATCH_NOT_FOUND, NULL);
    /* 405 with every method the path takes */
    match(r, HN_HTTP_PUT, "/api/v1/rooms", HN_HTTP_MATCH_BAD_METHOD, &allow);
    g_autofree char *a1 = hn_http_allow_string(allow);
    assert_string_equal(a1, "GET, HEAD, POST, DELETE");
    match(r, HN_HTTP_POST, "/api/v1/rooms/a", HN_HTTP_MATCH_BAD_METHOD, &allow);
    g_autofree char *a2 = hn_http_allow_string(allow);
    assert_string_equal(a2, "GET, HEAD, DELETE");
    match(r, HN_HTTP_DELETE, "/api/v1/x", HN_HTTP_MATCH_BAD_METHOD, &allow);
    assert_int_equal(allow, HN_HTTP_GET | HN_HTTP_HEAD);
    /* an exact route does not cover what is below it */
    HnHttpRoutes *e = hn_http_routes_new();
    assert_int_equal(hn_http_routes_add(e, HN_HTTP_GET, "/metrics", 0, 0, h_a, &tag_exact), 0);
    match(e, HN_HTTP_GET, "/metrics/", HN_HTTP_MATCH_NOT_FOUND, NULL);
    match(e, HN_HTTP_GET, "/metrics/x", HN_HTTP_MATCH_NOT_FOUND, NULL);
    match(e, HN_HTTP_GET, "/METRICS", HN_HTTP_MATCH_NOT_FOUND, NULL);
    hn_http_routes_free(e);
    hn_http_routes_free(r);
    hn_http_routes_free(NULL);
}

static void test_add_invalid(void **state)
{
    (void)state;
    HnHttpRoutes *r = hn_http_routes_new();
    const char *bad[] = {"", "/", "metrics", "/a/", "/a//b", "/a b", "/a?x", "/a%20", "/é"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        if (hn_http_routes_add(r, HN_HTTP_GET, bad[i], 0, 0, h_a, NULL) != -EINVAL)
            fail_msg("path '%s' accepted", bad[i]);
    }
    assert_int_equal(hn_http_routes_add(r, 0, "/a", 0, 0, h_a, NULL), -EINVAL);
    assert_int_equal(hn_http_routes_add(r, 1 << 12, "/a", 0, 0, h_a, NULL), -EINVAL);
    assert_int_equal(
        hn_http_routes_add(r, HN_HTTP_POST, "/a", 0, HN_HTTP_BODY_MAX_LIMIT + 1, h_a, NULL),
        -EINVAL);
    assert_int_equal(hn_http_routes_add(r, HN_HTTP_GET, "/a", 1 << 7, 0, h_a, NULL), -EINVAL);
    assert_int_equal(hn_http_routes_add(r, HN_HTTP_GET, "/a-b_c.d~e/f2", 0, 0, h_a, NULL), 0);
    /* same path and kind: the methods must not overlap (GET implies HEAD) */
    assert_int_equal(hn_http_routes_add(r, HN_HTTP_GET, "/x", 0, 0, h_a, NULL), 0);
    assert_int_equal(hn_http_routes_add(r, HN_HTTP_HEAD, "/x", 0, 0, h_a, NULL), -EEXIST);
    assert_int_equal(hn_http_routes_add(r, HN_HTTP_POST, "/x", 0, 0, h_a, NULL), 0);
    assert_int_equal(hn_http_routes_add(r, HN_HTTP_GET, "/x", HN_HTTP_ROUTE_PREFIX, 0, h_a, NULL),
                     0);
    hn_http_routes_free(r);
}

static void test_mount_points_and_names(void **state)
{
    (void)state;
    HnHttpRoutes *r = hn_http_routes_new();
    hn_http_routes_add(r, HN_HTTP_GET, "/metrics", 0, 0, h_a, NULL);
    hn_http_routes_add(r, HN_HTTP_GET, "/api/v1/rooms", 0, 0, h_a, NULL);
    hn_http_routes_add(r, HN_HTTP_POST, "/api/v1/echo", 0, 0, h_a, NULL);
    hn_http_routes_add(r, HN_HTTP_GET, "/healthz", 0, 0, h_a, NULL);
    char **m = hn_http_routes_mount_points(r);
    assert_int_equal(g_strv_length(m), 3);
    assert_string_equal(m[0], "/metrics");
    assert_string_equal(m[1], "/api");
    assert_string_equal(m[2], "/healthz");
    g_strfreev(m);
    hn_http_routes_free(r);

    const char *names[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    for (unsigned i = 0; i < G_N_ELEMENTS(names); i++) {
        assert_string_equal(hn_http_method_name((HnHttpMethod)(1u << i)), names[i]);
        assert_int_equal(hn_http_method_from_name(names[i]), 1u << i);
    }
    assert_int_equal(hn_http_method_from_name("get"), 0);
    assert_int_equal(hn_http_method_from_name("BREW"), 0);
    assert_string_equal(hn_http_method_name(HN_HTTP_GET | HN_HTTP_POST), "UNKNOWN");
    g_autofree char *none = hn_http_allow_string(0);
    assert_string_equal(none, "");
}

static int body(const char *text, size_t max, json_t **out, char *err)
{
    return hn_http_parse_json_body(text, strlen(text), max, out, err, 200);
}

static void test_json_body(void **state)
{
    (void)state;
    json_t *v = NULL;
    char err[200];
    assert_int_equal(body("{\"a\":[1,2]}", 100, &v, err), 0);
    assert_non_null(v);
    assert_int_equal(json_array_size(json_object_get(v, "a")), 2);
    json_decref(v);
    assert_int_equal(body("", 100, &v, err), 0);
    assert_null(v);
    /* over the limit: 413, whatever it holds */
    assert_int_equal(body("{\"a\":1}", 6, &v, err), 413);
    assert_null(v);
    assert_non_null(strstr(err, "6 bytes"));
    assert_int_equal(body("{\"a\":1}", 7, &v, err), 0);
    json_decref(v);
    /* 400 with a reason for people */
    const char *bad[] = {"{",
                         "[]",
                         "42",
                         "\"s\"",
                         "null",
                         "{\"a\":1}{",
                         "{\"a\":1,\"a\":2}",
                         "{\"a\":\"\xff\"}",
                         "{\"a\":1} x"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        err[0] = 0;
        if (body(bad[i], 100, &v, err) != 400)
            fail_msg("body %s accepted", bad[i]);
        assert_null(v);
        assert_true(strlen(err) > 0);
        assert_true(g_utf8_validate(err, -1, NULL));
    }
    assert_int_equal(hn_http_parse_json_body("{\"a\":\"\0\"}", 9, 100, &v, err, sizeof err), 400);
    /* deep nesting is refused before jansson parses it */
    GString *deep = g_string_new("{\"a\":");
    for (int i = 0; i < 5000; i++)
        g_string_append_c(deep, '[');
    assert_int_equal(body(deep->str, 100000, &v, err), 400);
    assert_non_null(strstr(err, "nested"));
    g_string_free(deep, TRUE);

    char *e = hn_http_error_body("no \"such\" path");
    json_t *obj = json_loads(e, 0, NULL);
    assert_non_null(obj);
    assert_string_equal(json_string_value(json_object_get(obj, "error")), "no \"such\" path");
    assert_int_equal(e[strlen(e) - 1], '\n');
    json_decref(obj);
    g_free(e);
}

/* Range headers (RFC 9110 single byte ranges) of a 1000-byte body. */
static void test_range(void **state)
{
    unsigned long long a = 0, n = 0;
    assert_int_equal(hn_http_range_parse(NULL, 1000, &a, &n), 0);
    assert_int_equal(hn_http_range_parse("bytes=100-199", 1000, &a, &n), 1);
    assert_true(a == 100 && n == 100);
    assert_int_equal(hn_http_range_parse("bytes=990-", 1000, &a, &n), 1);
    assert_true(a == 990 && n == 10);
    assert_int_equal(hn_http_range_parse("bytes=-10", 1000, &a, &n), 1);
    assert_true(a == 990 && n == 10);
    assert_int_equal(hn_http_range_parse("bytes=-5000", 1000, &a, &n), 1);
    assert_true(a == 0 && n == 1000);
    assert_int_equal(hn_http_range_parse("bytes=10-99999", 1000, &a, &n), 1);
    assert_true(a == 10 && n == 990);
    assert_int_equal(hn_http_range_parse("bytes=1000-", 1000, &a, &n), -1);
    assert_int_equal(hn_http_range_parse("bytes=-0", 1000, &a, &n), -1);
    assert_int_equal(hn_http_range_parse("bytes=0-", 0, &a, &n), -1);
    /* ignored: the whole body */
    const char *ignored[] = {
        "items=0-1", "bytes=0-1,5-9", "bytes=5-1", "bytes=x-1",
        "bytes=-",   "bytes=1-2-3",   "bytes=",    "bytes=99999999999999999999-",
        NULL};
    for (int i = 0; ignored[i]; i++)
        assert_int_equal(hn_http_range_parse(ignored[i], 1000, &a, &n), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_add_invalid),
        cmocka_unit_test(test_mount_points_and_names),
        cmocka_unit_test(test_json_body),
        cmocka_unit_test(test_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

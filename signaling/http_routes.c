/* HTTP route table and request-body checks: the pure half of signaling/http.h. */
#include <errno.h>
#include <string.h>

#include <glib.h>
#include <jansson.h>

#include "signaling/http.h"
#include "signaling/protocol.h"

#define JSON_DEPTH_MAX 32

struct HnHttpRoutes {
    GPtrArray *routes; /* HnHttpRoute* */
};

static const char *const method_names[] = {"GET",   "HEAD",   "POST",   "PUT",
                                           "PATCH", "DELETE", "OPTIONS"};

static void route_free(gpointer data)
{
    HnHttpRoute *r = data;
    g_free(r->path);
    g_free(r);
}

HnHttpRoutes *hn_http_routes_new(void)
{
    HnHttpRoutes *r = g_new0(HnHttpRoutes, 1);
    r->routes = g_ptr_array_new_with_free_func(route_free);
    return r;
}

void hn_http_routes_free(HnHttpRoutes *r)
{
    if (!r)
        return;
    g_ptr_array_free(r->routes, TRUE);
    g_free(r);
}

/* "/" then segments of [A-Za-z0-9._~-] separated by single "/", no trailing "/". */
static bool route_path_valid(const char *path)
{
    size_t len = path ? strlen(path) : 0;
    if (len < 2 || path[0] != '/' || path[len - 1] == '/' || len > HN_HTTP_PATH_MAX)
        return false;
    for (size_t i = 1; i < len; i++) {
        char c = path[i];
        if (c == '/' && path[i - 1] == '/')
            return false;
        if (c != '/' && !g_ascii_isalnum(c) && !strchr("._~-", c))
            return false;
    }
    return true;
}

int hn_http_routes_add(HnHttpRoutes *r, unsigned methods, const char *path, unsigned flags,
                       size_t max_body, HnHttpHandler fn, void *user)
{
    g_return_val_if_fail(r != NULL && fn != NULL, -EINVAL);
    unsigned all = (1u << G_N_ELEMENTS(method_names)) - 1;
    if (methods == 0 || (methods & ~all) || !route_path_valid(path) ||
        max_body > HN_HTTP_BODY_MAX_LIMIT ||
        (flags & ~(unsigned)(HN_HTTP_ROUTE_PREFIX | HN_HTTP_ROUTE_JSON)))
        return -EINVAL;
    if (methods & HN_HTTP_GET)
        methods |= HN_HTTP_HEAD;
    for (guint i = 0; i < r->routes->len; i++) {
        const HnHttpRoute *o = r->routes->pdata[i];
        if (strcmp(o->path, path) == 0 &&
            (o->flags & HN_HTTP_ROUTE_PREFIX) == (flags & HN_HTTP_ROUTE_PREFIX) &&
            (o->methods & methods))
            return -EEXIST;
    }
    HnHttpRoute *route = g_new0(HnHttpRoute, 1);
    route->path = g_strdup(path);
    route->methods = methods;
    route->flags = flags;
    route->max_body = max_body ? max_body : HN_HTTP_BODY_MAX_DEFAULT;
    route->fn = fn;
    route->user = user;
    g_ptr_array_add(r->routes, route);
    return 0;
}

/* How well route covers path: 0 not at all, else higher is better (exact beats any prefix). */
static size_t coverage(const HnHttpRoute *route, const char *path)
{
    size_t n = strlen(route->path);
    if (strncmp(path, route->path, n) != 0)
        return 0;
    if (path[n] == '\0')
        return (route->flags & HN_HTTP_ROUTE_PREFIX) ? n : HN_HTTP_PATH_MAX + 1;
    if ((route->flags & HN_HTTP_ROUTE_PREFIX) && path[n] == '/')
        return n;
    return 0;
}

HnHttpMatch hn_http_routes_match(const HnHttpRoutes *r, HnHttpMethod method, const char *path,
                                 const HnHttpRoute **route, unsigned *allow)
{
    g_return_val_if_fail(r != NULL && path != NULL && route != NULL, HN_HTTP_MATCH_NOT_FOUND);
    const HnHttpRoute *best = NULL;
    size_t best_cov = 0;
    unsigned methods = 0;
    for (guint i = 0; i < r->routes->len; i++) {
        const HnHttpRoute *o = r->routes->pdata[i];
        size_t cov = coverage(o, path);
        if (cov == 0)
            continue;
        methods |= o->methods;
        if ((o->methods & method) && cov > best_cov) {
            best = o;
            best_cov = cov;
        }
    }
    *route = best;
    if (allow)
        *allow = methods;
    if (best)
        return HN_HTTP_MATCH_FOUND;
    return methods ? HN_HTTP_MATCH_BAD_METHOD : HN_HTTP_MATCH_NOT_FOUND;
}

char **hn_http_routes_mount_points(const HnHttpRoutes *r)
{
    GPtrArray *out = g_ptr_array_new();
    for (guint i = 0; i < r->routes->len; i++) {
        const char *path = ((const HnHttpRoute *)r->routes->pdata[i])->path;
        const char *end = strchr(path + 1, '/');
        char *mount = end ? g_strndup(path, (gsize)(end - path)) : g_strdup(path);
        gboolean seen = FALSE;
        for (guint k = 0; k < out->len && !seen; k++)
            seen = strcmp(out->pdata[k], mount) == 0;
        if (seen)
            g_free(mount);
        else
            g_ptr_array_add(out, mount);
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

const char *hn_http_method_name(HnHttpMethod m)
{
    for (guint i = 0; i < G_N_ELEMENTS(method_names); i++) {
        if ((unsigned)m == 1u << i)
            return method_names[i];
    }
    return "UNKNOWN";
}

HnHttpMethod hn_http_method_from_name(const char *name)
{
    for (guint i = 0; name && i < G_N_ELEMENTS(method_names); i++) {
        if (strcmp(name, method_names[i]) == 0)
            return (HnHttpMethod)(1u << i);
    }
    return 0;
}

char *hn_http_allow_string(unsigned methods)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < G_N_ELEMENTS(method_names); i++) {
        if (methods & (1u << i))
            g_string_append_printf(s, "%s%s", s->len ? ", " : "", method_names[i]);
    }
    return g_string_free(s, FALSE);
}

int hn_http_parse_json_body(const char *data, size_t len, size_t max, json_t **out, char *err,
                            size_t errcap)
{
    *out = NULL;
    if (len > max) {
        g_snprintf(err, errcap, "the body is over %zu bytes", max);
        return 413;
    }
    if (len == 0)
        return 0;
    if (memchr(data, '\0', len)) {
        g_snprintf(err, errcap, "the body holds a NUL byte");
        return 400;
    }
    if (hn_proto_json_too_deep(data, len, JSON_DEPTH_MAX)) {
        g_snprintf(err, errcap, "JSON nested deeper than %d levels", JSON_DEPTH_MAX);
        return 400;
    }
    json_error_t jerr;
    json_t *v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        g_snprintf(err, errcap, "invalid JSON at byte %d: %s", jerr.position, jerr.text);
        /* jansson may quote input: keep the valid UTF-8 prefix */
        const char *end = NULL;
        if (!g_utf8_validate(err, -1, &end))
            err[end - err] = '\0';
        return 400;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        g_snprintf(err, errcap, "the body must be a JSON object");
        return 400;
    }
    *out = v;
    return 0;
}

char *hn_http_error_body(const char *message)
{
    json_t *obj = json_object();
    json_object_set_new(obj, "error", json_string(message ? message : ""));
    char *text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    char *out = g_strdup_printf("%s\n", text ? text : "{\"error\":\"\"}");
    free(text);
    return out;
}

/* A decimal number of at most 19 digits, all of s[0..n). */
static gboolean range_number(const char *s, size_t n, unsigned long long *out)
{
    if (n == 0 || n > 19)
        return FALSE;
    unsigned long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!g_ascii_isdigit(s[i]))
            return FALSE;
        v = v * 10 + (unsigned long long)(s[i] - '0');
    }
    *out = v;
    return TRUE;
}

int hn_http_range_parse(const char *header, unsigned long long size, unsigned long long *start,
                        unsigned long long *len)
{
    if (!header)
        return 0;
    while (*header == ' ')
        header++;
    if (g_ascii_strncasecmp(header, "bytes=", 6) != 0)
        return 0;
    const char *spec = header + 6;
    while (*spec == ' ')
        spec++;
    size_t n = strlen(spec);
    while (n && spec[n - 1] == ' ')
        n--;
    const char *dash = memchr(spec, '-', n);
    if (!dash || memchr(spec, ',', n))
        return 0; /* malformed or several ranges: the whole body */
    size_t a_len = (size_t)(dash - spec), b_len = n - a_len - 1;
    unsigned long long a = 0, b = 0;
    if (a_len == 0) { /* "-n": the last n bytes */
        if (!range_number(dash + 1, b_len, &b))
            return 0;
        if (b == 0 || size == 0)
            return -1;
        *len = MIN(b, size);
        *start = size - *len;
        return 1;
    }
    if (!range_number(spec, a_len, &a))
        return 0;
    if (b_len == 0)
        b = size ? size - 1 : 0;
    else if (!range_number(dash + 1, b_len, &b) || b < a)
        return 0;
    if (a >= size)
        return -1;
    b = MIN(b, size - 1);
    *start = a;
    *len = b - a + 1;
    return 1;
}

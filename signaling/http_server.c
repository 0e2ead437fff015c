/* The request half of signaling/http.h on libwebsockets: reads a request's method, path and
 * body, dispatches it through the route table, and writes the reply when the handler gives it
 * (at once or later). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <jansson.h>

#include "signaling/http_lws.h"

#define DRAIN_MAX   (1024 * 1024) /* an unwanted body up to this is read and dropped */
#define WRITE_CHUNK (16 * 1024)
#define FILE_CHUNK  (64 * 1024) /* bytes of a file body per writable callback */

struct HnHttpRequest {
    struct lws *wsi; /* NULL once the connection is gone */
    HnHttpMethod method;
    char *path, *query;
    const char *subpath; /* into path */
    char *authorization; /* the Authorization header, NULL when none */
    char *set_cookie;    /* a Set-Cookie value for the reply, NULL when none */
    char *cookie;        /* the Cookie header, NULL when none */
    char *range;         /* the Range header, NULL when none */
    char *req_type;      /* the Content-Type header, NULL when none */
    char *if_match;      /* the If-Match header, NULL when none */
    GPtrArray *headers;  /* extra reply headers: "name:", value, ...; NULL when none */
    char peer[64];       /* the client's address */
    /* dispatch: the route's handler, or an error status decided before the body was read */
    HnHttpHandler fn;
    void *user;
    unsigned flags;
    size_t max_body;
    int early_status; /* 404, 405, 413, 414: answered without the handler */
    char *allow;      /* for 405 */
    gboolean body_expected, body_over;
    GString *body;
    json_t *json;
    /* the reply */
    gboolean replied, headers_sent, close_after;
    int status;
    char *content_type;
    GString *out;
    size_t out_off;
    int file_fd;                 /* hn_http_reply_file: -1 when the body is out */
    guint64 file_off, file_left; /* what of it is still to send */
    unsigned char *file_buf;     /* LWS_PRE + FILE_CHUNK bytes, allocated once per reply */
};

static void request_free(HnHttpRequest *req)
{
    if (!req)
        return;
    g_free(req->path);
    g_free(req->query);
    if (req->authorization)
        memset(req->authorization, 0, strlen(req->authorization));
    g_free(req->authorization);
    g_free(req->set_cookie);
    if (req->cookie)
        memset(req->cookie, 0, strlen(req->cookie));
    g_free(req->cookie);
    g_free(req->range);
    g_free(req->req_type);
    g_free(req->if_match);
    g_free(req->file_buf);
    if (req->file_fd >= 0)
        close(req->file_fd);
    if (req->headers)
        g_ptr_array_free(req->headers, TRUE);
    g_free(req->allow);
    g_string_free(req->body, TRUE);
    if (req->json)
        json_decref(req->json);
    g_free(req->content_type);
    if (req->out)
        g_string_free(req->out, TRUE);
    g_free(req);
}

HnHttpMethod hn_http_request_method(const HnHttpRequest *req)
{
    return req->method;
}

const char *hn_http_request_path(const HnHttpRequest *req)
{
    return req->path;
}

const char *hn_http_request_subpath(const HnHttpRequest *req)
{
    return req->subpath ? req->subpath : "";
}

const char *hn_http_request_query(const HnHttpRequest *req)
{
    return req->query ? req->query : "";
}

const char *hn_http_request_authorization(const HnHttpRequest *req)
{
    return req->authorization;
}

char *hn_http_request_cookie(const HnHttpRequest *req, const char *name)
{
    if (!req->cookie || !name)
        return NULL;
    size_t n = strlen(name);
    char *found = NULL;
    g_auto(GStrv) parts = g_strsplit(req->cookie, ";", 0);
    for (guint i = 0; parts[i] && !found; i++) {
        const char *v = parts[i];
        while (*v == ' ')
            v++;
        if (strncmp(v, name, n) == 0 && v[n] == '=' && v[n + 1])
            found = g_strdup(v + n + 1);
    }
    return found;
}

void hn_http_request_add_header(HnHttpRequest *req, const char *name, const char *value)
{
    g_return_if_fail(name && value && strlen(value) <= 1024);
    if (!req->headers)
        req->headers = g_ptr_array_new_with_free_func(g_free);
    if (req->headers->len >= 2 * 12) /* 12 headers: WHIP's Location, ETag, Link... */
        return;
    g_ptr_array_add(req->headers, g_strconcat(name, ":", NULL));
    g_ptr_array_add(req->headers, g_strdup(value));
}

void hn_http_request_set_cookie(HnHttpRequest *req, const char *cookie)
{
    g_free(req->set_cookie);
    req->set_cookie = g_strdup(cookie);
}

const char *hn_http_request_peer(const HnHttpRequest *req)
{
    return req->peer;
}

json_t *hn_http_request_json(const HnHttpRequest *req)
{
    return req->json;
}

const char *hn_http_request_body(const HnHttpRequest *req, size_t *len)
{
    if (len)
        *len = req->body->len;
    return req->body->str;
}

bool hn_http_request_is_gone(const HnHttpRequest *req)
{
    return req->wsi == NULL;
}

void hn_http_reply(HnHttpRequest *req, int status, const char *content_type, const char *body,
                   size_t len)
{
    g_return_if_fail(req != NULL && !req->replied);
    if (!req->wsi) {
        request_free(req);
        return;
    }
    req->replied = TRUE;
    req->status = status;
    req->content_type = g_strdup(content_type ? content_type : "text/plain");
    req->out = g_string_new_len(body, (gssize)len);
    lws_callback_on_writable(req->wsi);
}

void hn_http_reply_file(HnHttpRequest *req, int status, const char *content_type, int fd,
                        unsigned long long offset, unsigned long long length)
{
    g_return_if_fail(req != NULL && !req->replied && fd >= 0);
    if (req->wsi) {
        req->file_fd = fd; /* closed by request_free */
        req->file_off = offset;
        req->file_left = length;
    } else {
        close(fd);
    }
    hn_http_reply(req, status, content_type, NULL, 0);
}

const char *hn_http_request_range(const HnHttpRequest *req)
{
    return req->range;
}

const char *hn_http_request_content_type(const HnHttpRequest *req)
{
    return req->req_type;
}

const char *hn_http_request_if_match(const HnHttpRequest *req)
{
    return req->if_match;
}

void hn_http_reply_json(HnHttpRequest *req, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (body)
        json_decref(body);
    if (!text) {
        hn_http_reply_error(req, 500, "cannot write the reply");
        return;
    }
    GString *s = g_string_new(text);
    free(text);
    g_string_append_c(s, '\n');
    hn_http_reply(req, status, "application/json", s->str, s->len);
    g_string_free(s, TRUE);
}

void hn_http_reply_error(HnHttpRequest *req, int status, const char *message)
{
    char *text = hn_http_error_body(message);
    hn_http_reply(req, status, "application/json", text, strlen(text));
    g_free(text);
}

/* ---- reading ---- */

static HnHttpMethod method_of(struct lws *wsi, char **uri)
{
    static const HnHttpMethod by_lws[] = {
        [LWSHUMETH_GET] = HN_HTTP_GET,         [LWSHUMETH_POST] = HN_HTTP_POST,
        [LWSHUMETH_OPTIONS] = HN_HTTP_OPTIONS, [LWSHUMETH_PUT] = HN_HTTP_PUT,
        [LWSHUMETH_PATCH] = HN_HTTP_PATCH,     [LWSHUMETH_DELETE] = HN_HTTP_DELETE,
        [LWSHUMETH_HEAD] = HN_HTTP_HEAD,
    };
    char *p = NULL;
    int n = 0, m = lws_http_get_uri_and_method(wsi, &p, &n);
    if (m < 0 || !p || n <= 0)
        return 0;
    *uri = g_strndup(p, (gsize)n);
    if (m == LWSHUMETH_COLON_PATH) { /* HTTP/2: the method is a header */
        char name[16];
        if (lws_hdr_copy(wsi, name, sizeof name, WSI_TOKEN_HTTP_COLON_METHOD) <= 0)
            return 0;
        return hn_http_method_from_name(name);
    }
    return (unsigned)m < G_N_ELEMENTS(by_lws) ? by_lws[m] : 0;
}

/* A request header of at most max - 1 bytes, NULL when absent or longer. transfer full. */
static char *header_copy(struct lws *wsi, enum lws_token_indexes token, int max)
{
    int len = lws_hdr_total_length(wsi, token);
    if (len <= 0 || len >= max)
        return NULL;
    char *v = g_malloc0((gsize)len + 1);
    if (lws_hdr_copy(wsi, v, len + 1, token) <= 0)
        g_clear_pointer(&v, g_free);
    return v;
}

/* Content-Length, or -1 when absent or not a number. */
static gint64 content_length(struct lws *wsi)
{
    char buf[32];
    if (lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
        return -1;
    char *end = NULL;
    guint64 v = g_ascii_strtoull(buf, &end, 10);
    return end && *end == '\0' && v <= G_MAXINT64 ? (gint64)v : -1;
}

static void answer_early(HnHttpRequest *req)
{
    switch (req->early_status) {
    case 405: {
        char *msg = g_strdup_printf("%s is not allowed on %s (allowed: %s)",
                                    hn_http_method_name(req->method), req->path, req->allow);
        hn_http_reply_error(req, 405, msg);
        g_free(msg);
        break;
    }
    case 413: {
        char *msg = g_strdup_printf("the body is over %zu bytes", req->max_body);
        hn_http_reply_error(req, 413, msg);
        g_free(msg);
        break;
    }
    case 414:
        hn_http_reply_error(req, 414, "the path is too long");
        break;
    case 400:
        hn_http_reply_error(req, 400, "bad request line");
        break;
    default:
        hn_http_reply_error(req, 404, "no such path");
        break;
    }
}

/* The body (if any) is read: check it and call the handler, or answer the early error. */
static void dispatch(HnHttpRequest *req)
{
    if (req->early_status || req->body_over) {
        if (!req->early_status)
            req->early_status = 413;
        answer_early(req);
        return;
    }
    if ((req->flags & HN_HTTP_ROUTE_JSON) && req->body->len) {
        char err[200];
        int st = hn_http_parse_json_body(req->body->str, req->body->len, req->max_body, &req->json,
                                         err, sizeof err);
        if (st) {
            hn_http_reply_error(req, st, err);
            return;
        }
    }
    req->fn(req->user, req);
}

/* The query string, %-escaped again: libwebsockets keeps each "k=v" argument already decoded
 * (so an escaped '&' or '=' would be ambiguous once joined). transfer full; NULL when none. */
static char *query_of(struct lws *wsi)
{
    GString *q = g_string_new(NULL);
    char frag[1024];
    for (int i = 0; i < 64; i++) {
        int n = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0)
            break;
        char *eq = strchr(frag, '=');
        if (eq)
            *eq = '\0';
        g_autofree char *k = g_uri_escape_string(frag, NULL, FALSE);
        g_autofree char *v = eq ? g_uri_escape_string(eq + 1, NULL, FALSE) : NULL;
        g_string_append_printf(q, "%s%s%s%s", q->len ? "&" : "", k, v ? "=" : "", v ? v : "");
    }
    return g_string_free(q, q->len == 0);
}

static void on_request(HnHttpRoutes *routes, struct lws *wsi, HnHttpSession *hs)
{
    HnHttpRequest *req = g_new0(HnHttpRequest, 1);
    req->wsi = wsi;
    req->file_fd = -1;
    req->body = g_string_new(NULL);
    hs->req = req;
    char *uri = NULL;
    req->method = method_of(wsi, &uri);
    req->path = uri ? uri : g_strdup("/");
    req->query = query_of(wsi);
    int alen = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (alen > 0 && alen < 1024) {
        req->authorization = g_malloc0((gsize)alen + 1);
        if (lws_hdr_copy(wsi, req->authorization, alen + 1, WSI_TOKEN_HTTP_AUTHORIZATION) <= 0)
            g_clear_pointer(&req->authorization, g_free);
    }
    int clen_c = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_COOKIE);
    if (clen_c > 0 && clen_c < 4096) {
        req->cookie = g_malloc0((gsize)clen_c + 1);
        if (lws_hdr_copy(wsi, req->cookie, clen_c + 1, WSI_TOKEN_HTTP_COOKIE) <= 0)
            g_clear_pointer(&req->cookie, g_free);
    }
    int rlen = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_RANGE);
    if (rlen > 0 && rlen < 256) {
        req->range = g_malloc0((gsize)rlen + 1);
        if (lws_hdr_copy(wsi, req->range, rlen + 1, WSI_TOKEN_HTTP_RANGE) <= 0)
            g_clear_pointer(&req->range, g_free);
    }
    req->req_type = header_copy(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, 256);
    req->if_match = header_copy(wsi, WSI_TOKEN_HTTP_IF_MATCH, 256);
    lws_get_peer_simple(wsi, req->peer, sizeof req->peer);

    gint64 clen = content_length(wsi);
    req->body_expected =
        clen > 0 || lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
    req->max_body = HN_HTTP_BODY_MAX_DEFAULT;
    const HnHttpRoute *route = NULL;
    unsigned allow = 0;
    if (!req->method)
        req->early_status = 400;
    else if (strlen(req->path) > HN_HTTP_PATH_MAX)
        req->early_status = 414;
    else {
        switch (hn_http_routes_match(routes, req->method, req->path, &route, &allow)) {
        case HN_HTTP_MATCH_FOUND:
            req->fn = route->fn;
            req->user = route->user;
            req->flags = route->flags;
            req->max_body = route->max_body;
            req->subpath = req->path + strlen(route->path);
            break;
        case HN_HTTP_MATCH_BAD_METHOD:
            req->early_status = 405;
            req->allow = hn_http_allow_string(allow);
            break;
        case HN_HTTP_MATCH_NOT_FOUND:
            req->early_status = 404;
            break;
        }
    }
    if (!req->early_status && clen > (gint64)req->max_body)
        req->early_status = 413;
    /* A body is read (and dropped when unwanted) before answering, so that the reply is not
     * lost to the TCP reset that closing over unread data causes; a larger one is refused at
     * once and the connection closed. */
    if (req->body_expected && (clen < 0 || clen <= DRAIN_MAX))
        return; /* dispatched at LWS_CALLBACK_HTTP_BODY_COMPLETION */
    req->close_after = req->body_expected;
    req->body_expected = FALSE;
    dispatch(req);
}

static void on_body(HnHttpRequest *req, const void *in, size_t len)
{
    if (req->early_status || req->body_over)
        return;
    if (req->body->len + len > req->max_body) {
        req->body_over = TRUE;
        g_string_truncate(req->body, 0);
        return;
    }
    g_string_append_len(req->body, in, (gssize)len);
}

/* ---- writing ---- */

/* The headers of hn_http_request_add_header. Nonzero when they do not fit. */
static int add_extra_headers(struct lws *wsi, HnHttpRequest *req, unsigned char **p,
                             unsigned char *end)
{
    for (guint i = 0; req->headers && i + 1 < req->headers->len; i += 2) {
        const char *v = req->headers->pdata[i + 1];
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)req->headers->pdata[i],
                                        (const unsigned char *)v, (int)strlen(v), p, end))
            return 1;
    }
    return 0;
}

/* The next piece of a file body (read with pread: the file stays open, never loaded whole).
 * -1: a read or write failed (the connection is closed: the length was promised). */
static int write_file_chunk(struct lws *wsi, HnHttpRequest *req)
{
    size_t n = (size_t)MIN((guint64)FILE_CHUNK, req->file_left);
    if (!req->file_buf)
        req->file_buf = g_malloc(LWS_PRE + FILE_CHUNK);
    unsigned char *buf = req->file_buf;
    ssize_t got;
    do
        got = pread(req->file_fd, buf + LWS_PRE, n, (off_t)req->file_off);
    while (got < 0 && errno == EINTR);
    if (got <= 0)
        return -1;
    gboolean last = (guint64)got == req->file_left;
    int w =
        lws_write(wsi, buf + LWS_PRE, (size_t)got, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
    if (w < (int)got)
        return -1;
    req->file_off += (guint64)got;
    req->file_left -= (guint64)got;
    return 0;
}

/* Writes the headers or the next piece of the body. -1: close the connection. */
static int on_writable(struct lws *wsi, HnHttpSession *hs)
{
    HnHttpRequest *req = hs->req;
    if (!req || !req->replied)
        return 0;
    gboolean head = req->method == HN_HTTP_HEAD;
    if (!req->headers_sent) {
        unsigned char buf[LWS_PRE + 8192], *start = buf + LWS_PRE, *p = start,
                                           *end = buf + sizeof buf - 1;
        if (lws_add_http_common_headers(wsi, (unsigned)req->status, req->content_type,
                                        req->file_fd >= 0 ? req->file_left : req->out->len, &p,
                                        end) ||
            lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                        (const unsigned char *)"no-store", 8, &p, end) ||
            (req->allow && lws_add_http_header_by_name(wsi, (const unsigned char *)"allow:",
                                                       (const unsigned char *)req->allow,
                                                       (int)strlen(req->allow), &p, end)) ||
            (req->set_cookie &&
             lws_add_http_header_by_name(
                 wsi, (const unsigned char *)"set-cookie:", (const unsigned char *)req->set_cookie,
                 (int)strlen(req->set_cookie), &p, end)) ||
            add_extra_headers(wsi, req, &p, end) ||
            (req->close_after &&
             lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
                                         (const unsigned char *)"close", 5, &p, end)) ||
            lws_finalize_write_http_header(wsi, start, &p, end))
            return -1;
        req->headers_sent = TRUE;
        if (!head && (req->out->len || req->file_left)) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    } else if (!head && req->file_left) {
        if (write_file_chunk(wsi, req) < 0)
            return -1;
        if (req->file_left) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    } else if (!head && req->out_off < req->out->len) {
        size_t n = MIN((size_t)WRITE_CHUNK, req->out->len - req->out_off);
        gboolean last = req->out_off + n == req->out->len;
        unsigned char *buf = g_malloc(LWS_PRE + n);
        memcpy(buf + LWS_PRE, req->out->str + req->out_off, n);
        int w = lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
        g_free(buf);
        if (w < (int)n)
            return -1;
        req->out_off += n;
        if (!last) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    gboolean close = req->close_after;
    hs->req = NULL;
    request_free(req);
    if (close)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int hn_http_lws_callback(HnHttpRoutes *routes, struct lws *wsi, enum lws_callback_reasons reason,
                         HnHttpSession *hs, void *in, size_t len)
{
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        if (hs->req) { /* a new request on a kept-alive connection before the last was answered */
            if (hs->req->replied)
                request_free(hs->req);
            else
                hs->req->wsi = NULL;
            hs->req = NULL;
        }
        on_request(routes, wsi, hs);
        return 0;
    case LWS_CALLBACK_HTTP_BODY:
        if (hs->req && hs->req->body_expected)
            on_body(hs->req, in, len);
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (hs->req && hs->req->body_expected) {
            hs->req->body_expected = FALSE;
            dispatch(hs->req);
        }
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return on_writable(wsi, hs);
    case LWS_CALLBACK_CLOSED_HTTP:
        if (hs->req) {
            if (hs->req->replied)
                request_free(hs->req);
            else
                hs->req->wsi = NULL; /* freed by its reply */
            hs->req = NULL;
        }
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, hs, in, len);
    }
}

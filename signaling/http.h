/* The HTTP route table of the signalling front: method + path routes (exact or prefix), JSON
 * request bodies (jansson, size-limited), asynchronous replies.
 *
 * A route's handler gets an HnHttpRequest and answers it exactly once with hn_http_reply*, at
 * once or later (e.g. after asking the media workers), always on the signalling thread. Bodies
 * are read and checked before the handler runs: over the route's limit -> 413, a JSON route
 * whose body is not a JSON object -> 400, both with a {"error": "..."} body. A path no route
 * covers -> 404, a known path with another method -> 405 with Allow; HEAD is answered by GET
 * routes (same headers, no body). Every dynamic reply says cache-control: no-store.
 *
 * Requests are served under the "mount points" of the table: the first segment of each route's
 * path ("/metrics", "/api"), taken when the signalling front starts; every other path is a
 * static client file, as before. So add routes before hn_signaling_new (or later, under a mount
 * point that already exists).
 *
 * Pure parts (hn_http_routes_*, hn_http_method_*, hn_http_parse_json_body, hn_http_error_body)
 * have no I/O and may be called from any thread; the request functions run on the signalling
 * thread only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct json_t;

typedef enum {
    HN_HTTP_GET = 1 << 0,
    HN_HTTP_HEAD = 1 << 1,
    HN_HTTP_POST = 1 << 2,
    HN_HTTP_PUT = 1 << 3,
    HN_HTTP_PATCH = 1 << 4,
    HN_HTTP_DELETE = 1 << 5,
    HN_HTTP_OPTIONS = 1 << 6,
} HnHttpMethod;

#define HN_HTTP_BODY_MAX_DEFAULT (64 * 1024)        /* bytes, when a route says 0 */
#define HN_HTTP_BODY_MAX_LIMIT   (16 * 1024 * 1024) /* the largest a route may allow */
#define HN_HTTP_PATH_MAX         1024               /* longer paths are 414 */

typedef enum {
    HN_HTTP_ROUTE_EXACT = 0,       /* the path itself only */
    HN_HTTP_ROUTE_PREFIX = 1 << 0, /* the path and everything under path + "/" */
    HN_HTTP_ROUTE_JSON = 1 << 1,   /* a body, when sent, must be a JSON object (else 400) */
} HnHttpRouteFlags;

typedef struct HnHttpRequest HnHttpRequest;
typedef struct HnHttpRoutes HnHttpRoutes;

/* Handles one request; must answer it (now or later) with exactly one hn_http_reply*. */
typedef void (*HnHttpHandler)(void *user, HnHttpRequest *req);

typedef struct {
    char *path;
    unsigned methods; /* HnHttpMethod bits; GET implies HEAD */
    unsigned flags;   /* HnHttpRouteFlags */
    size_t max_body;  /* bytes */
    HnHttpHandler fn;
    void *user;
} HnHttpRoute;

typedef enum {
    HN_HTTP_MATCH_FOUND,
    HN_HTTP_MATCH_NOT_FOUND,  /* 404 */
    HN_HTTP_MATCH_BAD_METHOD, /* 405; *allow holds the methods the path accepts */
} HnHttpMatch;

/* An empty table. transfer full. */
HnHttpRoutes *hn_http_routes_new(void);
/* NULL ok. */
void hn_http_routes_free(HnHttpRoutes *r);
/* Adds a route for methods (HnHttpMethod bits, not 0) on path: "/" followed by segments of
 * [A-Za-z0-9._~-] separated by single "/", no trailing "/" ("/" itself is the static client's).
 * max_body 0: HN_HTTP_BODY_MAX_DEFAULT. fn, user: transfer none. Returns 0, -EINVAL (bad path,
 * methods or limit) or -EEXIST (a route of the same path and kind already takes one of these
 * methods). Signalling thread, before or while serving. */
int hn_http_routes_add(HnHttpRoutes *r, unsigned methods, const char *path, unsigned flags,
                       size_t max_body, HnHttpHandler fn, void *user);
/* The route for method on path (no query string). An exact route wins over prefix routes, a
 * longer prefix over a shorter; HEAD matches GET routes. *route (transfer none, valid until the
 * table changes) is set on FOUND; *allow (may be NULL) gets the methods every route covering
 * path accepts, with HEAD when GET is among them. */
HnHttpMatch hn_http_routes_match(const HnHttpRoutes *r, HnHttpMethod method, const char *path,
                                 const HnHttpRoute **route, unsigned *allow);
/* The distinct first segments of the routes' paths ("/metrics", ...), NULL-terminated, in the
 * order added. transfer full (g_strfreev). */
char **hn_http_routes_mount_points(const HnHttpRoutes *r);

/* "GET", ...; "UNKNOWN" for anything but one bit. transfer none. */
const char *hn_http_method_name(HnHttpMethod m);
/* The method of a name ("GET"), 0 when unknown. */
HnHttpMethod hn_http_method_from_name(const char *name);
/* "GET, HEAD, POST" for an Allow header, in the order of HnHttpMethod. transfer full (g_free). */
char *hn_http_allow_string(unsigned methods);

/* Checks a request body of len bytes for a route: returns 0 and *out (transfer full, NULL for
 * an empty body) when it is empty or a JSON object of at most max bytes; 413 when over max; 400
 * when it is not one JSON object (bad JSON, another JSON type, nested deeper than 32, NUL
 * bytes), with a message for people in err (errcap bytes). */
int hn_http_parse_json_body(const char *data, size_t len, size_t max, struct json_t **out,
                            char *err, size_t errcap);
/* {"error":"message"} and a newline. transfer full (g_free). */
char *hn_http_error_body(const char *message);

/* ---- requests (signalling thread) ---- */

HnHttpMethod hn_http_request_method(const HnHttpRequest *req);
/* The path, without query string. transfer none, valid until the reply. */
const char *hn_http_request_path(const HnHttpRequest *req);
/* For a prefix route: what follows the route's path ("" or "/..."); "" for exact routes. */
const char *hn_http_request_subpath(const HnHttpRequest *req);
/* The query string without "?", "" when none. */
const char *hn_http_request_query(const HnHttpRequest *req);
/* The Authorization header (at most 1023 bytes), NULL when none. transfer none, valid until the
 * reply; never log it. */
const char *hn_http_request_authorization(const HnHttpRequest *req);
/* The value of the request's cookie called name (at most 4 KiB of Cookie header are read).
 * transfer full (g_free); NULL when absent. Never log it. */
char *hn_http_request_cookie(const HnHttpRequest *req, const char *name);
/* Adds a header to the reply (name without ':', e.g. "location"; value copied, at most 1 KiB;
 * up to 12 per reply, more are dropped; all of them within the 8 KiB header buffer). Call before
 * hn_http_reply*. */
void hn_http_request_add_header(HnHttpRequest *req, const char *name, const char *value);
/* Adds a Set-Cookie header (value copied, at most 1 KiB) to the reply; call before hn_http_reply*.
 */
void hn_http_request_set_cookie(HnHttpRequest *req, const char *cookie);
/* The client's address ("127.0.0.1"). transfer none, valid until the reply. */
const char *hn_http_request_peer(const HnHttpRequest *req);
/* The body's JSON object on a JSON route, NULL when no body was sent. transfer none. */
struct json_t *hn_http_request_json(const HnHttpRequest *req);
/* The raw body (NUL-terminated, *len bytes). transfer none. */
const char *hn_http_request_body(const HnHttpRequest *req, size_t *len);
/* TRUE when the client went away before the reply: the reply is still due (it frees req). */
bool hn_http_request_is_gone(const HnHttpRequest *req);

/* Answers req with status, content_type and len bytes of body (copied; HEAD sends the headers
 * only). req is invalid afterwards. Signalling thread. */
void hn_http_reply(HnHttpRequest *req, int status, const char *content_type, const char *body,
                   size_t len);
/* Answers req with len bytes of the open file fd from offset, streamed a piece per writable
 * callback (never read whole); fd: transfer full (closed when the reply is done or dropped).
 * The headers say Content-Length len; HEAD sends the headers only. Signalling thread. */
void hn_http_reply_file(HnHttpRequest *req, int status, const char *content_type, int fd,
                        unsigned long long offset, unsigned long long length);
/* The Range header (at most 255 bytes), NULL when none. transfer none, valid until the reply. */
const char *hn_http_request_range(const HnHttpRequest *req);
/* Reads a Range header for a body of size bytes (RFC 9110, one range of bytes: "bytes=a-b",
 * "a-", "-n"). Returns 1 with *start, *len set (a satisfiable range), 0 when the whole body is
 * to be sent (no header, another unit, several ranges, or a malformed value: ignored), -1 when
 * unsatisfiable (416). Pure. */
int hn_http_range_parse(const char *header, unsigned long long size, unsigned long long *start,
                        unsigned long long *len);
/* The request's Content-Type and If-Match headers (at most 255 bytes each), NULL when none.
 * transfer none, valid until the reply. */
const char *hn_http_request_content_type(const HnHttpRequest *req);
const char *hn_http_request_if_match(const HnHttpRequest *req);
/* The same with a JSON body (transfer full), application/json. */
void hn_http_reply_json(HnHttpRequest *req, int status, struct json_t *body);
/* The same with {"error": message}. */
void hn_http_reply_error(HnHttpRequest *req, int status, const char *message);

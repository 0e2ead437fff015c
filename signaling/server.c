#include "signaling/server.h"

#include "signaling/http_lws.h"

#include <gio/gio.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <string.h>

/* libwebsockets' per-connection receive buffer. A larger frame or message arrives in several
 * LWS_CALLBACK_RECEIVE calls (lws_is_final_fragment() false until its last byte) that
 * on_receive() joins, up to HN_PROTO_MAX_MESSAGE: the buffer stays small per connection. */
#define HN_WS_RX_BUFFER   (64 * 1024)
#define HN_OUT_QUEUE_MAX  1024
#define HN_CLOSE_QUIET_US (200 * 1000)
#define HN_CLOSE_WAIT_US  (2 * 1000 * 1000)
#define HN_ECHO_MAX_BODY  4096

typedef struct {
    uint64_t id;
    struct lws *wsi;
    GQueue out;       /* char* texts */
    GString *rx;      /* fragments of the message being received */
    gboolean rx_skip; /* the current message is over the limit: drop its remaining fragments */
    int64_t last_rx;
    HnErrorBudget budget;
    gboolean closing;
    int64_t close_at; /* when closing was decided */
    int close_code;
    char close_reason[64];
    HnCloseReason reason;
    char peer[64]; /* the client's address */
    char *session; /* the hn_session cookie of the handshake, NULL when none */
} HnConn;

struct HnSignaling {
    struct lws_context *ctx;
    GMainLoop *loop;
    HnSignalingHandler h;
    void *user;
    GHashTable *conns; /* id -> HnConn* */
    uint64_t next_id;
    guint tick;
    int keepalive_us;
    char *client_dir;
    HnHttpRoutes *routes, *own_routes;
    char **mount_points;
    struct lws_http_mount mount_root, *mounts; /* mounts: one per mount point, after root */
    struct lws_protocols protocols[3];
    HnSignalingStats stats;
    char **allowed_origins;
};

static HnSignaling *sig_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

static void conn_queue(HnSignaling *sig, HnConn *c, char *text)
{
    if (c->closing || g_queue_get_length(&c->out) >= HN_OUT_QUEUE_MAX) {
        sig->stats.dropped_out++;
        g_free(text);
        return;
    }
    g_queue_push_tail(&c->out, text);
    lws_callback_on_writable(c->wsi);
}

static void conn_close(HnSignaling *sig, HnConn *c, int code, const char *reason, HnCloseReason why)
{
    if (c->closing)
        return;
    c->closing = TRUE;
    c->close_at = g_get_monotonic_time();
    c->close_code = code;
    c->reason = why;
    g_strlcpy(c->close_reason, reason ? reason : "", sizeof c->close_reason);
    lws_callback_on_writable(c->wsi);
}

/* text: an error message, transfer full. */
static void reply_error_text(HnSignaling *sig, HnConn *c, char *text)
{
    sig->stats.errors++;
    conn_queue(sig, c, text);
    if (hn_error_budget_hit(&c->budget, g_get_monotonic_time())) {
        sig->stats.closed_policy++;
        conn_close(sig, c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "too many errors", HN_CLOSE_POLICY);
    }
}

static void reply_error(HnSignaling *sig, HnConn *c, HnProtoErrorCode code, const char *message)
{
    reply_error_text(sig, c, hn_proto_build_error(code, message, NULL));
}

static void handle_message(HnSignaling *sig, HnConn *c, const char *data, size_t len)
{
    HnProtoMsg msg;
    HnProtoError err;
    sig->stats.messages++;
    if (hn_proto_parse(data, len, &msg, &err) < 0) {
        reply_error_text(sig, c, hn_proto_build_error_from(&err)); /* echoes a valid id */
        return;
    }
    if (msg.type == HN_PROTO_MSG_PING)
        conn_queue(sig, c, hn_proto_attach_id(hn_proto_build_pong(), msg.id_json));
    else
        sig->h.on_message(sig->user, c->id, &msg);
    hn_proto_msg_clear(&msg);
}

static void on_receive(HnSignaling *sig, HnConn *c, struct lws *wsi, const void *in, size_t len)
{
    c->last_rx = g_get_monotonic_time();
    if (c->closing)
        return;
    gboolean first = lws_is_first_fragment(wsi), final = lws_is_final_fragment(wsi);
    if (first) {
        g_string_truncate(c->rx, 0);
        c->rx_skip = FALSE;
    }
    if (!c->rx_skip) {
        if (c->rx->len + len > HN_PROTO_MAX_MESSAGE) {
            c->rx_skip = TRUE;
            g_string_truncate(c->rx, 0);
            reply_error(sig, c, HN_PROTO_ERR_TOO_BIG, "message over 3 MiB");
        } else {
            g_string_append_len(c->rx, in, (gssize)len);
        }
    }
    if (!final || c->rx_skip)
        return;
    if (lws_frame_is_binary(wsi)) {
        reply_error(sig, c, HN_PROTO_ERR_BAD_JSON, "binary frames are not accepted");
        return;
    }
    handle_message(sig, c, c->rx->str, c->rx->len);
    g_string_truncate(c->rx, 0);
}

typedef struct {
    HnSignaling *sig;
    uint64_t id;
} HnRetry;

static gboolean retry_writable(gpointer data)
{
    HnRetry *r = data;
    HnConn *c = g_hash_table_lookup(r->sig->conns, &r->id);
    if (c)
        lws_callback_on_writable(c->wsi);
    return G_SOURCE_REMOVE;
}

static void retry_writable_later(HnSignaling *sig, uint64_t id)
{
    HnRetry *r = g_new(HnRetry, 1);
    r->sig = sig;
    r->id = id;
    GSource *src = g_timeout_source_new(HN_CLOSE_QUIET_US / 1000);
    g_source_set_callback(src, retry_writable, r, g_free);
    g_source_attach(src, g_main_loop_get_context(sig->loop));
    g_source_unref(src);
}

static int on_writeable(HnSignaling *sig, HnConn *c, struct lws *wsi)
{
    char *text = g_queue_pop_head(&c->out);
    if (text) {
        size_t n = strlen(text);
        unsigned char *buf = g_malloc(LWS_PRE + n);
        memcpy(buf + LWS_PRE, text, n);
        int w = lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT);
        g_free(buf);
        g_free(text);
        if (w < (int)n)
            return -1;
        if (!g_queue_is_empty(&c->out) || c->closing)
            lws_callback_on_writable(wsi);
        return 0;
    }
    if (c->closing) {
        /* Closing while the peer is still sending leaves unread data in the kernel, which then
         * answers with a TCP reset that destroys our error replies and close frame before the
         * peer reads them. So wait until the peer has been quiet for a moment (at most 2 s). */
        int64_t now = g_get_monotonic_time();
        if (now - c->last_rx < HN_CLOSE_QUIET_US && now - c->close_at < HN_CLOSE_WAIT_US) {
            retry_writable_later(sig, c->id);
            return 0;
        }
        lws_close_reason(wsi, (enum lws_close_status)c->close_code,
                         (unsigned char *)c->close_reason, strlen(c->close_reason));
        return -1;
    }
    return 0;
}

static gboolean is_ws_path(struct lws *wsi)
{
    char uri[64];
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0)
        return FALSE;
    return strcmp(uri, "/ws") == 0 || strcmp(uri, "/ws/") == 0;
}

/* The value of the hn_session cookie of the handshake. transfer full; NULL when none. */
static char *session_cookie(struct lws *wsi)
{
    int len = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_COOKIE);
    if (len <= 0 || len > 8192)
        return NULL;
    char *all = g_malloc0((gsize)len + 1);
    char *found = NULL;
    if (lws_hdr_copy(wsi, all, len + 1, WSI_TOKEN_HTTP_COOKIE) > 0) {
        char **parts = g_strsplit(all, ";", 0);
        for (char **p = parts; *p && !found; p++) {
            const char *v = g_strstrip(*p);
            if (g_str_has_prefix(v, HN_SESSION_COOKIE "=") && v[strlen(HN_SESSION_COOKIE) + 1])
                found = g_strdup(v + strlen(HN_SESSION_COOKIE) + 1);
        }
        g_strfreev(parts);
    }
    g_free(all);
    return found;
}

gboolean hn_signaling_origin_allowed(const char *const *allowed, const char *origin,
                                     const char *host)
{
    if (!origin || !*origin)
        return TRUE; /* not a browser: Origin protects browsers from other sites' pages */
    if (allowed && allowed[0]) {
        for (const char *const *a = allowed; *a; a++)
            if (g_ascii_strcasecmp(*a, origin) == 0)
                return TRUE;
        return FALSE;
    }
    const char *o = g_str_has_prefix(origin, "https://")  ? origin + 8
                    : g_str_has_prefix(origin, "http://") ? origin + 7
                                                          : NULL;
    return o && host && g_ascii_strcasecmp(o, host) == 0;
}

/* The handshake's Origin against the allowed origins (refusals are logged and counted). */
static gboolean origin_ok(HnSignaling *sig, struct lws *wsi)
{
    char origin[256] = "", host[256] = "";
    if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) >= (int)sizeof origin ||
        lws_hdr_total_length(wsi, WSI_TOKEN_HOST) >= (int)sizeof host) {
        sig->stats.refused_origin++;
        return FALSE;
    }
    gboolean has_origin = lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) > 0;
    lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST);
    if (hn_signaling_origin_allowed((const char *const *)sig->allowed_origins,
                                    has_origin ? origin : NULL, host))
        return TRUE;
    sig->stats.refused_origin++;
    g_message("signalling: WebSocket from origin %s refused (not in [server] allowed_origins)",
              origin);
    return FALSE;
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    HnConn **pc = user;
    HnSignaling *sig;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        if (!is_ws_path(wsi))
            return -1;
        if (origin_ok(sig_of(wsi), wsi))
            return 0;
        lws_return_http_status(wsi, HTTP_STATUS_FORBIDDEN, "origin not allowed");
        return -1;
    case LWS_CALLBACK_ESTABLISHED: {
        sig = sig_of(wsi);
        HnConn *c = g_new0(HnConn, 1);
        c->id = ++sig->next_id;
        c->wsi = wsi;
        c->rx = g_string_new(NULL);
        c->last_rx = g_get_monotonic_time();
        hn_error_budget_init(&c->budget);
        g_queue_init(&c->out);
        c->reason = HN_CLOSE_LEFT;
        lws_get_peer_simple(wsi, c->peer, sizeof c->peer);
        c->session = session_cookie(wsi);
        if (g_str_has_prefix(c->peer, "::ffff:")) /* a v4 client of a dual-stack socket */
            memmove(c->peer, c->peer + 7, strlen(c->peer + 7) + 1);
        *pc = c;
        g_hash_table_insert(sig->conns, &c->id, c);
        sig->stats.connections++;
        return 0;
    }
    case LWS_CALLBACK_RECEIVE:
        if (*pc)
            on_receive(sig_of(wsi), *pc, wsi, in, len);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return *pc ? on_writeable(sig_of(wsi), *pc, wsi) : 0;
    case LWS_CALLBACK_CLOSED: {
        HnConn *c = *pc;
        if (!c)
            return 0;
        sig = sig_of(wsi);
        *pc = NULL;
        g_hash_table_remove(sig->conns, &c->id);
        sig->h.on_close(sig->user, c->id, c->reason);
        g_queue_clear_full(&c->out, g_free);
        g_string_free(c->rx, TRUE);
        g_free(c->session);
        g_free(c);
        return 0;
    }
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
    HnSignaling *sig = lws_context_user(lws_get_context(wsi));
    return hn_http_lws_callback(sig ? sig->routes : NULL, wsi, reason, user, in, len);
}

/* GET /healthz: the handler's JSON, as it always was. */
static void healthz_route(void *user, HnHttpRequest *req)
{
    HnSignaling *sig = user;
    GString *body = g_string_new(NULL);
    sig->h.healthz(sig->user, body);
    hn_http_reply(req, 200, "application/json", body->str, body->len);
    g_string_free(body, TRUE);
}

/* POST /api/v1/echo: the JSON object sent, back (a diagnostic: JSON bodies reach the server
 * through whatever proxy is in front; also what the tests use for the body checks). */
static void echo_route(void *user, HnHttpRequest *req)
{
    (void)user;
    json_t *body = hn_http_request_json(req);
    hn_http_reply_json(req, 200, body ? json_incref(body) : json_object());
}

/* The client files at "/", then one callback mount per route mount point. */
static void setup_mounts(HnSignaling *sig)
{
    sig->mount_root.mountpoint = "/";
    sig->mount_root.mountpoint_len = 1;
    sig->mount_root.origin = sig->client_dir;
    sig->mount_root.def = "index.html";
    sig->mount_root.origin_protocol = LWSMPRO_FILE;
    sig->mount_points = hn_http_routes_mount_points(sig->routes);
    guint n = g_strv_length(sig->mount_points);
    sig->mounts = g_new0(struct lws_http_mount, n);
    const struct lws_http_mount **next = &sig->mount_root.mount_next;
    for (guint i = 0; i < n; i++) {
        struct lws_http_mount *m = &sig->mounts[i];
        m->mountpoint = sig->mount_points[i];
        m->mountpoint_len = (unsigned char)strlen(sig->mount_points[i]);
        m->origin = "hn-http";
        m->origin_protocol = LWSMPRO_CALLBACK;
        *next = m;
        next = &m->mount_next;
    }
}

static gboolean tick(gpointer data)
{
    HnSignaling *sig = data;
    int64_t now = g_get_monotonic_time();
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, sig->conns);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        HnConn *c = v;
        if (!c->closing && now - c->last_rx > sig->keepalive_us) {
            sig->stats.closed_timeout++;
            conn_close(sig, c, LWS_CLOSE_STATUS_NORMAL, "keep-alive timeout", HN_CLOSE_TIMEOUT);
        }
    }
    return G_SOURCE_CONTINUE;
}

static gboolean split_host(const char *host, char *out, size_t cap)
{
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        if (n - 1 > cap)
            return FALSE;
        memcpy(out, host + 1, n - 2);
        out[n - 2] = 0;
        return TRUE;
    }
    return g_strlcpy(out, host, cap) < cap;
}

/* Fails early, with the system's reason, when host:port cannot be bound (libwebsockets only
 * logs it, and leaks on that path). */
static gboolean check_bindable(const char *host, int port, GError **error)
{
    GInetAddress *ia = g_inet_address_new_from_string(host);
    if (!ia) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad listen address '%s'",
                    host);
        return FALSE;
    }
    GSocketAddress *sa = g_inet_socket_address_new(ia, (guint16)port);
    GSocket *sock = g_socket_new(g_inet_address_get_family(ia), G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, error);
    gboolean ok = sock && g_socket_bind(sock, sa, TRUE, error);
    if (!ok && error && *error)
        g_prefix_error(error, "cannot listen on %s:%d: ", host, port);
    if (sock)
        g_object_unref(sock);
    g_object_unref(sa);
    g_object_unref(ia);
    return ok;
}

HnSignaling *hn_signaling_new(GMainLoop *loop, const HnSignalingSettings *s,
                              const HnSignalingHandler *h, void *user, GError **error)
{
    HnSignaling *sig = g_new0(HnSignaling, 1);
    sig->loop = g_main_loop_ref(loop);
    sig->h = *h;
    sig->user = user;
    sig->conns = g_hash_table_new(g_int64_hash, g_int64_equal);
    sig->keepalive_us = (s->keepalive_timeout_s > 0 ? s->keepalive_timeout_s : 10) * G_USEC_PER_SEC;
    sig->client_dir = g_strdup(s->client_dir);
    sig->allowed_origins = g_strdupv((char **)s->allowed_origins);

    sig->routes = s->routes;
    if (!sig->routes)
        sig->routes = sig->own_routes = hn_http_routes_new();
    hn_http_routes_add(sig->routes, HN_HTTP_GET, "/healthz", HN_HTTP_ROUTE_EXACT, 0, healthz_route,
                       sig);
    hn_http_routes_add(sig->routes, HN_HTTP_POST, "/api/v1/echo", HN_HTTP_ROUTE_JSON,
                       HN_ECHO_MAX_BODY, echo_route, NULL);
    setup_mounts(sig);

    sig->protocols[0] = (struct lws_protocols){
        "hoinghi-v1", ws_callback, sizeof(HnConn *), HN_WS_RX_BUFFER, 0, NULL, 0};
    sig->protocols[1] =
        (struct lws_protocols){"hn-http", http_callback, sizeof(HnHttpSession), 0, 0, NULL, 0};

    char iface[64];
    if (!split_host(s->host, iface, sizeof iface)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad listen host '%s'",
                    s->host);
        hn_signaling_free(sig);
        return NULL;
    }
    if (!check_bindable(iface, s->port, error)) {
        hn_signaling_free(sig);
        return NULL;
    }
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    void *foreign[1] = {loop};
    info.port = s->port;
    info.iface = iface;
    info.protocols = sig->protocols;
    info.mounts = &sig->mount_root;
    info.user = sig;
    info.options = LWS_SERVER_OPTION_GLIB | LWS_SERVER_OPTION_VALIDATE_UTF8;
    /* libwebsockets opens an IPv6 socket unless told otherwise, and then reads an IPv4 literal
     * in iface into the wrong part of the IPv6 address: it would bind [::]:port, every
     * address of the machine. An IPv4 listen address therefore gets an IPv4 socket. */
    if (!strchr(iface, ':'))
        info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    info.foreign_loops = foreign;
    info.timeout_secs = 20;
    if (s->tls_cert && s->tls_key) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = s->tls_cert;
        info.ssl_private_key_filepath = s->tls_key;
    }
    sig->ctx = lws_create_context(&info);
    if (!sig->ctx) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "cannot listen on %s:%d (address in use, or libwebsockets-evlib-glib missing)",
                    s->host, s->port);
        hn_signaling_free(sig);
        return NULL;
    }
    GSource *src = g_timeout_source_new_seconds(1);
    g_source_set_callback(src, tick, sig, NULL);
    sig->tick = g_source_attach(src, g_main_loop_get_context(loop));
    g_source_unref(src);
    return sig;
}

void hn_signaling_free(HnSignaling *sig)
{
    if (!sig)
        return;
    if (sig->tick)
        g_source_remove(sig->tick);
    if (sig->ctx)
        lws_context_destroy(sig->ctx);
    g_hash_table_destroy(sig->conns);
    g_main_loop_unref(sig->loop);
    g_free(sig->client_dir);
    g_strfreev(sig->allowed_origins);
    hn_http_routes_free(sig->own_routes);
    g_strfreev(sig->mount_points);
    g_free(sig->mounts);
    g_free(sig);
}

void hn_signaling_send(HnSignaling *sig, uint64_t conn_id, char *text)
{
    HnConn *c = g_hash_table_lookup(sig->conns, &conn_id);
    if (!c) {
        sig->stats.dropped_out++;
        g_free(text);
        return;
    }
    conn_queue(sig, c, text);
}

const char *hn_signaling_session(HnSignaling *sig, uint64_t conn_id)
{
    HnConn *c = g_hash_table_lookup(sig->conns, &conn_id);
    return c ? c->session : NULL;
}

const char *hn_signaling_peer(HnSignaling *sig, uint64_t conn_id)
{
    HnConn *c = g_hash_table_lookup(sig->conns, &conn_id);
    return c ? c->peer : "";
}

void hn_signaling_close(HnSignaling *sig, uint64_t conn_id, int code, const char *reason)
{
    HnConn *c = g_hash_table_lookup(sig->conns, &conn_id);
    if (c)
        conn_close(sig, c, code, reason, HN_CLOSE_LEFT);
}

void hn_signaling_get_stats(const HnSignaling *sig, HnSignalingStats *out)
{
    *out = sig->stats;
}

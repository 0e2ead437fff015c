#include "ws.h"

#include <gio/gio.h>
#include <libwebsockets.h>
#include <string.h>

#define WS_MAX_MESSAGE (1024 * 1024)
#define WS_OUT_MAX     4096

struct LoadWsCtx {
    struct lws_context *ctx;
    struct lws_protocols protocols[2];
    GPtrArray *conns; /* every LoadWs ever made; freed with the context */
};

struct LoadWs {
    LoadWsCtx *c;
    struct lws *wsi;
    const LoadWsEvents *ev;
    void *user;
    char *host, *path, *host_header, *subprotocol;
    int port;
    GQueue out; /* char* */
    GString *rx;
    gboolean rx_skip;
    gboolean open, user_closed, dead, in_connect;
};

static void notify_close(LoadWs *ws, const char *reason)
{
    if (ws->dead)
        return;
    ws->dead = TRUE;
    ws->open = FALSE;
    if (!ws->user_closed && !ws->in_connect)
        ws->ev->on_close(ws->user, reason);
}

static void on_receive(LoadWs *ws, struct lws *wsi, const void *in, size_t len)
{
    if (lws_is_first_fragment(wsi)) {
        g_string_truncate(ws->rx, 0);
        ws->rx_skip = FALSE;
    }
    if (!ws->rx_skip) {
        if (ws->rx->len + len > WS_MAX_MESSAGE) {
            ws->rx_skip = TRUE;
            g_warning("hn-load: dropped a signalling message over %d bytes", WS_MAX_MESSAGE);
        } else {
            g_string_append_len(ws->rx, in, (gssize)len);
        }
    }
    if (!lws_is_final_fragment(wsi) || ws->rx_skip || lws_frame_is_binary(wsi))
        return;
    if (!ws->user_closed)
        ws->ev->on_message(ws->user, ws->rx->str, ws->rx->len);
    g_string_truncate(ws->rx, 0);
}

static int on_writeable(LoadWs *ws, struct lws *wsi)
{
    char *text = g_queue_pop_head(&ws->out);
    if (!text) {
        if (!ws->user_closed)
            return 0;
        /* Everything queued before load_ws_close() went out: close normally. */
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    size_t len = strlen(text);
    unsigned char *buf = g_malloc(LWS_PRE + len);
    memcpy(buf + LWS_PRE, text, len);
    int n = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT);
    g_free(buf);
    g_free(text);
    if (n < (int)len)
        return -1;
    if (!g_queue_is_empty(&ws->out) || ws->user_closed)
        lws_callback_on_writable(wsi);
    return 0;
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    LoadWs *ws = user;
    if (!ws)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (ws->user_closed)
            return -1;
        ws->open = TRUE;
        ws->ev->on_open(ws->user);
        if (!g_queue_is_empty(&ws->out))
            lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        on_receive(ws, wsi, in, len);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return on_writeable(ws, wsi);
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        ws->wsi = NULL;
        notify_close(ws, in && len ? (const char *)in : "connection error");
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        ws->wsi = NULL;
        notify_close(ws, "closed by the server");
        break;
    case LWS_CALLBACK_WSI_DESTROY:
        ws->wsi = NULL;
        notify_close(ws, "connection destroyed");
        break;
    default:
        break;
    }
    return 0;
}

static void ws_free(gpointer data)
{
    LoadWs *ws = data;
    g_queue_clear_full(&ws->out, g_free);
    g_string_free(ws->rx, TRUE);
    g_free(ws->host);
    g_free(ws->path);
    g_free(ws->host_header);
    g_free(ws->subprotocol);
    g_free(ws);
}

LoadWsCtx *load_ws_ctx_new(GMainLoop *loop, GError **error)
{
    LoadWsCtx *c = g_new0(LoadWsCtx, 1);
    c->conns = g_ptr_array_new_with_free_func(ws_free);
    c->protocols[0] = (struct lws_protocols){"hn-load", ws_callback, 0, 65536, 0, NULL, 0};
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    void *foreign[1] = {loop};
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = c->protocols;
    info.options = LWS_SERVER_OPTION_GLIB;
    info.foreign_loops = foreign;
    info.timeout_secs = 20;
    info.user = c;
    c->ctx = lws_create_context(&info);
    if (!c->ctx) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "libwebsockets could not start (is libwebsockets-evlib-glib installed?)");
        load_ws_ctx_free(c);
        return NULL;
    }
    return c;
}

void load_ws_ctx_free(LoadWsCtx *c)
{
    if (!c)
        return;
    for (guint i = 0; i < c->conns->len; i++)
        ((LoadWs *)c->conns->pdata[i])->user_closed = TRUE;
    if (c->ctx)
        lws_context_destroy(c->ctx);
    g_ptr_array_free(c->conns, TRUE);
    /* The connections themselves are freed only now: lws may call back on any of them until
     * its context is gone. */
    g_free(c);
}

gboolean load_ws_parse_url(const char *url, char **host, int *port, char **path)
{
    if (!g_str_has_prefix(url, "ws://"))
        return FALSE;
    const char *h = url + 5;
    const char *slash = strchr(h, '/');
    char *hostport = slash ? g_strndup(h, (gsize)(slash - h)) : g_strdup(h);
    *path = g_strdup(slash ? slash : "/");
    *port = 80;
    char *colon = hostport[0] == '[' ? strstr(hostport, "]:") : strrchr(hostport, ':');
    if (colon) {
        if (hostport[0] == '[')
            colon++;
        char *end = NULL;
        long p = strtol(colon + 1, &end, 10);
        if (!end || *end || p < 1 || p > 65535) {
            g_free(hostport);
            g_free(*path);
            return FALSE;
        }
        *port = (int)p;
        *colon = '\0';
    }
    if (hostport[0] == '[') {
        size_t n = strlen(hostport);
        if (n < 3 || hostport[n - 1] != ']') {
            g_free(hostport);
            g_free(*path);
            return FALSE;
        }
        memmove(hostport, hostport + 1, n - 2);
        hostport[n - 2] = '\0';
    }
    if (!hostport[0]) {
        g_free(hostport);
        g_free(*path);
        return FALSE;
    }
    *host = hostport;
    return TRUE;
}

LoadWs *load_ws_connect(LoadWsCtx *c, const char *url, const char *subprotocol,
                        const LoadWsEvents *ev, void *user, GError **error)
{
    LoadWs *ws = g_new0(LoadWs, 1);
    if (!load_ws_parse_url(url, &ws->host, &ws->port, &ws->path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "bad URL '%s' (expected ws://HOST:PORT/PATH)", url);
        g_free(ws);
        return NULL;
    }
    ws->c = c;
    ws->ev = ev;
    ws->user = user;
    ws->rx = g_string_new(NULL);
    ws->subprotocol = g_strdup(subprotocol);
    ws->host_header = g_strdup_printf("%s:%d", ws->host, ws->port);
    g_queue_init(&ws->out);
    g_ptr_array_add(c->conns, ws);
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof i);
    i.context = c->ctx;
    i.address = ws->host;
    i.port = ws->port;
    i.path = ws->path;
    i.host = ws->host_header;
    i.origin = ws->host_header;
    i.protocol = ws->subprotocol;
    i.local_protocol_name = "hn-load";
    i.userdata = ws;
    i.pwsi = &ws->wsi;
    ws->in_connect = TRUE;
    struct lws *wsi = lws_client_connect_via_info(&i);
    ws->in_connect = FALSE;
    if (!wsi) {
        ws->dead = TRUE;
        ws->user_closed = TRUE;
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot connect to %s", url);
        return NULL;
    }
    return ws;
}

void load_ws_send(LoadWs *ws, char *text)
{
    if (!ws || ws->dead || ws->user_closed || g_queue_get_length(&ws->out) >= WS_OUT_MAX) {
        g_free(text);
        return;
    }
    g_queue_push_tail(&ws->out, text);
    if (ws->open && ws->wsi)
        lws_callback_on_writable(ws->wsi);
}

void load_ws_close(LoadWs *ws)
{
    if (!ws || ws->user_closed)
        return;
    ws->user_closed = TRUE;
    if (ws->wsi && !ws->dead)
        lws_callback_on_writable(ws->wsi);
}

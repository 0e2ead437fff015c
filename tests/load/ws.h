/* ws.h - WebSocket client connections for hn-load's signalling, on libwebsockets driven by the
 * GLib main loop (LWS_SERVER_OPTION_GLIB). Text messages only, reassembled from fragments.
 * Thread: the main loop's thread only. */
#pragma once

#include <glib.h>
#include <stddef.h>

typedef struct LoadWsCtx LoadWsCtx;
typedef struct LoadWs LoadWs;

typedef struct {
    void (*on_open)(void *user);
    /* One complete text message (not NUL-terminated; text[len] is NUL for convenience). */
    void (*on_message)(void *user, const char *text, size_t len);
    /* The connection failed or was closed by the peer; no callback follows. reason: static or
     * valid during the call. */
    void (*on_close)(void *user, const char *reason);
} LoadWsEvents;

/* A client context on loop's main context. Returns NULL with error set when libwebsockets
 * cannot start (e.g. libwebsockets-evlib-glib missing). transfer full. */
LoadWsCtx *load_ws_ctx_new(GMainLoop *loop, GError **error);
/* Closes every connection still open (no callbacks) and frees the context. NULL ok. */
void load_ws_ctx_free(LoadWsCtx *ctx);

/* Parses "ws://HOST[:PORT][/PATH]" (wss is not supported). Returns FALSE for anything else.
 * host: transfer full. */
gboolean load_ws_parse_url(const char *url, char **host, int *port, char **path);

/* Starts connecting to url with the given sub-protocol (NULL: none). ev: transfer none, must
 * outlive the connection. Returns NULL with error set for a bad URL or when lws refuses. */
LoadWs *load_ws_connect(LoadWsCtx *ctx, const char *url, const char *subprotocol,
                        const LoadWsEvents *ev, void *user, GError **error);
/* Queues one text message (transfer full). Dropped when the connection is closing. */
void load_ws_send(LoadWs *ws, char *text);
/* Closes the connection (normal closure); no callback follows. ws must not be used after. */
void load_ws_close(LoadWs *ws);

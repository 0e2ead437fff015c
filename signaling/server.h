/* The HTTP/WebSocket front (libwebsockets on the main GLib loop): serves the client files,
 * the routes of an HTTP route table (signaling/http.h; GET /healthz is always one) and the
 * signalling WebSocket at /ws. It validates every message against the
 * protocol (signaling/protocol.h), answers bad input with an error, closes sockets that keep
 * misbehaving or fall silent, and hands valid messages to its handler. Thread: main loop only. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "signaling/http.h"
#include "signaling/protocol.h"

typedef struct HnSignaling HnSignaling;

typedef enum {
    HN_CLOSE_LEFT,    /* the client closed the socket or we closed it after "leave" */
    HN_CLOSE_TIMEOUT, /* nothing received for the keep-alive period */
    HN_CLOSE_POLICY,  /* too many errors */
} HnCloseReason;

typedef struct {
    /* A valid message from connection conn_id. msg is transfer none (valid during the call). */
    void (*on_message)(void *user, uint64_t conn_id, const HnProtoMsg *msg);
    /* The connection is gone; no more messages for it will be sent. */
    void (*on_close)(void *user, uint64_t conn_id, HnCloseReason reason);
    /* Appends the /healthz JSON body. */
    void (*healthz)(void *user, GString *body);
} HnSignalingHandler;

typedef struct {
    const char *host; /* IP address to bind, e.g. "127.0.0.1" or "::1" */
    int port;
    const char *client_dir;
    const char *tls_cert, *tls_key; /* both NULL for plain http/ws */
    int keepalive_timeout_s;        /* close sockets silent for this long */
    /* HTTP routes (transfer none, must outlive the front), NULL for /healthz only. Their mount
     * points are taken at start: add routes before hn_signaling_new. /healthz is added to it. */
    HnHttpRoutes *routes;
    /* Browser origins allowed to open /ws ("https://host[:port]"), NULL-terminated; NULL or
     * empty: the server's own origin only (Origin's host:port equals the Host header). A
     * client that sends no Origin (room systems, test peers) is not affected. */
    const char *const *allowed_origins;
} HnSignalingSettings;

/* Binds and starts serving on loop's context. transfer full. NULL + error when it cannot bind. */
HnSignaling *hn_signaling_new(GMainLoop *loop, const HnSignalingSettings *s,
                              const HnSignalingHandler *h, void *user, GError **error);
void hn_signaling_free(HnSignaling *sig);
/* Queues text (transfer full) for conn_id; dropped if the connection is gone. */
void hn_signaling_send(HnSignaling *sig, uint64_t conn_id, char *text);
/* The client's address ("127.0.0.1", "::1"), "" when unknown. transfer none, valid while the
 * connection lives. */
const char *hn_signaling_peer(HnSignaling *sig, uint64_t conn_id);
/* The cookie holding an account's session (a JWT set by POST /api/login). */
#define HN_SESSION_COOKIE "hn_session"
/* The hn_session cookie the WebSocket handshake carried, NULL when none. transfer none, valid
 * while the connection lives; never log it. */
const char *hn_signaling_session(HnSignaling *sig, uint64_t conn_id);
/* TRUE when origin ("scheme://host[:port]", may be NULL) may open /ws for a request to host
 * (the Host header, may be NULL) under allowed (see HnSignalingSettings). Pure. */
gboolean hn_signaling_origin_allowed(const char *const *allowed, const char *origin,
                                     const char *host);
/* Closes conn_id after its queued messages are sent (WebSocket close code and reason). */
void hn_signaling_close(HnSignaling *sig, uint64_t conn_id, int code, const char *reason);

typedef struct {
    uint64_t connections, messages, errors, closed_policy, closed_timeout, dropped_out;
    uint64_t refused_origin; /* WebSocket handshakes refused for their Origin */
} HnSignalingStats;
void hn_signaling_get_stats(const HnSignaling *sig, HnSignalingStats *out);

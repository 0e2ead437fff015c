/* Private to signaling/: the libwebsockets side of the route table (signaling/http.h). The
 * signalling server mounts its route mount points on the "hn-http" protocol and forwards that
 * protocol's callbacks here. Thread: the signalling thread. */
#pragma once

#include <libwebsockets.h>

#include "signaling/http.h"

/* Per-connection data of the "hn-http" protocol (lws allocates it zeroed). */
typedef struct {
    HnHttpRequest *req; /* the request being read or answered, or NULL */
} HnHttpSession;

/* The "hn-http" protocol callback over routes (transfer none). */
int hn_http_lws_callback(HnHttpRoutes *routes, struct lws *wsi, enum lws_callback_reasons reason,
                         HnHttpSession *hs, void *in, size_t len);

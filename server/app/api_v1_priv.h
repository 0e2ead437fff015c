/* The inside of the REST API (app/api_v1.h), shared by its resource files: one call per request
 * (authenticated before any resource code runs), problem-details replies, store round trips.
 * Thread: main loop, except the HnStoreQueryFn callbacks (store thread). */
#pragma once

#include <jansson.h>

#include "app/hub_priv.h"
#include "meeting/limiter.h"
#include "signaling/http.h"
#include "store/db_rooms.h"

#define HN_API_TOKEN_TTL_DEFAULT 3600        /* seconds */
#define HN_API_TOKEN_TTL_MAX     (7 * 86400) /* seconds */

typedef struct {
    HnHub *hub;
    HnStore *store;
    HnMailbox *home;
    HnLimiter *limiter; /* failed API keys and sessions per address */
} HnApi;

typedef struct HnApiCall HnApiCall;
typedef gboolean (*HnApiReply)(HnApiCall *c);

/* One request, from its arrival to its reply. Refcounted across store round trips. */
struct HnApiCall {
    gint refs;
    HnApi *api;
    HnHttpRequest *req; /* NULL once answered */
    HnHttpMethod method;
    char **seg; /* the path's segments after /api/v1 ("rooms", "NAME", ...) */
    guint nseg;
    json_t *body; /* the request's JSON object, NULL when none */
    char peer[64];
    gboolean legacy; /* POST /api/rooms/NAME/tokens */
    /* authentication */
    char *key;     /* a presented API key, wiped when freed */
    char *account; /* the session's account name */
    HnUserRole account_role;
    gboolean account_found;
    char *actor; /* "apikey:LABEL" or "user:NAME" once authenticated */
    /* a store round trip: the resource's own state, freed with the call */
    HnApiReply reply;
    gpointer op;
    GDestroyNotify op_free;
    GError *error;
};

/* Answers c with a problem details object (application/problem+json): type
 * "urn:hoinghi:api:" + kind, a title for kind, status and detail (transfer none). */
void hn_api_problem(HnApiCall *c, int status, const char *kind, const char *detail);
/* Answers c 405 with Allow: allow ("GET, POST"). */
void hn_api_not_allowed(HnApiCall *c, const char *allow);
/* Answers c with body (transfer full; NULL: no body, for 204). */
void hn_api_json(HnApiCall *c, int status, json_t *body);
/* Runs fn(db, c) on the store thread, then c->reply(c) here. The call lives until then. */
void hn_api_store(HnApiCall *c, HnStoreQueryFn fn, HnApiReply reply);
/* An audit row by the call's actor. */
void hn_api_audit(HnApiCall *c, const char *action, const char *room, const char *detail);
/* The integer id of a path segment, -1 when it is not one. */
gint64 hn_api_parse_id(const char *s);

/* Resource handlers: each answers c (now or after a store round trip). */
void hn_api_rooms(HnApiCall *c);
void hn_api_meetings(HnApiCall *c);
void hn_api_participants(HnApiCall *c); /* rooms/NAME/participants... */
void hn_api_webhooks(HnApiCall *c);     /* webhooks... (app/api_v1_webhooks.c) */
void hn_api_sites(HnApiCall *c);        /* rooms/NAME/sites/SITE/call (app/api_v1_sites.c) */
/* Ends the live room of a meeting for everyone (moderation's "end"), when it is live and the
 * build has moderation; else nothing. */
void hn_api_end_live_room(HnApiCall *c, const char *room);
/* POST .../tokens for room (validated, transfer none): mints from c->body. ends_s: the end of
 * the meeting the token is for (0: none), for the default ttl. */
void hn_api_mint_token(HnApiCall *c, const char *room, gint64 ends_s, const char *what);
/* The JSON of a room's policy, with its live participants. transfer full. */
json_t *hn_api_room_json(HnApi *api, const HnRoomPolicy *p);

/* The admin REST API, /api/v1 (docs/api.md): rooms, meetings, join tokens and the participants
 * of live rooms, JSON in and out, errors as RFC 9457 problem details. Every request is
 * authenticated with an API key (`Authorization: Bearer hnk_...`, checked on the store thread)
 * or an admin account's session cookie; failed keys count in a per-address brute-force limiter
 * ([auth] lockout_*); every write is an audit row. Also serves the older
 * POST /api/rooms/NAME/tokens with the same checks. Thread: the main (signalling) loop. */
#pragma once

#include "app/hub.h"

/* Adds the routes to the hub's table and loads the API rooms from the store (waiting for the
 * store thread once, at start). Call from hn_hub_set_store, with a store. */
void hn_api_v1_register(HnHub *hub);

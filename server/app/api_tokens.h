/* POST /api/rooms/NAME/tokens: mints a join token for a room, for the province's portal or
 * e-office ("invite" button). Authenticated with an API key (`Authorization: Bearer hnk_...`,
 * created by `hoinghi apikey add`), checked on the store thread; every mint and every refused
 * key is an audit row. Needs [auth] jwt_secret (else 503). docs/security.md has the contract.
 * Thread: the signalling (main) thread; replies come back through home (its mailbox). */
#pragma once

#include "app/config.h"
#include "signaling/http.h"
#include "store/store.h"
#include "transport/mailbox.h"

#define HN_API_TOKEN_TTL_DEFAULT 3600        /* seconds */
#define HN_API_TOKEN_TTL_MAX     (7 * 86400) /* seconds */

/* Adds the route. cfg, store, home: transfer none, must outlive routes. store NULL: no route. */
void hn_api_tokens_register(HnHttpRoutes *routes, const HnConfig *cfg, HnStore *store,
                            HnMailbox *home);

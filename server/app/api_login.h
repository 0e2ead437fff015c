/* Account sessions: POST /api/login checks a name and password (argon2id, on the store thread)
 * and sets the hn_session cookie (HttpOnly, SameSite=Strict, Secure with TLS): a short-lived
 * HS256 JWT (room "*", the account's display name and role, sub = the account name) that the
 * browser sends with its WebSocket handshake, so its join gets the account's role
 * (app/join_gate.h). POST /api/logout clears it. Failed logins count in a per-address limiter
 * ([auth] lockout_*); every login and failure is an audit row. docs/security.md.
 * Thread: the signalling (main) thread. */
#pragma once

#include "app/config.h"
#include "signaling/http.h"
#include "store/store.h"
#include "transport/mailbox.h"

#define HN_SESSION_TTL (8 * 3600) /* seconds */

/* Adds the routes. Everything transfer none, must outlive routes; secret is copied. */
void hn_api_login_register(HnHttpRoutes *routes, const HnConfig *cfg, HnStore *store,
                           HnMailbox *home, const char *secret);

/* The account name (the sub) of req's hn_session cookie when it is a valid session signed with
 * secret, NULL otherwise. The account's role is not in it: read it from the store. transfer full.
 * Main thread (the request's). */
char *hn_session_account(const char *secret, HnHttpRequest *req);

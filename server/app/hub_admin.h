/* The account pages and the audit page: GET /login (client/login.html), GET /logout (clears the
 * session cookie, then /login), GET /admin/audit (client/audit.html, admin sessions only: others
 * are sent to /login or get 403) and its data, GET /admin/audit.json and GET /admin/audit.csv
 * with the same filters (app/audit_view.h; 401 without a session, 403 for a non-admin). The
 * session is the hn_session cookie of POST /api/login (app/api_login.h); its account's role is
 * read from the store on every request, so a deleted or demoted account loses access at once.
 * Queries run on the store thread with a row limit and paging. docs/security.md.
 * Thread: the main loop. */
#pragma once

#include "app/hub.h"
#include "signaling/http.h"

/* Adds the routes (mount points /login, /logout, /admin: call before hn_signaling_new). Pages
 * are read from client_dir (copied) at each request. */
void hn_hub_admin_register(HnHub *hub, const char *client_dir);
/* Answers req with the page client_dir/file (200, text/html, the pages' security headers) or
 * 404 when it is not installed. */
void hn_hub_admin_reply_page(HnHttpRequest *req, const char *file);
/* Frees what hn_hub_admin_register kept. NULL-safe on a hub without it. */
void hn_hub_admin_unregister(HnHub *hub);

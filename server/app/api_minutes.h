/* The review of the minutes (docs/minutes.md): GET /api/minutes/<meeting> (the newest version
 * and the list of versions), GET /api/minutes/<meeting>/html (its minutes.html), PUT
 * /api/minutes/<meeting> (an edit: a new draft version), POST /api/minutes/<meeting>/approve.
 * An account session (the hn_session cookie) is required: chairs and secretaries edit, a chair
 * approves (or the secretary with [minutes] approver = secretary), clerks and admins read.
 * Every edit and approval is an audit row and an event (minutes.edited, minutes.approved).
 * Thread: main loop. */
#pragma once

#include "app/hub_priv.h"

/* Adds the routes (under /api). */
void hn_api_minutes_register(HnHub *hub);

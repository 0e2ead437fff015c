/* The minutes on the hub (docs/minutes.md): draft v1 built when a meeting ends (an observer of
 * `meeting.ended`; at start, for every ended meeting that has none), the secretary's panel
 * messages (minutes-get, minutes-note, minutes-absent), and the review API
 * (/api/minutes/<meeting>: app/api_minutes.c). The minutes are built on the store thread from
 * the store's rows (meeting/minutes.h does the content) and written atomically into the
 * meeting's archive folder: <archive>/minutes/v<N>/minutes.{json,html}.
 * Thread: main loop only, except where said. */
#pragma once

#include <jansson.h>

#include "app/hub_priv.h"
#include "store/db.h"

/* Starts the observer and the catch-up of ended meetings without minutes, and registers the
 * review API. Call once the store is set. */
void hn_hub_minutes_start(HnHub *hub);
/* NULL ok. */
void hn_hub_minutes_free(HnHub *hub);
/* Handles minutes-note, minutes-absent and minutes-get; FALSE for other messages. */
gboolean hn_hub_minutes_message(HnHub *hub, HnHubConn *c, const HnProtoMsg *m);

/* --- shared with app/api_minutes.c (store thread) --- */

/* Writes m (a minutes.json) as minutes.json and minutes.html into
 * <data_dir>/archive/.../<meeting>/minutes/v<version>/, each through a temporary file, fsync
 * and rename. *dir_out (may be NULL) gets the folder (transfer full). FALSE + error. */
gboolean hn_minutes_files_write(const char *data_dir, const json_t *m, char **dir_out,
                                GError **error);
/* Builds the draft of meeting from the store's rows (version: its minutes_version). NULL + error
 * when the meeting is unknown. transfer full. Store thread. */
json_t *hn_minutes_build_from_store(HnDb *db, const HnConfig *cfg, gint64 meeting, int version,
                                    GError **error);
/* May the account role edit / approve (cfg: [minutes] approver)? */
gboolean hn_minutes_role_may_edit(const char *role);
gboolean hn_minutes_role_may_approve(const HnConfig *cfg, const char *role);

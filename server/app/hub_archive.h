/* The clerks' portal: GET /archive (client/archive.html), the archived files under
 * GET /archive/files/<meeting-id>/<path> (HTTP Range, streamed), and its JSON API:
 *   GET  /api/archive/meetings?from=&to=&room=&title=&participant=   search
 *   GET  /api/archive/meetings/<id>                                  a meeting, its manifest
 *   POST /api/archive/meetings/<id>/verify   {"file": optional}      SHA-256 recomputed
 * Only clerk and admin accounts (the hn_session cookie, role read from the store at each
 * request): without a session the pages go to /login and the API answers 401; other roles get
 * 403. Only files the catalogue lists for that meeting are served, opened from the archive root
 * without following symlinks (record/archive_index.h); a bad path is 400, anything else 404.
 * Downloads and verifications are audit rows. docs/recording.md, docs/security.md.
 * Thread: the main loop. */
#pragma once

#include "app/hub.h"
#include "record/archive_index.h"

/* Adds the routes (mount point /archive: call before hn_signaling_new). */
void hn_hub_archive_register(HnHub *hub);
/* Opens the archive of <data_dir>/archive on hub's store (scan, sweep: app/hub.c calls it from
 * hn_hub_set_store). Without it the routes answer 503. */
void hn_hub_archive_start(HnHub *hub, HnStore *store);
/* Stops the archive's threads. NULL-safe on a hub without it. */
void hn_hub_archive_stop(HnHub *hub);
/* The hub's archive (for the recorder and the minutes: hn_archive_index_meeting), NULL before
 * hn_hub_archive_start. transfer none. */
HnArchive *hn_hub_archive(HnHub *hub);

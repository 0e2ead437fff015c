/* Recording in the hub (docs/recording.md): who may start and stop it (a chair's `record`
 * message, POST /api/v1/rooms/{name}/recording, a room configured `record = true` at its first
 * join), the `recording` indicator broadcast to everyone in the room, and the link between the
 * room on its worker (app/room.h hn_room_record) and the recorder thread (record/recorder.h).
 * A recording ends when it is stopped, when the room's meeting ends (its last participant
 * left), or by itself when the archive's disk reaches [recording] reserve_mb.
 * Thread: main loop only. */
#pragma once

#include "app/hub_priv.h"

/* Starts the recorder and finishes what a crash left behind (hn_recorder_recover). */
void hn_hub_recording_init(HnHub *hub, GMainContext *main_ctx);
/* Stops every recording, waiting for their files to be finished. */
void hn_hub_recording_free(HnHub *hub);
/* Handles `record` (FALSE for other messages). */
gboolean hn_hub_recording_message(HnHub *hub, HnHubConn *c, const HnProtoMsg *m);
/* c entered its room: a room configured `record = true` starts recording. */
void hn_hub_recording_entered(HnHub *hub, HnHubConn *c);
/* e closes (its last participant left): its capture goes with its HnRoom; the recording goes on
 * until the meeting ends (meeting.ended, after [rooms] end_grace) and is captured again when
 * someone rejoins. */
void hn_hub_recording_room_closed(HnHub *hub, HnRoomEntry *e);
/* Adds "recording": {on, since, by, reason} to a `joined` text (others pass through).
 * transfer full in and out. */
char *hn_hub_recording_decorate(HnHub *hub, uint64_t conn_id, char *text);
/* The REST API's rooms/{name}/recording (app/api_v1.c routes it here). */
struct HnApiCall;
void hn_api_recording(struct HnApiCall *c);
/* Recorder counters for /metrics (zeros before init). */
void hn_hub_recording_stats(HnHub *hub, HnRecorderStats *out);

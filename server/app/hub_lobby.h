/* The lobby of the hub (docs/signaling.md, "The lobby"): in a [room:NAME] lobby = true room, a
 * newcomer who passed the join gate, is not a chair and has no lobby_bypass claim is held here,
 * on the main loop: nothing is sent to the room's worker, so it has no transport, receives no
 * media and no participant list, and is neither a member nor in broadcasts. It gets `lobby`
 * {room, position, chair_present} and waits; the room's chairs get `lobby-list` and answer with
 * `admit` or `deny`. Admitted, the held join proceeds as a normal join (`joined` with the join's
 * request id); denied or timed out ([rooms] lobby_timeout), an error and the socket closes.
 * Every knock, admission, denial and timeout is an audit row. One admitted with a token's sub
 * rejoins without waiting while the room stays open. Thread: main loop only. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "app/hub_priv.h"

/* transfer full; hub: transfer none, must outlive the lobbies. */
HnHubLobbies *hn_hub_lobby_new(HnHub *hub);
/* Frees the lobbies (the waiting joins with them, without answering them). NULL: no-op. */
void hn_hub_lobby_free(HnHubLobbies *lb);

/* TRUE when newcomers to room wait in its lobby. The one place that decides it: declared rooms
 * read [room:NAME] lobby; rooms made through the API can be looked up here too. */
gboolean hn_hub_room_lobby(HnHub *hub, const char *room);

/* Called for a join that passed the gate. TRUE when the lobby took it: j's contents are taken
 * (j is left cleared) and the newcomer was answered (`lobby`, or room-full when the lobby is
 * full). FALSE: not a lobby room, a chair, or bypass: the caller lets it in (j untouched). */
gboolean hn_hub_lobby_hold(HnHub *hub, uint64_t conn_id, HnHubJoin *j, gboolean bypass);
/* TRUE when conn_id waits in a lobby. */
gboolean hn_hub_lobby_waits(HnHub *hub, uint64_t conn_id);
/* A message from a waiting connection (not `join`): `leave` closes it, anything else is
 * answered not-joined. */
void hn_hub_lobby_waiting_message(HnHub *hub, uint64_t conn_id, const HnProtoMsg *m);
/* A joined participant's `admit` or `deny`: forbidden unless a chair, bad-field for an id that
 * does not wait in the chair's room, else ack. */
void hn_hub_lobby_request(HnHub *hub, HnHubConn *c, const HnProtoMsg *m);
/* c just entered its room: a chair gets the lobby-list (after its `joined`), and those who wait
 * learn that a chair is present. */
void hn_hub_lobby_entered(HnHub *hub, const HnHubConn *c);
/* A socket closed: TRUE when it was waiting (it leaves the lobby; the caller has nothing else to
 * do). */
gboolean hn_hub_lobby_closed(HnHub *hub, uint64_t conn_id);
/* A participant of room left (it is no longer in hub->conns): if it was a chair, those who wait
 * may now have none; room_empty: it was the last one, the room closes and forgets whom it
 * admitted. */
void hn_hub_lobby_left(HnHub *hub, const char *room, HnRole role, gboolean room_empty);
/* A newcomer admitted once (its token's sub) rejoins without waiting while the room stays open
 * (a lost connection, a reload). This forgets sub in room, e.g. when a chair removes it. */
void hn_hub_lobby_forget(HnHub *hub, const char *room, const char *sub);

typedef struct {
    guint waiting;
    guint64 knocks, admitted, denied, timeouts;
} HnHubLobbyStats;
void hn_hub_lobby_get_stats(HnHub *hub, HnHubLobbyStats *out);

/* The hub's inside, shared by the files that extend it (moderation, chat, votes, the REST API)
 * so each capability lives in its own file next to hub.c instead of growing hub.c. Nothing
 * outside server/app/hub*.c and server/app/api_*.c includes this. Thread: main loop only. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "app/config.h"
#include "app/hub.h"
#include "app/hub_meeting.h"
#include "app/join_gate.h"
#include "app/metrics.h"
#include "app/room.h"
#include "app/room_policy.h"
#include "meeting/floor.h"
#include "signaling/protocol.h"
#include "signaling/server.h"
#include "store/store.h"

/* A room as the hub knows it: where it lives and who is in it. */
typedef struct {
    char *name;
    HnWorker *worker;
    HnRoom *room; /* dereferenced on the worker only */
    guint members;
    guint max_participants;
    HnFloor *floor; /* roles, mutes, hands, locked (app/hub_moderation.c); NULL until a join */
} HnRoomEntry;

/* A joined participant: one WebSocket connection. */
typedef struct {
    uint64_t id;       /* the connection id; the participant is "p<id>" */
    HnRoomEntry *room; /* NULL until joined */
    gboolean left;     /* the client said "leave" */
    HnRole role; /* decided by the join gate (token, session, room policy), never the client */
    char *name;  /* display name (the token's when it has one) */
    char *sub;   /* the token's stable id (attendance), or NULL */
} HnHubConn;

typedef struct HnHubLobbies HnHubLobbies; /* app/hub_lobby.h */
typedef struct HnHubMinutes HnHubMinutes; /* app/hub_minutes.h */

/* A join that passed the gate, as hn_hub_enter lets it into its room (held in a lobby first
 * when the room has one). Strings owned; clear with hn_hub_join_clear. */
typedef struct {
    char *room;
    char *name;    /* the token's name, else the client's */
    HnRole role;   /* the gate's */
    char *sub;     /* the token's sub, or NULL */
    char *how;     /* "open", "pin", "token", "account": for the audit row */
    char *addr;    /* the client's address: for the audit row */
    char *id_json; /* the join's request id (JSON text), or NULL: `joined` carries it */
    char *client;  /* the meeting log's client kind: NULL "browser", "whip" */
} HnHubJoin;

struct HnHub {
    const HnConfig *cfg;
    HnWorkerPool *pool;
    HnCert *cert;
    HnIceSettings ice;
    HnSignaling *sig;
    GHashTable *rooms; /* name -> HnRoomEntry* */
    GHashTable *conns; /* &id -> HnHubConn* (joined participants) */
    guint64 joins;
    HnHttpRoutes *routes;
    HnMetrics *metrics;
    HnJoinGate *gate;
    HnStore *store;       /* NULL: no audit rows */
    char *session_secret; /* signs account sessions: [auth] jwt_secret or random per process */
    guint64 joins_refused;
    guint64 joins_busy;               /* refused with server-busy (admission control) */
    gint64 busy_logged_us;            /* the last server-busy log line (one a second at most) */
    struct HnMachineLoad *machine;    /* app/machine_load.c; NULL: off */
    HnHubLobbies *lobby;              /* app/hub_lobby.c */
    struct HnHubChatVote *chatvote;   /* app/hub_chatvote.c; NULL until first used */
    HnRoomPolicies *policies;         /* rooms made through the API (app/room_policy.h) */
    HnHubMeetings *meetings;          /* meetings and their event log (app/hub_meeting.h) */
    struct HnHubRecording *recording; /* app/hub_recording.c */
    HnHubMinutes *minutes;            /* app/hub_minutes.c; NULL without a store */
    struct HnHookDelivery *hooks;     /* app/hub_hooks.c; NULL until the store is set */
    struct HnHubPicture *picture;     /* app/hub_picture.c; NULL until first used */
    struct HnHubWhip *whip;           /* app/hub_whip.c: WHIP sessions */
    HnHubSiteCloseFn site_close;      /* the SIP gateway's hang-up (hn_hub_set_site_close) */
    void *site_close_user;
    HnHubSiteDialFn site_dial; /* the SIP gateway's dial-out (hn_hub_set_site_dial) */
    void *site_dial_user;
};

/* Closes participant conn_id: a WebSocket with code and reason, a room system (gateway) by its
 * hang-up; either way it leaves as on_close decides ("left" when c->left). */
void hn_hub_close_conn(HnHub *hub, uint64_t conn_id, int code, const char *reason);
/* Sends text (transfer full; NULL: nothing) to one connection. */
void hn_hub_send(HnHub *hub, uint64_t conn_id, char *text);
/* Sends a copy of text (transfer none) to every participant of e but except_id (0: none). */
void hn_hub_broadcast(HnHub *hub, const HnRoomEntry *e, const char *text, uint64_t except_id);
/* An `error` reply to m (its id echoed). */
void hn_hub_reply_error(HnHub *hub, uint64_t conn_id, HnProtoErrorCode code, const char *msg,
                        const char *ref, const HnProtoMsg *m);
/* The joined participant of conn_id, or NULL. transfer none. */
HnHubConn *hn_hub_conn(HnHub *hub, uint64_t conn_id);
/* Lets j into its room: room-not-found or room-full (answered, FALSE), else the participant is
 * added, audited and joined on the room's worker (`joined` carries j->id_json). j: transfer
 * none. */
gboolean hn_hub_enter(HnHub *hub, uint64_t conn_id, const HnHubJoin *j);
/* Admission control: 0 when a newcomer to room may come in now, else the seconds it should wait
 * (the room's worker, or the one a new room would open on, is overloaded: transport/worker.h).
 * Counts the refusal in joins_busy when not 0. */
guint hn_hub_busy(HnHub *hub, const char *room);
void hn_hub_join_clear(HnHubJoin *j);
/* The participant conn_id leaves its room with why ("left", "timeout", "disconnected"): the
 * room, the floor, the meeting log and the lobby hear of it. FALSE when it was not joined. */
gboolean hn_hub_part(HnHub *hub, uint64_t conn_id, const char *why);
/* A joined participant's pub offer (`publish`) and trickled pub candidate, posted to its room's
 * worker; nothing when conn_id is not joined. req_id: as hn_room_publish's. */
void hn_hub_publish(HnHub *hub, uint64_t conn_id, const char *sdp, const char *req_id);
void hn_hub_candidate(HnHub *hub, uint64_t conn_id, const char *candidate);
/* TRUE when the participant may run the meeting (mute others, lobby, votes): role chair, or a
 * secretary a chair gave chair rights. */
gboolean hn_hub_conn_may_chair(const HnHubConn *c);

/* --- moderation (app/hub_moderation.c) --- */
/* Close codes of a socket the chair removed, or of everyone's when the meeting ended. */
#define HN_HUB_CLOSE_REMOVED 4001
#define HN_HUB_CLOSE_ENDED   4002
/* TRUE (answered `meeting-locked` and audited) when e is locked and role may not pass. */
gboolean hn_hub_moderation_refuse_locked(HnHub *hub, HnRoomEntry *e, uint64_t conn_id, HnRole role,
                                         const char *name, const HnProtoMsg *m);
/* c joins e's floor: returns its role (an `open` room's first member with no chair present
 * becomes its chair). */
HnRole hn_hub_moderation_join(HnHub *hub, HnRoomEntry *e, uint64_t conn_id, HnRole role,
                              gboolean open_room);
/* c left its room (before it is freed): hands behind it move up. */
void hn_hub_moderation_leave(HnHub *hub, HnHubConn *c);
/* Handles state, hand and moderate; FALSE for other messages. */
gboolean hn_hub_moderation_message(HnHub *hub, HnHubConn *c, const HnProtoMsg *m);
/* Adds each participant's state to a joined / participant-joined text for conn_id (transfer
 * full in and out). */
char *hn_hub_moderation_decorate(HnHub *hub, uint64_t conn_id, char *text);

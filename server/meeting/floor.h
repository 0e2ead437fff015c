/* The floor of one meeting room: who runs it and who may speak, as a pure model (no I/O, no
 * clock reads, no threads; time is an argument). Per participant: its role, chair rights (a
 * secretary given them by a chair), the microphone/camera state the client reports, a "locked by
 * the chair" flag per kind, a raised hand with its place in the queue; per room: locked (no new
 * joins but chairs).
 *
 * Every operation checks the actor's rights here (a forged request from someone who may not chair
 * returns -EPERM and changes nothing) and appends what must happen to an effects array (GArray of
 * HnFloorFx): messages to send, producers to mute or release in the router, people to disconnect.
 * The caller (app/hub_moderation.c) applies them in order and audits.
 *
 * Thread: one floor per room, every call on one thread (the hub's main loop). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/room_model.h" /* HnRole */

typedef struct HnFloor HnFloor;

typedef enum {
    HN_FLOOR_AUDIO = 0,
    HN_FLOOR_VIDEO = 1,
} HnFloorKind;

typedef enum {
    HN_FLOOR_MUTE = 0,     /* kind: lock the target's kind off and stop forwarding it */
    HN_FLOOR_ALLOW_UNMUTE, /* kind: lift the lock (the owner unmutes when it wants) */
    HN_FLOOR_ASK_UNMUTE,   /* kind: lift the lock and ask the owner to unmute */
    HN_FLOOR_MUTE_ALL,     /* kind: mute everyone who may not chair, but the presenter */
    HN_FLOOR_REMOVE,       /* disconnect the target */
    HN_FLOOR_LOCK,         /* no new joins (chairs excepted) */
    HN_FLOOR_UNLOCK,
    HN_FLOOR_GIVE_FLOOR, /* lower the target's hand, lift its audio lock, ask it to unmute */
    HN_FLOOR_LOWER_HAND,
    HN_FLOOR_LOWER_HANDS,
    HN_FLOOR_GRANT_CHAIR, /* a secretary gets chair rights */
    HN_FLOOR_REVOKE_CHAIR,
    HN_FLOOR_END,        /* everyone is disconnected */
    HN_FLOOR_STOP_SHARE, /* the target's screen share is stopped */
    HN_FLOOR_N_ACTIONS
} HnFloorAction;

typedef enum {
    HN_FLOOR_FX_UPDATED,        /* pid's participant-updated to everyone in the room */
    HN_FLOOR_FX_FORWARD,        /* pid, kind, on: resume (on) or stop forwarding pid's kind */
    HN_FLOOR_FX_UNMUTE_REQUEST, /* to pid: kind, by asks it to unmute */
    HN_FLOOR_FX_REMOVE,         /* disconnect pid (removed by `by`) */
    HN_FLOOR_FX_END,            /* the meeting ended: disconnect everyone */
    HN_FLOOR_FX_ROOM_STATE,     /* the room's locked flag changed */
    HN_FLOOR_FX_STOP_SHARE,     /* to pid: stop presenting (by the chair `by`) */
} HnFloorFxType;

typedef struct {
    HnFloorFxType type;
    uint64_t pid; /* the participant concerned (0 for END and ROOM_STATE) */
    uint64_t by;  /* the actor (0: the system or the API) */
    HnFloorKind kind;
    bool on;
} HnFloorFx;

/* What a participant-updated message says. */
typedef struct {
    uint64_t pid;
    HnRole role;
    bool chair;      /* may chair: role chair, or a secretary given chair rights */
    bool presenting; /* shares its screen (one presenter at a time) */
    bool on[2];      /* the client's microphone / camera (HnFloorKind index) */
    bool locked[2];  /* locked off by the chair */
    unsigned hand;   /* 1-based place in the queue of raised hands, 0: not raised */
    int64_t hand_at; /* when it was raised (the caller's clock), 0: not raised */
} HnFloorPart;

/* transfer full; free with hn_floor_free (NULL ok). */
HnFloor *hn_floor_new(void);
void hn_floor_free(HnFloor *f);

/* Wire names ("mute", "allow-unmute", ...) and back; -1 for an unknown name. */
const char *hn_floor_action_name(HnFloorAction a);
int hn_floor_action_parse(const char *name);
/* Whether the action names a target participant. */
bool hn_floor_action_needs_target(HnFloorAction a);

/* A participant joins with the role the join gate decided. In an `open` room (no token, no PIN)
 * the first member to join while no chair is present becomes its chair. Returns the role the
 * participant has (the caller passes it on to the media room). Microphone and camera start on
 * (off for observers). fx gets nothing: the caller announces the newcomer. */
HnRole hn_floor_join(HnFloor *f, uint64_t pid, HnRole role, bool open_room);
/* pid left; hands behind it move up (UPDATED for each). Unknown pid: nothing. */
void hn_floor_leave(HnFloor *f, uint64_t pid, GArray *fx);

/* pid's own microphone or camera toggle. -ENOENT, -EPERM (turning on a kind the chair locked, or
 * anything for an observer). */
int hn_floor_set_state(HnFloor *f, uint64_t pid, HnFloorKind kind, bool on, GArray *fx);
/* pid raises (at now_us) or lowers its hand. -ENOENT. Raising a raised hand keeps its place. */
int hn_floor_hand(HnFloor *f, uint64_t pid, bool raised, int64_t now_us, GArray *fx);

/* A chair's action. by: the actor's pid, or 0 for the system / REST API (always allowed). target:
 * the participant for actions that name one. Returns 0, -EPERM (by may not chair), -ENOENT (no such
 * target), -EINVAL (a target missing, chair rights for someone not a secretary, removing
 * oneself). Nothing changes on an error. */
int hn_floor_moderate(HnFloor *f, uint64_t by, HnFloorAction action, uint64_t target,
                      HnFloorKind kind, GArray *fx);

/* pid started (presenting) or stopped sharing a screen; a new presenter takes over from the
 * previous one (UPDATED for each whose state changed). mute-all spares the presenter; the chair's
 * stop-share ends a share (STOP_SHARE to the presenter; -EINVAL when the target presents nothing).
 */
void hn_floor_set_presenting(HnFloor *f, uint64_t pid, bool presenting, GArray *fx);
/* Who shares a screen now, 0: nobody. */
uint64_t hn_floor_presenter(const HnFloor *f);

/* Queries. */
bool hn_floor_locked(const HnFloor *f);
bool hn_floor_may_chair(const HnFloor *f, uint64_t pid);
/* transfer none, valid until the next mutating call; NULL when unknown. */
const HnFloorPart *hn_floor_get(const HnFloor *f, uint64_t pid);
/* Participants in join order: fills up to max pids, returns the total. */
size_t hn_floor_list(const HnFloor *f, uint64_t *pids, size_t max);

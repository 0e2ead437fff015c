/* What a room tells a participant, as typed values (no JSON, no I/O): signaling/room_json.c
 * writes them on the wire. Kept apart from app/room.h so that signaling/ needs no transport
 * headers. */
#pragma once

#include <glib.h>
#include <stddef.h>

#include "core/room_model.h"

/* Errors the room reports to a participant (signaling/ maps them to wire codes). */
typedef enum {
    HN_ROOM_ERR_BAD_SDP,   /* the description cannot be used */
    HN_ROOM_ERR_BAD_STATE, /* not now (no offer out, no such peer connection...) */
    HN_ROOM_ERR_FORBIDDEN, /* the participant's role does not allow it */
    HN_ROOM_ERR_LIMIT,     /* over a configured limit (tracks, sections, candidates) */
    HN_ROOM_ERR_INTERNAL,
} HnRoomError;

typedef enum {
    HN_ROOM_OUT_JOINED,        /* to the joiner: self_id, room, members */
    HN_ROOM_OUT_EVENT,         /* a room event (event) another participant should hear of */
    HN_ROOM_OUT_ANSWER,        /* sdp: the answer to the participant's publish offer */
    HN_ROOM_OUT_OFFER,         /* sdp + tracks: a new subscriber offer */
    HN_ROOM_OUT_CANDIDATE,     /* sub, candidate (NULL: end of candidates) */
    HN_ROOM_OUT_CONNECTED,     /* sub: that peer connection carries media now */
    HN_ROOM_OUT_LINK,          /* link_bps, link_source, link_loss: the downlink estimate */
    HN_ROOM_OUT_ERROR,         /* code, message, ref */
    HN_ROOM_OUT_LAYERS,        /* to a simulcast publisher: mid, rids (the layers to send) */
    HN_ROOM_OUT_SHARE_STOPPED, /* to a presenter: self_id (who took the share over) */
} HnRoomOutType;

typedef struct {
    const char *id, *name;
    HnRole role;
} HnRoomMember;

typedef struct {
    const char *mid;
    const char *participant; /* whose media */
    HnKind kind;
    HnTrackSource source;
} HnRoomOfferTrack;

/* One thing to tell one participant. Everything is transfer none, valid during the call. */
typedef struct {
    HnRoomOutType type;
    const char *req_id; /* the JSON text of the request's "id" this replies to, or NULL */
    const HnRoomEvent *event;
    const char *self_id, *room;
    HnRole self_role; /* JOINED: the joiner's role */
    const HnRoomMember *members;
    size_t n_members;
    const char *sdp;
    const HnRoomOfferTrack *tracks;
    size_t n_tracks;
    gboolean sub;
    uint64_t link_bps;
    const char *link_source; /* "twcc", "remb", "hint" */
    double link_loss;
    const char *candidate;
    HnRoomError code;
    const char *message, *ref;
    const char *mid;
    const char *const *rids;
    size_t n_rids;
} HnRoomOut;

/* The room as a model: who is in a meeting, what each participant publishes, who receives what,
 * and the offer/answer state of every subscriber's view, with no I/O at all (like the router:
 * no sockets, no clock reads, no threads, no SDP text).
 *
 * Input: participants joining and leaving (with role and kind), the tracks a publisher's latest
 * accepted offer carries, subscribers' answers, legs connecting, SSRCs learnt from packets,
 * policy changes (a chair's mute, a subscriber's pause, lobby admission).
 * Output, through the HnRoomModelOps callbacks given at creation, in the order they must be
 * applied:
 *   - actions for the media plane (HnRoomAction: producers and consumers to add, remove, rebind,
 *     pause; key frames to request; a subscriber offer to send), applied to a router by the
 *     caller, who returns 0 or the router's negative errno (a failed consumer is retired and
 *     counted, never left as a dead slot);
 *   - structured events (HnRoomEvent: participant joined/left, track added/removed/muted ...)
 *     for the clients, the store, the hooks and the recorder.
 *
 * Policy in this version: every participant admitted to the room receives every track of every
 * other admitted participant, except that observers and recorders publish nothing and a
 * participant in the lobby neither publishes nor receives. A subscriber that rejects a video
 * section of H.264 (a browser without H.264) gets, in a new section, the same track transcoded
 * to VP8 (HN_RA_START_TRANSCODE: one transcode per producer, shared by every such subscriber,
 * stopped with the last of them or with the producer); the others keep H.264 as is. Muting by the
 * chair pauses every consumer of a track; a subscriber's own pause pauses one consumer.
 *
 * Thread: one model per room, every call on the room's thread. Callbacks must not call back into
 * the model (they may be queued and applied later; the model does not depend on their effect
 * except through their return value). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/codec.h"
#include "core/simulcast.h"

#define HN_ROOM_MID_MAX      32
#define HN_ROOM_ID_MAX       24   /* "p<pid>" */
#define HN_ROOM_TRACKS_MAX   8    /* tracks one participant may publish */
#define HN_ROOM_SECTIONS_MAX 2048 /* m= sections of one subscriber's offer (the SDP limit) */

typedef struct HnRoomModel HnRoomModel;

typedef enum {
    HN_ROLE_MEMBER = 0, /* an official: publishes and receives */
    HN_ROLE_CHAIR,      /* runs the meeting: may mute others */
    HN_ROLE_SECRETARY,  /* keeps the record */
    HN_ROLE_OBSERVER,   /* receives only */
    HN_ROLE_SITE,       /* a room system or a hall: like a member, shown with its site name */
} HnRole;

typedef enum {
    HN_PART_BROWSER = 0,
    HN_PART_ROOM_SYSTEM, /* SIP/WHIP hardware endpoint */
    HN_PART_RECORDER,    /* receives everything, publishes nothing, invisible in the roster */
    HN_PART_REMOTE,      /* a participant relayed from another node */
} HnPartKind;

typedef enum {
    HN_SOURCE_MICROPHONE = 0,
    HN_SOURCE_CAMERA,
    HN_SOURCE_SCREEN,
} HnTrackSource;

typedef enum {
    HN_LEAVE_LEFT = 0,
    HN_LEAVE_DISCONNECTED,
    HN_LEAVE_TIMEOUT,
    HN_LEAVE_KICKED,
} HnLeaveReason;

/* One accepted m= section of a publisher's offer, as the SDP layer negotiated it. */
typedef struct {
    char mid[HN_ROOM_MID_MAX];
    HnKind kind;
    HnTrackSource source;
    HnCodec codec;  /* with the publisher's payload type */
    uint32_t ssrc;  /* 0: not signalled, learnt from the first packet (hn_room_model_learn_ssrc) */
    uint8_t rtx_pt; /* the publisher's RTX payload type (video), 0: none */
    uint32_t rtx_ssrc;   /* from a=ssrc-group:FID, 0: learnt by the router */
    HnSimulcastDesc sim; /* video simulcast layers (n_layers 0: none), for the router */
} HnRoomTrackDesc;

/* One m= section of a subscriber's offer (its "slot"). consumer_id 0: inactive, recyclable. */
typedef struct {
    char mid[HN_ROOM_MID_MAX];
    HnKind kind;
    HnCodec codec;                    /* with the server-side payload type */
    uint32_t ssrc;                    /* what the server sends with */
    uint8_t rtx_pt;                   /* video: server RTX payload type (apt = codec.pt), else 0 */
    uint32_t rtx_ssrc;                /* video: the RTX SSRC (a=ssrc-group:FID ssrc rtx_ssrc) */
    uint32_t producer_id;             /* the producer feeding it */
    uint32_t consumer_id;             /* 0 = inactive */
    bool rejected;                    /* the client rejected it (codec): never reused */
    bool answered;                    /* the client answered an offer carrying this consumer */
    bool in_router;                   /* the consumer was added to the router */
    bool paused;                      /* the subscriber paused it */
    char participant[HN_ROOM_ID_MAX]; /* whose media: the msid stream id */
    char cname[HN_ROOM_ID_MAX];
    char track_id[64];
    HnTrackSource source;
} HnRoomSlot;

typedef enum {
    HN_RA_ADD_PRODUCER,     /* producer_id, leg_id, codec, ssrc, rtx_pt, rtx_ssrc */
    HN_RA_REBIND_PRODUCER,  /* producer_id, leg_id, ssrc (0: parked until the SSRC is learnt),
                             * rtx_pt, rtx_ssrc */
    HN_RA_REMOVE_PRODUCER,  /* producer_id (and its consumers) */
    HN_RA_ADD_CONSUMER,     /* consumer_id, producer_id, leg_id, ssrc, pt, rtx_pt, rtx_ssrc */
    HN_RA_REMOVE_CONSUMER,  /* consumer_id */
    HN_RA_PAUSE_CONSUMER,   /* consumer_id, paused */
    HN_RA_REQUEST_KEYFRAME, /* producer_id */
    HN_RA_SEND_SUB_OFFER,   /* pid: build an offer from hn_room_model_offered() and send it */
    /* A subscriber rejected producer_id's H.264 video (its browser has no H.264): start a VP8
     * transcode of it (pt: the publisher's H.264 payload type), published as producer
     * derived_id (ssrc, codec: VP8 with its payload type), a hidden
     * track of the same participant (pid, mid). A negative return: no transcode (counted). */
    HN_RA_START_TRANSCODE,
    /* The last such subscriber left, or the producer ended: stop it (producer_id, derived_id);
     * derived_id's consumers are removed before. */
    HN_RA_STOP_TRANSCODE,
} HnRoomActionType;

typedef struct {
    HnRoomActionType type;
    uint64_t pid; /* the participant concerned (subscriber for consumers and offers) */
    uint32_t producer_id, consumer_id, leg_id, ssrc;
    uint8_t pt;
    uint8_t rtx_pt; /* RFC 4588 RTX: payload type (0: none) and SSRC (0: learnt) */
    uint32_t rtx_ssrc;
    bool paused;
    const HnCodec *codec; /* transfer none, valid during the call */
    /* ADD/REBIND_PRODUCER: the track's simulcast layers (n_layers 0: none) and its mid;
     * transfer none */
    const HnSimulcastDesc *sim;
    const char *mid;
    HnTrackSource source; /* ADD/REBIND_PRODUCER: camera, screen or microphone */
    uint32_t derived_id;  /* START/STOP_TRANSCODE: the VP8 producer made from producer_id */
} HnRoomAction;

typedef enum {
    HN_RE_PARTICIPANT_JOINED, /* pid, participant_id, name, role, kind */
    HN_RE_PARTICIPANT_LEFT,   /* pid, participant_id, reason */
    HN_RE_TRACK_ADDED,        /* pid, mid, kind, source, producer_id */
    HN_RE_TRACK_REMOVED,      /* pid, mid, kind, source, producer_id */
    HN_RE_TRACK_MUTED,        /* pid, mid, kind, source, by_chair, by (the chair's pid) */
    HN_RE_TRACK_UNMUTED,      /* same */
    HN_RE_ADMITTED,           /* pid left the lobby for the room */
    HN_RE_ROLE_CHANGED,       /* pid, role */
    HN_RE_ACTIVE_SPEAKER,     /* pid, participant_id: the dominant speaker (0 / NULL: none);
                               * speaking, n_speaking: who speaks now, loudest first. Emitted by
                               * the shell from core/speaker.h (the model has no clock), to every
                               * participant including the speaker */
    HN_RE_VIDEO_PAUSED,       /* pid, participant_id: a publisher whose video viewer `to` gets no
                               * more (paused true) or again (false) under last-N; for `to` only */
} HnRoomEventType;

/* A structured event. Strings: transfer none, valid during the call. */
typedef struct {
    HnRoomEventType type;
    uint64_t pid;
    const char *participant_id;
    const char *name;
    HnRole role;
    HnPartKind part_kind;
    HnLeaveReason reason;
    const char *mid;
    HnKind kind;
    HnTrackSource source;
    uint32_t producer_id;
    bool by_chair;
    uint64_t by;
    const char *const *speaking; /* ACTIVE_SPEAKER: participant ids */
    size_t n_speaking;
    uint64_t to; /* VIDEO_PAUSED: the viewer it is for */
    bool paused; /* VIDEO_PAUSED */
} HnRoomEvent;

typedef struct {
    /* Applies one action to the media plane; returns 0 or a negative errno. */
    int (*apply)(void *user, const HnRoomAction *a);
    /* A room-wide event (after the model's state changed). */
    void (*on_event)(void *user, const HnRoomEvent *ev);
} HnRoomModelOps;

typedef struct {
    uint64_t consumer_failures;           /* consumers the media plane refused (slot retired) */
    uint64_t offers;                      /* subscriber offers asked for */
    uint64_t refused_tracks;              /* publish sections refused (policy or limit) */
    uint64_t lastn_pauses, lastn_resumes; /* a viewer's video of one publisher off / on again */
    uint64_t transcode_failures;          /* START_TRANSCODE refused by the shell */
} HnRoomModelStats;

/* Creates a model emitting through ops (copied). ssrc_seed seeds the outgoing SSRCs (tests pass
 * a constant). transfer full; free with hn_room_model_free (NULL ok). */
HnRoomModel *hn_room_model_new(const HnRoomModelOps *ops, void *user, uint64_t ssrc_seed);
void hn_room_model_free(HnRoomModel *m);

/* Number of m= sections a subscriber offer may hold (default HN_ROOM_SECTIONS_MAX). A view that
 * would need more keeps its existing sections and counts the rest as refused. */
void hn_room_model_set_max_sections(HnRoomModel *m, unsigned max_sections);

/* A participant enters: in the lobby (lobby=true: no media until admitted) or in the room.
 * -EEXIST when pid is there already. Emits PARTICIPANT_JOINED (for admitted participants) and
 * gives the newcomer a slot for every existing track (SEND_SUB_OFFER when any). */
int hn_room_model_join(HnRoomModel *m, uint64_t pid, const char *name, HnRole role, HnPartKind kind,
                       bool lobby);
/* A participant whose one leg (leg_id, connected) both sends and receives without offer/answer
 * (a room system behind a gateway, a recorder, a relay): admitted at once, every section of its
 * view accepted as soon as it exists; SEND_SUB_OFFER then only tells the shell the view changed
 * (nothing waits for an answer). -EEXIST when pid is there already. */
int hn_room_model_join_leg(HnRoomModel *m, uint64_t pid, const char *name, HnRole role,
                           HnPartKind kind, uint32_t leg_id);
/* Admits a participant from the lobby. -ENOENT / -EALREADY. */
int hn_room_model_admit(HnRoomModel *m, uint64_t pid);
/* A participant goes: its producers and consumers are removed, every other view re-offered.
 * Emits PARTICIPANT_LEFT. Unknown pid: -ENOENT. */
int hn_room_model_leave(HnRoomModel *m, uint64_t pid, HnLeaveReason reason);
/* Changes a participant's role (an observer's tracks are removed). */
int hn_room_model_set_role(HnRoomModel *m, uint64_t pid, HnRole role);

/* The participant's latest accepted publish offer arrived on leg_id: tracks (transfer none) is
 * the whole set of its sending sections. Tracks not in the set are removed; new ones get a
 * producer (when their SSRC is known) and a slot at every other participant; a track whose leg
 * or SSRC changed is rebound (its subscribers' streams go on); one whose codec or payload type
 * changed gets a new producer. Returns the number of tracks accepted, or -ENOENT, -EPERM (the
 * participant may not publish: every track refused). Tracks over HN_ROOM_TRACKS_MAX are refused
 * and counted. */
int hn_room_model_publish(HnRoomModel *m, uint64_t pid, uint32_t leg_id,
                          const HnRoomTrackDesc *tracks, size_t n);
/* An RTP packet with an SSRC no producer has arrived on leg_id with payload type pt: if a track
 * of that leg waits for its SSRC with that payload type, it is bound. true when the packet
 * should be fed to the router again. */
bool hn_room_model_learn_ssrc(HnRoomModel *m, uint32_t leg_id, uint8_t pt, uint32_t ssrc);
/* The participant's subscriber leg (the one its consumers go out on). */
int hn_room_model_set_sub_leg(HnRoomModel *m, uint64_t pid, uint32_t leg_id);
/* A leg can carry media now: consumers answered on it are added. */
void hn_room_model_leg_connected(HnRoomModel *m, uint32_t leg_id);
/* The leg is going away (closed by the shell): a producer parked or bound on it stays in the
 * model but its router state will go with the transport; consumers on it are forgotten.
 * Call before removing the transport from the router. */
void hn_room_model_leg_closed(HnRoomModel *m, uint32_t leg_id);

/* The subscriber offer last asked for by SEND_SUB_OFFER (transfer none, valid until the next
 * call into the model): its sections. NULL + *n = 0 when pid is unknown. */
const HnRoomSlot *hn_room_model_offered(const HnRoomModel *m, uint64_t pid, size_t *n);
/* The shell could not send that offer (e.g. too large): the view stays as it was offered
 * before, and a new offer is asked for at the next change. */
void hn_room_model_offer_failed(HnRoomModel *m, uint64_t pid);
/* The subscriber's answer to the offer that is out: rejected[i] for offered section i (NULL:
 * none rejected). -ENOENT, -EPROTO when no offer is out. */
int hn_room_model_sub_answer(HnRoomModel *m, uint64_t pid, const bool *rejected, size_t n);
/* Before hn_room_model_sub_answer() with the same answer: no_rtx[i] true for an offered section
 * whose answer dropped its RTX payload type; its consumer, when added, gets plain retransmissions
 * (one already in the router keeps RTX: browsers never drop it on a renegotiation). -ENOENT,
 * -EPROTO when no offer is out. */
int hn_room_model_sub_answer_rtx(HnRoomModel *m, uint64_t pid, const bool *no_rtx, size_t n);
/* true when an offer is out and waits for its answer. */
/* Last-N (0: off): each browser viewer gets the video of the n video publishers who spoke last
 * (then the others in join order), itself not counted; audio always flows. The others' video
 * consumers are paused and HN_RE_VIDEO_PAUSED tells the viewer (again with paused false when
 * one comes back). Recorders, gateways and relays get every video. */
void hn_room_model_set_last_n(HnRoomModel *m, unsigned n);
/* pid spoke (the shell's active speaker: the dominant speaker, or one speaking now): the latest
 * speaker for last-N. */
void hn_room_model_spoke(HnRoomModel *m, uint64_t pid);
/* A new offer of pid's view as it is (the shell's ICE restart: the transport's credentials
 * changed); after the answer to one that is out, if any. 0 or -ENOENT. */
int hn_room_model_request_offer(HnRoomModel *m, uint64_t pid);
bool hn_room_model_offer_pending(const HnRoomModel *m, uint64_t pid);

/* The chair (by) mutes or unmutes every track of `pid` of the given kind. Consumers are paused;
 * the publisher keeps sending. -ENOENT, -EPERM (by is not the chair). */
int hn_room_model_mute(HnRoomModel *m, uint64_t by, uint64_t pid, HnKind kind, bool muted);
/* Subscriber pid pauses or resumes the track (publisher, mid) in its view. */
int hn_room_model_pause(HnRoomModel *m, uint64_t pid, uint64_t publisher, const char *mid,
                        bool paused);

/* The producer of the track (pid, mid), 0 when none. */
uint32_t hn_room_model_producer_of(const HnRoomModel *m, uint64_t pid, const char *mid);

/* H.264 -> VP8 transcodes running now (one per H.264 producer that a subscriber rejected). */
unsigned hn_room_model_transcodes(const HnRoomModel *m);

/* Participant queries (transfer none, valid until the next mutating call). */
bool hn_room_model_has(const HnRoomModel *m, uint64_t pid);
const char *hn_room_model_participant_id(const HnRoomModel *m, uint64_t pid);
/* Admitted participants visible in the roster (recorders excluded), in join order: fills up to
 * max pids, returns the total. */
size_t hn_room_model_roster(const HnRoomModel *m, uint64_t *pids, size_t max);
const char *hn_room_model_name(const HnRoomModel *m, uint64_t pid);
HnRole hn_room_model_role(const HnRoomModel *m, uint64_t pid);
/* Counts. */
unsigned hn_room_model_count(const HnRoomModel *m);
unsigned hn_room_model_publishers(const HnRoomModel *m);
unsigned hn_room_model_producers(const HnRoomModel *m);
unsigned hn_room_model_consumers(const HnRoomModel *m);
void hn_room_model_get_stats(const HnRoomModel *m, HnRoomModelStats *out);

const char *hn_role_name(HnRole role);
const char *hn_track_source_name(HnTrackSource source);
const char *hn_leave_reason_name(HnLeaveReason reason);

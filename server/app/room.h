/* A meeting room's media session on its worker thread: the thin shell around the pure room
 * model (core/room_model.h) and the sans-IO router (core/router.h). The shell owns the legs
 * (core/leg.h; WebRTC legs for browsers here), turns SDP into the model's inputs, applies the
 * model's actions to the router, and hands everything a participant must be told to the hub as
 * typed HnRoomOut values: JSON is written by signaling/ alone. It decides no policy.
 *
 * Thread: hn_room_new may be called from any thread; every other function runs on the room's
 * worker thread only (the hub posts them there with hn_worker_invoke). */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "app/room_out.h"
#include "core/room_model.h"
#include "core/router.h"
#include "core/speaker.h"
#include "record/recorder.h"
#include "transport/cert.h"
#include "transport/ice.h"
#include "transport/udp_mux.h"
#include "transport/worker.h"

typedef struct HnRoom HnRoom;

typedef struct {
    /* Tell participant conn_id something. Called on the worker thread; the implementation
     * translates (signaling/) and hops to the signalling thread. */
    void (*deliver)(void *user, uint64_t conn_id, const HnRoomOut *out);
    /* Every room-wide event once, for the store, the hooks and the recorder (may be NULL). */
    void (*observe)(void *user, const char *room, const HnRoomEvent *ev);
    /* Close participant conn_id's socket (its transports failed or timed out). */
    void (*kick)(void *user, uint64_t conn_id, const char *reason);
    void *user;
    HnCert *cert;             /* transfer none; outlives every room */
    const HnIceSettings *ice; /* transfer none; outlives every room */
    HnUdpMux *mux;            /* the worker's shared sockets (ICE-lite), or NULL: libnice */
    int consent_timeout_s;    /* a transport silent this long after connecting is dead */
    int ice_restart_grace_s;  /* ... and its participant is kept this much longer (ICE restart) */
    unsigned last_n;          /* viewers get the video of the N latest speakers only (0: all) */
    unsigned max_sections;    /* m= sections of one subscriber offer (0: the model's default) */
    /* One room across workers (app/spread_leg.h): once the room has this many subscriber legs,
     * new ones go on the other workers of pool, round robin (0: never; needs mux and the
     * pool's relays). pool: transfer none, outlives every room. */
    unsigned spread_subscribers;
    HnWorkerPool *pool;
} HnRoomEnv;

#define HN_ROOM_LINK_INTERVAL_MS 2000 /* "link" messages and estimate samples */
#define HN_ROOM_LINK_BUCKETS     9    /* hn_room_link_bounds_bps and +Inf */
/* Upper bounds (bits/s) of the estimate histogram's buckets, the last one excluded (+Inf). */
extern const uint64_t hn_room_link_bounds_bps[HN_ROOM_LINK_BUCKETS - 1];

/* Downlink estimates of the subscriber connections, one observation per connection with an
 * estimate every HN_ROOM_LINK_INTERVAL_MS (each also sent to its participant as "link"). */
typedef struct {
    uint64_t buckets[HN_ROOM_LINK_BUCKETS]; /* observations per bucket (not cumulative) */
    uint64_t count, sum_bps;
    uint64_t by_source[4]; /* observations by HnEstimateSource (index 0 unused) */
} HnRoomLinkStats;

/* What GET /metrics shows of a room (docs/operations.md). Gauges are the state now; counters
 * count since the room opened, legs already closed included. */
typedef struct {
    guint participants, publishers;
    guint producers, consumers; /* streams in the router now */
    guint transports;           /* legs (peer connections) open now */
    uint64_t rtp_in, rtp_out;   /* = router.rtp_in_packets, router.rtp_out_packets */
    HnRouterStats router;       /* hn_router_get_stats of the room's router */
    /* the room's legs, open and closed: what went over the wire (SRTP, RTCP, DTLS) */
    uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
    uint64_t srtp_rx_errors, srtp_tx_errors; /* unprotect / protect failures */
    uint64_t send_errors;                    /* datagrams the socket refused */
    uint64_t rx_not_ready;  /* RTP/RTCP that arrived before the leg's SRTP keys (dropped) */
    uint64_t rx_unknown;    /* datagrams that were neither STUN, DTLS nor RTP/RTCP (dropped) */
    uint64_t dtls_failures; /* legs that failed in the DTLS handshake or on a fatal alert */
    uint64_t ice_failures;  /* legs whose ICE failed */
    uint64_t ice_restarts;  /* ICE restarts in place (a publisher's re-offer, `restart-ice`) */
    uint64_t ice_grace_started, ice_grace_recovered; /* media silence: kept, and came back */
    HnRoomModelStats model; /* consumers refused, offers asked for, tracks refused */
    uint64_t queued_candidates, dropped_candidates; /* remote candidates before their SDP */
    HnRoomLinkStats link;   /* downlink estimates, sampled every HN_ROOM_LINK_INTERVAL_MS */
    HnSpeakerStats speaker; /* active speaker: levels read, updates sent, dominant changes */
    /* simulcast: consumers forwarding layer 0, 1, 2 now, and those waiting for their first key
     * frame (gauges); `layers` messages sent to publishers (counter) */
    guint sim_layer0, sim_layer1, sim_layer2, sim_waiting;
    uint64_t layer_updates;
} HnRoomStats;

/* transfer full. env is copied. */
HnRoom *hn_room_new(HnWorker *worker, const char *name, const HnRoomEnv *env);
/* Closes every leg and frees the room. NULL ok. Worker thread. */
void hn_room_free(HnRoom *room);

/* Every request below may carry req_id (the JSON text of the client's "id", NULL when none):
 * the reply or error to it echoes it. */

/* A participant joins with role (decided by the hub's join gate, never by the client): "joined"
 * goes to them, "participant-joined" to the others. */
void hn_room_join(HnRoom *room, uint64_t pid, const char *name, HnRole role, const char *req_id);
/* The participant's pub offer; replies "answer" or an error. screen_mid: the section that
 * carries a shared screen (NULL: none, or the client did not say: then a second video section
 * is taken for one). One participant presents at a time: a new share tells the previous
 * presenter "share-stopped". */
void hn_room_publish(HnRoom *room, uint64_t pid, const char *sdp, const char *screen_mid,
                     const char *req_id);
/* The participant's answer to our last sub offer. */
void hn_room_sub_answer(HnRoom *room, uint64_t pid, const char *sdp, const char *req_id);
/* A trickled candidate for the participant's pub (sub=FALSE) or sub peer connection; one that
 * arrives before its description is queued (up to a bound) and used once it is there. */
void hn_room_candidate(HnRoom *room, uint64_t pid, gboolean sub, const char *candidate,
                       const char *req_id);
/* The participant's `restart-ice`: the sub connection gets new ICE credentials and a new offer
 * carries them (DTLS and SRTP go on). Errors: bad-state (no sub connection yet, or full ICE). */
void hn_room_restart_ice(HnRoom *room, uint64_t pid, const char *req_id);
/* A participant carried by one leg that is not a browser's (a room system behind a gateway, a
 * recorder, a relay): the room adopts leg (transfer full; also on error, when it is destroyed),
 * routes what it sends as the tracks given (n may be 0) and sends it every other participant's
 * tracks, telling it which through leg->cls->set_streams (no offer/answer). Its liveness is its
 * owner's business. Returns 0, -EEXIST (pid taken), -EPERM (the role may not publish tracks:
 * it still receives). */
int hn_room_attach(HnRoom *room, uint64_t pid, const char *name, HnRole role, HnPartKind kind,
                   HnLeg *leg, const HnRoomTrackDesc *tracks, size_t n);
/* Asks the publisher of (pid, mid) for a key frame (a recorder starting, a composer's new
 * layout). 0, -ENOENT, -EINVAL (audio). */
int hn_room_request_keyframe(HnRoom *room, uint64_t pid, const char *mid);
/* One tile of a participant's view: a participant's video as large as the client shows it. */
typedef struct {
    char participant[24];   /* "p<pid>" */
    unsigned width, height; /* CSS px */
} HnRoomTile;
/* The participant's view (the `view` message): each video consumer of a listed participant
 * targets the simulcast layer that fits its tile; those of participants not listed get the
 * lowest layer (not shown, or not yet). */
void hn_room_view(HnRoom *room, uint64_t pid, const HnRoomTile *tiles, size_t n);
/* The chair muted (muted TRUE) or released the participant's kind: every consumer of its tracks
 * of that kind is paused in the router (the publisher may go on sending; nothing is forwarded),
 * tracks it publishes later included. 0 or -ENOENT. */
int hn_room_set_muted(HnRoom *room, uint64_t pid, HnKind kind, gboolean muted);
/* The participant leaves (reason: "left", "timeout", "disconnected"); unknown pid is ignored. */
void hn_room_leave(HnRoom *room, uint64_t pid, const char *reason);
void hn_room_get_stats(HnRoom *room, HnRoomStats *out);
/* Captures the room for recording s (a reference is taken; a capture running is replaced):
 * everyone present and every track now, then each join, leave and new track, and every RTP
 * packet and sender report of every producer through a router tap (the recorder copies them
 * into its bounded queue). Key frames are asked of the video publishers. */
void hn_room_record(HnRoom *room, HnRecSession *s);
/* Stops capturing (the reference is dropped); nothing if none. */
void hn_room_record_stop(HnRoom *room);
/* The feed of the room's composed picture (gateway/picture.h): like a recording's capture, the
 * publishers' own packets and sender reports through a router tap (every simulcast layer, before
 * any rewrite) and each track as it comes and goes, without a participant (nothing in the
 * roster, no consumer, no congestion state). Every callback runs on the worker thread inside the
 * router: copy and hand off, never block. strings: transfer none, valid during the call. */
typedef struct {
    void (*track)(void *user, uint32_t producer_id, const char *participant, const char *name,
                  const char *kind, const char *source);
    void (*track_end)(void *user, uint32_t producer_id);
    void (*rtp)(void *user, uint32_t producer_id, const HnTapPacket *p);
    void (*sr)(void *user, uint32_t producer_id, const HnRtcpSenderInfo *sr); /* NULL: none */
    void (*closed)(void *user); /* the feed ended (stopped, replaced, room freed): the last call */
} HnRoomFeed;
/* Starts the room's feed (one per room: a running one is stopped first); asks the video
 * publishers for key frames. f copied. */
void hn_room_feed(HnRoom *room, const HnRoomFeed *f, void *user);
/* Stops it (closed is called); nothing if none. */
void hn_room_feed_stop(HnRoom *room);
/* Asks participant_id's video publishers (camera and screen) for key frames: a WHEP viewer of
 * one participant starts or lost its picture. Returns how many were asked. Worker thread. */
int hn_room_feed_keyframe(HnRoom *room, uint64_t participant_id);
/* As hn_room_feed_keyframe for the participant the feed's track callback named participant_id:
 * the composition asks again for a tile still waiting for its first key frame. Worker thread.
 * participant_id: transfer none. */
void hn_room_feed_keyframe_named(HnRoom *room, const char *participant_id);

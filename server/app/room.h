/* A meeting room's media session on its worker thread: participants, their two WebRTC transports
 * (pub: the client offers, sub: the server offers), negotiation, and the sans-IO router that
 * forwards RTP between them. Policy (who may publish, who receives what) is decided here and
 * handed to the router as producers and consumers; the router never decides.
 *
 * Thread: hn_room_new may be called from any thread; every other function runs on the room's
 * worker thread only (the hub posts them there with hn_worker_invoke). */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "core/router.h"
#include "transport/cert.h"
#include "transport/ice.h"
#include "transport/udp_mux.h"
#include "transport/worker.h"

typedef struct HnRoom HnRoom;

typedef struct {
    /* Send text (transfer full) to participant conn_id's socket. Called on the worker thread;
     * the implementation must hop to the signalling thread. */
    void (*post)(void *user, uint64_t conn_id, char *text);
    /* Close participant conn_id's socket (its transports failed or timed out). */
    void (*kick)(void *user, uint64_t conn_id, const char *reason);
    void *user;
    HnCert *cert;             /* transfer none; outlives every room */
    const HnIceSettings *ice; /* transfer none; outlives every room */
    HnUdpMux *mux;            /* the worker's shared sockets (ICE-lite), or NULL: libnice */
    int consent_timeout_s;    /* a transport silent this long after connecting is dead */
} HnRoomEnv;

/* What GET /metrics shows of a room (docs/operations.md). Gauges are the state now; counters
 * count since the room opened, transports already closed included. */
typedef struct {
    guint participants, publishers;
    guint producers, consumers; /* streams in the router now */
    guint transports;           /* peer connections (legs) open now */
    uint64_t rtp_in, rtp_out;   /* = router.rtp_in_packets, router.rtp_out_packets */
    HnRouterStats router;       /* hn_router_get_stats of the room's router */
    /* the room's transports, open and closed: what went over the wire (SRTP, RTCP, DTLS) */
    uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
    uint64_t srtp_rx_errors, srtp_tx_errors; /* unprotect / protect failures */
    uint64_t send_errors;                    /* datagrams the socket refused */
    uint64_t dtls_failures; /* transports that failed in (or timed out before the end of) the
                               DTLS handshake, or on a fatal DTLS alert */
    uint64_t ice_failures;  /* transports whose ICE failed (no connectivity check came) */
} HnRoomStats;

/* transfer full. env is copied. */
HnRoom *hn_room_new(HnWorker *worker, const char *name, const HnRoomEnv *env);
/* Closes every transport and frees the room. NULL ok. Worker thread. */
void hn_room_free(HnRoom *room);

/* A participant joins: "joined" goes to them, "participant-joined" to the others. */
void hn_room_join(HnRoom *room, uint64_t pid, const char *name);
/* The participant's pub offer; replies "answer" or an error. */
void hn_room_publish(HnRoom *room, uint64_t pid, const char *sdp);
/* The participant's answer to our last sub offer. */
void hn_room_sub_answer(HnRoom *room, uint64_t pid, const char *sdp);
/* A trickled candidate for the participant's pub (sub=FALSE) or sub transport. */
void hn_room_candidate(HnRoom *room, uint64_t pid, gboolean sub, const char *candidate);
/* The participant leaves (reason: "left", "timeout", "disconnected"); unknown pid is ignored. */
void hn_room_leave(HnRoom *room, uint64_t pid, const char *reason);
/* Fills out (zeroed first). Worker thread. */
void hn_room_get_stats(HnRoom *room, HnRoomStats *out);

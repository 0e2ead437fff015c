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

typedef struct {
    guint participants, publishers;
    uint64_t rtp_in, rtp_out;
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
void hn_room_get_stats(HnRoom *room, HnRoomStats *out);

/* peer.h - the media side of one hn-load peer connection: a publisher on the server's own
 * HnWebrtcTransport (libnice ICE + DTLS + SRTP) in the client role; a subscriber on the ICE-lite
 * transport of lite.h (or HnWebrtcTransport when LoadEnv.lite_ip is NULL).
 *
 * A publisher peer offers sendonly Opus + VP8 and, once DTLS is up, loops the shared LoadMedia
 * in real time with its own SSRCs, continuous sequence numbers and timestamps, a send-time
 * trailer in every payload, RTCP SR + SDES every second, and a jump to the next key frame when
 * the SFU sends PLI or FIR. A subscriber peer answers the SFU's offers and measures every
 * stream it receives (stats.h), sends RTCP RR every second and PLI while it waits for a key
 * frame.
 *
 * Threads: a peer lives on one worker (transport/worker.h). The load_peer_* calls below are
 * made on the main thread; they only queue work for the worker. Events come back on the main
 * context given in LoadEnv. Nothing on the send or receive path allocates. */
#pragma once

#include <glib.h>

#include "media.h"
#include "sdp_client.h"
#include "stats.h"
#include "transport/cert.h"
#include "transport/ice.h"
#include "transport/webrtc_transport.h"
#include "transport/worker.h"

/* Received streams per subscriber peer (active and ended): an SDP carries at most 2048 sections
 * (HN_SDP_MAX_MEDIA), 1998 of them for a 1000-person meeting. Grown on demand. */
#define LOAD_MAX_STREAMS 2048

typedef enum { LOAD_PEER_PUB, LOAD_PEER_SUB } LoadPeerRole;

typedef struct LoadPeer LoadPeer;

/* Shared, read-only while peers exist. */
typedef struct {
    const LoadMedia *media;
    HnCert *cert;
    const HnIceSettings *ice;
    gboolean audio;         /* publishers send audio */
    double pacing;          /* video pacer: x the loop's bitrate (0: a frame leaves at once) */
    const char *lite_ip;    /* subscribers use the ICE-lite transport (lite.h) on this IP; NULL:
                             * libnice (HnWebrtcTransport) like publishers */
    GMainContext *main_ctx; /* where events are delivered */
} LoadEnv;

/* Delivered on env->main_ctx. p is valid until load_peer_free(). */
typedef struct {
    /* Our description (offer for a publisher, answer for a subscriber); transfer full. */
    void (*on_local_sdp)(void *user, LoadPeer *p, char *sdp);
    /* A local candidate "candidate:...", or NULL when gathering is done. */
    void (*on_candidate)(void *user, LoadPeer *p, const char *candidate);
    void (*on_connected)(void *user, LoadPeer *p);
    void (*on_failed)(void *user, LoadPeer *p, const char *reason);
    /* Subscriber: the first complete key frame of any video stream arrived at keyframe_ns
     * (CLOCK_MONOTONIC). */
    void (*on_keyframe)(void *user, LoadPeer *p, int64_t keyframe_ns);
} LoadPeerEvents;

/* A copy of a peer's figures (load_peers_snapshot). */
typedef struct {
    gboolean valid; /* filled by the worker (FALSE: the worker did not answer in time) */
    LoadPeerRole role;
    gboolean connected, failed, closed;
    int64_t connected_ns, keyframe_ns;
    /* publisher */
    uint64_t sent_packets, sent_bytes;
    uint64_t plis_rx, firs_rx, nacks_rx, keyframe_jumps;
    uint64_t late_packets;  /* sent more than 20 ms after their due time */
    uint64_t send_failures; /* not sent: the transport refused them (full socket, not ready) */
    int64_t late_max_us;
    /* subscriber */
    uint64_t unknown_ssrc, rtcp_rx, plis_tx, streams_dropped;
    size_t n_streams;
    LoadRxStream *streams; /* n_streams entries, transfer full (load_peer_snap_clear) */
    LoadHist hist;         /* forwarding delay of every stream, microseconds */
    HnWebrtcTransportStats transport;
} LoadPeerSnap;

/* Creates a peer on worker w (the transport is created there on the first call below).
 * index: the owner's index, for logs. env, ev: transfer none, must outlive the peer.
 * transfer full. Thread: main. */
LoadPeer *load_peer_new(const LoadEnv *env, HnWorker *w, LoadPeerRole role, int index,
                        const LoadPeerEvents *ev, void *user);

/* Publisher: builds the offer (delivered by on_local_sdp), then starts gathering. */
void load_peer_create_offer(LoadPeer *p);
/* Publisher: applies the SFU's answer (transfer full). */
void load_peer_set_answer(LoadPeer *p, HnSdp *answer);
/* Subscriber: answers the SFU's offer (transfer full) following plan (offer->n_media entries,
 * copied); the answer comes back by on_local_sdp. The first offer sets the remote ICE/DTLS
 * parameters; later ones (renegotiations) update the received streams. */
void load_peer_handle_offer(LoadPeer *p, HnSdp *offer, const LoadMidPlan *plan);
/* A trickled remote candidate; NULL or "" = end of candidates. */
void load_peer_add_candidate(LoadPeer *p, const char *candidate);
/* Stops media and closes the transport (DTLS close_notify). No event is delivered after. */
void load_peer_close(LoadPeer *p);
/* Frees the peer. Only after load_peer_close() and once its worker has stopped. NULL ok. */
void load_peer_free(LoadPeer *p);

LoadPeerRole load_peer_role(const LoadPeer *p);

/* CLOCK_MONOTONIC in nanoseconds (the clock of every hn-load timestamp). Any thread. */
int64_t load_now_ns(void);

/* Copies the figures of n peers into out[0..n) (on their workers), waiting up to 5 s. */
void load_peers_snapshot(LoadPeer *const *peers, size_t n, LoadPeerSnap *out);
/* Frees what a snapshot entry owns (its streams); the entry itself stays. NULL ok. Any thread. */
void load_peer_snap_clear(LoadPeerSnap *s);

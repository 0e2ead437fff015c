/* peer_priv.h - the inside of a LoadPeer, shared by peer.c (lifecycle, jobs, events) and
 * peer_media.c (sending, receiving, RTCP). Worker-thread fields unless noted. */
#pragma once

#include "lite.h"
#include "peer.h"

#define LOAD_PKT_MAX 1600

/* One outgoing track of a publisher: a position in the shared loop and its own RTP numbering.
 * The timeline position of a packet is pkt.ts + base_units (RTP units since start_ns). */
typedef struct {
    const LoadMediaTrack *m;
    bool on;
    size_t idx;
    int64_t base_units;
    uint16_t seq;
    uint32_t ts0, ssrc;
    uint8_t pt;
    bool kf_request;      /* jump to a key frame at the next frame boundary */
    double ns_per_byte;   /* pacer: 0 = off */
    int64_t pace_next_ns; /* pacer: earliest time of the next packet */
    uint64_t packets, octets;
} LoadTx;

struct LoadPeer {
    /* set at creation, read-only after */
    const LoadEnv *env;
    HnWorker *worker;
    GMainContext *ctx;
    LoadPeerRole role;
    int index;
    const LoadPeerEvents *ev;
    void *user;
    uint32_t rtcp_ssrc;
    char cname[24];
    uint64_t session_id;
    /* main thread only */
    gboolean main_closed;
    /* worker */
    HnWebrtcTransport *t; /* publishers, and subscribers without lite_ip */
    LoadLite *lite;       /* subscribers with lite_ip */
    gboolean gathering, remote_set, connected, failed, closed;
    int64_t connected_ns;
    GSource *pace;
    gboolean ticking; /* in the worker's RTCP ticker */
    /* publisher */
    LoadTx video, audio;
    int64_t start_ns;
    uint64_t plis_rx, firs_rx, nacks_rx, keyframe_jumps, late_packets;
    uint64_t send_failures; /* RTP packets the transport could not send (not in video/audio) */
    int64_t late_max_us;
    /* subscriber */
    size_t n_streams, cap_streams;
    LoadRxStream *streams; /* cap_streams entries, grown on a (re)negotiation, never per packet */
    int64_t *last_pli_ns;  /* cap_streams entries */
    LoadHist hist;
    int64_t keyframe_ns;
    uint64_t unknown_ssrc, rtcp_rx, plis_tx, streams_dropped;
    uint8_t buf[LOAD_PKT_MAX];
};

/* peer.c: delivers an event to the main context (worker thread). */
void load_peer_post_keyframe(LoadPeer *p, int64_t keyframe_ns);
/* peer.c: whether the peer has a transport, and sending RTCP on it (worker thread). */
gboolean load_peer_has_transport(const LoadPeer *p);
void load_peer_send_rtcp(LoadPeer *p, const uint8_t *buf, size_t len);

/* peer_media.c, all on the worker thread. */
void load_peer_tx_init(LoadPeer *p);  /* SSRCs, numbering and random start positions */
void load_peer_tx_start(LoadPeer *p); /* on DTLS up: pacing and RTCP timers */
void load_peer_rx_start(LoadPeer *p); /* on DTLS up: RR timer */
void load_peer_media_stop(LoadPeer *p);
void load_peer_on_rtp(void *user, HnWebrtcTransport *t, uint8_t *buf, size_t len);
/* One decrypted RTP packet that arrived at `now` (CLOCK_MONOTONIC ns). */
void load_peer_rx_rtp(LoadPeer *p, uint8_t *buf, size_t len, int64_t now);
void load_peer_on_rtcp(void *user, HnWebrtcTransport *t, uint8_t *buf, size_t len);
/* Makes the received streams match a (re)negotiated answer. */
void load_peer_update_streams(LoadPeer *p, const LoadSdpRecvTrack *tracks, size_t n);

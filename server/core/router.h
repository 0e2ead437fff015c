/* The media router of one room: the sans-IO core's public API for the transport layer.
 *
 * Model: transports (one per peer connection) carry producers (incoming streams, matched by
 * (transport, SSRC)) and consumers (outgoing streams, one producer forwarded to one transport with
 * its own SSRC and payload type). Input: decrypted RTP/RTCP packets and timeouts, each with `now`
 * (monotonic microseconds chosen by the caller). Output: plain RTP/RTCP packets handed to the sink
 * callbacks, to be protected and sent by the caller. The router never reads a clock, opens a
 * socket or starts a thread, and does not allocate per forwarded packet.
 *
 * Behaviour in short: RTP of a producer is checked, counted (RFC 3550 receive statistics),
 * cached for NACKs, handed to the tap, then rewritten (SSRC, seq, ts, PT) once per consumer.
 * Video consumers start, and restart after a source switch or a resume, only at a key frame; the
 * key frame is requested from the publisher (PLI, or FIR when only FIR was negotiated), at most
 * once per producer per 500 ms (a request delayed by that window is dropped if a key frame arrives
 * meanwhile). Subscriber PLI/FIR are forwarded the same way; subscriber NACKs
 * are answered from the cache. Every second the router sends an RR to each transport with
 * producers and an SR per consumer whose producer has sent an SR. RTCP is sent reduced-size
 * (RFC 5506, no SDES), several packets per compound when they fit in HN_ROUTER_RTCP_MTU.
 * Every dropped packet is counted under an HnDropReason.
 *
 * Thread: one router per room, all calls on the room's thread ("router thread only").
 * Re-entrancy: sink and tap callbacks must not call back into the router; mutators called from a
 * callback fail (critical warning, -EBUSY). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/codec.h"

#define HN_ROUTER_MAX_PACKET           1500 /* largest RTP/RTCP packet accepted, bytes */
#define HN_ROUTER_SEND_CAP             (HN_ROUTER_MAX_PACKET + 64) /* sink buffers' capacity */
#define HN_ROUTER_RTCP_MTU             1200    /* largest compound RTCP packet sent, bytes */
#define HN_ROUTER_REPORT_INTERVAL_US   1000000 /* RR/SR period */
#define HN_ROUTER_KEYFRAME_INTERVAL_US 500000  /* min gap between key frame requests */
#define HN_ROUTER_VIDEO_CACHE          512     /* NACK cache slots of a video producer */
#define HN_ROUTER_AUDIO_CACHE          128     /* ... of an audio producer that negotiated NACK */

typedef struct HnRouter HnRouter;

typedef struct {
    /* Sends one plain RTP packet on a transport. buf is router scratch memory, valid only during
     * the call; the callee may modify it in place (SRTP protect, up to HN_ROUTER_MAX_PACKET +
     * 64 bytes of room) and must copy it if it keeps it. */
    void (*send_rtp)(void *user, uint32_t transport_id, uint8_t *buf, size_t len);
    /* Same for one compound RTCP packet. */
    void (*send_rtcp)(void *user, uint32_t transport_id, uint8_t *buf, size_t len);
} HnRouterSink;

/* Called with every valid incoming RTP packet of a producer, before any rewrite (recorder,
 * gateways). buf: transfer none, valid only during the call. */
typedef void (*HnRouterTapFn)(void *user, uint32_t producer_id, const uint8_t *buf, size_t len,
                              int64_t now_us);

typedef enum {
    HN_DROP_BAD_PACKET = 0,    /* malformed RTP */
    HN_DROP_TOO_LARGE,         /* RTP or RTCP larger than HN_ROUTER_MAX_PACKET */
    HN_DROP_UNKNOWN_TRANSPORT, /* packet on a transport never added (or removed) */
    HN_DROP_UNKNOWN_SSRC,      /* RTP whose SSRC is no producer of its transport */
    HN_DROP_BAD_PT,            /* RTP whose payload type is not the producer's */
    HN_DROP_NO_CONSUMER,       /* valid RTP of a producer nobody consumes (still cached) */
    HN_DROP_PAUSED,            /* per consumer: consumer paused */
    HN_DROP_WAIT_KEYFRAME,     /* per consumer: video waiting for a key frame */
    HN_DROP_STALE,             /* per consumer: older than the start of the current source */
    HN_DROP_BAD_RTCP,          /* malformed compound RTCP, dropped whole */
    HN_DROP_RTCP_UNKNOWN_SSRC, /* per RTCP item about an SSRC we neither send nor receive */
    HN_DROP_NACK_NOT_CACHED,   /* per NACKed sequence number we cannot resend */
    HN_DROP__COUNT
} HnDropReason;

/* Stable snake_case name of a reason ("bad_packet", ...), "unknown" if out of range. */
const char *hn_drop_reason_name(HnDropReason reason);

typedef struct {
    uint64_t rtp_in_packets, rtp_in_bytes;   /* valid RTP of known producers */
    uint64_t rtp_out_packets, rtp_out_bytes; /* forwarded, retransmissions included */
    uint64_t rtcp_in_packets;                /* valid compound packets received */
    uint64_t rtcp_out_packets;               /* compound packets sent */
    uint64_t sr_in, rr_in, sdes_in, bye_in, app_in, remb_in, twcc_in, other_in;
    uint64_t pli_in, fir_in;         /* subscriber key frame requests (FIR: per FCI entry) */
    uint64_t nack_in;                /* NACKed sequence numbers */
    uint64_t rtx_sent;               /* packets resent from the cache */
    uint64_t keyframe_requests_sent; /* PLI/FIR sent to publishers */
    uint64_t drops[HN_DROP__COUNT];
} HnRouterStats;

typedef struct {
    uint32_t transport_id, ssrc;
    HnCodecId codec;
    uint64_t packets, bytes;
    int64_t packets_lost;     /* cumulative, RFC 3550 */
    uint32_t ext_highest_seq; /* cycles << 16 | seq */
    uint32_t jitter;          /* RTP timestamp units */
    uint64_t keyframe_requests_sent;
    unsigned consumers;
    bool has_sr;
} HnProducerStats;

typedef struct {
    uint32_t producer_id, transport_id, out_ssrc;
    bool paused;
    bool waiting_keyframe;   /* no packet forwarded yet since start, switch or resume */
    uint64_t packets, bytes; /* forwarded, retransmissions excluded */
    uint64_t rtx_packets;
    uint64_t pli_in, fir_in, nack_in;
    bool has_rr; /* the fields below come from the subscriber's last report block */
    uint8_t fraction_lost;
    int32_t cumulative_lost;
    uint32_t jitter; /* RTP timestamp units */
    int64_t rtt_us;  /* -1 until measured through an SR/RR round trip */
} HnConsumerStats;

/* Creates a router emitting through sink (copied) with user passed back to it.
 * Returns transfer full; free with hn_router_free(). */
HnRouter *hn_router_new(const HnRouterSink *sink, void *user);
/* Frees r and everything it holds; NULL is a no-op. */
void hn_router_free(HnRouter *r);

/* Adds a transport; rtcp_ssrc is our SSRC for the RRs and key frame requests sent on it.
 * Returns 0 or -EEXIST. */
int hn_router_add_transport(HnRouter *r, uint32_t transport_id, uint32_t rtcp_ssrc);
/* Removes a transport with its producers (and their consumers on any transport) and its
 * consumers. To keep a producer across a publisher reconnect, rebind it before this. */
void hn_router_remove_transport(HnRouter *r, uint32_t transport_id);

/* Adds a producer: RTP with ssrc arriving on transport_id, of codec (copied; must be a known
 * codec with a clock rate). Returns 0, -EINVAL, -ENOENT (no transport) or -EEXIST (id, or SSRC
 * already used on that transport). */
int hn_router_add_producer(HnRouter *r, uint32_t producer_id, uint32_t transport_id,
                           const HnCodec *codec, uint32_t ssrc);
/* Moves a producer to (transport_id, ssrc) after the publisher reconnected: receive stats, cache
 * and SR state restart, every consumer switches source (continuous output, video waits for a key
 * frame, which is requested). Returns 0, -ENOENT or -EEXIST. */
int hn_router_rebind_producer(HnRouter *r, uint32_t producer_id, uint32_t transport_id,
                              uint32_t ssrc);
/* Removes a producer and all its consumers; unknown ids are ignored. */
void hn_router_remove_producer(HnRouter *r, uint32_t producer_id);

/* Adds a consumer forwarding producer_id to transport_id as out_ssrc/out_pt, unpaused. A video
 * consumer waits for a key frame, which is requested. Returns 0, -ENOENT (producer or transport)
 * or -EEXIST (id, or out_ssrc already used by a consumer on that transport). */
int hn_router_add_consumer(HnRouter *r, uint32_t consumer_id, uint32_t producer_id,
                           uint32_t transport_id, uint32_t out_ssrc, uint8_t out_pt);
/* Removes a consumer; unknown ids are ignored. */
void hn_router_remove_consumer(HnRouter *r, uint32_t consumer_id);
/* Pauses or resumes forwarding (the policy lives outside). On resume the output continues
 * without a seq gap and video waits for a (requested) key frame. Returns 0 or -ENOENT. */
int hn_router_set_consumer_paused(HnRouter *r, uint32_t consumer_id, bool paused);

/* Handles one decrypted RTP packet received on transport_id at now_us. buf: transfer none,
 * not modified. Returns 0 when it belonged to a producer (even if no consumer took it), or
 * -EINVAL / -EMSGSIZE / -ENOENT when it was dropped (the reason is counted). */
int hn_router_on_rtp(HnRouter *r, uint32_t transport_id, const uint8_t *buf, size_t len,
                     int64_t now_us);
/* Handles one decrypted compound RTCP packet. A malformed compound is dropped whole.
 * Returns 0, -EINVAL, -EMSGSIZE or -ENOENT (unknown transport). */
int hn_router_on_rtcp(HnRouter *r, uint32_t transport_id, const uint8_t *buf, size_t len,
                      int64_t now_us);
/* Absolute time (now_us scale) of the next timer, INT64_MAX when none; may be in the past, then
 * call hn_router_on_timeout() at once. Report timers start with the first now_us seen. */
int64_t hn_router_next_deadline(const HnRouter *r);
/* Runs the timers due at now_us: delayed key frame requests, RR/SR reports. */
void hn_router_on_timeout(HnRouter *r, int64_t now_us);

/* Sets (fn != NULL) or clears the packet tap. */
void hn_router_set_tap(HnRouter *r, HnRouterTapFn fn, void *user);

/* Copies the room-wide counters. */
void hn_router_get_stats(const HnRouter *r, HnRouterStats *out);
/* Copies one producer's / consumer's counters. Return 0 or -ENOENT. */
int hn_router_get_producer_stats(const HnRouter *r, uint32_t producer_id, HnProducerStats *out);
int hn_router_get_consumer_stats(const HnRouter *r, uint32_t consumer_id, HnConsumerStats *out);

/* The media router of one room: the sans-IO core's public API for the transport layer.
 *
 * Model: transports (one per peer connection or leg) carry producers (incoming streams, matched
 * by (transport, SSRC)) and consumers (outgoing streams, one producer forwarded to one transport
 * with its own SSRC and payload type). Input: decrypted RTP/RTCP packets and timeouts, each with
 * `now` (monotonic microseconds chosen by the caller). Output: plain RTP/RTCP packets handed to
 * the transport's leg (HnLeg, core/leg.h: cls->send_rtp / send_rtcp called directly with the
 * pointer given to hn_router_add_transport(), no lookup per copy) or, for a transport added
 * without a leg, to the sink callbacks; the callee protects and sends them. The router never
 * reads a clock, opens a socket or starts a thread, and does not allocate per forwarded packet.
 *
 * Behaviour in short: RTP of a producer is checked, counted (RFC 3550 receive statistics),
 * cached for NACKs, handed to the taps, then rewritten (SSRC, seq, ts, PT) once per consumer.
 * Forwarded packets carry no RTP header extension: the publisher's extension block is stripped
 * (X bit cleared, CSRCs, payload and padding intact), since the subscriber negotiated none; on a
 * transport with transport-cc it is replaced by the router's own transport-wide sequence number
 * (hn_router_set_transport_cc(), at the end of this header).
 * Video consumers start, and restart after a source switch or a resume, only at a key frame; the
 * key frame is requested from the publisher (PLI, or FIR when only FIR was negotiated), at most
 * once per producer per 500 ms (a request delayed by that window is dropped if a key frame arrives
 * meanwhile). Subscriber PLI/FIR, and hn_router_request_keyframe(), go through the same throttle,
 * after two filters: each consumer's own PLI/FIR count at most once per
 * HN_ROUTER_CONSUMER_KEYFRAME_INTERVAL_US (the rest: keyframe_requests_suppressed), and a request
 * arriving while one is already pending, or in flight (sent less than 500 ms ago and no key frame
 * seen since), joins it (keyframe_requests_collapsed). A new consumer, a source switch and a
 * resume are not filtered. Subscriber NACKs are answered from the cache, as RTX when the consumer
 * has RTX (hn_router_set_consumer_rtx()). Losses on a publisher's
 * uplink are asked for again: each video producer that negotiated nack has a NACK generator
 * (core/nack_gen.h: reordering window, retries every 1.5 x RTT, give-up), whose generic NACKs go
 * to the publisher batched in compound RTCP; the RTT is the one measured with a consumer on the
 * same transport when there is one, else learnt from the retransmissions; the publisher's RTX is
 * unwrapped (hn_router_set_producer_rtx()). Every second the router
 * sends an RR to each transport with producers and an SR per consumer whose producer has sent an
 * SR. RTCP is sent reduced-size (RFC 5506, no SDES), several packets per compound when they fit
 * in HN_ROUTER_RTCP_MTU. Every dropped packet is counted under an HnDropReason.
 *
 * Taps (recorder, gateways): any number, each seeing every valid RTP packet of a producer before
 * any rewrite (with its payload type, clock rate and key frame flag) and every sender report of a
 * producer's publisher (to sync audio and video), optionally only for one producer.
 *
 * Thread: one router per room, all calls on the room's thread ("router thread only").
 * Re-entrancy: leg, sink and tap callbacks must not call back into the router, except
 * hn_router_add_tap(), hn_router_remove_tap(), hn_router_request_keyframe() (deferred to the next
 * timeout) and the getters, which are safe from any of them; other mutators called from a
 * callback fail (critical warning, -EBUSY). A leg must therefore not be destroyed from inside its
 * send_rtp / send_rtcp: the owner removes the transport first, then destroys the leg. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bwe.h"
#include "core/codec.h"
#include "core/leg.h"
#include "core/rtcp.h"
#include "core/simulcast.h"

#define HN_ROUTER_MAX_PACKET           1500 /* largest RTP/RTCP packet accepted, bytes */
#define HN_ROUTER_SEND_CAP             (HN_ROUTER_MAX_PACKET + 64) /* send buffers' capacity */
#define HN_ROUTER_RTCP_MTU             1200    /* largest compound RTCP packet sent, bytes */
#define HN_ROUTER_REPORT_INTERVAL_US   1000000 /* RR/SR period */
#define HN_ROUTER_KEYFRAME_INTERVAL_US 500000  /* min gap between key frame requests */
/* min gap between two of one consumer's PLI/FIR that count towards an upstream request */
#define HN_ROUTER_CONSUMER_KEYFRAME_INTERVAL_US 2000000
#define HN_ROUTER_VIDEO_CACHE                   512 /* NACK cache slots of a video producer */
#define HN_ROUTER_AUDIO_CACHE                   128 /* ... of an audio producer that negotiated NACK */
#define HN_ROUTER_TWCC_FEEDBACK_US              100000 /* transport-cc feedback to publishers */

typedef struct HnRouter HnRouter;

/* Output of the transports added without a leg (tests, simple embedders). */
typedef struct {
    /* Sends one plain RTP packet on a transport. buf is router scratch memory, valid only during
     * the call; the callee may modify it in place (SRTP protect, up to HN_ROUTER_MAX_PACKET +
     * 64 bytes of room) and must copy it if it keeps it. */
    void (*send_rtp)(void *user, uint32_t transport_id, uint8_t *buf, size_t len);
    /* Same for one compound RTCP packet. */
    void (*send_rtcp)(void *user, uint32_t transport_id, uint8_t *buf, size_t len);
} HnRouterSink;

/* One incoming RTP packet of a producer, as a tap sees it: the publisher's packet before any
 * rewrite (its SSRC, seq, ts, PT and header extensions). buf: transfer none, valid only during the
 * call, not to be modified. */
typedef struct {
    const uint8_t *buf;
    size_t len;
    uint8_t pt;
    uint32_t clock_rate; /* Hz, of the producer's codec */
    HnKind kind;
    HnCodecId codec;
    bool is_keyframe; /* video: the start of a key frame; audio: always false */
    bool marker;
    uint16_t seq;
    uint32_t ts;
    size_t payload_offset, payload_len; /* payload bytes, padding excluded */
} HnTapPacket;

/* A tap: a consumer of producers' input inside the router (recorder, gateways). Either callback
 * may be NULL. Callbacks run during hn_router_on_rtp() / hn_router_on_rtcp(); see the re-entrancy
 * rule at the top. */
typedef struct {
    /* Every valid RTP packet of a producer (one that passed the SSRC and PT checks). */
    void (*on_rtp)(void *user, uint32_t producer_id, const HnTapPacket *p, int64_t now_us);
    /* Every RTCP sender report of a producer's publisher: NTP time, RTP time of the producer's
     * clock, packet and octet counts. sr: transfer none. */
    void (*on_sr)(void *user, uint32_t producer_id, const HnRtcpSenderInfo *sr, int64_t now_us);
    bool one_producer;    /* true: only producer_id's packets and reports */
    uint32_t producer_id; /* used when one_producer */
} HnRouterTap;

typedef enum {
    HN_DROP_BAD_PACKET = 0,     /* malformed RTP */
    HN_DROP_TOO_LARGE,          /* RTP or RTCP larger than HN_ROUTER_MAX_PACKET */
    HN_DROP_UNKNOWN_TRANSPORT,  /* packet on a transport never added (or removed) */
    HN_DROP_UNKNOWN_SSRC,       /* RTP whose SSRC is no producer of its transport */
    HN_DROP_BAD_PT,             /* RTP whose payload type is not the producer's */
    HN_DROP_NO_CONSUMER,        /* valid RTP of a producer nobody consumes (still cached) */
    HN_DROP_PAUSED,             /* per consumer: consumer paused */
    HN_DROP_WAIT_KEYFRAME,      /* per consumer: video waiting for a key frame */
    HN_DROP_STALE,              /* per consumer: older than the start of the current source */
    HN_DROP_BAD_RTCP,           /* malformed compound RTCP, dropped whole */
    HN_DROP_RTCP_UNKNOWN_SSRC,  /* per RTCP item about an SSRC we neither send nor receive */
    HN_DROP_NACK_NOT_CACHED,    /* per NACKed sequence number we cannot resend */
    HN_DROP_RTX_PADDING,        /* publisher RTX without payload (bandwidth probe) */
    HN_DROP_RTX_DUPLICATE,      /* publisher RTX of a packet not missing (already received) */
    HN_DROP_LAYER_NOT_SELECTED, /* per consumer: a simulcast layer it does not forward now */
    HN_DROP_TEMPORAL_LAYER,     /* per consumer: a temporal layer above what its link carries */
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
    /* transport-cc (router_bwe.c): feedback that failed to parse, feedback on a transport without
     * transport-cc (ignored), publisher packets whose seq arrived after it was reported (or
     * overflows of the 1024-packet window between feedbacks), and feedback packets sent to
     * publishers */
    uint64_t twcc_malformed, twcc_ignored, twcc_late, twcc_feedback_sent;
    uint64_t pli_in, fir_in;         /* subscriber key frame requests (FIR: per FCI entry) */
    uint64_t nack_in;                /* NACKed sequence numbers */
    uint64_t rtx_sent;               /* packets resent from the cache */
    uint64_t keyframe_requests_sent; /* PLI/FIR sent to publishers */
    /* subscriber PLI/FIR not passed upstream: over the consumer's budget (one per
     * HN_ROUTER_CONSUMER_KEYFRAME_INTERVAL_US) */
    uint64_t keyframe_requests_suppressed;
    /* subscriber PLI/FIR within budget and hn_router_request_keyframe() calls that joined a
     * request already pending or in flight */
    uint64_t keyframe_requests_collapsed;
    /* NACKs towards publishers (core/nack_gen.h): sequence numbers asked for (each retry counts),
     * NACKed packets that arrived, missing packets abandoned, old packets that were not missing */
    uint64_t nack_sent, nack_recovered, nack_given_up, nack_duplicates;
    uint64_t rtx_in;         /* publisher RTX packets unwrapped (whatever became of them) */
    uint64_t layer_switches; /* simulcast consumers that changed the layer they forward */
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
    bool nack; /* NACKs are sent to its publisher; the counters below as in HnRouterStats */
    uint64_t nack_sent, nack_recovered, nack_given_up, nack_duplicates;
    unsigned nack_missing; /* seqs missing right now */
} HnProducerStats;

typedef struct {
    uint32_t producer_id, transport_id, out_ssrc;
    bool paused;
    bool waiting_keyframe;   /* no packet forwarded yet since start, switch or resume */
    uint64_t packets, bytes; /* forwarded, retransmissions excluded */
    uint64_t rtx_packets;
    uint64_t pli_in, fir_in, nack_in;
    uint64_t keyframe_requests_suppressed; /* its PLI/FIR over its budget */
    bool has_rr; /* the fields below come from the subscriber's last report block */
    uint8_t fraction_lost;
    int32_t cumulative_lost;
    uint32_t jitter; /* RTP timestamp units */
    int64_t rtt_us;  /* -1 until measured through an SR/RR round trip */
    bool simulcast;  /* its producer is a simulcast group; the fields below are set */
    int layer;       /* layer forwarded now (0 = lowest), -1: none yet */
    int target_layer;
    uint8_t max_tid; /* temporal layers forwarded: TID <= max_tid (3: all) */
    uint64_t layer_switches;
    uint16_t tile_w, tile_h; /* the subscriber's tile, 0: not reported */
} HnConsumerStats;

/* Creates a router. sink (copied; NULL when every transport has a leg) serves the transports
 * added without a leg, with user passed back to it. Returns transfer full; free with
 * hn_router_free(). */
HnRouter *hn_router_new(const HnRouterSink *sink, void *user);
/* Frees r and everything it holds; NULL is a no-op. */
void hn_router_free(HnRouter *r);

/* Adds a transport; rtcp_ssrc is our SSRC for the RRs and key frame requests sent on it. With
 * leg != NULL (transfer none: it must stay valid until hn_router_remove_transport() of this id or
 * hn_router_free()) its packets go out through leg->cls->send_rtp(leg, buf, len,
 * HN_ROUTER_SEND_CAP) and send_rtcp(leg, buf, len), called directly; buf is router scratch memory
 * the leg may protect in place. With leg == NULL they go to the router's sink. The router does
 * not read or set leg->id or leg->events. Returns 0, -EEXIST, or -EINVAL (leg without send_rtp /
 * send_rtcp, or no leg on a router without a sink). */
int hn_router_add_transport(HnRouter *r, uint32_t transport_id, uint32_t rtcp_ssrc, HnLeg *leg);
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
/* Accepts the publisher's RTX (RFC 4588) for a video producer: RTP with payload type rtx_pt on
 * its transport and SSRC rtx_ssrc (0: learnt from the first packet with rtx_pt and an SSRC no
 * producer has, when exactly one producer of that transport waits for its RTX SSRC) is unwrapped
 * (OSN -> seq, the producer's SSRC and payload type) and handled as the original packet:
 * counted as recovered by the NACK generator, cached, tapped, forwarded (a consumer already past
 * that seq gets it with its seq mapped); RTX of a packet that was not missing and padding-only
 * RTX are dropped. rtx_pt 0 turns RTX off. A rebind forgets rtx_ssrc (learnt again or set
 * again). Returns 0, -ENOENT, -EINVAL (rtx_pt != 0 for audio, > 127 or the codec's PT) or -EEXIST
 * (the SSRC is another stream's on that transport). */
int hn_router_set_producer_rtx(HnRouter *r, uint32_t producer_id, uint8_t rtx_pt,
                               uint32_t rtx_ssrc);
/* Removes a producer and all its consumers; unknown ids are ignored. */
void hn_router_remove_producer(HnRouter *r, uint32_t producer_id);
/* The producer's share of a subscriber's downlink: every second the estimate towards each
 * subscriber is spent on its consumers in order: audio first, then HN_ROUTER_PRIO_HIGH video (a
 * shared screen: the documents must stay legible), then the other video, larger tiles first. A
 * simulcast consumer takes the best layer the rest of the budget affords; a single-layer one
 * costs what its producer sends. Default HN_ROUTER_PRIO_NORMAL. 0 or -ENOENT. */
#define HN_ROUTER_PRIO_NORMAL 0
#define HN_ROUTER_PRIO_HIGH   1
int hn_router_set_producer_priority(HnRouter *r, uint32_t producer_id, unsigned priority);

/* Adds a consumer forwarding producer_id to transport_id as out_ssrc/out_pt, unpaused. A video
 * consumer waits for a key frame, which is requested. Returns 0, -ENOENT (producer or transport)
 * or -EEXIST (id, or out_ssrc already used by a consumer on that transport). */
int hn_router_add_consumer(HnRouter *r, uint32_t consumer_id, uint32_t producer_id,
                           uint32_t transport_id, uint32_t out_ssrc, uint8_t out_pt);
/* Resends what this consumer's subscriber NACKs as RTX (RFC 4588): SSRC rtx_ssrc, payload type
 * rtx_pt, the consumer's own RTX sequence numbers, the output seq as OSN. rtx_pt 0: plain
 * retransmission (the default). Returns 0, -ENOENT or -EINVAL (rtx_pt > 127 or the consumer's
 * PT, rtx_ssrc 0 or its media SSRC). */
int hn_router_set_consumer_rtx(HnRouter *r, uint32_t consumer_id, uint8_t rtx_pt,
                               uint32_t rtx_ssrc);
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

/* Asks the publisher of a video producer for a key frame (recorder start, gateways), through the
 * throttle (PLI, or FIR when only FIR was negotiated; joins a request pending or in flight).
 * From a router callback (tap, leg, sink) the request is queued for the next
 * hn_router_on_timeout() (see hn_router_next_deadline()). Returns 0, -ENOENT (unknown producer) or
 * -EINVAL (audio). */
int hn_router_request_keyframe(HnRouter *r, uint32_t producer_id, int64_t now_us);

/* Adds a tap (copied) with user passed back to its callbacks. Allowed from a tap callback (the
 * new tap sees the next packet on). Returns the tap id (> 0), or -EINVAL (tap NULL or both
 * callbacks NULL). */
int hn_router_add_tap(HnRouter *r, const HnRouterTap *tap, void *user);
/* Removes a tap; unknown ids are ignored. Allowed from any tap callback, including the tap's own:
 * no callback of the removed tap runs after this returns (its slot is freed once the current
 * dispatch ends). */
void hn_router_remove_tap(HnRouter *r, int tap_id);

/* Where a transport's downlink estimate comes from. */
typedef enum {
    HN_ESTIMATE_NONE = 0, /* unknown: no feedback yet */
    HN_ESTIMATE_HINT,     /* set from outside (tests, a configured link rate) */
    HN_ESTIMATE_REMB,     /* the subscriber's REMB */
    HN_ESTIMATE_TWCC,     /* the router's own estimator fed by transport-cc feedback */
} HnEstimateSource;

/* Sets the downlink estimate of a transport (bits/s; 0 clears it), as if an estimator had
 * computed it: for tests and for links whose rate is configured. The estimator overwrites it on
 * its next update. Returns 0 or -ENOENT. */
int hn_router_set_transport_estimate(HnRouter *r, uint32_t transport_id, uint64_t bps,
                                     HnEstimateSource source);
/* The downlink estimate of a transport in bits/s (0: unknown) and, when source is not NULL, where
 * it came from. Returns 0 or -ENOENT. */
int hn_router_get_transport_estimate(const HnRouter *r, uint32_t transport_id, uint64_t *bps,
                                     HnEstimateSource *source);

/* --- simulcast (router_layers.c, core/simulcast.h) -------------------------------------------
 * Producer ids from HN_ROUTER_LAYER_ID_BASE up are the router's own (one per layer). */
#define HN_ROUTER_LAYER_ID_BASE 0xf0000000u

/* Makes video producer producer_id a simulcast group of sim->n_layers (2..3) layers, lowest
 * first, after hn_router_add_producer() / hn_router_rebind_producer() and
 * hn_router_set_producer_rtx() (each layer gets the producer's codec and RTX payload type). The
 * producer's own SSRC is forgotten: each layer's SSRC is sim->ssrcs[i] (SIM groups), else learnt
 * from the first packet whose rid header extension names it (sim->ext_rid), and its RTX SSRC
 * likewise (sim->rtx_ssrcs[i], or the repaired rid on RTX packets). Each layer has its own
 * receive statistics, NACK generator, RTX and key frame requests (PLI to the layer's SSRC).
 * Consumers forward one layer each, chosen by core/simulcast.h, switching on key frames with
 * continuous seq, timestamps and VP8 picture IDs / TL0PICIDX. Taps see the highest layer that
 * flows (a recording follows the publisher's pauses). Calling it
 * again re-creates the layers (e.g. after a rebind). Returns 0, -ENOENT, -EINVAL (audio, n_layers
 * out of range, or neither SSRCs nor a rid extension to learn them). */
int hn_router_set_producer_layers(HnRouter *r, uint32_t producer_id, const HnSimulcastDesc *sim);
/* The subscriber's tile for consumer_id in CSS px (0, 0: unknown): its layer target is
 * recomputed at once. Returns 0, -ENOENT. */
int hn_router_set_consumer_view(HnRouter *r, uint32_t consumer_id, unsigned width, unsigned height,
                                int64_t now_us);
/* The layers of a simulcast producer some unpaused consumer wants (its tile and link ask for it,
 * even while the publisher pauses it), targets or forwards now, as a bit mask (bit i: layer i).
 * Returns 0, -ENOENT, -EINVAL (not simulcast). */
int hn_router_get_wanted_layers(const HnRouter *r, uint32_t producer_id, unsigned *mask,
                                unsigned *n_layers);

/* Counts the simulcast consumers by the layer they forward now: counts[i] for layer i,
 * counts[HN_SIM_MAX_LAYERS] for those that forward none yet (waiting for a key frame). */
void hn_router_count_layers(const HnRouter *r, unsigned counts[HN_SIM_MAX_LAYERS + 1]);

/* Copies the room-wide counters. */
void hn_router_get_stats(const HnRouter *r, HnRouterStats *out);
/* Copies one producer's / consumer's counters. Return 0 or -ENOENT. */
int hn_router_get_producer_stats(const HnRouter *r, uint32_t producer_id, HnProducerStats *out);
int hn_router_get_consumer_stats(const HnRouter *r, uint32_t consumer_id, HnConsumerStats *out);

/* Bandwidth estimation (router_bwe.c). Packets sent on a transport with transport-cc carry the
 * router's own transport-wide sequence number (RTP header extension ext_id, one-byte form: the
 * only extension forwarded packets carry, 8 bytes), and the subscriber's feedback drives the
 * transport's estimator (core/bwe.h; cfg copied, NULL: HN_BWE_CONFIG_DEFAULT), whose result is the
 * transport's estimate (HN_ESTIMATE_TWCC) from the first feedback on (until then the estimate is
 * left as it was: unknown, or a hint). Without transport-cc the
 * subscriber's REMB sets it (HN_ESTIMATE_REMB). ext_id 0 turns it off. Returns 0, -ENOENT or
 * -EINVAL (ext_id > 14). */
int hn_router_set_transport_cc(HnRouter *r, uint32_t transport_id, uint8_t ext_id,
                               const HnBweConfig *cfg);
/* Generates transport-cc feedback for the publisher on transport_id, whose packets carry their
 * transport-wide sequence number in extension ext_id: every HN_ROUTER_TWCC_FEEDBACK_US, one or
 * more RTPFB FMT 15 packets covering what arrived since the last. ext_id 0 turns it off.
 * Returns 0, -ENOENT or -EINVAL (ext_id > 14). */
int hn_router_set_transport_cc_feedback(HnRouter *r, uint32_t transport_id, uint8_t ext_id);

typedef struct {
    uint64_t estimate_bps; /* as hn_router_get_transport_estimate() */
    HnEstimateSource source;
    bool transport_cc; /* the estimator runs; the fields below are its state */
    uint64_t delay_bps, loss_bps;
    double loss; /* last loss fraction seen in feedback */
    HnBweStats stats;
} HnTransportBwe;

/* Copies a transport's estimate and estimator state. Returns 0 or -ENOENT. */
int hn_router_get_transport_bwe(const HnRouter *r, uint32_t transport_id, HnTransportBwe *out);

/* Internal state of HnRouter shared by router.c (lifecycle, RTP path, key frame requests) and
 * router_rtcp.c (RTCP input, reports). Not a public header. Router thread only. */
#pragma once

#include <glib.h>

#include "core/leg.h"
#include "core/nack_gen.h"
#include "core/recv_stats.h"
#include "core/rewriter.h"
#include "core/router.h"
#include "core/rtcp.h"
#include "core/rtp.h"
#include "core/rtp_cache.h"
#include "core/simulcast.h"
#include "core/vp8.h"

#define RT_SENT_SR_HISTORY 4

typedef struct RtTwccIn RtTwccIn;

typedef struct RtTransport {
    uint32_t id;
    uint32_t rtcp_ssrc;
    HnLeg *leg;     /* not owned; NULL: send through the router's sink */
    int64_t rtt_us; /* last RTT measured with a consumer on it, -1 until then */
    /* downlink estimate towards this transport (bits/s), 0: unknown. Written by the bandwidth
     * estimator (transport-cc, REMB) or hn_router_set_transport_estimate(); read by the layer
     * selection. */
    uint64_t estimate_bps;
    int estimate_source;  /* HnEstimateSource */
    GPtrArray *producers; /* RtProducer*, not owned */
    GPtrArray *consumers; /* RtConsumer*, not owned */

    /* transport-cc (router_bwe.c) */
    uint8_t twcc_ext_id;      /* towards the subscriber: our seq's extension id */
    HnBwe *bwe;               /* its estimator (owned), NULL without transport-cc */
    uint8_t twcc_in_ext_id;   /* the publisher's transport-wide seq extension id */
    struct RtTwccIn *twcc_in; /* arrivals to report to the publisher (owned), or NULL */
} RtTransport;

typedef struct RtProducer {
    uint32_t id;
    RtTransport *transport;
    uint64_t key; /* transport_id << 32 | ssrc: key in producer_by_ssrc */
    uint32_t ssrc;
    HnCodec codec;
    HnRecvStats stats;
    HnRtpCache *cache;    /* NULL when nothing is ever NACKed (audio without NACK) */
    HnNackGen *nack;      /* NACKs towards the publisher: video that negotiated nack, else NULL */
    uint8_t rtx_pt;       /* the publisher's RTX payload type, 0: none */
    uint32_t rtx_ssrc;    /* its RTX SSRC, 0: not known yet (learnt) */
    uint64_t rtx_key;     /* transport_id << 32 | rtx_ssrc: key in rtx_by_ssrc when rtx_ssrc */
    uint8_t priority;     /* HN_ROUTER_PRIO_*: its place in a subscriber's budget */
    GPtrArray *consumers; /* RtConsumer*, not owned */
    /* key frame requests towards the publisher */
    bool kf_pending;
    bool kf_ever_sent;
    bool kf_seen; /* a key frame arrived since the last request was sent */
    int64_t kf_last_sent_us;
    uint8_t fir_seq;
    uint64_t kf_sent;
    /* last sender report of the publisher */
    bool has_sr;
    HnRtcpSenderInfo sr;
    int64_t sr_arrival_us;
    /* simulcast (router_layers.c). A group is the public producer of a simulcast track: it has
     * no SSRC of its own (p->ssrc is stale, not in producer_by_ssrc) and its consumers forward
     * one of its layers. A layer is an internal producer (id >= HN_ROUTER_LAYER_ID_BASE) with
     * its own SSRC, receive stats, cache, NACK generator, RTX and key frame requests. */
    struct RtProducer *group;                     /* a layer: its group, else NULL */
    unsigned layer;                               /* a layer: its index, lowest first */
    struct RtProducer *layers[HN_SIM_MAX_LAYERS]; /* a group: its layers, else NULL */
    unsigned n_layers;                            /* a group: > 0 */
    HnSimulcastDesc sim;                          /* a group: as negotiated */
    bool ssrc_bound;                              /* a layer: its SSRC is known */
    int64_t last_rtp_us;                          /* a layer: last packet, for `active` */
    uint64_t rate_mark;     /* a layer or a single-stream producer: bytes at the last rate tick */
    uint64_t bps;           /* a layer or a single-stream producer: measured bitrate */
    uint16_t width, height; /* a layer: from its last VP8 key frame */
} RtProducer;

typedef struct {
    uint32_t lsr; /* middle 32 bits of the NTP time we sent, 0 = unused */
    int64_t sent_us;
} RtSentSr;

typedef struct RtConsumer {
    uint32_t id;
    RtProducer *producer;
    RtTransport *transport;
    uint64_t key; /* transport_id << 32 | out_ssrc: key in consumer_by_ssrc */
    uint32_t out_ssrc;
    uint8_t out_pt;
    uint8_t rtx_pt; /* retransmissions as RTX with this payload type, 0: plain */
    uint32_t rtx_ssrc;
    uint16_t rtx_seq; /* next RTX sequence number */
    bool paused;
    HnRewriter rw;
    uint64_t packets, bytes, octets; /* octets: payload bytes, for the SR */
    uint64_t rtx;
    uint64_t pli_in, fir_in, nack_in;
    /* this consumer's PLI/FIR budget towards its producer */
    bool kf_counted;
    int64_t kf_counted_us; /* when its last PLI/FIR counted */
    uint64_t kf_suppressed;
    bool has_rr;
    HnRtcpReportBlock rr;
    int64_t rtt_us;
    RtSentSr sent_sr[RT_SENT_SR_HISTORY];
    unsigned sent_sr_next;
    /* simulcast: the layer forwarded now (NULL: none yet, or not simulcast), the selector, the
     * VP8 picture ID continuity and the output seqs closed over dropped temporal layers */
    RtProducer *source;
    HnSimSel sel;
    HnVp8Munger vp8;
    int64_t holes[32]; /* extended rewriter output seqs of dropped packets, increasing */
    unsigned n_holes;
    int64_t holes_base; /* holes forgotten (all older than holes[0]) */
} RtConsumer;

typedef struct {
    int id;
    bool removed; /* removed during a dispatch; the slot goes when it ends */
    HnRouterTap tap;
    void *user;
} RtTap;

struct HnRouter {
    HnRouterSink sink;
    bool has_sink;
    void *user;
    GArray *taps; /* RtTap */
    int next_tap_id;
    bool taps_dirty;              /* some taps are marked removed */
    GHashTable *transports;       /* id -> RtTransport* (owned) */
    GHashTable *producers;        /* id -> RtProducer* (owned) */
    GHashTable *consumers;        /* id -> RtConsumer* (owned) */
    GHashTable *producer_by_ssrc; /* &key -> RtProducer* */
    GHashTable *rtx_by_ssrc;      /* &rtx_key -> RtProducer* */
    GHashTable *consumer_by_ssrc; /* &key -> RtConsumer* */
    bool clock_seen;
    int64_t last_now_us;
    int64_t next_report_us;
    unsigned kf_pending_count;
    uint32_t next_layer_seq; /* ids of layer producers (router_layers.c) */
    unsigned nack_producers; /* producers with a NACK generator */
    int64_t nack_due;        /* no NACK is due before this (a lower bound), INT64_MAX: none */
    bool dispatching;        /* inside a sink/tap callback */
    HnRouterStats stats;
    uint8_t scratch[HN_ROUTER_SEND_CAP];
    uint8_t rtcp_buf[HN_ROUTER_SEND_CAP];
    uint8_t
        unwrap[HN_ROUTER_MAX_PACKET]; /* a publisher's RTX packet turned back into the original */

    /* transport-cc (router_bwe.c) */
    int64_t twcc_fb_due;          /* next feedback to publishers, INT64_MAX: none */
    HnTwccFeedback *twcc_scratch; /* parsed subscriber feedback (owned, lazily) */
};

static inline uint64_t rt_key(uint32_t transport_id, uint32_t ssrc)
{
    return ((uint64_t)transport_id << 32) | ssrc;
}

static inline void rt_drop(HnRouter *r, HnDropReason reason)
{
    r->stats.drops[reason]++;
}

/* router.c */
void rt_note_time(HnRouter *r, int64_t now_us);
/* Send r->scratch / r->rtcp_buf (len bytes) on t: through its leg, or the sink. */
void rt_send_rtp(HnRouter *r, RtTransport *t, size_t len);
void rt_send_rtcp(HnRouter *r, RtTransport *t, size_t len);
/* Asks the producer's publisher for a key frame now, or when the 500 ms window ends. */
void rt_request_keyframe(HnRouter *r, RtProducer *p, int64_t now_us);
/* A request from outside the forwarding path (a subscriber's PLI/FIR within its budget, the
 * public API): joins a request pending or in flight (counted), else rt_request_keyframe(), or
 * only queues it for the next timeout when defer. */
void rt_request_keyframe_external(HnRouter *r, RtProducer *p, int64_t now_us, bool defer);
/* Copies the producer packet buf (parsed as h) into r->scratch as c's packet with output seq and
 * ts; returns its length. */
size_t rt_write_for_consumer(HnRouter *r, const RtConsumer *c, const uint8_t *buf, size_t len,
                             const HnRtpHeader *h, uint16_t seq, uint32_t ts);
/* Hands a producer's sender report to the taps. */
void rt_tap_sr(HnRouter *r, const RtProducer *p, int64_t now_us);

/* Adds what p's NACK generator counted since `before` to the router's counters. */
void rt_nack_account(HnRouter *r, const RtProducer *p, const HnNackGenStats *before);

/* router_layers.c */
/* A layer of a simulcast group on t whose SSRC is still unknown, named by the packet's rid (or
 * repaired rid: *rtx set) header extension; binds the SSRC. NULL when none. */
RtProducer *rt_layers_learn(HnRouter *r, RtTransport *t, const uint8_t *buf, const HnRtpHeader *h,
                            bool *rtx);
/* Forwards one packet of layer p (valid, parsed as h) to consumer c of its group. */
void rt_layers_forward(HnRouter *r, RtConsumer *c, RtProducer *p, const uint8_t *buf, size_t len,
                       const HnRtpHeader *h, bool keyframe, int64_t now_us);
/* Notes a packet of layer p (activity, VP8 key frame size). */
void rt_layers_on_rtp(RtProducer *p, const uint8_t *buf, const HnRtpHeader *h, int64_t now_us);
/* Whether layer p is the highest layer of its group that flows (the one taps see). */
bool rt_layers_is_tap_layer(const RtProducer *p, int64_t now_us);
/* Once a second: layer bitrates measured, every simulcast consumer's target updated. */
void rt_layers_tick(HnRouter *r, int64_t now_us);
/* Removes the layers of group p (before p goes). */
void rt_layers_remove(HnRouter *r, RtProducer *p);
/* The producer whose packets c forwards now (its layer for a simulcast group). */
static inline RtProducer *rt_consumer_source(const RtConsumer *c)
{
    return c->source ? c->source : c->producer;
}
/* The output seq of c for rewriter output seq out (holes of dropped temporal layers closed). */
uint16_t rt_layers_out_seq(const RtConsumer *c, uint16_t out);
/* The rewriter output seq for an output seq of c (the reverse). */
uint16_t rt_layers_rw_seq(const RtConsumer *c, uint16_t out);

/* router_rtcp.c */
/* Sends the NACKs due at now_us of t's producers, batched in compound RTCP. */
void rt_send_nacks(HnRouter *r, RtTransport *t, int64_t now_us);
int rt_handle_rtcp(HnRouter *r, RtTransport *t, const uint8_t *buf, size_t len, int64_t now_us);
void rt_send_reports(HnRouter *r, int64_t now_us);

/* router_bwe.c */
/* Records a packet of size bytes sent on t (t->bwe set); returns its transport-wide seq. */
uint16_t rt_bwe_on_send(RtTransport *t, size_t size, int64_t now_us);
void rt_bwe_on_feedback(HnRouter *r, RtTransport *t, const HnRtcpPacket *p, int64_t now_us);
void rt_bwe_on_remb(HnRouter *r, RtTransport *t, const HnRtcpPacket *p);
/* A valid RTP packet from t's publisher (t->twcc_in set): notes its transport-wide seq. */
void rt_bwe_on_publisher_rtp(HnRouter *r, RtTransport *t, const uint8_t *buf, const HnRtpHeader *h,
                             int64_t now_us);
/* Sends the feedback of every transport with twcc_in; sets the next due time. */
void rt_bwe_send_feedback(HnRouter *r, int64_t now_us);

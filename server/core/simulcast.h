/* Simulcast: the description of a publisher's layers and the per-consumer layer selector.
 *
 * A simulcast publisher sends up to HN_SIM_MAX_LAYERS encodings of one track, each its own RTP
 * stream (SSRC, sequence numbers, VP8 picture IDs), lowest resolution first ("q", "h", "f" in
 * the client: scaleResolutionDownBy 4, 2, 1). Each consumer of the track forwards exactly one of
 * them at a time. The selector (sans-IO, fake-clock tested) decides which:
 *   - the target layer is the smallest layer at least as large as the subscriber's tile (the
 *     client reports tile sizes with a `view` message; no report: the largest layer), then
 *     lowered while the layer's measured bitrate exceeds the transport's downlink estimate
 *     (0: unknown, tile size alone decides);
 *   - when the estimate is just below the chosen layer (>= 50 % of its rate) the layer is kept
 *     and its upper temporal layers are dropped instead (TID 2 first, then TID 1): temporal
 *     before spatial;
 *   - only layers seen recently (active) are chosen; a layer the publisher paused is skipped;
 *   - hysteresis: a lower target applies at once, a higher one only HN_SIM_UP_HOLD_US after the
 *     last bandwidth-driven step down and with HN_SIM_UP_MARGIN headroom, so it does not flap;
 *   - the forwarded layer changes only on a key frame of the target layer (the caller asks the
 *     publisher for one, PLI to that layer's SSRC).
 * Plain value types, no allocation; one selector per consumer, router thread only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HN_SIM_MAX_LAYERS 3
#define HN_SIM_RID_LEN    17 /* rid ids we accept: up to 16 chars */
#define HN_SIM_ALL_TID    3  /* max_tid value: every temporal layer */
#define HN_SIM_UP_HOLD_US 3000000
#define HN_SIM_UP_MARGIN  1.15
/* a layer without a packet for this long is inactive (paused by its publisher, or dropped by its
 * encoder for lack of bandwidth) */
#define HN_SIM_INACTIVE_US 1500000

/* A publisher's simulcast layers as negotiated (SDP a=rid / a=simulcast, or a=ssrc-group:SIM). */
typedef struct {
    uint8_t n_layers;                             /* 0: not simulcast; else 2..3 */
    char rids[HN_SIM_MAX_LAYERS][HN_SIM_RID_LEN]; /* "" for SSRC-group simulcast */
    uint32_t ssrcs[HN_SIM_MAX_LAYERS];            /* from SIM groups; 0: learnt from the rid */
    uint32_t rtx_ssrcs[HN_SIM_MAX_LAYERS];        /* from FID groups; 0: learnt */
    uint8_t ext_rid;  /* id of urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id, 0: none */
    uint8_t ext_rrid; /* id of ...:repaired-rtp-stream-id (on RTX packets), 0: none */
} HnSimulcastDesc;

/* What the selector knows about one layer when it decides. */
typedef struct {
    bool active;            /* a packet arrived within HN_SIM_INACTIVE_US */
    uint16_t width, height; /* from its last key frame, 0 unknown */
    uint64_t bps;           /* measured bitrate, 0 unknown */
} HnSimLayerInfo;

typedef struct {
    int current;     /* layer forwarded now, -1: none yet */
    int target;      /* spatial layer wanted among the active ones */
    int desired;     /* what tile and estimate ask for, active or not (to resume a paused one) */
    uint8_t max_tid; /* forward temporal layers <= max_tid (HN_SIM_ALL_TID: all) */
    uint16_t tile_w, tile_h; /* the subscriber's tile in CSS px, 0: unknown */
    bool down_by_bw;         /* the last step down was bandwidth-driven */
    int64_t down_us;         /* when */
    uint64_t switches;       /* layer switches done (current changed while forwarding) */
} HnSimSel;

typedef enum {
    HN_SIM_FORWARD = 0,   /* forward this packet */
    HN_SIM_SWITCH,        /* forward it as the first packet of a new source (layer switch) */
    HN_SIM_DROP_LAYER,    /* not the forwarded layer */
    HN_SIM_DROP_WAIT_KEY, /* the target layer, but the switch waits for its key frame */
    HN_SIM_DROP_TEMPORAL, /* the forwarded layer, a temporal layer above max_tid */
} HnSimAction;

/* Resets s: nothing forwarded, target the top layer. */
void hn_sim_sel_init(HnSimSel *s, unsigned n_layers);
/* The subscriber's tile for this track in CSS px (0, 0: unknown / not shown). */
void hn_sim_sel_set_tile(HnSimSel *s, unsigned width, unsigned height);
/* Recomputes the target and max_tid from the layers (n of them, lowest first) and the downlink
 * estimate (bits/s, 0 unknown) at now_us. Returns true when the target or max_tid changed. */
bool hn_sim_sel_update(HnSimSel *s, const HnSimLayerInfo *layers, unsigned n, uint64_t estimate_bps,
                       int64_t now_us);
/* What to do with one packet of `layer`; keyframe: the packet starts a key frame; tid: its
 * temporal layer (0 when the codec has none). Updates current on HN_SIM_SWITCH. */
HnSimAction hn_sim_sel_on_packet(HnSimSel *s, unsigned layer, bool keyframe, uint8_t tid);

/* Pausing layers nobody watches at the publisher: which layers the publisher should encode,
 * debounced. A layer some consumer wants is resumed at once; one nobody wants is paused only
 * after HN_SIM_PAUSE_AFTER_US without anyone wanting it; the lowest layer is never paused. */
#define HN_SIM_PAUSE_AFTER_US 2000000
typedef struct {
    unsigned n_layers;
    unsigned active; /* bit i: layer i is to be sent */
    int64_t unwanted_since[HN_SIM_MAX_LAYERS];
} HnSimPause;

/* Resets p: every layer active. */
void hn_sim_pause_init(HnSimPause *p, unsigned n_layers);
/* wanted: bit mask of layers some consumer wants (HnSimSel.desired or current) at now_us.
 * Returns true when p->active changed (tell the publisher). */
bool hn_sim_pause_update(HnSimPause *p, unsigned wanted, int64_t now_us);

/* A participant leg: whatever carries one participant's media into and out of a room, as the
 * room and the router see it. A WebRTC transport (ICE, DTLS, SRTP) is one implementation; a SIP
 * leg with plain RTP or SDES, a recorder sink, a composer and a relay to another worker or node
 * are others. The room never names an implementation: it holds HnLeg pointers.
 *
 * Shape: an implementation embeds HnLeg as its first member and points cls at a static class.
 * Media goes out through cls->send_rtp / send_rtcp (the router calls them directly with the leg
 * pointer it was given, no lookup); media and state changes come in through the owner's
 * HnLegEvents, set once by the room when it adopts the leg.
 *
 * Thread: a leg lives on one worker thread (its room's); every function and callback runs there.
 * Ownership: the room owns the legs it adopted and destroys them with hn_leg_destroy(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    HN_LEG_WEBRTC,   /* a browser's RTCPeerConnection (ICE, DTLS-SRTP) */
    HN_LEG_RTP,      /* plain RTP or SDES-SRTP (SIP room systems, WHIP encoders behind a gateway) */
    HN_LEG_RECORDER, /* a sink that writes a recording */
    HN_LEG_RELAY,    /* a relay to another worker or node */
    HN_LEG_LOCAL,    /* in-process (tests, composer) */
} HnLegKind;

typedef struct HnLeg HnLeg;

typedef struct {
    uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
    uint64_t rx_errors; /* undecryptable or malformed input, counted and dropped */
    uint64_t tx_errors; /* protect or send failures */
} HnLegStats;

/* One stream a leg will receive from the room (the room's view of it, for legs that are not
 * told by SDP: a recorder, a composer, a relay). Strings: transfer none, valid during the call. */
typedef struct {
    uint32_t ssrc; /* as the router sends it on this leg */
    uint8_t pt;    /* payload type it carries */
    uint8_t kind;  /* HnKind: 0 audio, 1 video */
    uint8_t codec; /* HnCodecId */
    uint32_t clock_rate;
    const char *participant; /* whose media ("p<pid>") */
    const char *track_id;    /* "p<pid>-<mid>" */
    uint8_t source;          /* HnTrackSource: microphone, camera, screen */
} HnLegStream;

/* What a leg tells its owner (the room). buf: transfer none, valid during the call only, may be
 * modified in place. */
typedef struct {
    void (*on_rtp)(void *owner, HnLeg *leg, uint8_t *buf, size_t len);
    void (*on_rtcp)(void *owner, HnLeg *leg, uint8_t *buf, size_t len);
    /* Media can flow (e.g. DTLS is up and SRTP keys installed). */
    void (*on_connected)(void *owner, HnLeg *leg);
    /* The leg is dead (ICE or DTLS failed, peer closed, socket error). The owner should destroy
     * it; destroying from within this callback is allowed. */
    void (*on_failed)(void *owner, HnLeg *leg, const char *reason);
} HnLegEvents;

typedef struct {
    const char *name; /* "webrtc", "rtp", ... for logs and /metrics */
    /* Sends one plain RTP packet. buf holds cap bytes (cap >= len + 64): the leg may protect it
     * in place. Hot path: no allocation, no lock, no log above trace. */
    void (*send_rtp)(HnLeg *leg, uint8_t *buf, size_t len, size_t cap);
    /* Sends one plain compound RTCP packet; buf is not kept. */
    void (*send_rtcp)(HnLeg *leg, const uint8_t *buf, size_t len);
    bool (*is_connected)(const HnLeg *leg);
    /* Monotonic time (us) of the last packet received, 0 if none. */
    int64_t (*last_rx_us)(const HnLeg *leg);
    void (*get_stats)(const HnLeg *leg, HnLegStats *out);
    /* Closes and frees the leg (at a safe point if called from one of its callbacks). */
    void (*destroy)(HnLeg *leg);
    /* Optional: the whole set of streams the leg receives now, each time it changes (legs
     * negotiated by SDP learn it from the offer instead). */
    void (*set_streams)(HnLeg *leg, const HnLegStream *streams, size_t n);
    /* Optional: the leg receives audio on ssrc, to be shed after video under overload. */
    void (*mark_audio)(HnLeg *leg, uint32_t ssrc);
    /* Optional: makes what send_rtp staged visible at once (a relay leg batches its pushes to
     * another worker). The router calls it after one packet's copies to relay legs, before the
     * copies it sends itself. Hot path. */
    void (*flush)(HnLeg *leg);
} HnLegClass;

struct HnLeg {
    const HnLegClass *cls;
    HnLegKind kind;
    const HnLegEvents *events; /* the owner's callbacks; NULL until adopted */
    void *owner;
    uint32_t id; /* the owner's id for it (the router's transport id) */
};

/* Sets the owner's callbacks (transfer none; events must outlive the leg). */
static inline void hn_leg_adopt(HnLeg *leg, const HnLegEvents *events, void *owner, uint32_t id)
{
    leg->events = events;
    leg->owner = owner;
    leg->id = id;
}

static inline void hn_leg_send_rtp(HnLeg *leg, uint8_t *buf, size_t len, size_t cap)
{
    leg->cls->send_rtp(leg, buf, len, cap);
}

static inline void hn_leg_send_rtcp(HnLeg *leg, const uint8_t *buf, size_t len)
{
    leg->cls->send_rtcp(leg, buf, len);
}

static inline bool hn_leg_is_connected(const HnLeg *leg)
{
    return leg->cls->is_connected(leg);
}

static inline int64_t hn_leg_last_rx_us(const HnLeg *leg)
{
    return leg->cls->last_rx_us(leg);
}

/* NULL ok. */
static inline void hn_leg_destroy(HnLeg *leg)
{
    if (leg)
        leg->cls->destroy(leg);
}

/* Helpers for implementations: forward to the owner when adopted. */
static inline void hn_leg_emit_rtp(HnLeg *leg, uint8_t *buf, size_t len)
{
    if (leg->events && leg->events->on_rtp)
        leg->events->on_rtp(leg->owner, leg, buf, len);
}

static inline void hn_leg_emit_rtcp(HnLeg *leg, uint8_t *buf, size_t len)
{
    if (leg->events && leg->events->on_rtcp)
        leg->events->on_rtcp(leg->owner, leg, buf, len);
}

/* The seam between the SIP gateway and what a room system receives: the room's composed
 * picture and its own mix-minus audio. Both are the composition's business (the `picture`
 * work of issue 13), not the gateway's: the gateway only negotiates, carries and protects. The
 * coordinator wires a provider with hn_sip_gateway_set_media (gateway/sip.h); without one the
 * endpoint receives nothing (its own media still reaches the room).
 *
 * Lifetime: when a call's media starts, the gateway calls start() on the call's room worker
 * thread with the negotiated streams and an HnSipMediaOut; the provider keeps `out` until
 * stop() (also on that worker thread) and sends with hn_sip_media_send from that worker thread
 * only (a provider on another thread goes through the worker's inject ring, transport/inject.h,
 * or hn_worker_invoke). keyframe() is the endpoint asking for a picture refresh (RTCP PLI or
 * FIR). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/codec.h"

typedef struct HnSipMediaOut HnSipMediaOut;

/* One negotiated stream the endpoint receives. */
typedef struct {
    HnKind kind;
    const char *encoding; /* "H264", "VP8", "opus", "G722", "PCMU", "PCMA" */
    uint8_t pt;           /* the payload type to send with */
    uint32_t clock_rate;
    const char *fmtp;  /* what the answer said for pt ("" when nothing): packetization-mode... */
    uint32_t feedback; /* HN_FB_* the endpoint negotiated (its PLI/FIR reach keyframe()) */
    uint32_t max_kbps; /* its offer's b=AS / b=TIAS (the lower), 0: it said none */
} HnSipMediaStream;

typedef struct {
    const char *room;
    uint64_t pid; /* the room system's participant: "p<pid>" (leave it out of its mix-minus) */
    const char *name;
    const HnSipMediaStream *streams;
    size_t n_streams;
    HnSipMediaOut *out; /* valid until stop() */
} HnSipMediaCall;

typedef struct {
    /* A call's media starts; returns the provider's handle for it (NULL: nothing to send). */
    void *(*start)(void *user, const HnSipMediaCall *call);
    void (*keyframe)(void *handle);
    void (*stop)(void *handle);
    void *user;
} HnSipMediaProvider;

/* Sends one plain RTP packet of kind to the endpoint (SSRC, sequence and timestamp as the
 * provider sets them; pt as negotiated). buf: cap >= len + 64 bytes, protected in place.
 * Worker thread. 0, -ENOENT (no stream of that kind), -EIO. */
int hn_sip_media_send(HnSipMediaOut *out, HnKind kind, uint8_t *buf, size_t len, size_t cap);

/* Sends one plain RTCP compound packet (the provider's sender reports) on the stream of kind:
 * to the endpoint's RTCP port, or its RTP port with rtcp-mux; SRTCP with SDES. buf: cap >=
 * len + hn_srtp_rtcp_overhead, protected in place. Worker thread. 0, -ENOENT, -EIO. */
int hn_sip_media_send_rtcp(HnSipMediaOut *out, HnKind kind, uint8_t *buf, size_t len, size_t cap);

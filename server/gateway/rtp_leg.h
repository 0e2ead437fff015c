/* The RTP leg of a SIP room system (HnLeg kind HN_LEG_RTP): one UDP socket pair per accepted m=
 * line, plain RTP or SDES-SRTP (libsrtp2 through transport/srtp.h, keyed from a=crypto), no
 * ICE. Symmetric RTP / comedia: it sends to the address of the SDP until packets come from
 * somewhere else, then to where they come from. What it receives goes into the room; what the
 * router sends it (other participants' separate streams) is dropped: a room system shows one
 * picture, which the media provider (gateway/sip_media.h) sends through hn_rtp_leg_output.
 *
 * Thread: made on the main thread (sockets bound there, the SDP answer needs their ports), then
 * handed to the room's worker: every other call, and every socket and timer callback, runs on
 * the worker whose context was given. */
#pragma once

#include <gio/gio.h>
#include <stdint.h>

#include "core/leg.h"
#include "gateway/sip_media.h"
#include "sdp/sdp_plain.h"
#include "transport/worker.h"

#define HN_RTP_LEG_MAX_STREAMS 4

typedef struct HnRtpLeg HnRtpLeg;

/* A socket pair bound on address (port 0: any), before the answer is written. */
typedef struct {
    GSocket *rtp, *rtcp;
    uint16_t rtp_port, rtcp_port;
} HnRtpPorts;

/* Binds the pair; FALSE with error. */
gboolean hn_rtp_ports_open(HnRtpPorts *p, const char *address, GError **error);
void hn_rtp_ports_close(HnRtpPorts *p);

/* Told on the MAIN context (posted there), with the pid given at creation:
 * - "timeout": the endpoint was silent for silence_s; the leg ends (the room destroys it);
 * - "keyframe": a key frame of the endpoint's video is wanted and it negotiated neither RTCP PLI
 *   nor FIR (send SIP INFO picture_fast_update, RFC 5168); at most one a second.
 * The user must never touch the leg. */
typedef void (*HnRtpLegGoneFn)(void *user, uint64_t pid, const char *what);

/* One accepted stream: the negotiated line, its sockets (transfer none: the leg takes its own
 * references) and our SDES key (when srtp). */
typedef struct {
    const HnSdpPlainStream *neg;
    HnRtpPorts ports;
    const HnSdpSdesKey *local_key; /* NULL unless neg->srtp */
    uint32_t opus_ssrc; /* G.711/G.722 audio: the SSRC of its Opus transcoding (transcode.h) */
} HnRtpLegStreamInit;

/* transfer full (the room owns it once attached). NULL with error (SRTP keys refused). gone:
 * called on the main context with gone_user and pid. */
HnRtpLeg *hn_rtp_leg_new(GMainContext *worker_ctx, const HnRtpLegStreamInit *streams, size_t n,
                         int silence_s, uint64_t pid, HnRtpLegGoneFn gone, void *gone_user,
                         GError **error);

HnLeg *hn_rtp_leg_base(HnRtpLeg *leg);

/* Sends one plain RTP packet of kind (the first accepted stream of that kind) to the endpoint,
 * protected when SRTP. Worker thread. Returns 0, -ENOENT (no such stream), -EIO. */
int hn_rtp_leg_send_kind(HnRtpLeg *leg, HnKind kind, uint8_t *buf, size_t len, size_t cap);

/* Sets the provider of what the endpoint receives (copied; NULL: nothing) and starts the
 * leg's sockets and timer on its worker context. Once, on the main thread, last thing before
 * the leg is handed to the worker. */
void hn_rtp_leg_start(HnRtpLeg *leg, const HnSipMediaProvider *p, const char *room,
                      const char *name);

/* The endpoint asked for a key frame by SIP INFO picture_fast_update: on the worker of pid's
 * room, the leg of pid (if it still exists) tells its media provider's keyframe(). Main thread;
 * worker: hn_hub_site_worker. */
void hn_rtp_leg_keyframe_by_pid(HnWorker *worker, uint64_t pid);

/* What a re-INVITE changed for one accepted stream (in the leg's order: the accepted m= lines). */
typedef struct {
    gboolean send;    /* FALSE: on hold (a=sendonly / inactive or c=0.0.0.0): nothing sent */
    gboolean receive; /* FALSE: the endpoint sends nothing (its silence is not a hang-up) */
    HnSdpConn remote; /* where to send now (when it moved: sent there until comedia latches) */
    uint16_t remote_port;
    HnSdpConn remote_rtcp;
    uint16_t remote_rtcp_port;
} HnRtpLegUpdate;

/* Applies a re-INVITE's streams (u[0..n), copied) on the worker of pid's leg: hold stops sending
 * the picture and mix there, resume restarts them and asks the provider for a key frame. Main
 * thread; worker: hn_hub_site_worker. */
void hn_rtp_leg_update_by_pid(HnWorker *worker, uint64_t pid, const HnRtpLegUpdate *u, size_t n);

/* The room's side of the H.264 -> VP8 transcodes its model asks for (HN_RA_START_TRANSCODE /
 * HN_RA_STOP_TRANSCODE, core/room_model.h): per transcode, a router tap on the H.264 producer
 * feeds the transcoder (gateway/vp8tx.h, behind HnRoomTranscoder so app/ does not link the
 * gateway), whose VP8 RTP comes back through the room's inject ring into the router as the
 * derived producer, on a transport of its own (an in-process leg, core/local_leg.h): the
 * subscribers' PLI/FIR to that producer arrive there and become key frame requests of the
 * encoder and of the publisher (asked for one too when a transcode starts: the decoder needs one).
 *
 * Thread: the room's worker thread for everything. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "core/room_model.h"
#include "core/router.h"
#include "transport/inject.h"

/* Process-wide counters of the transcoder (/metrics hoinghi_vp8tx_*). */
typedef struct {
    uint64_t running;    /* transcoders now */
    uint64_t started;    /* since start */
    uint64_t frames_in;  /* H.264 pictures decoded */
    uint64_t frames_out; /* VP8 frames encoded */
    uint64_t drops;      /* RTP packets shed: the transcoder's queue full, or the ring refused */
} HnTranscodeStats;

/* A transcoder implementation (gateway/vp8tx.h), installed once at startup. */
typedef struct {
    /* Starts one: H.264 RTP of payload type pt in, VP8 RTP with ssrc out into ring with target and
     * target_id. NULL with error on failure. */
    void *(*start)(uint8_t pt, uint32_t ssrc, HnInjectRing *ring, void *target, uint64_t target_id,
                   GError **error);
    void (*push)(void *tx, const uint8_t *rtp, size_t len); /* never blocks */
    void (*keyframe)(void *tx);                             /* never blocks */
    void (*stop)(void *tx);                                 /* never blocks */
    void (*get_stats)(HnTranscodeStats *out);               /* any thread */
} HnRoomTranscoder;

/* Installs the transcoder every room uses (ops copied; NULL: none, START_TRANSCODE refused).
 * Call before any room opens. */
void hn_room_set_transcoder(const HnRoomTranscoder *ops);

/* The installed transcoder's counters (zeros when none). Any thread. */
void hn_room_transcoder_stats(HnTranscodeStats *out);

typedef struct HnRoomTranscodes HnRoomTranscodes;

/* kick(user): called after injected packets went into the router (re-arm its timer). */
HnRoomTranscodes *hn_room_transcodes_new(HnRouter *router, GMainContext *ctx, const char *room,
                                         void (*kick)(void *user), void *user);
/* Applies START_TRANSCODE: 0, -ENOTSUP (no transcoder installed or it failed to start) or the
 * router's errno. transport_id: a transport id the room does not use. */
int hn_room_transcodes_start(HnRoomTranscodes *t, const HnRoomAction *a, uint32_t transport_id);
/* Applies STOP_TRANSCODE (the derived producer's consumers are gone already). */
void hn_room_transcodes_stop(HnRoomTranscodes *t, uint32_t derived_id);
guint hn_room_transcodes_running(const HnRoomTranscodes *t);
/* Stops every transcode and closes the ring. NULL ok. */
void hn_room_transcodes_free(HnRoomTranscodes *t);

/* G.711 / G.722 from a room system to Opus for the browsers, OFF the worker thread: a GStreamer
 * pipeline per audio stream, appsrc -> depayloader -> decoder -> audioresample -> opusenc ->
 * rtpopuspay -> appsink, whose Opus RTP comes back to the worker through an inject ring
 * (transport/inject.h). The worker only copies each packet into the appsrc queue (bounded,
 * leaky: a stalled pipeline sheds packets, it never blocks the worker); decoding and encoding run
 * on GStreamer's threads. Stopping the pipeline (which joins its threads) happens on a thread of
 * its own, never on the worker. */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "sdp/sdp_plain.h"
#include "transport/inject.h"

typedef struct HnTranscoder HnTranscoder;

#define HN_TRANSCODE_OPUS_PT 111

/* Whether codec is transcoded (G722, PCMU, PCMA). */
gboolean hn_transcoder_handles(HnSdpPlainCodec codec);

/* A running pipeline for codec arriving with payload type pt; its Opus RTP (payload type
 * HN_TRANSCODE_OPUS_PT, SSRC ssrc) is pushed into ring (a reference is taken) with target and
 * target_id. NULL with error when an element is missing. Any thread. */
HnTranscoder *hn_transcoder_new(HnSdpPlainCodec codec, uint8_t pt, uint32_t ssrc,
                                HnInjectRing *ring, void *target, uint64_t target_id,
                                GError **error);

/* Queues one plain RTP packet of the endpoint (copied). Worker thread; never blocks. */
void hn_transcoder_push(HnTranscoder *t, const uint8_t *rtp, size_t len);

/* Stops and frees it (on a thread of its own). NULL ok. */
void hn_transcoder_free(HnTranscoder *t);

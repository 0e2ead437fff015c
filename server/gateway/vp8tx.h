/* H.264 -> VP8 for the browsers that did not negotiate H.264 (issue 13), OFF the worker thread:
 * a GStreamer pipeline per transcoded producer,
 *   appsrc (the publisher's H.264 RTP, copied from a router tap) -> rtpjitterbuffer ->
 *   rtph264depay -> h264parse -> avdec_h264 -> videoconvert -> videoscale (at most
 *   HN_VP8TX_MAX_WIDTH x HN_VP8TX_MAX_HEIGHT, the aspect kept; the frame rate the publisher's) ->
 *   vp8enc (realtime, error resilient, HN_VP8TX_BITRATE) -> rtpvp8pay -> appsink,
 * whose VP8 RTP (payload type HN_VP8TX_PT, the SSRC given) goes back to the room's worker
 * through an inject ring (transport/inject.h). The worker only copies each packet into the
 * bounded, leaky appsrc and asks for key frames (a subscriber's PLI/FIR): decoding and encoding
 * run on GStreamer's threads; stopping (which joins them) on a thread of its own.
 *
 * Why the size cap: VP8 realtime at 1280x720 costs about one core of this class of machine at
 * 30 fps (docs/room-systems.md, tests/perf/vp8tx_cpu.py); 640x360 costs about a quarter of it
 * and is what a tile of a browser's grid shows. */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "app/room_transcode.h"
#include "transport/inject.h"

typedef struct HnVp8Tx HnVp8Tx;

#define HN_VP8TX_PT         96
#define HN_VP8TX_MAX_WIDTH  640
#define HN_VP8TX_MAX_HEIGHT 360
#define HN_VP8TX_BITRATE    600000 /* bit/s */

/* Process-wide counters (/metrics hoinghi_vp8tx_*). */
typedef HnTranscodeStats HnVp8TxStats;

/* A running transcoder of H.264 RTP with payload type h264_pt; its VP8 RTP is pushed into ring
 * (a reference is taken) with target and target_id. NULL with error when an element is missing
 * or the pipeline does not start. Any thread. transfer full: free with hn_vp8tx_free. */
HnVp8Tx *hn_vp8tx_new(uint8_t h264_pt, uint32_t ssrc, HnInjectRing *ring, void *target,
                      uint64_t target_id, GError **error);
/* Queues one H.264 RTP packet (copied). Worker thread; never blocks. */
void hn_vp8tx_push(HnVp8Tx *t, const uint8_t *rtp, size_t len);
/* The next VP8 frame is a key frame (a subscriber's PLI/FIR). Any thread; never blocks. */
void hn_vp8tx_keyframe(HnVp8Tx *t);
/* Stops and frees it (on a thread of its own). NULL ok. */
void hn_vp8tx_free(HnVp8Tx *t);
void hn_vp8tx_get_stats(HnVp8TxStats *out);
/* The room's transcoder (app/room_transcode.h) made of the functions above. */
void hn_vp8tx_install(void);

/* rtp_pipe.h - an RTP-in, RTP-out GStreamer pipeline off the worker thread, the common part of
 * the room systems' transcoders (transcode.h: G.711/G.722 to Opus; vp8tx.h: H.264 to VP8).
 *
 * The worker only copies each packet into the pipeline's appsrc (named "src": bounded by its
 * max-bytes and leaky, so a stalled pipeline sheds the oldest packets and never blocks the
 * worker); decoding and encoding run on GStreamer's threads; what the appsink (named "sink")
 * produces goes back to the worker through an inject ring (transport/inject.h). Stopping the
 * pipeline (which joins its threads) happens on a thread of its own, never on the worker. */
#pragma once

#include <glib.h>
#include <gst/gst.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/inject.h"

typedef struct HnRtpPipe HnRtpPipe;

/* Parses and starts desc (gst-launch syntax with "appsrc name=src ... max-bytes=N" and "appsink
 * name=sink"); each sample of the sink is pushed into ring (a reference is taken) with target
 * and target_id, and counted in *dropped (atomically; may be NULL) when the ring refuses it.
 * what: for the error message ("the G722 to Opus pipeline does not start"). NULL with error when
 * an element is missing or the pipeline does not start. Any thread. */
HnRtpPipe *hn_rtp_pipe_new(const char *desc, const char *what, HnInjectRing *ring, void *target,
                           uint64_t target_id, guint64 *dropped, GError **error);
/* The element called name in the pipeline (transfer full; NULL if none): for probes. */
GstElement *hn_rtp_pipe_get(HnRtpPipe *p, const char *name);
/* Queues one plain RTP packet (copied). TRUE when the queue was full, so the appsrc shed its
 * oldest packet. Worker thread; never blocks. */
gboolean hn_rtp_pipe_push(HnRtpPipe *p, const uint8_t *rtp, size_t len);
/* Sends an upstream event from the sink (e.g. a key frame request for the encoder); takes ev. */
void hn_rtp_pipe_upstream(HnRtpPipe *p, GstEvent *ev);
/* Stops and frees it (on a thread called thread_name). NULL ok. */
void hn_rtp_pipe_free(HnRtpPipe *p, const char *thread_name);

/* media.h - the synthetic media every hn-load publisher sends: VP8 video and Opus audio encoded
 * once at start-up with GStreamer (videotestsrc/audiotestsrc), packetized to RTP and kept in
 * memory, then looped by every publisher with its own SSRCs, sequence numbers and timestamps.
 * A LoadMedia is immutable after creation and shared read-only by every worker thread. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/codec.h"

/* One RTP packet of the loop: payload bytes and the header fields that matter. */
typedef struct {
    uint32_t offset;     /* payload start in LoadMediaTrack.data */
    uint16_t len;        /* payload length in bytes */
    bool marker;         /* RTP marker bit (last packet of a video frame) */
    bool frame_start;    /* first packet of a frame (video) / of an Opus packet (audio) */
    bool keyframe_start; /* first packet of a VP8 key frame (hn_codec_is_keyframe) */
    uint32_t ts;         /* RTP timestamp relative to the first packet of the loop */
} LoadMediaPacket;

typedef struct {
    HnKind kind;
    HnCodecId codec;
    uint32_t clock_rate;   /* 90000 or 48000 */
    LoadMediaPacket *pkts; /* in send order */
    size_t n;
    uint8_t *data;      /* all payloads, back to back */
    uint32_t loop_ts;   /* length of one loop in RTP units (last ts + one frame) */
    size_t *keyframes;  /* indices of the packets with keyframe_start, ascending */
    size_t n_keyframes; /* 0 for audio */
    size_t max_payload; /* largest payload */
    double kbps, pps;   /* average RTP payload bitrate and packet rate of the loop */
} LoadMediaTrack;

typedef struct {
    LoadMediaTrack video;
    LoadMediaTrack audio; /* n == 0 when audio is off */
} LoadMedia;

/* Encodes `seconds` of width x height (960x540 by default) 30 fps moving test pattern with vp8enc
 * (realtime, CBR at video_kbps, a key frame every 2 s) packetized by rtpvp8pay (MTU 1200), and,
 * when audio is TRUE, the same length of Opus at audio_kbps (20 ms frames) packetized by
 * rtpopuspay. Blocks for a few seconds. Returns (transfer full) the media, or NULL with error set
 * (missing GStreamer element, pipeline error, no key frame produced). Thread: any, once at
 * start-up. */
LoadMedia *load_media_new(unsigned width, unsigned height, unsigned video_kbps, unsigned audio_kbps,
                          gboolean audio, double seconds, GError **error);

/* NULL is a no-op. */
void load_media_free(LoadMedia *m);

/* Index of the first key frame start at or after packet i, wrapping around the loop. Needs
 * n_keyframes > 0. */
size_t load_media_next_keyframe(const LoadMediaTrack *t, size_t i);

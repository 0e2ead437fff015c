/* Shared media vocabulary of the core and the SDP layer: kinds and codecs. Pure data, no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { HN_KIND_AUDIO = 0, HN_KIND_VIDEO = 1 } HnKind;

typedef enum {
    HN_CODEC_UNKNOWN = 0,
    HN_CODEC_OPUS,
    HN_CODEC_VP8,
    HN_CODEC_H264,
} HnCodecId;

/* Feedback mechanisms negotiated for a stream (a=rtcp-fb). */
enum {
    HN_FB_NACK = 1 << 0,
    HN_FB_PLI = 1 << 1,
    HN_FB_FIR = 1 << 2,
    HN_FB_TRANSPORT_CC = 1 << 3,
    HN_FB_REMB = 1 << 4,
};

/* One negotiated codec of one stream. Plain value type, copied freely. */
typedef struct {
    HnCodecId id;
    HnKind kind;
    uint8_t pt;          /* payload type on this side of the SFU */
    uint32_t clock_rate; /* 48000 for Opus, 90000 for video */
    uint8_t channels;    /* 2 for Opus, 0 for video */
    uint32_t feedback;   /* HN_FB_* */
    char fmtp[128];      /* a=fmtp parameters, "" when none */
} HnCodec;

/* "opus", "VP8", "H264" -> id; case-insensitive; HN_CODEC_UNKNOWN otherwise. */
HnCodecId hn_codec_id_from_name(const char *name);
/* id -> canonical SDP encoding name ("opus", "VP8", "H264"); transfer none. */
const char *hn_codec_name(HnCodecId id);

/* True when this RTP payload starts a decodable picture: VP8 start of partition 0 of a key frame
 * (S=1, PID=0, P=0 in the VP8 payload header), H264 IDR or SPS (single NAL, inside a STAP-A, or
 * the start fragment of an FU-A). Always true for Opus; false for unknown codecs and for any
 * truncated or malformed payload. payload: transfer none; never read past len. Any thread. */
bool hn_codec_is_keyframe(HnCodecId id, const uint8_t *payload, size_t len);

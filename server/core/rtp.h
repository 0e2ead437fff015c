/* RTP fixed header (RFC 3550 section 5.1): parse, validate, and rewrite in place.
 * Pure functions on caller-owned buffers; no allocation, no I/O; callable from any thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HN_RTP_HEADER_MIN 12
#define HN_RTP_VERSION    2

/* A parsed, validated RTP header. Offsets index the buffer given to hn_rtp_parse(). */
typedef struct {
    bool padding;
    bool extension;
    uint8_t csrc_count;
    bool marker;
    uint8_t pt;
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    uint16_t
        ext_profile;    /* header extension profile (0xBEDE one-byte, 0x100x two-byte), 0 if none */
    size_t ext_offset;  /* offset of extension data (after its 4-byte header), 0 if none */
    size_t ext_len;     /* extension data length in bytes (multiple of 4), 0 if none */
    size_t header_len;  /* offset of the payload: fixed header + CSRCs + extension */
    size_t payload_len; /* payload bytes, padding excluded */
    uint8_t padding_len; /* trailing padding bytes including the count byte, 0 if none */
} HnRtpHeader;

/* Parses and validates the RTP packet buf[0..len) into *out: version 2, CSRC list, extension
 * length and padding count all within bounds. Returns 0, or -EINVAL for a malformed packet
 * (then *out is unspecified). buf and out: transfer none. */
int hn_rtp_parse(const uint8_t *buf, size_t len, HnRtpHeader *out);

/* RFC 5761 demultiplexing: true when the second byte is an RTCP packet type (192..223).
 * Needs len >= 2, false otherwise. Does not validate the rest of the packet. */
bool hn_rtp_is_rtcp(const uint8_t *buf, size_t len);

/* In-place setters on a buffer already validated by hn_rtp_parse() (len >= 12). */
void hn_rtp_set_seq(uint8_t *buf, uint16_t seq);
void hn_rtp_set_ts(uint8_t *buf, uint32_t ts);
void hn_rtp_set_ssrc(uint8_t *buf, uint32_t ssrc);
void hn_rtp_set_pt(uint8_t *buf, uint8_t pt); /* pt is masked to 7 bits; marker kept */
void hn_rtp_set_marker(uint8_t *buf, bool marker);

/* Copies the packet src[0..len), validated as h, to dst without its header extension: X bit
 * cleared, fixed header and CSRCs kept, payload and padding moved up. Returns the new length
 * (len - 4 - h->ext_len with an extension, len without). dst holds at least len bytes and does
 * not overlap src. */
size_t hn_rtp_copy_without_extension(uint8_t *dst, const uint8_t *src, size_t len,
                                     const HnRtpHeader *h);

/* Finds header extension element `id` (RFC 8285: one-byte form, profile 0xBEDE, ids 1-14;
 * two-byte form, profile 0x100x, ids 1-255) in a packet validated as h. Returns the length of its
 * data (>= 0) and sets *data (transfer none, inside buf), or -ENOENT (no extension block, other
 * profile, id absent) or -EINVAL (an element runs past the block, or id 0/15 in the one-byte
 * form). Padding bytes (0) are skipped; parsing stops at id 15 of the one-byte form. */
int hn_rtp_find_extension(const uint8_t *buf, const HnRtpHeader *h, unsigned id,
                          const uint8_t **data);

/* Reads the RFC 6464 client-to-mixer audio level of extension `id`: *level_dbov 0 (loudest) to
 * 127 (silence, -127 dBov), *voice the V bit. Returns 0, -ENOENT (absent) or -EINVAL (malformed,
 * no data byte). */
int hn_rtp_audio_level(const uint8_t *buf, const HnRtpHeader *h, unsigned id, uint8_t *level_dbov,
                       bool *voice);

/* Big-endian helpers shared by the RTP/RTCP code. */
static inline uint16_t hn_rd16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t hn_rd24(const uint8_t *p)
{
    return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}
static inline uint32_t hn_rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void hn_wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void hn_wr24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}
static inline void hn_wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

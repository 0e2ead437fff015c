/* Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01):
 * the RTPFB FMT 15 packet, parsed and written, and the header extension carrying the transport-wide
 * sequence number. Pure functions on caller-owned buffers and structs: no allocation, no clock,
 * any thread.
 *
 * Wire format after the 12-byte feedback header: base sequence number (16), packet status count
 * (16), reference time (signed 24, units of 64 ms), feedback packet count (8); then 16-bit packet
 * chunks, either a run-length chunk (T=0: a 2-bit symbol repeated up to 8191 times) or a status
 * vector chunk (T=1: S=0, 14 one-bit symbols; S=1, 7 two-bit symbols); then one receive delta per
 * received packet (symbol 1: one unsigned byte; symbol 2: signed 16 bits; units of 250 us);
 * zero padding to 32 bits. Symbols: 0 not received, 1 small delta, 2 large or negative delta,
 * 3 reserved (rejected). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rtp.h"

#define HN_TWCC_MAX_STATUS 4096      /* packets one parsed feedback may describe */
#define HN_TWCC_DELTA_US   250       /* receive delta unit */
#define HN_TWCC_REF_US     64000     /* reference time unit */
#define HN_TWCC_LOST       INT64_MIN /* arrival_us of a packet that was not received */

/* A parsed feedback: status_count packets from base_seq on (seq = base_seq + i, wrapping), each
 * with its arrival time in microseconds on the receiver's clock (reference time included), or
 * HN_TWCC_LOST. */
typedef struct {
    uint32_t sender_ssrc, media_ssrc;
    uint16_t base_seq;
    uint16_t status_count;
    uint8_t fb_count;
    int32_t reference_time; /* 64 ms units */
    unsigned received;      /* entries whose arrival_us is not HN_TWCC_LOST */
    int64_t arrival_us[HN_TWCC_MAX_STATUS];
} HnTwccFeedback;

/* Parses one transport-cc feedback packet: pkt[0..len) is the whole RTCP packet (its 4-byte
 * header, sender and media SSRC, FCI), padding excluded, as hn_rtcp_iter_next() returns it.
 * Validates everything: chunks cover exactly status_count symbols (extra symbols of the last
 * vector chunk are ignored only when they are 0), no reserved symbol, every delta present, at
 * most 3 bytes of trailing padding. Returns 0, -EINVAL (malformed) or -E2BIG (more than
 * HN_TWCC_MAX_STATUS packets). out: transfer none, written on success and partly on failure. */
int hn_twcc_parse(const uint8_t *pkt, size_t len, HnTwccFeedback *out);

/* Writes one feedback about n (1..HN_TWCC_MAX_STATUS) packets from base_seq on, arrival_us[i]
 * being packet base_seq + i's arrival time or HN_TWCC_LOST; the first packet must have arrived.
 * The reference time is the first arrival rounded down to 64 ms. If a delta does not fit in 16
 * bits (a gap over 8 s), the feedback stops before that packet. Returns the bytes written and
 * sets *covered to the number of packets described (<= n), or -ENOSPC (cap too small for even
 * the first packet; cap >= 20 + 2 + 2 + padding is always enough for one), -EINVAL. */
int hn_twcc_write(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                  uint16_t base_seq, uint8_t fb_count, const int64_t *arrival_us, size_t n,
                  size_t *covered);

/* Reads the transport-wide sequence number from header extension element `id` of a packet
 * validated as h (see hn_rtp_find_extension()). Returns 0, -ENOENT or -EINVAL (not 2 bytes). */
int hn_twcc_read_seq(const uint8_t *buf, const HnRtpHeader *h, unsigned id, uint16_t *seq);

/* Copies the packet src[0..len), validated as h, to dst with its header extension replaced by a
 * single one-byte-form (0xBEDE) block carrying only the transport-wide sequence number seq as
 * element id (1..14): X bit set, fixed header and CSRCs kept, payload and padding moved. dst
 * holds at least len + 8 bytes and does not overlap src. Returns the new length. The hot path:
 * one memcpy of the header, one of the payload, 8 bytes written. */
size_t hn_twcc_copy_with_seq(uint8_t *dst, const uint8_t *src, size_t len, const HnRtpHeader *h,
                             unsigned id, uint16_t seq);

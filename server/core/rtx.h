/* RTP retransmission payload format (RFC 4588), SSRC-multiplexed as browsers use it: an RTX
 * packet carries the original packet's payload behind a 2-byte original sequence number (OSN), on
 * its own SSRC, payload type (whose a=fmtp apt= names the original one) and sequence numbers.
 * Pure functions on caller-owned buffers; no allocation, no I/O; any thread. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/rtp.h"

/* Rebuilds into dst the original packet of the RTX packet src[0..len), validated as h: header
 * (CSRCs and extensions kept) with seq = the OSN, ssrc and pt as given, marker kept, then the
 * payload after the OSN; RTX padding is dropped (P bit cleared). dst holds at least len bytes and
 * does not overlap src. Returns the original's length and sets *osn, or -ENODATA for a
 * padding-only probe (no payload at all, as libwebrtc sends them, or nothing after the OSN),
 * -EINVAL for a 1-byte payload. */
int hn_rtx_unwrap(uint8_t *dst, const uint8_t *src, size_t len, const HnRtpHeader *h, uint32_t ssrc,
                  uint8_t pt, uint16_t *osn);

/* Turns the valid RTP packet buf[0..len) into its RTX packet in place: its seq becomes the OSN in
 * front of the payload, and seq, ssrc and pt become rtx_seq, rtx_ssrc, rtx_pt (marker, ts,
 * extensions and padding kept). cap is buf's capacity. Returns the new length (len + 2), or
 * -EINVAL (not a valid RTP packet) / -ENOSPC (cap < len + 2). */
int hn_rtx_wrap(uint8_t *buf, size_t len, size_t cap, uint16_t rtx_seq, uint32_t rtx_ssrc,
                uint8_t rtx_pt);

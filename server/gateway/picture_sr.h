/* RTCP sender reports for what a SIP room system receives (the composed picture and its
 * mix-minus, issue 13): per output stream the SSRC, the packet and octet counts and the
 * RTP <-> wall-clock mapping of its last packet, turned into an RFC 3550 SR with an SDES CNAME.
 * The endpoint lines its audio and video up with them (lip sync) instead of relying on the
 * composer's timing alone.
 *
 * The mapping: each packet's RTP timestamp and the wall-clock time it left the composer's
 * payloader (the caller's `at_us`, CLOCK_REALTIME microseconds). Of the packets since the last
 * SR, the one that left least late for its timestamp is the anchor (a packet held up by a busy
 * thread does not shift the mapping; measured: a 90-110 ms A/V skew on a loaded machine when
 * the last packet was the anchor); an SR at `now_us` states the RTP timestamp of that instant,
 * the anchor's advanced by the elapsed time at the clock rate.
 *
 * I/O-free: no clock read, no socket. Thread: the caller's (the call's worker). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t clock_rate;
    bool have;                /* a packet was counted */
    uint32_t ssrc;            /* of the last packet */
    uint32_t rtp_ts;          /* of the anchor: the window's packet that left least late */
    int64_t at_us;            /* its wall-clock time */
    bool rebase;              /* an SR was built: the next packet starts a new window */
    uint32_t packets, octets; /* RFC 3550: payload octets, modulo 2^32 */
    int64_t last_sr_us;       /* when the last SR was built (0: never) */
} HnPictureSr;

#define HN_PICTURE_SR_INTERVAL_US 1000000 /* one SR a second per stream */

void hn_picture_sr_init(HnPictureSr *sr, uint32_t clock_rate);

/* Counts one RTP packet sent at at_us. A packet that is not RTP (short, version != 2) is
 * ignored. */
void hn_picture_sr_sent(HnPictureSr *sr, const uint8_t *rtp, size_t len, int64_t at_us);

/* An SR is due at now_us: a packet was counted and HN_PICTURE_SR_INTERVAL_US passed since the
 * last one. */
bool hn_picture_sr_due(const HnPictureSr *sr, int64_t now_us);

/* Writes SR (no report blocks) + SDES CNAME (cname: at most 255 bytes, cut) into buf as one
 * compound packet and marks it sent at now_us. Returns its length, 0 when no packet was counted
 * yet or cap is too small. */
size_t hn_picture_sr_build(HnPictureSr *sr, int64_t now_us, const char *cname, uint8_t *buf,
                           size_t cap);

/* RTP timestamp of instant t_us by the last packet's mapping (what an SR states). */
uint32_t hn_picture_sr_rtp_at(const HnPictureSr *sr, int64_t t_us);

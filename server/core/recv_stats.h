/* Receive statistics of one incoming RTP stream (RFC 3550 appendix A.1, A.3, A.8): extended
 * highest sequence number, cumulative and interval loss, interarrival jitter, packet and byte
 * counts. A plain value type embedded in its owner; no allocation. Router thread only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rtcp.h"

typedef struct {
    bool initialized;
    uint32_t clock_rate;
    int64_t base_seq;  /* extended seq of the first packet (since the last resync) */
    int64_t max_seq;   /* extended highest seq */
    int32_t bad_seq;   /* RFC 3550 resync candidate, -1 when none */
    uint64_t received; /* packets counted for loss (since the last resync) */
    uint64_t expected_prior, received_prior;
    bool have_transit;
    uint32_t last_transit;
    int64_t jitter_q4; /* jitter in RTP units, scaled by 16 */
    uint64_t packets;  /* every valid packet, including ones ignored by the seq logic */
    uint64_t bytes;
    int64_t last_packet_us;
} HnRecvStats;

/* Resets s for a stream with the given clock rate (Hz, > 0). */
void hn_recv_stats_init(HnRecvStats *s, uint32_t clock_rate);
/* Accounts one packet (seq, ts, total length) received at now_us. A jump of more than 3000
 * forward or 100 back is only accepted when the next packet confirms it (the sender restarted),
 * then the loss counters start over. */
void hn_recv_stats_update(HnRecvStats *s, uint16_t seq, uint32_t ts, size_t len, int64_t now_us);
/* Cumulative packets lost (may be negative with duplicates); 0 before the first packet. */
int64_t hn_recv_stats_lost(const HnRecvStats *s);
/* Interarrival jitter in RTP timestamp units. */
uint32_t hn_recv_stats_jitter(const HnRecvStats *s);
/* Extended highest sequence number as sent in report blocks (cycles << 16 | seq). */
uint32_t hn_recv_stats_ext_highest(const HnRecvStats *s);
/* Fills a report block for ssrc (fraction lost since the previous call, cumulative lost,
 * extended highest seq, jitter; lsr/dlsr 0) and starts a new interval. */
void hn_recv_stats_report(HnRecvStats *s, uint32_t ssrc, HnRtcpReportBlock *out);

/* Converts a time in microseconds to RTP units at clock_rate, without overflow for any
 * non-negative now_us. */
int64_t hn_us_to_rtp(int64_t us, uint32_t clock_rate);

/* The delay bound on received media (issue 14, "never late"): a datagram that waited in the
 * socket longer than the bound is dropped before decryption and counted, never forwarded late.
 * The kernel stamps each datagram on arrival (SO_TIMESTAMPNS, CLOCK_REALTIME); the mux reads the
 * real-time clock once per recvmmsg batch and turns the bound into a cut-off (hn_rx_cutoff), so
 * each datagram costs one compare (hn_rx_is_late). Only RTP/RTCP (RFC 7983: first byte
 * 128..191) is judged: STUN and DTLS are never dropped for age. The oldest datagram of a batch
 * (the first: the socket is FIFO) gives the batch's queueing delay, recorded in a histogram and
 * sampled by admission control (app/admission.h). Pure functions, no I/O; thread: any. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HN_RX_DELAY_DEFAULT_MS  100 /* [media] max_queue_delay_ms */
#define HN_RX_DELAY_MAX_MS      10000
#define HN_RX_PEAK_DEFAULT_MBPS 160 /* [media] rx_peak_mbps: receive buffer sizing */

/* Queueing-delay histogram of a worker's sockets: upper bounds in microseconds, the last bucket
 * counts what is above the last bound. */
#define HN_RX_DELAY_BUCKETS 10
extern const int64_t hn_rx_delay_bounds_us[HN_RX_DELAY_BUCKETS - 1];

typedef struct {
    uint64_t buckets[HN_RX_DELAY_BUCKETS]; /* per bucket, not cumulative */
    int64_t sum_us;
    uint64_t count;
    int64_t last_us, max_us;
    int64_t window_max_us; /* largest since the owner last reset it (admission control's sample) */
} HnRxDelayStats;

/* Earliest kernel stamp (ns, CLOCK_REALTIME) still in time for a batch read at now_ns; bound_ns
 * 0 disables the bound (every stamp is in time). */
static inline int64_t hn_rx_cutoff(int64_t now_ns, int64_t bound_ns)
{
    return bound_ns > 0 ? now_ns - bound_ns : INT64_MIN;
}

/* RTP or RTCP by RFC 7983's first-byte ranges. */
static inline bool hn_rx_is_media(const uint8_t *p, size_t len)
{
    return len >= 2 && p[0] >= 128 && p[0] <= 191;
}

/* TRUE when a datagram stamped at stamp_ns is older than the cut-off. A datagram without a stamp
 * (stamp_ns 0) is never late; one stamped in the future (the clock stepped back) neither. */
static inline bool hn_rx_is_late(int64_t stamp_ns, int64_t cutoff_ns)
{
    return stamp_ns != 0 && stamp_ns < cutoff_ns;
}

/* Records one batch's queueing delay (now - the oldest stamp, clamped at 0). */
void hn_rx_delay_record(HnRxDelayStats *s, int64_t delay_us);

/* Receive buffer for the bound: what arrives at peak_mbps during bound_ms, in bytes (the kernel
 * doubles what SO_RCVBUF asks, which covers its per-datagram overhead), at least 256 KiB, at most
 * 64 MiB. */
int hn_rx_buffer_bytes(unsigned bound_ms, unsigned peak_mbps);

/* stats.h - what hn-load measures on every received RTP stream, as pure functions: packets,
 * loss from sequence gaps (extended sequence numbers), RFC 3550 interarrival jitter, the
 * forwarding delay carried in the payload trailer, and the first complete VP8 key frame.
 * No clock reads, no I/O, no allocation: time is an argument (CLOCK_MONOTONIC ns). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/codec.h"
#include "core/rtp.h"

/* Payload trailer written by every publisher: 4-byte magic + 8-byte CLOCK_MONOTONIC send time
 * in nanoseconds, both big-endian, as the last 12 bytes of the RTP payload. */
#define LOAD_TRAILER_LEN   12
#define LOAD_TRAILER_MAGIC 0x484e4c44u /* "HNLD" */

/* Writes the trailer at p (12 bytes). */
void load_trailer_write(uint8_t *p, int64_t send_ns);
/* Reads the send time from the last 12 bytes of a payload; false when len < 12 or the magic
 * does not match. */
bool load_trailer_read(const uint8_t *payload, size_t len, int64_t *send_ns);

/* Log-linear histogram of non-negative integers (microseconds here): exact below 32, then 16
 * buckets per power of two (about 6% resolution) up to 2^36. */
#define LOAD_HIST_BUCKETS 544
typedef struct {
    uint64_t n;
    uint64_t max; /* exact largest value added (not kept by load_hist_diff) */
    uint32_t b[LOAD_HIST_BUCKETS];
} LoadHist;

void load_hist_add(LoadHist *h, uint64_t v);
void load_hist_merge(LoadHist *dst, const LoadHist *src);
/* out = now - before, bucket by bucket (now must include before); out->max is the upper bound
 * of the highest non-empty bucket of the difference. */
void load_hist_diff(LoadHist *out, const LoadHist *now, const LoadHist *before);
/* The value at quantile q (0..1): the middle of the bucket holding it; 0 when empty. */
uint64_t load_hist_quantile(const LoadHist *h, double q);

/* One received stream. Identity fields are set by the owner; the rest by the functions below. */
typedef struct {
    /* identity (owner) */
    int pub; /* index of the publishing hn-load client, -1 unknown */
    HnKind kind;
    HnCodecId codec;
    uint32_t ssrc;
    uint32_t clock_rate;
    char mid[33];
    bool active; /* still in the current negotiated description */
    /* counters */
    uint64_t packets, bytes;
    uint64_t reordered;  /* arrived with a sequence number below the highest seen (or dup) */
    uint64_t no_trailer; /* payload without the hn-load trailer (no delay sample) */
    double jitter;       /* RFC 3550 interarrival jitter, RTP units */
    uint64_t delay_n, delay_sum_us, delay_max_us;
    int64_t first_rx_ns, last_rx_ns;
    int64_t keyframe_ns; /* arrival of the last packet of the first complete key frame, 0 none */
    /* sequence state */
    bool started;
    uint16_t max_seq;
    uint32_t cycles;
    uint32_t base_seq;
    uint32_t last_transit;
    bool have_transit;
    /* first key frame state */
    bool kf_open;
    uint32_t kf_ts;
    uint64_t kf_next;
    /* receiver report state */
    uint64_t rr_expected, rr_received;
    uint32_t lsr; /* middle 32 bits of the last SR's NTP time, 0 none */
    int64_t lsr_at_ns;
} LoadRxStream;

enum {
    LOAD_RX_KEYFRAME_DONE = 1 << 0, /* this packet completed the first key frame */
    LOAD_RX_WANT_KEYFRAME = 1 << 1, /* video before any key frame: a PLI would help */
};

/* Accounts one RTP packet (header already parsed with hn_rtp_parse, payload = its payload,
 * trailer included) arrived at now_ns; adds the delay sample to hist when the trailer is
 * there. Returns LOAD_RX_* flags. */
unsigned load_rx_stream_on_packet(LoadRxStream *s, const HnRtpHeader *h, const uint8_t *payload,
                                  size_t len, int64_t now_ns, LoadHist *hist);

/* Packets expected from the sequence numbers seen (0 before the first packet). */
uint64_t load_rx_stream_expected(const LoadRxStream *s);
/* expected - received, never negative. */
uint64_t load_rx_stream_lost(const LoadRxStream *s);
/* Highest extended sequence number seen (cycles << 16 | seq). */
uint32_t load_rx_stream_ext_max(const LoadRxStream *s);

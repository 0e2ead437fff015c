/* Downlink bandwidth estimator of one subscriber transport, fed by transport-cc feedback
 * (core/twcc.h). Sans-IO: every entry takes `now` (monotonic microseconds), no allocation after
 * init, no clock reads. Router thread only (one per transport).
 *
 * The router stamps each packet it sends on the transport with hn_bwe_on_send()'s sequence
 * number; the subscriber's feedback reports each one's arrival time or loss; hn_bwe_on_feedback()
 * matches them with the send history and updates two estimates, the lower of which is the result:
 * - delay-based (after Google Congestion Control): packets are grouped by send time (5 ms
 *   bursts); for consecutive groups the one-way delay variation (arrival delta - send delta) is
 *   accumulated, smoothed, and the slope of the last 20 points (least squares over arrival time)
 *   compared with an adaptive threshold. Overuse (a queue building up) cuts the rate to 0.85 x the
 *   rate the subscriber actually received; normal use increases it multiplicatively (25 %/s
 *   before the first cut, 8 %/s after, additive about 1 packet per 200 ms near the last cut
 *   rate); underuse holds.
 * - loss-based: over at least 20 reported packets, loss above 10 % cuts the rate by half the loss
 *   fraction (at most once per 300 ms); below 2 % it increases by 8 %/s; in between it holds.
 * Growth beyond what the link has shown is bounded: the estimate stays under
 * headroom x the received rate + 200 kbit/s once a received rate is known (no padding probes:
 * a subscriber receiving little lets its estimate rise only gradually, as what it receives rises).
 * The result is clamped to [min_bps, max_bps] and starts at start_bps. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/twcc.h"

#define HN_BWE_HISTORY 2048 /* sent packets remembered (a power of two) */

typedef struct {
    uint64_t start_bps, min_bps, max_bps;
    double headroom; /* growth bound: headroom x received rate + 200 kbit/s; 0: 2.5 */
} HnBweConfig;

#define HN_BWE_CONFIG_DEFAULT                                                                      \
    ((HnBweConfig){.start_bps = 800000, .min_bps = 50000, .max_bps = 20000000, .headroom = 2.5})

typedef enum {
    HN_BWE_NORMAL = 0,
    HN_BWE_OVERUSE,
    HN_BWE_UNDERUSE,
} HnBweUsage;

typedef struct {
    uint64_t feedback;        /* feedbacks applied */
    uint64_t packets_acked;   /* reported received and found in the history */
    uint64_t packets_lost;    /* reported lost */
    uint64_t packets_unknown; /* reported about a seq not in the history (too old, never sent) */
    uint64_t overuse, decreases_delay, decreases_loss;
} HnBweStats;

typedef struct {
    int64_t sent_us;
    uint32_t size;
    uint16_t seq;
    bool valid;
} HnBweSent;

typedef struct {
    HnBweConfig cfg;
    HnBweSent sent[HN_BWE_HISTORY];
    uint16_t next_seq;
    double delay_bps, loss_bps;
    uint64_t estimate_bps;
    /* send-time groups */
    bool in_group, have_prev;
    int64_t g_first_send, g_last_send, g_last_arrival;
    int64_t p_last_send, p_last_arrival;
    /* trendline */
    double acc_ms, smoothed_ms;
    double tx[20], ty[20];
    unsigned tn, tpos, n_deltas;
    int64_t first_arrival_us;
    double threshold_ms, prev_trend;
    int64_t last_threshold_us;
    double over_ms; /* time spent over the threshold, -1: not over */
    unsigned over_count;
    HnBweUsage usage;
    /* rate control */
    bool decreased_once;
    int64_t last_update_us, last_decrease_us, last_loss_decrease_us;
    double last_decrease_bps;
    /* received rate */
    int64_t win_start_us;
    uint64_t win_bytes;
    double acked_bps; /* 0: unknown */
    /* loss */
    unsigned loss_lost, loss_total;
    double last_loss;
    HnBweStats stats;
} HnBwe;

/* Initialises b (caller-owned; about 40 KB) with cfg (NULL: HN_BWE_CONFIG_DEFAULT). */
void hn_bwe_init(HnBwe *b, const HnBweConfig *cfg);
/* Records a packet of size bytes sent at now_us; returns the transport-wide sequence number it
 * must carry. */
uint16_t hn_bwe_on_send(HnBwe *b, size_t size, int64_t now_us);
/* Applies one parsed feedback received at now_us and updates the estimate. */
void hn_bwe_on_feedback(HnBwe *b, const HnTwccFeedback *fb, int64_t now_us);
/* The current estimate, bits/s. */
uint64_t hn_bwe_estimate(const HnBwe *b);
/* Loss fraction of the last complete loss window (0..1). */
double hn_bwe_loss(const HnBwe *b);

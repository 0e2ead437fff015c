/* Receive statistics. See recv_stats.h for the contracts. */
#include "core/recv_stats.h"

#include <string.h>

#define MAX_DROPOUT  3000
#define MAX_MISORDER 100
#define SEQ_MOD      65536

int64_t hn_us_to_rtp(int64_t us, uint32_t clock_rate)
{
    int64_t sec = us / 1000000, rem = us % 1000000;
    return sec * clock_rate + rem * (int64_t)clock_rate / 1000000;
}

void hn_recv_stats_init(HnRecvStats *s, uint32_t clock_rate)
{
    memset(s, 0, sizeof(*s));
    s->clock_rate = clock_rate ? clock_rate : 90000;
    s->bad_seq = -1;
}

static void restart_seq(HnRecvStats *s, uint16_t seq)
{
    s->base_seq = seq;
    s->max_seq = seq;
    s->bad_seq = -1;
    s->received = 0;
    s->expected_prior = 0;
    s->received_prior = 0;
}

/* Returns false when the packet is ignored for loss accounting (unconfirmed big jump). */
static bool update_seq(HnRecvStats *s, uint16_t seq)
{
    uint16_t udelta = (uint16_t)(seq - (uint16_t)s->max_seq);
    if (udelta < MAX_DROPOUT) {
        s->max_seq += udelta; /* in order, possibly with a gap; 0 = duplicate */
    } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
        if (s->bad_seq >= 0 && seq == (uint16_t)s->bad_seq) {
            restart_seq(s, seq); /* two sequential packets: the sender restarted */
        } else {
            s->bad_seq = (int32_t)(uint16_t)(seq + 1);
            return false;
        }
    }
    /* else: reordered packet from the recent past, the highest seq does not move */
    s->received++;
    return true;
}

static void update_jitter(HnRecvStats *s, uint32_t ts, int64_t now_us)
{
    uint32_t arrival = (uint32_t)hn_us_to_rtp(now_us, s->clock_rate);
    uint32_t transit = arrival - ts;
    if (s->have_transit) {
        int64_t d = (int32_t)(transit - s->last_transit);
        if (d < 0)
            d = -d;
        s->jitter_q4 += d - ((s->jitter_q4 + 8) >> 4);
    }
    s->last_transit = transit;
    s->have_transit = true;
}

void hn_recv_stats_update(HnRecvStats *s, uint16_t seq, uint32_t ts, size_t len, int64_t now_us)
{
    s->packets++;
    s->bytes += len;
    s->last_packet_us = now_us;
    if (!s->initialized) {
        s->initialized = true;
        restart_seq(s, seq);
        s->received = 1;
        update_jitter(s, ts, now_us);
        return;
    }
    if (update_seq(s, seq))
        update_jitter(s, ts, now_us);
}

int64_t hn_recv_stats_lost(const HnRecvStats *s)
{
    if (!s->initialized)
        return 0;
    int64_t expected = s->max_seq - s->base_seq + 1;
    return expected - (int64_t)s->received;
}

uint32_t hn_recv_stats_jitter(const HnRecvStats *s)
{
    int64_t j = s->jitter_q4 >> 4;
    return j > UINT32_MAX ? UINT32_MAX : (uint32_t)j;
}

uint32_t hn_recv_stats_ext_highest(const HnRecvStats *s)
{
    return (uint32_t)s->max_seq;
}

void hn_recv_stats_report(HnRecvStats *s, uint32_t ssrc, HnRtcpReportBlock *out)
{
    memset(out, 0, sizeof(*out));
    out->ssrc = ssrc;
    if (!s->initialized)
        return;
    int64_t expected = s->max_seq - s->base_seq + 1;
    int64_t exp_int = expected - (int64_t)s->expected_prior;
    int64_t rec_int = (int64_t)s->received - (int64_t)s->received_prior;
    int64_t lost_int = exp_int - rec_int;
    s->expected_prior = (uint64_t)expected;
    s->received_prior = s->received;
    if (exp_int > 0 && lost_int > 0) {
        int64_t f = (lost_int << 8) / exp_int;
        out->fraction_lost = (uint8_t)(f > 255 ? 255 : f);
    }
    int64_t lost = hn_recv_stats_lost(s);
    out->cumulative_lost = lost > 0x7fffff    ? 0x7fffff
                           : lost < -0x800000 ? -0x800000
                                              : (int32_t)lost;
    out->ext_highest_seq = hn_recv_stats_ext_highest(s);
    out->jitter = hn_recv_stats_jitter(s);
}

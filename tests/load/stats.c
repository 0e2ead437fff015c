#include "stats.h"

#include <string.h>

#define HIST_LINEAR 32 /* values below are exact */
#define HIST_SUB    16 /* buckets per power of two above */

void load_trailer_write(uint8_t *p, int64_t send_ns)
{
    hn_wr32(p, LOAD_TRAILER_MAGIC);
    uint64_t v = (uint64_t)send_ns;
    hn_wr32(p + 4, (uint32_t)(v >> 32));
    hn_wr32(p + 8, (uint32_t)v);
}

bool load_trailer_read(const uint8_t *payload, size_t len, int64_t *send_ns)
{
    if (len < LOAD_TRAILER_LEN)
        return false;
    const uint8_t *p = payload + len - LOAD_TRAILER_LEN;
    if (hn_rd32(p) != LOAD_TRAILER_MAGIC)
        return false;
    *send_ns = (int64_t)(((uint64_t)hn_rd32(p + 4) << 32) | hn_rd32(p + 8));
    return true;
}

static unsigned hist_index(uint64_t v)
{
    if (v < HIST_LINEAR)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned e = msb - 4; /* v >> e is in 16..31 */
    unsigned idx = HIST_LINEAR + (e - 1) * HIST_SUB + (unsigned)((v >> e) - HIST_SUB);
    return idx < LOAD_HIST_BUCKETS ? idx : LOAD_HIST_BUCKETS - 1;
}

/* Lowest value and width of bucket idx. */
static void hist_bucket(unsigned idx, uint64_t *low, uint64_t *width)
{
    if (idx < HIST_LINEAR) {
        *low = idx;
        *width = 1;
        return;
    }
    unsigned e = (idx - HIST_LINEAR) / HIST_SUB + 1;
    uint64_t m = (idx - HIST_LINEAR) % HIST_SUB + HIST_SUB;
    *low = m << e;
    *width = (uint64_t)1 << e;
}

void load_hist_add(LoadHist *h, uint64_t v)
{
    h->b[hist_index(v)]++;
    h->n++;
    if (v > h->max)
        h->max = v;
}

void load_hist_merge(LoadHist *dst, const LoadHist *src)
{
    for (unsigned i = 0; i < LOAD_HIST_BUCKETS; i++)
        dst->b[i] += src->b[i];
    dst->n += src->n;
    if (src->max > dst->max)
        dst->max = src->max;
}

void load_hist_diff(LoadHist *out, const LoadHist *now, const LoadHist *before)
{
    out->n = 0;
    out->max = 0;
    for (unsigned i = 0; i < LOAD_HIST_BUCKETS; i++) {
        uint32_t a = now->b[i], b = before ? before->b[i] : 0;
        out->b[i] = a >= b ? a - b : 0;
        out->n += out->b[i];
        if (out->b[i]) {
            uint64_t low, width;
            hist_bucket(i, &low, &width);
            out->max = low + width - 1;
        }
    }
    if (out->max > now->max)
        out->max = now->max;
}

uint64_t load_hist_quantile(const LoadHist *h, double q)
{
    if (h->n == 0)
        return 0;
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    uint64_t rank = (uint64_t)(q * (double)(h->n - 1)) + 1; /* 1-based */
    uint64_t seen = 0;
    for (unsigned i = 0; i < LOAD_HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t low, width;
            hist_bucket(i, &low, &width);
            uint64_t mid = low + width / 2;
            return h->max && mid > h->max ? h->max : mid;
        }
    }
    return h->max;
}

uint32_t load_rx_stream_ext_max(const LoadRxStream *s)
{
    return s->cycles + s->max_seq;
}

uint64_t load_rx_stream_expected(const LoadRxStream *s)
{
    if (!s->started)
        return 0;
    return (uint64_t)load_rx_stream_ext_max(s) - s->base_seq + 1;
}

uint64_t load_rx_stream_lost(const LoadRxStream *s)
{
    uint64_t e = load_rx_stream_expected(s);
    return e > s->packets ? e - s->packets : 0;
}

/* Updates the sequence state; returns the packet's extended sequence number. */
static uint64_t track_seq(LoadRxStream *s, uint16_t seq)
{
    if (!s->started) {
        s->started = true;
        s->base_seq = seq;
        s->max_seq = seq;
        s->cycles = 0;
        return seq;
    }
    uint16_t delta = (uint16_t)(seq - s->max_seq);
    if (delta != 0 && delta < 0x8000) {
        if (seq < s->max_seq)
            s->cycles += 65536;
        s->max_seq = seq;
        return (uint64_t)s->cycles + seq;
    }
    s->reordered++;
    /* An old packet: its extended number is in this cycle or the previous one. */
    uint64_t ext = (uint64_t)s->cycles + seq;
    if (seq > s->max_seq && s->cycles >= 65536)
        ext -= 65536;
    return ext;
}

static void track_jitter(LoadRxStream *s, uint32_t ts, int64_t now_ns)
{
    uint32_t arrival = (uint32_t)(((__int128)now_ns * s->clock_rate) / 1000000000);
    uint32_t transit = arrival - ts;
    if (s->have_transit) {
        int32_t d = (int32_t)(transit - s->last_transit);
        double ad = d < 0 ? -(double)d : (double)d;
        s->jitter += (ad - s->jitter) / 16.0;
    }
    s->last_transit = transit;
    s->have_transit = true;
}

/* First complete key frame: a key frame start, then contiguous packets of the same timestamp
 * up to the marker bit. */
static unsigned track_keyframe(LoadRxStream *s, const HnRtpHeader *h, uint64_t ext,
                               const uint8_t *payload, size_t len, int64_t now_ns)
{
    if (s->kind != HN_KIND_VIDEO || s->keyframe_ns)
        return 0;
    if (hn_codec_is_keyframe(s->codec, payload, len)) {
        s->kf_open = true;
        s->kf_ts = h->ts;
        s->kf_next = ext + 1;
    } else if (s->kf_open && h->ts == s->kf_ts && ext == s->kf_next) {
        s->kf_next++;
    } else {
        s->kf_open = false;
        return LOAD_RX_WANT_KEYFRAME;
    }
    if (h->marker) {
        s->kf_open = false;
        s->keyframe_ns = now_ns;
        return LOAD_RX_KEYFRAME_DONE;
    }
    return 0;
}

unsigned load_rx_stream_on_packet(LoadRxStream *s, const HnRtpHeader *h, const uint8_t *payload,
                                  size_t len, int64_t now_ns, LoadHist *hist)
{
    uint64_t ext = track_seq(s, h->seq);
    s->packets++;
    s->bytes += len;
    if (!s->first_rx_ns)
        s->first_rx_ns = now_ns;
    s->last_rx_ns = now_ns;
    if (s->clock_rate)
        track_jitter(s, h->ts, now_ns);
    int64_t sent;
    size_t media_len = len;
    if (load_trailer_read(payload, len, &sent)) {
        media_len -= LOAD_TRAILER_LEN;
        uint64_t us = now_ns > sent ? (uint64_t)(now_ns - sent) / 1000 : 0;
        s->delay_n++;
        s->delay_sum_us += us;
        if (us > s->delay_max_us)
            s->delay_max_us = us;
        if (hist)
            load_hist_add(hist, us);
    } else {
        s->no_trailer++;
    }
    return track_keyframe(s, h, ext, payload, media_len, now_ns);
}

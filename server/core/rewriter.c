/* Sequence number and timestamp rewriting. See rewriter.h for the contracts. */
#include "core/rewriter.h"
#include "core/recv_stats.h"

#include <errno.h>
#include <string.h>

void hn_rewriter_init(HnRewriter *rw, uint32_t clock_rate)
{
    memset(rw, 0, sizeof(*rw));
    rw->clock_rate = clock_rate ? clock_rate : 90000;
}

void hn_rewriter_mark_switch(HnRewriter *rw)
{
    if (rw->started)
        rw->switch_pending = true;
}

static bool is_previous(const HnRewriter *rw, uint32_t in_ssrc)
{
    return rw->has_prev && in_ssrc == rw->prev_ssrc && in_ssrc != rw->ssrc;
}

bool hn_rewriter_needs_sync(const HnRewriter *rw, uint32_t in_ssrc)
{
    if (!rw->started || rw->switch_pending)
        return true;
    return in_ssrc != rw->ssrc && !is_previous(rw, in_ssrc);
}

/* Extends a 16-bit value to the 64-bit counter nearest to ref. */
static int64_t extend16(int64_t ref, uint16_t v)
{
    return ref + (int16_t)(uint16_t)(v - (uint16_t)ref);
}

static int64_t extend32(int64_t ref, uint32_t v)
{
    return ref + (int32_t)(uint32_t)(v - (uint32_t)ref);
}

/* Starts a new source at this packet, continuing the output after what was already sent. */
static void start_source(HnRewriter *rw, uint32_t ssrc, uint16_t seq, uint32_t ts, int64_t now)
{
    int64_t out_seq = seq, out_ts = ts;
    if (rw->started) {
        int64_t step = hn_us_to_rtp(now - rw->last_out_us, rw->clock_rate);
        out_seq = rw->last_out_seq + 1;
        out_ts = rw->last_out_ts + (step < 1 ? 1 : step);
        if (ssrc != rw->ssrc) {
            rw->has_prev = true;
            rw->prev_ssrc = rw->ssrc;
        }
    }
    rw->ssrc = ssrc;
    rw->in_max_seq = seq;
    rw->in_max_ts = ts;
    rw->seq_off = out_seq - seq;
    rw->ts_off = out_ts - ts;
    rw->src_first_out_seq = out_seq;
    rw->switch_pending = false;
    if (!rw->started) {
        rw->last_out_seq = out_seq;
        rw->last_out_ts = out_ts;
    }
    rw->started = true;
}

int hn_rewriter_rewrite(HnRewriter *rw, uint32_t in_ssrc, uint16_t in_seq, uint32_t in_ts,
                        int64_t now_us, uint16_t *out_seq, uint32_t *out_ts)
{
    if (hn_rewriter_needs_sync(rw, in_ssrc))
        start_source(rw, in_ssrc, in_seq, in_ts, now_us);
    else if (in_ssrc != rw->ssrc)
        return -ESTALE; /* a late packet of the previous source */

    int64_t ext_seq = extend16(rw->in_max_seq, in_seq);
    int64_t o_seq = ext_seq + rw->seq_off;
    if (o_seq < rw->src_first_out_seq)
        return -ESTALE;
    int64_t ext_ts = extend32(rw->in_max_ts, in_ts);
    int64_t o_ts = ext_ts + rw->ts_off;

    if (ext_seq > rw->in_max_seq)
        rw->in_max_seq = ext_seq;
    if (ext_ts > rw->in_max_ts)
        rw->in_max_ts = ext_ts;
    if (o_seq > rw->last_out_seq)
        rw->last_out_seq = o_seq;
    if (o_ts > rw->last_out_ts)
        rw->last_out_ts = o_ts;
    rw->last_out_us = now_us;
    *out_seq = (uint16_t)o_seq;
    *out_ts = (uint32_t)o_ts;
    return 0;
}

int hn_rewriter_out_to_in_seq(const HnRewriter *rw, uint16_t out_seq, uint16_t *in_seq)
{
    if (!rw->started)
        return -ENOENT;
    int64_t ext = extend16(rw->last_out_seq, out_seq);
    if (ext < rw->src_first_out_seq || ext > rw->last_out_seq)
        return -ENOENT;
    *in_seq = (uint16_t)(ext - rw->seq_off);
    return 0;
}

uint32_t hn_rewriter_map_ts(const HnRewriter *rw, uint32_t in_ts)
{
    return (uint32_t)((int64_t)in_ts + rw->ts_off);
}

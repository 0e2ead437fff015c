/* Sequence number and timestamp rewriter of one outgoing stream (a consumer).
 *
 * Maps input (ssrc, seq, ts) to one continuous output (seq, ts) while the input source changes
 * underneath: a new input SSRC, or an explicit switch (producer re-bound after the publisher
 * reconnected, consumer resumed). The first packet of a new source continues the output at
 * last_out_seq + 1 and last_out_ts + max(1, elapsed * clock_rate); later packets of that source
 * keep their input spacing and order. Packets older than the first packet of the current source
 * are refused, and so are packets from the SSRC of the previous source unless a switch has been
 * marked since (an explicit switch may go back to an earlier SSRC). Counters are extended to 64
 * bits, so 16-bit seq and 32-bit ts wrap-around is transparent. The first source ever seen is
 * mapped with zero offsets. A plain value type embedded in its owner; no allocation. Router thread
 * only. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint32_t clock_rate;
    bool started;        /* a packet has been output */
    bool switch_pending; /* the next accepted packet starts a new source */
    uint32_t ssrc;       /* input SSRC of the current source */
    bool has_prev;
    uint32_t prev_ssrc;        /* input SSRC of the source before it */
    int64_t in_max_seq;        /* extended highest input seq of the current source */
    int64_t in_max_ts;         /* extended highest input ts of the current source */
    int64_t seq_off;           /* out_ext_seq = in_ext_seq + seq_off */
    int64_t ts_off;            /* out_ext_ts = in_ext_ts + ts_off */
    int64_t src_first_out_seq; /* output seq of the first packet of the current source */
    int64_t last_out_seq;      /* extended highest output seq */
    int64_t last_out_ts;       /* extended highest output ts */
    int64_t last_out_us;       /* when the last packet was output */
} HnRewriter;

/* Resets rw for an output clock rate in Hz (> 0). */
void hn_rewriter_init(HnRewriter *rw, uint32_t clock_rate);
/* The next packet starts a new source even if its SSRC is unchanged. */
void hn_rewriter_mark_switch(HnRewriter *rw);
/* True when a packet of in_ssrc would start a new source (never started, switch pending, or an
 * SSRC that is neither the current nor the previous one): video consumers only accept a key frame
 * then. */
bool hn_rewriter_needs_sync(const HnRewriter *rw, uint32_t in_ssrc);
/* Rewrites one packet received at now_us. Returns 0 with out_seq and out_ts set, or -ESTALE for a
 * packet older than the start of the current source or from the previous source (drop it). */
int hn_rewriter_rewrite(HnRewriter *rw, uint32_t in_ssrc, uint16_t in_seq, uint32_t in_ts,
                        int64_t now_us, uint16_t *out_seq, uint32_t *out_ts);
/* Reverse map for NACKs: the input seq of output seq out_seq of the current source. Returns 0,
 * or -ENOENT when out_seq was not produced by the current source (or not at all yet). */
int hn_rewriter_out_to_in_seq(const HnRewriter *rw, uint16_t out_seq, uint16_t *in_seq);
/* Translates an input timestamp of the current source to the output timeline (for SR). */
uint32_t hn_rewriter_map_ts(const HnRewriter *rw, uint32_t in_ts);

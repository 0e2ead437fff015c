/* NACK generator of one incoming video stream (a producer): from the sequence numbers that arrive,
 * the list of missing packets to ask the publisher for again (RFC 4585 generic NACK).
 *
 * Why: a packet lost on a publisher's uplink is lost for every viewer; the router's cache never
 * got it, so without asking the publisher again each viewer's frame breaks, each asks for a key
 * frame, and at 2 % loss the picture was frozen three quarters of the time (issue 8).
 *
 * Behaviour: sequence numbers are extended to 64 bits (16-bit wrap is transparent). A gap adds
 * each missing seq to a sorted list. A missing seq is first asked for once it is reorder_us old or
 * reorder_packets newer packets have arrived after it (reordering by a packet or two is common and
 * must not cost a NACK), then again every max(min_retry_us, 1.5 x RTT), at most max_retries
 * times. The RTT is the one given by hn_nack_gen_set_rtt() when known, else estimated from the
 * time between a seq's first NACK and its arrival, else default_rtt_us. Such a sample is never
 * shorter than the RTT (it is longer when an earlier try was lost), so the estimate drops at once
 * to a shorter sample and moves only 1/8 of the way towards a longer one.
 * A seq is given up
 * when it is due again after its last try, or older than max_age_us. The list holds at most
 * HN_NACK_GEN_MAX entries: when full, entries older than the newest key frame go first, then the
 * oldest (given up). A jump of more than HN_NACK_GEN_RESYNC forward is a sender restart: the list
 * is cleared without counting. The generator does no I/O: the owner sends what
 * hn_nack_gen_on_timeout() returns at the time hn_nack_gen_next_deadline() names (RTCP in, the
 * other verb of STYLE.md's modules, reaches it as hn_nack_gen_set_rtt()).
 *
 * A plain value type embedded in (or allocated by) its owner; no allocation. Router thread only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HN_NACK_GEN_MAX    256  /* missing seqs tracked at once */
#define HN_NACK_GEN_RESYNC 3000 /* a forward jump larger than this restarts the stream */

typedef struct {
    int64_t reorder_us;       /* first NACK of a gap this long after it was seen ... */
    unsigned reorder_packets; /* ... or once this many newer packets arrived */
    int64_t default_rtt_us;   /* RTT used until hn_nack_gen_set_rtt() */
    int64_t min_retry_us;     /* shortest gap between two NACKs of one seq */
    unsigned max_retries;     /* NACKs per seq before giving up */
    int64_t max_age_us;       /* a seq missing for longer is given up */
} HnNackGenConfig;

/* Defaults: reorder 10 ms or 5 packets, RTT 100 ms, retry >= 10 ms, 10 tries, 1 s. */
#define HN_NACK_GEN_DEFAULTS                                                                       \
    ((HnNackGenConfig){.reorder_us = 10000,                                                        \
                       .reorder_packets = 5,                                                       \
                       .default_rtt_us = 100000,                                                   \
                       .min_retry_us = 10000,                                                      \
                       .max_retries = 10,                                                          \
                       .max_age_us = 1000000})

typedef struct {
    int64_t seq;         /* extended */
    int64_t detected_us; /* when the gap was seen */
    int64_t next_us;     /* when to NACK it next */
    int64_t first_us;    /* when it was first NACKed */
    unsigned tries;      /* NACKs sent for it */
} HnNackEntry;

typedef struct {
    uint64_t nack_sent;  /* seqs asked for (each retry counts) */
    uint64_t recovered;  /* a NACKed seq arrived */
    uint64_t reordered;  /* a missing seq arrived before it was NACKed */
    uint64_t given_up;   /* missing seqs abandoned (tries, age, list bound) */
    uint64_t duplicates; /* old seqs that were not missing (already received, or given up) */
} HnNackGenStats;

typedef struct {
    HnNackGenConfig cfg;
    bool started;
    int64_t max_seq;      /* extended highest seq */
    bool have_keyframe;   /* keyframe_seq is valid */
    int64_t keyframe_seq; /* extended seq of the newest key frame start */
    int64_t rtt_us;       /* from hn_nack_gen_set_rtt(), < 0: unknown */
    int64_t est_rtt_us;   /* from NACK -> retransmission round trips, < 0: none yet */
    unsigned n;
    HnNackEntry list[HN_NACK_GEN_MAX]; /* sorted by seq */
    HnNackGenStats stats;
} HnNackGen;

typedef enum {
    HN_NACK_GEN_NEW = 0,   /* a seq newer than all before it (or the first) */
    HN_NACK_GEN_REORDERED, /* a missing seq, before any NACK for it */
    HN_NACK_GEN_RECOVERED, /* a missing seq that had been NACKed */
    HN_NACK_GEN_DUPLICATE, /* an old seq that was not missing */
} HnNackGenResult;

/* Resets g with cfg (copied; NULL: HN_NACK_GEN_DEFAULTS). Counters start at zero. */
void hn_nack_gen_init(HnNackGen *g, const HnNackGenConfig *cfg);
/* Forgets the stream (the publisher reconnected): list cleared without counting, counters and
 * RTT kept. */
void hn_nack_gen_reset(HnNackGen *g);
/* Accounts one packet with seq received at now_us; keyframe: it starts a key frame. */
HnNackGenResult hn_nack_gen_on_rtp(HnNackGen *g, uint16_t seq, bool keyframe, int64_t now_us);
/* The round trip time to the publisher (< 0: unknown, use the default). */
void hn_nack_gen_set_rtt(HnNackGen *g, int64_t rtt_us);
/* Absolute time of the next NACK due, INT64_MAX when nothing is missing. */
int64_t hn_nack_gen_next_deadline(const HnNackGen *g);
/* Gives up what is too old or tried too often, and writes into out (up to cap) the seqs to NACK
 * now, oldest first; returns how many. Seqs that do not fit stay due. out: transfer none. */
size_t hn_nack_gen_on_timeout(HnNackGen *g, int64_t now_us, uint16_t *out, size_t cap);
/* Number of seqs currently missing. */
unsigned hn_nack_gen_missing(const HnNackGen *g);

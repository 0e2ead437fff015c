/* NACK generator. See nack_gen.h for the contract. */
#include "core/nack_gen.h"

#include <string.h>

void hn_nack_gen_init(HnNackGen *g, const HnNackGenConfig *cfg)
{
    memset(g, 0, sizeof(*g));
    g->cfg = cfg ? *cfg : HN_NACK_GEN_DEFAULTS;
    g->rtt_us = -1;
    g->est_rtt_us = -1;
}

void hn_nack_gen_reset(HnNackGen *g)
{
    g->started = false;
    g->have_keyframe = false;
    g->n = 0;
}

void hn_nack_gen_set_rtt(HnNackGen *g, int64_t rtt_us)
{
    g->rtt_us = rtt_us;
}

static int64_t extend16(int64_t ref, uint16_t v)
{
    return ref + (int16_t)(uint16_t)(v - (uint16_t)ref);
}

static int64_t retry_interval(const HnNackGen *g)
{
    int64_t rtt = g->rtt_us >= 0       ? g->rtt_us
                  : g->est_rtt_us >= 0 ? g->est_rtt_us
                                       : g->cfg.default_rtt_us;
    int64_t iv = rtt + rtt / 2;
    return iv < g->cfg.min_retry_us ? g->cfg.min_retry_us : iv;
}

static void remove_at(HnNackGen *g, unsigned i)
{
    memmove(&g->list[i], &g->list[i + 1], (g->n - i - 1) * sizeof(g->list[0]));
    g->n--;
}

/* Index of seq in the list, or -1. */
static int find(const HnNackGen *g, int64_t seq)
{
    unsigned lo = 0, hi = g->n;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (g->list[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < g->n && g->list[lo].seq == seq ? (int)lo : -1;
}

/* Makes room for one entry: entries older than the newest key frame first, else the oldest. */
static void make_room(HnNackGen *g)
{
    if (g->n < HN_NACK_GEN_MAX)
        return;
    unsigned drop = 0;
    if (g->have_keyframe)
        while (drop < g->n && g->list[drop].seq < g->keyframe_seq)
            drop++;
    if (drop == 0)
        drop = 1;
    memmove(&g->list[0], &g->list[drop], (g->n - drop) * sizeof(g->list[0]));
    g->n -= drop;
    g->stats.given_up += drop;
}

static void add_gap(HnNackGen *g, int64_t from, int64_t to, int64_t now)
{
    /* only the newest HN_NACK_GEN_MAX can be tracked: the rest is given up at once */
    if (to - from > HN_NACK_GEN_MAX) {
        g->stats.given_up += (uint64_t)(to - from - HN_NACK_GEN_MAX);
        from = to - HN_NACK_GEN_MAX;
    }
    for (int64_t s = from; s < to; s++) {
        make_room(g);
        g->list[g->n++] = (HnNackEntry){
            .seq = s, .detected_us = now, .next_us = now + g->cfg.reorder_us, .tries = 0};
    }
}

/* Gaps that reorder_packets newer packets have passed are due now. */
static void pull_forward(HnNackGen *g, int64_t now)
{
    for (unsigned i = 0; i < g->n && g->list[i].seq + g->cfg.reorder_packets <= g->max_seq; i++)
        if (g->list[i].tries == 0 && g->list[i].next_us > now)
            g->list[i].next_us = now;
}

HnNackGenResult hn_nack_gen_on_rtp(HnNackGen *g, uint16_t seq, bool keyframe, int64_t now_us)
{
    if (!g->started) {
        g->started = true;
        g->max_seq = seq;
        if (keyframe) {
            g->have_keyframe = true;
            g->keyframe_seq = seq;
        }
        return HN_NACK_GEN_NEW;
    }
    int64_t ext = extend16(g->max_seq, seq);
    HnNackGenResult res;
    if (ext > g->max_seq + HN_NACK_GEN_RESYNC) { /* the sender restarted */
        g->n = 0;
        g->have_keyframe = false;
        g->max_seq = ext;
        res = HN_NACK_GEN_NEW;
    } else if (ext > g->max_seq) {
        add_gap(g, g->max_seq + 1, ext, now_us);
        g->max_seq = ext;
        pull_forward(g, now_us);
        res = HN_NACK_GEN_NEW;
    } else {
        int i = find(g, ext);
        if (i < 0) {
            g->stats.duplicates++;
            return HN_NACK_GEN_DUPLICATE;
        }
        res = g->list[i].tries ? HN_NACK_GEN_RECOVERED : HN_NACK_GEN_REORDERED;
        if (res == HN_NACK_GEN_RECOVERED) {
            g->stats.recovered++;
            int64_t sample = now_us - g->list[i].first_us;
            if (g->est_rtt_us < 0 || sample < g->est_rtt_us)
                g->est_rtt_us = sample;
            else
                g->est_rtt_us += (sample - g->est_rtt_us) / 8;
        } else
            g->stats.reordered++;
        remove_at(g, (unsigned)i);
    }
    if (keyframe && (!g->have_keyframe || ext > g->keyframe_seq)) {
        g->have_keyframe = true;
        g->keyframe_seq = ext;
    }
    return res;
}

int64_t hn_nack_gen_next_deadline(const HnNackGen *g)
{
    int64_t next = INT64_MAX;
    for (unsigned i = 0; i < g->n; i++)
        if (g->list[i].next_us < next)
            next = g->list[i].next_us;
    return next;
}

size_t hn_nack_gen_on_timeout(HnNackGen *g, int64_t now_us, uint16_t *out, size_t cap)
{
    size_t n = 0;
    int64_t retry = retry_interval(g);
    for (unsigned i = 0; i < g->n;) {
        HnNackEntry *e = &g->list[i];
        if (e->next_us > now_us) {
            i++;
            continue;
        }
        if (e->tries >= g->cfg.max_retries || now_us - e->detected_us >= g->cfg.max_age_us) {
            g->stats.given_up++;
            remove_at(g, i);
            continue;
        }
        if (n == cap) {
            i++;
            continue;
        }
        out[n++] = (uint16_t)e->seq;
        if (e->tries++ == 0)
            e->first_us = now_us;
        e->next_us = now_us + retry;
        g->stats.nack_sent++;
        i++;
    }
    return n;
}

unsigned hn_nack_gen_missing(const HnNackGen *g)
{
    return g->n;
}

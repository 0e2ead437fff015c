/* Router glue for transport-wide congestion control (see router.h, "Bandwidth estimation"):
 * - towards subscribers: each packet sent on a transport with transport-cc carries the router's
 *   own transport-wide sequence number (stamped in rt_write_for_consumer()), its send time and
 *   size go to the transport's estimator (core/bwe.h), and the subscriber's feedback updates the
 *   transport's estimate (HN_ESTIMATE_TWCC); without transport-cc a subscriber's REMB sets it
 *   (HN_ESTIMATE_REMB);
 * - towards publishers: the arrival times of the publisher's transport-wide sequence numbers are
 *   kept and sent back as transport-cc feedback every HN_ROUTER_TWCC_FEEDBACK_US, so the
 *   browser's own uplink estimator works through the SFU.
 * Router thread only. */
#include "core/router_priv.h"
#include "core/twcc.h"

#include <errno.h>
#include <string.h>

#define IN_RING 1024 /* publisher packets remembered between two feedbacks */

struct RtTwccIn {
    bool started;
    uint16_t last_seq;
    uint16_t seq_offset; /* wire seq = ext + seq_offset */
    int64_t last_ext;    /* unwrapped last_seq */
    int64_t base_ext;    /* first seq not yet reported */
    int64_t max_ext;     /* highest seq received */
    uint8_t fb_count;
    int64_t arrival[IN_RING];
};

static RtTransport *find_transport(const HnRouter *r, uint32_t id)
{
    return g_hash_table_lookup(r->transports, GUINT_TO_POINTER(id));
}

int hn_router_set_transport_cc(HnRouter *r, uint32_t transport_id, uint8_t ext_id,
                               const HnBweConfig *cfg)
{
    RtTransport *t = find_transport(r, transport_id);
    if (!t)
        return -ENOENT;
    if (ext_id > 14)
        return -EINVAL;
    if (ext_id == 0) {
        g_clear_pointer(&t->bwe, g_free);
        t->twcc_ext_id = 0;
        return 0;
    }
    if (!t->bwe) {
        t->bwe = g_new(HnBwe, 1);
        hn_bwe_init(t->bwe, cfg); /* the estimate is set by the first feedback */
    }
    t->twcc_ext_id = ext_id;
    return 0;
}

int hn_router_set_transport_cc_feedback(HnRouter *r, uint32_t transport_id, uint8_t ext_id)
{
    RtTransport *t = find_transport(r, transport_id);
    if (!t)
        return -ENOENT;
    if (ext_id > 14)
        return -EINVAL;
    t->twcc_in_ext_id = ext_id;
    if (ext_id == 0) {
        g_clear_pointer(&t->twcc_in, g_free);
        return 0;
    }
    if (!t->twcc_in)
        t->twcc_in = g_new0(RtTwccIn, 1);
    if (r->twcc_fb_due == INT64_MAX || r->twcc_fb_due == 0)
        r->twcc_fb_due = r->last_now_us + HN_ROUTER_TWCC_FEEDBACK_US;
    return 0;
}

int hn_router_get_transport_bwe(const HnRouter *r, uint32_t transport_id, HnTransportBwe *out)
{
    const RtTransport *t = find_transport(r, transport_id);
    if (!t)
        return -ENOENT;
    memset(out, 0, sizeof *out);
    out->estimate_bps = t->estimate_bps;
    out->source = (HnEstimateSource)t->estimate_source;
    out->transport_cc = t->bwe != NULL;
    if (t->bwe) {
        out->stats = t->bwe->stats;
        out->loss = hn_bwe_loss(t->bwe);
        out->delay_bps = (uint64_t)t->bwe->delay_bps;
        out->loss_bps = (uint64_t)t->bwe->loss_bps;
    }
    return 0;
}

uint16_t rt_bwe_on_send(RtTransport *t, size_t size, int64_t now_us)
{
    return hn_bwe_on_send(t->bwe, size, now_us);
}

void rt_bwe_on_feedback(HnRouter *r, RtTransport *t, const HnRtcpPacket *p, int64_t now_us)
{
    r->stats.twcc_in++;
    if (!t->bwe) { /* transport-cc not negotiated with it (or a publisher's stray feedback) */
        r->stats.twcc_ignored++;
        return;
    }
    if (!r->twcc_scratch)
        r->twcc_scratch = g_new(HnTwccFeedback, 1);
    if (hn_twcc_parse(p->data, p->len, r->twcc_scratch) < 0) {
        r->stats.twcc_malformed++;
        return;
    }
    hn_bwe_on_feedback(t->bwe, r->twcc_scratch, now_us);
    t->estimate_bps = hn_bwe_estimate(t->bwe);
    t->estimate_source = HN_ESTIMATE_TWCC;
}

void rt_bwe_on_remb(HnRouter *r, RtTransport *t, const HnRtcpPacket *p)
{
    r->stats.remb_in++;
    if (t->bwe) /* transport-cc wins: Chromium sends no REMB then, others may send both */
        return;
    uint64_t bps = hn_rtcp_remb_bitrate(p);
    t->estimate_bps = bps;
    t->estimate_source = bps ? HN_ESTIMATE_REMB : HN_ESTIMATE_NONE;
}

void rt_bwe_on_publisher_rtp(HnRouter *r, RtTransport *t, const uint8_t *buf, const HnRtpHeader *h,
                             int64_t now_us)
{
    uint16_t seq;
    if (hn_twcc_read_seq(buf, h, t->twcc_in_ext_id, &seq) < 0)
        return;
    RtTwccIn *in = t->twcc_in;
    int64_t ext;
    if (!in->started) {
        in->started = true;
        ext = IN_RING; /* room below for reordering */
        in->seq_offset = (uint16_t)(seq - IN_RING);
        in->base_ext = in->max_ext = ext;
        for (unsigned i = 0; i < IN_RING; i++)
            in->arrival[i] = HN_TWCC_LOST;
    } else {
        ext = in->last_ext + (int16_t)(uint16_t)(seq - in->last_seq);
    }
    if (ext < in->base_ext) { /* already reported (as lost): too late */
        r->stats.twcc_late++;
        return;
    }
    in->last_seq = seq;
    in->last_ext = ext;
    int64_t min_base = ext - (IN_RING - 1);
    if (min_base > in->base_ext) { /* the ring overflowed between feedbacks (or seq jumped) */
        if (min_base - in->base_ext >= IN_RING) { /* bounded work whatever the jump */
            for (unsigned i = 0; i < IN_RING; i++)
                in->arrival[i] = HN_TWCC_LOST;
        } else {
            for (int64_t e = in->base_ext; e < min_base; e++)
                in->arrival[e % IN_RING] = HN_TWCC_LOST;
        }
        in->base_ext = min_base;
        r->stats.twcc_late++; /* those packets are not reported */
    }
    in->arrival[ext % IN_RING] = now_us;
    if (ext > in->max_ext)
        in->max_ext = ext;
}

/* Sends t's pending feedback (if any packet arrived since the last). */
static void send_feedback(HnRouter *r, RtTransport *t)
{
    RtTwccIn *in = t->twcc_in;
    if (!in || !in->started)
        return;
    while (in->base_ext <= in->max_ext && in->arrival[in->base_ext % IN_RING] == HN_TWCC_LOST)
        in->base_ext++; /* a feedback starts on a received packet; the sender reads the gap */
    uint32_t media_ssrc = t->producers->len ? ((RtProducer *)t->producers->pdata[0])->ssrc : 0;
    while (in->base_ext <= in->max_ext) {
        int64_t arr[IN_RING];
        size_t n = (size_t)(in->max_ext - in->base_ext + 1);
        for (size_t i = 0; i < n; i++)
            arr[i] = in->arrival[(in->base_ext + (int64_t)i) % IN_RING];
        size_t covered = 0;
        int len = hn_twcc_write(r->rtcp_buf, HN_ROUTER_RTCP_MTU, t->rtcp_ssrc, media_ssrc,
                                (uint16_t)(in->base_ext + in->seq_offset), in->fb_count, arr, n,
                                &covered);
        if (len < 0)
            return; /* cannot happen: the MTU holds at least one packet */
        in->fb_count++;
        r->stats.twcc_feedback_sent++;
        rt_send_rtcp(r, t, (size_t)len);
        for (size_t i = 0; i < covered; i++)
            in->arrival[(in->base_ext + (int64_t)i) % IN_RING] = HN_TWCC_LOST;
        in->base_ext += (int64_t)covered;
        while (in->base_ext <= in->max_ext && in->arrival[in->base_ext % IN_RING] == HN_TWCC_LOST)
            in->base_ext++;
    }
}

void rt_bwe_send_feedback(HnRouter *r, int64_t now_us)
{
    bool any = false;
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, r->transports);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        RtTransport *t = v;
        if (!t->twcc_in)
            continue;
        any = true;
        send_feedback(r, t);
    }
    r->twcc_fb_due = any ? now_us + HN_ROUTER_TWCC_FEEDBACK_US : INT64_MAX;
}

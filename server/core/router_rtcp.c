/* Router RTCP: subscriber feedback (PLI, FIR, NACK), sender/receiver reports in, and the
 * periodic RR/SR out. See router.h for the behaviour. Router thread only. */
#include "core/router_priv.h"
#include "core/rtp.h"
#include "core/rtx.h"

#include <errno.h>
#include <string.h>

/* Whether ssrc is the RTX SSRC of a consumer on t (reports about it are not about media). */
static bool is_consumer_rtx(const RtTransport *t, uint32_t ssrc)
{
    for (guint i = 0; i < t->consumers->len; i++) {
        const RtConsumer *c = g_ptr_array_index(t->consumers, i);
        if (c->rtx_pt && c->rtx_ssrc == ssrc)
            return true;
    }
    return false;
}

static RtConsumer *consumer_by_ssrc(HnRouter *r, RtTransport *t, uint32_t out_ssrc)
{
    uint64_t key = rt_key(t->id, out_ssrc);
    RtConsumer *c = g_hash_table_lookup(r->consumer_by_ssrc, &key);
    if (!c)
        rt_drop(r, HN_DROP_RTCP_UNKNOWN_SSRC);
    return c;
}

/* A report block from a peer about one of our outgoing streams: loss, jitter, RTT. */
static void on_report_block(HnRouter *r, RtTransport *t, const HnRtcpReportBlock *b, int64_t now)
{
    uint64_t key = rt_key(t->id, b->ssrc);
    if (!g_hash_table_contains(r->consumer_by_ssrc, &key) && is_consumer_rtx(t, b->ssrc))
        return; /* the subscriber's statistics of our RTX stream */
    RtConsumer *c = consumer_by_ssrc(r, t, b->ssrc);
    if (!c)
        return;
    c->has_rr = true;
    c->rr = *b;
    if (b->lsr == 0)
        return;
    for (unsigned i = 0; i < RT_SENT_SR_HISTORY; i++) {
        if (c->sent_sr[i].lsr != b->lsr)
            continue;
        int64_t rtt = now - c->sent_sr[i].sent_us - hn_rtcp_us_from_dlsr(b->dlsr);
        c->rtt_us = rtt < 0 ? 0 : rtt;
        t->rtt_us = c->rtt_us; /* the same path as the producers of this transport, if any */
        for (guint k = 0; k < t->producers->len; k++) {
            RtProducer *p = g_ptr_array_index(t->producers, k);
            if (p->nack)
                hn_nack_gen_set_rtt(p->nack, t->rtt_us);
        }
        return;
    }
}

static void on_report(HnRouter *r, RtTransport *t, const HnRtcpPacket *p, int64_t now)
{
    if (p->kind == HN_RTCP_KIND_SR) {
        uint64_t key = rt_key(t->id, p->sender_ssrc);
        RtProducer *prod = g_hash_table_lookup(r->producer_by_ssrc, &key);
        r->stats.sr_in++;
        if (prod) {
            hn_rtcp_sr_info(p, &prod->sr);
            prod->sr_arrival_us = now;
            prod->has_sr = true;
            if (r->taps->len)
                rt_tap_sr(r, prod, now);
        } else if (!g_hash_table_contains(r->rtx_by_ssrc, &key)) { /* SRs of RTX: ignored */
            rt_drop(r, HN_DROP_RTCP_UNKNOWN_SSRC);
        }
    } else {
        r->stats.rr_in++;
    }
    for (unsigned i = 0; i < p->count; i++) {
        HnRtcpReportBlock b;
        hn_rtcp_report_block(p, i, &b);
        on_report_block(r, t, &b, now);
    }
}

/* Resends one NACKed output seq of c from its producer's cache. */
static void resend(HnRouter *r, RtConsumer *c, uint16_t out_seq)
{
    RtProducer *p = rt_consumer_source(c);
    uint16_t in_seq;
    size_t len = 0;
    const uint8_t *pkt = NULL;
    c->nack_in++;
    r->stats.nack_in++;
    if (p->cache && hn_rewriter_out_to_in_seq(&c->rw, rt_layers_rw_seq(c, out_seq), &in_seq) == 0)
        pkt = hn_rtp_cache_get(p->cache, p->ssrc, in_seq, &len);
    if (!pkt) {
        rt_drop(r, HN_DROP_NACK_NOT_CACHED);
        return;
    }
    HnRtpHeader h;
    if (hn_rtp_parse(pkt, len, &h) < 0) { /* cannot happen: it was checked on the way in */
        rt_drop(r, HN_DROP_NACK_NOT_CACHED);
        return;
    }
    size_t out_len =
        rt_write_for_consumer(r, c, pkt, len, &h, out_seq, hn_rewriter_map_ts(&c->rw, h.ts));
    if (c->source && p->codec.id == HN_CODEC_VP8) /* the same picture IDs as when forwarded */
        hn_vp8_munger_apply(&c->vp8, r->scratch + (out_len - h.payload_len - h.padding_len),
                            h.payload_len);
    if (c->rtx_pt) { /* as RTX: the subscriber tells it from the original by its SSRC */
        int n = hn_rtx_wrap(r->scratch, out_len, HN_ROUTER_SEND_CAP, c->rtx_seq, c->rtx_ssrc,
                            c->rtx_pt);
        if (n < 0) { /* cannot happen: the packet is valid and the buffer has room */
            rt_drop(r, HN_DROP_NACK_NOT_CACHED);
            return;
        }
        c->rtx_seq++;
        out_len = (size_t)n;
    }
    c->rtx++;
    r->stats.rtx_sent++;
    rt_send_rtp(r, c->transport, out_len);
}

static void on_nack(HnRouter *r, RtTransport *t, const HnRtcpPacket *p)
{
    RtConsumer *c = consumer_by_ssrc(r, t, p->media_ssrc);
    if (!c)
        return;
    for (unsigned i = 0; i < p->count; i++) {
        uint16_t pid, blp, seqs[17];
        hn_rtcp_nack_item(p, i, &pid, &blp);
        unsigned n = hn_rtcp_nack_expand(pid, blp, seqs);
        for (unsigned k = 0; k < n; k++)
            resend(r, c, seqs[k]);
    }
}

/* A subscriber's PLI/FIR about c: counts towards an upstream request at most once per
 * HN_ROUTER_CONSUMER_KEYFRAME_INTERVAL_US, so one lossy subscriber cannot drive its publisher. */
static void consumer_keyframe_request(HnRouter *r, RtConsumer *c, int64_t now)
{
    if (c->producer->codec.kind != HN_KIND_VIDEO)
        return;
    if (c->kf_counted && now - c->kf_counted_us < HN_ROUTER_CONSUMER_KEYFRAME_INTERVAL_US) {
        c->kf_suppressed++;
        r->stats.keyframe_requests_suppressed++;
        return;
    }
    c->kf_counted = true;
    c->kf_counted_us = now;
    RtProducer *p = c->producer;
    if (p->n_layers) /* simulcast: the layer it forwards, or the one it waits for */
        p = c->sel.current >= 0 && c->sel.current == c->sel.target ? rt_consumer_source(c)
                                                                   : p->layers[c->sel.target];
    if (p->group && !p->ssrc_bound)
        p = p->group; /* not known yet: every layer that is */
    rt_request_keyframe_external(r, p, now, false);
}

static void on_keyframe_request(HnRouter *r, RtTransport *t, const HnRtcpPacket *p, int64_t now)
{
    if (p->kind == HN_RTCP_KIND_PLI) {
        r->stats.pli_in++;
        RtConsumer *c = consumer_by_ssrc(r, t, p->media_ssrc);
        if (c) {
            c->pli_in++;
            consumer_keyframe_request(r, c, now);
        }
        return;
    }
    for (unsigned i = 0; i < p->count; i++) { /* FIR: one request per FCI entry */
        uint32_t ssrc;
        uint8_t seq_nr;
        hn_rtcp_fir_item(p, i, &ssrc, &seq_nr);
        r->stats.fir_in++;
        RtConsumer *c = consumer_by_ssrc(r, t, ssrc);
        if (c) {
            c->fir_in++;
            consumer_keyframe_request(r, c, now);
        }
    }
}

static void on_packet(HnRouter *r, RtTransport *t, const HnRtcpPacket *p, int64_t now)
{
    switch (p->kind) {
    case HN_RTCP_KIND_SR:
    case HN_RTCP_KIND_RR:
        on_report(r, t, p, now);
        break;
    case HN_RTCP_KIND_NACK:
        on_nack(r, t, p);
        break;
    case HN_RTCP_KIND_PLI:
    case HN_RTCP_KIND_FIR:
        on_keyframe_request(r, t, p, now);
        break;
    case HN_RTCP_KIND_SDES:
        r->stats.sdes_in++;
        break;
    case HN_RTCP_KIND_BYE:
        r->stats.bye_in++;
        break;
    case HN_RTCP_KIND_APP:
        r->stats.app_in++;
        break;
    case HN_RTCP_KIND_REMB:
        rt_bwe_on_remb(r, t, p);
        break;
    case HN_RTCP_KIND_TWCC:
        rt_bwe_on_feedback(r, t, p, now);
        break;
    case HN_RTCP_KIND_RTPFB_OTHER:
    case HN_RTCP_KIND_PSFB_OTHER:
    case HN_RTCP_KIND_UNKNOWN:
        r->stats.other_in++;
        break;
    }
}

int rt_handle_rtcp(HnRouter *r, RtTransport *t, const uint8_t *buf, size_t len, int64_t now_us)
{
    if (hn_rtcp_validate(buf, len) < 0) {
        rt_drop(r, HN_DROP_BAD_RTCP);
        return -EINVAL;
    }
    r->stats.rtcp_in_packets++;
    HnRtcpIter it;
    HnRtcpPacket p;
    hn_rtcp_iter_init(&it, buf, len);
    while (hn_rtcp_iter_next(&it, &p) > 0)
        on_packet(r, t, &p, now_us);
    return 0;
}

/* Accumulates RTCP packets for one transport into r->rtcp_buf, sending when full. */
typedef struct {
    HnRouter *r;
    RtTransport *t;
    size_t len;
} Batch;

static void batch_flush(Batch *b)
{
    if (b->len)
        rt_send_rtcp(b->r, b->t, b->len);
    b->len = 0;
}

/* Returns where a packet of up to need bytes can be written (flushing first if needed). */
static uint8_t *batch_reserve(Batch *b, size_t need)
{
    if (HN_ROUTER_RTCP_MTU - b->len < need)
        batch_flush(b);
    return b->r->rtcp_buf + b->len;
}

static void batch_commit(Batch *b, int n)
{
    if (n > 0)
        b->len += (size_t)n;
}

static void emit_rr(Batch *b, const RtTransport *t, const HnRtcpReportBlock *blocks, unsigned n)
{
    size_t need = 8 + (size_t)HN_RTCP_REPORT_BLOCK_LEN * n;
    batch_commit(b, hn_rtcp_write_rr(batch_reserve(b, need), need, t->rtcp_ssrc, blocks, n));
}

/* RR blocks for every producer of t that has received something, 31 per RR packet. */
static void add_receiver_reports(Batch *b, RtTransport *t, int64_t now)
{
    HnRtcpReportBlock blocks[HN_RTCP_MAX_REPORT_BLOCKS];
    unsigned n = 0;
    for (guint i = 0; i < t->producers->len; i++) {
        RtProducer *p = g_ptr_array_index(t->producers, i);
        if (!p->stats.initialized)
            continue;
        HnRtcpReportBlock *rb = &blocks[n++];
        hn_recv_stats_report(&p->stats, p->ssrc, rb);
        if (p->has_sr) {
            rb->lsr = hn_ntp_mid32(p->sr.ntp);
            rb->dlsr = hn_rtcp_dlsr_from_us(now - p->sr_arrival_us);
        }
        if (n == HN_RTCP_MAX_REPORT_BLOCKS) {
            emit_rr(b, t, blocks, n);
            n = 0;
        }
    }
    if (n)
        emit_rr(b, t, blocks, n);
}

/* SR for consumer c: the publisher's last SR extrapolated to now, in c's timestamp space. */
static void add_sender_report(Batch *b, RtConsumer *c, int64_t now)
{
    RtProducer *p = rt_consumer_source(c);
    int64_t elapsed = now - p->sr_arrival_us;
    uint32_t in_rtp = p->sr.rtp_ts + (uint32_t)hn_us_to_rtp(elapsed, p->codec.clock_rate);
    HnRtcpSenderInfo si = {
        .ntp = hn_ntp_add_us(p->sr.ntp, elapsed),
        .rtp_ts = hn_rewriter_map_ts(&c->rw, in_rtp),
        .packet_count = (uint32_t)c->packets,
        .octet_count = (uint32_t)c->octets,
    };
    uint8_t *at = batch_reserve(b, 28);
    int n = hn_rtcp_write_sr(at, 28, c->out_ssrc, &si, NULL, 0);
    if (n < 0)
        return;
    batch_commit(b, n);
    c->sent_sr[c->sent_sr_next] = (RtSentSr){.lsr = hn_ntp_mid32(si.ntp), .sent_us = now};
    c->sent_sr_next = (c->sent_sr_next + 1) % RT_SENT_SR_HISTORY;
}

/* Generic NACKs for every producer of t whose NACK generator has seqs due at now. */
void rt_send_nacks(HnRouter *r, RtTransport *t, int64_t now_us)
{
    Batch b = {.r = r, .t = t, .len = 0};
    for (guint i = 0; i < t->producers->len; i++) {
        RtProducer *p = g_ptr_array_index(t->producers, i);
        if (!p->nack || hn_nack_gen_next_deadline(p->nack) > now_us)
            continue;
        uint16_t seqs[HN_NACK_GEN_MAX];
        HnNackGenStats before = p->nack->stats;
        size_t n = hn_nack_gen_on_timeout(p->nack, now_us, seqs, HN_NACK_GEN_MAX);
        rt_nack_account(r, p, &before);
        if (n == 0)
            continue;
        size_t need = 12 + 4 * n; /* header + at most one pid+blp item per seq */
        batch_commit(
            &b, hn_rtcp_write_nack(batch_reserve(&b, need), need, t->rtcp_ssrc, p->ssrc, seqs, n));
    }
    batch_flush(&b);
}

void rt_send_reports(HnRouter *r, int64_t now_us)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, r->transports);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        RtTransport *t = v;
        Batch b = {.r = r, .t = t, .len = 0};
        add_receiver_reports(&b, t, now_us);
        for (guint i = 0; i < t->consumers->len; i++) {
            RtConsumer *c = g_ptr_array_index(t->consumers, i);
            const RtProducer *src = rt_consumer_source(c);
            if (src->has_sr && c->rw.started && c->rw.ssrc == src->ssrc && !c->rw.switch_pending)
                add_sender_report(&b, c, now_us);
        }
        batch_flush(&b);
    }
}

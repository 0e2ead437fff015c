/* Router lifecycle, the RTP forwarding path and key frame requests. See router.h. */
#include "core/router_priv.h"
#include "core/rtp.h"
#include "core/rtx.h"
#include "core/twcc.h"

#include <errno.h>
#include <string.h>

#define ID_KEY(id)                    GUINT_TO_POINTER(id)
#define RETURN_IF_DISPATCHING(r, val) g_return_val_if_fail(!(r)->dispatching, val)

static const char *const drop_names[HN_DROP__COUNT] = {
    [HN_DROP_BAD_PACKET] = "bad_packet",
    [HN_DROP_TOO_LARGE] = "too_large",
    [HN_DROP_UNKNOWN_TRANSPORT] = "unknown_transport",
    [HN_DROP_UNKNOWN_SSRC] = "unknown_ssrc",
    [HN_DROP_BAD_PT] = "bad_pt",
    [HN_DROP_NO_CONSUMER] = "no_consumer",
    [HN_DROP_PAUSED] = "paused",
    [HN_DROP_WAIT_KEYFRAME] = "wait_keyframe",
    [HN_DROP_STALE] = "stale",
    [HN_DROP_BAD_RTCP] = "bad_rtcp",
    [HN_DROP_RTCP_UNKNOWN_SSRC] = "rtcp_unknown_ssrc",
    [HN_DROP_NACK_NOT_CACHED] = "nack_not_cached",
    [HN_DROP_RTX_PADDING] = "rtx_padding",
    [HN_DROP_RTX_DUPLICATE] = "rtx_duplicate",
    [HN_DROP_LAYER_NOT_SELECTED] = "layer_not_selected",
    [HN_DROP_TEMPORAL_LAYER] = "temporal_layer",
};

const char *hn_drop_reason_name(HnDropReason reason)
{
    if ((unsigned)reason >= HN_DROP__COUNT)
        return "unknown";
    return drop_names[reason];
}

static void transport_free(gpointer data)
{
    RtTransport *t = data;
    g_free(t->bwe);
    g_free(t->twcc_in);
    g_ptr_array_free(t->producers, TRUE);
    g_ptr_array_free(t->consumers, TRUE);
    g_free(t);
}

static void producer_free(gpointer data)
{
    RtProducer *p = data;
    hn_rtp_cache_free(p->cache);
    g_free(p->nack);
    g_ptr_array_free(p->consumers, TRUE);
    g_free(p);
}

HnRouter *hn_router_new(const HnRouterSink *sink, void *user)
{
    g_return_val_if_fail(!sink || (sink->send_rtp && sink->send_rtcp), NULL);
    HnRouter *r = g_new0(HnRouter, 1);
    if (sink) {
        r->sink = *sink;
        r->has_sink = true;
        r->user = user;
    }
    r->transports = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, transport_free);
    r->producers = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, producer_free);
    r->consumers = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    r->producer_by_ssrc = g_hash_table_new(g_int64_hash, g_int64_equal);
    r->rtx_by_ssrc = g_hash_table_new(g_int64_hash, g_int64_equal);
    r->consumer_by_ssrc = g_hash_table_new(g_int64_hash, g_int64_equal);
    r->next_report_us = INT64_MAX;
    r->nack_due = INT64_MAX;
    r->twcc_fb_due = INT64_MAX;
    r->taps = g_array_new(FALSE, FALSE, sizeof(RtTap));
    r->next_tap_id = 1;
    return r;
}

void hn_router_free(HnRouter *r)
{
    if (!r)
        return;
    g_return_if_fail(!r->dispatching);
    GList *ids = g_hash_table_get_keys(r->transports);
    for (GList *l = ids; l; l = l->next)
        hn_router_remove_transport(r, GPOINTER_TO_UINT(l->data));
    g_list_free(ids);
    g_hash_table_destroy(r->consumer_by_ssrc);
    g_hash_table_destroy(r->producer_by_ssrc);
    g_hash_table_destroy(r->rtx_by_ssrc);
    g_hash_table_destroy(r->consumers);
    g_hash_table_destroy(r->producers);
    g_hash_table_destroy(r->transports);
    g_array_free(r->taps, TRUE);
    g_free(r->twcc_scratch);
    g_free(r);
}

int hn_router_add_transport(HnRouter *r, uint32_t transport_id, uint32_t rtcp_ssrc, HnLeg *leg)
{
    RETURN_IF_DISPATCHING(r, -EBUSY);
    if (leg ? !leg->cls || !leg->cls->send_rtp || !leg->cls->send_rtcp : !r->has_sink)
        return -EINVAL;
    if (g_hash_table_contains(r->transports, ID_KEY(transport_id)))
        return -EEXIST;
    RtTransport *t = g_new0(RtTransport, 1);
    t->id = transport_id;
    t->rtcp_ssrc = rtcp_ssrc;
    t->leg = leg;
    t->rtt_us = -1;
    t->producers = g_ptr_array_new();
    t->consumers = g_ptr_array_new();
    g_hash_table_insert(r->transports, ID_KEY(transport_id), t);
    return 0;
}

void hn_router_remove_transport(HnRouter *r, uint32_t transport_id)
{
    g_return_if_fail(!r->dispatching);
    RtTransport *t = g_hash_table_lookup(r->transports, ID_KEY(transport_id));
    if (!t)
        return;
    while (t->producers->len) { /* a layer goes with its group */
        RtProducer *p = g_ptr_array_index(t->producers, 0);
        hn_router_remove_producer(r, p->group ? p->group->id : p->id);
    }
    while (t->consumers->len)
        hn_router_remove_consumer(r, ((RtConsumer *)g_ptr_array_index(t->consumers, 0))->id);
    g_hash_table_remove(r->transports, ID_KEY(transport_id));
}

static bool codec_ok(const HnCodec *c)
{
    if (!c || c->clock_rate == 0 || c->pt > 127)
        return false;
    if (c->id == HN_CODEC_OPUS)
        return c->kind == HN_KIND_AUDIO;
    if (c->id == HN_CODEC_VP8 || c->id == HN_CODEC_H264)
        return c->kind == HN_KIND_VIDEO;
    return false;
}

int hn_router_add_producer(HnRouter *r, uint32_t producer_id, uint32_t transport_id,
                           const HnCodec *codec, uint32_t ssrc)
{
    RETURN_IF_DISPATCHING(r, -EBUSY);
    if (!codec_ok(codec) || producer_id >= HN_ROUTER_LAYER_ID_BASE)
        return -EINVAL;
    RtTransport *t = g_hash_table_lookup(r->transports, ID_KEY(transport_id));
    if (!t)
        return -ENOENT;
    uint64_t key = rt_key(transport_id, ssrc);
    if (g_hash_table_contains(r->producers, ID_KEY(producer_id)) ||
        g_hash_table_contains(r->producer_by_ssrc, &key))
        return -EEXIST;

    RtProducer *p = g_new0(RtProducer, 1);
    p->id = producer_id;
    p->transport = t;
    p->key = key;
    p->ssrc = ssrc;
    p->codec = *codec;
    hn_recv_stats_init(&p->stats, codec->clock_rate);
    if (codec->kind == HN_KIND_VIDEO)
        p->cache = hn_rtp_cache_new(HN_ROUTER_VIDEO_CACHE);
    else if (codec->feedback & HN_FB_NACK)
        p->cache = hn_rtp_cache_new(HN_ROUTER_AUDIO_CACHE);
    if (codec->kind == HN_KIND_VIDEO && (codec->feedback & HN_FB_NACK)) {
        p->nack = g_new(HnNackGen, 1);
        hn_nack_gen_init(p->nack, NULL);
        hn_nack_gen_set_rtt(p->nack, t->rtt_us);
        r->nack_producers++;
    }
    p->consumers = g_ptr_array_new();
    g_hash_table_insert(r->producers, ID_KEY(producer_id), p);
    g_hash_table_insert(r->producer_by_ssrc, &p->key, p);
    g_ptr_array_add(t->producers, p);
    return 0;
}

/* Queues a key frame request to go out at the next timeout (no `now` at hand). A simulcast
 * group asks each of its layers whose SSRC is known. */
static void schedule_keyframe(HnRouter *r, RtProducer *p)
{
    for (unsigned i = 0; i < p->n_layers; i++)
        if (p->layers[i]->ssrc_bound)
            schedule_keyframe(r, p->layers[i]);
    if (p->codec.kind != HN_KIND_VIDEO || p->kf_pending || p->n_layers)
        return;
    p->kf_pending = true;
    r->kf_pending_count++;
}

int hn_router_rebind_producer(HnRouter *r, uint32_t producer_id, uint32_t transport_id,
                              uint32_t ssrc)
{
    RETURN_IF_DISPATCHING(r, -EBUSY);
    RtProducer *p = g_hash_table_lookup(r->producers, ID_KEY(producer_id));
    RtTransport *t = g_hash_table_lookup(r->transports, ID_KEY(transport_id));
    if (!p || !t)
        return -ENOENT;
    uint64_t key = rt_key(transport_id, ssrc);
    RtProducer *other = g_hash_table_lookup(r->producer_by_ssrc, &key);
    if (other && other != p)
        return -EEXIST;

    rt_layers_remove(r, p); /* a simulcast group: the caller sets its layers again */
    if (g_hash_table_lookup(r->producer_by_ssrc, &p->key) == p)
        g_hash_table_remove(r->producer_by_ssrc, &p->key);
    if (p->rtx_ssrc)
        g_hash_table_remove(r->rtx_by_ssrc, &p->rtx_key);
    p->rtx_ssrc = 0;
    g_ptr_array_remove_fast(p->transport->producers, p);
    p->transport = t;
    p->key = key;
    p->ssrc = ssrc;
    g_hash_table_insert(r->producer_by_ssrc, &p->key, p);
    g_ptr_array_add(t->producers, p);

    hn_recv_stats_init(&p->stats, p->codec.clock_rate);
    if (p->cache)
        hn_rtp_cache_clear(p->cache);
    if (p->nack) {
        hn_nack_gen_reset(p->nack);
        hn_nack_gen_set_rtt(p->nack, t->rtt_us);
    }
    p->has_sr = false;
    p->kf_ever_sent = false; /* a new connection: ask at once */
    for (guint i = 0; i < p->consumers->len; i++)
        hn_rewriter_mark_switch(&((RtConsumer *)g_ptr_array_index(p->consumers, i))->rw);
    schedule_keyframe(r, p);
    return 0;
}

/* Binds p's RTX SSRC; false when that SSRC is another stream's on p's transport. */
static bool bind_rtx_ssrc(HnRouter *r, RtProducer *p, uint32_t rtx_ssrc)
{
    uint64_t key = rt_key(p->transport->id, rtx_ssrc);
    RtProducer *other = g_hash_table_lookup(r->rtx_by_ssrc, &key);
    if ((other && other != p) || g_hash_table_contains(r->producer_by_ssrc, &key))
        return false;
    if (p->rtx_ssrc)
        g_hash_table_remove(r->rtx_by_ssrc, &p->rtx_key);
    p->rtx_ssrc = rtx_ssrc;
    p->rtx_key = key;
    g_hash_table_insert(r->rtx_by_ssrc, &p->rtx_key, p);
    return true;
}

int hn_router_set_producer_rtx(HnRouter *r, uint32_t producer_id, uint8_t rtx_pt, uint32_t rtx_ssrc)
{
    RETURN_IF_DISPATCHING(r, -EBUSY);
    RtProducer *p = g_hash_table_lookup(r->producers, ID_KEY(producer_id));
    if (!p)
        return -ENOENT;
    if (rtx_pt && (p->codec.kind != HN_KIND_VIDEO || rtx_pt > 127 || rtx_pt == p->codec.pt))
        return -EINVAL;
    if (rtx_pt && rtx_ssrc && rtx_ssrc != p->rtx_ssrc && !bind_rtx_ssrc(r, p, rtx_ssrc))
        return -EEXIST;
    if (!rtx_pt && p->rtx_ssrc) {
        g_hash_table_remove(r->rtx_by_ssrc, &p->rtx_key);
        p->rtx_ssrc = 0;
    }
    p->rtx_pt = rtx_pt;
    return 0;
}

int hn_router_set_producer_priority(HnRouter *r, uint32_t producer_id, unsigned priority)
{
    RtProducer *p = g_hash_table_lookup(r->producers, ID_KEY(producer_id));
    if (!p)
        return -ENOENT;
    p->priority = priority > HN_ROUTER_PRIO_HIGH ? HN_ROUTER_PRIO_HIGH : (uint8_t)priority;
    return 0;
}

void hn_router_remove_producer(HnRouter *r, uint32_t producer_id)
{
    g_return_if_fail(!r->dispatching);
    RtProducer *p = g_hash_table_lookup(r->producers, ID_KEY(producer_id));
    if (!p || p->group) /* a layer goes with its group */
        return;
    while (p->consumers->len)
        hn_router_remove_consumer(r, ((RtConsumer *)g_ptr_array_index(p->consumers, 0))->id);
    if (p->kf_pending)
        r->kf_pending_count--;
    if (p->nack)
        r->nack_producers--;
    if (p->rtx_ssrc)
        g_hash_table_remove(r->rtx_by_ssrc, &p->rtx_key);
    rt_layers_remove(r, p);
    if (g_hash_table_lookup(r->producer_by_ssrc, &p->key) == p)
        g_hash_table_remove(r->producer_by_ssrc, &p->key);
    g_ptr_array_remove_fast(p->transport->producers, p);
    g_hash_table_remove(r->producers, ID_KEY(producer_id));
}

int hn_router_add_consumer(HnRouter *r, uint32_t consumer_id, uint32_t producer_id,
                           uint32_t transport_id, uint32_t out_ssrc, uint8_t out_pt)
{
    RETURN_IF_DISPATCHING(r, -EBUSY);
    if (out_pt > 127)
        return -EINVAL;
    RtProducer *p = g_hash_table_lookup(r->producers, ID_KEY(producer_id));
    RtTransport *t = g_hash_table_lookup(r->transports, ID_KEY(transport_id));
    if (!p || !t)
        return -ENOENT;
    uint64_t key = rt_key(transport_id, out_ssrc);
    if (g_hash_table_contains(r->consumers, ID_KEY(consumer_id)) ||
        g_hash_table_contains(r->consumer_by_ssrc, &key))
        return -EEXIST;

    RtConsumer *c = g_new0(RtConsumer, 1);
    c->id = consumer_id;
    c->producer = p;
    c->transport = t;
    c->key = key;
    c->out_ssrc = out_ssrc;
    c->out_pt = out_pt;
    c->rtt_us = -1;
    hn_rewriter_init(&c->rw, p->codec.clock_rate);
    hn_sim_sel_init(&c->sel, p->n_layers);
    hn_vp8_munger_init(&c->vp8);
    g_hash_table_insert(r->consumers, ID_KEY(consumer_id), c);
    g_hash_table_insert(r->consumer_by_ssrc, &c->key, c);
    /* Copies that go to another worker (a relay leg: one room across workers) are made first, so
     * that worker protects and sends its share while this one sends its own: the fan-out's
     * delay is then about the larger share, not the sum. Removal keeps the order. */
    if (t->leg && t->leg->kind == HN_LEG_RELAY)
        g_ptr_array_insert(p->consumers, 0, c);
    else
        g_ptr_array_add(p->consumers, c);
    g_ptr_array_add(t->consumers, c);
    schedule_keyframe(r, p);
    return 0;
}

int hn_router_set_consumer_rtx(HnRouter *r, uint32_t consumer_id, uint8_t rtx_pt, uint32_t rtx_ssrc)
{
    RETURN_IF_DISPATCHING(r, -EBUSY);
    RtConsumer *c = g_hash_table_lookup(r->consumers, ID_KEY(consumer_id));
    if (!c)
        return -ENOENT;
    if (rtx_pt > 127 || (rtx_pt && (rtx_pt == c->out_pt || !rtx_ssrc || rtx_ssrc == c->out_ssrc)))
        return -EINVAL;
    c->rtx_pt = rtx_pt;
    c->rtx_ssrc = rtx_pt ? rtx_ssrc : 0;
    c->rtx_seq = (uint16_t)(rtx_ssrc ^ (rtx_ssrc >> 16)); /* any start will do (RFC 4588) */
    return 0;
}

void hn_router_remove_consumer(HnRouter *r, uint32_t consumer_id)
{
    g_return_if_fail(!r->dispatching);
    RtConsumer *c = g_hash_table_lookup(r->consumers, ID_KEY(consumer_id));
    if (!c)
        return;
    g_hash_table_remove(r->consumer_by_ssrc, &c->key);
    g_ptr_array_remove(c->producer->consumers, c); /* in order: relay legs stay first */
    g_ptr_array_remove_fast(c->transport->consumers, c);
    g_hash_table_remove(r->consumers, ID_KEY(consumer_id));
}

int hn_router_set_consumer_paused(HnRouter *r, uint32_t consumer_id, bool paused)
{
    RETURN_IF_DISPATCHING(r, -EBUSY);
    RtConsumer *c = g_hash_table_lookup(r->consumers, ID_KEY(consumer_id));
    if (!c)
        return -ENOENT;
    if (c->paused == paused)
        return 0;
    c->paused = paused;
    if (!paused) {
        hn_rewriter_mark_switch(&c->rw);
        schedule_keyframe(r, c->producer);
    }
    return 0;
}

int hn_router_add_tap(HnRouter *r, const HnRouterTap *tap, void *user)
{
    if (!tap || (!tap->on_rtp && !tap->on_sr))
        return -EINVAL;
    RtTap t = {.id = r->next_tap_id, .tap = *tap, .user = user};
    r->next_tap_id = r->next_tap_id == INT32_MAX ? 1 : r->next_tap_id + 1;
    g_array_append_val(r->taps, t);
    return t.id;
}

/* Frees the slots of taps removed during a dispatch. */
static void compact_taps(HnRouter *r)
{
    if (!r->taps_dirty)
        return;
    for (guint i = r->taps->len; i-- > 0;)
        if (g_array_index(r->taps, RtTap, i).removed)
            g_array_remove_index(r->taps, i);
    r->taps_dirty = false;
}

void hn_router_remove_tap(HnRouter *r, int tap_id)
{
    for (guint i = 0; i < r->taps->len; i++) {
        RtTap *t = &g_array_index(r->taps, RtTap, i);
        if (t->id != tap_id || t->removed)
            continue;
        t->removed = true;
        r->taps_dirty = true;
        break;
    }
    if (!r->dispatching)
        compact_taps(r);
}

static bool tap_wants(const RtTap *t, uint32_t producer_id)
{
    return !t->removed && (!t->tap.one_producer || t->tap.producer_id == producer_id);
}

/* Taps added by a callback see the next packet on: the loop stops at the count it started with;
 * each slot is read again after every callback (the array may move, a tap may be removed). */
static void tap_rtp(HnRouter *r, const RtProducer *p, const HnTapPacket *pkt, int64_t now_us)
{
    guint n = r->taps->len;
    for (guint i = 0; i < n; i++) {
        RtTap t = g_array_index(r->taps, RtTap, i);
        if (t.tap.on_rtp && tap_wants(&t, p->id))
            t.tap.on_rtp(t.user, p->id, pkt, now_us);
    }
}

void rt_tap_sr(HnRouter *r, const RtProducer *p, int64_t now_us)
{
    guint n = r->taps->len;
    for (guint i = 0; i < n; i++) {
        RtTap t = g_array_index(r->taps, RtTap, i);
        if (t.tap.on_sr && tap_wants(&t, p->id))
            t.tap.on_sr(t.user, p->id, &p->sr, now_us);
    }
}

void rt_note_time(HnRouter *r, int64_t now_us)
{
    if (!r->clock_seen) {
        r->clock_seen = true;
        r->next_report_us = now_us + HN_ROUTER_REPORT_INTERVAL_US;
    }
    if (now_us > r->last_now_us)
        r->last_now_us = now_us;
}

void rt_send_rtp(HnRouter *r, RtTransport *t, size_t len)
{
    r->stats.rtp_out_packets++;
    r->stats.rtp_out_bytes += len;
    if (t->leg)
        t->leg->cls->send_rtp(t->leg, r->scratch, len, HN_ROUTER_SEND_CAP);
    else
        r->sink.send_rtp(r->user, t->id, r->scratch, len);
}

void rt_send_rtcp(HnRouter *r, RtTransport *t, size_t len)
{
    r->stats.rtcp_out_packets++;
    if (t->leg)
        t->leg->cls->send_rtcp(t->leg, r->rtcp_buf, len);
    else
        r->sink.send_rtcp(r->user, t->id, r->rtcp_buf, len);
}

static void send_keyframe_request(HnRouter *r, RtProducer *p, int64_t now_us)
{
    uint32_t fb = p->codec.feedback;
    uint32_t sender = p->transport->rtcp_ssrc;
    int n;
    if ((fb & HN_FB_FIR) && !(fb & HN_FB_PLI))
        n = hn_rtcp_write_fir(r->rtcp_buf, HN_ROUTER_RTCP_MTU, sender, p->ssrc, ++p->fir_seq);
    else
        n = hn_rtcp_write_pli(r->rtcp_buf, HN_ROUTER_RTCP_MTU, sender, p->ssrc);
    if (p->kf_pending) {
        p->kf_pending = false;
        r->kf_pending_count--;
    }
    p->kf_ever_sent = true;
    p->kf_seen = false;
    p->kf_last_sent_us = now_us;
    p->kf_sent++;
    r->stats.keyframe_requests_sent++;
    if (n > 0)
        rt_send_rtcp(r, p->transport, (size_t)n);
}

static int64_t keyframe_due(const HnRouter *r, const RtProducer *p)
{
    if (!p->kf_ever_sent)
        return r->last_now_us;
    return p->kf_last_sent_us + HN_ROUTER_KEYFRAME_INTERVAL_US;
}

void rt_request_keyframe(HnRouter *r, RtProducer *p, int64_t now_us)
{
    for (unsigned i = 0; i < p->n_layers; i++)
        if (p->layers[i]->ssrc_bound)
            rt_request_keyframe(r, p->layers[i], now_us);
    if (p->codec.kind != HN_KIND_VIDEO || p->n_layers)
        return;
    if (!p->kf_ever_sent || now_us >= keyframe_due(r, p))
        send_keyframe_request(r, p, now_us);
    else
        schedule_keyframe(r, p);
}

void rt_request_keyframe_external(HnRouter *r, RtProducer *p, int64_t now_us, bool defer)
{
    for (unsigned i = 0; i < p->n_layers; i++)
        if (p->layers[i]->ssrc_bound)
            rt_request_keyframe_external(r, p->layers[i], now_us, defer);
    if (p->codec.kind != HN_KIND_VIDEO || p->n_layers)
        return;
    bool in_flight = p->kf_ever_sent && !p->kf_seen &&
                     now_us - p->kf_last_sent_us < HN_ROUTER_KEYFRAME_INTERVAL_US;
    if (p->kf_pending || in_flight) {
        r->stats.keyframe_requests_collapsed++;
        return;
    }
    if (defer)
        schedule_keyframe(r, p);
    else
        rt_request_keyframe(r, p, now_us);
}

int hn_router_request_keyframe(HnRouter *r, uint32_t producer_id, int64_t now_us)
{
    RtProducer *p = g_hash_table_lookup(r->producers, ID_KEY(producer_id));
    if (!p)
        return -ENOENT;
    if (p->codec.kind != HN_KIND_VIDEO)
        return -EINVAL;
    /* From a callback, r->rtcp_buf may be in use: the timer sends it. */
    bool in_callback = r->dispatching;
    if (!in_callback)
        rt_note_time(r, now_us);
    rt_request_keyframe_external(r, p, now_us, in_callback);
    return 0;
}

/* The one place a producer packet becomes a consumer packet (forwarding and retransmission).
 * Header extensions are stripped: the subscriber negotiated none. A later issue that forwards
 * chosen extensions (abs-send-time, transport-cc) rewrites them here instead. */
size_t rt_write_for_consumer(HnRouter *r, const RtConsumer *c, const uint8_t *buf, size_t len,
                             const HnRtpHeader *h, uint16_t seq, uint32_t ts)
{
    RtTransport *t = c->transport;
    size_t out_len;
    if (t->bwe) { /* our transport-wide seq replaces the publisher's extensions */
        size_t size = len - h->header_len + HN_RTP_HEADER_MIN + 4u * h->csrc_count + 8;
        uint16_t tseq = rt_bwe_on_send(t, size, r->last_now_us);
        out_len = hn_twcc_copy_with_seq(r->scratch, buf, len, h, t->twcc_ext_id, tseq);
    } else {
        out_len = hn_rtp_copy_without_extension(r->scratch, buf, len, h);
    }
    hn_rtp_set_seq(r->scratch, seq);
    hn_rtp_set_ts(r->scratch, ts);
    hn_rtp_set_ssrc(r->scratch, c->out_ssrc);
    hn_rtp_set_pt(r->scratch, c->out_pt);
    return out_len;
}

/* Forwards one packet of c's producer (already validated as h) to c's transport. */
static void forward(HnRouter *r, RtConsumer *c, const uint8_t *buf, size_t len,
                    const HnRtpHeader *h, bool keyframe, int64_t now_us)
{
    if (c->paused) {
        rt_drop(r, HN_DROP_PAUSED);
        return;
    }
    if (!keyframe && hn_rewriter_needs_sync(&c->rw, h->ssrc)) {
        rt_drop(r, HN_DROP_WAIT_KEYFRAME);
        rt_request_keyframe(r, c->producer, now_us);
        return;
    }
    uint16_t seq;
    uint32_t ts;
    if (hn_rewriter_rewrite(&c->rw, h->ssrc, h->seq, h->ts, now_us, &seq, &ts) < 0) {
        rt_drop(r, HN_DROP_STALE);
        return;
    }
    size_t out_len = rt_write_for_consumer(r, c, buf, len, h, seq, ts);
    c->packets++;
    c->bytes += out_len;
    c->octets += h->payload_len;
    rt_send_rtp(r, c->transport, out_len);
}

/* The producer whose RTX an RTP packet with an unknown SSRC is: the one producer of the
 * transport with that RTX payload type still waiting for its RTX SSRC, which is then learnt. */
static RtProducer *learn_rtx(HnRouter *r, uint32_t transport_id, const HnRtpHeader *h)
{
    RtTransport *t = g_hash_table_lookup(r->transports, ID_KEY(transport_id));
    RtProducer *found = NULL;
    for (guint i = 0; t && i < t->producers->len; i++) {
        RtProducer *p = g_ptr_array_index(t->producers, i);
        if (!p->rtx_pt || p->rtx_pt != h->pt || p->rtx_ssrc)
            continue;
        if (found)
            return NULL; /* ambiguous: wait for a signalled SSRC */
        found = p;
    }
    if (found && !bind_rtx_ssrc(r, found, h->ssrc))
        return NULL;
    return found;
}

/* Finds the producer of an RTP packet (or of its RTX: *rtx set), counting the reason when there
 * is none. */
static RtProducer *match_producer(HnRouter *r, uint32_t transport_id, const uint8_t *buf,
                                  const HnRtpHeader *h, bool *rtx)
{
    uint64_t key = rt_key(transport_id, h->ssrc);
    RtProducer *p = g_hash_table_lookup(r->producer_by_ssrc, &key);
    *rtx = false;
    if (p)
        return p;
    p = g_hash_table_lookup(r->rtx_by_ssrc, &key);
    if (p) {
        *rtx = true;
        return p;
    }
    RtTransport *t = g_hash_table_lookup(r->transports, ID_KEY(transport_id));
    if (t && (p = rt_layers_learn(r, t, buf, h, rtx)))
        return p;
    p = learn_rtx(r, transport_id, h);
    if (p) {
        *rtx = true;
        return p;
    }
    rt_drop(r, g_hash_table_contains(r->transports, ID_KEY(transport_id))
                   ? HN_DROP_UNKNOWN_SSRC
                   : HN_DROP_UNKNOWN_TRANSPORT);
    return NULL;
}

/* Handles one valid packet of p (an original, or an unwrapped RTX when rtx). */
static void producer_rtp(HnRouter *r, RtProducer *p, const uint8_t *buf, size_t len,
                         const HnRtpHeader *h, bool rtx, int64_t now_us)
{
    bool video = p->codec.kind == HN_KIND_VIDEO;
    bool key = !video || hn_codec_is_keyframe(p->codec.id, buf + h->header_len, h->payload_len);
    if (p->nack) {
        HnNackGenStats before = p->nack->stats;
        HnNackGenResult res = hn_nack_gen_on_rtp(p->nack, h->seq, video && key, now_us);
        rt_nack_account(r, p, &before);
        if (rtx && res == HN_NACK_GEN_DUPLICATE) { /* e.g. an old packet sent as a probe */
            rt_drop(r, HN_DROP_RTX_DUPLICATE);
            return;
        }
        if (hn_nack_gen_next_deadline(p->nack) <= now_us) /* passed by enough packets */
            rt_send_nacks(r, p->transport, now_us);
        int64_t due = hn_nack_gen_next_deadline(p->nack);
        if (due < r->nack_due)
            r->nack_due = due;
    }
    if (!rtx) /* the RR reports the loss on the link, before recovery */
        hn_recv_stats_update(&p->stats, h->seq, h->ts, len, now_us);
    if (p->cache)
        hn_rtp_cache_put(p->cache, h->ssrc, h->seq, buf, len);
    if (p->group)
        rt_layers_on_rtp(p, buf, h, now_us);
    if (video && key) {
        p->kf_seen = true;
        if (p->kf_pending) { /* the publisher already answered: no need to ask again */
            p->kf_pending = false;
            r->kf_pending_count--;
        }
    }

    r->dispatching = true;
    /* a simulcast layer: taps see the group's highest active layer, consumers the layer they
     * chose */
    RtProducer *g = p->group ? p->group : p;
    if (r->taps->len && (!p->group || rt_layers_is_tap_layer(p, now_us))) {
        HnTapPacket tp = {
            .buf = buf,
            .len = len,
            .pt = h->pt,
            .clock_rate = p->codec.clock_rate,
            .kind = p->codec.kind,
            .codec = p->codec.id,
            .is_keyframe = video && key,
            .marker = h->marker,
            .seq = h->seq,
            .ts = h->ts,
            .payload_offset = h->header_len,
            .payload_len = h->payload_len,
        };
        tap_rtp(r, g, &tp, now_us);
    }
    if (g->consumers->len == 0)
        rt_drop(r, HN_DROP_NO_CONSUMER);
    HnLeg *relay = NULL; /* the last relay leg copied to (they come first) */
    for (guint i = 0; i < g->consumers->len; i++) {
        RtConsumer *c = g_ptr_array_index(g->consumers, i);
        HnLeg *leg = c->transport->leg;
        if (relay && (!leg || leg->kind != HN_LEG_RELAY)) {
            relay->cls->flush(relay); /* the other workers start on their share now */
            relay = NULL;
        }
        if (p->group)
            rt_layers_forward(r, c, p, buf, len, h, key, now_us);
        else
            forward(r, c, buf, len, h, key, now_us);
        if (leg && leg->kind == HN_LEG_RELAY && leg->cls->flush)
            relay = leg;
    }
    if (relay)
        relay->cls->flush(relay);
    r->dispatching = false;
    compact_taps(r);
}

int hn_router_on_rtp(HnRouter *r, uint32_t transport_id, const uint8_t *buf, size_t len,
                     int64_t now_us)
{
    RETURN_IF_DISPATCHING(r, -EBUSY);
    rt_note_time(r, now_us);
    if (len > HN_ROUTER_MAX_PACKET) {
        rt_drop(r, HN_DROP_TOO_LARGE);
        return -EMSGSIZE;
    }
    HnRtpHeader h;
    if (hn_rtp_parse(buf, len, &h) < 0) {
        rt_drop(r, HN_DROP_BAD_PACKET);
        return -EINVAL;
    }
    bool rtx;
    RtProducer *p = match_producer(r, transport_id, buf, &h, &rtx);
    if (!p)
        return -ENOENT;
    if (h.pt != (rtx ? p->rtx_pt : p->codec.pt)) {
        rt_drop(r, HN_DROP_BAD_PT);
        return -EINVAL;
    }
    r->stats.rtp_in_packets++;
    r->stats.rtp_in_bytes += len;
    if (p->transport->twcc_in) /* RTX and padding probes too: the sender counts them all */
        rt_bwe_on_publisher_rtp(r, p->transport, buf, &h, now_us);
    if (!rtx) {
        producer_rtp(r, p, buf, len, &h, false, now_us);
        return 0;
    }
    r->stats.rtx_in++;
    uint16_t osn;
    int n = hn_rtx_unwrap(r->unwrap, buf, len, &h, p->ssrc, p->codec.pt, &osn);
    HnRtpHeader oh;
    if (n < 0 || hn_rtp_parse(r->unwrap, (size_t)n, &oh) < 0) {
        rt_drop(r, n == -ENODATA ? HN_DROP_RTX_PADDING : HN_DROP_BAD_PACKET);
        return n == -ENODATA ? 0 : -EINVAL;
    }
    producer_rtp(r, p, r->unwrap, (size_t)n, &oh, true, now_us);
    return 0;
}

int hn_router_on_rtcp(HnRouter *r, uint32_t transport_id, const uint8_t *buf, size_t len,
                      int64_t now_us)
{
    RETURN_IF_DISPATCHING(r, -EBUSY);
    rt_note_time(r, now_us);
    RtTransport *t = g_hash_table_lookup(r->transports, ID_KEY(transport_id));
    if (!t) {
        rt_drop(r, HN_DROP_UNKNOWN_TRANSPORT);
        return -ENOENT;
    }
    if (len > HN_ROUTER_MAX_PACKET) {
        rt_drop(r, HN_DROP_TOO_LARGE);
        return -EMSGSIZE;
    }
    r->dispatching = true;
    int rc = rt_handle_rtcp(r, t, buf, len, now_us);
    r->dispatching = false;
    compact_taps(r);
    return rc;
}

int64_t hn_router_next_deadline(const HnRouter *r)
{
    int64_t next = r->clock_seen ? r->next_report_us : INT64_MAX;
    if (r->nack_due < next)
        next = r->nack_due;
    if (r->twcc_fb_due < next)
        next = r->twcc_fb_due;
    if (r->kf_pending_count == 0)
        return next;
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, r->producers);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        const RtProducer *p = v;
        if (p->kf_pending && keyframe_due(r, p) < next)
            next = keyframe_due(r, p);
    }
    return next;
}

void rt_nack_account(HnRouter *r, const RtProducer *p, const HnNackGenStats *before)
{
    const HnNackGenStats *now = &p->nack->stats;
    r->stats.nack_sent += now->nack_sent - before->nack_sent;
    r->stats.nack_recovered += now->recovered - before->recovered;
    r->stats.nack_given_up += now->given_up - before->given_up;
    r->stats.nack_duplicates += now->duplicates - before->duplicates;
}

void hn_router_on_timeout(HnRouter *r, int64_t now_us)
{
    g_return_if_fail(!r->dispatching);
    rt_note_time(r, now_us);
    r->dispatching = true;
    if (r->kf_pending_count) {
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init(&it, r->producers);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
            RtProducer *p = v;
            if (p->kf_pending && now_us >= keyframe_due(r, p))
                send_keyframe_request(r, p, now_us);
        }
    }
    if (now_us >= r->nack_due) { /* send what is due, then find the next one */
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init(&it, r->transports);
        while (g_hash_table_iter_next(&it, NULL, &v))
            rt_send_nacks(r, v, now_us);
        r->nack_due = INT64_MAX;
        g_hash_table_iter_init(&it, r->producers);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
            const RtProducer *p = v;
            int64_t due = p->nack ? hn_nack_gen_next_deadline(p->nack) : INT64_MAX;
            if (due < r->nack_due)
                r->nack_due = due;
        }
    }
    if (now_us >= r->twcc_fb_due)
        rt_bwe_send_feedback(r, now_us);
    if (now_us >= r->next_report_us) {
        rt_layers_tick(r, now_us);
        rt_send_reports(r, now_us);
        r->next_report_us += HN_ROUTER_REPORT_INTERVAL_US;
        if (r->next_report_us <= now_us) /* the caller was late: do not burst */
            r->next_report_us = now_us + HN_ROUTER_REPORT_INTERVAL_US;
    }
    r->dispatching = false;
    compact_taps(r);
}

void hn_router_get_stats(const HnRouter *r, HnRouterStats *out)
{
    *out = r->stats;
}

int hn_router_get_producer_stats(const HnRouter *r, uint32_t producer_id, HnProducerStats *out)
{
    const RtProducer *p = g_hash_table_lookup(r->producers, ID_KEY(producer_id));
    if (!p)
        return -ENOENT;
    memset(out, 0, sizeof(*out));
    out->transport_id = p->transport->id;
    out->ssrc = p->ssrc;
    out->codec = p->codec.id;
    out->packets = p->stats.packets;
    out->bytes = p->stats.bytes;
    out->packets_lost = hn_recv_stats_lost(&p->stats);
    out->ext_highest_seq = hn_recv_stats_ext_highest(&p->stats);
    out->jitter = hn_recv_stats_jitter(&p->stats);
    out->keyframe_requests_sent = p->kf_sent;
    out->consumers = p->consumers->len;
    out->has_sr = p->has_sr;
    if (p->nack) {
        out->nack = true;
        out->nack_sent = p->nack->stats.nack_sent;
        out->nack_recovered = p->nack->stats.recovered;
        out->nack_given_up = p->nack->stats.given_up;
        out->nack_duplicates = p->nack->stats.duplicates;
        out->nack_missing = hn_nack_gen_missing(p->nack);
    }
    return 0;
}

int hn_router_set_transport_estimate(HnRouter *r, uint32_t transport_id, uint64_t bps,
                                     HnEstimateSource source)
{
    RtTransport *t = g_hash_table_lookup(r->transports, ID_KEY(transport_id));
    if (!t)
        return -ENOENT;
    t->estimate_bps = bps;
    t->estimate_source = bps ? (int)source : HN_ESTIMATE_NONE;
    return 0;
}

int hn_router_get_transport_estimate(const HnRouter *r, uint32_t transport_id, uint64_t *bps,
                                     HnEstimateSource *source)
{
    const RtTransport *t = g_hash_table_lookup(r->transports, ID_KEY(transport_id));
    if (!t)
        return -ENOENT;
    *bps = t->estimate_bps;
    if (source)
        *source = (HnEstimateSource)t->estimate_source;
    return 0;
}

int hn_router_get_consumer_stats(const HnRouter *r, uint32_t consumer_id, HnConsumerStats *out)
{
    const RtConsumer *c = g_hash_table_lookup(r->consumers, ID_KEY(consumer_id));
    if (!c)
        return -ENOENT;
    memset(out, 0, sizeof(*out));
    out->producer_id = c->producer->id;
    out->transport_id = c->transport->id;
    out->out_ssrc = c->out_ssrc;
    out->paused = c->paused;
    out->waiting_keyframe = c->producer->n_layers
                                ? c->sel.current < 0 || c->rw.switch_pending
                                : hn_rewriter_needs_sync(&c->rw, c->producer->ssrc);
    out->packets = c->packets;
    out->bytes = c->bytes;
    out->rtx_packets = c->rtx;
    out->pli_in = c->pli_in;
    out->fir_in = c->fir_in;
    out->nack_in = c->nack_in;
    out->keyframe_requests_suppressed = c->kf_suppressed;
    out->has_rr = c->has_rr;
    out->fraction_lost = c->rr.fraction_lost;
    out->cumulative_lost = c->rr.cumulative_lost;
    out->jitter = c->rr.jitter;
    out->rtt_us = c->rtt_us;
    if (c->producer->n_layers) {
        out->simulcast = true;
        out->layer = c->sel.current;
        out->target_layer = c->sel.target;
        out->max_tid = c->sel.max_tid;
        out->layer_switches = c->sel.switches;
        out->tile_w = c->sel.tile_w;
        out->tile_h = c->sel.tile_h;
    }
    return 0;
}

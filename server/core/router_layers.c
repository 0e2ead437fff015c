/* Router glue for simulcast: a producer of several layers (one internal producer each), layer
 * SSRCs learnt from the rid header extension, and consumers that forward one layer at a time
 * with continuous seq, timestamps and VP8 picture IDs. See router.h and core/simulcast.h.
 * Router thread only. */
#include "core/router_priv.h"
#include "core/rtp.h"

#include <errno.h>
#include <string.h>

#define ID_KEY(id) GUINT_TO_POINTER(id)

static uint32_t next_layer_id(HnRouter *r)
{
    static const uint32_t span = 0xffffffffu - HN_ROUTER_LAYER_ID_BASE;
    for (;;) {
        uint32_t id = HN_ROUTER_LAYER_ID_BASE + (r->next_layer_seq++ % span);
        if (!g_hash_table_contains(r->producers, ID_KEY(id)))
            return id;
    }
}

/* Forgets one layer producer (no consumers of its own). */
static void layer_free(HnRouter *r, RtProducer *l)
{
    if (l->kf_pending)
        r->kf_pending_count--;
    if (l->nack)
        r->nack_producers--;
    if (l->rtx_ssrc)
        g_hash_table_remove(r->rtx_by_ssrc, &l->rtx_key);
    if (l->ssrc_bound)
        g_hash_table_remove(r->producer_by_ssrc, &l->key);
    g_ptr_array_remove_fast(l->transport->producers, l);
    g_hash_table_remove(r->producers, ID_KEY(l->id));
}

void rt_layers_remove(HnRouter *r, RtProducer *p)
{
    for (unsigned i = 0; i < p->n_layers; i++) {
        if (p->layers[i])
            layer_free(r, p->layers[i]);
        p->layers[i] = NULL;
    }
    p->n_layers = 0;
    for (guint i = 0; i < p->consumers->len; i++) {
        RtConsumer *c = g_ptr_array_index(p->consumers, i);
        c->source = NULL;
    }
}

static void bind_layer_ssrc(HnRouter *r, RtProducer *l, uint32_t ssrc)
{
    l->ssrc = ssrc;
    l->key = rt_key(l->transport->id, ssrc);
    l->ssrc_bound = true;
    g_hash_table_insert(r->producer_by_ssrc, &l->key, l);
}

static bool bind_layer_rtx(HnRouter *r, RtProducer *l, uint32_t rtx_ssrc)
{
    uint64_t key = rt_key(l->transport->id, rtx_ssrc);
    if (g_hash_table_contains(r->rtx_by_ssrc, &key) ||
        g_hash_table_contains(r->producer_by_ssrc, &key))
        return false;
    l->rtx_ssrc = rtx_ssrc;
    l->rtx_key = key;
    g_hash_table_insert(r->rtx_by_ssrc, &l->rtx_key, l);
    return true;
}

static bool ssrc_free(HnRouter *r, uint32_t transport_id, uint32_t ssrc)
{
    uint64_t key = rt_key(transport_id, ssrc);
    return ssrc && !g_hash_table_contains(r->producer_by_ssrc, &key) &&
           !g_hash_table_contains(r->rtx_by_ssrc, &key);
}

int hn_router_set_producer_layers(HnRouter *r, uint32_t producer_id, const HnSimulcastDesc *sim)
{
    g_return_val_if_fail(!r->dispatching, -EBUSY);
    RtProducer *p = g_hash_table_lookup(r->producers, ID_KEY(producer_id));
    if (!p || p->group)
        return -ENOENT;
    if (!sim || p->codec.kind != HN_KIND_VIDEO || sim->n_layers < 2 ||
        sim->n_layers > HN_SIM_MAX_LAYERS)
        return -EINVAL;
    for (unsigned i = 0; i < sim->n_layers; i++)
        if (!sim->ssrcs[i] && !sim->ext_rid)
            return -EINVAL;

    rt_layers_remove(r, p);
    /* the group has no SSRC of its own any more */
    if (g_hash_table_lookup(r->producer_by_ssrc, &p->key) == p)
        g_hash_table_remove(r->producer_by_ssrc, &p->key);
    if (p->rtx_ssrc) {
        g_hash_table_remove(r->rtx_by_ssrc, &p->rtx_key);
        p->rtx_ssrc = 0;
    }
    if (p->kf_pending) {
        p->kf_pending = false;
        r->kf_pending_count--;
    }
    p->sim = *sim;
    p->n_layers = sim->n_layers;
    for (unsigned i = 0; i < sim->n_layers; i++) {
        RtProducer *l = g_new0(RtProducer, 1);
        l->id = next_layer_id(r);
        l->transport = p->transport;
        l->codec = p->codec;
        l->group = p;
        l->layer = i;
        l->rtx_pt = p->rtx_pt;
        hn_recv_stats_init(&l->stats, p->codec.clock_rate);
        l->cache = hn_rtp_cache_new(HN_ROUTER_VIDEO_CACHE);
        if (p->codec.feedback & HN_FB_NACK) {
            l->nack = g_new(HnNackGen, 1);
            hn_nack_gen_init(l->nack, NULL);
            hn_nack_gen_set_rtt(l->nack, p->transport->rtt_us);
            r->nack_producers++;
        }
        l->consumers = g_ptr_array_new();
        g_hash_table_insert(r->producers, ID_KEY(l->id), l);
        g_ptr_array_add(p->transport->producers, l);
        if (ssrc_free(r, p->transport->id, sim->ssrcs[i]))
            bind_layer_ssrc(r, l, sim->ssrcs[i]);
        if (l->rtx_pt && ssrc_free(r, p->transport->id, sim->rtx_ssrcs[i]))
            bind_layer_rtx(r, l, sim->rtx_ssrcs[i]);
        p->layers[i] = l;
    }
    for (guint i = 0; i < p->consumers->len; i++) {
        RtConsumer *c = g_ptr_array_index(p->consumers, i);
        HnSimSel old = c->sel;
        hn_sim_sel_init(&c->sel, p->n_layers);
        hn_sim_sel_set_tile(&c->sel, old.tile_w, old.tile_h);
        c->sel.switches = old.switches;
        hn_rewriter_mark_switch(&c->rw);
        hn_vp8_munger_switch(&c->vp8);
    }
    return 0;
}

/* The rid named by extension id in the packet, NUL-terminated into out; false when absent. */
static bool read_rid(const uint8_t *buf, const HnRtpHeader *h, unsigned id, char *out)
{
    const uint8_t *data;
    int n = id ? hn_rtp_find_extension(buf, h, id, &data) : -ENOENT;
    if (n <= 0 || n >= HN_SIM_RID_LEN)
        return false;
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    return true;
}

RtProducer *rt_layers_learn(HnRouter *r, RtTransport *t, const uint8_t *buf, const HnRtpHeader *h,
                            bool *rtx)
{
    if (!h->extension)
        return NULL;
    for (guint i = 0; i < t->producers->len; i++) {
        RtProducer *g = g_ptr_array_index(t->producers, i);
        if (!g->n_layers)
            continue;
        char rid[HN_SIM_RID_LEN];
        bool is_rtx = h->pt == g->rtx_pt && g->rtx_pt != 0;
        if (is_rtx ? !read_rid(buf, h, g->sim.ext_rrid, rid)
                   : (h->pt != g->codec.pt || !read_rid(buf, h, g->sim.ext_rid, rid)))
            continue;
        for (unsigned k = 0; k < g->n_layers; k++) {
            RtProducer *l = g->layers[k];
            if (strcmp(g->sim.rids[k], rid) != 0)
                continue;
            if (is_rtx && !l->rtx_ssrc && bind_layer_rtx(r, l, h->ssrc)) {
                *rtx = true;
                return l;
            }
            if (!is_rtx && !l->ssrc_bound) {
                bind_layer_ssrc(r, l, h->ssrc);
                *rtx = false;
                return l;
            }
        }
    }
    return NULL;
}

void rt_layers_on_rtp(RtProducer *p, const uint8_t *buf, const HnRtpHeader *h, int64_t now_us)
{
    /* Padding only (Chromium's bandwidth probes, also on a paused layer's SSRC) is not media: a
     * layer that only gets probes must not look active to layer selection or to the taps. */
    if (h->payload_len == 0)
        return;
    p->last_rtp_us = now_us;
    if (p->codec.id != HN_CODEC_VP8)
        return;
    HnVp8Descriptor d;
    if (hn_vp8_parse(buf + h->header_len, h->payload_len, &d) == 0 && d.width && d.height) {
        p->width = d.width;
        p->height = d.height;
    }
}

bool rt_layers_is_tap_layer(const RtProducer *p, int64_t now_us)
{
    const RtProducer *g = p->group;
    for (unsigned i = g->n_layers; i-- > p->layer + 1;) {
        const RtProducer *l = g->layers[i];
        if (l->ssrc_bound && l->last_rtp_us && now_us - l->last_rtp_us < HN_SIM_INACTIVE_US)
            return false; /* a higher layer flows */
    }
    return true;
}

static void layer_infos(const RtProducer *g, int64_t now_us, HnSimLayerInfo *out)
{
    for (unsigned i = 0; i < g->n_layers; i++) {
        const RtProducer *l = g->layers[i];
        out[i] = (HnSimLayerInfo){
            .active =
                l->ssrc_bound && l->last_rtp_us && now_us - l->last_rtp_us < HN_SIM_INACTIVE_US,
            .width = l->width,
            .height = l->height,
            .bps = l->bps,
        };
    }
}

/* Recomputes c's target with budget_bps of its subscriber's downlink (0: unknown); asks for a
 * key frame of a new target layer. Returns what the chosen layer costs (its measured bitrate). */
static uint64_t consumer_update(HnRouter *r, RtConsumer *c, uint64_t budget_bps, int64_t now_us)
{
    RtProducer *g = c->producer;
    HnSimLayerInfo li[HN_SIM_MAX_LAYERS];
    layer_infos(g, now_us, li);
    hn_sim_sel_update(&c->sel, li, g->n_layers, budget_bps, now_us);
    if (c->sel.target != c->sel.current && !c->paused && li[c->sel.target].active)
        rt_request_keyframe(r, g->layers[c->sel.target], now_us);
    return li[c->sel.target].active ? li[c->sel.target].bps : 0;
}

/* bits over the report interval, smoothed (half old, half new) */
static void measure(RtProducer *p)
{
    uint64_t bps = (p->stats.bytes - p->rate_mark) * 8 * 1000000 / HN_ROUTER_REPORT_INTERVAL_US;
    p->bps = p->bps ? (p->bps + bps) / 2 : bps;
    p->rate_mark = p->stats.bytes;
}

/* Where c comes in its subscriber's budget: audio, then high-priority video, then the rest by
 * tile area, larger first; consumer id keeps the order stable. */
static int budget_order(gconstpointer a, gconstpointer b)
{
    const RtConsumer *x = *(RtConsumer *const *)a, *y = *(RtConsumer *const *)b;
    int kx = x->producer->codec.kind == HN_KIND_AUDIO ? 0 : x->producer->priority ? 1 : 2;
    int ky = y->producer->codec.kind == HN_KIND_AUDIO ? 0 : y->producer->priority ? 1 : 2;
    if (kx != ky)
        return kx - ky;
    uint32_t ax = (uint32_t)x->sel.tile_w * x->sel.tile_h;
    uint32_t ay = (uint32_t)y->sel.tile_w * y->sel.tile_h;
    if (ax != ay)
        return ax > ay ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Spends t's downlink estimate on its consumers (hn_router_set_producer_priority). */
static void allocate(HnRouter *r, RtTransport *t, int64_t now_us)
{
    if (!t->consumers->len)
        return;
    g_autoptr(GPtrArray) order = g_ptr_array_sized_new(t->consumers->len);
    for (guint i = 0; i < t->consumers->len; i++)
        g_ptr_array_add(order, g_ptr_array_index(t->consumers, i));
    g_ptr_array_sort(order, budget_order);
    uint64_t left = t->estimate_bps;
    for (guint i = 0; i < order->len; i++) {
        RtConsumer *c = g_ptr_array_index(order, i);
        RtProducer *g = c->producer;
        uint64_t cost;
        if (g->n_layers) /* unknown estimate: 0, tile size alone decides; spent: 1 bit/s */
            cost = consumer_update(r, c, t->estimate_bps ? MAX(left, 1) : 0, now_us);
        else
            cost = c->paused ? 0 : g->bps;
        left = left > cost ? left - cost : 0;
    }
}

void rt_layers_tick(HnRouter *r, int64_t now_us)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, r->producers);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        RtProducer *g = v;
        if (g->group)
            continue; /* a layer: measured with its group */
        if (!g->n_layers)
            measure(g);
        for (unsigned i = 0; i < g->n_layers; i++)
            measure(g->layers[i]);
    }
    g_hash_table_iter_init(&it, r->transports);
    while (g_hash_table_iter_next(&it, NULL, &v))
        allocate(r, v, now_us);
}

int hn_router_set_consumer_view(HnRouter *r, uint32_t consumer_id, unsigned width, unsigned height,
                                int64_t now_us)
{
    g_return_val_if_fail(!r->dispatching, -EBUSY);
    RtConsumer *c = g_hash_table_lookup(r->consumers, ID_KEY(consumer_id));
    if (!c)
        return -ENOENT;
    hn_sim_sel_set_tile(&c->sel, width, height);
    if (c->producer->n_layers) {
        rt_note_time(r, now_us);
        r->dispatching = true;             /* r->rtcp_buf is free: a key frame request may go out */
        allocate(r, c->transport, now_us); /* a bigger tile may move ahead in the budget */
        r->dispatching = false;
    }
    return 0;
}

int hn_router_get_wanted_layers(const HnRouter *r, uint32_t producer_id, unsigned *mask,
                                unsigned *n_layers)
{
    const RtProducer *g = g_hash_table_lookup(r->producers, ID_KEY(producer_id));
    if (!g)
        return -ENOENT;
    if (!g->n_layers)
        return -EINVAL;
    unsigned m = 0;
    for (guint i = 0; i < g->consumers->len; i++) {
        const RtConsumer *c = g_ptr_array_index(g->consumers, i);
        if (c->paused)
            continue;
        m |= 1u << c->sel.desired | 1u << c->sel.target;
        if (c->sel.current >= 0)
            m |= 1u << c->sel.current;
    }
    *mask = m;
    *n_layers = g->n_layers;
    return 0;
}

void hn_router_count_layers(const HnRouter *r, unsigned counts[HN_SIM_MAX_LAYERS + 1])
{
    memset(counts, 0, sizeof(unsigned) * (HN_SIM_MAX_LAYERS + 1));
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, r->consumers);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        const RtConsumer *c = v;
        if (c->producer->n_layers)
            counts[c->sel.current >= 0 ? (unsigned)c->sel.current : HN_SIM_MAX_LAYERS]++;
    }
}

/* Output seq after closing the holes left by dropped packets. */
static int64_t holes_below(const RtConsumer *c, int64_t ext)
{
    int64_t n = c->holes_base;
    for (unsigned i = 0; i < c->n_holes && c->holes[i] < ext; i++)
        n++;
    return n;
}

static int64_t ext_of(const RtConsumer *c, uint16_t seq)
{
    return c->rw.last_out_seq - (int16_t)((uint16_t)c->rw.last_out_seq - seq);
}

uint16_t rt_layers_out_seq(const RtConsumer *c, uint16_t out)
{
    if (!c->n_holes && !c->holes_base)
        return out;
    return (uint16_t)(ext_of(c, out) - holes_below(c, ext_of(c, out)));
}

uint16_t rt_layers_rw_seq(const RtConsumer *c, uint16_t out)
{
    if (!c->n_holes && !c->holes_base)
        return out;
    /* out = rw - holes_below(rw): walk the holes in increasing order */
    int64_t last = c->rw.last_out_seq - holes_below(c, c->rw.last_out_seq + 1);
    int64_t ext = last - (int16_t)((uint16_t)last - out);
    int64_t rw = ext + c->holes_base;
    for (unsigned i = 0; i < c->n_holes && c->holes[i] <= rw; i++)
        rw++;
    return (uint16_t)rw;
}

static void add_hole(RtConsumer *c, int64_t ext)
{
    if (c->n_holes && ext <= c->holes[c->n_holes - 1])
        return; /* reordered: keep the list increasing (the seq is then left open) */
    if (c->n_holes == G_N_ELEMENTS(c->holes)) {
        memmove(c->holes, c->holes + 1, (c->n_holes - 1) * sizeof c->holes[0]);
        c->n_holes--;
        c->holes_base++;
    }
    c->holes[c->n_holes++] = ext;
}

void rt_layers_forward(HnRouter *r, RtConsumer *c, RtProducer *p, const uint8_t *buf, size_t len,
                       const HnRtpHeader *h, bool keyframe, int64_t now_us)
{
    if (c->paused) {
        rt_drop(r, HN_DROP_PAUSED);
        return;
    }
    uint8_t tid = 0;
    HnVp8Descriptor d;
    if (p->codec.id == HN_CODEC_VP8 && hn_vp8_parse(buf + h->header_len, h->payload_len, &d) == 0)
        tid = d.tid;
    int prev = c->sel.current;
    HnSimAction act = hn_sim_sel_on_packet(&c->sel, p->layer, keyframe, tid);
    switch (act) {
    case HN_SIM_DROP_LAYER:
        rt_drop(r, HN_DROP_LAYER_NOT_SELECTED);
        return;
    case HN_SIM_DROP_WAIT_KEY:
        rt_drop(r, c->sel.current < 0 ? HN_DROP_WAIT_KEYFRAME : HN_DROP_LAYER_NOT_SELECTED);
        rt_request_keyframe(r, p, now_us);
        return;
    case HN_SIM_SWITCH:
        c->source = p;
        hn_rewriter_mark_switch(&c->rw);
        hn_vp8_munger_switch(&c->vp8);
        if (prev >= 0)
            r->stats.layer_switches++;
        break;
    case HN_SIM_DROP_TEMPORAL:
    case HN_SIM_FORWARD:
        break;
    }
    uint16_t seq;
    uint32_t ts;
    if (hn_rewriter_rewrite(&c->rw, h->ssrc, h->seq, h->ts, now_us, &seq, &ts) < 0) {
        rt_drop(r, HN_DROP_STALE);
        return;
    }
    if (act == HN_SIM_DROP_TEMPORAL) {
        add_hole(c, ext_of(c, seq));
        rt_drop(r, HN_DROP_TEMPORAL_LAYER);
        return;
    }
    size_t out_len = rt_write_for_consumer(r, c, buf, len, h, rt_layers_out_seq(c, seq), ts);
    if (p->codec.id == HN_CODEC_VP8)
        hn_vp8_munger_apply(&c->vp8, r->scratch + (out_len - h->payload_len - h->padding_len),
                            h->payload_len);
    c->packets++;
    c->bytes += out_len;
    c->octets += h->payload_len;
    rt_send_rtp(r, c->transport, out_len);
}

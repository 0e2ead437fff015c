/* peer_media.c - what a LoadPeer does with media on its worker: real-time paced sending of the
 * shared loop (publisher), per-stream measurement (subscriber), RTCP both ways. No allocation
 * on these paths: packets are built in the peer's scratch buffer. */
#include "peer_priv.h"

#include <string.h>

#include "core/rtcp.h"

#define LATE_NS          (20 * 1000000LL) /* a packet sent this late is counted */
#define BURST_MAX        2000             /* packets sent per pacing turn at most */
#define PLI_INTERVAL_NS  (500 * 1000000LL)
#define RTCP_INTERVAL_MS 1000
#define NTP_UNIX_OFFSET  2208988800ULL

/* --- publisher ---------------------------------------------------------------------------- */

/* pacing: a track's packets leave no faster than pacing x its average bitrate (0: a frame's
 * packets leave together). */
static void tx_init(LoadTx *tx, const LoadMediaTrack *m, uint8_t pt, double pacing)
{
    memset(tx, 0, sizeof *tx);
    tx->m = m;
    tx->on = m->n > 0;
    tx->pt = pt;
    tx->ns_per_byte = pacing > 0 && m->kbps > 0 ? 8e9 / (pacing * m->kbps * 1000) : 0;
    tx->ssrc = g_random_int();
    tx->seq = (uint16_t)g_random_int();
    tx->ts0 = g_random_int();
    if (!tx->on)
        return;
    /* Start at a random point (a key frame for video) so publishers' key frames spread out. */
    if (m->n_keyframes > 0)
        tx->idx = m->keyframes[g_random_int_range(0, (gint32)m->n_keyframes)];
    else
        tx->idx = (size_t)g_random_int_range(0, (gint32)m->n);
    tx->base_units = -(int64_t)m->pkts[tx->idx].ts;
}

void load_peer_tx_init(LoadPeer *p)
{
    tx_init(&p->video, &p->env->media->video, LOAD_PT_VP8, p->env->pacing);
    tx_init(&p->audio, &p->env->media->audio, LOAD_PT_OPUS, 0);
    if (!p->env->audio)
        p->audio.on = false;
}

static int64_t tx_due(const LoadPeer *p, const LoadTx *tx)
{
    if (!tx->on)
        return INT64_MAX;
    int64_t units = (int64_t)tx->m->pkts[tx->idx].ts + tx->base_units;
    int64_t frame_due = p->start_ns + (int64_t)((__int128)units * 1000000000 / tx->m->clock_rate);
    return MAX(frame_due, tx->pace_next_ns);
}

/* Sends the packet at tx->idx (after a pending key frame jump) and advances. */
static void tx_send(LoadPeer *p, LoadTx *tx, int64_t due, int64_t now)
{
    const LoadMediaTrack *m = tx->m;
    const LoadMediaPacket *pk = &m->pkts[tx->idx];
    if (tx->kf_request && pk->frame_start && m->n_keyframes > 0) {
        if (!pk->keyframe_start) {
            size_t k = load_media_next_keyframe(m, tx->idx);
            tx->base_units += (int64_t)pk->ts - (int64_t)m->pkts[k].ts;
            tx->idx = k;
            pk = &m->pkts[k];
            p->keyframe_jumps++;
        }
        tx->kf_request = false;
    }
    int64_t units = (int64_t)pk->ts + tx->base_units;
    uint8_t *b = p->buf;
    b[0] = 0x80;
    b[1] = (uint8_t)(tx->pt | (pk->marker ? 0x80 : 0));
    hn_wr16(b + 2, tx->seq);
    hn_wr32(b + 4, tx->ts0 + (uint32_t)units);
    hn_wr32(b + 8, tx->ssrc);
    memcpy(b + 12, m->data + pk->offset, pk->len);
    size_t len = 12 + (size_t)pk->len;
    load_trailer_write(b + len, load_now_ns());
    len += LOAD_TRAILER_LEN;
    /* counted as sent only when the transport sent it: a packet refused on a full socket is a
     * loss on the way out, not something the server should have counted */
    HnWebrtcTransportStats st0, st1;
    hn_webrtc_transport_get_stats(p->t, &st0);
    hn_webrtc_transport_send_rtp(p->t, b, len);
    hn_webrtc_transport_get_stats(p->t, &st1);
    tx->seq++;
    if (st1.tx_packets != st0.tx_packets) {
        tx->packets++;
        tx->octets += len - 12;
    } else {
        p->send_failures++;
    }
    if (tx->ns_per_byte > 0)
        tx->pace_next_ns = MAX(tx->pace_next_ns, due) + (int64_t)(len * tx->ns_per_byte);
    int64_t late = now - due;
    if (late > LATE_NS)
        p->late_packets++;
    if (late / 1000 > p->late_max_us)
        p->late_max_us = late / 1000;
    if (++tx->idx == m->n) {
        tx->idx = 0;
        tx->base_units += m->loop_ts;
    }
}

static gboolean pace_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    LoadPeer *p = data;
    int64_t now = load_now_ns();
    for (int i = 0; i < BURST_MAX; i++) {
        int64_t dv = tx_due(p, &p->video), da = tx_due(p, &p->audio);
        LoadTx *tx = dv <= da ? &p->video : &p->audio;
        int64_t due = MIN(dv, da);
        if (due > now) {
            g_source_set_ready_time(src, due == INT64_MAX ? -1 : (due + 999) / 1000);
            return G_SOURCE_CONTINUE;
        }
        tx_send(p, tx, due, now);
    }
    g_source_set_ready_time(src, 0); /* still behind: come back at once */
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs pace_funcs = {.dispatch = pace_dispatch};

static uint64_t ntp_now(void)
{
    int64_t us = g_get_real_time();
    uint64_t secs = (uint64_t)(us / 1000000) + NTP_UNIX_OFFSET;
    uint64_t frac = ((uint64_t)(us % 1000000) << 32) / 1000000;
    return secs << 32 | frac;
}

static void send_sr(LoadPeer *p, const LoadTx *tx, int64_t now)
{
    if (!tx->on || tx->packets == 0)
        return;
    uint8_t b[256];
    HnRtcpSenderInfo si = {
        .ntp = ntp_now(),
        .rtp_ts =
            tx->ts0 + (uint32_t)((__int128)(now - p->start_ns) * tx->m->clock_rate / 1000000000),
        .packet_count = (uint32_t)tx->packets,
        .octet_count = (uint32_t)tx->octets,
    };
    int n = hn_rtcp_write_sr(b, sizeof b, tx->ssrc, &si, NULL, 0);
    int k = n > 0 ? hn_rtcp_write_sdes_cname(b + n, sizeof b - (size_t)n, tx->ssrc, p->cname) : -1;
    if (k > 0)
        load_peer_send_rtcp(p, b, (size_t)(n + k));
}

/* --- subscriber --------------------------------------------------------------------------- */

/* One report block for s; remembers the counts for the next interval's fraction lost. */
static void fill_block(LoadRxStream *s, int64_t now, HnRtcpReportBlock *rb)
{
    uint64_t expected = load_rx_stream_expected(s);
    int64_t exp_i = (int64_t)(expected - s->rr_expected);
    int64_t lost_i = exp_i - (int64_t)(s->packets - s->rr_received);
    int64_t lost = (int64_t)load_rx_stream_lost(s);
    s->rr_expected = expected;
    s->rr_received = s->packets;
    memset(rb, 0, sizeof *rb);
    rb->ssrc = s->ssrc;
    rb->fraction_lost = exp_i > 0 && lost_i > 0 ? (uint8_t)MIN(255, (lost_i << 8) / exp_i) : 0;
    rb->cumulative_lost = (int32_t)MIN(lost, 0x7fffff);
    rb->ext_highest_seq = load_rx_stream_ext_max(s);
    rb->jitter = (uint32_t)s->jitter;
    if (s->lsr) {
        rb->lsr = s->lsr;
        rb->dlsr = hn_rtcp_dlsr_from_us((now - s->lsr_at_ns) / 1000);
    }
}

/* RR (report blocks for every active stream that received something) + SDES. Sent even with
 * no stream: it keeps the connection alive for SFUs that watch for incoming packets. */
static void send_rr(LoadPeer *p, int64_t now)
{
    uint8_t b[1400];
    size_t off = 0;
    HnRtcpReportBlock blocks[HN_RTCP_MAX_REPORT_BLOCKS];
    size_t i = 0;
    do {
        unsigned nb = 0;
        for (; i < p->n_streams && nb < HN_RTCP_MAX_REPORT_BLOCKS; i++) {
            LoadRxStream *s = &p->streams[i];
            if (!s->active || s->packets == 0)
                continue;
            fill_block(s, now, &blocks[nb++]);
        }
        int n = hn_rtcp_write_rr(b + off, sizeof b - off, p->rtcp_ssrc, blocks, nb);
        if (n < 0)
            return;
        off += (size_t)n;
    } while (i < p->n_streams);
    int k = hn_rtcp_write_sdes_cname(b + off, sizeof b - off, p->rtcp_ssrc, p->cname);
    if (k > 0)
        load_peer_send_rtcp(p, b, off + (size_t)k);
}

static void rtcp_tick(LoadPeer *p)
{
    if (p->closed || p->failed || !load_peer_has_transport(p))
        return;
    int64_t now = load_now_ns();
    if (p->role == LOAD_PEER_PUB) {
        send_sr(p, &p->video, now);
        send_sr(p, &p->audio, now);
    } else {
        send_rr(p, now);
    }
}

/* One RTCP timer per worker thread for all its peers (a GSource per peer would make every
 * loop iteration walk hundreds of sources). */
typedef struct {
    GSource *src;
    GPtrArray *peers;
} Ticker;

static __thread Ticker *tl_ticker;

static gboolean ticker_run(gpointer data)
{
    Ticker *tk = data;
    for (guint i = 0; i < tk->peers->len; i++)
        rtcp_tick(tk->peers->pdata[i]);
    return G_SOURCE_CONTINUE;
}

static void start_rtcp_timer(LoadPeer *p)
{
    if (p->ticking)
        return;
    if (!tl_ticker) {
        tl_ticker = g_new0(Ticker, 1);
        tl_ticker->peers = g_ptr_array_new();
        tl_ticker->src = g_timeout_source_new(RTCP_INTERVAL_MS);
        g_source_set_callback(tl_ticker->src, ticker_run, tl_ticker, NULL);
        g_source_attach(tl_ticker->src, p->ctx);
    }
    g_ptr_array_add(tl_ticker->peers, p);
    p->ticking = TRUE;
}

static void stop_rtcp_timer(LoadPeer *p)
{
    if (!p->ticking || !tl_ticker)
        return;
    p->ticking = FALSE;
    g_ptr_array_remove_fast(tl_ticker->peers, p);
    if (tl_ticker->peers->len == 0) {
        g_source_destroy(tl_ticker->src);
        g_source_unref(tl_ticker->src);
        g_ptr_array_free(tl_ticker->peers, TRUE);
        g_free(tl_ticker);
        tl_ticker = NULL;
    }
}

void load_peer_tx_start(LoadPeer *p)
{
    if (p->pace)
        return;
    p->start_ns = load_now_ns();
    p->pace = g_source_new(&pace_funcs, sizeof(GSource));
    g_source_set_callback(p->pace, NULL, p, NULL);
    g_source_set_priority(p->pace, G_PRIORITY_HIGH);
    g_source_set_ready_time(p->pace, 0);
    g_source_attach(p->pace, p->ctx);
    start_rtcp_timer(p);
}

void load_peer_rx_start(LoadPeer *p)
{
    start_rtcp_timer(p);
    send_rr(p, load_now_ns()); /* the SFU learns our SSRC at once */
}

static void drop_source(GSource **src)
{
    if (*src) {
        g_source_destroy(*src);
        g_source_unref(*src);
        *src = NULL;
    }
}

void load_peer_media_stop(LoadPeer *p)
{
    drop_source(&p->pace);
    stop_rtcp_timer(p);
}

static LoadRxStream *find_stream(LoadPeer *p, uint32_t ssrc, size_t *index)
{
    for (size_t i = 0; i < p->n_streams; i++) {
        if (p->streams[i].ssrc == ssrc) {
            *index = i;
            return &p->streams[i];
        }
    }
    return NULL;
}

void load_peer_update_streams(LoadPeer *p, const LoadSdpRecvTrack *tracks, size_t n)
{
    for (size_t i = 0; i < p->n_streams; i++)
        p->streams[i].active = false;
    for (size_t k = 0; k < n; k++) {
        const LoadSdpRecvTrack *t = &tracks[k];
        if (!t->receiving || t->ssrc == 0)
            continue;
        size_t idx;
        LoadRxStream *s = find_stream(p, t->ssrc, &idx);
        if (!s) {
            if (p->n_streams == LOAD_MAX_STREAMS) {
                p->streams_dropped++;
                continue;
            }
            if (p->n_streams == p->cap_streams) {
                p->cap_streams = MIN(LOAD_MAX_STREAMS, MAX(16, p->cap_streams * 2));
                p->streams = g_renew(LoadRxStream, p->streams, p->cap_streams);
                p->last_pli_ns = g_renew(int64_t, p->last_pli_ns, p->cap_streams);
            }
            idx = p->n_streams++;
            s = &p->streams[idx];
            memset(s, 0, sizeof *s);
            p->last_pli_ns[idx] = 0;
            s->ssrc = t->ssrc;
        }
        s->active = true;
        s->pub = t->pub;
        s->kind = t->kind;
        s->codec = t->codec;
        s->clock_rate = t->clock_rate;
        g_strlcpy(s->mid, t->mid, sizeof s->mid);
    }
}

void load_peer_on_rtp(void *user, HnWebrtcTransport *t, uint8_t *buf, size_t len)
{
    load_peer_rx_rtp(user, buf, len, load_now_ns());
}

void load_peer_rx_rtp(LoadPeer *p, uint8_t *buf, size_t len, int64_t now)
{
    HnRtpHeader h;
    size_t idx;
    LoadRxStream *s;
    if (p->role != LOAD_PEER_SUB || hn_rtp_parse(buf, len, &h) < 0 ||
        !(s = find_stream(p, h.ssrc, &idx))) {
        p->unknown_ssrc++;
        return;
    }
    unsigned f = load_rx_stream_on_packet(s, &h, buf + h.header_len, h.payload_len, now, &p->hist);
    if ((f & LOAD_RX_KEYFRAME_DONE) && !p->keyframe_ns) {
        p->keyframe_ns = now;
        load_peer_post_keyframe(p, now);
    }
    if ((f & LOAD_RX_WANT_KEYFRAME) && now - p->last_pli_ns[idx] > PLI_INTERVAL_NS) {
        p->last_pli_ns[idx] = now;
        uint8_t b[32];
        int n = hn_rtcp_write_pli(b, sizeof b, p->rtcp_ssrc, s->ssrc);
        if (n > 0) {
            load_peer_send_rtcp(p, b, (size_t)n);
            p->plis_tx++;
        }
    }
}

static void on_feedback(LoadPeer *p, const HnRtcpPacket *pk)
{
    if (pk->kind == HN_RTCP_KIND_PLI && pk->media_ssrc == p->video.ssrc) {
        p->plis_rx++;
        p->video.kf_request = true;
    } else if (pk->kind == HN_RTCP_KIND_FIR) {
        for (unsigned i = 0; i < pk->count; i++) {
            uint32_t ssrc;
            uint8_t seq;
            hn_rtcp_fir_item(pk, i, &ssrc, &seq);
            if (ssrc == p->video.ssrc) {
                p->firs_rx++;
                p->video.kf_request = true;
            }
        }
    } else if (pk->kind == HN_RTCP_KIND_NACK) {
        p->nacks_rx++;
    }
}

void load_peer_on_rtcp(void *user, HnWebrtcTransport *t, uint8_t *buf, size_t len)
{
    LoadPeer *p = user;
    HnRtcpIter it;
    HnRtcpPacket pk;
    p->rtcp_rx++;
    hn_rtcp_iter_init(&it, buf, len);
    while (hn_rtcp_iter_next(&it, &pk) == 1) {
        if (p->role == LOAD_PEER_PUB) {
            on_feedback(p, &pk);
        } else if (pk.kind == HN_RTCP_KIND_SR) {
            size_t idx;
            LoadRxStream *s = find_stream(p, pk.sender_ssrc, &idx);
            if (s) {
                HnRtcpSenderInfo si;
                hn_rtcp_sr_info(&pk, &si);
                s->lsr = hn_ntp_mid32(si.ntp);
                s->lsr_at_ns = load_now_ns();
            }
        }
    }
}

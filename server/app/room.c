#include "app/room.h"

#include <errno.h>
#include <string.h>

#include "app/negotiate.h"
#include "app/room_transcode.h"
#include "app/spread_leg.h"
#include "app/webrtc_leg.h"
#include "core/rtp.h"
#include "core/speaker.h"

#define EARLY_CANDIDATES_MAX 64 /* remote candidates kept per leg before its description */

typedef struct RoomPeer RoomPeer;

/* One of a participant's legs as the room knows it (a WebRTC peer connection here). */
typedef struct {
    HnRoom *room;
    RoomPeer *peer;
    HnLeg *leg;
    gboolean is_sub;
    gboolean desc_sent; /* our description went out: local candidates may follow it */
    GPtrArray *pending; /* local candidates gathered before that (char*) */
    gboolean done_pending;
    gboolean remote_set; /* the peer's description was applied */
    GPtrArray *early;    /* remote candidates that came before it (char*) */
    char *remote_ufrag;  /* the peer's ICE ufrag: a new one means a new connection... */
    char *remote_fp;     /* ...or, with the same DTLS fingerprint, an ICE restart of this one */
} RoomLeg;

struct RoomPeer {
    uint64_t pid;
    gboolean attached; /* one non-browser leg in sub, no offer/answer, no liveness check */
    RoomLeg *pub, *sub;
    GPtrArray *early_pub; /* pub candidates that came before any pub offer (char*) */
    uint64_t sub_version;
    gboolean silent; /* every connected leg silent for consent_timeout: in the ICE restart grace */
    guint muted;     /* kinds (bit 1 << HnKind) the chair muted: kept across re-publishes */
};

struct HnRoom {
    HnWorker *worker;
    GMainContext *ctx;
    char *name;
    HnRoomEnv env;
    HnRoomModel *model;
    HnRouter *router;
    GHashTable *peers; /* &pid -> RoomPeer* */
    GHashTable *legs;  /* leg id -> RoomLeg* */
    GSource *router_timer;
    int64_t router_armed; /* ready time the timer is set to (-1: none) */
    GSource *liveness;
    GSource *link_timer; /* "link" messages and estimate samples, with the liveness check */
    uint32_t next_leg;
    HnRoomStats closed; /* wire counters of the legs closed so far, failures, candidates */
    HnSpeaker *speaker; /* active speaker from the publishers' audio levels */
    HnSpeakerUpdate speaker_last; /* its last update, told to a newcomer after joined */
    uint64_t speaker_last_speaking[HN_SPEAKER_MAX_LIST]; /* speaker_last.speaking points here */
    GHashTable *levels;  /* audio producer id -> LevelSource*: whose level, in which extension */
    GHashTable *simpubs; /* simulcast producer id -> SimPub*: layers asked of its publisher */
    uint64_t presenter;  /* the participant sharing a screen now, 0: none */
    GHashTable *tracks;  /* producer id -> RecTrackInfo*: whose track (for the recorder) */
    HnRecSession *rec;   /* the recording capturing this room, or NULL (a reference) */
    int rec_tap;         /* its router tap */
    HnRoomFeed feed;     /* the composed picture's feed (gateway/picture.h), when feed_on */
    void *feed_user;
    gboolean feed_on;
    int feed_tap;
    HnRoomTranscodes *transcodes; /* H.264 -> VP8 for subscribers without H.264 */
};

/* A published track as the recorder names it. */
typedef struct {
    uint64_t pid;
    HnKind kind;
    HnTrackSource source;
} RecTrackInfo;

/* A simulcast producer with rids: which of its layers its publisher is asked to send. */
typedef struct {
    uint64_t pid;
    char mid[HN_ROOM_MID_MAX];
    HnSimulcastDesc sim;
    HnSimPause pause;
} SimPub;

/* An audio producer whose packets carry the RFC 6464 audio level. */
typedef struct {
    uint64_t pid;
    uint8_t ext_id;
} LevelSource;

static const HnLegEvents leg_events;

/* --- output ------------------------------------------------------------------------------- */

static void deliver(HnRoom *room, uint64_t pid, const HnRoomOut *out)
{
    room->env.deliver(room->env.user, pid, out);
}

static void reply_error(HnRoom *room, uint64_t pid, HnRoomError code, const char *msg,
                        const char *ref, const char *req_id)
{
    g_message("room %s: p%" G_GUINT64_FORMAT ": %s: %s", room->name, pid, ref, msg);
    HnRoomOut o = {
        .type = HN_ROOM_OUT_ERROR, .code = code, .message = msg, .ref = ref, .req_id = req_id};
    deliver(room, pid, &o);
}

static void send_candidate(HnRoom *room, RoomLeg *rl, const char *cand)
{
    HnRoomOut o = {.type = HN_ROOM_OUT_CANDIDATE, .sub = rl->is_sub, .candidate = cand};
    deliver(room, rl->peer->pid, &o);
}

static void flush_local_candidates(HnRoom *room, RoomLeg *rl)
{
    rl->desc_sent = TRUE;
    for (guint i = 0; i < rl->pending->len; i++)
        send_candidate(room, rl, rl->pending->pdata[i]);
    g_ptr_array_set_size(rl->pending, 0);
    if (rl->done_pending)
        send_candidate(room, rl, NULL);
    rl->done_pending = FALSE;
}

/* --- router glue -------------------------------------------------------------------------- */

static void arm_router_timer(HnRoom *room)
{
    int64_t next =
        MIN(hn_router_next_deadline(room->router), hn_speaker_next_deadline(room->speaker));
    if (next == INT64_MAX)
        next = -1;
    else if (next < 0)
        next = 0;                     /* due now (-1 would mean never) */
    if (next != room->router_armed) { /* set_ready_time takes the context lock: skip when same */
        room->router_armed = next;
        g_source_set_ready_time(room->router_timer, next);
    }
}

static void kick_router(void *user)
{
    arm_router_timer(user);
}

static gboolean router_timer_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    HnRoom *room = data;
    g_source_set_ready_time(src, -1);
    room->router_armed = -1;
    int64_t now = g_get_monotonic_time();
    hn_router_on_timeout(room->router, now);
    hn_speaker_on_timeout(room->speaker, now);
    arm_router_timer(room);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs router_timer_funcs = {.dispatch = router_timer_dispatch};

/* --- legs --------------------------------------------------------------------------------- */

static RoomPeer *find(HnRoom *room, uint64_t pid)
{
    return g_hash_table_lookup(room->peers, &pid);
}

static void on_local_candidate(void *owner, HnLeg *leg, const char *cand)
{
    RoomLeg *rl = owner;
    if (!rl->desc_sent) {
        if (cand)
            g_ptr_array_add(rl->pending, g_strdup(cand));
        else
            rl->done_pending = TRUE;
        return;
    }
    send_candidate(rl->room, rl, cand);
}

static HnWebrtcTransport *wt(RoomLeg *rl)
{
    return hn_webrtc_leg_transport(rl->leg);
}

/* Gives rl->leg an id, our callbacks and a transport in the router. */
static void leg_adopt(HnRoom *room, RoomLeg *rl)
{
    uint32_t id = ++room->next_leg;
    hn_leg_adopt(rl->leg, &leg_events, rl, id);
    hn_router_add_transport(room->router, id, g_random_int(), rl->leg);
    g_hash_table_insert(room->legs, GUINT_TO_POINTER(id), rl);
}

/* The worker a new subscriber leg's transport goes on, once the room has [media]
 * spread_subscribers subscriber legs: the one that carries the fewest of this room's subscribers
 * (the home worker's own counted as its load, ties to home: no hop), skipping workers that
 * admission control holds busy. NULL: the room's own. */
static HnWorker *spread_target(HnRoom *room)
{
    HnWorkerPool *pool = room->env.pool;
    if (!room->env.spread_subscribers || !pool || !room->env.mux ||
        !hn_worker_pool_has_relays(pool))
        return NULL;
    guint n = MIN(hn_worker_pool_size(pool), 64u), home = hn_worker_index(room->worker);
    guint per[64] = {0}, subs = 0;
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, room->legs);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        RoomLeg *rl = v;
        if (!rl->is_sub)
            continue;
        subs++;
        guint w = hn_spread_leg_is(rl->leg) ? hn_worker_index(hn_spread_leg_worker(rl->leg)) : home;
        if (w < n)
            per[w]++;
    }
    if (subs < room->env.spread_subscribers)
        return NULL;
    guint best = home;
    for (guint k = 1; k < n; k++) {
        guint w = (home + k) % n;
        if (per[w] < per[best] && !hn_worker_busy(hn_worker_pool_get(pool, w)))
            best = w;
    }
    return best == home ? NULL : hn_worker_pool_get(pool, best);
}

static RoomLeg *leg_open(HnRoom *room, RoomPeer *peer, gboolean is_sub)
{
    RoomLeg *rl = g_new0(RoomLeg, 1);
    rl->room = room;
    rl->peer = peer;
    rl->is_sub = is_sub;
    rl->pending = g_ptr_array_new_with_free_func(g_free);
    rl->early = g_ptr_array_new_with_free_func(g_free);
    HnWorker *remote = is_sub ? spread_target(room) : NULL;
    if (remote) {
        rl->leg = hn_spread_leg_new(room->worker, remote, room->env.ice, room->env.cert);
        if (rl->leg)
            g_message("room %s: p%" G_GUINT64_FORMAT " sub leg on worker %u (spread)", room->name,
                      peer->pid, hn_worker_index(remote));
    } else {
        rl->leg = hn_webrtc_leg_new(room->ctx, room->env.ice, room->env.mux, room->env.cert, is_sub,
                                    on_local_candidate);
    }
    if (!rl->leg) { /* no randomness for ICE credentials, or no agent: logged below */
        g_ptr_array_free(rl->pending, TRUE);
        g_ptr_array_free(rl->early, TRUE);
        g_free(rl);
        return NULL;
    }
    leg_adopt(room, rl);
    if (wt(rl))
        hn_webrtc_transport_start_gathering(wt(rl));
    return rl;
}

/* The peer's ICE and DTLS parameters, to the transport here or on its worker. */
static int leg_set_remote(RoomLeg *rl, const char *ufrag, const char *pwd, const char *fp_alg,
                          const char *fp, gboolean dtls_server)
{
    if (hn_spread_leg_is(rl->leg))
        return hn_spread_leg_set_remote(rl->leg, ufrag, pwd, fp_alg, fp, dtls_server);
    return hn_webrtc_transport_set_remote(wt(rl), ufrag, pwd, fp_alg, fp, dtls_server);
}

static int leg_restart_ice(RoomLeg *rl)
{
    if (hn_spread_leg_is(rl->leg))
        return hn_spread_leg_restart_ice(rl->leg);
    return hn_webrtc_transport_restart_ice(wt(rl));
}

/* Adds what went over a leg's wire to out. */
static void leg_add_stats(RoomLeg *rl, HnRoomStats *out)
{
    if (!wt(rl)) {
        HnLegStats ls;
        rl->leg->cls->get_stats(rl->leg, &ls);
        out->rx_packets += ls.rx_packets;
        out->rx_bytes += ls.rx_bytes;
        out->tx_packets += ls.tx_packets;
        out->tx_bytes += ls.tx_bytes;
        out->send_errors += ls.tx_errors;
        return;
    }
    HnWebrtcTransportStats ts;
    hn_webrtc_transport_get_stats(wt(rl), &ts);
    out->rx_packets += ts.rx_packets;
    out->rx_bytes += ts.rx_bytes;
    out->tx_packets += ts.tx_packets;
    out->tx_bytes += ts.tx_bytes;
    out->srtp_rx_errors += ts.rx_srtp_errors;
    out->srtp_tx_errors += ts.tx_srtp_errors;
    out->send_errors += ts.tx_send_errors;
    out->rx_not_ready += ts.rx_dropped_not_ready;
    out->rx_unknown += ts.rx_unknown;
}

/* Closes a leg: the model forgets what it carried, the router its transport. NULL ok. */
static void leg_close(HnRoom *room, RoomLeg *rl)
{
    if (!rl)
        return;
    uint32_t id = rl->leg->id;
    hn_room_model_leg_closed(room->model, id);
    leg_add_stats(rl, &room->closed);
    hn_router_remove_transport(room->router, id);
    g_hash_table_remove(room->legs, GUINT_TO_POINTER(id));
    hn_leg_destroy(rl->leg);
    g_ptr_array_free(rl->pending, TRUE);
    g_ptr_array_free(rl->early, TRUE);
    g_free(rl->remote_ufrag);
    g_free(rl->remote_fp);
    g_free(rl);
    arm_router_timer(room);
}

static void add_remote_candidate(HnRoom *room, RoomLeg *rl, const char *cand)
{
    const char *why = NULL;
    if (!wt(rl))
        return; /* a spread leg is ICE-lite: the peer's checks tell its addresses */
    if (hn_webrtc_transport_add_candidate(wt(rl), cand, &why) < 0)
        g_debug("room %s: p%" G_GUINT64_FORMAT ": candidate ignored: %s", room->name, rl->peer->pid,
                why);
}

/* The peer's description was applied: candidates embedded in it, then the early ones. */
static void remote_applied(HnRoom *room, RoomLeg *rl, const HnNegRemote *r)
{
    rl->remote_set = TRUE;
    for (guint i = 0; r->candidates && i < r->candidates->len; i++)
        add_remote_candidate(room, rl, r->candidates->pdata[i]);
    for (guint i = 0; i < rl->early->len; i++)
        add_remote_candidate(room, rl, rl->early->pdata[i]);
    g_ptr_array_set_size(rl->early, 0);
}

static void part_drop(HnRoom *room, RoomPeer *peer, const char *reason, gboolean kick);
static gboolean liveness_check(gpointer data);

static void leg_on_rtp(void *owner, HnLeg *leg, uint8_t *buf, size_t len)
{
    HnRoom *room = ((RoomLeg *)owner)->room;
    int64_t now = g_get_monotonic_time();
    if (hn_router_on_rtp(room->router, leg->id, buf, len, now) == -ENOENT && len >= 12 &&
        hn_room_model_learn_ssrc(room->model, leg->id, buf[1] & 0x7f,
                                 (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 |
                                     (uint32_t)buf[10] << 8 | buf[11]))
        hn_router_on_rtp(room->router, leg->id, buf, len, now);
    arm_router_timer(room);
}

static void leg_on_rtcp(void *owner, HnLeg *leg, uint8_t *buf, size_t len)
{
    HnRoom *room = ((RoomLeg *)owner)->room;
    hn_router_on_rtcp(room->router, leg->id, buf, len, g_get_monotonic_time());
    arm_router_timer(room);
}

static void leg_on_connected(void *owner, HnLeg *leg)
{
    RoomLeg *rl = owner;
    HnRoom *room = rl->room;
    HnWebrtcTransportStats st = {.srtp_profile = -1};
    if (wt(rl))
        hn_webrtc_transport_get_stats(wt(rl), &st);
    g_message("room %s: p%" G_GUINT64_FORMAT " %s leg connected (SRTP profile %d)", room->name,
              rl->peer->pid, rl->is_sub ? "sub" : "pub", st.srtp_profile);
    HnRoomOut o = {.type = HN_ROOM_OUT_CONNECTED, .sub = rl->is_sub};
    deliver(room, rl->peer->pid, &o);
    hn_room_model_leg_connected(room->model, leg->id);
    arm_router_timer(room);
}

static void leg_on_failed(void *owner, HnLeg *leg, const char *reason)
{
    RoomLeg *rl = owner;
    HnRoom *room = rl->room;
    if (g_ascii_strncasecmp(reason, "ice", 3) == 0)
        room->closed.ice_failures++;
    else if (!g_str_has_prefix(reason, "peer closed")) /* close_notify: a clean leave */
        room->closed.dtls_failures++;
    g_message("room %s: p%" G_GUINT64_FORMAT " %s leg failed: %s", room->name, rl->peer->pid,
              rl->is_sub ? "sub" : "pub", reason);
    /* A browser sends close_notify only when its page closes the peer connection (the leave
     * button, a closed tab): that participant left. The close often arrives before the `leave`
     * the page sent on its WebSocket, which the hub would report as "left" too. A crash or a
     * lost network sends nothing and ends in "disconnected" or "timeout". */
    part_drop(room, rl->peer, g_str_has_prefix(reason, "peer closed") ? "left" : "disconnected",
              TRUE);
}

static const HnLegEvents leg_events = {
    .on_rtp = leg_on_rtp,
    .on_rtcp = leg_on_rtcp,
    .on_connected = leg_on_connected,
    .on_failed = leg_on_failed,
};

/* An ICE-lite leg's candidates go in the SDP (the worker's sockets, known at once). */
static HnNegLocal local_params(HnRoom *room, RoomLeg *rl)
{
    if (hn_spread_leg_is(rl->leg))
        return (HnNegLocal){
            .ufrag = hn_spread_leg_ufrag(rl->leg),
            .pwd = hn_spread_leg_pwd(rl->leg),
            .fingerprint = hn_cert_fingerprint(room->env.cert),
            .ice_lite = TRUE,
            .candidates = hn_spread_leg_candidates(rl->leg),
        };
    HnWebrtcTransport *t = wt(rl);
    gboolean lite = hn_webrtc_transport_is_lite(t);
    return (HnNegLocal){
        .ufrag = hn_webrtc_transport_ufrag(t),
        .pwd = hn_webrtc_transport_pwd(t),
        .fingerprint = hn_cert_fingerprint(room->env.cert),
        .ice_lite = lite,
        .candidates = lite ? hn_udp_mux_candidates(room->env.mux) : NULL,
    };
}

/* --- the model's actions ------------------------------------------------------------------ */

/* A leg without offer/answer learns its streams from the view. */
static int send_streams(HnRoom *room, RoomPeer *peer)
{
    if (!peer->sub->leg->cls->set_streams)
        return 0;
    size_t n;
    const HnRoomSlot *slots = hn_room_model_offered(room->model, peer->pid, &n);
    HnLegStream *st = g_new0(HnLegStream, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const HnRoomSlot *s = &slots[i];
        if (!s->consumer_id || !s->in_router)
            continue;
        st[k++] = (HnLegStream){.ssrc = s->ssrc,
                                .pt = s->codec.pt,
                                .kind = (uint8_t)s->kind,
                                .codec = (uint8_t)s->codec.id,
                                .clock_rate = s->codec.clock_rate,
                                .participant = s->participant,
                                .track_id = s->track_id,
                                .source = (uint8_t)s->source};
    }
    peer->sub->leg->cls->set_streams(peer->sub->leg, st, k);
    g_free(st);
    return 0;
}

static int send_sub_offer(HnRoom *room, uint64_t pid)
{
    RoomPeer *peer = find(room, pid);
    if (!peer || !peer->sub)
        return -ENOENT;
    if (peer->attached)
        return send_streams(room, peer);
    size_t n;
    const HnRoomSlot *slots = hn_room_model_offered(room->model, pid, &n);
    HnRoomOfferTrack *tracks = g_new0(HnRoomOfferTrack, n + 1);
    size_t nt = 0;
    for (size_t i = 0; i < n; i++) {
        const HnRoomSlot *s = &slots[i];
        if (s->consumer_id && !s->rejected)
            tracks[nt++] = (HnRoomOfferTrack){
                .mid = s->mid, .participant = s->participant, .kind = s->kind, .source = s->source};
    }
    GError *err = NULL;
    HnNegLocal local = local_params(room, peer->sub);
    char *sdp = hn_neg_sub_offer(&local, slots, n, ++peer->sub_version, &err);
    int rc = 0;
    if (!sdp) {
        reply_error(room, pid, HN_ROOM_ERR_LIMIT, err->message, "offer", NULL);
        g_error_free(err);
        rc = -E2BIG;
    } else {
        HnRoomOut o = {.type = HN_ROOM_OUT_OFFER, .sdp = sdp, .tracks = tracks, .n_tracks = nt};
        deliver(room, pid, &o);
        if (!peer->sub->desc_sent)
            flush_local_candidates(room, peer->sub);
    }
    g_free(sdp);
    g_free(tracks);
    return rc;
}

/* The publisher's RTX of a producer just added or rebound; a refusal leaves it without RTX
 * (NACKs still work when the publisher answers with plain retransmissions). */
static int producer_rtx(HnRoom *room, HnRouter *r, const HnRoomAction *a)
{
    /* a shared screen comes first in each subscriber's downlink, after audio */
    hn_router_set_producer_priority(r, a->producer_id,
                                    a->source == HN_SOURCE_SCREEN ? HN_ROUTER_PRIO_HIGH
                                                                  : HN_ROUTER_PRIO_NORMAL);
    if (hn_router_set_producer_rtx(r, a->producer_id, a->rtx_pt, a->rtx_ssrc) < 0)
        g_warning("room: producer %u: RTX %u/%u refused", a->producer_id, a->rtx_pt, a->rtx_ssrc);
    /* simulcast: the layers' SSRCs are signalled or learnt from their rid (core/router.h) */
    if (a->sim && a->sim->n_layers && hn_router_set_producer_layers(r, a->producer_id, a->sim) < 0)
        g_warning("room: producer %u: simulcast layers refused, one stream", a->producer_id);
    else if (a->sim && a->sim->n_layers && a->sim->rids[0][0]) {
        SimPub *sp = g_new0(SimPub, 1);
        sp->pid = a->pid;
        g_strlcpy(sp->mid, a->mid ? a->mid : "", sizeof sp->mid);
        sp->sim = *a->sim;
        hn_sim_pause_init(&sp->pause, a->sim->n_layers);
        g_hash_table_replace(room->simpubs, GUINT_TO_POINTER(a->producer_id), sp);
    }
    return 0;
}

/* Audio producers are shed last when the worker is behind (transport/udp_mux.h). */
static void mark_audio(HnRoom *room, const HnRoomAction *a)
{
    RoomLeg *rl = g_hash_table_lookup(room->legs, GUINT_TO_POINTER(a->leg_id));
    if (rl && rl->leg && a->codec && a->codec->kind == HN_KIND_AUDIO && rl->leg->cls->mark_audio)
        rl->leg->cls->mark_audio(rl->leg, a->ssrc);
}

static int model_apply(void *user, const HnRoomAction *a)
{
    HnRoom *room = user;
    HnRouter *r = room->router;
    int rc;
    switch (a->type) {
    case HN_RA_ADD_PRODUCER:
        rc = hn_router_add_producer(r, a->producer_id, a->leg_id, a->codec, a->ssrc);
        if (rc == 0)
            mark_audio(room, a);
        return rc == 0 ? producer_rtx(room, r, a) : rc;
    case HN_RA_REBIND_PRODUCER:
        rc = hn_router_rebind_producer(r, a->producer_id, a->leg_id, a->ssrc);
        if (rc == 0)
            mark_audio(room, a);
        return rc == 0 ? producer_rtx(room, r, a) : rc;
    case HN_RA_REMOVE_PRODUCER:
        hn_router_remove_producer(r, a->producer_id);
        g_hash_table_remove(room->simpubs, GUINT_TO_POINTER(a->producer_id));
        return 0;
    case HN_RA_ADD_CONSUMER:
        rc = hn_router_add_consumer(r, a->consumer_id, a->producer_id, a->leg_id, a->ssrc, a->pt);
        if (rc == 0 && a->rtx_pt &&
            hn_router_set_consumer_rtx(r, a->consumer_id, a->rtx_pt, a->rtx_ssrc) < 0)
            g_warning("room: consumer %u: RTX %u/%u refused, plain retransmissions", a->consumer_id,
                      a->rtx_pt, a->rtx_ssrc);
        return rc;
    case HN_RA_REMOVE_CONSUMER:
        hn_router_remove_consumer(r, a->consumer_id);
        return 0;
    case HN_RA_PAUSE_CONSUMER:
        return hn_router_set_consumer_paused(r, a->consumer_id, a->paused);
    case HN_RA_REQUEST_KEYFRAME:
        return hn_router_request_keyframe(r, a->producer_id, g_get_monotonic_time());
    case HN_RA_SEND_SUB_OFFER:
        return send_sub_offer(room, a->pid);
    case HN_RA_START_TRANSCODE:
        return hn_room_transcodes_start(room->transcodes, a, ++room->next_leg);
    case HN_RA_STOP_TRANSCODE:
        hn_room_transcodes_stop(room->transcodes, a->derived_id);
        return 0;
    }
    return -EINVAL;
}

static void record_event(HnRoom *room, const HnRoomEvent *ev);

/* Room events: to every other participant who sees the roster, and once to the observers. */
static void model_event(void *user, const HnRoomEvent *ev)
{
    HnRoom *room = user;
    if (ev->type == HN_RE_VIDEO_PAUSED) { /* one viewer's own business */
        HnRoomOut o = {.type = HN_ROOM_OUT_EVENT, .event = ev};
        RoomPeer *to = find(room, ev->to);
        if (to && !to->attached)
            deliver(room, ev->to, &o);
        return;
    }
    record_event(room, ev);
    if (room->env.observe)
        room->env.observe(room->env.user, room->name, ev);
    if (ev->part_kind == HN_PART_RECORDER)
        return; /* invisible in the roster */
    uint64_t pids[256], *all = pids;
    size_t n = hn_room_model_roster(room->model, pids, G_N_ELEMENTS(pids));
    if (n > G_N_ELEMENTS(pids)) {
        all = g_new(uint64_t, n);
        hn_room_model_roster(room->model, all, n);
    }
    HnRoomOut o = {.type = HN_ROOM_OUT_EVENT, .event = ev};
    for (size_t i = 0; i < n; i++)
        if (all[i] != ev->pid || ev->type == HN_RE_ACTIVE_SPEAKER)
            deliver(room, all[i], &o);
    if (all != pids)
        g_free(all);
}

static const HnRoomModelOps model_ops = {.apply = model_apply, .on_event = model_event};

/* --- active speaker ----------------------------------------------------------------------- */

/* Router tap: the level of each audio packet, read before the router strips the extensions. */
static void speaker_tap(void *user, uint32_t producer_id, const HnTapPacket *p, int64_t now_us)
{
    HnRoom *room = user;
    if (p->kind != HN_KIND_AUDIO)
        return;
    const LevelSource *src = g_hash_table_lookup(room->levels, GUINT_TO_POINTER(producer_id));
    HnRtpHeader h;
    uint8_t level;
    bool voice;
    if (src && hn_rtp_parse(p->buf, p->len, &h) == 0 &&
        hn_rtp_audio_level(p->buf, &h, src->ext_id, &level, &voice) == 0)
        hn_speaker_on_level(room->speaker, src->pid, level, voice, now_us);
}

static gboolean level_of_pid(gpointer key, gpointer value, gpointer pid)
{
    (void)key;
    return ((LevelSource *)value)->pid == *(uint64_t *)pid;
}

/* The audio producers of pid whose level is read: those of its latest publish (none: n 0). */
static void speaker_sources(HnRoom *room, uint64_t pid, const HnNegTrack *tracks, size_t n)
{
    g_hash_table_foreach_remove(room->levels, level_of_pid, &pid);
    for (size_t i = 0; i < n; i++) {
        uint32_t producer = hn_room_model_producer_of(room->model, pid, tracks[i].mid);
        if (tracks[i].kind != HN_KIND_AUDIO || !tracks[i].ext_audio_level || !producer)
            continue;
        LevelSource *src = g_new(LevelSource, 1);
        *src = (LevelSource){.pid = pid, .ext_id = tracks[i].ext_audio_level};
        g_hash_table_replace(room->levels, GUINT_TO_POINTER(producer), src);
    }
}

/* The ids of those speaking in u (those still in the room), into ids; how many. */
static size_t speaker_ids(HnRoom *room, const HnSpeakerUpdate *u,
                          const char *ids[HN_SPEAKER_MAX_LIST])
{
    size_t n = 0;
    for (size_t i = 0; i < u->n_speaking && n < HN_SPEAKER_MAX_LIST; i++) {
        const char *id = hn_room_model_participant_id(room->model, u->speaking[i]);
        if (id)
            ids[n++] = id;
    }
    return n;
}

/* The detector's update: an ACTIVE_SPEAKER event to every participant (and the observers). */
static void speaker_update(void *user, const HnSpeakerUpdate *u, int64_t now_us)
{
    (void)now_us;
    HnRoom *room = user;
    room->speaker_last = *u; /* its speaking list is valid during the call only: copied */
    room->speaker_last.n_speaking = MIN(u->n_speaking, (size_t)HN_SPEAKER_MAX_LIST);
    if (room->speaker_last.n_speaking)
        memcpy(room->speaker_last_speaking, u->speaking,
               room->speaker_last.n_speaking * sizeof *u->speaking);
    room->speaker_last.speaking = room->speaker_last_speaking;
    const char *ids[HN_SPEAKER_MAX_LIST];
    size_t n = speaker_ids(room, u, ids);
    const char *dominant =
        u->dominant ? hn_room_model_participant_id(room->model, u->dominant) : NULL;
    /* last-N follows the dominant speaker (stable: a challenger must hold 1 s), not everyone
     * speaking now, whose set moves with every cough */
    if (u->dominant)
        hn_room_model_spoke(room->model, u->dominant);
    HnRoomEvent ev = {.type = HN_RE_ACTIVE_SPEAKER,
                      .pid = dominant ? u->dominant : 0,
                      .participant_id = dominant,
                      .speaking = ids,
                      .n_speaking = n};
    model_event(room, &ev);
}

/* Tells a newcomer who holds the floor (the last update, if a speaker holds it): the updates go
 * out on change only, so one who joined after it would see nobody speaking until the next. */
static void speaker_tell(HnRoom *room, uint64_t pid)
{
    const HnSpeakerUpdate *u = &room->speaker_last;
    const char *dominant =
        u->dominant ? hn_room_model_participant_id(room->model, u->dominant) : NULL;
    if (!dominant)
        return;
    const char *ids[HN_SPEAKER_MAX_LIST];
    size_t n = speaker_ids(room, u, ids);
    HnRoomEvent ev = {.type = HN_RE_ACTIVE_SPEAKER,
                      .pid = u->dominant,
                      .participant_id = dominant,
                      .speaking = ids,
                      .n_speaking = n};
    HnRoomOut o = {.type = HN_ROOM_OUT_EVENT, .event = &ev};
    deliver(room, pid, &o);
}

/* --- public API --------------------------------------------------------------------------- */

HnRoom *hn_room_new(HnWorker *worker, const char *name, const HnRoomEnv *env)
{
    HnRoom *room = g_new0(HnRoom, 1);
    room->worker = worker;
    room->ctx = g_main_context_ref(hn_worker_context(worker));
    room->name = g_strdup(name);
    room->env = *env;
    room->peers = g_hash_table_new(g_int64_hash, g_int64_equal);
    room->legs = g_hash_table_new(NULL, NULL);
    room->router = hn_router_new(NULL, room);
    room->speaker = hn_speaker_new(NULL, speaker_update, room);
    room->levels = g_hash_table_new_full(NULL, NULL, NULL, g_free);
    room->simpubs = g_hash_table_new_full(NULL, NULL, NULL, g_free);
    room->tracks = g_hash_table_new_full(NULL, NULL, NULL, g_free);
    hn_router_add_tap(room->router, &(HnRouterTap){.on_rtp = speaker_tap}, room);
    room->transcodes = hn_room_transcodes_new(room->router, room->ctx, name, kick_router, room);
    /* SSRCs travel in clear and need only be distinct per leg, not secret: GRand seeds them */
    room->model =
        hn_room_model_new(&model_ops, room, ((uint64_t)g_random_int() << 32) | g_random_int());
    hn_room_model_set_max_sections(room->model, env->max_sections);
    hn_room_model_set_last_n(room->model, env->last_n);
    room->router_armed = -1;
    room->router_timer = g_source_new(&router_timer_funcs, sizeof(GSource));
    g_source_set_callback(room->router_timer, NULL, room, NULL);
    g_source_attach(room->router_timer, room->ctx);
    return room;
}

static gboolean liveness_check(gpointer data);

const uint64_t hn_room_link_bounds_bps[HN_ROOM_LINK_BUCKETS - 1] = {
    100000, 250000, 500000, 750000, 1000000, 1500000, 2500000, 5000000,
};

static const char *const estimate_source_names[] = {"none", "hint", "remb", "twcc"};

/* Every HN_ROOM_LINK_INTERVAL_MS: each browser participant's downlink estimate (its sub
 * connection) goes to them as "link" and into the room's histogram. */
static gboolean link_report(gpointer data)
{
    HnRoom *room = data;
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, room->peers);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        RoomPeer *p = v;
        HnTransportBwe b;
        if (p->attached || !p->sub || !hn_leg_is_connected(p->sub->leg) ||
            hn_router_get_transport_bwe(room->router, p->sub->leg->id, &b) < 0 ||
            b.estimate_bps == 0 || (unsigned)b.source >= G_N_ELEMENTS(estimate_source_names))
            continue;
        HnRoomLinkStats *ls = &room->closed.link;
        int k = 0;
        while (k < HN_ROOM_LINK_BUCKETS - 1 && b.estimate_bps > hn_room_link_bounds_bps[k])
            k++;
        ls->buckets[k]++;
        ls->count++;
        ls->sum_bps += b.estimate_bps;
        ls->by_source[b.source]++;
        HnRoomOut o = {.type = HN_ROOM_OUT_LINK,
                       .link_bps = b.estimate_bps,
                       .link_source = estimate_source_names[b.source],
                       .link_loss = b.transport_cc ? b.loss : 0};
        deliver(room, p->pid, &o);
    }
    return G_SOURCE_CONTINUE;
}

void hn_room_join(HnRoom *room, uint64_t pid, const char *name, HnRole role, const char *req_id)
{
    if (find(room, pid))
        return;
    RoomPeer *peer = g_new0(RoomPeer, 1);
    peer->pid = pid;
    peer->early_pub = g_ptr_array_new_with_free_func(g_free);
    g_hash_table_insert(room->peers, &peer->pid, peer);
    peer->sub = leg_open(room, peer, TRUE);
    if (!peer->sub) {
        reply_error(room, pid, HN_ROOM_ERR_INTERNAL, "cannot open a peer connection", "join",
                    req_id);
        g_hash_table_remove(room->peers, &peer->pid);
        g_ptr_array_free(peer->early_pub, TRUE);
        g_free(peer);
        room->env.kick(room->env.user, pid, "internal error");
        return;
    }
    /* "joined" with the roster goes out before anything the join makes the model say */
    size_t n = hn_room_model_roster(room->model, NULL, 0);
    uint64_t *pids = g_new(uint64_t, n + 1);
    hn_room_model_roster(room->model, pids, n);
    HnRoomMember *members = g_new0(HnRoomMember, n + 1);
    for (size_t i = 0; i < n; i++)
        members[i] = (HnRoomMember){.id = hn_room_model_participant_id(room->model, pids[i]),
                                    .name = hn_room_model_name(room->model, pids[i]),
                                    .role = hn_room_model_role(room->model, pids[i])};
    char self[HN_ROOM_ID_MAX];
    g_snprintf(self, sizeof self, "p%" G_GUINT64_FORMAT, pid);
    HnRoomOut o = {.type = HN_ROOM_OUT_JOINED,
                   .self_id = self,
                   .room = room->name,
                   .self_role = role,
                   .members = members,
                   .n_members = n,
                   .req_id = req_id};
    deliver(room, pid, &o);
    g_free(members);
    g_free(pids);

    hn_room_model_join(room->model, pid, name, role, HN_PART_BROWSER, FALSE);
    hn_room_model_set_sub_leg(room->model, pid, peer->sub->leg->id);
    speaker_tell(room, pid);
    g_message("room %s: p%" G_GUINT64_FORMAT " joined (%u participants)", room->name, pid,
              hn_room_model_count(room->model));
    if (!room->liveness) {
        room->liveness = g_timeout_source_new(1000);
        g_source_set_callback(room->liveness, liveness_check, room, NULL);
        g_source_attach(room->liveness, room->ctx);
    }
    if (!room->link_timer) {
        room->link_timer = g_timeout_source_new(HN_ROOM_LINK_INTERVAL_MS);
        g_source_set_callback(room->link_timer, link_report, room, NULL);
        g_source_attach(room->link_timer, room->ctx);
    }
    arm_router_timer(room);
}

/* The accepted sections of a publish offer as the model takes them. */
static size_t tracks_of(const HnNegPublish *res, const char *screen_mid, HnRoomTrackDesc *out,
                        size_t max)
{
    size_t n = 0;
    gboolean video_seen = FALSE;
    for (size_t i = 0; i < res->n_tracks && n < max; i++) {
        const HnNegTrack *t = &res->tracks[i];
        HnRoomTrackDesc *d = &out[n++];
        memset(d, 0, sizeof *d);
        g_strlcpy(d->mid, t->mid, sizeof d->mid);
        d->kind = t->kind;
        d->codec = t->codec;
        d->ssrc = t->ssrc;
        d->rtx_pt = t->rtx_pt;
        d->rtx_ssrc = t->rtx_ssrc;
        d->sim = t->sim;
        /* the section the client named is the shared screen; a client that names none: the
         * first video is the camera, a second one a shared screen */
        if (t->kind == HN_KIND_AUDIO)
            d->source = HN_SOURCE_MICROPHONE;
        else if (screen_mid)
            d->source = strcmp(t->mid, screen_mid) == 0 ? HN_SOURCE_SCREEN : HN_SOURCE_CAMERA;
        else
            d->source = video_seen ? HN_SOURCE_SCREEN : HN_SOURCE_CAMERA;
        video_seen |= t->kind == HN_KIND_VIDEO;
    }
    return n;
}

/* One presenter at a time: pid now shares a screen (or stopped: has_screen FALSE). A previous
 * presenter is told to stop ("share-stopped"); its client removes its share. */
static void presenter_update(HnRoom *room, uint64_t pid, gboolean has_screen)
{
    if (!has_screen) {
        if (room->presenter == pid)
            room->presenter = 0;
        return;
    }
    if (room->presenter && room->presenter != pid && find(room, room->presenter)) {
        char by[24];
        g_snprintf(by, sizeof by, "p%" G_GUINT64_FORMAT, pid);
        HnRoomOut o = {.type = HN_ROOM_OUT_SHARE_STOPPED, .self_id = by};
        deliver(room, room->presenter, &o);
        g_message("room %s: p%" G_GUINT64_FORMAT
                  " takes the screen share over from p%" G_GUINT64_FORMAT,
                  room->name, pid, room->presenter);
    }
    room->presenter = pid;
}

void hn_room_publish(HnRoom *room, uint64_t pid, const char *sdp, const char *screen_mid,
                     const char *req_id)
{
    RoomPeer *peer = find(room, pid);
    if (!peer)
        return;
    GError *err = NULL;
    HnNegPublish res;
    HnNegOffer *offer = hn_neg_parse_offer(sdp, &err);
    if (!offer) {
        reply_error(room, pid, HN_ROOM_ERR_BAD_SDP, err->message, "publish", req_id);
        g_error_free(err);
        return;
    }
    /* A new ICE ufrag means a new connection: the producers move to it once it is accepted;
     * until then the old one keeps carrying media. */
    RoomLeg *old = peer->pub, *leg = peer->pub;
    const char *ufrag = hn_neg_offer_ufrag(offer);
    gboolean restarted = FALSE;
    if (leg && leg->remote_ufrag && g_strcmp0(ufrag, leg->remote_ufrag) != 0) {
        /* The same DTLS fingerprint: the same RTCPeerConnection restarting ICE (restartIce(),
         * a network change). Restarted in place: DTLS and SRTP go on, no new handshake. */
        restarted = leg->remote_fp &&
                    g_strcmp0(hn_neg_offer_fingerprint(offer), leg->remote_fp) == 0 &&
                    leg_restart_ice(leg) == 0;
        if (!restarted)
            leg = leg_open(room, peer, FALSE);
    } else if (!leg) {
        leg = leg_open(room, peer, FALSE);
    }
    if (restarted) {
        room->closed.ice_restarts++;
        g_message("room %s: p%" G_GUINT64_FORMAT " pub: ICE restart", room->name, pid);
    }
    if (!leg) {
        reply_error(room, pid, HN_ROOM_ERR_INTERNAL, "cannot open a peer connection", "publish",
                    req_id);
        hn_neg_offer_free(offer);
        return;
    }
    HnNegLocal local = local_params(room, leg);
    char *answer = hn_neg_answer_publish(offer, &local, &res, &err);
    const char *fail = NULL;
    HnRoomError code = HN_ROOM_ERR_BAD_SDP;
    if (!answer) {
        if (g_error_matches(err, HN_NEG_ERROR, HN_NEG_ERROR_TOO_MANY))
            code = HN_ROOM_ERR_LIMIT;
        reply_error(room, pid, code, err->message, "publish", req_id);
        g_error_free(err);
        goto out;
    }
    HnRoomTrackDesc tracks[HN_NEG_MAX_TRACKS];
    size_t n = tracks_of(&res, screen_mid, tracks, G_N_ELEMENTS(tracks));
    if (leg_set_remote(leg, res.remote.ufrag, res.remote.pwd, res.remote.fp_alg, res.remote.fp,
                       res.remote.dtls_server) < 0) {
        fail = "unusable ICE or DTLS parameters";
    } else {
        int rc = hn_room_model_publish(room->model, pid, leg->leg->id, tracks, n);
        for (int k = HN_KIND_AUDIO; rc >= 0 && k <= HN_KIND_VIDEO; k++)
            if (peer->muted & (1u << k)) /* a track new since the chair's mute */
                hn_room_model_mute(room->model, 0, pid, (HnKind)k, true);
        if (rc == -EPERM) {
            fail = "this participant may not publish";
            code = HN_ROOM_ERR_FORBIDDEN;
        } else if (rc >= 0 && (size_t)rc < n) {
            char *msg = g_strdup_printf("a participant may publish at most %d tracks: %zu of %zu "
                                        "were refused",
                                        HN_ROOM_TRACKS_MAX, n - (size_t)rc, n);
            reply_error(room, pid, HN_ROOM_ERR_LIMIT, msg, "publish", NULL);
            g_free(msg);
        }
    }
    if (fail) {
        reply_error(room, pid, code, fail, "publish", req_id);
        goto out;
    }
    speaker_sources(room, pid, res.tracks, res.n_tracks);
    gboolean has_screen = FALSE;
    for (size_t i = 0; i < n; i++)
        has_screen |= tracks[i].source == HN_SOURCE_SCREEN;
    presenter_update(room, pid, has_screen);
    for (size_t i = 0; i < res.n_tracks; i++) { /* one id per BUNDLE: the first one found */
        if (res.tracks[i].ext_transport_cc) {
            hn_router_set_transport_cc_feedback(room->router, leg->leg->id,
                                                res.tracks[i].ext_transport_cc);
            break;
        }
    }
    HnRoomOut o = {.type = HN_ROOM_OUT_ANSWER, .sdp = answer, .req_id = req_id};
    deliver(room, pid, &o);
    if (!leg->desc_sent)
        flush_local_candidates(room, leg);
    if (!leg->remote_ufrag || restarted) {
        g_free(leg->remote_ufrag);
        leg->remote_ufrag = g_strdup(res.remote.ufrag);
    }
    if (!leg->remote_fp)
        leg->remote_fp = g_strdup(res.remote.fp);
    for (guint i = 0; i < peer->early_pub->len; i++)
        g_ptr_array_add(leg->early, g_strdup(peer->early_pub->pdata[i]));
    g_ptr_array_set_size(peer->early_pub, 0);
    remote_applied(room, leg, &res.remote);
    if (leg != old) {
        peer->pub = leg;
        leg_close(room, old); /* its producers were rebound to the new leg */
        old = leg;
    }
out:
    if (leg != old)
        leg_close(room, leg); /* a new connection that failed: the old one goes on */
    if (answer)
        hn_neg_publish_clear(&res);
    hn_neg_offer_free(offer);
    g_free(answer);
    arm_router_timer(room);
}

void hn_room_sub_answer(HnRoom *room, uint64_t pid, const char *sdp, const char *req_id)
{
    RoomPeer *peer = find(room, pid);
    if (!peer)
        return;
    if (!hn_room_model_offer_pending(room->model, pid) || !peer->sub) {
        reply_error(room, pid, HN_ROOM_ERR_BAD_STATE, "no offer is waiting for an answer", "answer",
                    req_id);
        return;
    }
    size_t n;
    const HnRoomSlot *slots = hn_room_model_offered(room->model, pid, &n);
    /* a copy: the SDP layer marks in it the sections the client rejected */
    HnNegSlot *ns = g_new0(HnNegSlot, n + 1);
    if (n)
        memcpy(ns, slots, n * sizeof *ns);
    GError *err = NULL;
    HnNegRemote remote;
    if (!hn_neg_check_sub_answer(sdp, ns, n, &remote, &err)) {
        reply_error(room, pid, HN_ROOM_ERR_BAD_SDP, err->message, "answer", req_id);
        g_error_free(err);
        g_free(ns);
        return;
    }
    bool *rej = g_new0(bool, 2 * n + 1), *no_rtx = rej + n;
    for (size_t i = 0; i < n; i++) {
        rej[i] = ns[i].rejected;
        no_rtx[i] = slots[i].rtx_pt && !ns[i].rtx_pt; /* the client dropped RTX */
    }
    /* An answer that rejects every m= section carries no transport: nothing to connect. */
    gboolean usable = remote.ufrag && remote.ufrag[0] && remote.fp && remote.fp[0];
    if (usable && !peer->sub->remote_set) {
        if (leg_set_remote(peer->sub, remote.ufrag, remote.pwd, remote.fp_alg, remote.fp,
                           remote.dtls_server) < 0)
            reply_error(room, pid, HN_ROOM_ERR_BAD_SDP, "unusable ICE or DTLS parameters", "answer",
                        req_id);
        else
            remote_applied(room, peer->sub, &remote);
    } else if (peer->sub->remote_set) {
        for (guint i = 0; remote.candidates && i < remote.candidates->len; i++)
            add_remote_candidate(room, peer->sub, remote.candidates->pdata[i]);
    }
    if (remote.transport_cc) /* the downlink estimator (router_bwe.c) */
        hn_router_set_transport_cc(room->router, peer->sub->leg->id, remote.transport_cc, NULL);
    hn_neg_remote_clear(&remote);
    hn_room_model_sub_answer_rtx(room->model, pid, no_rtx, n);
    hn_room_model_sub_answer(room->model, pid, rej, n);
    g_free(rej);
    g_free(ns);
    arm_router_timer(room);
}

void hn_room_candidate(HnRoom *room, uint64_t pid, gboolean sub, const char *candidate,
                       const char *req_id)
{
    RoomPeer *peer = find(room, pid);
    if (!peer)
        return;
    RoomLeg *rl = sub ? peer->sub : peer->pub;
    if (rl && rl->remote_set) {
        add_remote_candidate(room, rl, candidate);
        return;
    }
    /* Before its description: kept, and used once the description is applied. */
    GPtrArray *q = rl ? rl->early : peer->early_pub;
    if (q->len >= EARLY_CANDIDATES_MAX) {
        room->closed.dropped_candidates++;
        reply_error(room, pid, HN_ROOM_ERR_LIMIT, "too many candidates before the description",
                    "candidate", req_id);
        return;
    }
    room->closed.queued_candidates++;
    g_ptr_array_add(q, g_strdup(candidate ? candidate : ""));
}

void hn_room_restart_ice(HnRoom *room, uint64_t pid, const char *req_id)
{
    RoomPeer *peer = find(room, pid);
    if (!peer)
        return;
    if (!peer->sub || peer->attached || !peer->sub->remote_set) {
        reply_error(room, pid, HN_ROOM_ERR_BAD_STATE, "no subscriber connection to restart",
                    "restart-ice", req_id);
        return;
    }
    int rc = leg_restart_ice(peer->sub);
    if (rc < 0) {
        reply_error(room, pid, rc == -ENOTSUP ? HN_ROOM_ERR_BAD_STATE : HN_ROOM_ERR_INTERNAL,
                    rc == -ENOTSUP ? "ICE restart needs [media] ice_lite = true"
                                   : "the connection cannot be restarted",
                    "restart-ice", req_id);
        return;
    }
    room->closed.ice_restarts++;
    g_message("room %s: p%" G_GUINT64_FORMAT " sub: ICE restart", room->name, pid);
    /* the next offer carries the new credentials (after the answer to one that is out) */
    hn_room_model_request_offer(room->model, pid);
    arm_router_timer(room);
}

int hn_room_attach(HnRoom *room, uint64_t pid, const char *name, HnRole role, HnPartKind kind,
                   HnLeg *leg, const HnRoomTrackDesc *tracks, size_t n)
{
    if (find(room, pid)) {
        hn_leg_destroy(leg);
        return -EEXIST;
    }
    RoomPeer *peer = g_new0(RoomPeer, 1);
    peer->pid = pid;
    peer->attached = TRUE;
    peer->early_pub = g_ptr_array_new_with_free_func(g_free);
    g_hash_table_insert(room->peers, &peer->pid, peer);
    RoomLeg *rl = g_new0(RoomLeg, 1);
    rl->room = room;
    rl->peer = peer;
    rl->is_sub = TRUE;
    rl->leg = leg;
    rl->remote_set = TRUE;
    rl->pending = g_ptr_array_new_with_free_func(g_free);
    rl->early = g_ptr_array_new_with_free_func(g_free);
    leg_adopt(room, rl);
    peer->sub = rl;
    hn_room_model_join_leg(room->model, pid, name, role, kind, leg->id);
    int rc = 0;
    if (n)
        rc = hn_room_model_publish(room->model, pid, leg->id, tracks, n);
    g_message("room %s: p%" G_GUINT64_FORMAT " attached on a %s leg (%u participants)", room->name,
              pid, leg->cls->name, hn_room_model_count(room->model));
    if (!room->liveness) {
        room->liveness = g_timeout_source_new(1000);
        g_source_set_callback(room->liveness, liveness_check, room, NULL);
        g_source_attach(room->liveness, room->ctx);
    }
    arm_router_timer(room);
    return rc < 0 ? rc : 0;
}

int hn_room_request_keyframe(HnRoom *room, uint64_t pid, const char *mid)
{
    uint32_t producer = hn_room_model_producer_of(room->model, pid, mid);
    if (!producer)
        return -ENOENT;
    int rc = hn_router_request_keyframe(room->router, producer, g_get_monotonic_time());
    arm_router_timer(room);
    return rc;
}

static void part_drop(HnRoom *room, RoomPeer *peer, const char *reason, gboolean kick)
{
    HnLeaveReason why = strcmp(reason, "timeout") == 0        ? HN_LEAVE_TIMEOUT
                        : strcmp(reason, "disconnected") == 0 ? HN_LEAVE_DISCONNECTED
                                                              : HN_LEAVE_LEFT;
    uint64_t pid = peer->pid;
    gboolean attached = peer->attached;
    presenter_update(room, pid, FALSE);
    hn_room_model_leave(room->model, pid, why);
    speaker_sources(room, pid, NULL, 0);
    hn_speaker_remove(room->speaker, pid);
    g_hash_table_remove(room->peers, &pid);
    leg_close(room, peer->pub);
    leg_close(room, peer->sub);
    g_ptr_array_free(peer->early_pub, TRUE);
    g_free(peer);
    g_message("room %s: p%" G_GUINT64_FORMAT " left (%s, %u participants)", room->name, pid, reason,
              hn_room_model_count(room->model));
    if (kick && !attached)
        room->env.kick(room->env.user, pid, reason);
}

void hn_room_leave(HnRoom *room, uint64_t pid, const char *reason)
{
    RoomPeer *peer = find(room, pid);
    if (peer)
        part_drop(room, peer, reason ? reason : "left", FALSE);
}

/* Microseconds since the leg last received anything, or -1 when it is not connected. */
static int64_t leg_silence(RoomLeg *rl, int64_t now)
{
    if (!rl || !hn_leg_is_connected(rl->leg))
        return -1;
    return now - hn_leg_last_rx_us(rl->leg);
}

/* A participant is gone when every connected leg of theirs has received nothing for
 * consent_timeout. One silent leg alone is not enough: a client that only receives on `sub`
 * sends RTCP there every few seconds at most (GStreamer's rtpsession: up to 7.5 s). */
/* Once a second: each simulcast publisher is told which layers someone watches (debounced by
 * core/simulcast.h HnSimPause); its client pauses the others. */
static void layers_check(HnRoom *room, int64_t now)
{
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, room->simpubs);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        SimPub *sp = v;
        unsigned mask, n;
        if (hn_router_get_wanted_layers(room->router, GPOINTER_TO_UINT(k), &mask, &n) < 0 ||
            !hn_sim_pause_update(&sp->pause, mask, now))
            continue;
        const char *rids[HN_SIM_MAX_LAYERS];
        size_t nr = 0;
        for (unsigned i = 0; i < sp->sim.n_layers; i++)
            if (sp->pause.active & (1u << i))
                rids[nr++] = sp->sim.rids[i];
        HnRoomOut o = {.type = HN_ROOM_OUT_LAYERS, .mid = sp->mid, .rids = rids, .n_rids = nr};
        deliver(room, sp->pid, &o);
        room->closed.layer_updates++;
    }
}

int hn_room_set_muted(HnRoom *room, uint64_t pid, HnKind kind, gboolean muted)
{
    RoomPeer *peer = find(room, pid);
    if (!peer)
        return -ENOENT;
    peer->muted = muted ? peer->muted | (1u << kind) : peer->muted & ~(1u << kind);
    return hn_room_model_mute(room->model, 0, pid, kind, muted);
}

void hn_room_view(HnRoom *room, uint64_t pid, const HnRoomTile *tiles, size_t n)
{
    size_t ns;
    const HnRoomSlot *slots = hn_room_model_offered(room->model, pid, &ns);
    int64_t now = g_get_monotonic_time();
    for (size_t i = 0; i < ns; i++) {
        const HnRoomSlot *s = &slots[i];
        /* the offered snapshot: in_router is as it was when offered, so it is not looked at */
        if (s->kind != HN_KIND_VIDEO || !s->consumer_id)
            continue;
        unsigned w = 1, h = 1; /* not shown: the lowest layer */
        for (size_t k = 0; k < n; k++) {
            if (strcmp(tiles[k].participant, s->participant) == 0) {
                w = tiles[k].width;
                h = tiles[k].height;
                break;
            }
        }
        /* -ENOENT: not in the router yet; the client sends its view again every 3 s */
        hn_router_set_consumer_view(room->router, s->consumer_id, w ? w : 1, h ? h : 1, now);
    }
    arm_router_timer(room);
}

static gboolean liveness_check(gpointer data)
{
    HnRoom *room = data;
    int64_t now = g_get_monotonic_time();
    layers_check(room, now);
    int64_t limit = (int64_t)room->env.consent_timeout_s * G_USEC_PER_SEC;
    int64_t grace = (int64_t)room->env.ice_restart_grace_s * G_USEC_PER_SEC;
    GList *peers = g_hash_table_get_values(room->peers);
    for (GList *l = peers; l; l = l->next) {
        RoomPeer *p = l->data;
        if (p->attached)
            continue; /* its gateway or recorder watches it */
        int64_t pub = leg_silence(p->pub, now), sub = leg_silence(p->sub, now);
        gboolean any = pub >= 0 || sub >= 0;
        gboolean alive = (pub >= 0 && pub <= limit) || (sub >= 0 && sub <= limit);
        gboolean gone = (pub < 0 || pub > limit + grace) && (sub < 0 || sub > limit + grace);
        if (any && gone) {
            g_message("room %s: p%" G_GUINT64_FORMAT ": media silent for %d s", room->name, p->pid,
                      room->env.consent_timeout_s + room->env.ice_restart_grace_s);
            part_drop(room, p, "disconnected", TRUE);
        } else if (any && !alive && !p->silent) {
            /* Kept with its tracks and consumers: an ICE restart may bring it back. */
            p->silent = TRUE;
            room->closed.ice_grace_started++;
            g_message("room %s: p%" G_GUINT64_FORMAT ": media silent for %d s, kept %d s more "
                      "for an ICE restart",
                      room->name, p->pid, room->env.consent_timeout_s,
                      room->env.ice_restart_grace_s);
        } else if (alive && p->silent) {
            p->silent = FALSE;
            room->closed.ice_grace_recovered++;
            g_message("room %s: p%" G_GUINT64_FORMAT ": media back", room->name, p->pid);
        }
    }
    g_list_free(peers);
    return G_SOURCE_CONTINUE;
}

void hn_room_get_stats(HnRoom *room, HnRoomStats *out)
{
    *out = room->closed;
    out->participants = hn_room_model_count(room->model);
    out->publishers = hn_room_model_publishers(room->model);
    out->producers = hn_room_model_producers(room->model);
    out->consumers = hn_room_model_consumers(room->model);
    out->transports = g_hash_table_size(room->legs);
    unsigned by_layer[HN_SIM_MAX_LAYERS + 1];
    hn_router_count_layers(room->router, by_layer);
    out->sim_layer0 = by_layer[0];
    out->sim_layer1 = by_layer[1];
    out->sim_layer2 = by_layer[2];
    out->sim_waiting = by_layer[HN_SIM_MAX_LAYERS];
    hn_router_get_stats(room->router, &out->router);
    out->rtp_in = out->router.rtp_in_packets;
    out->rtp_out = out->router.rtp_out_packets;
    hn_room_model_get_stats(room->model, &out->model);
    hn_speaker_get_stats(room->speaker, &out->speaker);
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, room->legs);
    while (g_hash_table_iter_next(&it, NULL, &v))
        leg_add_stats(v, out);
}

void hn_room_free(HnRoom *room)
{
    if (!room)
        return;
    hn_room_feed_stop(room);
    GList *peers = g_hash_table_get_values(room->peers);
    for (GList *l = peers; l; l = l->next)
        part_drop(room, l->data, "left", FALSE);
    g_list_free(peers);
    if (room->liveness) {
        g_source_destroy(room->liveness);
        g_source_unref(room->liveness);
    }
    if (room->link_timer) {
        g_source_destroy(room->link_timer);
        g_source_unref(room->link_timer);
    }
    g_source_destroy(room->router_timer);
    g_source_unref(room->router_timer);
    hn_room_record_stop(room);
    g_hash_table_destroy(room->tracks);
    hn_room_model_free(room->model);
    hn_room_transcodes_free(room->transcodes);
    hn_router_free(room->router);
    hn_speaker_free(room->speaker);
    g_hash_table_destroy(room->levels);
    g_hash_table_destroy(room->simpubs);
    g_hash_table_destroy(room->peers);
    g_hash_table_destroy(room->legs);
    g_main_context_unref(room->ctx);
    g_free(room->name);
    g_free(room);
}

/* --- recording (record/recorder.h) --------------------------------------------------------- */

static const char *const rec_sources[] = {"mic", "camera", "screen"};

static void rec_tap_rtp(void *user, uint32_t producer_id, const HnTapPacket *p, int64_t now_us)
{
    (void)now_us;
    HnRoom *room = user;
    hn_rec_session_rtp(room->rec, producer_id, p->buf, p->len, p->codec, p->pt, p->clock_rate,
                       p->is_keyframe);
}

static void rec_tap_sr(void *user, uint32_t producer_id, const HnRtcpSenderInfo *sr, int64_t now_us)
{
    (void)now_us;
    HnRoom *room = user;
    hn_rec_session_sr(room->rec, producer_id, sr);
}

static void feed_track(HnRoom *room, uint32_t producer_id, const RecTrackInfo *t)
{
    const char *id = hn_room_model_participant_id(room->model, t->pid);
    if (!id || (unsigned)t->source >= G_N_ELEMENTS(rec_sources))
        return;
    room->feed.track(room->feed_user, producer_id, id, hn_room_model_name(room->model, t->pid),
                     t->kind == HN_KIND_VIDEO ? "video" : "audio", rec_sources[t->source]);
    if (t->kind == HN_KIND_VIDEO) /* the composition starts each tile at a key frame */
        hn_router_request_keyframe(room->router, producer_id, g_get_monotonic_time());
}

static void rec_track(HnRoom *room, uint32_t producer_id, const RecTrackInfo *t)
{
    const char *id = hn_room_model_participant_id(room->model, t->pid);
    if (!id || (unsigned)t->source >= G_N_ELEMENTS(rec_sources))
        return;
    hn_rec_session_track(room->rec, producer_id, id, hn_room_model_name(room->model, t->pid),
                         t->kind == HN_KIND_VIDEO ? "video" : "audio", rec_sources[t->source]);
    if (t->kind == HN_KIND_VIDEO) /* its file starts at a key frame */
        hn_router_request_keyframe(room->router, producer_id, g_get_monotonic_time());
}

/* Keeps the track registry, and tells the recording (when one runs) who comes and goes. */
static void record_event(HnRoom *room, const HnRoomEvent *ev)
{
    int64_t now_ms = g_get_real_time() / 1000;
    switch (ev->type) {
    case HN_RE_TRACK_ADDED: {
        RecTrackInfo *t = g_new(RecTrackInfo, 1);
        *t = (RecTrackInfo){.pid = ev->pid, .kind = ev->kind, .source = ev->source};
        g_hash_table_replace(room->tracks, GUINT_TO_POINTER(ev->producer_id), t);
        if (room->rec)
            rec_track(room, ev->producer_id, t);
        if (room->feed_on)
            feed_track(room, ev->producer_id, t);
        break;
    }
    case HN_RE_TRACK_REMOVED:
        g_hash_table_remove(room->tracks, GUINT_TO_POINTER(ev->producer_id));
        if (room->rec)
            hn_rec_session_track_end(room->rec, ev->producer_id);
        if (room->feed_on)
            room->feed.track_end(room->feed_user, ev->producer_id);
        break;
    case HN_RE_PARTICIPANT_JOINED:
        if (room->rec && ev->part_kind != HN_PART_RECORDER)
            hn_rec_session_joined(room->rec, ev->participant_id, ev->name, hn_role_name(ev->role),
                                  now_ms);
        break;
    case HN_RE_PARTICIPANT_LEFT:
        if (room->rec)
            hn_rec_session_left(room->rec, ev->participant_id, now_ms);
        break;
    default:
        break;
    }
}

void hn_room_record(HnRoom *room, HnRecSession *s)
{
    hn_room_record_stop(room);
    room->rec = hn_rec_session_ref(s);
    int64_t now_ms = g_get_real_time() / 1000;
    uint64_t pids[256];
    size_t n = MIN(hn_room_model_roster(room->model, pids, G_N_ELEMENTS(pids)), G_N_ELEMENTS(pids));
    for (size_t i = 0; i < n; i++)
        hn_rec_session_joined(s, hn_room_model_participant_id(room->model, pids[i]),
                              hn_room_model_name(room->model, pids[i]),
                              hn_role_name(hn_room_model_role(room->model, pids[i])), now_ms);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, room->tracks);
    while (g_hash_table_iter_next(&it, &k, &v))
        rec_track(room, GPOINTER_TO_UINT(k), v);
    room->rec_tap = hn_router_add_tap(
        room->router, &(HnRouterTap){.on_rtp = rec_tap_rtp, .on_sr = rec_tap_sr}, room);
    arm_router_timer(room); /* the key frame requests go out at the router's next timeout */
}

void hn_room_record_stop(HnRoom *room)
{
    if (!room->rec)
        return;
    hn_router_remove_tap(room->router, room->rec_tap);
    room->rec_tap = 0;
    hn_rec_session_unref(room->rec);
    room->rec = NULL;
}

/* --- the composed picture's feed (gateway/picture.h) --------------------------------------- */

static void feed_tap_rtp(void *user, uint32_t producer_id, const HnTapPacket *p, int64_t now_us)
{
    (void)now_us;
    HnRoom *room = user;
    room->feed.rtp(room->feed_user, producer_id, p);
}

static void feed_tap_sr(void *user, uint32_t producer_id, const HnRtcpSenderInfo *sr,
                        int64_t now_us)
{
    (void)now_us;
    HnRoom *room = user;
    room->feed.sr(room->feed_user, producer_id, sr);
}

void hn_room_feed(HnRoom *room, const HnRoomFeed *f, void *user)
{
    hn_room_feed_stop(room);
    room->feed = *f;
    room->feed_user = user;
    room->feed_on = TRUE;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, room->tracks);
    while (g_hash_table_iter_next(&it, &k, &v))
        feed_track(room, GPOINTER_TO_UINT(k), v);
    room->feed_tap = hn_router_add_tap(
        room->router, &(HnRouterTap){.on_rtp = feed_tap_rtp, .on_sr = f->sr ? feed_tap_sr : NULL},
        room);
    arm_router_timer(room);
}

int hn_room_feed_keyframe(HnRoom *room, uint64_t participant_id)
{
    int n = 0;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, room->tracks);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const RecTrackInfo *t = v;
        if (t->pid == participant_id && t->kind == HN_KIND_VIDEO &&
            hn_router_request_keyframe(room->router, GPOINTER_TO_UINT(k), g_get_monotonic_time()) >=
                0)
            n++;
    }
    if (n)
        arm_router_timer(room);
    return n;
}

void hn_room_feed_keyframe_named(HnRoom *room, const char *participant_id)
{
    if (!room || !participant_id)
        return;
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, room->tracks);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        const RecTrackInfo *t = v;
        const char *id = hn_room_model_participant_id(room->model, t->pid);
        if (t->kind == HN_KIND_VIDEO && id && strcmp(id, participant_id) == 0) {
            hn_room_feed_keyframe(room, t->pid); /* every video track of that participant */
            return;
        }
    }
}

void hn_room_feed_stop(HnRoom *room)
{
    if (!room->feed_on)
        return;
    hn_router_remove_tap(room->router, room->feed_tap);
    room->feed_tap = 0;
    room->feed_on = FALSE;
    if (room->feed.closed)
        room->feed.closed(room->feed_user);
}

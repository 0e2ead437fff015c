#include "app/room.h"

#include <errno.h>
#include <string.h>

#include "core/router.h"
#include "signaling/protocol.h"
#include "app/negotiate.h"
#include "transport/webrtc_transport.h"

#define HN_MAX_PUB_TRACKS 8

typedef struct HnPart HnPart;

/* One of a participant's two transports, as the room knows it. */
typedef struct {
    HnPart *part;
    gboolean is_sub;
    uint32_t tid;
    HnWebrtcTransport *t;
    gboolean desc_sent; /* our description went out: candidates may follow it */
    GPtrArray *pending; /* local candidates gathered before that (char*, NULL = done) */
    gboolean done_pending;
    char *remote_ufrag; /* the peer's ICE ufrag once known: a new one means an ICE restart */
} HnTransportRef;

/* A track the participant publishes: one producer in the router. */
typedef struct {
    char mid[HN_NEG_MID_MAX];
    HnKind kind;
    uint32_t producer_id;
    uint32_t ssrc;
    uint32_t tid; /* the transport it arrives on */
    HnCodec codec;
} HnPubTrack;

struct HnPart {
    HnRoom *room;
    uint64_t pid;
    char id[24];
    char *name;
    char cname[24];
    HnTransportRef *pub, *sub;
    HnPubTrack tracks[HN_MAX_PUB_TRACKS];
    guint n_tracks;
    GArray *slots;          /* HnNegSlot: the m= sections of the sub offer */
    GArray *offered;        /* HnNegSlot: the slots as in the offer that is out */
    gboolean offer_pending; /* a sub offer is out, waiting for its answer */
    gboolean reoffer;       /* the slots changed while an offer was out */
    uint64_t sub_version;
};

struct HnRoom {
    HnWorker *worker;
    GMainContext *ctx;
    char *name;
    HnRoomEnv env;
    GHashTable *parts;      /* &pid -> HnPart* */
    GPtrArray *order;       /* HnPart*, join order */
    GHashTable *transports; /* tid -> HnTransportRef* */
    HnRouter *router;
    GSource *router_timer;
    int64_t router_armed; /* ready time the timer is set to (-1: none) */
    GSource *liveness;
    uint32_t next_tid, next_producer, next_consumer;
    HnNegPtTable pts; /* server-side payload types of the sub offers */
};

/* --- router glue -------------------------------------------------------------------------- */

static void router_send_rtp(void *user, uint32_t tid, uint8_t *buf, size_t len)
{
    HnRoom *room = user;
    HnTransportRef *ref = g_hash_table_lookup(room->transports, GUINT_TO_POINTER(tid));
    if (ref && ref->t) /* the router's scratch buffer: protect it in place, no copy */
        hn_webrtc_transport_send_rtp_inplace(ref->t, buf, len, HN_ROUTER_SEND_CAP);
}

static void router_send_rtcp(void *user, uint32_t tid, uint8_t *buf, size_t len)
{
    HnRoom *room = user;
    HnTransportRef *ref = g_hash_table_lookup(room->transports, GUINT_TO_POINTER(tid));
    if (ref && ref->t)
        hn_webrtc_transport_send_rtcp(ref->t, buf, len);
}

static const HnRouterSink router_sink = {
    .send_rtp = router_send_rtp,
    .send_rtcp = router_send_rtcp,
};

static void arm_router_timer(HnRoom *room)
{
    int64_t next = hn_router_next_deadline(room->router);
    if (next == INT64_MAX)
        next = -1;
    if (next != room->router_armed) { /* set_ready_time takes the context lock: skip when same */
        room->router_armed = next;
        g_source_set_ready_time(room->router_timer, next);
    }
}

static gboolean router_timer_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    HnRoom *room = data;
    g_source_set_ready_time(src, -1);
    room->router_armed = -1;
    hn_router_on_timeout(room->router, g_get_monotonic_time());
    arm_router_timer(room);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs router_timer_funcs = {.dispatch = router_timer_dispatch};

/* --- helpers ------------------------------------------------------------------------------ */

static void post(HnRoom *room, HnPart *p, char *text)
{
    room->env.post(room->env.user, p->pid, text);
}

static void post_error(HnRoom *room, HnPart *p, HnProtoErrorCode code, const char *msg,
                       const char *ref)
{
    g_message("room %s: %s: %s: %s", room->name, p->id, hn_proto_error_code_name(code), msg);
    post(room, p, hn_proto_build_error(code, msg, ref));
}

static HnPart *find(HnRoom *room, uint64_t pid)
{
    return g_hash_table_lookup(room->parts, &pid);
}

static void flush_candidates(HnRoom *room, HnTransportRef *ref)
{
    ref->desc_sent = TRUE;
    HnProtoPc pc = ref->is_sub ? HN_PROTO_PC_SUB : HN_PROTO_PC_PUB;
    for (guint i = 0; i < ref->pending->len; i++)
        post(room, ref->part, hn_proto_build_candidate(pc, ref->pending->pdata[i], "0"));
    g_ptr_array_set_size(ref->pending, 0);
    if (ref->done_pending)
        post(room, ref->part, hn_proto_build_candidate(pc, NULL, NULL));
    ref->done_pending = FALSE;
}

static gboolean learn_ssrc(HnRoom *room, HnTransportRef *ref, const uint8_t *buf, size_t len);
static void start_answered(HnPart *p);

/* --- transports --------------------------------------------------------------------------- */

static void part_drop(HnRoom *room, HnPart *p, const char *reason, gboolean kick);

static void on_candidate(void *user, HnWebrtcTransport *t, const char *cand)
{
    HnTransportRef *ref = user;
    HnRoom *room = ref->part->room;
    if (!ref->desc_sent) {
        if (cand)
            g_ptr_array_add(ref->pending, g_strdup(cand));
        else
            ref->done_pending = TRUE;
        return;
    }
    HnProtoPc pc = ref->is_sub ? HN_PROTO_PC_SUB : HN_PROTO_PC_PUB;
    post(room, ref->part, hn_proto_build_candidate(pc, cand, cand ? "0" : NULL));
}

static void on_connected(void *user, HnWebrtcTransport *t)
{
    HnTransportRef *ref = user;
    HnPart *p = ref->part;
    HnWebrtcTransportStats st;
    hn_webrtc_transport_get_stats(t, &st);
    g_message("room %s: %s %s transport connected (SRTP profile %d)", p->room->name, p->id,
              ref->is_sub ? "sub" : "pub", st.srtp_profile);
    if (!ref->is_sub)
        return;
    start_answered(p);
}

static void on_failed(void *user, HnWebrtcTransport *t, const char *reason)
{
    HnTransportRef *ref = user;
    g_message("room %s: %s %s transport failed: %s", ref->part->room->name, ref->part->id,
              ref->is_sub ? "sub" : "pub", reason);
    part_drop(ref->part->room, ref->part, "disconnected", TRUE);
}

static void on_rtp(void *user, HnWebrtcTransport *t, uint8_t *buf, size_t len)
{
    HnTransportRef *ref = user;
    HnRoom *room = ref->part->room;
    int64_t now = g_get_monotonic_time();
    if (hn_router_on_rtp(room->router, ref->tid, buf, len, now) == -ENOENT &&
        learn_ssrc(room, ref, buf, len))
        hn_router_on_rtp(room->router, ref->tid, buf, len, now);
    arm_router_timer(room);
}

static void on_rtcp(void *user, HnWebrtcTransport *t, uint8_t *buf, size_t len)
{
    HnTransportRef *ref = user;
    HnRoom *room = ref->part->room;
    hn_router_on_rtcp(room->router, ref->tid, buf, len, g_get_monotonic_time());
    arm_router_timer(room);
}

static const HnWebrtcTransportCallbacks transport_cb = {
    .on_candidate = on_candidate,
    .on_connected = on_connected,
    .on_failed = on_failed,
    .on_rtp = on_rtp,
    .on_rtcp = on_rtcp,
};

static HnTransportRef *transport_open(HnRoom *room, HnPart *p, gboolean is_sub)
{
    HnTransportRef *ref = g_new0(HnTransportRef, 1);
    ref->part = p;
    ref->is_sub = is_sub;
    ref->tid = ++room->next_tid;
    ref->pending = g_ptr_array_new_with_free_func(g_free);
    ref->t = hn_webrtc_transport_new(room->ctx, room->env.ice, room->env.mux, room->env.cert,
                                     is_sub, &transport_cb, ref);
    hn_router_add_transport(room->router, ref->tid, g_random_int(), NULL);
    g_hash_table_insert(room->transports, GUINT_TO_POINTER(ref->tid), ref);
    hn_webrtc_transport_start_gathering(ref->t);
    return ref;
}

static void transport_close(HnRoom *room, HnTransportRef *ref)
{
    if (!ref)
        return;
    hn_router_remove_transport(room->router, ref->tid);
    g_hash_table_remove(room->transports, GUINT_TO_POINTER(ref->tid));
    hn_webrtc_transport_free(ref->t);
    g_ptr_array_free(ref->pending, TRUE);
    g_free(ref->remote_ufrag);
    g_free(ref);
}

static void add_candidates(HnTransportRef *ref, const HnNegRemote *r)
{
    for (guint i = 0; r->candidates && i < r->candidates->len; i++) {
        const char *why = NULL;
        hn_webrtc_transport_add_candidate(ref->t, r->candidates->pdata[i], &why);
    }
}

/* An ICE-lite transport's candidates go in the SDP (the worker's sockets, known at once). */
static char *const *lite_candidates(HnRoom *room, HnTransportRef *ref)
{
    return hn_webrtc_transport_is_lite(ref->t) ? hn_udp_mux_candidates(room->env.mux) : NULL;
}

/* --- subscriber side ---------------------------------------------------------------------- */

static void send_sub_offer(HnRoom *room, HnPart *p)
{
    if (p->offer_pending) {
        p->reoffer = TRUE;
        return;
    }
    if (!p->sub)
        return;
    GError *err = NULL;
    HnNegLocal local = {
        .ufrag = hn_webrtc_transport_ufrag(p->sub->t),
        .pwd = hn_webrtc_transport_pwd(p->sub->t),
        .fingerprint = hn_cert_fingerprint(room->env.cert),
        .ice_lite = hn_webrtc_transport_is_lite(p->sub->t),
        .candidates = lite_candidates(room, p->sub),
    };
    char *sdp = hn_neg_sub_offer(&local, (const HnNegSlot *)p->slots->data, p->slots->len,
                                 ++p->sub_version, &err);
    if (!sdp) {
        g_warning("room %s: %s: cannot build sub offer: %s", room->name, p->id, err->message);
        g_error_free(err);
        return;
    }
    HnProtoTrack *tracks = g_new0(HnProtoTrack, p->slots->len + 1);
    size_t n = 0;
    for (guint i = 0; i < p->slots->len; i++) {
        HnNegSlot *s = &g_array_index(p->slots, HnNegSlot, i);
        if (!s->consumer_id)
            continue;
        tracks[n].mid = s->mid;
        tracks[n].participant = s->participant;
        tracks[n].kind = s->kind == HN_KIND_AUDIO ? HN_PROTO_KIND_AUDIO : HN_PROTO_KIND_VIDEO;
        n++;
    }
    post(room, p, hn_proto_build_offer(sdp, tracks, n));
    g_array_set_size(p->offered, 0);
    g_array_append_vals(p->offered, p->slots->data, p->slots->len);
    g_free(tracks);
    g_free(sdp);
    p->offer_pending = TRUE;
    if (!p->sub->desc_sent)
        flush_candidates(room, p->sub);
}

/* Creates in the router every consumer of p the client has answered for, once p's transport is
 * up. Not before: a key frame requested and sent before the client knows the SSRC would be lost,
 * and the next request would wait for the throttle. A new consumer requests a key frame. */
static void start_answered(HnPart *p)
{
    if (!p->sub || !hn_webrtc_transport_is_connected(p->sub->t))
        return;
    HnRoom *room = p->room;
    for (guint i = 0; i < p->slots->len; i++) {
        HnNegSlot *s = &g_array_index(p->slots, HnNegSlot, i);
        if (!s->consumer_id || !s->answered || s->rejected || s->in_router)
            continue;
        if (hn_router_add_consumer(room->router, s->consumer_id, s->producer_id, p->sub->tid,
                                   s->ssrc, s->codec.pt) == 0)
            s->in_router = TRUE;
    }
    arm_router_timer(room);
}

/* Gives subscriber q a slot for publisher p's track tr. */
static void slot_add(HnRoom *room, HnPart *q, HnPart *p, const HnPubTrack *tr)
{
    if (!q->sub)
        q->sub = transport_open(room, q, TRUE);
    HnNegSlot *slot = NULL;
    for (guint i = 0; i < q->slots->len && !slot; i++) {
        HnNegSlot *s = &g_array_index(q->slots, HnNegSlot, i);
        if (!s->consumer_id && s->kind == tr->kind && !s->rejected)
            slot = s;
    }
    if (!slot) {
        HnNegSlot fresh = {0};
        g_snprintf(fresh.mid, sizeof fresh.mid, "%u", q->slots->len);
        fresh.kind = tr->kind;
        g_array_append_val(q->slots, fresh);
        slot = &g_array_index(q->slots, HnNegSlot, q->slots->len - 1);
    }
    slot->codec = tr->codec;
    slot->codec.pt = hn_neg_pt_for(&room->pts, &tr->codec);
    slot->ssrc = g_random_int();
    slot->producer_id = tr->producer_id;
    slot->consumer_id = ++room->next_consumer;
    g_strlcpy(slot->participant, p->id, sizeof slot->participant);
    g_strlcpy(slot->cname, p->cname, sizeof slot->cname);
    g_snprintf(slot->track_id, sizeof slot->track_id, "%s-%s", p->id, tr->mid);
    slot->answered = FALSE;
    slot->in_router = FALSE; /* created once answered: start_answered() */
}

/* Deactivates q's slots fed by producer_id; TRUE when any changed. */
static gboolean slot_remove_producer(HnRoom *room, HnPart *q, uint32_t producer_id)
{
    gboolean changed = FALSE;
    for (guint i = 0; i < q->slots->len; i++) {
        HnNegSlot *s = &g_array_index(q->slots, HnNegSlot, i);
        if (s->consumer_id && s->producer_id == producer_id) {
            if (s->in_router)
                hn_router_remove_consumer(room->router, s->consumer_id);
            s->in_router = FALSE;
            s->consumer_id = 0;
            s->producer_id = 0;
            changed = TRUE;
        }
    }
    return changed;
}

/* --- publisher side ----------------------------------------------------------------------- */

static HnPubTrack *pub_track_by_mid(HnPart *p, const char *mid)
{
    for (guint i = 0; i < p->n_tracks; i++)
        if (strcmp(p->tracks[i].mid, mid) == 0)
            return &p->tracks[i];
    return NULL;
}

/* Creates the router producer of a track whose SSRC is known, and a slot for it at every
 * other participant. */
static void track_start(HnRoom *room, HnPart *p, HnPubTrack *tr)
{
    tr->producer_id = ++room->next_producer;
    if (hn_router_add_producer(room->router, tr->producer_id, tr->tid, &tr->codec, tr->ssrc) < 0) {
        g_warning("room %s: %s: cannot add producer for mid %s", room->name, p->id, tr->mid);
        tr->producer_id = 0;
        return;
    }
    for (guint k = 0; k < room->order->len; k++) {
        HnPart *q = room->order->pdata[k];
        if (q != p)
            slot_add(room, q, p, tr);
    }
}

static void offer_to_others(HnRoom *room, HnPart *p)
{
    for (guint k = 0; k < room->order->len; k++) {
        HnPart *q = room->order->pdata[k];
        if (q != p)
            send_sub_offer(room, q);
    }
}

/* Makes the participant's producers match the accepted m= sections of its pub offer. New
 * tracks get a producer and a slot at every other participant; a track whose SSRC or transport
 * changed is re-bound, so its subscribers' streams go on. A track whose offer did not signal its
 * SSRC waits for its first packet (learn_ssrc). */
static void sync_producers(HnRoom *room, HnPart *p, const HnNegPublish *res)
{
    gboolean added = FALSE;
    for (size_t i = 0; i < res->n_tracks; i++) {
        const HnNegTrack *nt = &res->tracks[i];
        HnPubTrack *tr = pub_track_by_mid(p, nt->mid);
        if (tr && tr->kind == nt->kind) {
            if (tr->ssrc == nt->ssrc && tr->tid == p->pub->tid)
                continue;
            tr->ssrc = nt->ssrc;
            tr->tid = p->pub->tid;
            tr->codec.pt = nt->codec.pt;
            if (tr->producer_id && tr->ssrc)
                hn_router_rebind_producer(room->router, tr->producer_id, tr->tid, tr->ssrc);
            continue;
        }
        if (tr || p->n_tracks >= HN_MAX_PUB_TRACKS)
            continue; /* a mid may not change kind; the limit is logged by the client's view */
        tr = &p->tracks[p->n_tracks++];
        memset(tr, 0, sizeof *tr);
        g_strlcpy(tr->mid, nt->mid, sizeof tr->mid);
        tr->kind = nt->kind;
        tr->ssrc = nt->ssrc;
        tr->codec = nt->codec;
        tr->tid = p->pub->tid;
        if (tr->ssrc) {
            track_start(room, p, tr);
            added = TRUE;
        }
    }
    if (added)
        offer_to_others(room, p);
}

/* An RTP packet with an SSRC no producer has: if a track of this transport is still waiting
 * for its SSRC and the payload type matches, it is that track. TRUE when one was started or
 * re-bound (the packet should then be fed again). */
static gboolean learn_ssrc(HnRoom *room, HnTransportRef *ref, const uint8_t *buf, size_t len)
{
    HnPart *p = ref->part;
    if (ref->is_sub || len < 12 || (buf[0] >> 6) != 2)
        return FALSE;
    uint8_t pt = buf[1] & 0x7f;
    uint32_t ssrc =
        (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 | (uint32_t)buf[10] << 8 | buf[11];
    for (guint i = 0; i < p->n_tracks; i++) {
        HnPubTrack *tr = &p->tracks[i];
        if (tr->ssrc || tr->tid != ref->tid || tr->codec.pt != pt)
            continue;
        tr->ssrc = ssrc;
        g_message("room %s: %s: mid %s learnt SSRC %u from its first packet", room->name, p->id,
                  tr->mid, ssrc);
        if (tr->producer_id) {
            hn_router_rebind_producer(room->router, tr->producer_id, tr->tid, ssrc);
        } else {
            track_start(room, p, tr);
            offer_to_others(room, p);
        }
        return TRUE;
    }
    return FALSE;
}

/* --- public API --------------------------------------------------------------------------- */

HnRoom *hn_room_new(HnWorker *worker, const char *name, const HnRoomEnv *env)
{
    HnRoom *room = g_new0(HnRoom, 1);
    room->worker = worker;
    room->ctx = g_main_context_ref(hn_worker_context(worker));
    room->name = g_strdup(name);
    room->env = *env;
    room->parts = g_hash_table_new(g_int64_hash, g_int64_equal);
    room->order = g_ptr_array_new();
    room->transports = g_hash_table_new(NULL, NULL);
    room->router = hn_router_new(&router_sink, room);
    hn_neg_pt_table_init(&room->pts);
    room->router_armed = -1;
    room->router_timer = g_source_new(&router_timer_funcs, sizeof(GSource));
    g_source_set_callback(room->router_timer, NULL, room, NULL);
    g_source_attach(room->router_timer, room->ctx);
    return room;
}

static gboolean liveness_check(gpointer data);

void hn_room_join(HnRoom *room, uint64_t pid, const char *name)
{
    if (find(room, pid))
        return;
    HnPart *p = g_new0(HnPart, 1);
    p->room = room;
    p->pid = pid;
    g_snprintf(p->id, sizeof p->id, "p%" G_GUINT64_FORMAT, pid);
    g_snprintf(p->cname, sizeof p->cname, "hn-%" G_GUINT64_FORMAT, pid);
    p->name = g_strdup(name);
    p->slots = g_array_new(FALSE, TRUE, sizeof(HnNegSlot));
    p->offered = g_array_new(FALSE, TRUE, sizeof(HnNegSlot));

    HnProtoParticipant *others = g_new0(HnProtoParticipant, room->order->len + 1);
    for (guint i = 0; i < room->order->len; i++) {
        HnPart *q = room->order->pdata[i];
        others[i].id = q->id;
        others[i].name = q->name;
    }
    post(room, p, hn_proto_build_joined(p->id, room->name, others, room->order->len));
    g_free(others);
    HnProtoParticipant me = {.id = p->id, .name = p->name};
    for (guint i = 0; i < room->order->len; i++)
        post(room, room->order->pdata[i], hn_proto_build_participant_joined(&me));

    g_hash_table_insert(room->parts, &p->pid, p);
    g_ptr_array_add(room->order, p);
    g_message("room %s: %s joined (%u participants)", room->name, p->id, room->order->len);

    for (guint i = 0; i < room->order->len; i++) {
        HnPart *q = room->order->pdata[i];
        for (guint k = 0; q != p && k < q->n_tracks; k++)
            if (q->tracks[k].producer_id)
                slot_add(room, p, q, &q->tracks[k]);
    }
    if (p->slots->len)
        send_sub_offer(room, p);
    if (!room->liveness) {
        room->liveness = g_timeout_source_new(1000);
        g_source_set_callback(room->liveness, liveness_check, room, NULL);
        g_source_attach(room->liveness, room->ctx);
    }
}

void hn_room_publish(HnRoom *room, uint64_t pid, const char *sdp)
{
    HnPart *p = find(room, pid);
    if (!p)
        return;
    GError *err = NULL;
    HnNegPublish res;
    HnTransportRef *old = NULL;
    HnNegOffer *offer = hn_neg_parse_offer(sdp, &err);
    if (!offer) {
        post_error(room, p, HN_PROTO_ERR_BAD_SDP, err->message, "publish");
        g_error_free(err);
        return;
    }
    const char *ufrag = hn_neg_offer_ufrag(offer);
    if (p->pub && p->pub->remote_ufrag && g_strcmp0(ufrag, p->pub->remote_ufrag) != 0) {
        old = p->pub; /* a new connection: producers move to it, subscribers keep streaming */
        p->pub = NULL;
    }
    if (!p->pub)
        p->pub = transport_open(room, p, FALSE);
    HnNegLocal local = {
        .ufrag = hn_webrtc_transport_ufrag(p->pub->t),
        .pwd = hn_webrtc_transport_pwd(p->pub->t),
        .fingerprint = hn_cert_fingerprint(room->env.cert),
        .ice_lite = hn_webrtc_transport_is_lite(p->pub->t),
        .candidates = lite_candidates(room, p->pub),
    };
    char *answer = hn_neg_answer_publish(offer, &local, &res, &err);
    if (!answer) {
        post_error(room, p, HN_PROTO_ERR_BAD_SDP, err->message, "publish");
        g_error_free(err);
        if (old) {
            transport_close(room, p->pub);
            p->pub = old;
        }
        hn_neg_offer_free(offer);
        return;
    }
    if (hn_webrtc_transport_set_remote(p->pub->t, res.remote.ufrag, res.remote.pwd,
                                       res.remote.fp_alg, res.remote.fp,
                                       res.remote.dtls_server) < 0) {
        post_error(room, p, HN_PROTO_ERR_BAD_SDP, "unusable ICE or DTLS parameters", "publish");
    } else {
        if (!p->pub->remote_ufrag)
            p->pub->remote_ufrag = g_strdup(res.remote.ufrag);
        post(room, p, hn_proto_build_answer(answer));
        if (!p->pub->desc_sent)
            flush_candidates(room, p->pub);
        add_candidates(p->pub, &res.remote);
        sync_producers(room, p, &res);
    }
    transport_close(room, old);
    hn_neg_publish_clear(&res);
    hn_neg_offer_free(offer);
    g_free(answer);
}

void hn_room_sub_answer(HnRoom *room, uint64_t pid, const char *sdp)
{
    HnPart *p = find(room, pid);
    if (!p)
        return;
    if (!p->offer_pending || !p->sub) {
        post_error(room, p, HN_PROTO_ERR_BAD_STATE, "no offer is waiting for an answer", "answer");
        return;
    }
    GError *err = NULL;
    struct {
        HnNegRemote remote;
    } res;
    /* The answer is to the offer that is out, not to the slots as they are now: tracks may have
     * come and gone since, and wait for the next offer. */
    if (!hn_neg_check_sub_answer(sdp, (HnNegSlot *)p->offered->data, p->offered->len, &res.remote,
                                 &err)) {
        post_error(room, p, HN_PROTO_ERR_BAD_SDP, err->message, "answer");
        g_error_free(err);
        return;
    }
    p->offer_pending = FALSE;
    for (guint i = 0; i < p->offered->len && i < p->slots->len; i++) {
        HnNegSlot *o = &g_array_index(p->offered, HnNegSlot, i);
        HnNegSlot *s = &g_array_index(p->slots, HnNegSlot, i);
        if (!s->consumer_id || s->consumer_id != o->consumer_id)
            continue;
        s->answered = TRUE;
        if (o->rejected) {
            s->rejected = TRUE; /* the client cannot take this codec: never forward it */
            if (s->in_router)
                hn_router_remove_consumer(room->router, s->consumer_id);
            s->in_router = FALSE;
        }
    }
    /* An answer that rejects every m= section carries no transport: nothing to connect. */
    gboolean usable = res.remote.ufrag && res.remote.ufrag[0] && res.remote.fp && res.remote.fp[0];
    if (usable && hn_webrtc_transport_set_remote(p->sub->t, res.remote.ufrag, res.remote.pwd,
                                                 res.remote.fp_alg, res.remote.fp,
                                                 res.remote.dtls_server) < 0)
        post_error(room, p, HN_PROTO_ERR_BAD_SDP, "unusable ICE or DTLS parameters", "answer");
    add_candidates(p->sub, &res.remote);
    hn_neg_remote_clear(&res.remote);
    start_answered(p);
    if (p->reoffer) {
        p->reoffer = FALSE;
        send_sub_offer(room, p);
    }
}

void hn_room_candidate(HnRoom *room, uint64_t pid, gboolean sub, const char *candidate)
{
    HnPart *p = find(room, pid);
    if (!p)
        return;
    HnTransportRef *ref = sub ? p->sub : p->pub;
    if (!ref) {
        post_error(room, p, HN_PROTO_ERR_BAD_STATE, "no such peer connection yet", "candidate");
        return;
    }
    const char *why = NULL;
    if (hn_webrtc_transport_add_candidate(ref->t, candidate, &why) < 0)
        g_debug("room %s: %s: candidate ignored: %s", room->name, p->id, why);
}

static void part_drop(HnRoom *room, HnPart *p, const char *reason, gboolean kick)
{
    g_hash_table_remove(room->parts, &p->pid);
    g_ptr_array_remove(room->order, p);
    for (guint k = 0; k < room->order->len; k++) {
        HnPart *q = room->order->pdata[k];
        gboolean changed = FALSE;
        for (guint i = 0; i < p->n_tracks; i++)
            changed |= slot_remove_producer(room, q, p->tracks[i].producer_id);
        HnProtoLeaveReason r = strcmp(reason, "timeout") == 0        ? HN_PROTO_TIMEOUT
                               : strcmp(reason, "disconnected") == 0 ? HN_PROTO_DISCONNECTED
                                                                     : HN_PROTO_LEFT;
        post(room, q, hn_proto_build_participant_left(p->id, r));
        if (changed)
            send_sub_offer(room, q);
    }
    for (guint i = 0; i < p->n_tracks; i++)
        if (p->tracks[i].producer_id)
            hn_router_remove_producer(room->router, p->tracks[i].producer_id);
    transport_close(room, p->pub);
    transport_close(room, p->sub);
    g_message("room %s: %s left (%s, %u participants)", room->name, p->id, reason,
              room->order->len);
    if (kick)
        room->env.kick(room->env.user, p->pid, reason);
    g_array_free(p->slots, TRUE);
    g_array_free(p->offered, TRUE);
    g_free(p->name);
    g_free(p);
}

void hn_room_leave(HnRoom *room, uint64_t pid, const char *reason)
{
    HnPart *p = find(room, pid);
    if (p)
        part_drop(room, p, reason ? reason : "left", FALSE);
}

/* Seconds since the transport last received anything, or -1 when it is not connected. */
static int64_t transport_silence(HnTransportRef *ref, int64_t now)
{
    if (!ref || !hn_webrtc_transport_is_connected(ref->t))
        return -1;
    return now - hn_webrtc_transport_last_rx(ref->t);
}

/* A participant is gone when every connected transport of theirs has received nothing for
 * consent_timeout. One silent transport alone is not enough: a client that only receives on
 * `sub` sends RTCP there every few seconds at most (GStreamer's rtpsession: up to 7.5 s). */
static gboolean liveness_check(gpointer data)
{
    HnRoom *room = data;
    int64_t now = g_get_monotonic_time();
    int64_t limit = (int64_t)room->env.consent_timeout_s * G_USEC_PER_SEC;
    for (guint i = 0; i < room->order->len;) {
        HnPart *p = room->order->pdata[i];
        int64_t pub = transport_silence(p->pub, now), sub = transport_silence(p->sub, now);
        gboolean any = pub >= 0 || sub >= 0;
        gboolean alive = (pub >= 0 && pub <= limit) || (sub >= 0 && sub <= limit);
        if (any && !alive) {
            g_message("room %s: %s: media silent for %d s", room->name, p->id,
                      room->env.consent_timeout_s);
            part_drop(room, p, "disconnected", TRUE);
        } else {
            i++;
        }
    }
    return G_SOURCE_CONTINUE;
}

void hn_room_get_stats(HnRoom *room, HnRoomStats *out)
{
    memset(out, 0, sizeof *out);
    out->participants = room->order->len;
    hn_router_get_stats(room->router, &out->router);
    out->rtp_in = out->router.rtp_in_packets;
    out->rtp_out = out->router.rtp_out_packets;
    for (guint i = 0; i < room->order->len; i++) {
        const HnPart *p = room->order->pdata[i];
        out->publishers += p->n_tracks > 0;
        out->producers += p->n_tracks;
        for (guint k = 0; p->slots && k < p->slots->len; k++)
            out->consumers += g_array_index(p->slots, HnNegSlot, k).in_router;
        const HnTransportRef *refs[2] = {p->pub, p->sub};
        for (int k = 0; k < 2; k++) {
            if (!refs[k] || !refs[k]->t)
                continue;
            HnWebrtcTransportStats ts; /* open transports only: closed ones are not kept yet */
            hn_webrtc_transport_get_stats(refs[k]->t, &ts);
            out->transports++;
            out->rx_packets += ts.rx_packets;
            out->rx_bytes += ts.rx_bytes;
            out->tx_packets += ts.tx_packets;
            out->tx_bytes += ts.tx_bytes;
            out->srtp_rx_errors += ts.rx_srtp_errors;
            out->srtp_tx_errors += ts.tx_srtp_errors;
            out->send_errors += ts.tx_send_errors;
        }
    }
}

void hn_room_free(HnRoom *room)
{
    if (!room)
        return;
    while (room->order->len)
        part_drop(room, room->order->pdata[0], "left", FALSE);
    if (room->liveness) {
        g_source_destroy(room->liveness);
        g_source_unref(room->liveness);
    }
    g_source_destroy(room->router_timer);
    g_source_unref(room->router_timer);
    hn_router_free(room->router);
    hn_neg_pt_table_clear(&room->pts);
    g_hash_table_destroy(room->parts);
    g_hash_table_destroy(room->transports);
    g_ptr_array_free(room->order, TRUE);
    g_main_context_unref(room->ctx);
    g_free(room->name);
    g_free(room);
}

#include "core/room_model.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

typedef struct {
    HnRoomTrackDesc d;
    uint32_t leg_id;      /* the leg its packets arrive on now */
    uint32_t bound_leg;   /* the leg the router has its producer on (0: none) */
    uint32_t producer_id; /* 0: no producer (SSRC not known yet, or lost with its leg) */
    bool muted;           /* by the chair */
} RmTrack;

typedef struct {
    uint64_t pid;
    char id[HN_ROOM_ID_MAX];
    char cname[HN_ROOM_ID_MAX];
    char *name;
    HnRole role;
    HnPartKind kind;
    bool lobby;
    uint32_t pub_leg, sub_leg;
    bool sub_connected;
    RmTrack tracks[HN_ROOM_TRACKS_MAX];
    unsigned n_tracks;
    GArray *slots;   /* HnRoomSlot: the view as it is now */
    GArray *offered; /* HnRoomSlot: the view as in the offer that is out */
    bool offer_pending, reoffer, dirty;
    bool auto_answer;      /* no offer/answer: every section is accepted at once */
    GHashTable *lastn_off; /* last-N: &pid of the publishers whose video this viewer does not get
                            * (NULL: none) */
    int rank;              /* last-N: place among the video publishers, -1: none */
} RmPart;

/* A VP8 transcode of an H.264 producer, for the subscribers that rejected its H.264. */
typedef struct {
    uint32_t src;     /* the H.264 producer */
    uint32_t derived; /* the VP8 producer the shell publishes (0: the shell refused) */
    uint32_t ssrc;
} RmTranscode;

struct HnRoomModel {
    HnRoomModelOps ops;
    void *user;
    GHashTable *parts;     /* &pid -> RmPart* (owned) */
    GPtrArray *order;      /* RmPart*, join order */
    GHashTable *producers; /* producer_id -> RmPart* */
    GHashTable *pts;       /* "codec/fmtp" -> server payload type */
    uint8_t next_pt;
    uint32_t next_producer, next_consumer;
    uint64_t rng;
    unsigned max_sections;
    unsigned last_n; /* 0: everyone's video */
    GArray *recent;  /* uint64_t pid, the latest speaker first (last-N) */
    GArray *tx;      /* RmTranscode: the transcodes running (or refused) now */
    HnRoomModelStats stats;
};

#define RECENT_MAX 256 /* speakers remembered for last-N */

#define ID_KEY(id) GUINT_TO_POINTER(id)

/* --- helpers ------------------------------------------------------------------------------ */

static int apply(HnRoomModel *m, const HnRoomAction *a)
{
    return m->ops.apply(m->user, a);
}

static void emit(HnRoomModel *m, const HnRoomEvent *ev)
{
    if (m->ops.on_event)
        m->ops.on_event(m->user, ev);
}

static void emit_part(HnRoomModel *m, HnRoomEventType type, const RmPart *p, HnLeaveReason why)
{
    HnRoomEvent ev = {.type = type,
                      .pid = p->pid,
                      .participant_id = p->id,
                      .name = p->name,
                      .role = p->role,
                      .part_kind = p->kind,
                      .reason = why};
    emit(m, &ev);
}

static void emit_track(HnRoomModel *m, HnRoomEventType type, const RmPart *p, const RmTrack *tr,
                       uint64_t by)
{
    HnRoomEvent ev = {.type = type,
                      .pid = p->pid,
                      .participant_id = p->id,
                      .name = p->name,
                      .role = p->role,
                      .part_kind = p->kind,
                      .mid = tr->d.mid,
                      .kind = tr->d.kind,
                      .source = tr->d.source,
                      .producer_id = tr->producer_id,
                      .by_chair = by != 0,
                      .by = by};
    emit(m, &ev);
}

static uint32_t next_ssrc(HnRoomModel *m)
{
    /* xorshift64*: outgoing SSRCs need to be unpredictable enough to avoid collisions, not
     * secret (they travel in clear RTP headers). */
    uint32_t v;
    do {
        m->rng ^= m->rng >> 12;
        m->rng ^= m->rng << 25;
        m->rng ^= m->rng >> 27;
        v = (uint32_t)((m->rng * UINT64_C(2685821657736338717)) >> 32);
    } while (v == 0);
    return v;
}

/* One server-side payload type per (codec, fmtp) in a room, so every m= section of a BUNDLE
 * maps a payload type to one codec. Opus 111 and VP8 96 as browsers use them; others 100..127. */
static uint8_t server_pt(HnRoomModel *m, const HnCodec *codec)
{
    if (codec->id == HN_CODEC_OPUS)
        return 111;
    if (codec->id == HN_CODEC_VP8)
        return 96;
    char *key = g_strdup_printf("%d/%s", codec->id, codec->fmtp);
    gpointer v = g_hash_table_lookup(m->pts, key);
    if (v) {
        g_free(key);
        return (uint8_t)GPOINTER_TO_UINT(v);
    }
    while (m->next_pt == 111 || m->next_pt == 96)
        m->next_pt++;
    uint8_t pt = m->next_pt <= 127 ? m->next_pt++ : 127;
    g_hash_table_insert(m->pts, key, GUINT_TO_POINTER(pt));
    return pt;
}

static RmPart *find(const HnRoomModel *m, uint64_t pid)
{
    return g_hash_table_lookup(m->parts, &pid);
}

static bool may_publish(const RmPart *p)
{
    return !p->lobby && p->role != HN_ROLE_OBSERVER && p->kind != HN_PART_RECORDER;
}

static bool receives(const RmPart *p)
{
    return !p->lobby;
}

static RmTrack *track_by_mid(RmPart *p, const char *mid)
{
    for (unsigned i = 0; i < p->n_tracks; i++)
        if (strcmp(p->tracks[i].d.mid, mid) == 0)
            return &p->tracks[i];
    return NULL;
}

static RmTranscode *tx_by(const HnRoomModel *m, uint32_t src, uint32_t derived)
{
    for (guint i = 0; i < m->tx->len; i++) {
        RmTranscode *t = &g_array_index(m->tx, RmTranscode, i);
        if ((src && t->src == src) || (derived && t->derived == derived))
            return t;
    }
    return NULL;
}

/* The VP8 producer made of producer_id, 0 when none. */
static uint32_t derived_of(const HnRoomModel *m, uint32_t producer_id)
{
    RmTranscode *t = producer_id ? tx_by(m, producer_id, 0) : NULL;
    return t ? t->derived : 0;
}

/* The track of a producer (a transcode's: the track it is made of). */
static RmTrack *track_by_producer(const HnRoomModel *m, uint32_t producer_id, RmPart **owner)
{
    RmPart *p = g_hash_table_lookup(m->producers, ID_KEY(producer_id));
    if (!p) {
        RmTranscode *t = producer_id ? tx_by(m, 0, producer_id) : NULL;
        if (t)
            return track_by_producer(m, t->src, owner);
    }
    for (unsigned i = 0; p && i < p->n_tracks; i++)
        if (p->tracks[i].producer_id == producer_id) {
            if (owner)
                *owner = p;
            return &p->tracks[i];
        }
    return NULL;
}

/* Whether viewer q gets publisher p's video under last-N. */
static bool lastn_paused(const RmPart *q, const RmPart *p)
{
    return q->lastn_off && g_hash_table_contains(q->lastn_off, &p->pid);
}

/* A consumer is paused when its subscriber paused it, the chair muted its track, or last-N
 * leaves its publisher's video out of this viewer's. */
static bool slot_paused(const HnRoomModel *m, const RmPart *q, const HnRoomSlot *s)
{
    RmPart *owner = NULL;
    RmTrack *tr = track_by_producer(m, s->producer_id, &owner);
    return s->paused || (tr && tr->muted) ||
           (tr && owner && tr->d.kind == HN_KIND_VIDEO && lastn_paused(q, owner));
}

static bool codec_same(const HnCodec *a, const HnCodec *b)
{
    return a->id == b->id && a->pt == b->pt && a->clock_rate == b->clock_rate &&
           a->channels == b->channels && strcmp(a->fmtp, b->fmtp) == 0;
}

/* --- subscriber views --------------------------------------------------------------------- */

static bool ssrc_taken(const RmPart *q, const HnRoomSlot *self, uint32_t ssrc)
{
    for (guint i = 0; i < q->slots->len; i++) {
        const HnRoomSlot *s = &g_array_index(q->slots, HnRoomSlot, i);
        if (s != self && (s->ssrc == ssrc || (s->rtx_pt && s->rtx_ssrc == ssrc)))
            return true;
    }
    return false;
}

/* The server's RTX payload type for server payload type pt: 97 for VP8 (96), else one from the
 * same table as the codecs' (so one PT means one thing in the BUNDLE). */
static uint8_t server_rtx_pt(HnRoomModel *m, uint8_t pt)
{
    if (pt == 96)
        return 97;
    HnCodec rtx = {.id = HN_CODEC_UNKNOWN};
    g_snprintf(rtx.fmtp, sizeof rtx.fmtp, "rtx/apt=%u", (unsigned)pt);
    return server_pt(m, &rtx);
}

/* Gives subscriber q a section for publisher p's track tr (recycling an inactive one). */
static void slot_add(HnRoomModel *m, RmPart *q, const RmPart *p, const RmTrack *tr)
{
    HnRoomSlot *slot = NULL;
    for (guint i = 0; i < q->slots->len && !slot; i++) {
        HnRoomSlot *s = &g_array_index(q->slots, HnRoomSlot, i);
        if (!s->consumer_id && s->kind == tr->d.kind && !s->rejected)
            slot = s;
    }
    if (!slot) {
        if (q->slots->len >= m->max_sections) {
            m->stats.refused_tracks++;
            return;
        }
        HnRoomSlot fresh = {0};
        g_snprintf(fresh.mid, sizeof fresh.mid, "%u", q->slots->len);
        fresh.kind = tr->d.kind;
        g_array_append_val(q->slots, fresh);
        slot = &g_array_index(q->slots, HnRoomSlot, q->slots->len - 1);
    }
    slot->codec = tr->d.codec;
    slot->codec.pt = server_pt(m, &tr->d.codec);
    slot->rtx_pt = 0;
    do
        slot->ssrc = next_ssrc(m);
    while (ssrc_taken(q, slot, slot->ssrc));
    /* Retransmissions go out as RTX (RFC 4588) to subscribers that negotiate; a leg without
     * offer/answer learns its streams without an RTX SSRC, so it gets plain ones. */
    if (slot->kind == HN_KIND_VIDEO && !q->auto_answer) {
        do
            slot->rtx_ssrc = next_ssrc(m);
        while (slot->rtx_ssrc == slot->ssrc || ssrc_taken(q, slot, slot->rtx_ssrc));
        slot->rtx_pt = server_rtx_pt(m, slot->codec.pt);
    }
    slot->producer_id = tr->producer_id;
    slot->consumer_id = ++m->next_consumer;
    slot->source = tr->d.source;
    g_strlcpy(slot->participant, p->id, sizeof slot->participant);
    g_strlcpy(slot->cname, p->cname, sizeof slot->cname);
    g_snprintf(slot->track_id, sizeof slot->track_id, "%s-%s", p->id, tr->d.mid);
    slot->answered = false;
    slot->in_router = false;
    slot->paused = false;
    q->dirty = true;
}

static void slot_retire(HnRoomModel *m, RmPart *q, HnRoomSlot *s)
{
    if (s->in_router) {
        HnRoomAction a = {
            .type = HN_RA_REMOVE_CONSUMER, .pid = q->pid, .consumer_id = s->consumer_id};
        apply(m, &a);
    }
    s->in_router = false;
    s->consumer_id = 0;
    s->producer_id = 0;
    s->answered = false;
    s->paused = false;
    q->dirty = true;
}

static void slots_remove_producer(HnRoomModel *m, uint32_t producer_id)
{
    for (guint k = 0; k < m->order->len; k++) {
        RmPart *q = m->order->pdata[k];
        for (guint i = 0; i < q->slots->len; i++) {
            HnRoomSlot *s = &g_array_index(q->slots, HnRoomSlot, i);
            if (s->consumer_id && s->producer_id == producer_id)
                slot_retire(m, q, s);
        }
    }
}

static void pause_slot(HnRoomModel *m, RmPart *q, HnRoomSlot *s, bool paused)
{
    HnRoomAction a = {.type = HN_RA_PAUSE_CONSUMER,
                      .pid = q->pid,
                      .consumer_id = s->consumer_id,
                      .producer_id = s->producer_id,
                      .paused = paused};
    apply(m, &a);
}

/* Adds to the media plane every consumer of q that was answered, once q's leg is up. Not
 * before: a key frame sent before the client knows the SSRC would be lost. */
static void start_answered(HnRoomModel *m, RmPart *q)
{
    if (!q->sub_leg || !q->sub_connected)
        return;
    for (guint i = 0; i < q->slots->len; i++) {
        HnRoomSlot *s = &g_array_index(q->slots, HnRoomSlot, i);
        if (!s->consumer_id || !s->answered || s->rejected || s->in_router)
            continue;
        HnRoomAction a = {.type = HN_RA_ADD_CONSUMER,
                          .pid = q->pid,
                          .consumer_id = s->consumer_id,
                          .producer_id = s->producer_id,
                          .leg_id = q->sub_leg,
                          .ssrc = s->ssrc,
                          .pt = s->codec.pt,
                          .rtx_pt = s->rtx_pt,
                          .rtx_ssrc = s->rtx_ssrc,
                          .codec = &s->codec};
        if (apply(m, &a) < 0) {
            m->stats.consumer_failures++;
            slot_retire(m, q, s); /* the next offer makes the section inactive */
            continue;
        }
        s->in_router = true;
        if (slot_paused(m, q, s))
            pause_slot(m, q, s, true);
    }
}

/* Asks for an offer for every view that changed; one that is out already gets a follow-up
 * once answered. */
static void lastn_update(HnRoomModel *m);

static void transcode_sync(HnRoomModel *m);

static void flush_offers(HnRoomModel *m)
{
    transcode_sync(m);
    lastn_update(m);
    for (guint k = 0; k < m->order->len; k++) {
        RmPart *q = m->order->pdata[k];
        if (!q->dirty)
            continue;
        q->dirty = false;
        if (q->auto_answer) {
            for (guint i = 0; i < q->slots->len; i++) {
                HnRoomSlot *s = &g_array_index(q->slots, HnRoomSlot, i);
                if (s->consumer_id)
                    s->answered = true;
            }
            start_answered(m, q);
            g_array_set_size(q->offered, 0);
            g_array_append_vals(q->offered, q->slots->data, q->slots->len);
            HnRoomAction a = {.type = HN_RA_SEND_SUB_OFFER, .pid = q->pid, .leg_id = q->sub_leg};
            apply(m, &a);
            q->dirty = false; /* a consumer refused above is retired in the view just sent */
            continue;
        }
        if (q->offer_pending) {
            q->reoffer = true;
            continue;
        }
        g_array_set_size(q->offered, 0);
        g_array_append_vals(q->offered, q->slots->data, q->slots->len);
        q->offer_pending = true;
        m->stats.offers++;
        HnRoomAction a = {.type = HN_RA_SEND_SUB_OFFER, .pid = q->pid, .leg_id = q->sub_leg};
        if (apply(m, &a) < 0)
            q->offer_pending = false; /* not sent: the next change asks again */
    }
}

/* --- publishers --------------------------------------------------------------------------- */

/* Creates the producer of a track whose SSRC is known, and a section at every receiver. */
static void track_start(HnRoomModel *m, RmPart *p, RmTrack *tr)
{
    uint32_t id = ++m->next_producer;
    HnRoomAction a = {.type = HN_RA_ADD_PRODUCER,
                      .pid = p->pid,
                      .producer_id = id,
                      .leg_id = tr->leg_id,
                      .ssrc = tr->d.ssrc,
                      .rtx_pt = tr->d.rtx_pt,
                      .rtx_ssrc = tr->d.rtx_ssrc,
                      .codec = &tr->d.codec,
                      .sim = &tr->d.sim,
                      .mid = tr->d.mid,
                      .source = tr->d.source};
    if (apply(m, &a) < 0) {
        m->stats.refused_tracks++;
        return;
    }
    tr->producer_id = id;
    tr->bound_leg = tr->leg_id;
    g_hash_table_insert(m->producers, ID_KEY(id), p);
    emit_track(m, HN_RE_TRACK_ADDED, p, tr, 0);
    for (guint k = 0; k < m->order->len; k++) {
        RmPart *q = m->order->pdata[k];
        if (q != p && receives(q))
            slot_add(m, q, p, tr);
    }
}

/* Stops the transcode t of publisher p (its sections first) and forgets it. */
static void transcode_stop(HnRoomModel *m, RmPart *p, RmTranscode *t)
{
    if (t->derived) {
        slots_remove_producer(m, t->derived);
        HnRoomAction a = {.type = HN_RA_STOP_TRANSCODE,
                          .pid = p->pid,
                          .producer_id = t->src,
                          .derived_id = t->derived};
        apply(m, &a);
    }
    g_array_remove_index(m->tx, (guint)(t - (RmTranscode *)(void *)m->tx->data));
}

/* Whether subscriber q rejected producer src's section (its browser cannot decode it). */
static bool rejects(const RmPart *q, uint32_t src)
{
    for (guint i = 0; i < q->slots->len; i++) {
        const HnRoomSlot *s = &g_array_index(q->slots, HnRoomSlot, i);
        if (s->consumer_id && s->rejected && s->producer_id == src)
            return true;
    }
    return false;
}

/* Whether q has a section of producer id (answered or not, rejected or not). */
static bool has_section(const RmPart *q, uint32_t id)
{
    for (guint i = 0; i < q->slots->len; i++) {
        const HnRoomSlot *s = &g_array_index(q->slots, HnRoomSlot, i);
        if (s->consumer_id && s->producer_id == id)
            return true;
    }
    return false;
}

/* One H.264 track: a transcode while a subscriber rejects it, a VP8 section for each of those. */
static void transcode_track(HnRoomModel *m, RmPart *p, RmTrack *tr)
{
    RmTranscode *t = tx_by(m, tr->producer_id, 0);
    unsigned need = 0;
    for (guint k = 0; k < m->order->len; k++) {
        RmPart *q = m->order->pdata[k];
        need += q != p && receives(q) && rejects(q, tr->producer_id);
    }
    if (!need) {
        if (t)
            transcode_stop(m, p, t);
        return;
    }
    if (!t) {
        RmTranscode fresh = {.src = tr->producer_id, .derived = ++m->next_producer};
        fresh.ssrc = next_ssrc(m);
        HnCodec vp8 = {.id = HN_CODEC_VP8,
                       .kind = HN_KIND_VIDEO,
                       .pt = 96,
                       .clock_rate = 90000,
                       .feedback = tr->d.codec.feedback | HN_FB_NACK | HN_FB_PLI};
        HnRoomAction a = {.type = HN_RA_START_TRANSCODE,
                          .pid = p->pid,
                          .producer_id = fresh.src,
                          .derived_id = fresh.derived,
                          .ssrc = fresh.ssrc,
                          .pt = tr->d.codec.pt, /* the H.264 the publisher sends */
                          .codec = &vp8,
                          .mid = tr->d.mid,
                          .source = tr->d.source};
        if (apply(m, &a) < 0) {
            m->stats.transcode_failures++;
            fresh.derived = 0; /* not tried again while this producer lasts */
        }
        g_array_append_val(m->tx, fresh);
        t = &g_array_index(m->tx, RmTranscode, m->tx->len - 1);
    }
    if (!t->derived)
        return;
    RmTrack derived = *tr;
    derived.producer_id = t->derived;
    derived.d.codec = (HnCodec){.id = HN_CODEC_VP8,
                                .kind = HN_KIND_VIDEO,
                                .pt = 96,
                                .clock_rate = 90000,
                                .feedback = tr->d.codec.feedback | HN_FB_NACK | HN_FB_PLI};
    g_snprintf(derived.d.mid, sizeof derived.d.mid, "%s-vp8", tr->d.mid);
    for (guint k = 0; k < m->order->len; k++) {
        RmPart *q = m->order->pdata[k];
        if (q != p && receives(q) && rejects(q, tr->producer_id) && !has_section(q, t->derived))
            slot_add(m, q, p, &derived);
    }
}

/* Brings the transcodes in line with the views: called before every offer round. */
static void transcode_sync(HnRoomModel *m)
{
    for (guint k = 0; k < m->order->len; k++) {
        RmPart *p = m->order->pdata[k];
        for (unsigned i = 0; i < p->n_tracks; i++) {
            RmTrack *tr = &p->tracks[i];
            if (tr->producer_id && tr->d.kind == HN_KIND_VIDEO && tr->d.codec.id == HN_CODEC_H264)
                transcode_track(m, p, tr);
        }
    }
}

/* Removes a track's producer and every section fed by it; the track itself stays. */
static void track_stop(HnRoomModel *m, RmPart *p, RmTrack *tr)
{
    if (!tr->producer_id)
        return;
    RmTranscode *t = tx_by(m, tr->producer_id, 0);
    if (t)
        transcode_stop(m, p, t);
    slots_remove_producer(m, tr->producer_id);
    HnRoomAction a = {.type = HN_RA_REMOVE_PRODUCER, .pid = p->pid, .producer_id = tr->producer_id};
    apply(m, &a);
    emit_track(m, HN_RE_TRACK_REMOVED, p, tr, 0);
    g_hash_table_remove(m->producers, ID_KEY(tr->producer_id));
    tr->producer_id = 0;
    tr->bound_leg = 0;
}

static void track_remove(HnRoomModel *m, RmPart *p, unsigned i)
{
    track_stop(m, p, &p->tracks[i]);
    memmove(&p->tracks[i], &p->tracks[i + 1], (p->n_tracks - i - 1) * sizeof p->tracks[0]);
    p->n_tracks--;
}

static void tracks_remove_all(HnRoomModel *m, RmPart *p)
{
    while (p->n_tracks)
        track_remove(m, p, p->n_tracks - 1);
}

/* Moves a track with a producer to (leg, ssrc); ssrc 0 parks it on the new leg until its first
 * packet tells the SSRC. A refused rebind leaves the producer where it is. */
static void track_rebind(HnRoomModel *m, RmPart *p, RmTrack *tr)
{
    HnRoomAction a = {.type = HN_RA_REBIND_PRODUCER,
                      .pid = p->pid,
                      .producer_id = tr->producer_id,
                      .leg_id = tr->leg_id,
                      .ssrc = tr->d.ssrc,
                      .rtx_pt = tr->d.rtx_pt,
                      .rtx_ssrc = tr->d.rtx_ssrc,
                      .sim = &tr->d.sim,
                      .mid = tr->d.mid,
                      .source = tr->d.source};
    if (apply(m, &a) == 0)
        tr->bound_leg = tr->leg_id;
}

/* One section of a publish offer against the track of the same mid. */
static void publish_one(HnRoomModel *m, RmPart *p, uint32_t leg_id, const HnRoomTrackDesc *d,
                        bool *seen)
{
    RmTrack *tr = track_by_mid(p, d->mid);
    if (tr && (tr->d.kind != d->kind || !codec_same(&tr->d.codec, &d->codec))) {
        /* A new codec or payload type: the router checks the publisher's PT and subscribers
         * must be offered the new codec, so the track gets a new producer. */
        unsigned idx = (unsigned)(tr - p->tracks);
        track_remove(m, p, idx);
        memmove(&seen[idx], &seen[idx + 1], (p->n_tracks - idx) * sizeof seen[0]);
        tr = NULL;
    }
    if (tr) {
        seen[tr - p->tracks] = true;
        /* An offer that signals no SSRC on the same leg keeps the one learnt from packets. */
        bool same_leg = tr->leg_id == leg_id;
        uint32_t ssrc = d->ssrc ? d->ssrc : (same_leg ? tr->d.ssrc : 0);
        bool moved = tr->leg_id != leg_id || tr->d.ssrc != ssrc;
        tr->leg_id = leg_id;
        tr->d.ssrc = ssrc;
        tr->d.source = d->source;
        tr->d.codec.feedback = d->codec.feedback;
        tr->d.rtx_pt = d->rtx_pt;
        tr->d.sim = d->sim;
        tr->d.rtx_ssrc = d->ssrc || !same_leg ? d->rtx_ssrc : tr->d.rtx_ssrc;
        if (!moved)
            return;
        if (tr->producer_id)
            track_rebind(m, p, tr);
        else if (tr->d.ssrc)
            track_start(m, p, tr);
        return;
    }
    if (p->n_tracks >= HN_ROOM_TRACKS_MAX) {
        m->stats.refused_tracks++;
        return;
    }
    tr = &p->tracks[p->n_tracks];
    memset(tr, 0, sizeof *tr);
    tr->d = *d;
    tr->leg_id = leg_id;
    seen[p->n_tracks++] = true;
    if (tr->d.ssrc)
        track_start(m, p, tr);
}

/* --- last-N ------------------------------------------------------------------------------- */

static bool has_video(const RmPart *p)
{
    for (unsigned i = 0; i < p->n_tracks; i++)
        if (p->tracks[i].d.kind == HN_KIND_VIDEO && p->tracks[i].producer_id)
            return true;
    return false;
}

/* Viewer q gets publisher p's video again (off false) or no more (off true). */
static void lastn_set(HnRoomModel *m, RmPart *q, RmPart *p, bool off)
{
    if (lastn_paused(q, p) == off)
        return;
    if (off) {
        if (!q->lastn_off)
            q->lastn_off = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
        g_hash_table_add(q->lastn_off, g_memdup2(&p->pid, sizeof p->pid));
        m->stats.lastn_pauses++;
    } else {
        g_hash_table_remove(q->lastn_off, &p->pid);
        m->stats.lastn_resumes++;
    }
    for (guint i = 0; i < q->slots->len; i++) {
        HnRoomSlot *s = &g_array_index(q->slots, HnRoomSlot, i);
        RmPart *owner = NULL;
        RmTrack *tr = s->consumer_id ? track_by_producer(m, s->producer_id, &owner) : NULL;
        if (tr && owner == p && tr->d.kind == HN_KIND_VIDEO && s->in_router)
            pause_slot(m, q, s, slot_paused(m, q, s));
    }
    HnRoomEvent ev = {.type = HN_RE_VIDEO_PAUSED,
                      .pid = p->pid,
                      .participant_id = p->id,
                      .name = p->name,
                      .part_kind = p->kind,
                      .to = q->pid,
                      .paused = off};
    emit(m, &ev);
}

static gboolean lastn_stale(gpointer key, gpointer value, gpointer user)
{
    (void)value;
    RmPart *p = find(user, *(uint64_t *)key);
    return !p || !has_video(p);
}

/* Ranks the video publishers (the latest speakers first, then the others in join order) and
 * gives each browser viewer the video of the first last_n of them that are not itself. */
static void lastn_update(HnRoomModel *m)
{
    if (!m->last_n && !m->stats.lastn_pauses)
        return; /* never on in this room */
    int n = 0;
    for (guint k = 0; k < m->order->len; k++)
        ((RmPart *)m->order->pdata[k])->rank = -1;
    for (guint i = 0; i < m->recent->len; i++) {
        RmPart *p = find(m, g_array_index(m->recent, uint64_t, i));
        if (p && p->rank < 0 && has_video(p))
            p->rank = n++;
    }
    for (guint k = 0; k < m->order->len; k++) {
        RmPart *p = m->order->pdata[k];
        if (p->rank < 0 && has_video(p))
            p->rank = n++;
    }
    int lim = (int)m->last_n;
    for (guint k = 0; k < m->order->len; k++) {
        RmPart *q = m->order->pdata[k];
        if (q->lastn_off) /* publishers gone or without video: nothing to tell */
            g_hash_table_foreach_remove(q->lastn_off, lastn_stale, m);
        bool limited = lim && receives(q) && q->kind == HN_PART_BROWSER;
        for (guint j = 0; j < m->order->len; j++) {
            RmPart *p = m->order->pdata[j];
            if (p == q || p->rank < 0)
                continue;
            /* the viewer's own place, when among the first, goes to the next one */
            bool allowed =
                !limited || p->rank < lim || (p->rank == lim && q->rank >= 0 && q->rank < lim);
            lastn_set(m, q, p, !allowed);
        }
    }
}

void hn_room_model_set_last_n(HnRoomModel *m, unsigned n)
{
    m->last_n = n;
    lastn_update(m);
}

void hn_room_model_spoke(HnRoomModel *m, uint64_t pid)
{
    for (guint i = 0; i < m->recent->len; i++)
        if (g_array_index(m->recent, uint64_t, i) == pid) {
            if (i == 0)
                return; /* already the latest: nothing changes */
            g_array_remove_index(m->recent, i);
            break;
        }
    g_array_prepend_val(m->recent, pid);
    if (m->recent->len > RECENT_MAX)
        g_array_set_size(m->recent, RECENT_MAX);
    lastn_update(m);
}

/* --- public API --------------------------------------------------------------------------- */

static void part_free(gpointer data)
{
    RmPart *p = data;
    if (p->lastn_off)
        g_hash_table_destroy(p->lastn_off);
    g_array_free(p->slots, TRUE);
    g_array_free(p->offered, TRUE);
    g_free(p->name);
    g_free(p);
}

HnRoomModel *hn_room_model_new(const HnRoomModelOps *ops, void *user, uint64_t ssrc_seed)
{
    g_return_val_if_fail(ops && ops->apply, NULL);
    HnRoomModel *m = g_new0(HnRoomModel, 1);
    m->ops = *ops;
    m->user = user;
    m->parts = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, part_free);
    m->order = g_ptr_array_new();
    m->producers = g_hash_table_new(NULL, NULL);
    m->pts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    m->next_pt = 100;
    m->rng = ssrc_seed ? ssrc_seed : UINT64_C(0x9e3779b97f4a7c15);
    m->max_sections = HN_ROOM_SECTIONS_MAX;
    m->recent = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    m->tx = g_array_new(FALSE, FALSE, sizeof(RmTranscode));
    return m;
}

void hn_room_model_free(HnRoomModel *m)
{
    if (!m)
        return;
    g_ptr_array_free(m->order, TRUE);
    g_hash_table_destroy(m->parts);
    g_hash_table_destroy(m->producers);
    g_hash_table_destroy(m->pts);
    g_array_free(m->recent, TRUE);
    g_array_free(m->tx, TRUE);
    g_free(m);
}

void hn_room_model_set_max_sections(HnRoomModel *m, unsigned max_sections)
{
    m->max_sections = max_sections ? max_sections : HN_ROOM_SECTIONS_MAX;
}

/* Gives a newly admitted participant a section for every track already in the room. */
static void admit_media(HnRoomModel *m, RmPart *p)
{
    /* audio sections first: the first m= line carries the BUNDLE transport, and a browser may
     * reject a video section (H.264 in a browser without it), never an Opus one; Firefox's
     * connection fails when the section it rejects is the first */
    for (int kind = HN_KIND_AUDIO; kind <= HN_KIND_VIDEO; kind++)
        for (guint k = 0; k < m->order->len; k++) {
            RmPart *q = m->order->pdata[k];
            for (unsigned i = 0; q != p && i < q->n_tracks; i++)
                if (q->tracks[i].producer_id && q->tracks[i].d.kind == (HnKind)kind)
                    slot_add(m, p, q, &q->tracks[i]);
        }
}

static RmPart *part_new(HnRoomModel *m, uint64_t pid, const char *name, HnRole role,
                        HnPartKind kind, bool lobby)
{
    RmPart *p = g_new0(RmPart, 1);
    p->pid = pid;
    g_snprintf(p->id, sizeof p->id, "p%" G_GUINT64_FORMAT, pid);
    g_snprintf(p->cname, sizeof p->cname, "hn-%" G_GUINT64_FORMAT, pid);
    p->name = g_strdup(name ? name : "");
    p->role = role;
    p->kind = kind;
    p->lobby = lobby;
    p->slots = g_array_new(FALSE, TRUE, sizeof(HnRoomSlot));
    p->offered = g_array_new(FALSE, TRUE, sizeof(HnRoomSlot));
    g_hash_table_insert(m->parts, &p->pid, p);
    g_ptr_array_add(m->order, p);
    return p;
}

int hn_room_model_join(HnRoomModel *m, uint64_t pid, const char *name, HnRole role, HnPartKind kind,
                       bool lobby)
{
    if (find(m, pid))
        return -EEXIST;
    RmPart *p = part_new(m, pid, name, role, kind, lobby);
    if (!lobby) {
        emit_part(m, HN_RE_PARTICIPANT_JOINED, p, HN_LEAVE_LEFT);
        admit_media(m, p);
        flush_offers(m);
    }
    return 0;
}

int hn_room_model_join_leg(HnRoomModel *m, uint64_t pid, const char *name, HnRole role,
                           HnPartKind kind, uint32_t leg_id)
{
    if (find(m, pid))
        return -EEXIST;
    RmPart *p = part_new(m, pid, name, role, kind, false);
    p->auto_answer = true;
    p->sub_leg = leg_id;
    p->sub_connected = true;
    emit_part(m, HN_RE_PARTICIPANT_JOINED, p, HN_LEAVE_LEFT);
    admit_media(m, p);
    flush_offers(m);
    return 0;
}

int hn_room_model_admit(HnRoomModel *m, uint64_t pid)
{
    RmPart *p = find(m, pid);
    if (!p)
        return -ENOENT;
    if (!p->lobby)
        return -EALREADY;
    p->lobby = false;
    emit_part(m, HN_RE_ADMITTED, p, HN_LEAVE_LEFT);
    emit_part(m, HN_RE_PARTICIPANT_JOINED, p, HN_LEAVE_LEFT);
    admit_media(m, p);
    flush_offers(m);
    return 0;
}

int hn_room_model_leave(HnRoomModel *m, uint64_t pid, HnLeaveReason reason)
{
    RmPart *p = find(m, pid);
    if (!p)
        return -ENOENT;
    tracks_remove_all(m, p);
    for (guint i = 0; i < p->slots->len; i++) {
        HnRoomSlot *s = &g_array_index(p->slots, HnRoomSlot, i);
        if (s->consumer_id)
            slot_retire(m, p, s);
    }
    g_ptr_array_remove(m->order, p);
    if (!p->lobby)
        emit_part(m, HN_RE_PARTICIPANT_LEFT, p, reason);
    g_hash_table_remove(m->parts, &pid);
    flush_offers(m);
    return 0;
}

int hn_room_model_set_role(HnRoomModel *m, uint64_t pid, HnRole role)
{
    RmPart *p = find(m, pid);
    if (!p)
        return -ENOENT;
    if (p->role == role)
        return 0;
    p->role = role;
    if (!may_publish(p))
        tracks_remove_all(m, p);
    emit_part(m, HN_RE_ROLE_CHANGED, p, HN_LEAVE_LEFT);
    flush_offers(m);
    return 0;
}

int hn_room_model_publish(HnRoomModel *m, uint64_t pid, uint32_t leg_id,
                          const HnRoomTrackDesc *tracks, size_t n)
{
    RmPart *p = find(m, pid);
    if (!p)
        return -ENOENT;
    if (!may_publish(p)) {
        m->stats.refused_tracks += n;
        tracks_remove_all(m, p);
        flush_offers(m);
        return n ? -EPERM : 0;
    }
    p->pub_leg = leg_id;
    bool seen[HN_ROOM_TRACKS_MAX] = {0};
    /* audio first: its sections come first in the views (see admit_media) */
    for (int kind = HN_KIND_AUDIO; kind <= HN_KIND_VIDEO; kind++)
        for (size_t i = 0; i < n; i++)
            if (tracks[i].kind == (HnKind)kind)
                publish_one(m, p, leg_id, &tracks[i], seen);
    for (unsigned i = p->n_tracks; i-- > 0;)
        if (!seen[i])
            track_remove(m, p, i); /* no longer offered (removed or made recvonly) */
    flush_offers(m);
    return (int)p->n_tracks;
}

bool hn_room_model_learn_ssrc(HnRoomModel *m, uint32_t leg_id, uint8_t pt, uint32_t ssrc)
{
    for (guint k = 0; k < m->order->len; k++) {
        RmPart *p = m->order->pdata[k];
        if (p->pub_leg != leg_id)
            continue;
        for (unsigned i = 0; i < p->n_tracks; i++) {
            RmTrack *tr = &p->tracks[i];
            if (tr->d.ssrc || tr->leg_id != leg_id || tr->d.codec.pt != pt)
                continue;
            tr->d.ssrc = ssrc;
            if (tr->producer_id)
                track_rebind(m, p, tr);
            else
                track_start(m, p, tr);
            flush_offers(m);
            return tr->producer_id != 0;
        }
        return false;
    }
    return false;
}

int hn_room_model_set_sub_leg(HnRoomModel *m, uint64_t pid, uint32_t leg_id)
{
    RmPart *p = find(m, pid);
    if (!p)
        return -ENOENT;
    if (p->sub_leg != leg_id) {
        p->sub_leg = leg_id;
        p->sub_connected = false;
    }
    return 0;
}

void hn_room_model_leg_connected(HnRoomModel *m, uint32_t leg_id)
{
    for (guint k = 0; k < m->order->len; k++) {
        RmPart *q = m->order->pdata[k];
        if (q->sub_leg == leg_id && leg_id) {
            q->sub_connected = true;
            start_answered(m, q);
        }
    }
    flush_offers(m);
}

void hn_room_model_leg_closed(HnRoomModel *m, uint32_t leg_id)
{
    if (!leg_id)
        return;
    for (guint k = 0; k < m->order->len; k++) {
        RmPart *p = m->order->pdata[k];
        if (p->sub_leg == leg_id) {
            p->sub_leg = 0;
            p->sub_connected = false;
            for (guint i = 0; i < p->slots->len; i++) {
                HnRoomSlot *s = &g_array_index(p->slots, HnRoomSlot, i);
                if (s->in_router) {
                    HnRoomAction a = {.type = HN_RA_REMOVE_CONSUMER,
                                      .pid = p->pid,
                                      .consumer_id = s->consumer_id};
                    apply(m, &a);
                }
                s->in_router = false;
                s->answered = false;
            }
        }
        for (unsigned i = p->n_tracks; i-- > 0;) {
            RmTrack *tr = &p->tracks[i];
            if (tr->producer_id && tr->bound_leg == leg_id)
                track_stop(m, p, tr); /* its router state goes with the leg */
            if (tr->leg_id == leg_id)
                track_remove(m, p, i); /* nothing left to carry it */
        }
        if (p->pub_leg == leg_id)
            p->pub_leg = 0;
    }
    flush_offers(m);
}

int hn_room_model_request_offer(HnRoomModel *m, uint64_t pid)
{
    RmPart *p = find(m, pid);
    if (!p)
        return -ENOENT;
    p->dirty = true;
    flush_offers(m);
    return 0;
}

const HnRoomSlot *hn_room_model_offered(const HnRoomModel *m, uint64_t pid, size_t *n)
{
    RmPart *p = find(m, pid);
    *n = p ? p->offered->len : 0;
    return p && p->offered->len ? (const HnRoomSlot *)p->offered->data : NULL;
}

void hn_room_model_offer_failed(HnRoomModel *m, uint64_t pid)
{
    RmPart *p = find(m, pid);
    if (p)
        p->offer_pending = false;
}

bool hn_room_model_offer_pending(const HnRoomModel *m, uint64_t pid)
{
    RmPart *p = find(m, pid);
    return p && p->offer_pending;
}

int hn_room_model_sub_answer_rtx(HnRoomModel *m, uint64_t pid, const bool *no_rtx, size_t n)
{
    RmPart *p = find(m, pid);
    if (!p)
        return -ENOENT;
    if (!p->offer_pending)
        return -EPROTO;
    for (guint i = 0; i < p->offered->len && i < p->slots->len && i < n; i++) {
        HnRoomSlot *o = &g_array_index(p->offered, HnRoomSlot, i);
        HnRoomSlot *s = &g_array_index(p->slots, HnRoomSlot, i);
        if (!no_rtx[i] || !s->consumer_id || s->consumer_id != o->consumer_id || s->in_router)
            continue;
        s->rtx_pt = 0;
        o->rtx_pt = 0;
    }
    return 0;
}

int hn_room_model_sub_answer(HnRoomModel *m, uint64_t pid, const bool *rejected, size_t n)
{
    RmPart *p = find(m, pid);
    if (!p)
        return -ENOENT;
    if (!p->offer_pending)
        return -EPROTO;
    p->offer_pending = false;
    /* The answer is to the offer that is out, not to the view as it is now: tracks may have
     * come and gone since, and wait for the next offer. */
    for (guint i = 0; i < p->offered->len && i < p->slots->len; i++) {
        HnRoomSlot *o = &g_array_index(p->offered, HnRoomSlot, i);
        HnRoomSlot *s = &g_array_index(p->slots, HnRoomSlot, i);
        if (!s->consumer_id || s->consumer_id != o->consumer_id)
            continue;
        s->answered = true;
        if (rejected && i < n && rejected[i]) {
            s->rejected = true; /* the client cannot take this codec: never forward it */
            if (s->in_router) {
                HnRoomAction a = {
                    .type = HN_RA_REMOVE_CONSUMER, .pid = pid, .consumer_id = s->consumer_id};
                apply(m, &a);
            }
            s->in_router = false;
        }
    }
    start_answered(m, p);
    if (p->reoffer) {
        p->reoffer = false;
        p->dirty = true;
    }
    flush_offers(m);
    return 0;
}

int hn_room_model_mute(HnRoomModel *m, uint64_t by, uint64_t pid, HnKind kind, bool muted)
{
    RmPart *p = find(m, pid);
    if (!p)
        return -ENOENT;
    RmPart *chair = by ? find(m, by) : NULL;
    if (by && (!chair || chair->role != HN_ROLE_CHAIR))
        return -EPERM;
    for (unsigned i = 0; i < p->n_tracks; i++) {
        RmTrack *tr = &p->tracks[i];
        if (tr->d.kind != kind || tr->muted == muted)
            continue;
        tr->muted = muted;
        for (guint k = 0; tr->producer_id && k < m->order->len; k++) {
            RmPart *q = m->order->pdata[k];
            for (guint j = 0; j < q->slots->len; j++) {
                HnRoomSlot *s = &g_array_index(q->slots, HnRoomSlot, j);
                bool of_track =
                    s->producer_id == tr->producer_id ||
                    (s->producer_id && s->producer_id == derived_of(m, tr->producer_id));
                if (s->consumer_id && of_track && s->in_router)
                    pause_slot(m, q, s, slot_paused(m, q, s));
            }
        }
        emit_track(m, muted ? HN_RE_TRACK_MUTED : HN_RE_TRACK_UNMUTED, p, tr, by);
    }
    return 0;
}

int hn_room_model_pause(HnRoomModel *m, uint64_t pid, uint64_t publisher, const char *mid,
                        bool paused)
{
    RmPart *q = find(m, pid), *p = find(m, publisher);
    RmTrack *tr = p && mid ? track_by_mid(p, mid) : NULL;
    if (!q || !tr || !tr->producer_id)
        return -ENOENT;
    for (guint j = 0; j < q->slots->len; j++) {
        HnRoomSlot *s = &g_array_index(q->slots, HnRoomSlot, j);
        bool of_track =
            s->producer_id == tr->producer_id || s->producer_id == derived_of(m, tr->producer_id);
        if (!s->consumer_id || !of_track || s->paused == paused)
            continue;
        s->paused = paused;
        if (s->in_router)
            pause_slot(m, q, s, slot_paused(m, q, s));
    }
    return 0;
}

uint32_t hn_room_model_producer_of(const HnRoomModel *m, uint64_t pid, const char *mid)
{
    RmPart *p = find(m, pid);
    RmTrack *tr = p && mid ? track_by_mid(p, mid) : NULL;
    return tr ? tr->producer_id : 0;
}

bool hn_room_model_has(const HnRoomModel *m, uint64_t pid)
{
    return find(m, pid) != NULL;
}

const char *hn_room_model_participant_id(const HnRoomModel *m, uint64_t pid)
{
    RmPart *p = find(m, pid);
    return p ? p->id : NULL;
}

const char *hn_room_model_name(const HnRoomModel *m, uint64_t pid)
{
    RmPart *p = find(m, pid);
    return p ? p->name : NULL;
}

HnRole hn_room_model_role(const HnRoomModel *m, uint64_t pid)
{
    RmPart *p = find(m, pid);
    return p ? p->role : HN_ROLE_MEMBER;
}

size_t hn_room_model_roster(const HnRoomModel *m, uint64_t *pids, size_t max)
{
    size_t n = 0;
    for (guint k = 0; k < m->order->len; k++) {
        RmPart *p = m->order->pdata[k];
        if (p->lobby || p->kind == HN_PART_RECORDER)
            continue;
        if (n < max)
            pids[n] = p->pid;
        n++;
    }
    return n;
}

unsigned hn_room_model_count(const HnRoomModel *m)
{
    return m->order->len;
}

unsigned hn_room_model_publishers(const HnRoomModel *m)
{
    unsigned n = 0;
    for (guint k = 0; k < m->order->len; k++) {
        RmPart *p = m->order->pdata[k];
        for (unsigned i = 0; i < p->n_tracks; i++)
            if (p->tracks[i].producer_id) {
                n++;
                break;
            }
    }
    return n;
}

unsigned hn_room_model_producers(const HnRoomModel *m)
{
    return g_hash_table_size(m->producers);
}

unsigned hn_room_model_consumers(const HnRoomModel *m)
{
    unsigned n = 0;
    for (guint k = 0; k < m->order->len; k++) {
        RmPart *p = m->order->pdata[k];
        for (guint i = 0; i < p->slots->len; i++)
            n += g_array_index(p->slots, HnRoomSlot, i).in_router;
    }
    return n;
}

unsigned hn_room_model_transcodes(const HnRoomModel *m)
{
    unsigned n = 0;
    for (guint i = 0; i < m->tx->len; i++)
        n += g_array_index(m->tx, RmTranscode, i).derived != 0;
    return n;
}

void hn_room_model_get_stats(const HnRoomModel *m, HnRoomModelStats *out)
{
    *out = m->stats;
}

const char *hn_role_name(HnRole role)
{
    switch (role) {
    case HN_ROLE_MEMBER:
        return "member";
    case HN_ROLE_CHAIR:
        return "chair";
    case HN_ROLE_SECRETARY:
        return "secretary";
    case HN_ROLE_OBSERVER:
        return "observer";
    case HN_ROLE_SITE:
        return "site";
    }
    return "unknown";
}

const char *hn_track_source_name(HnTrackSource source)
{
    switch (source) {
    case HN_SOURCE_MICROPHONE:
        return "microphone";
    case HN_SOURCE_CAMERA:
        return "camera";
    case HN_SOURCE_SCREEN:
        return "screen";
    }
    return "unknown";
}

const char *hn_leave_reason_name(HnLeaveReason reason)
{
    switch (reason) {
    case HN_LEAVE_LEFT:
        return "left";
    case HN_LEAVE_DISCONNECTED:
        return "disconnected";
    case HN_LEAVE_TIMEOUT:
        return "timeout";
    case HN_LEAVE_KICKED:
        return "kicked";
    }
    return "unknown";
}

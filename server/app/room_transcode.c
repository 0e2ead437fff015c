/* The room's H.264 -> VP8 transcodes: see room_transcode.h. */
#include "app/room_transcode.h"

#include <errno.h>

#include "core/local_leg.h"

#define RING_SLOTS 1024 /* VP8 packets waiting for the worker, all transcodes of the room */

static HnRoomTranscoder transcoder;
static gboolean have_transcoder;

void hn_room_set_transcoder(const HnRoomTranscoder *ops)
{
    have_transcoder = ops != NULL;
    if (ops)
        transcoder = *ops;
}

void hn_room_transcoder_stats(HnTranscodeStats *out)
{
    *out = (HnTranscodeStats){0};
    if (have_transcoder && transcoder.get_stats)
        transcoder.get_stats(out);
}

typedef struct {
    HnRoomTranscodes *owner;
    uint32_t src, derived, transport;
    int tap;
    HnLeg *leg; /* the derived producer's transport */
    void *tx;
} Tx;

struct HnRoomTranscodes {
    HnRouter *router;
    GMainContext *ctx;
    char *room;
    void (*kick)(void *user);
    void *user;
    HnInjectRing *ring;     /* made at the first transcode */
    GHashTable *by_derived; /* derived producer id -> Tx* */
};

HnRoomTranscodes *hn_room_transcodes_new(HnRouter *router, GMainContext *ctx, const char *room,
                                         void (*kick)(void *user), void *user)
{
    HnRoomTranscodes *t = g_new0(HnRoomTranscodes, 1);
    t->router = router;
    t->ctx = ctx;
    t->room = g_strdup(room);
    t->kick = kick;
    t->user = user;
    t->by_derived = g_hash_table_new(NULL, NULL);
    return t;
}

/* The transcoder's VP8 packets, on the worker: into the router as the derived producer's. */
static void deliver(void *user, const HnInjectPacket *pkt, int64_t now_us)
{
    HnRoomTranscodes *t = user;
    hn_router_on_rtp(t->router, (uint32_t)pkt->target_id, pkt->data, pkt->len, now_us);
    t->kick(t->user);
}

/* The H.264 producer's packets, inside the router: a copy to the transcoder. */
static void tap_rtp(void *user, uint32_t producer_id, const HnTapPacket *p, int64_t now_us)
{
    (void)producer_id;
    (void)now_us;
    Tx *x = user;
    transcoder.push(x->tx, p->buf, p->len);
}

/* Whether a compound RTCP packet holds a PLI or a FIR. */
static gboolean asks_keyframe(const uint8_t *b, size_t len)
{
    while (len >= 4) {
        size_t plen = ((size_t)b[2] << 8 | b[3]) * 4 + 4;
        uint8_t fmt = b[0] & 0x1f, pt = b[1];
        if (pt == 206 && (fmt == 1 || fmt == 4))
            return TRUE;
        if (plen > len)
            break;
        b += plen;
        len -= plen;
    }
    return FALSE;
}

/* What the router sends the derived producer's transport: RRs, and the subscribers' PLI/FIR. */
static void leg_recv(void *user, HnLeg *leg, bool rtcp, const uint8_t *buf, size_t len)
{
    (void)leg;
    Tx *x = user;
    if (rtcp && asks_keyframe(buf, len)) {
        transcoder.keyframe(x->tx);
        /* and of the publisher: a picture the decoder lost a packet of is damaged until its
         * next H.264 key frame (the router limits these requests; safe from a leg callback) */
        hn_router_request_keyframe(x->owner->router, x->src, g_get_monotonic_time());
    }
}

int hn_room_transcodes_start(HnRoomTranscodes *t, const HnRoomAction *a, uint32_t transport_id)
{
    if (!have_transcoder || !a->codec)
        return -ENOTSUP;
    if (!t->ring) {
        GError *err = NULL;
        t->ring = hn_inject_ring_new(t->ctx, RING_SLOTS, deliver, t, &err);
        if (!t->ring) {
            g_warning("room %s: no transcode ring: %s", t->room, err->message);
            g_error_free(err);
            return -ENOTSUP;
        }
        hn_inject_ring_set_max_age(t->ring, HN_INJECT_MAX_AGE_US);
    }
    Tx *x = g_new0(Tx, 1);
    x->owner = t;
    x->src = a->producer_id;
    x->derived = a->derived_id;
    x->transport = transport_id;
    GError *err = NULL;
    x->tx = transcoder.start(a->pt, a->ssrc, t->ring, t, transport_id, &err);
    if (!x->tx) {
        g_warning("room %s: no VP8 transcode of producer %u: %s", t->room, a->producer_id,
                  err ? err->message : "?");
        g_clear_error(&err);
        g_free(x);
        return -ENOTSUP;
    }
    x->leg = hn_local_leg_new(leg_recv, NULL, x);
    int rc = hn_router_add_transport(t->router, transport_id, g_random_int(), x->leg);
    if (rc == 0)
        rc = hn_router_add_producer(t->router, a->derived_id, transport_id, a->codec, a->ssrc);
    if (rc < 0) {
        hn_router_remove_transport(t->router, transport_id);
        hn_leg_destroy(x->leg);
        transcoder.stop(x->tx);
        g_free(x);
        return rc;
    }
    x->tap = hn_router_add_tap(
        t->router,
        &(HnRouterTap){.on_rtp = tap_rtp, .one_producer = true, .producer_id = a->producer_id}, x);
    g_hash_table_insert(t->by_derived, GUINT_TO_POINTER(a->derived_id), x);
    hn_router_request_keyframe(t->router, a->producer_id, g_get_monotonic_time());
    g_message("room %s: producer %u transcoded to VP8 (producer %u)", t->room, a->producer_id,
              a->derived_id);
    return 0;
}

static void tx_end(HnRoomTranscodes *t, Tx *x)
{
    hn_router_remove_tap(t->router, x->tap);
    hn_router_remove_transport(t->router, x->transport); /* with the derived producer */
    hn_leg_destroy(x->leg);
    transcoder.stop(x->tx);
    g_free(x);
}

void hn_room_transcodes_stop(HnRoomTranscodes *t, uint32_t derived_id)
{
    Tx *x = g_hash_table_lookup(t->by_derived, GUINT_TO_POINTER(derived_id));
    if (!x)
        return;
    g_hash_table_remove(t->by_derived, GUINT_TO_POINTER(derived_id));
    g_message("room %s: VP8 transcode of producer %u stopped", t->room, x->src);
    tx_end(t, x);
}

guint hn_room_transcodes_running(const HnRoomTranscodes *t)
{
    return t ? g_hash_table_size(t->by_derived) : 0;
}

void hn_room_transcodes_free(HnRoomTranscodes *t)
{
    if (!t)
        return;
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, t->by_derived);
    while (g_hash_table_iter_next(&it, NULL, &v))
        tx_end(t, v);
    g_hash_table_destroy(t->by_derived);
    if (t->ring) {
        hn_inject_ring_close(t->ring);
        hn_inject_ring_unref(t->ring);
    }
    g_free(t->room);
    g_free(t);
}

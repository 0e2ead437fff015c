/* inject.h - RTP/RTCP from other threads into a worker: a bounded multi-producer,
 * single-consumer ring.
 *
 * Why: the recorder, the composer and SIP legs run off the media threads (docs/architecture.md)
 * and still have packets to put into a room, whose objects only its worker thread may touch. An
 * idle source per packet (g_main_context_invoke) allocates and wakes the loop once per packet;
 * this ring allocates nothing after creation and wakes the worker once per batch.
 *
 * Producers (any thread) copy a packet into a preallocated slot under a short mutex (one memcpy
 * of at most HN_INJECT_PACKET_MAX bytes); when the ring goes from empty to non-empty, the
 * producer that made it so writes the ring's eventfd once; further pushes before the worker has
 * emptied the ring write nothing. The consumer is a GSource on the worker's GMainContext that
 * watches the eventfd and drains up to HN_INJECT_DISPATCH_BUDGET packets per dispatch (the rest
 * at the next loop turn, so timers and sockets keep their turn), calling deliver() for each, on
 * the worker thread, outside the lock, in push order (so per producer in its own order). A full
 * ring refuses the push with -ENOBUFS and counts it: a slow worker sheds injected packets, it
 * never blocks a producer.
 *
 * Lifetime (refcounted): hn_inject_ring_new returns the consumer's reference. Each producer
 * thread takes its own with hn_inject_ring_ref before it starts pushing and drops it when done.
 * The consumer calls hn_inject_ring_close on the worker thread: no packet is delivered after it
 * returns, the packets still queued are discarded (counted in dropped_closed) and every later push
 * fails with -EPIPE (counted too). Then it drops its reference. The memory and the eventfd go with
 * the last reference, whichever thread drops it, so a producer racing the close is always safe:
 * its push either lands before the close (and is discarded or delivered) or fails with -EPIPE.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct HnInjectRing HnInjectRing;

#define HN_INJECT_PACKET_MAX 1500 /* largest packet a producer may push */
/* Bytes of each slot: room after the packet to grow it in place (SRTP protect adds <= 148). */
#define HN_INJECT_SLOT_CAP        (HN_INJECT_PACKET_MAX + 148)
#define HN_INJECT_DISPATCH_BUDGET 256 /* packets delivered per dispatch at most */

typedef enum {
    HN_INJECT_RTP,
    HN_INJECT_RTCP,
} HnInjectKind;

/* One packet as the consumer sees it. */
typedef struct {
    void *target;       /* as pushed, opaque to the ring (transfer none): see hn_inject_push */
    uint64_t target_id; /* as pushed, opaque to the ring */
    HnInjectKind kind;
    uint8_t *data; /* the slot: valid during the deliver call only; may be modified in place */
    size_t len;    /* bytes of the packet */
    size_t cap;    /* bytes of the slot (HN_INJECT_SLOT_CAP): data may grow in place up to cap */
} HnInjectPacket;

/* Called on the consumer's thread for each packet, in push order. now_us: monotonic time of the
 * batch. It may call hn_inject_ring_close (nothing more is delivered after that) and push into
 * this or another ring; it must not drop the last reference of its own ring. */
typedef void (*HnInjectDeliverFn)(void *user, const HnInjectPacket *pkt, int64_t now_us);

typedef struct {
    uint64_t pushed;         /* accepted by hn_inject_push */
    uint64_t delivered;      /* passed to deliver() */
    uint64_t dropped_full;   /* refused: the ring was full (-ENOBUFS) */
    uint64_t dropped_size;   /* refused: empty or larger than HN_INJECT_PACKET_MAX (-EMSGSIZE) */
    uint64_t dropped_closed; /* refused after close (-EPIPE), or queued and discarded by close */
    uint64_t dropped_late;   /* waited longer than the ring's max age: discarded, not delivered */
    uint64_t wakeups;        /* eventfd writes: one per batch, not per packet */
    uint64_t dispatches;     /* times the consumer source ran */
} HnInjectStats;

/* A ring of @capacity slots (1..65536) delivering to @deliver(@user, ...) on @ctx, whose loop
 * must run on the consumer thread. Allocates every slot now (capacity * HN_INJECT_SLOT_CAP
 * bytes). Returns (transfer full: the consumer's reference) the ring, or NULL with @error set
 * when no eventfd can be made. Thread: any. */
HnInjectRing *hn_inject_ring_new(GMainContext *ctx, guint capacity, HnInjectDeliverFn deliver,
                                 void *user, GError **error);

/* Adds a reference for a producer. Returns @r. Thread: any (by a holder of a reference). */
HnInjectRing *hn_inject_ring_ref(HnInjectRing *r);

/* Drops a reference; the last one frees the ring and its eventfd. The ring's source on ctx holds
 * a reference of its own until hn_inject_ring_close (or the destruction of ctx): a ring the
 * consumer forgets to close keeps delivering rather than freeing memory under its loop. NULL is a
 * no-op. Thread: any. */
void hn_inject_ring_unref(HnInjectRing *r);

/* Copies @len bytes of @data (transfer none) into a free slot with @kind, @target and
 * @target_id, for delivery on the consumer thread. The ring never dereferences @target: if it is
 * a pointer, the consumer must be able to tell it is still alive when the packet arrives (a
 * stable id in @target_id looked up on the worker is the safe choice). Never blocks on the
 * consumer, never allocates. Returns 0; -ENOBUFS when the ring is full, -EMSGSIZE when @len is 0
 * or above HN_INJECT_PACKET_MAX, -EPIPE after close: each failure is counted. Thread: any holder
 * of a reference. */
int hn_inject_push(HnInjectRing *r, void *target, uint64_t target_id, HnInjectKind kind,
                   const uint8_t *data, size_t len);

/* Stops delivery: after it returns no packet is delivered, queued ones are discarded (counted in
 * dropped_closed), later pushes fail with -EPIPE. Idempotent. Thread: the consumer's (ctx's)
 * thread, also from inside deliver(). */
void hn_inject_ring_close(HnInjectRing *r);

/* Counters, each read atomically (a snapshot, not one instant for all). Thread: any. */
void hn_inject_ring_get_stats(HnInjectRing *r, HnInjectStats *out);

/* Packets refused or discarded for any reason (full + size + closed). Thread: any. */
uint64_t hn_inject_ring_dropped(HnInjectRing *r);

/* Slots in the ring. Thread: any. */
/* The delay bound (issue 14, "never late"): a packet that waited in the ring longer than
 * max_age_us (monotonic, from its push to the consumer's batch) is discarded and counted in
 * dropped_late instead of being delivered late; 0 (the default): no bound. Costs one clock read
 * per push and one compare per delivered packet. Thread: any. */
void hn_inject_ring_set_max_age(HnInjectRing *r, int64_t max_age_us);
/* The bound the gateway's rings take: [media] max_queue_delay_ms's default. */
#define HN_INJECT_MAX_AGE_US 100000

guint hn_inject_ring_capacity(const HnInjectRing *r);

G_END_DECLS

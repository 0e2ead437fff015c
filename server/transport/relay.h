/* relay.h - packets from one worker thread to another (issue 14: one room across all cores): a
 * bounded single-producer, single-consumer ring, lock-free and batched.
 *
 * Why not the inject ring (inject.h): that one takes any number of producers, so each push takes
 * a mutex. Between two media workers there is exactly one producer (the worker that forwards a
 * publisher's packet) and one consumer (the worker whose subscribers send it on), one relay per
 * ordered pair, so a push is a copy into the next slot and nothing else; the packets become
 * visible to the consumer together, with one release store, when the producer flushes (once per
 * receive batch), and the consumer is woken through an eventfd only when it had gone idle.
 *
 * Producer: hn_relay_push (stages a copy; not visible yet) ... hn_relay_flush (publishes what was
 * staged, wakes the consumer if it sleeps). A full ring refuses the push (-ENOBUFS, counted):
 * the producer never waits. Consumer: a GSource on its GMainContext delivers up to
 * HN_RELAY_DISPATCH_BUDGET packets per dispatch, in push order, outside any lock; a packet older
 * than the relay's max age when the consumer reaches it is discarded and counted (the "never
 * late" bound), not delivered.
 *
 * Lifetime (refcounted, as inject.h): hn_relay_new returns the consumer's reference; the producer
 * takes its own with hn_relay_ref. hn_relay_close (consumer thread) discards what is queued
 * (counted); pushes after it fail with -EPIPE. Memory and eventfd go with the last reference. */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct HnRelay HnRelay;

#define HN_RELAY_PACKET_MAX      1500
#define HN_RELAY_SLOT_CAP        (HN_RELAY_PACKET_MAX + 148) /* room to SRTP-protect in place */
#define HN_RELAY_DISPATCH_BUDGET 256

typedef struct {
    uint64_t target;   /* as pushed, opaque to the relay */
    uint8_t *data;     /* the slot: valid during the deliver call only, may be modified in place */
    size_t len;        /* bytes of the packet */
    size_t cap;        /* HN_RELAY_SLOT_CAP */
    int64_t pushed_us; /* as pushed (the producer's monotonic clock) */
} HnRelayPacket;

/* Consumer thread, for each packet in push order. now_us: monotonic time of the batch. */
typedef void (*HnRelayDeliverFn)(void *user, const HnRelayPacket *pkt, int64_t now_us);

typedef struct {
    uint64_t pushed;         /* accepted by hn_relay_push */
    uint64_t delivered;      /* passed to deliver() */
    uint64_t dropped_full;   /* refused: the ring was full */
    uint64_t dropped_size;   /* refused: empty or larger than HN_RELAY_PACKET_MAX */
    uint64_t dropped_closed; /* refused after close, or queued and discarded by it */
    uint64_t dropped_late;   /* older than the max age when reached */
    uint64_t flushes;        /* hn_relay_flush calls that published something */
    uint64_t wakeups;        /* eventfd writes: only when the consumer had gone idle */
} HnRelayStats;

/* capacity: a power of two, 2..65536 slots (allocated now: capacity * ~1.7 kB). ctx: the
 * consumer's context. NULL with error when no eventfd can be made. Thread: any. */
HnRelay *hn_relay_new(GMainContext *ctx, guint capacity, HnRelayDeliverFn deliver, void *user,
                      GError **error);
HnRelay *hn_relay_ref(HnRelay *r);
void hn_relay_unref(HnRelay *r);
/* Consumer thread: nothing is delivered after it returns. */
void hn_relay_close(HnRelay *r);
/* 0 (default): no bound. Thread: any. */
void hn_relay_set_max_age(HnRelay *r, int64_t max_age_us);

/* Producer thread only. Stages a copy of data (visible to the consumer at the next flush).
 * now_us: the producer's monotonic time (read once per batch by the caller). 0, -ENOBUFS (full),
 * -EMSGSIZE, -EPIPE (closed). */
int hn_relay_push(HnRelay *r, uint64_t target, const uint8_t *data, size_t len, int64_t now_us);
/* Producer thread only: publishes the staged packets, waking the consumer if it was idle. */
void hn_relay_flush(HnRelay *r);

void hn_relay_get_stats(HnRelay *r, HnRelayStats *out);

G_END_DECLS

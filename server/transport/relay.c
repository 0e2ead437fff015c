/* relay.c - single-producer, single-consumer worker-to-worker ring (relay.h).
 *
 * Indices are free-running 64-bit counters (slot = index & mask). The producer owns `staged`
 * (slots written, not yet visible) and publishes it as `head` with a release store; the consumer
 * owns `tail` and publishes it with a release store once a batch is delivered, freeing the slots.
 * Each side caches the other's index and reloads it (acquire) only when the cache says full or
 * empty, so a push touches no shared cache line in the common case.
 *
 * Sleeping without a lost wake-up: an idle consumer stores sleeping = 1, then looks at head once
 * more; a producer stores head, then looks at sleeping; all four sequentially consistent (rather
 * than fences, which ThreadSanitizer does not model), so one of the two sees the other's store:
 * either the consumer finds the new packets, or the producer finds it asleep and writes the
 * eventfd. */
#include "transport/relay.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define CAPACITY_MAX 65536u
#define LINE         64

typedef struct {
    uint64_t target;
    int64_t pushed_us;
    uint32_t len;
    uint8_t data[HN_RELAY_SLOT_CAP] __attribute__((aligned(8)));
} Slot;

typedef struct {
    GSource src;
    HnRelay *relay; /* a reference, dropped in finalize */
} RelaySource;

struct HnRelay {
    atomic_int ref;
    guint cap;
    uint64_t mask;
    int efd;
    HnRelayDeliverFn deliver;
    void *user;
    Slot *slots;
    _Atomic int64_t max_age_us;
    atomic_bool closed;

    /* producer's line */
    _Alignas(LINE) _Atomic uint64_t head; /* published: slots [tail, head) are the consumer's */
    uint64_t staged;                      /* producer only: written up to here */
    uint64_t tail_cache;                  /* producer only: the consumer's tail, last read */
    _Atomic uint64_t pushed, dropped_full, dropped_size, dropped_closed_push, flushes, wakeups;

    /* consumer's line */
    _Alignas(LINE) _Atomic uint64_t tail; /* consumed: slots below are free again */
    atomic_int sleeping;                  /* 1: the consumer waits for the eventfd */
    RelaySource *source;                  /* consumer only; NULL once closed or finalized */
    uint64_t progress;                    /* consumer only: slots below are delivered or dropped */
    _Atomic uint64_t delivered, dropped_late, dropped_closed_queued;
};

static void add(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed); /* one writer per counter */
}

static uint64_t get(_Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* ---- consumer ------------------------------------------------------------------------------ */

/* Delivers up to budget packets. TRUE when packets are left (budget spent). */
static gboolean drain(HnRelay *r, guint budget)
{
    int64_t now = g_get_monotonic_time();
    int64_t max_age = atomic_load_explicit(&r->max_age_us, memory_order_relaxed);
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    for (;;) {
        uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
        if (h == t) {
            /* idle: announce it, then look once more (see the top of the file) */
            atomic_store_explicit(&r->sleeping, 1, memory_order_seq_cst);
            h = atomic_load_explicit(&r->head, memory_order_seq_cst);
            if (h == t)
                return FALSE;
            atomic_store_explicit(&r->sleeping, 0, memory_order_relaxed);
        }
        uint64_t end = MIN(h, t + budget);
        budget -= (guint)(end - t);
        for (; t < end; t++) {
            Slot *s = &r->slots[t & r->mask];
            r->progress = t + 1;
            if (max_age > 0 && now - s->pushed_us > max_age) {
                add(&r->dropped_late, 1);
                continue;
            }
            HnRelayPacket pkt = {
                .target = s->target,
                .data = s->data,
                .len = s->len,
                .cap = HN_RELAY_SLOT_CAP,
                .pushed_us = s->pushed_us,
            };
            add(&r->delivered, 1);
            r->deliver(r->user, &pkt, now);
            if (atomic_load_explicit(&r->closed, memory_order_relaxed))
                return FALSE; /* closed from deliver(): close counted what was left */
        }
        atomic_store_explicit(&r->tail, t, memory_order_release); /* the slots are free again */
        if (budget == 0 && atomic_load_explicit(&r->head, memory_order_acquire) != t)
            return TRUE; /* the rest at the next turn; else the idle check above, which
                          * announces the sleep (never leave with sleeping unset and no turn
                          * scheduled: the next flush would not wake us) */
    }
}

static gboolean source_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    HnRelay *r = ((RelaySource *)src)->relay;
    g_source_set_ready_time(src, -1);
    uint64_t v;
    while (read(r->efd, &v, sizeof v) < 0 && errno == EINTR)
        ;
    if (drain(r, HN_RELAY_DISPATCH_BUDGET))
        g_source_set_ready_time(src, 0); /* the rest at the next loop turn */
    return G_SOURCE_CONTINUE;
}

static void source_finalize(GSource *src)
{
    RelaySource *rs = (RelaySource *)src;
    HnRelay *r = rs->relay;
    rs->relay = NULL;
    if (r->source == rs)
        r->source = NULL;
    hn_relay_unref(r);
}

static GSourceFuncs source_funcs = {.dispatch = source_dispatch, .finalize = source_finalize};

/* ---- life cycle ---------------------------------------------------------------------------- */

HnRelay *hn_relay_new(GMainContext *ctx, guint capacity, HnRelayDeliverFn deliver, void *user,
                      GError **error)
{
    g_return_val_if_fail(ctx != NULL && deliver != NULL, NULL);
    g_return_val_if_fail(
        capacity >= 2 && capacity <= CAPACITY_MAX && (capacity & (capacity - 1)) == 0, NULL);
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "relay: eventfd: %s",
                    g_strerror(e));
        return NULL;
    }
    HnRelay *r = g_aligned_alloc0(1, sizeof(HnRelay), LINE);
    atomic_init(&r->ref, 1);
    r->cap = capacity;
    r->mask = capacity - 1;
    r->efd = efd;
    r->deliver = deliver;
    r->user = user;
    r->slots = g_new(Slot, capacity);
    atomic_init(&r->sleeping, 1);
    RelaySource *rs = (RelaySource *)g_source_new(&source_funcs, sizeof(RelaySource));
    rs->relay = hn_relay_ref(r);
    g_source_set_name(&rs->src, "hn-relay");
    g_source_add_unix_fd(&rs->src, efd, G_IO_IN);
    g_source_attach(&rs->src, ctx);
    g_source_unref(&rs->src);
    r->source = rs;
    return r;
}

HnRelay *hn_relay_ref(HnRelay *r)
{
    g_return_val_if_fail(r != NULL, NULL);
    atomic_fetch_add_explicit(&r->ref, 1, memory_order_relaxed);
    return r;
}

void hn_relay_unref(HnRelay *r)
{
    if (r == NULL || atomic_fetch_sub_explicit(&r->ref, 1, memory_order_acq_rel) != 1)
        return;
    close(r->efd);
    g_free(r->slots);
    g_aligned_free(r);
}

void hn_relay_close(HnRelay *r)
{
    g_return_if_fail(r != NULL);
    if (atomic_exchange_explicit(&r->closed, true, memory_order_acq_rel))
        return;
    /* What the producer had published and nobody delivered is discarded. (A push racing this
     * close may still land in a slot: it is never delivered, and freed with the memory.) */
    uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
    add(&r->dropped_closed_queued,
        h - MAX(r->progress, atomic_load_explicit(&r->tail, memory_order_relaxed)));
    atomic_store_explicit(&r->tail, h, memory_order_release);
    RelaySource *rs = r->source;
    r->source = NULL;
    if (rs != NULL)
        g_source_destroy(&rs->src);
}

void hn_relay_set_max_age(HnRelay *r, int64_t max_age_us)
{
    g_return_if_fail(r != NULL);
    atomic_store_explicit(&r->max_age_us, max_age_us > 0 ? max_age_us : 0, memory_order_relaxed);
}

/* ---- producer ------------------------------------------------------------------------------ */

int hn_relay_push(HnRelay *r, uint64_t target, const uint8_t *data, size_t len, int64_t now_us)
{
    if (len == 0 || len > HN_RELAY_PACKET_MAX || data == NULL) {
        add(&r->dropped_size, 1);
        return -EMSGSIZE;
    }
    if (atomic_load_explicit(&r->closed, memory_order_relaxed)) {
        add(&r->dropped_closed_push, 1);
        return -EPIPE;
    }
    if (r->staged - r->tail_cache >= r->cap) {
        r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (r->staged - r->tail_cache >= r->cap) {
            add(&r->dropped_full, 1);
            return -ENOBUFS;
        }
    }
    Slot *s = &r->slots[r->staged & r->mask];
    s->target = target;
    s->pushed_us = now_us;
    s->len = (uint32_t)len;
    memcpy(s->data, data, len);
    r->staged++;
    add(&r->pushed, 1);
    return 0;
}

void hn_relay_flush(HnRelay *r)
{
    if (r->staged == atomic_load_explicit(&r->head, memory_order_relaxed))
        return;
    atomic_store_explicit(&r->head, r->staged, memory_order_seq_cst);
    add(&r->flushes, 1);
    if (atomic_load_explicit(&r->sleeping, memory_order_seq_cst) &&
        atomic_exchange_explicit(&r->sleeping, 0, memory_order_relaxed)) {
        uint64_t one = 1;
        while (write(r->efd, &one, sizeof one) < 0 && errno == EINTR)
            ;
        add(&r->wakeups, 1);
    }
}

void hn_relay_get_stats(HnRelay *r, HnRelayStats *out)
{
    g_return_if_fail(r != NULL && out != NULL);
    *out = (HnRelayStats){
        .pushed = get(&r->pushed),
        .delivered = get(&r->delivered),
        .dropped_full = get(&r->dropped_full),
        .dropped_size = get(&r->dropped_size),
        .dropped_closed = get(&r->dropped_closed_push) + get(&r->dropped_closed_queued),
        .dropped_late = get(&r->dropped_late),
        .flushes = get(&r->flushes),
        .wakeups = get(&r->wakeups),
    };
}

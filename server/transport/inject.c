/* inject.c - bounded MPSC ring from any thread into a worker's loop (see inject.h).
 *
 * Ownership of slots: [head, head + count) are queued, in push order. A producer writes only the
 * free slot at head + count, under the lock. The consumer takes a batch [head, head + n) under
 * the lock, delivers it outside the lock (producers cannot touch those slots: count still covers
 * them), then retires it under the lock. So a slot is never written while it is delivered.
 *
 * Wake-ups: wake_pending is TRUE from the push that found the ring idle until the consumer finds
 * it empty under the lock. Only the push that sets it writes the eventfd, so a burst of pushes
 * costs one write and one loop wake-up; the consumer clearing it only when it saw the ring empty
 * means a push can never be left without a wake-up.
 */
#include "transport/inject.h"

#include <errno.h>
#include <glib-unix.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define CAPACITY_MAX 65536u

typedef struct {
    void *target;
    uint64_t target_id;
    uint16_t len;
    uint8_t kind;
    int64_t pushed_us; /* monotonic: when the producer pushed it (the delay bound) */
    uint8_t data[HN_INJECT_SLOT_CAP] __attribute__((aligned(8)));
} Slot;

typedef struct {
    GSource src;
    HnInjectRing *ring; /* a reference, dropped in finalize */
} InjectSource;

/* A pthread mutex and C11 atomics rather than GMutex and g_atomic_*: GLib's futex-based lock
 * is invisible to ThreadSanitizer unless GLib itself is instrumented, and this module's
 * correctness is exactly what a TSan run should check. */
struct HnInjectRing {
    atomic_int ref;
    guint cap;
    int efd;
    HnInjectDeliverFn deliver;
    void *user;
    _Atomic int64_t max_age_us; /* older packets are dropped, not delivered (0: no bound) */
    /* under lock */
    pthread_mutex_t lock;
    guint head, count;
    gboolean wake_pending;
    gboolean closed;
    /* consumer thread only */
    InjectSource *source; /* borrowed (ctx holds it), NULL once closed or finalized */
    guint batch_done;     /* packets of the batch in delivery already delivered */
    /* any thread, relaxed atomics */
    _Atomic uint64_t pushed, delivered, dropped_full, dropped_size, dropped_closed, dropped_late,
        wakeups, dispatches;
    Slot *slots;
};

static void count(_Atomic uint64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t load(_Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* ---- consumer ------------------------------------------------------------------------------ */

static void drain_eventfd(HnInjectRing *r)
{
    uint64_t v;
    while (read(r->efd, &v, sizeof v) < 0 && errno == EINTR)
        ;
}

/* Delivers up to @budget packets in batches (one lock to take a batch, one to retire it).
 * Returns TRUE when packets are left (budget spent) and the ring is still open. */
static gboolean drain(HnInjectRing *r, guint budget)
{
    int64_t now = g_get_monotonic_time();
    guint total = 0;
    while (total < budget) {
        pthread_mutex_lock(&r->lock);
        if (r->closed) {
            pthread_mutex_unlock(&r->lock);
            return FALSE;
        }
        guint start = r->head;
        guint n = MIN(r->count, budget - total);
        if (n == 0) {
            r->wake_pending = FALSE; /* seen empty: the next push wakes us */
            pthread_mutex_unlock(&r->lock);
            return FALSE;
        }
        pthread_mutex_unlock(&r->lock);
        r->batch_done = 0;
        int64_t max_age = atomic_load_explicit(&r->max_age_us, memory_order_relaxed);
        for (guint i = 0; i < n && !r->closed; i++) {
            Slot *s = &r->slots[(start + i) % r->cap];
            if (max_age > 0 && now - s->pushed_us > max_age) { /* late: never forwarded late */
                r->batch_done++;
                count(&r->dropped_late, 1);
                continue;
            }
            HnInjectPacket pkt = {
                .target = s->target,
                .target_id = s->target_id,
                .kind = (HnInjectKind)s->kind,
                .data = s->data,
                .len = s->len,
                .cap = HN_INJECT_SLOT_CAP,
            };
            r->batch_done++;
            count(&r->delivered, 1);
            r->deliver(r->user, &pkt, now);
        }
        pthread_mutex_lock(&r->lock);
        if (!r->closed) {
            r->head = (r->head + n) % r->cap;
            r->count -= n;
        }
        r->batch_done = 0;
        gboolean closed = r->closed, empty = r->count == 0;
        if (empty)
            r->wake_pending = FALSE; /* seen empty: the next push wakes us */
        pthread_mutex_unlock(&r->lock);
        if (closed || empty)
            return FALSE;
        total += n;
    }
    return TRUE; /* budget spent, packets left */
}

static gboolean source_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    HnInjectRing *r = ((InjectSource *)src)->ring;
    g_source_set_ready_time(src, -1);
    drain_eventfd(r);
    count(&r->dispatches, 1);
    if (drain(r, HN_INJECT_DISPATCH_BUDGET))
        g_source_set_ready_time(src, 0); /* the rest at the next loop turn */
    return G_SOURCE_CONTINUE;
}

/* Runs when the source's last reference goes: after hn_inject_ring_close, or when ctx is
 * destroyed with the source still attached. */
static void source_finalize(GSource *src)
{
    InjectSource *is = (InjectSource *)src;
    HnInjectRing *r = is->ring;
    is->ring = NULL;
    if (r->source == is)
        r->source = NULL; /* ctx went away without a close: nothing left to destroy */
    hn_inject_ring_unref(r);
}

static GSourceFuncs source_funcs = {.dispatch = source_dispatch, .finalize = source_finalize};

/* ---- life cycle ---------------------------------------------------------------------------- */

HnInjectRing *hn_inject_ring_new(GMainContext *ctx, guint capacity, HnInjectDeliverFn deliver,
                                 void *user, GError **error)
{
    g_return_val_if_fail(ctx != NULL && deliver != NULL, NULL);
    g_return_val_if_fail(capacity >= 1 && capacity <= CAPACITY_MAX, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "inject ring: eventfd: %s",
                    g_strerror(e));
        return NULL;
    }
    HnInjectRing *r = g_new0(HnInjectRing, 1);
    atomic_init(&r->ref, 1);
    pthread_mutex_init(&r->lock, NULL);
    r->cap = capacity;
    r->efd = efd;
    r->deliver = deliver;
    r->user = user;
    r->slots = g_new(Slot, capacity);
    InjectSource *is = (InjectSource *)g_source_new(&source_funcs, sizeof(InjectSource));
    is->ring = hn_inject_ring_ref(r);
    g_source_set_name(&is->src, "hn-inject");
    g_source_add_unix_fd(&is->src, efd, G_IO_IN);
    g_source_attach(&is->src, ctx);
    g_source_unref(&is->src); /* ctx owns it; r->source is borrowed until finalize clears it */
    r->source = is;
    return r;
}

HnInjectRing *hn_inject_ring_ref(HnInjectRing *r)
{
    g_return_val_if_fail(r != NULL, NULL);
    atomic_fetch_add_explicit(&r->ref, 1, memory_order_relaxed);
    return r;
}

void hn_inject_ring_unref(HnInjectRing *r)
{
    if (r == NULL || atomic_fetch_sub_explicit(&r->ref, 1, memory_order_acq_rel) != 1)
        return;
    /* The source holds a reference until it is finalized: the ring is closed or never ran. */
    close(r->efd);
    pthread_mutex_destroy(&r->lock);
    g_free(r->slots);
    g_free(r);
}

void hn_inject_ring_close(HnInjectRing *r)
{
    g_return_if_fail(r != NULL);
    pthread_mutex_lock(&r->lock);
    if (r->closed) {
        pthread_mutex_unlock(&r->lock);
        return;
    }
    r->closed = TRUE;
    /* Queued and not yet delivered (a close from inside deliver() has delivered batch_done). */
    guint discarded = r->count - r->batch_done;
    r->count = 0;
    pthread_mutex_unlock(&r->lock);
    count(&r->dropped_closed, discarded);
    InjectSource *is = r->source;
    r->source = NULL;
    if (is != NULL) /* finalize (now, or after a running dispatch) drops the source's ring ref */
        g_source_destroy(&is->src);
}

/* ---- producers ----------------------------------------------------------------------------- */

int hn_inject_push(HnInjectRing *r, void *target, uint64_t target_id, HnInjectKind kind,
                   const uint8_t *data, size_t len)
{
    g_return_val_if_fail(r != NULL, -EINVAL);
    if (len == 0 || len > HN_INJECT_PACKET_MAX || data == NULL) {
        count(&r->dropped_size, 1);
        return -EMSGSIZE;
    }
    int64_t now = g_get_monotonic_time();
    pthread_mutex_lock(&r->lock);
    if (r->closed) {
        pthread_mutex_unlock(&r->lock);
        count(&r->dropped_closed, 1);
        return -EPIPE;
    }
    if (r->count == r->cap) {
        pthread_mutex_unlock(&r->lock);
        count(&r->dropped_full, 1);
        return -ENOBUFS;
    }
    Slot *s = &r->slots[(r->head + r->count) % r->cap];
    s->target = target;
    s->target_id = target_id;
    s->kind = (uint8_t)kind;
    s->pushed_us = now;
    s->len = (uint16_t)len;
    memcpy(s->data, data, len);
    r->count++;
    gboolean wake = !r->wake_pending;
    r->wake_pending = TRUE;
    pthread_mutex_unlock(&r->lock);
    count(&r->pushed, 1);
    if (wake) {
        /* The eventfd lives as long as the ring, and we hold a reference: never a stale fd. */
        uint64_t one = 1;
        while (write(r->efd, &one, sizeof one) < 0 && errno == EINTR)
            ;
        count(&r->wakeups, 1);
    }
    return 0;
}

/* ---- counters ------------------------------------------------------------------------------ */

void hn_inject_ring_get_stats(HnInjectRing *r, HnInjectStats *out)
{
    g_return_if_fail(r != NULL && out != NULL);
    out->pushed = load(&r->pushed);
    out->delivered = load(&r->delivered);
    out->dropped_full = load(&r->dropped_full);
    out->dropped_size = load(&r->dropped_size);
    out->dropped_closed = load(&r->dropped_closed);
    out->dropped_late = load(&r->dropped_late);
    out->wakeups = load(&r->wakeups);
    out->dispatches = load(&r->dispatches);
}

uint64_t hn_inject_ring_dropped(HnInjectRing *r)
{
    g_return_val_if_fail(r != NULL, 0);
    return load(&r->dropped_full) + load(&r->dropped_size) + load(&r->dropped_closed) +
           load(&r->dropped_late);
}

void hn_inject_ring_set_max_age(HnInjectRing *r, int64_t max_age_us)
{
    g_return_if_fail(r != NULL);
    atomic_store_explicit(&r->max_age_us, max_age_us > 0 ? max_age_us : 0, memory_order_relaxed);
}

guint hn_inject_ring_capacity(const HnInjectRing *r)
{
    g_return_val_if_fail(r != NULL, 0);
    return r->cap;
}

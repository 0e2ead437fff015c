#include "transport/worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/admission.h"
#include "transport/mailbox.h"

struct HnWorker {
    guint index;
    GMainContext *ctx;
    GMainLoop *loop;
    GThread *thread;
    HnMailbox *mailbox; /* every call from other threads (hn_worker_invoke) */
    guint rooms;        /* signalling thread only */
    HnUdpMux *mux;      /* used on the worker thread; freed after it is joined */
    GSource *lag_timer;
    HnWorkerLagStats lag;  /* worker thread only */
    HnAdmission admission; /* worker thread only */
    gint retry_after;      /* atomic: 0, or busy and the seconds a newcomer should wait */
    HnWorkerPool *pool;
    GHashTable *endpoints; /* relay endpoints: key -> Endpoint* (worker thread only) */
    GSource *relay_flush;  /* prepare: publishes what this worker staged in its relays */
    gboolean relay_staged; /* worker thread only: some relay of ours holds staged packets */
};

/* The relay from one worker to another (pool->pairs[from * n + to]). */
typedef struct {
    HnRelay *relay; /* the pool's reference; NULL until opened */
    HnWorker *to;
    guint staged;             /* producer only: pushed since the last flush */
    _Atomic uint64_t unknown; /* consumer only writes: packets for no endpoint */
} RelayPair;

typedef struct {
    HnWorkerRelayFn fn;
    void *user;
} Endpoint;

const int64_t hn_worker_lag_bounds_us[HN_WORKER_LAG_BUCKETS - 1] = {
    1000, 2000, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000};

static gboolean lag_tick(gpointer data)
{
    HnWorker *w = data;
    /* during the callback the source's ready time is still the time it was due */
    int64_t lag = g_get_monotonic_time() - g_source_get_ready_time(w->lag_timer);
    if (lag < 0)
        lag = 0;
    HnWorkerLagStats *s = &w->lag;
    s->last_us = lag;
    s->max_us = MAX(s->max_us, lag);
    s->sum_us += lag;
    s->count++;
    int b = 0;
    while (b < HN_WORKER_LAG_BUCKETS - 1 && lag > hn_worker_lag_bounds_us[b])
        b++;
    s->buckets[b]++;
    /* admission control: the worse of the loop's lag and the sockets' queueing delay */
    int64_t now = g_get_monotonic_time();
    int64_t sample = w->mux ? MAX(lag, hn_udp_mux_take_delay(w->mux)) : lag;
    hn_admission_sample(&w->admission, now, sample);
    g_atomic_int_set(&w->retry_after, (gint)hn_admission_retry_after(&w->admission, now));
    return G_SOURCE_CONTINUE;
}

struct HnWorkerPool {
    guint n;
    HnWorker *workers;
    HnMailbox *home;  /* on the creating thread's context: the workers' replies */
    RelayPair *pairs; /* n * n, the diagonal unused */
    atomic_int relays_open;
};

static gpointer worker_main(gpointer data)
{
    HnWorker *w = data;
    g_main_context_push_thread_default(w->ctx);
    g_main_loop_run(w->loop);
    /* Run what was queued before the quit (deferred frees), so shutdown leaks nothing. */
    for (int i = 0; i < 100 && g_main_context_iteration(w->ctx, FALSE); i++)
        ;
    g_main_context_pop_thread_default(w->ctx);
    return NULL;
}

HnWorkerPool *hn_worker_pool_new(guint n)
{
    g_return_val_if_fail(n >= 1, NULL);
    HnWorkerPool *pool = g_new0(HnWorkerPool, 1);
    pool->n = n;
    pool->workers = g_new0(HnWorker, n);
    pool->pairs = g_new0(RelayPair, (gsize)n * n);
    GMainContext *home = g_main_context_ref_thread_default();
    pool->home = hn_mailbox_new(home, NULL);
    g_main_context_unref(home);
    if (!pool->home)
        g_error("cannot open an eventfd for the workers' replies");
    for (guint i = 0; i < n; i++) {
        HnWorker *w = &pool->workers[i];
        w->index = i;
        w->pool = pool;
        w->endpoints = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
        w->ctx = g_main_context_new();
        w->loop = g_main_loop_new(w->ctx, FALSE);
        w->lag_timer = g_timeout_source_new(HN_WORKER_LAG_PERIOD_MS);
        g_source_set_callback(w->lag_timer, lag_tick, w, NULL);
        g_source_attach(w->lag_timer, w->ctx);
        w->mailbox = hn_mailbox_new(w->ctx, NULL);
        if (!w->mailbox)
            g_error("worker %u: cannot open an eventfd for its mailbox", i);
        char name[16];
        g_snprintf(name, sizeof name, "hn-worker-%u", i);
        w->thread = g_thread_new(name, worker_main, w);
    }
    return pool;
}

static gboolean quit_loop(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

void hn_worker_pool_free(HnWorkerPool *pool)
{
    if (!pool)
        return;
    for (guint i = 0; i < pool->n; i++) {
        HnWorker *w = &pool->workers[i];
        hn_mailbox_post(w->mailbox, quit_loop, w->loop, NULL);
    }
    for (guint i = 0; i < pool->n; i++) {
        HnWorker *w = &pool->workers[i];
        g_thread_join(w->thread);
    }
    /* the threads are gone: nothing delivers or pushes any more */
    for (guint i = 0; i < pool->n * pool->n; i++) {
        RelayPair *p = &pool->pairs[i];
        if (p->relay) {
            hn_relay_close(p->relay);
            hn_relay_unref(p->relay);
        }
    }
    for (guint i = 0; i < pool->n; i++) {
        HnWorker *w = &pool->workers[i];
        if (w->relay_flush) {
            g_source_destroy(w->relay_flush);
            g_source_unref(w->relay_flush);
        }
        if (g_hash_table_size(w->endpoints))
            g_message("worker %u: %u relay endpoints left at exit", i,
                      g_hash_table_size(w->endpoints));
        g_hash_table_destroy(w->endpoints);
        g_source_destroy(w->lag_timer);
        g_source_unref(w->lag_timer);
        hn_mailbox_free(w->mailbox);
        hn_udp_mux_free(w->mux);
        g_main_loop_unref(w->loop);
        g_main_context_unref(w->ctx);
    }
    hn_mailbox_free(pool->home); /* replies never read: destroyed, not run */
    g_free(pool->pairs);
    g_free(pool->workers);
    g_free(pool);
}

/* (pthread's mutex and condition: ThreadSanitizer sees them; GLib's futex-based GMutex it does
 * not, and reported the barrier's counter as a race) */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    guint left;
} SyncBarrier;

static gboolean sync_reached(gpointer data)
{
    SyncBarrier *b = data;
    pthread_mutex_lock(&b->lock);
    if (--b->left == 0)
        pthread_cond_signal(&b->cond);
    pthread_mutex_unlock(&b->lock);
    return G_SOURCE_REMOVE;
}

void hn_worker_pool_sync(HnWorkerPool *pool)
{
    if (!pool)
        return;
    SyncBarrier b = {.left = pool->n};
    pthread_mutex_init(&b.lock, NULL);
    pthread_cond_init(&b.cond, NULL);
    for (guint i = 0; i < pool->n; i++)
        hn_mailbox_post(pool->workers[i].mailbox, sync_reached, &b, NULL);
    pthread_mutex_lock(&b.lock);
    while (b.left > 0)
        pthread_cond_wait(&b.cond, &b.lock);
    pthread_mutex_unlock(&b.lock);
    pthread_mutex_destroy(&b.lock);
    pthread_cond_destroy(&b.cond);
}

HnWorker *hn_worker_pool_pick(HnWorkerPool *pool)
{
    /* the fewest rooms among the workers that take newcomers, else among all */
    HnWorker *best = NULL, *best_busy = NULL;
    for (guint i = 0; i < pool->n; i++) {
        HnWorker *w = &pool->workers[i];
        HnWorker **slot = hn_worker_busy(w) ? &best_busy : &best;
        if (!*slot || w->rooms < (*slot)->rooms)
            *slot = w;
    }
    return best ? best : best_busy;
}

guint hn_worker_pool_size(const HnWorkerPool *pool)
{
    return pool->n;
}

HnMailbox *hn_worker_pool_home(HnWorkerPool *pool)
{
    return pool->home;
}

HnWorker *hn_worker_pool_get(HnWorkerPool *pool, guint i)
{
    g_return_val_if_fail(i < pool->n, NULL);
    return &pool->workers[i];
}

void hn_worker_add_room(HnWorker *w)
{
    w->rooms++;
}

void hn_worker_remove_room(HnWorker *w)
{
    if (w->rooms > 0)
        w->rooms--;
}

GMainContext *hn_worker_context(HnWorker *w)
{
    return w->ctx;
}

void hn_worker_invoke(HnWorker *w, GSourceFunc fn, gpointer data, GDestroyNotify destroy)
{
    /* Not g_main_context_invoke_full: from the worker thread itself that would run fn
     * re-entrantly inside the caller; the mailbox always runs it at the next loop turn. */
    hn_mailbox_post(w->mailbox, fn, data, destroy);
}

void hn_worker_get_lag(HnWorker *w, HnWorkerLagStats *out)
{
    *out = w->lag;
}

guint hn_worker_index(const HnWorker *w)
{
    return w->index;
}

/* On the worker: its mux is watched from here on (see hn_udp_mux_attach). */
static gboolean attach_mux(gpointer data)
{
    HnWorker *w = data;
    hn_udp_mux_attach(w->mux, w->ctx);
    return G_SOURCE_REMOVE;
}

gboolean hn_worker_pool_open_muxes(HnWorkerPool *pool, const HnIceSettings *ice, GError **error)
{
    if (ice->port_min && (guint)ice->port_min + pool->n - 1 > ice->port_max) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "rtp_port_min..rtp_port_max (%u..%u) holds fewer ports than the %u media "
                    "workers need (one each with ice_lite)",
                    ice->port_min, ice->port_max, pool->n);
        return FALSE;
    }
    char **ips = hn_ice_settings_local_ips(ice);
    gboolean ok = TRUE;
    for (guint i = 0; i < pool->n && ok; i++) {
        HnWorker *w = &pool->workers[i];
        guint16 port = ice->port_min ? (guint16)(ice->port_min + i) : 0;
        w->mux = hn_udp_mux_new(NULL, ips, port, ice->public_ip, error);
        ok = w->mux != NULL;
        if (ok && ice->rx_peak_mbps)
            hn_udp_mux_set_rx_bound(w->mux, ice->max_queue_delay_ms, ice->rx_peak_mbps);
        if (ok && ice->handshake_budget_pct)
            hn_udp_mux_set_handshake_budget(w->mux, ice->handshake_budget_pct);
        if (ok)
            hn_mailbox_post(w->mailbox, attach_mux, w, NULL);
        if (ok)
            g_message("worker %u: media on UDP port %u (ICE-lite)", i, hn_udp_mux_port(w->mux));
    }
    g_strfreev(ips);
    return ok;
}

typedef struct {
    HnWorker *w;
    guint busy_lag_ms, hold_s;
} AdmissionSet;

static gboolean set_admission(gpointer data)
{
    AdmissionSet *a = data;
    hn_admission_init(&a->w->admission, a->busy_lag_ms, a->hold_s);
    g_atomic_int_set(&a->w->retry_after, 0);
    return G_SOURCE_REMOVE;
}

void hn_worker_pool_set_admission(HnWorkerPool *pool, guint busy_lag_ms, guint hold_s)
{
    for (guint i = 0; i < pool->n; i++) {
        AdmissionSet *a = g_new(AdmissionSet, 1);
        *a = (AdmissionSet){&pool->workers[i], busy_lag_ms, hold_s};
        hn_mailbox_post(pool->workers[i].mailbox, set_admission, a, g_free);
    }
}

guint hn_worker_busy(HnWorker *w)
{
    return (guint)g_atomic_int_get(&w->retry_after);
}

HnUdpMux *hn_worker_mux(HnWorker *w)
{
    return w->mux;
}

/* --- relays ----------------------------------------------------------------------------------- */

static _Atomic uint64_t next_relay_key;

/* Consumer: a packet of the relay from -> this worker. */
static void relay_deliver(void *user, const HnRelayPacket *pkt, int64_t now_us)
{
    RelayPair *p = user;
    uint64_t key = pkt->target >> 2;
    Endpoint *e = g_hash_table_lookup(p->to->endpoints, &key);
    if (!e) {
        atomic_store_explicit(&p->unknown,
                              atomic_load_explicit(&p->unknown, memory_order_relaxed) + 1,
                              memory_order_relaxed);
        return;
    }
    e->fn(e->user, pkt, now_us);
}

static void relay_flush_all(HnWorker *w)
{
    HnWorkerPool *pool = w->pool;
    for (guint to = 0; to < pool->n; to++) {
        RelayPair *p = &pool->pairs[w->index * pool->n + to];
        if (p->staged) {
            hn_relay_flush(p->relay);
            p->staged = 0;
        }
    }
    w->relay_staged = FALSE;
}

static gboolean relay_flush_prepare(GSource *src, gint *timeout)
{
    HnWorker *w = *(HnWorker **)(src + 1);
    if (w->relay_staged)
        relay_flush_all(w);
    *timeout = -1;
    return FALSE;
}

static gboolean relay_flush_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs relay_flush_funcs = {.prepare = relay_flush_prepare,
                                         .dispatch = relay_flush_dispatch};

typedef struct {
    HnWorker *w;
    int64_t max_age_us;
} RelayOpen;

/* On worker w: opens the relays w consumes (attached to its own context) and its flush hook. */
static gboolean relay_open_here(gpointer data)
{
    RelayOpen *o = data;
    HnWorker *w = o->w;
    HnWorkerPool *pool = w->pool;
    for (guint from = 0; from < pool->n; from++) {
        if (from == w->index)
            continue;
        RelayPair *p = &pool->pairs[from * pool->n + w->index];
        GError *err = NULL;
        p->to = w;
        p->relay = hn_relay_new(w->ctx, HN_WORKER_RELAY_CAPACITY, relay_deliver, p, &err);
        if (!p->relay)
            g_error("worker %u: cannot open a relay: %s", w->index, err->message);
        hn_relay_set_max_age(p->relay, o->max_age_us);
    }
    w->relay_flush = g_source_new(&relay_flush_funcs, sizeof(GSource) + sizeof(HnWorker *));
    *(HnWorker **)(w->relay_flush + 1) = w;
    g_source_set_name(w->relay_flush, "hn-relay-flush");
    g_source_attach(w->relay_flush, w->ctx);
    return G_SOURCE_REMOVE;
}

void hn_worker_pool_open_relays(HnWorkerPool *pool, int64_t max_age_us)
{
    if (pool->n < 2 || atomic_load(&pool->relays_open))
        return;
    for (guint i = 0; i < pool->n; i++) {
        RelayOpen *o = g_new(RelayOpen, 1);
        *o = (RelayOpen){&pool->workers[i], max_age_us};
        hn_mailbox_post(pool->workers[i].mailbox, relay_open_here, o, g_free);
    }
    hn_worker_pool_sync(pool); /* every relay exists before anyone pushes */
    atomic_store(&pool->relays_open, 1);
}

gboolean hn_worker_pool_has_relays(const HnWorkerPool *pool)
{
    return atomic_load(&((HnWorkerPool *)pool)->relays_open) != 0;
}

uint64_t hn_worker_relay_key(void)
{
    return atomic_fetch_add(&next_relay_key, 1) + 1;
}

void hn_worker_relay_register(HnWorker *self, uint64_t key, HnWorkerRelayFn fn, void *user)
{
    Endpoint *e = g_new(Endpoint, 1);
    *e = (Endpoint){fn, user};
    g_hash_table_replace(self->endpoints, g_memdup2(&key, sizeof key), e);
}

void hn_worker_relay_unregister(HnWorker *self, uint64_t key)
{
    g_hash_table_remove(self->endpoints, &key);
}

void *hn_worker_relay_find(HnWorker *self, uint64_t key, HnWorkerRelayFn fn)
{
    Endpoint *e = g_hash_table_lookup(self->endpoints, &key);
    return e && e->fn == fn ? e->user : NULL;
}

void hn_worker_relay_flush(HnWorker *self)
{
    if (self->relay_staged)
        relay_flush_all(self);
}

int hn_worker_relay_push(HnWorker *self, HnWorker *to, uint64_t target, const uint8_t *data,
                         size_t len, int64_t now_us)
{
    HnWorkerPool *pool = self->pool;
    if (to == self || to->pool != pool)
        return -ENOTCONN;
    RelayPair *p = &pool->pairs[self->index * pool->n + to->index];
    if (!p->relay)
        return -ENOTCONN;
    int rc = hn_relay_push(p->relay, target, data, len, now_us);
    if (rc == 0) {
        self->relay_staged = TRUE;
        if (++p->staged >= HN_WORKER_RELAY_FLUSH_EVERY) {
            hn_relay_flush(p->relay);
            p->staged = 0;
        }
    }
    return rc;
}

gboolean hn_worker_pool_relay_stats(HnWorkerPool *pool, guint from, guint to, HnRelayStats *out,
                                    uint64_t *unknown)
{
    if (from >= pool->n || to >= pool->n || from == to || !hn_worker_pool_has_relays(pool))
        return FALSE;
    RelayPair *p = &pool->pairs[from * pool->n + to];
    hn_relay_get_stats(p->relay, out);
    *unknown = atomic_load_explicit(&p->unknown, memory_order_relaxed);
    return TRUE;
}

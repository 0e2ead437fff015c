/* Media worker threads: each owns one GMainContext and runs its loop; every room, ICE agent and
 * timer of that room lives on that context, so fan-out needs no locks. Other threads talk to a
 * worker only through hn_worker_invoke(). */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "transport/ice.h"
#include "transport/mailbox.h"
#include "transport/relay.h"
#include "transport/udp_mux.h"

typedef struct HnWorker HnWorker;
typedef struct HnWorkerPool HnWorkerPool;

/* Starts n worker threads (n >= 1). transfer full. Thread: any. */
HnWorkerPool *hn_worker_pool_new(guint n);
/* Stops every worker (their loops quit after the current turn) and joins the threads. NULL ok. */
void hn_worker_pool_free(HnWorkerPool *pool);
/* Waits until every worker has run everything posted to it before this call (a barrier; the
 * workers keep running). For shutdown: after it, no callback of a room that was freed before it
 * runs any more. Thread: not a worker's. */
void hn_worker_pool_sync(HnWorkerPool *pool);
/* The worker with the fewest rooms, among those admission control does not hold busy when there
 * are any; the caller then counts a room on it. transfer none. */
HnWorker *hn_worker_pool_pick(HnWorkerPool *pool);
guint hn_worker_pool_size(const HnWorkerPool *pool);
/* Worker i (0 <= i < size) of the pool, for start-up reports and metrics. transfer none. */
HnWorker *hn_worker_pool_get(HnWorkerPool *pool, guint i);

/* The mailbox of the thread that created the pool (its thread-default context, the signalling
 * thread in the server): workers post their replies here. It lives until hn_worker_pool_free, after
 * the workers have ended, so a worker may post until the end; what is still queued then is
 * destroyed, not run. transfer none. */
HnMailbox *hn_worker_pool_home(HnWorkerPool *pool);

/* Room accounting used by hn_worker_pool_pick (signalling thread only). */
void hn_worker_add_room(HnWorker *w);
void hn_worker_remove_room(HnWorker *w);

/* The worker's context (transfer none): attach sources and libnice agents of its rooms here. */
GMainContext *hn_worker_context(HnWorker *w);
/* Runs fn(data) once on the worker thread at its next loop turn (its return value is ignored),
 * then destroy(data); calls run in the order they were made (transport/mailbox.h). Thread: any. */
void hn_worker_invoke(HnWorker *w, GSourceFunc fn, gpointer data, GDestroyNotify destroy);
/* Index of the worker in its pool, for logs. */
guint hn_worker_index(const HnWorker *w);

/* Loop lag: every HN_WORKER_LAG_PERIOD_MS each worker runs a timer and records how late it fired
 * (time from when it was due to when it ran: what any packet or timer on that worker waits
 * beyond its own work). Histogram buckets: upper bounds in microseconds, the last bucket counts
 * what is above the last bound. */
#define HN_WORKER_LAG_PERIOD_MS 100
#define HN_WORKER_LAG_BUCKETS   11
extern const int64_t hn_worker_lag_bounds_us[HN_WORKER_LAG_BUCKETS - 1];

typedef struct {
    int64_t last_us, max_us; /* latest lag, largest since start */
    int64_t sum_us;
    uint64_t count;
    uint64_t buckets[HN_WORKER_LAG_BUCKETS]; /* per bucket, not cumulative */
} HnWorkerLagStats;

/* Copies the worker's loop-lag record. Thread: that worker's thread only (from a function run
 * with hn_worker_invoke). */
void hn_worker_get_lag(HnWorker *w, HnWorkerLagStats *out);

/* Admission control (core/admission.h) on every worker: busy when the smoothed worse of its loop
 * lag and its sockets' queueing delay reaches busy_lag_ms (0: never, the default), for at least
 * hold_s seconds. Thread: any (applied at each worker's next turn). */
void hn_worker_pool_set_admission(HnWorkerPool *pool, guint busy_lag_ms, guint hold_s);
/* 0 when the worker takes newcomers, else the seconds a refused one should wait. Thread: any. */
guint hn_worker_busy(HnWorker *w);

/* Opens every worker's shared media sockets (ICE-lite, see udp_mux.h) on the settings' local
 * IPs: worker i on port port_min + i when a range is set (the range must hold one port per
 * worker), else on a port the system chooses. Call once, before rooms open. FALSE + error. */
gboolean hn_worker_pool_open_muxes(HnWorkerPool *pool, const HnIceSettings *ice, GError **error);
/* The worker's shared sockets, or NULL when hn_worker_pool_open_muxes was not called. transfer
 * none: they live until hn_worker_pool_free. */
HnUdpMux *hn_worker_mux(HnWorker *w);

/* --- relays between workers (issue 14: one room across workers, transport/relay.h) ----------
 * One relay per ordered pair of workers, opened by hn_worker_pool_open_relays. A worker pushes
 * to another with hn_worker_relay_push (its own thread only: each relay has one producer); the
 * staged packets are published once per loop turn (a prepare hook on the producer, before it
 * polls) or every HN_WORKER_RELAY_FLUSH_EVERY packets, whichever comes first. On the consumer,
 * each packet goes to the endpoint registered under its target's key (target >> 2; the low two
 * bits are the endpoint's own, e.g. RTP or RTCP); a packet for no endpoint is counted
 * (relay_unknown) and dropped. */
/* Slots per relay (1.6 kB each, 13 MB, resident once used): a key frame of 30 packets to 270
 * subscribers on one other worker fits while that worker has not begun to drain. */
#define HN_WORKER_RELAY_CAPACITY    8192
#define HN_WORKER_RELAY_FLUSH_EVERY 64

/* Consumer thread: one packet for an endpoint (pkt->data may be modified in place). */
typedef void (*HnWorkerRelayFn)(void *user, const HnRelayPacket *pkt, int64_t now_us);

/* Opens the relays (each on its consumer worker's thread; waits for them: call once at start-up,
 * from the thread that made the pool). max_age_us: packets older are dropped (0: no bound).
 * Nothing happens with a pool of one worker. */
void hn_worker_pool_open_relays(HnWorkerPool *pool, int64_t max_age_us);
/* TRUE once the relays are open (and the pool has more than one worker). Thread: any. */
gboolean hn_worker_pool_has_relays(const HnWorkerPool *pool);
/* A fresh endpoint key, unique in the process (never 0). Thread: any. */
uint64_t hn_worker_relay_key(void);
/* Worker self's thread: packets for key reach fn(user) on this worker. */
void hn_worker_relay_register(HnWorker *self, uint64_t key, HnWorkerRelayFn fn, void *user);
void hn_worker_relay_unregister(HnWorker *self, uint64_t key);
/* Worker self's thread: the user of key when it was registered with fn, else NULL. */
void *hn_worker_relay_find(HnWorker *self, uint64_t key, HnWorkerRelayFn fn);
/* Publishes every packet self has staged for other workers now (and wakes those asleep),
 * without waiting for the loop turn's end. Thread: self's. */
void hn_worker_relay_flush(HnWorker *self);
/* Worker self's thread: stages a copy for worker to (hn_relay_push's return values; -ENOTCONN
 * without relays or with to == self). */
int hn_worker_relay_push(HnWorker *self, HnWorker *to, uint64_t target, const uint8_t *data,
                         size_t len, int64_t now_us);
/* Counters of the relay from -> to; FALSE when there is none. unknown: its packets that found no
 * endpoint on to. Thread: any. */
gboolean hn_worker_pool_relay_stats(HnWorkerPool *pool, guint from, guint to, HnRelayStats *out,
                                    uint64_t *unknown);

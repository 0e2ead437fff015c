/* GET /metrics: the server's counters in the Prometheus text format (docs/operations.md).
 *
 * A scrape asks every media worker (hn_worker_invoke) for the stats of its rooms, its UDP mux
 * and its loop lag, and answers when all have replied, or after HN_METRICS_WORKER_TIMEOUT_MS
 * without the late ones (hoinghi_worker_up{worker} 0, hoinghi_metrics_worker_timeouts_total).
 * Counters never go down: a room's counters are added to its worker's totals when the room is
 * freed through hn_metrics_free_room.
 *
 * Thread: the signalling (main) thread, except what runs on the workers inside. */
#pragma once

#include <glib.h>

#include "app/hook_delivery.h"
#include "app/room.h"
#include "signaling/http.h"
#include "signaling/server.h"
#include "transport/worker.h"

#define HN_METRICS_WORKER_TIMEOUT_MS 2000

typedef struct HnMetrics HnMetrics;

/* Signalling-level numbers the owner (the hub) knows. */
typedef struct {
    HnSignalingStats sig;
    uint64_t joins;
    uint64_t joins_refused;            /* refused by the join gate (docs/security.md) */
    uint64_t joins_busy;               /* refused with server-busy (admission control) */
    int64_t cpu_pressure;              /* PSI some avg10 in per mille, -1: not read (off) */
    uint64_t machine_busy;             /* 1 while the CPU pressure refuses new joins */
    uint64_t audit_rows, audit_failed; /* rows the store wrote / could not write */
    uint64_t lobby_waiting;            /* newcomers waiting in lobbies now (a gauge) */
    uint64_t lobby_knocks, lobby_admitted, lobby_denied, lobby_timeouts;
    /* the recorder (record/recorder.h): recordings, packets written, drops by reason */
    uint64_t rec_started, rec_active, rec_packets, rec_bytes, rec_drops_queue, rec_drops_write;
    /* the composed pictures (gateway/picture.h): counters, and gauges (compositions, encoders,
     * outputs running now) */
    uint64_t pic_packets_in, pic_drops_queue, pic_packets_out;
    uint64_t pic_compositions, pic_encoders, pic_outputs;
    /* the archive (record/archive_index.h) */
    uint64_t archive_indexed, archive_bad_manifests, archive_meetings_removed,
        archive_files_removed, archive_verified, archive_verify_mismatch;
    HnHookStats hooks; /* the hook outbox (app/hook_delivery.h) */
} HnMetricsHubStats;

typedef void (*HnMetricsRoomFn)(void *data, HnWorker *w, HnRoom *room);

typedef struct {
    /* Calls fn(data, worker, room) for every open room (main thread). */
    void (*for_each_room)(void *user, HnMetricsRoomFn fn, void *data);
    void (*hub_stats)(void *user, HnMetricsHubStats *out);
    void *user;
} HnMetricsSource;

/* Registers GET /metrics in routes (transfer none, must outlive the metrics). pool: transfer
 * none, must outlive the metrics; src is copied. transfer full. */
HnMetrics *hn_metrics_new(HnWorkerPool *pool, GMainContext *main_ctx, HnHttpRoutes *routes,
                          const HnMetricsSource *src);
/* Answers scrapes still waiting (without the late workers). NULL ok. */
void hn_metrics_free(HnMetrics *m);
/* Frees room on its worker w, after adding its counters to w's totals of closed rooms. Use it
 * instead of posting hn_room_free; it is ordered like every hn_worker_invoke to w. */
void hn_metrics_free_room(HnMetrics *m, HnWorker *w, HnRoom *room);

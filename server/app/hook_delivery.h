/* The hook delivery thread: sends the outbox's rows (store/db_hooks.h) with libcurl.
 *
 * It runs on a thread of its own, never on the main loop or a media worker, with its own SQLite
 * connection to the store's file (WAL: its reads never block the store thread; its few writes,
 * an attempt's outcome, wait at most the busy timeout for the store thread's). It wakes when
 * kicked (new rows: hn_hook_delivery_kick after the event's transaction committed), when the
 * next retry is due, and at least every second. Up to HN_HOOK_PARALLEL requests are in flight at
 * once (curl multi), at most one per endpoint and meeting (the policy of meeting/outbox.h), so a
 * slow or dead endpoint delays only its own rows.
 *
 * At start the rows left in flight by a crash go back to pending: a row is sent at least once,
 * always under the same webhook-id. A clean stop aborts the requests in flight and puts their
 * rows back to pending too. */
#pragma once

#include <glib.h>

#include "app/config.h"

G_BEGIN_DECLS

#define HN_HOOK_PARALLEL 16

typedef struct HnHookDelivery HnHookDelivery;

typedef struct {
    guint64 delivered;       /* 2xx answers */
    guint64 failed_attempts; /* attempts that failed (status or transport error) */
    guint64 dead;            /* rows now dead (a gauge, read from the store) */
    guint64 pending;         /* rows pending or in flight (a gauge) */
    guint64 disabled;        /* endpoints disabled by a 410 since start */
} HnHookStats;

/* Opens <data_dir>/hoinghi.db (already migrated by the store), makes the endpoints of cfg's
 * [webhook:NAME] and [eoffice] groups those of the store, puts rows left in flight back to
 * pending and starts the thread. cfg: transfer none, must outlive the delivery. transfer full;
 * NULL + error. Thread: main. */
HnHookDelivery *hn_hook_delivery_start(const HnConfig *cfg, GError **error);
/* There may be new rows. Thread: any. NULL ok. */
void hn_hook_delivery_kick(HnHookDelivery *d);
/* Stops the thread (requests in flight are aborted, their rows pending again). NULL ok. */
void hn_hook_delivery_stop(HnHookDelivery *d);
/* Thread: any. */
void hn_hook_delivery_get_stats(HnHookDelivery *d, HnHookStats *out);

G_END_DECLS

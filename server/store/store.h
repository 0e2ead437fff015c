/* The store thread: the one thread that writes the embedded database (store/db.h) while the
 * server runs. Other threads hand it work through its mailbox (transport/mailbox.h) and never
 * wait for it: an audit row is posted and forgotten; a query (a password check, an API key)
 * runs there and its answer is posted back to the caller's mailbox. So a slow disk or a slow
 * argon2id never stalls the signalling loop or a media worker.
 *
 * What the store could not write is counted (hn_store_get_stats) and logged. */
#pragma once

#include <glib.h>

#include "store/db.h"
#include "transport/mailbox.h"

typedef struct HnStore HnStore;

/* Opens <data_dir>/hoinghi.db (migrating it) on the calling thread, then starts the store
 * thread. transfer full; NULL + error (a newer or corrupt database: the server must not start). */
HnStore *hn_store_open(const char *data_dir, GError **error);
/* Runs what was posted, stops the thread, closes the database. NULL ok. */
void hn_store_close(HnStore *store);

/* Appends an audit row (time: now). Strings are copied; room, detail may be NULL. Never blocks.
 * Thread: any. Never pass a secret (PIN, token, password) in detail. */
void hn_store_audit(HnStore *store, const char *actor, const char *action, const char *room,
                    const char *detail);

/* A query run on the store thread: fn(db, data) there, then reply(data) on reply_mb's thread,
 * then destroy(data). Thread: any. */
typedef void (*HnStoreQueryFn)(HnDb *db, gpointer data);
void hn_store_query(HnStore *store, HnStoreQueryFn fn, GSourceFunc reply, HnMailbox *reply_mb,
                    gpointer data, GDestroyNotify destroy);

typedef struct {
    guint64 audit_rows, audit_failed, queries;
} HnStoreStats;
/* Thread: any. */
void hn_store_get_stats(HnStore *store, HnStoreStats *out);

/* A mailbox: functions posted from any thread run on the thread of one GMainContext, in the order
 * they were posted. The hand-over of every call (the function, its data and everything the
 * poster wrote before posting) goes through a pthread mutex and an eventfd, never through GLib's
 * internal context lock: so ThreadSanitizer sees the ordering (GLib's futex mutex is not
 * instrumented; an idle source attached from another thread made TSan report GLib's own source
 * memory as a race, docs/testing.md), and no GSource is allocated per call.
 *
 * Used for the main thread's commands to a media worker (hn_worker_invoke) and for the workers'
 * replies to the main thread (hub messages, /metrics samples). A control path: one allocation per
 * post, never per packet. */
#pragma once

#include <glib.h>

typedef struct HnMailbox HnMailbox;

/* Creates a mailbox whose calls run on ctx (attached now: call it on ctx's thread, or before that
 * thread starts). transfer full. NULL + error when no eventfd can be opened. */
HnMailbox *hn_mailbox_new(GMainContext *ctx, GError **error);
/* Detaches the mailbox and frees it; calls still queued are not run, their destroy() is called.
 * Call on ctx's thread, or after that thread has ended. NULL ok. */
void hn_mailbox_free(HnMailbox *mb);
/* Queues fn(data) to run once on ctx's thread at its next loop turn (fn's return value is
 * ignored), then destroy(data) when destroy is not NULL. Calls posted from ctx's own thread while
 * the mailbox dispatches run at the next turn, not re-entrantly. Thread: any. */
void hn_mailbox_post(HnMailbox *mb, GSourceFunc fn, gpointer data, GDestroyNotify destroy);
/* Calls queued and not yet run (for tests and shutdown reports). Thread: any. */
guint hn_mailbox_pending(HnMailbox *mb);

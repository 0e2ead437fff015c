/* The store thread: a GMainContext of its own, fed by a mailbox. */
#include "store/store.h"

#include <glib/gstdio.h>

struct HnStore {
    HnDb *db;
    GMainContext *ctx;
    GMainLoop *loop;
    HnMailbox *mb;
    GThread *thread;
    gint audit_rows, audit_failed, queries; /* atomics */
};

static gpointer store_thread(gpointer data)
{
    HnStore *s = data;
    g_main_context_push_thread_default(s->ctx);
    g_main_loop_run(s->loop);
    g_main_context_pop_thread_default(s->ctx);
    return NULL;
}

HnStore *hn_store_open(const char *data_dir, GError **error)
{
    g_autofree char *path = g_build_filename(data_dir, HN_DB_FILE, NULL);
    HnDb *db = hn_db_open(path, error);
    if (!db)
        return NULL;
    HnStore *s = g_new0(HnStore, 1);
    s->db = db;
    s->ctx = g_main_context_new();
    s->loop = g_main_loop_new(s->ctx, FALSE);
    s->mb = hn_mailbox_new(s->ctx, error);
    if (!s->mb) {
        hn_db_close(db);
        g_main_loop_unref(s->loop);
        g_main_context_unref(s->ctx);
        g_free(s);
        return NULL;
    }
    s->thread = g_thread_new("hn-store", store_thread, s);
    return s;
}

static gboolean quit_run(gpointer data)
{
    HnStore *s = data;
    g_main_loop_quit(s->loop);
    return G_SOURCE_REMOVE;
}

void hn_store_close(HnStore *s)
{
    if (!s)
        return;
    /* posted last: everything posted before it runs first */
    hn_mailbox_post(s->mb, quit_run, s, NULL);
    g_thread_join(s->thread);
    hn_mailbox_free(s->mb);
    g_main_loop_unref(s->loop);
    g_main_context_unref(s->ctx);
    hn_db_close(s->db);
    g_free(s);
}

typedef struct {
    HnStore *store;
    gint64 time;
    char *actor, *action, *room, *detail;
} AuditRow;

static void audit_free(gpointer data)
{
    AuditRow *r = data;
    g_free(r->actor);
    g_free(r->action);
    g_free(r->room);
    g_free(r->detail);
    g_free(r);
}

static gboolean audit_run(gpointer data)
{
    AuditRow *r = data;
    GError *err = NULL;
    if (hn_db_audit(r->store->db, r->time, r->actor, r->action, r->room, r->detail, &err)) {
        g_atomic_int_inc(&r->store->audit_rows);
    } else {
        g_atomic_int_inc(&r->store->audit_failed);
        g_warning("store: audit row %s not written: %s", r->action, err->message);
        g_error_free(err);
    }
    return G_SOURCE_REMOVE;
}

void hn_store_audit(HnStore *s, const char *actor, const char *action, const char *room,
                    const char *detail)
{
    if (!s)
        return;
    AuditRow *r = g_new0(AuditRow, 1);
    r->store = s;
    r->time = g_get_real_time() / G_USEC_PER_SEC;
    r->actor = g_strdup(actor ? actor : "-");
    r->action = g_strdup(action);
    r->room = g_strdup(room);
    r->detail = g_strdup(detail);
    hn_mailbox_post(s->mb, audit_run, r, audit_free);
}

typedef struct {
    HnStore *store;
    HnStoreQueryFn fn;
    GSourceFunc reply;
    HnMailbox *reply_mb;
    gpointer data;
    GDestroyNotify destroy;
    gboolean posted; /* the reply took data */
} Query;

static void query_free(gpointer p)
{
    Query *q = p;
    if (!q->posted && q->destroy)
        q->destroy(q->data);
    g_free(q);
}

static gboolean query_run(gpointer p)
{
    Query *q = p;
    q->fn(q->store->db, q->data);
    g_atomic_int_inc(&q->store->queries);
    q->posted = TRUE;
    hn_mailbox_post(q->reply_mb, q->reply, q->data, q->destroy);
    return G_SOURCE_REMOVE;
}

void hn_store_query(HnStore *s, HnStoreQueryFn fn, GSourceFunc reply, HnMailbox *reply_mb,
                    gpointer data, GDestroyNotify destroy)
{
    Query *q = g_new0(Query, 1);
    q->store = s;
    q->fn = fn;
    q->reply = reply;
    q->reply_mb = reply_mb;
    q->data = data;
    q->destroy = destroy;
    hn_mailbox_post(s->mb, query_run, q, query_free);
}

void hn_store_get_stats(HnStore *s, HnStoreStats *out)
{
    out->audit_rows = (guint64)(guint)g_atomic_int_get(&s->audit_rows);
    out->audit_failed = (guint64)(guint)g_atomic_int_get(&s->audit_failed);
    out->queries = (guint64)(guint)g_atomic_int_get(&s->queries);
}

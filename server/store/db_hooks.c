/* Hook endpoints and the outbox (store/db_hooks.h). */
#include "store/db_hooks.h"

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/random.h>

static const char *const kind_names[] = {"webhook", "eoffice-upload", "eoffice-edxml"};

const char *hn_hook_kind_name(HnHookKind k)
{
    return (guint)k < G_N_ELEMENTS(kind_names) ? kind_names[k] : "webhook";
}

static HnHookKind kind_parse(const char *s)
{
    for (guint i = 0; s && i < G_N_ELEMENTS(kind_names); i++)
        if (strcmp(s, kind_names[i]) == 0)
            return (HnHookKind)i;
    return HN_HOOK_KIND_WEBHOOK;
}

static sqlite3 *H(HnDb *db)
{
    return hn_db_handle(db);
}

static gboolean fail(HnDb *db, GError **error, const char *what)
{
    g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_SQL, "%s: %s", what, sqlite3_errmsg(H(db)));
    return FALSE;
}

static sqlite3_stmt *prep(HnDb *db, const char *sql, GError **error)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(H(db), sql, -1, &st, NULL) != SQLITE_OK) {
        fail(db, error, "prepare");
        return NULL;
    }
    return st;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? g_strdup((const char *)t) : NULL;
}

/* Steps a write and finalizes it: changes made, or -1 (EXISTS on a constraint). */
static int step_done(HnDb *db, sqlite3_stmt *st, GError **error)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT) {
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_EXISTS, "already exists");
        return -1;
    }
    if (rc != SQLITE_DONE) {
        fail(db, error, "write");
        return -1;
    }
    return sqlite3_changes(H(db));
}

static gboolean one_changed(int rc, gint64 id, GError **error)
{
    if (rc == 0)
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_NOT_FOUND, "no row %" G_GINT64_FORMAT, id);
    return rc > 0;
}

/* ---- endpoints ---- */

void hn_db_webhook_clear(HnDbWebhook *w)
{
    g_free(w->name);
    g_free(w->source);
    g_free(w->url);
    if (w->secret)
        memset(w->secret, 0, strlen(w->secret));
    g_free(w->secret);
    g_free(w->events);
    g_free(w->disabled_reason);
    memset(w, 0, sizeof *w);
}

gboolean hn_hook_filter_match(const char *filter, const char *type)
{
    if (!filter || !*filter || strcmp(filter, "*") == 0)
        return TRUE;
    g_auto(GStrv) parts = g_strsplit(filter, ",", -1);
    for (guint i = 0; parts[i]; i++) {
        char *p = g_strstrip(parts[i]);
        size_t n = strlen(p);
        if (strcmp(p, "*") == 0 || strcmp(p, type) == 0)
            return TRUE;
        if (n >= 2 && p[n - 1] == '*' && p[n - 2] == '.' && strncmp(p, type, n - 1) == 0)
            return TRUE;
    }
    return FALSE;
}

#define WEBHOOK_COLS                                                                               \
    "id, name, kind, source, url, secret, events, enabled, disabled_reason, created, updated"

static void webhook_row(sqlite3_stmt *st, int base, HnDbWebhook *w)
{
    w->id = sqlite3_column_int64(st, base + 0);
    w->name = col(st, base + 1);
    g_autofree char *kind = col(st, base + 2);
    w->kind = kind_parse(kind);
    w->source = col(st, base + 3);
    w->url = col(st, base + 4);
    w->secret = col(st, base + 5);
    w->events = col(st, base + 6);
    w->enabled = sqlite3_column_int(st, base + 7) != 0;
    w->disabled_reason = col(st, base + 8);
    w->created = sqlite3_column_int64(st, base + 9);
    w->updated = sqlite3_column_int64(st, base + 10);
}

gboolean hn_db_webhook_sync_config(HnDb *db, const HnDbWebhook *list, guint n, gint64 now_s,
                                   GError **error)
{
    if (sqlite3_exec(H(db), "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, error, "begin");
    sqlite3_stmt *st = prep(db,
                            "UPDATE webhooks SET enabled = 0, disabled_reason = 'not in the "
                            "configuration any more', updated = ? WHERE source = 'config'",
                            error);
    gboolean ok = st != NULL;
    if (ok) {
        sqlite3_bind_int64(st, 1, now_s);
        ok = step_done(db, st, error) >= 0;
    }
    for (guint i = 0; ok && i < n; i++) {
        const HnDbWebhook *w = &list[i];
        st = prep(db,
                  "INSERT INTO webhooks (name, kind, source, url, secret, events, enabled,"
                  " created, updated) VALUES (?1, ?2, 'config', ?3, ?4, ?5, 1, ?6, ?6)"
                  " ON CONFLICT (name) DO UPDATE SET kind = ?2, source = 'config', url = ?3,"
                  " secret = ?4, events = ?5, updated = ?6,"
                  " enabled = CASE WHEN disabled_reason LIKE 'not in the configuration%'"
                  " OR url IS NOT ?3 THEN 1 ELSE enabled END,"
                  " disabled_reason = CASE WHEN disabled_reason LIKE 'not in the configuration%'"
                  " OR url IS NOT ?3 THEN NULL ELSE disabled_reason END",
                  error);
        if (!st) {
            ok = FALSE;
            break;
        }
        bind_text(st, 1, w->name);
        bind_text(st, 2, hn_hook_kind_name(w->kind));
        bind_text(st, 3, w->url);
        bind_text(st, 4, w->secret);
        bind_text(st, 5, w->events ? w->events : "*");
        sqlite3_bind_int64(st, 6, now_s);
        ok = step_done(db, st, error) >= 0;
    }
    if (!ok) {
        sqlite3_exec(H(db), "ROLLBACK", NULL, NULL, NULL);
        return FALSE;
    }
    if (sqlite3_exec(H(db), "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, error, "commit");
    return TRUE;
}

gboolean hn_db_webhook_insert(HnDb *db, const HnDbWebhook *w, gint64 now_s, gint64 *id_out,
                              GError **error)
{
    sqlite3_stmt *st = prep(db,
                            "INSERT INTO webhooks (name, kind, source, url, secret, events,"
                            " enabled, created, updated) VALUES (?, ?, 'api', ?, ?, ?, 1, ?, ?)",
                            error);
    if (!st)
        return FALSE;
    bind_text(st, 1, w->name);
    bind_text(st, 2, hn_hook_kind_name(w->kind));
    bind_text(st, 3, w->url);
    bind_text(st, 4, w->secret);
    bind_text(st, 5, w->events ? w->events : "*");
    sqlite3_bind_int64(st, 6, now_s);
    sqlite3_bind_int64(st, 7, now_s);
    if (step_done(db, st, error) <= 0)
        return FALSE;
    *id_out = sqlite3_last_insert_rowid(H(db));
    return TRUE;
}

static void webhook_clear_func(gpointer p)
{
    hn_db_webhook_clear(p);
}

GArray *hn_db_webhook_list(HnDb *db, GError **error)
{
    sqlite3_stmt *st = prep(db, "SELECT " WEBHOOK_COLS " FROM webhooks ORDER BY id", error);
    if (!st)
        return NULL;
    GArray *out = g_array_new(FALSE, TRUE, sizeof(HnDbWebhook));
    g_array_set_clear_func(out, webhook_clear_func);
    while (sqlite3_step(st) == SQLITE_ROW) {
        HnDbWebhook w = {0};
        webhook_row(st, 0, &w);
        g_array_append_val(out, w);
    }
    sqlite3_finalize(st);
    return out;
}

gboolean hn_db_webhook_get(HnDb *db, gint64 id, HnDbWebhook *out)
{
    sqlite3_stmt *st = prep(db, "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id = ?", NULL);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, id);
    gboolean found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        webhook_row(st, 0, out);
    sqlite3_finalize(st);
    return found;
}

gboolean hn_db_webhook_update(HnDb *db, gint64 id, const char *url, const char *events, int enabled,
                              gint64 now_s, GError **error)
{
    sqlite3_stmt *st =
        prep(db,
             "UPDATE webhooks SET url = coalesce(?1, url), events = coalesce(?2, events),"
             " enabled = CASE WHEN ?3 < 0 THEN enabled ELSE ?3 END,"
             " disabled_reason = CASE WHEN ?3 = 1 THEN NULL WHEN ?3 = 0 THEN 'disabled through"
             " the API' ELSE disabled_reason END, updated = ?4 WHERE id = ?5",
             error);
    if (!st)
        return FALSE;
    bind_text(st, 1, url);
    bind_text(st, 2, events);
    sqlite3_bind_int(st, 3, enabled);
    sqlite3_bind_int64(st, 4, now_s);
    sqlite3_bind_int64(st, 5, id);
    int rc = step_done(db, st, error);
    return rc >= 0 && one_changed(rc, id, error);
}

gboolean hn_db_webhook_disable(HnDb *db, gint64 id, const char *reason, GError **error)
{
    sqlite3_stmt *st =
        prep(db, "UPDATE webhooks SET enabled = 0, disabled_reason = ? WHERE id = ?", error);
    if (!st)
        return FALSE;
    bind_text(st, 1, reason);
    sqlite3_bind_int64(st, 2, id);
    int rc = step_done(db, st, error);
    return rc >= 0 && one_changed(rc, id, error);
}

gboolean hn_db_webhook_delete(HnDb *db, gint64 id, GError **error)
{
    sqlite3_stmt *st = prep(db, "DELETE FROM webhooks WHERE id = ?", error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, id);
    int rc = step_done(db, st, error);
    return rc >= 0 && one_changed(rc, id, error);
}

/* ---- the outbox ---- */

static pthread_mutex_t conf_lock = PTHREAD_MUTEX_INITIALIZER; /* (seen by TSan) */
static GHashTable *conf_rooms;                                /* lower-case names */

void hn_db_outbox_set_confidential_rooms(const char *const *rooms)
{
    pthread_mutex_lock(&conf_lock);
    g_clear_pointer(&conf_rooms, g_hash_table_unref);
    for (guint i = 0; rooms && rooms[i]; i++) {
        if (!conf_rooms)
            conf_rooms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_hash_table_add(conf_rooms, g_ascii_strdown(rooms[i], -1));
    }
    pthread_mutex_unlock(&conf_lock);
}

static gboolean config_confidential(const char *room)
{
    if (!room)
        return FALSE;
    g_autofree char *low = g_ascii_strdown(room, -1);
    pthread_mutex_lock(&conf_lock);
    gboolean yes = conf_rooms && g_hash_table_contains(conf_rooms, low);
    pthread_mutex_unlock(&conf_lock);
    return yes;
}

/* TRUE when the meeting or its room is marked confidential in the store. */
static gboolean stored_confidential(HnDb *db, const HnHookEvent *ev)
{
    sqlite3_stmt *st = prep(db,
                            "SELECT (SELECT confidential FROM meetings WHERE id = ?1) = 1"
                            " OR (SELECT confidential FROM rooms WHERE name = ?2) = 1"
                            " OR (SELECT r.confidential FROM rooms r JOIN meetings m"
                            " ON r.name = m.room WHERE m.id = ?1) = 1",
                            NULL);
    if (!st)
        return TRUE; /* when in doubt, send nothing */
    sqlite3_bind_int64(st, 1, ev->meeting);
    bind_text(st, 2, ev->room);
    gboolean yes = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
    sqlite3_finalize(st);
    return yes;
}

/* The wire body: {"type", "timestamp" (RFC 3339 UTC, ms), "data"}. transfer full. */
static char *event_body(const HnHookEvent *ev)
{
    json_t *data = NULL;
    if (ev->data)
        data = json_loads(ev->data, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(data)) {
        json_decref(data);
        data = json_object();
    }
    struct {
        const char *key;
        json_t *v;
    } add[] = {{"meeting", ev->meeting ? json_integer(ev->meeting) : json_null()},
               {"room", ev->room ? json_string(ev->room) : json_null()},
               {"actor", ev->actor ? json_string(ev->actor) : NULL},
               {"participant", ev->participant ? json_string(ev->participant) : NULL}};
    for (guint i = 0; i < G_N_ELEMENTS(add); i++) {
        if (add[i].v && !json_object_get(data, add[i].key))
            json_object_set_new(data, add[i].key, add[i].v);
        else
            json_decref(add[i].v);
    }
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(ev->time_ms / 1000);
    g_autofree char *secs = dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S") : NULL;
    g_autofree char *ts =
        g_strdup_printf("%s.%03dZ", secs ? secs : "1970-01-01T00:00:00", (int)(ev->time_ms % 1000));
    json_t *o = json_pack("{s:s, s:s, s:o}", "type", ev->type, "timestamp", ts, "data", data);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

static gboolean insert_row(HnDb *db, gint64 ep, const HnHookEvent *ev, const char *body,
                           guint32 nonce, gint64 *id_out, char **msg_id_out, GError **error)
{
    /* stable per event and endpoint: the receiver's idempotency key */
    char *msg_id =
        ev->event_id
            ? g_strdup_printf("msg_e%" G_GINT64_FORMAT "_w%" G_GINT64_FORMAT, ev->event_id, ep)
            : g_strdup_printf("msg_t%" G_GINT64_FORMAT "%08x_w%" G_GINT64_FORMAT, ev->time_ms,
                              nonce, ep);
    sqlite3_stmt *st = prep(db,
                            "INSERT INTO outbox (endpoint, event, meeting, type, msg_id, body,"
                            " created_ms, since_ms, next_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            error);
    if (!st) {
        g_free(msg_id);
        return FALSE;
    }
    sqlite3_bind_int64(st, 1, ep);
    if (ev->event_id)
        sqlite3_bind_int64(st, 2, ev->event_id);
    else
        sqlite3_bind_null(st, 2);
    sqlite3_bind_int64(st, 3, ev->meeting);
    bind_text(st, 4, ev->type);
    bind_text(st, 5, msg_id);
    bind_text(st, 6, body);
    sqlite3_bind_int64(st, 7, ev->time_ms);
    sqlite3_bind_int64(st, 8, ev->time_ms);
    sqlite3_bind_int64(st, 9, ev->time_ms);
    gboolean ok = step_done(db, st, error) > 0;
    if (ok && id_out)
        *id_out = sqlite3_last_insert_rowid(H(db));
    if (ok && msg_id_out)
        *msg_id_out = msg_id;
    else
        g_free(msg_id);
    return ok;
}

static guint32 random_nonce(void)
{
    guint32 nonce = 0;
    if (getrandom(&nonce, sizeof nonce, 0) != sizeof nonce)
        nonce = (guint32)g_random_int();
    return nonce;
}

gboolean hn_db_outbox_insert_one(HnDb *db, gint64 endpoint, const HnHookEvent *ev, gint64 *id_out,
                                 char **msg_id_out, GError **error)
{
    char *body = event_body(ev);
    gboolean ok = insert_row(db, endpoint, ev, body, random_nonce(), id_out, msg_id_out, error);
    free(body);
    return ok;
}

gboolean hn_db_outbox_enqueue(HnDb *db, const HnHookEvent *ev, guint *rows_out, GError **error)
{
    if (rows_out)
        *rows_out = 0;
    if (ev->confidential || config_confidential(ev->room) || stored_confidential(db, ev))
        return TRUE;
    sqlite3_stmt *q =
        prep(db, "SELECT id, events FROM webhooks WHERE enabled = 1 ORDER BY id", error);
    if (!q)
        return FALSE;
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *filter = (const char *)sqlite3_column_text(q, 1);
        if (hn_hook_filter_match(filter, ev->type)) {
            gint64 id = sqlite3_column_int64(q, 0);
            g_array_append_val(ids, id);
        }
    }
    sqlite3_finalize(q);
    gboolean ok = TRUE;
    char *body = ids->len ? event_body(ev) : NULL;
    guint32 nonce = ids->len && !ev->event_id ? random_nonce() : 0;
    for (guint i = 0; ok && i < ids->len; i++)
        ok = insert_row(db, g_array_index(ids, gint64, i), ev, body, nonce, NULL, NULL, error);
    if (ok && rows_out)
        *rows_out = ids->len;
    free(body);
    g_array_unref(ids);
    return ok;
}

gboolean hn_db_outbox_append(HnDb *db, const HnHookEvent *ev, guint *rows_out, GError **error)
{
    if (sqlite3_exec(H(db), "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, error, "begin");
    if (!hn_db_outbox_enqueue(db, ev, rows_out, error)) {
        sqlite3_exec(H(db), "ROLLBACK", NULL, NULL, NULL);
        return FALSE;
    }
    if (sqlite3_exec(H(db), "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_exec(H(db), "ROLLBACK", NULL, NULL, NULL);
        return fail(db, error, "commit");
    }
    return TRUE;
}

int hn_db_outbox_recover(HnDb *db, GError **error)
{
    sqlite3_stmt *st =
        prep(db, "UPDATE outbox SET state = 'pending' WHERE state = 'inflight'", error);
    return st ? step_done(db, st, error) : -1;
}

GArray *hn_db_outbox_heads(HnDb *db, GError **error)
{
    sqlite3_stmt *st =
        prep(db,
             "SELECT o.id, o.endpoint, o.meeting, o.state, o.next_ms, w.enabled FROM outbox o"
             " JOIN webhooks w ON w.id = o.endpoint WHERE o.id IN (SELECT min(id) FROM outbox"
             " WHERE state IN ('pending', 'inflight') GROUP BY endpoint, meeting)",
             error);
    if (!st)
        return NULL;
    GArray *out = g_array_new(FALSE, TRUE, sizeof(HnOutboxRow));
    while (sqlite3_step(st) == SQLITE_ROW) {
        HnOutboxRow r = {0};
        r.id = sqlite3_column_int64(st, 0);
        r.endpoint = sqlite3_column_int64(st, 1);
        r.meeting = sqlite3_column_int64(st, 2);
        if (!hn_outbox_state_parse((const char *)sqlite3_column_text(st, 3), &r.state))
            r.state = HN_OUTBOX_PENDING;
        r.next_ms = sqlite3_column_int64(st, 4);
        r.endpoint_enabled = sqlite3_column_int(st, 5) != 0;
        g_array_append_val(out, r);
    }
    sqlite3_finalize(st);
    return out;
}

void hn_db_delivery_clear(HnDbDelivery *d)
{
    g_free(d->type);
    g_free(d->msg_id);
    g_free(d->body);
    g_free(d->last_error);
    g_free(d->result);
    hn_db_webhook_clear(&d->ep);
    memset(d, 0, sizeof *d);
}

#define OUTBOX_COLS                                                                                \
    "o.id, o.endpoint, o.event, o.meeting, o.type, o.msg_id, o.body, o.created_ms, o.since_ms,"    \
    " o.state, o.attempts, o.next_ms, o.last_ms, o.delivered_ms, o.last_status, o.last_error,"     \
    " o.result"
#define OUTBOX_NCOLS 17

static void delivery_row(sqlite3_stmt *st, HnDbDelivery *d, gboolean body)
{
    d->id = sqlite3_column_int64(st, 0);
    d->endpoint = sqlite3_column_int64(st, 1);
    d->event = sqlite3_column_int64(st, 2);
    d->meeting = sqlite3_column_int64(st, 3);
    d->type = col(st, 4);
    d->msg_id = col(st, 5);
    d->body = body ? col(st, 6) : NULL;
    d->created_ms = sqlite3_column_int64(st, 7);
    d->since_ms = sqlite3_column_int64(st, 8);
    if (!hn_outbox_state_parse((const char *)sqlite3_column_text(st, 9), &d->state))
        d->state = HN_OUTBOX_PENDING;
    d->attempts = (guint)sqlite3_column_int(st, 10);
    d->next_ms = sqlite3_column_int64(st, 11);
    d->last_ms = sqlite3_column_int64(st, 12);
    d->delivered_ms = sqlite3_column_int64(st, 13);
    d->last_status = sqlite3_column_int(st, 14);
    d->last_error = col(st, 15);
    d->result = col(st, 16);
}

gboolean hn_db_outbox_get(HnDb *db, gint64 id, HnDbDelivery *out)
{
    sqlite3_stmt *st = prep(db,
                            "SELECT " OUTBOX_COLS ", w.id, w.name, w.kind, w.source, w.url,"
                            " w.secret, w.events, w.enabled, w.disabled_reason, w.created,"
                            " w.updated FROM outbox o JOIN webhooks w ON w.id = o.endpoint"
                            " WHERE o.id = ?",
                            NULL);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, id);
    gboolean found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        delivery_row(st, out, TRUE);
        webhook_row(st, OUTBOX_NCOLS, &out->ep);
    }
    sqlite3_finalize(st);
    return found;
}

gboolean hn_db_outbox_mark_inflight(HnDb *db, gint64 id, gint64 now_ms, GError **error)
{
    sqlite3_stmt *st = prep(
        db, "UPDATE outbox SET state = 'inflight', last_ms = ? WHERE id = ? AND state = 'pending'",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, id);
    int rc = step_done(db, st, error);
    return rc >= 0 && one_changed(rc, id, error);
}

gboolean hn_db_outbox_record(HnDb *db, gint64 id, HnOutboxState state, guint attempts,
                             gint64 now_ms, gint64 next_ms, int status, const char *error_text,
                             const char *result, GError **error)
{
    sqlite3_stmt *st = prep(db,
                            "UPDATE outbox SET state = ?, attempts = ?, last_ms = ?, next_ms = ?,"
                            " last_status = ?, last_error = ?, result = coalesce(?, result),"
                            " delivered_ms = CASE WHEN ?1 = 'delivered' THEN ?3 ELSE delivered_ms"
                            " END WHERE id = ?",
                            error);
    if (!st)
        return FALSE;
    bind_text(st, 1, hn_outbox_state_name(state));
    sqlite3_bind_int(st, 2, (int)attempts);
    sqlite3_bind_int64(st, 3, now_ms);
    sqlite3_bind_int64(st, 4, next_ms);
    if (status)
        sqlite3_bind_int(st, 5, status);
    else
        sqlite3_bind_null(st, 5);
    bind_text(st, 6, error_text);
    bind_text(st, 7, result);
    sqlite3_bind_int64(st, 8, id);
    int rc = step_done(db, st, error);
    return rc >= 0 && one_changed(rc, id, error);
}

static void delivery_clear_func(gpointer p)
{
    hn_db_delivery_clear(p);
}

GArray *hn_db_outbox_list(HnDb *db, gint64 endpoint, const char *state, guint limit, GError **error)
{
    sqlite3_stmt *st = prep(db,
                            "SELECT " OUTBOX_COLS " FROM outbox o WHERE o.endpoint = ?"
                            " AND (?2 IS NULL OR o.state = ?2) ORDER BY o.id DESC LIMIT ?",
                            error);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, endpoint);
    bind_text(st, 2, state);
    sqlite3_bind_int(st, 3, (int)limit);
    GArray *out = g_array_new(FALSE, TRUE, sizeof(HnDbDelivery));
    g_array_set_clear_func(out, delivery_clear_func);
    while (sqlite3_step(st) == SQLITE_ROW) {
        HnDbDelivery d = {0};
        delivery_row(st, &d, FALSE);
        g_array_append_val(out, d);
    }
    sqlite3_finalize(st);
    return out;
}

gboolean hn_db_outbox_retry(HnDb *db, gint64 endpoint, gint64 id, gint64 now_ms, GError **error)
{
    sqlite3_stmt *st = prep(db,
                            "UPDATE outbox SET state = 'pending', since_ms = ?1, next_ms = ?1"
                            " WHERE id = ?2 AND endpoint = ?3 AND state != 'inflight'",
                            error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_int64(st, 3, endpoint);
    int rc = step_done(db, st, error);
    return rc >= 0 && one_changed(rc, id, error);
}

gboolean hn_db_outbox_counts(HnDb *db, guint64 *pending, guint64 *dead, GError **error)
{
    sqlite3_stmt *st = prep(db,
                            "SELECT (SELECT count(*) FROM outbox WHERE state IN ('pending',"
                            " 'inflight')), (SELECT count(*) FROM outbox WHERE state = 'dead')",
                            error);
    if (!st)
        return FALSE;
    gboolean ok = sqlite3_step(st) == SQLITE_ROW;
    if (ok) {
        *pending = (guint64)sqlite3_column_int64(st, 0);
        *dead = (guint64)sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return ok || fail(db, error, "count");
}

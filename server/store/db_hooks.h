/* Hook endpoints and the durable outbox (docs/hooks.md), in the tables webhooks and outbox.
 *
 * An event is put in the outbox by hn_db_outbox_enqueue inside the transaction that appends it
 * to the event log, one row per enabled endpoint whose filter takes it (none for a confidential
 * meeting), with its body and webhook-id fixed there, so a delivery is never lost between the
 * event and the outbox and a retry sends the same bytes under the same id.
 * Thread: the store thread, or the hook delivery thread on its own connection
 * (app/hook_delivery.h). Errors: GError in HN_DB_ERROR. */
#pragma once

#include "meeting/outbox.h"
#include "store/db.h"

G_BEGIN_DECLS

typedef enum {
    HN_HOOK_KIND_WEBHOOK,        /* Standard Webhooks JSON POST */
    HN_HOOK_KIND_EOFFICE_UPLOAD, /* [eoffice] multipart upload of the signed minutes */
    HN_HOOK_KIND_EOFFICE_EDXML,  /* [eoffice] edXML package to a document exchange (LGSP) */
} HnHookKind;

/* "webhook", "eoffice-upload", "eoffice-edxml". */
const char *hn_hook_kind_name(HnHookKind k);

/* A row of webhooks. */
typedef struct {
    gint64 id;
    char *name; /* unique: the [webhook:NAME] group's name, or the API's */
    HnHookKind kind;
    char *source; /* "config" or "api" */
    char *url;
    char *secret; /* whsec_...; never logged, never returned by the API after creation */
    char *events; /* "*" or a comma list of types ("participant.*" takes a prefix) */
    gboolean enabled;
    char *disabled_reason; /* NULL when enabled */
    gint64 created, updated;
} HnDbWebhook;

void hn_db_webhook_clear(HnDbWebhook *w);
/* TRUE when the filter text (as in HnDbWebhook.events) takes type. */
gboolean hn_hook_filter_match(const char *filter, const char *type);

/* Makes the endpoints of source "config" those of list[n] (by name: url, secret, events, kind
 * updated; a config endpoint not in the list any more is disabled, its rows kept). */
gboolean hn_db_webhook_sync_config(HnDb *db, const HnDbWebhook *list, guint n, gint64 now_s,
                                   GError **error);
/* Inserts w (source "api"); *id_out gets its id. FALSE + error (EXISTS). */
gboolean hn_db_webhook_insert(HnDb *db, const HnDbWebhook *w, gint64 now_s, gint64 *id_out,
                              GError **error);
/* Every endpoint by id: GArray of HnDbWebhook (clear func set). transfer full. */
GArray *hn_db_webhook_list(HnDb *db, GError **error);
/* The endpoint id into *out (clear it); FALSE when none. */
gboolean hn_db_webhook_get(HnDb *db, gint64 id, HnDbWebhook *out);
/* Changes url, events (NULL: unchanged) and enabled (-1: unchanged; TRUE clears the reason).
 * FALSE + error (NOT_FOUND). */
gboolean hn_db_webhook_update(HnDb *db, gint64 id, const char *url, const char *events, int enabled,
                              gint64 now_s, GError **error);
/* Disables the endpoint with a reason (a 410). */
gboolean hn_db_webhook_disable(HnDb *db, gint64 id, const char *reason, GError **error);
/* Deletes the endpoint and its outbox rows. FALSE + error (NOT_FOUND). */
gboolean hn_db_webhook_delete(HnDb *db, gint64 id, GError **error);

/* One event to report. */
typedef struct {
    gint64 event_id;                 /* events.id; 0 when the event log has no row for it */
    gint64 meeting;                  /* meetings.id, 0: none */
    const char *room;                /* NULL: none */
    const char *type;                /* "participant.joined", ... */
    gint64 time_ms;                  /* when it happened, unix ms */
    const char *actor, *participant; /* may be NULL */
    const char *data;                /* JSON object text, NULL: {} */
    gboolean confidential;           /* the caller knows the room or meeting is (config rooms) */
} HnHookEvent;

/* Inserts the event's outbox rows in the caller's transaction (none when the meeting or room is
 * confidential). The body's data is the event's with meeting, room, actor and participant added
 * when it has none of its own. *rows_out (NULL ok) gets how many. */
gboolean hn_db_outbox_enqueue(HnDb *db, const HnHookEvent *ev, guint *rows_out, GError **error);
/* One row of ev for endpoint only (the API's test delivery; confidentiality is the caller's).
 * *id_out gets the row's id and *msg_id_out (transfer full) its webhook-id. */
gboolean hn_db_outbox_insert_one(HnDb *db, gint64 endpoint, const HnHookEvent *ev, gint64 *id_out,
                                 char **msg_id_out, GError **error);
/* The same in a transaction of its own. */
gboolean hn_db_outbox_append(HnDb *db, const HnHookEvent *ev, guint *rows_out, GError **error);

/* The rooms declared confidential in the configuration (NULL-terminated, copied; NULL: none):
 * their events make no outbox rows. Set once at start. Thread: any. */
void hn_db_outbox_set_confidential_rooms(const char *const *rooms);

/* At start: rows left in flight by a crash go back to pending. Returns how many (-1: error). */
int hn_db_outbox_recover(HnDb *db, GError **error);
/* The head rows of every (endpoint, meeting) with undelivered rows: GArray of HnOutboxRow.
 * transfer full. */
GArray *hn_db_outbox_heads(HnDb *db, GError **error);

/* An outbox row with its endpoint, for sending and for the API. */
typedef struct {
    gint64 id, endpoint, event, meeting;
    char *type, *msg_id, *body;
    gint64 created_ms, since_ms;
    HnOutboxState state;
    guint attempts;
    gint64 next_ms, last_ms, delivered_ms; /* 0: none */
    int last_status;                       /* 0: none or no HTTP answer */
    char *last_error, *result;             /* NULL: none */
    HnDbWebhook ep;                        /* filled by hn_db_outbox_get only */
} HnDbDelivery;

void hn_db_delivery_clear(HnDbDelivery *d);
/* Row id with its endpoint into *out (clear it); FALSE when none. */
gboolean hn_db_outbox_get(HnDb *db, gint64 id, HnDbDelivery *out);
/* Marks row id in flight (before its attempt). */
gboolean hn_db_outbox_mark_inflight(HnDb *db, gint64 id, gint64 now_ms, GError **error);
/* Records an attempt's outcome: state, attempts, next_ms, status, error (NULL: none), result
 * (NULL: unchanged). */
gboolean hn_db_outbox_record(HnDb *db, gint64 id, HnOutboxState state, guint attempts,
                             gint64 now_ms, gint64 next_ms, int status, const char *error_text,
                             const char *result, GError **error);
/* The rows of endpoint (newest first, at most limit; state NULL: any): GArray of HnDbDelivery
 * (without ep; clear func set). transfer full. */
GArray *hn_db_outbox_list(HnDb *db, gint64 endpoint, const char *state, guint limit,
                          GError **error);
/* "Deliver again": row id of endpoint back to pending now, with a new retry period.
 * FALSE + error (NOT_FOUND) when it is not the endpoint's, or it is in flight. */
gboolean hn_db_outbox_retry(HnDb *db, gint64 endpoint, gint64 id, gint64 now_ms, GError **error);
/* Rows pending or in flight, and dead rows. */
gboolean hn_db_outbox_counts(HnDb *db, guint64 *pending, guint64 *dead, GError **error);

G_END_DECLS

/* /api/v1/webhooks: hook endpoints (list, create, read, change, delete), their deliveries with
 * state (the dead letters among them), "deliver again", and a test delivery. Secrets are
 * returned once, by the create; never listed, never logged. docs/hooks.md. */
#include <string.h>

#include "app/api_v1_priv.h"
#include "app/hub_hooks.h"
#include "meeting/webhook_sign.h"
#include "store/db_hooks.h"

#define DELIVERIES_MAX 500

typedef enum { W_LIST, W_CREATE, W_GET, W_PATCH, W_DELETE, W_DELIVERIES, W_RETRY, W_TEST } WOp;

typedef struct {
    WOp kind;
    gint64 id, delivery;
    HnDbWebhook in, out;
    int enabled; /* -1: unchanged */
    char *state; /* deliveries filter */
    guint limit;
    GArray *list;
    gboolean found, config_owned;
    char *test_type, *test_data, *msg_id;
} WebhookOp;

static void op_free(gpointer p)
{
    WebhookOp *op = p;
    hn_db_webhook_clear(&op->in);
    hn_db_webhook_clear(&op->out);
    g_free(op->state);
    if (op->list)
        g_array_unref(op->list);
    g_free(op->test_type);
    g_free(op->test_data);
    g_free(op->msg_id);
    g_free(op);
}

static json_t *ms_json(gint64 ms)
{
    if (ms <= 0)
        return json_null();
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(ms / 1000);
    g_autofree char *s = dt ? g_date_time_format_iso8601(dt) : NULL;
    return s ? json_string(s) : json_null();
}

static json_t *webhook_json(const HnDbWebhook *w)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:s?, s:o, s:o}", "id", (json_int_t)w->id,
                     "name", w->name, "kind", hn_hook_kind_name(w->kind), "source", w->source,
                     "url", w->url, "events", w->events, "enabled", w->enabled, "disabled_reason",
                     w->disabled_reason, "created", ms_json(w->created * 1000), "updated",
                     ms_json(w->updated * 1000));
}

static json_t *delivery_json(const HnDbDelivery *d)
{
    return json_pack("{s:I, s:s, s:s, s:I, s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:s?, s:s?}", "id",
                     (json_int_t)d->id, "webhook_id", d->msg_id, "type", d->type, "meeting",
                     (json_int_t)d->meeting, "state", hn_outbox_state_name(d->state), "attempts",
                     (int)d->attempts, "created", ms_json(d->created_ms), "last_attempt",
                     ms_json(d->last_ms), "next_attempt",
                     d->state == HN_OUTBOX_PENDING ? ms_json(d->next_ms) : json_null(), "delivered",
                     ms_json(d->delivered_ms), "last_status",
                     d->last_status ? json_integer(d->last_status) : json_null(), "last_error",
                     d->last_error, "document_id", d->result);
}

/* Store thread. */
static void webhook_run(HnDb *db, gpointer p)
{
    HnApiCall *c = p;
    WebhookOp *op = c->op;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    if (op->kind != W_LIST && op->kind != W_CREATE) {
        op->found = hn_db_webhook_get(db, op->id, &op->out);
        if (!op->found)
            return;
        op->config_owned = g_strcmp0(op->out.source, "config") == 0;
    }
    switch (op->kind) {
    case W_LIST:
        op->list = hn_db_webhook_list(db, &c->error);
        break;
    case W_CREATE:
        if (hn_db_webhook_insert(db, &op->in, now, &op->id, &c->error))
            op->found = hn_db_webhook_get(db, op->id, &op->out);
        break;
    case W_GET:
        break;
    case W_PATCH:
        if (op->config_owned && (op->in.url || op->in.events))
            return;
        hn_db_webhook_clear(&op->out);
        if (hn_db_webhook_update(db, op->id, op->in.url, op->in.events, op->enabled, now,
                                 &c->error))
            hn_db_webhook_get(db, op->id, &op->out);
        break;
    case W_DELETE:
        if (!op->config_owned)
            hn_db_webhook_delete(db, op->id, &c->error);
        break;
    case W_DELIVERIES:
        op->list = hn_db_outbox_list(db, op->id, op->state, op->limit, &c->error);
        break;
    case W_RETRY:
        hn_db_outbox_retry(db, op->id, op->delivery, now * 1000, &c->error);
        break;
    case W_TEST: {
        HnHookEvent ev = {
            .type = op->test_type, .time_ms = g_get_real_time() / 1000, .data = op->test_data};
        hn_db_outbox_insert_one(db, op->id, &ev, &op->delivery, &op->msg_id, &c->error);
        break;
    }
    }
}

static gboolean webhook_done(HnApiCall *c)
{
    WebhookOp *op = c->op;
    if (c->error) {
        if (g_error_matches(c->error, HN_DB_ERROR, HN_DB_ERROR_EXISTS))
            hn_api_problem(c, 409, "conflict", "a webhook of that name exists");
        else if (g_error_matches(c->error, HN_DB_ERROR, HN_DB_ERROR_NOT_FOUND))
            hn_api_problem(c, 404, "not-found",
                           op->kind == W_RETRY ? "no such delivery of this webhook (or it is "
                                                 "being sent right now)"
                                               : "no such webhook");
        else
            hn_api_problem(c, 500, "store-error", c->error->message);
        return G_SOURCE_REMOVE;
    }
    if (op->kind != W_LIST && !op->found) {
        hn_api_problem(c, 404, "not-found", "no such webhook");
        return G_SOURCE_REMOVE;
    }
    g_autofree char *idtxt = g_strdup_printf("webhook=%" G_GINT64_FORMAT, op->id);
    switch (op->kind) {
    case W_LIST: {
        json_t *arr = json_array();
        for (guint i = 0; i < op->list->len; i++)
            json_array_append_new(arr, webhook_json(&g_array_index(op->list, HnDbWebhook, i)));
        hn_api_json(c, 200, arr);
        break;
    }
    case W_CREATE: {
        json_t *j = webhook_json(&op->out);
        json_object_set_new(j, "secret", json_string(op->in.secret)); /* shown this once */
        g_autofree char *loc = g_strdup_printf("/api/v1/webhooks/%" G_GINT64_FORMAT, op->id);
        hn_http_request_add_header(c->req, "location", loc);
        g_autofree char *d =
            g_strdup_printf("%s name=%s events=%s", idtxt, op->out.name, op->out.events);
        hn_api_audit(c, "api-webhook-create", NULL, d);
        hn_api_json(c, 201, j);
        break;
    }
    case W_GET:
        hn_api_json(c, 200, webhook_json(&op->out));
        break;
    case W_PATCH:
        if (op->config_owned && (op->in.url || op->in.events)) {
            hn_api_problem(c, 409, "conflict",
                           "this webhook is declared in the configuration: change its url and "
                           "events there (enabled may be changed here)");
            break;
        }
        hn_api_audit(c, "api-webhook-update", NULL, idtxt);
        hn_hub_hooks_kick(c->api->hub);
        hn_api_json(c, 200, webhook_json(&op->out));
        break;
    case W_DELETE:
        if (op->config_owned) {
            hn_api_problem(c, 409, "conflict",
                           "this webhook is declared in the configuration: remove it there");
            break;
        }
        hn_api_audit(c, "api-webhook-delete", NULL, idtxt);
        hn_api_json(c, 204, NULL);
        break;
    case W_DELIVERIES: {
        json_t *arr = json_array();
        for (guint i = 0; i < op->list->len; i++)
            json_array_append_new(arr, delivery_json(&g_array_index(op->list, HnDbDelivery, i)));
        hn_api_json(c, 200, arr);
        break;
    }
    case W_RETRY: {
        g_autofree char *d = g_strdup_printf("%s delivery=%" G_GINT64_FORMAT, idtxt, op->delivery);
        hn_api_audit(c, "api-webhook-retry", NULL, d);
        hn_hub_hooks_kick(c->api->hub);
        hn_api_json(c, 202,
                    json_pack("{s:I, s:s}", "id", (json_int_t)op->delivery, "state", "pending"));
        break;
    }
    case W_TEST:
        hn_hub_hooks_kick(c->api->hub);
        hn_api_json(c, 202,
                    json_pack("{s:I, s:s, s:s}", "id", (json_int_t)op->delivery, "webhook_id",
                              op->msg_id, "type", op->test_type));
        break;
    }
    return G_SOURCE_REMOVE;
}

/* Reads the body of a create (all) or change (PATCH: url, events, enabled); NULL or a reason. */
static char *parse_body(HnApiCall *c, WebhookOp *op, gboolean create)
{
    const char *key;
    json_t *v;
    char *why = NULL;
    json_object_foreach(c->body, key, v)
    {
        const char *s = json_string_value(v);
        if (strcmp(key, "url") == 0) {
            if (!s || !hn_webhook_url_valid(s, &why))
                return why ? why : g_strdup("url must be a string");
            op->in.url = g_strdup(s);
        } else if (strcmp(key, "events") == 0) {
            if (json_is_array(v)) {
                GString *l = g_string_new(NULL);
                size_t i;
                json_t *e;
                json_array_foreach(v, i, e)
                {
                    if (!json_is_string(e)) {
                        g_string_free(l, TRUE);
                        return g_strdup("events must be strings");
                    }
                    g_string_append_printf(l, "%s%s", l->len ? "," : "", json_string_value(e));
                }
                op->in.events = g_string_free(l, FALSE);
            } else if (s) {
                op->in.events = g_strdup(s);
            } else {
                return g_strdup("events must be a list of event types");
            }
            if (!hn_webhook_events_valid(op->in.events, &why))
                return why;
        } else if (create && strcmp(key, "name") == 0) {
            if (!s || !hn_config_room_name_valid(s))
                return g_strdup("name must be 1-64 characters [A-Za-z0-9_.-]");
            op->in.name = g_strdup(s);
        } else if (create && strcmp(key, "secret") == 0) {
            if (!s || !hn_webhook_secret_valid(s, &why))
                return why ? why : g_strdup("secret must be a string");
            op->in.secret = g_strdup(s);
        } else if (!create && strcmp(key, "enabled") == 0) {
            if (!json_is_boolean(v))
                return g_strdup("enabled must be true or false");
            op->enabled = json_is_true(v);
        } else {
            return g_strdup(create ? "unknown field (known: name, url, events, secret)"
                                   : "unknown field (known: url, events, enabled)");
        }
    }
    if (create && (!op->in.name || !op->in.url))
        return g_strdup("name and url are required");
    return NULL;
}

static gboolean parse_query(HnApiCall *c, WebhookOp *op)
{
    op->limit = 100;
    g_auto(GStrv) kv = g_strsplit(hn_http_request_query(c->req), "&", -1);
    for (guint i = 0; kv[i]; i++) {
        if (g_str_has_prefix(kv[i], "state=")) {
            HnOutboxState st;
            if (!hn_outbox_state_parse(kv[i] + 6, &st))
                return FALSE;
            op->state = g_strdup(kv[i] + 6);
        } else if (g_str_has_prefix(kv[i], "limit=")) {
            guint64 n = 0;
            if (!g_ascii_string_to_unsigned(kv[i] + 6, 10, 1, DELIVERIES_MAX, &n, NULL))
                return FALSE;
            op->limit = (guint)n;
        }
    }
    return TRUE;
}

void hn_api_webhooks(HnApiCall *c)
{
    WebhookOp *op = g_new0(WebhookOp, 1);
    op->enabled = -1;
    c->op = op;
    c->op_free = op_free;
    HnHttpMethod m = c->method;
    gint64 id = c->nseg >= 2 ? hn_api_parse_id(c->seg[1]) : 0;
    if (c->nseg >= 2 && id <= 0) {
        hn_api_problem(c, 404, "not-found", "no such webhook");
        return;
    }
    op->id = id;
    if (c->nseg == 1) {
        if (m == HN_HTTP_GET) {
            op->kind = W_LIST;
        } else if (m == HN_HTTP_POST) {
            op->kind = W_CREATE;
            g_autofree char *why =
                c->body ? parse_body(c, op, TRUE) : g_strdup("a JSON body {name, url} is required");
            if (why) {
                hn_api_problem(c, 400, "bad-request", why);
                return;
            }
            if (!op->in.events)
                op->in.events = g_strdup("*");
            if (!op->in.secret)
                op->in.secret = hn_webhook_secret_new();
        } else {
            hn_api_not_allowed(c, "GET, POST");
            return;
        }
    } else if (c->nseg == 2) {
        if (m == HN_HTTP_GET) {
            op->kind = W_GET;
        } else if (m == HN_HTTP_PATCH) {
            op->kind = W_PATCH;
            g_autofree char *why = c->body ? parse_body(c, op, FALSE) : NULL;
            if (why) {
                hn_api_problem(c, 400, "bad-request", why);
                return;
            }
        } else if (m == HN_HTTP_DELETE) {
            op->kind = W_DELETE;
        } else {
            hn_api_not_allowed(c, "GET, PATCH, DELETE");
            return;
        }
    } else if (c->nseg == 3 && strcmp(c->seg[2], "deliveries") == 0) {
        if (m != HN_HTTP_GET) {
            hn_api_not_allowed(c, "GET");
            return;
        }
        op->kind = W_DELIVERIES;
        if (!parse_query(c, op)) {
            hn_api_problem(c, 400, "bad-request",
                           "state must be pending, inflight, delivered or dead; limit 1..500");
            return;
        }
    } else if (c->nseg == 5 && strcmp(c->seg[2], "deliveries") == 0 &&
               strcmp(c->seg[4], "retry") == 0) {
        op->delivery = hn_api_parse_id(c->seg[3]);
        if (m != HN_HTTP_POST) {
            hn_api_not_allowed(c, "POST");
            return;
        }
        if (op->delivery <= 0) {
            hn_api_problem(c, 404, "not-found", "no such delivery");
            return;
        }
        op->kind = W_RETRY;
    } else if (c->nseg == 3 && strcmp(c->seg[2], "test") == 0) {
        if (m != HN_HTTP_POST) {
            hn_api_not_allowed(c, "POST");
            return;
        }
        op->kind = W_TEST;
        json_t *type = c->body ? json_object_get(c->body, "type") : NULL;
        json_t *data = c->body ? json_object_get(c->body, "data") : NULL;
        char *why = NULL;
        if ((type &&
             (!json_is_string(type) || !hn_webhook_events_valid(json_string_value(type), &why) ||
              strchr(json_string_value(type), '*') || strchr(json_string_value(type), ','))) ||
            (data && !json_is_object(data))) {
            g_free(why);
            hn_api_problem(c, 400, "bad-request", "type must be one event type and data an object");
            return;
        }
        op->test_type = g_strdup(type ? json_string_value(type) : "webhook.test");
        op->test_data = data ? json_dumps(data, JSON_COMPACT) : NULL;
    } else {
        hn_api_problem(c, 404, "not-found", "no such webhook resource");
        return;
    }
    hn_api_store(c, webhook_run, webhook_done);
}

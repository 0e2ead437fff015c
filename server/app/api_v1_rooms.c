/* /api/v1/rooms: list, create, read, change, delete rooms; POST rooms/NAME/tokens. Rooms of the
 * configuration file are listed but read-only (409). The store commits first; the in-memory
 * policies (app/room_policy.h) follow in the reply, on the main thread. */
#include <string.h>

#include "app/api_v1_priv.h"
#include "signaling/protocol.h"

typedef struct {
    HnDbRoom room;
    gboolean create; /* else update */
    gboolean delete;
} RoomOp;

static void room_op_free(gpointer p)
{
    RoomOp *op = p;
    hn_db_room_clear(&op->room);
    g_free(op);
}

json_t *hn_api_room_json(HnApi *api, const HnRoomPolicy *p)
{
    g_autofree char *key = g_ascii_strdown(p->name, -1); /* live rooms go by lower case */
    HnRoomEntry *e = g_hash_table_lookup(api->hub->rooms, key);
    json_t *j = json_pack(
        "{s:s, s:o, s:s, s:s?, s:b, s:b, s:i, s:i, s:s, s:i, s:i}", "name", p->name, "title",
        p->title ? json_string(p->title) : json_null(), "access", hn_access_name(p->access),
        "access_set", p->access_set != HN_ACCESS_DEFAULT ? hn_access_name(p->access_set) : NULL,
        "has_pin", p->pin != NULL, "lobby", p->lobby, "max_participants", (int)p->max_participants,
        "last_n", (int)p->last_n, "source", p->from_config ? "config" : "api", "participants",
        e ? (int)e->members : 0, "retention_days", (int)p->retention_days);
    return j;
}

static json_t *room_json_by_name(HnApi *api, const char *name)
{
    HnRoomPolicy p;
    if (!hn_room_policy_lookup(api->hub->cfg, api->hub->policies, name, &p))
        return NULL;
    return hn_api_room_json(api, &p);
}

/* Reads the fields of j into r; NULL when fine, else the reason for a 400. */
static const char *apply_fields(json_t *j, HnDbRoom *r, gboolean create)
{
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        gboolean null = json_is_null(v);
        if (strcmp(key, "name") == 0) {
            if (!json_is_string(v) || !hn_config_room_name_valid(json_string_value(v)))
                return "name must be 1-64 characters of A-Z a-z 0-9 . _ -";
            if (!create && g_ascii_strcasecmp(json_string_value(v), r->name) != 0)
                return "a room cannot be renamed";
            if (create) { /* room names ignore case: stored in lower case */
                g_free(r->name);
                r->name = g_ascii_strdown(json_string_value(v), -1);
            }
        } else if (strcmp(key, "title") == 0) {
            const char *t = json_string_value(v);
            if (!null && (!t || !g_utf8_validate(t, -1, NULL) || !*t ||
                          g_utf8_strlen(t, -1) > HN_CONFIG_ROOM_TITLE_MAX))
                return "title must be a string of 1-128 characters or null";
            g_free(r->title);
            r->title = g_strdup(t);
        } else if (strcmp(key, "access") == 0) {
            HnAccess a;
            if (!null && (!json_is_string(v) || !hn_access_parse(json_string_value(v), &a)))
                return "access must be open, pin, token, token-or-pin or null";
            g_free(r->access);
            r->access = g_strdup(json_string_value(v));
        } else if (strcmp(key, "pin") == 0) {
            const char *pin = json_string_value(v);
            size_t n = pin ? strlen(pin) : 0;
            gboolean ok = null || (n >= 4 && n <= HN_CONFIG_PIN_MAX);
            for (size_t i = 0; ok && i < n; i++)
                ok = g_ascii_isdigit(pin[i]);
            if (!ok)
                return "pin must be a string of 4-32 digits or null";
            if (r->pin)
                memset(r->pin, 0, strlen(r->pin));
            g_free(r->pin);
            r->pin = g_strdup(pin);
        } else if (strcmp(key, "lobby") == 0) {
            if (!json_is_boolean(v))
                return "lobby must be true or false";
            r->lobby = json_is_true(v);
        } else if (strcmp(key, "max_participants") == 0) {
            if (!null && (!json_is_integer(v) || json_integer_value(v) < 1 ||
                          json_integer_value(v) > HN_CONFIG_MAX_PARTICIPANTS))
                return "max_participants must be 1-1000 or null";
            r->max_participants = null ? 0 : (gint)json_integer_value(v);
        } else if (strcmp(key, "last_n") == 0) {
            if (!null && (!json_is_integer(v) || json_integer_value(v) < 0 ||
                          json_integer_value(v) > HN_CONFIG_LAST_N_MAX))
                return "last_n must be 0-100 or null";
            r->last_n = null ? -1 : (gint)json_integer_value(v);
        } else if (strcmp(key, "retention_days") == 0) {
            if (!null && (!json_is_integer(v) || json_integer_value(v) < 0 ||
                          json_integer_value(v) > HN_CONFIG_RETENTION_MAX))
                return "retention_days must be 0-36500 or null";
            r->has_retention = !null;
            r->retention_days = null ? 0 : (guint)json_integer_value(v);
        } else {
            return "unknown field (known: name, title, access, pin, lobby, max_participants, "
                   "last_n, retention_days)";
        }
    }
    return NULL;
}

/* The access rules of a [room:NAME] group (app/config.c), for an API room. */
static const char *check_access(const HnConfig *cfg, const HnDbRoom *r)
{
    HnAccess a = HN_ACCESS_DEFAULT;
    if (r->access)
        hn_access_parse(r->access, &a);
    if (a == HN_ACCESS_PIN && !r->pin)
        return "access pin needs a pin";
    if (a == HN_ACCESS_TOKEN && !cfg->jwt_secret)
        return "access token needs [auth] jwt_secret on this server";
    if (a == HN_ACCESS_TOKEN_OR_PIN && !cfg->jwt_secret && !r->pin)
        return "access token-or-pin needs a pin or [auth] jwt_secret";
    return NULL;
}

/* Store thread. */
static void room_write(HnDb *db, gpointer p)
{
    HnApiCall *c = p;
    RoomOp *op = c->op;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    if (op->delete)
        hn_db_room_delete(db, op->room.name, &c->error);
    else if (op->create && hn_db_room_insert(db, &op->room, now, &c->error))
        op->room.created = op->room.updated = now;
    else if (!op->create && hn_db_room_update(db, &op->room, now, &c->error))
        op->room.updated = now;
}

static gboolean room_written(HnApiCall *c)
{
    RoomOp *op = c->op;
    HnApi *a = c->api;
    if (c->error) {
        if (g_error_matches(c->error, HN_DB_ERROR, HN_DB_ERROR_EXISTS))
            hn_api_problem(c, 409, "conflict", "a room of that name exists");
        else if (g_error_matches(c->error, HN_DB_ERROR, HN_DB_ERROR_NOT_FOUND))
            hn_api_problem(c, 404, "not-found", "no such room");
        else
            hn_api_problem(c, 500, "store-error", c->error->message);
        return G_SOURCE_REMOVE;
    }
    const char *name = op->room.name;
    if (op->delete) {
        hn_room_policies_remove(a->hub->policies, name);
        hn_api_audit(c, "api-room-delete", name, NULL);
        hn_api_json(c, 204, NULL);
        return G_SOURCE_REMOVE;
    }
    hn_room_policies_put(a->hub->policies, &op->room);
    HnRoomPolicy pol;
    hn_room_policy_lookup(a->hub->cfg, a->hub->policies, name, &pol);
    HnRoomEntry *e = g_hash_table_lookup(a->hub->rooms, name); /* both in lower case */
    if (e) /* a live room takes the new limit for the next joins */
        e->max_participants = pol.max_participants;
    g_autofree char *d =
        g_strdup_printf("access=%s pin=%s lobby=%d max=%u last_n=%u", hn_access_name(pol.access),
                        pol.pin ? "set" : "none", pol.lobby, pol.max_participants, pol.last_n);
    hn_api_audit(c, op->create ? "api-room-create" : "api-room-update", name, d);
    if (op->create) {
        g_autofree char *loc = g_strdup_printf("/api/v1/rooms/%s", name);
        hn_http_request_add_header(c->req, "location", loc);
    }
    hn_api_json(c, op->create ? 201 : 200, hn_api_room_json(a, &pol));
    return G_SOURCE_REMOVE;
}

static void room_list(HnApiCall *c)
{
    HnApi *a = c->api;
    json_t *arr = json_array();
    const HnConfig *cfg = a->hub->cfg;
    for (guint i = 0; i < cfg->rooms->len; i++) {
        const HnRoomConfig *rc = g_ptr_array_index(cfg->rooms, i);
        json_array_append_new(arr, room_json_by_name(a, rc->name));
    }
    GList *rooms = hn_room_policies_api_rooms(a->hub->policies);
    for (GList *l = rooms; l; l = l->next) {
        json_t *j = room_json_by_name(a, ((const HnDbRoom *)l->data)->name);
        if (j)
            json_array_append_new(arr, j);
    }
    g_list_free(rooms);
    hn_api_json(c, 200, arr);
}

static void room_create(HnApiCall *c)
{
    HnApi *a = c->api;
    RoomOp *op = g_new0(RoomOp, 1);
    op->room.last_n = -1;
    op->create = TRUE;
    c->op = op;
    c->op_free = room_op_free;
    const char *bad = c->body ? apply_fields(c->body, &op->room, TRUE) : "send a JSON object";
    if (!bad && !op->room.name)
        bad = "name is required";
    if (!bad)
        bad = check_access(a->hub->cfg, &op->room);
    if (bad) {
        hn_api_problem(c, 400, "bad-request", bad);
        return;
    }
    if (hn_config_find_room(a->hub->cfg, op->room.name) ||
        hn_room_policies_api_room(a->hub->policies, op->room.name)) {
        hn_api_problem(c, 409, "conflict", "a room of that name exists");
        return;
    }
    hn_api_store(c, room_write, room_written);
}

static void room_change(HnApiCall *c, const char *name)
{
    HnApi *a = c->api;
    if (hn_config_find_room(a->hub->cfg, name)) {
        hn_api_problem(c, 409, "conflict",
                       "this room is declared in the configuration file: change it there");
        return;
    }
    const HnDbRoom *cur = hn_room_policies_api_room(a->hub->policies, name);
    if (!cur) {
        hn_api_problem(c, 404, "not-found", "no such room");
        return;
    }
    RoomOp *op = g_new0(RoomOp, 1);
    hn_db_room_copy(&op->room, cur);
    op->delete = c->method == HN_HTTP_DELETE;
    c->op = op;
    c->op_free = room_op_free;
    if (!op->delete) {
        const char *bad = c->body ? apply_fields(c->body, &op->room, FALSE) : NULL;
        if (!bad)
            bad = check_access(a->hub->cfg, &op->room);
        if (bad) {
            hn_api_problem(c, 400, "bad-request", bad);
            return;
        }
    }
    hn_api_store(c, room_write, room_written);
}

void hn_api_rooms(HnApiCall *c)
{
    HnApi *a = c->api;
    if (c->nseg == 1) {
        if (c->method == HN_HTTP_GET)
            room_list(c);
        else if (c->method == HN_HTTP_POST)
            room_create(c);
        else
            hn_api_not_allowed(c, "GET, POST");
        return;
    }
    const char *name = c->seg[1]; /* in lower case (route) */
    gboolean star = c->legacy && strcmp(name, "*") == 0;
    if (!star && !hn_config_room_name_valid(name)) {
        hn_api_problem(c, 404, "not-found", "no such room");
        return;
    }
    if (c->nseg == 2) {
        if (c->method == HN_HTTP_GET) {
            json_t *j = room_json_by_name(a, name);
            if (j)
                hn_api_json(c, 200, j);
            else
                hn_api_problem(c, 404, "not-found", "no such room");
        } else if (c->method == HN_HTTP_PATCH || c->method == HN_HTTP_DELETE) {
            room_change(c, name);
        } else {
            hn_api_not_allowed(c, "GET, PATCH, DELETE");
        }
        return;
    }
    if (c->nseg == 3 && strcmp(c->seg[2], "tokens") == 0) {
        if (c->method != HN_HTTP_POST) {
            hn_api_not_allowed(c, "POST");
            return;
        }
        HnRoomPolicy pol;
        if (!star && !hn_hub_room_policy(a->hub, name, &pol) && !a->hub->cfg->auto_create) {
            hn_api_problem(c, 404, "not-found", "no such room");
            return;
        }
        hn_api_mint_token(c, name, 0, NULL);
        return;
    }
    hn_api_problem(c, 404, "not-found", "no such resource under this room");
}

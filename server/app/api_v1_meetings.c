/* /api/v1/meetings: schedule (POST), list (GET, ?room=NAME), read, change (PATCH), end
 * (POST meetings/ID/end) and tokens for a meeting (POST meetings/ID/tokens). The rows live in
 * the store's meetings and meeting_sites tables; every write is audited. */
#include <string.h>

#include "app/api_v1_priv.h"
#include "signaling/protocol.h"
#include "store/db_minutes.h"

#define MEETING_TITLE_MAX 256 /* characters */
#define MEETING_SITES_MAX 200
#define MEETING_LIST_MAX  500

enum { F_ROOM = 1, F_TITLE = 2, F_STARTS = 4, F_ENDS = 8, F_CHAIR = 16, F_SEC = 32, F_SITES = 64 };

typedef enum { OP_CREATE, OP_GET, OP_LIST, OP_PATCH, OP_END, OP_TOKENS } OpKind;

typedef struct {
    OpKind kind;
    gint64 id;
    HnDbMeeting in; /* the body's fields (mask says which) */
    guint mask;
    char *room_filter;
    json_t *extra;   /* the body's agenda, invited, summary, place (store/db_minutes.h), or NULL */
    json_t *details; /* the meeting's after the operation (not for lists) */
    HnDbMeeting out; /* the row after the operation */
    gboolean found;
    GArray *list;
    int status; /* a refusal decided on the store thread (0: none) */
    const char *kind_name, *detail;
} MeetingOp;

static void op_free(gpointer p)
{
    MeetingOp *op = p;
    hn_db_meeting_clear(&op->in);
    hn_db_meeting_clear(&op->out);
    g_free(op->room_filter);
    json_decref(op->extra);
    json_decref(op->details);
    if (op->list)
        g_array_unref(op->list);
    g_free(op);
}

static json_t *time_json(gint64 t)
{
    if (t <= 0)
        return json_null();
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
    g_autofree char *s = dt ? g_date_time_format_iso8601(dt) : NULL;
    return s ? json_string(s) : json_null();
}

static json_t *meeting_json(const HnDbMeeting *m, const json_t *details)
{
    json_t *sites = json_array();
    for (guint i = 0; m->sites && m->sites[i]; i++)
        json_array_append_new(sites, json_string(m->sites[i]));
    g_autofree char *url = g_strdup_printf("/?room=%s", m->room);
    json_t *o =
        json_pack("{s:I, s:s, s:s, s:o, s:o, s:s?, s:s?, s:o, s:s, s:o, s:o, s:o, s:s}", "id",
                  (json_int_t)m->id, "room", m->room, "title", m->title, "starts",
                  time_json(m->starts), "ends", time_json(m->ends), "chair", m->chair, "secretary",
                  m->secretary, "sites", sites, "state", m->state, "created", time_json(m->created),
                  "started", time_json(m->started), "ended", time_json(m->ended), "url", url);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)details, key, v) json_object_set(o, key, v);
    return o;
}

/* A text of 1..max code points without control characters (lines: \n allowed). */
static gboolean detail_text_valid(json_t *v, glong max)
{
    const char *t = json_string_value(v);
    if (!t || !*t || !g_utf8_validate(t, -1, NULL) || g_utf8_strlen(t, -1) > max)
        return FALSE;
    for (const char *p = t; *p; p = g_utf8_next_char(p))
        if (g_unichar_iscntrl(g_utf8_get_char(p)) && *p != '\n')
            return FALSE;
    return TRUE;
}

/* agenda, invited, summary, place (docs/api.md): into op->extra; NULL or the reason for a 400. */
static const char *parse_detail(MeetingOp *op, const char *key, json_t *v)
{
    if (!op->extra)
        op->extra = json_object();
    if (strcmp(key, "summary") == 0 || strcmp(key, "place") == 0) {
        if (!json_is_null(v) && !detail_text_valid(v, key[0] == 's' ? 2000 : 200))
            return "summary (1-2000 characters), place (1-200) must be texts or null";
    } else if (strcmp(key, "agenda") == 0) {
        size_t i;
        json_t *e;
        if (!json_is_array(v) || json_array_size(v) > 100)
            return "agenda must be an array of at most 100 titles";
        json_array_foreach(v, i, e) if (!detail_text_valid(e, 500)) return "every agenda item "
                                                                           "must be a title of "
                                                                           "1-500 characters";
    } else {
        size_t i;
        json_t *e;
        if (!json_is_array(v) || json_array_size(v) > 1000)
            return "invited must be an array of at most 1000 people";
        json_array_foreach(v, i, e)
        {
            json_t *site = json_object_get(e, "site");
            if (!json_is_object(e) || !detail_text_valid(json_object_get(e, "name"), 200) ||
                (site && !json_is_null(site) && !detail_text_valid(site, 200)))
                return "every invited person is {\"name\": 1-200 characters, \"site\": a name "
                       "or null}";
        }
    }
    json_object_set(op->extra, key, v);
    return NULL;
}

/* A time: RFC 3339 text (with its offset) or unix seconds. FALSE when neither. */
static gboolean parse_time(json_t *v, gint64 *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return *out > 0 && *out < G_GINT64_CONSTANT(253402300799); /* before year 10000 */
    }
    if (!json_is_string(v))
        return FALSE;
    g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(json_string_value(v), NULL);
    if (!dt)
        return FALSE;
    *out = g_date_time_to_unix(dt);
    return *out > 0;
}

static gboolean person_valid(json_t *v)
{
    return json_is_null(v) ||
           (json_is_string(v) && hn_proto_display_name_valid(json_string_value(v)));
}

/* Reads the body into op->in; NULL when fine, else the reason for a 400. */
static const char *parse_body(HnApi *a, json_t *j, MeetingOp *op)
{
    const char *key;
    json_t *v;
    HnDbMeeting *m = &op->in;
    json_object_foreach(j, key, v)
    {
        if (strcmp(key, "title") == 0) {
            const char *t = json_string_value(v);
            if (!t || !*t || !g_utf8_validate(t, -1, NULL) ||
                g_utf8_strlen(t, -1) > MEETING_TITLE_MAX)
                return "title must be a string of 1-256 characters";
            m->title = g_strdup(t);
            op->mask |= F_TITLE;
        } else if (strcmp(key, "room") == 0) {
            const char *r = json_string_value(v);
            if (!r || !hn_config_room_name_valid(r))
                return "room must be a room name";
            HnRoomPolicy pol;
            if (!hn_hub_room_policy(a->hub, r, &pol) && !a->hub->cfg->auto_create)
                return "no such room: create it first (POST /api/v1/rooms)";
            m->room = g_ascii_strdown(r, -1); /* room names ignore case */
            op->mask |= F_ROOM;
        } else if (strcmp(key, "starts") == 0) {
            if (!parse_time(v, &m->starts))
                return "starts must be an RFC 3339 time with its offset or unix seconds";
            op->mask |= F_STARTS;
        } else if (strcmp(key, "ends") == 0) {
            if (!json_is_null(v) && !parse_time(v, &m->ends))
                return "ends must be an RFC 3339 time with its offset, unix seconds or null";
            op->mask |= F_ENDS;
        } else if (strcmp(key, "chair") == 0 || strcmp(key, "secretary") == 0) {
            if (!person_valid(v))
                return "chair and secretary must be names of 1-64 characters or null";
            gboolean chair = key[0] == 'c';
            char **slot = chair ? &m->chair : &m->secretary;
            g_free(*slot);
            *slot = g_strdup(json_string_value(v));
            op->mask |= chair ? F_CHAIR : F_SEC;
        } else if (strcmp(key, "sites") == 0) {
            if (!json_is_array(v) || json_array_size(v) > MEETING_SITES_MAX)
                return "sites must be an array of at most 200 names";
            GPtrArray *s = g_ptr_array_new();
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e)
            {
                if (!json_is_string(e) || !hn_proto_display_name_valid(json_string_value(e))) {
                    g_ptr_array_free(s, TRUE);
                    return "every site must be a name of 1-64 characters";
                }
                g_ptr_array_add(s, g_strdup(json_string_value(e)));
            }
            g_ptr_array_add(s, NULL);
            g_strfreev(m->sites);
            m->sites = (char **)g_ptr_array_free(s, FALSE);
            op->mask |= F_SITES;
        } else if (strcmp(key, "agenda") == 0 || strcmp(key, "invited") == 0 ||
                   strcmp(key, "summary") == 0 || strcmp(key, "place") == 0) {
            const char *bad = parse_detail(op, key, v);
            if (bad)
                return bad;
        } else {
            return "unknown field (known: title, room, starts, ends, chair, secretary, sites, "
                   "agenda, invited, summary, place)";
        }
    }
    return NULL;
}

static void refuse(MeetingOp *op, int status, const char *kind, const char *detail)
{
    op->status = status;
    op->kind_name = kind;
    op->detail = detail;
}

/* Merges op->in (the fields in op->mask) into op->out. */
static void merge(MeetingOp *op)
{
    HnDbMeeting *in = &op->in, *out = &op->out;
#define TAKE(flag, field)                                                                          \
    if (op->mask & (flag)) {                                                                       \
        g_free(out->field);                                                                        \
        out->field = g_steal_pointer(&in->field);                                                  \
    }
    TAKE(F_ROOM, room)
    TAKE(F_TITLE, title)
    TAKE(F_CHAIR, chair)
    TAKE(F_SEC, secretary)
#undef TAKE
    if (op->mask & F_STARTS)
        out->starts = in->starts;
    if (op->mask & F_ENDS)
        out->ends = in->ends;
    if (op->mask & F_SITES) {
        g_strfreev(out->sites);
        out->sites = g_steal_pointer(&in->sites);
    }
}

/* Store thread. */
static void meeting_run(HnDb *db, gpointer p)
{
    HnApiCall *c = p;
    MeetingOp *op = c->op;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    gint64 id = op->id;
    switch (op->kind) {
    case OP_LIST:
        op->list = hn_db_meeting_list(db, op->room_filter, MEETING_LIST_MAX, &c->error);
        return;
    case OP_CREATE:
        if (!op->in.sites)
            op->in.sites = g_new0(char *, 1);
        if (!hn_db_meeting_insert(db, &op->in, now, &id, &c->error))
            return;
        break;
    case OP_GET:
    case OP_TOKENS:
        break;
    case OP_PATCH:
    case OP_END:
        if (!hn_db_meeting_get(db, id, &op->out))
            return; /* 404 */
        if (strcmp(op->out.state, "ended") == 0) {
            op->found = TRUE;
            refuse(op, 409, "conflict", "the meeting has ended");
            return;
        }
        if (op->kind == OP_PATCH) {
            merge(op);
            if (op->out.ends && op->out.ends <= op->out.starts) {
                op->found = TRUE;
                refuse(op, 400, "bad-request", "ends must be after starts");
                return;
            }
        } else {
            g_free(op->out.state);
            op->out.state = g_strdup("ended");
            op->out.ended = now;
        }
        if (!hn_db_meeting_update(db, &op->out, &c->error))
            return;
        hn_db_meeting_clear(&op->out);
        break;
    }
    if (op->extra && !hn_db_meeting_details_set(db, id, op->extra, &c->error))
        return;
    op->found = hn_db_meeting_get(db, id, &op->out);
    if (op->found)
        op->details = hn_db_meeting_details_get(db, id);
}

static gboolean meeting_done(HnApiCall *c)
{
    MeetingOp *op = c->op;
    if (c->error) {
        hn_api_problem(c, 500, "store-error", c->error->message);
        return G_SOURCE_REMOVE;
    }
    if (op->kind == OP_LIST) {
        json_t *arr = json_array();
        for (guint i = 0; i < op->list->len; i++)
            json_array_append_new(arr,
                                  meeting_json(&g_array_index(op->list, HnDbMeeting, i), NULL));
        hn_api_json(c, 200, arr);
        return G_SOURCE_REMOVE;
    }
    if (!op->found) {
        hn_api_problem(c, 404, "not-found", "no such meeting");
        return G_SOURCE_REMOVE;
    }
    if (op->status) {
        hn_api_problem(c, op->status, op->kind_name, op->detail);
        return G_SOURCE_REMOVE;
    }
    const HnDbMeeting *m = &op->out;
    g_autofree char *d = g_strdup_printf("meeting=%" G_GINT64_FORMAT, m->id);
    switch (op->kind) {
    case OP_CREATE: {
        g_autofree char *loc = g_strdup_printf("/api/v1/meetings/%" G_GINT64_FORMAT, m->id);
        hn_http_request_add_header(c->req, "location", loc);
        g_autofree char *dd = g_strdup_printf("%s title=%s", d, m->title);
        hn_api_audit(c, "api-meeting-create", m->room, dd);
        hn_api_json(c, 201, meeting_json(m, op->details));
        return G_SOURCE_REMOVE;
    }
    case OP_PATCH:
        hn_api_audit(c, "api-meeting-update", m->room, d);
        break;
    case OP_END:
        hn_api_audit(c, "api-meeting-end", m->room, d);
        hn_api_end_live_room(c, m->room);
        break;
    case OP_TOKENS:
        if (strcmp(m->state, "ended") == 0) {
            hn_api_problem(c, 409, "conflict", "the meeting has ended");
            return G_SOURCE_REMOVE;
        }
        hn_api_mint_token(c, m->room, m->ends, d);
        return G_SOURCE_REMOVE;
    default:
        break;
    }
    hn_api_json(c, 200, meeting_json(m, op->details));
    return G_SOURCE_REMOVE;
}

/* ?room=NAME of the query string: FALSE when the query is malformed. */
static gboolean room_filter(HnApiCall *c, char **out)
{
    const char *q = hn_http_request_query(c->req);
    if (!*q)
        return TRUE;
    if (!g_str_has_prefix(q, "room=") || !hn_config_room_name_valid(q + 5))
        return FALSE;
    *out = g_ascii_strdown(q + 5, -1);
    return TRUE;
}

void hn_api_meetings(HnApiCall *c)
{
    MeetingOp *op = g_new0(MeetingOp, 1);
    c->op = op;
    c->op_free = op_free;
    const char *bad = NULL;
    if (c->nseg == 1) {
        if (c->method == HN_HTTP_GET) {
            op->kind = OP_LIST;
            if (!room_filter(c, &op->room_filter))
                bad = "the only query is ?room=NAME";
        } else if (c->method == HN_HTTP_POST) {
            op->kind = OP_CREATE;
            bad = c->body ? parse_body(c->api, c->body, op) : "send a JSON object";
            if (!bad && (op->mask & (F_TITLE | F_ROOM | F_STARTS)) != (F_TITLE | F_ROOM | F_STARTS))
                bad = "title, room and starts are required";
            if (!bad && op->in.ends && op->in.ends <= op->in.starts)
                bad = "ends must be after starts";
        } else {
            hn_api_not_allowed(c, "GET, POST");
            return;
        }
    } else {
        op->id = hn_api_parse_id(c->seg[1]);
        const char *tail = c->nseg == 3 ? c->seg[2] : NULL;
        if (op->id < 0 || c->nseg > 3 ||
            (tail && strcmp(tail, "end") != 0 && strcmp(tail, "tokens") != 0)) {
            hn_api_problem(c, 404, "not-found", "no such meeting or resource");
            return;
        }
        if (!tail && c->method == HN_HTTP_GET) {
            op->kind = OP_GET;
        } else if (!tail && c->method == HN_HTTP_PATCH) {
            op->kind = OP_PATCH;
            bad = c->body ? parse_body(c->api, c->body, op) : "send a JSON object";
        } else if (tail && c->method == HN_HTTP_POST) {
            op->kind = tail[0] == 'e' ? OP_END : OP_TOKENS;
        } else {
            hn_api_not_allowed(c, tail ? "POST" : "GET, PATCH");
            return;
        }
    }
    if (bad) {
        hn_api_problem(c, 400, "bad-request", bad);
        return;
    }
    hn_api_store(c, meeting_run, meeting_done);
}

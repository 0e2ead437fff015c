/* Recording in the hub: see hub_recording.h. */
#include "app/hub_recording.h"

#include <string.h>

#include "app/api_v1_priv.h"
#include "app/hub_archive.h"
#include "app/hub_meeting.h"
#include "record/recorder.h"

/* The recording of one open room. */
typedef struct {
    HnRecSession *s;
    int64_t since_ms;
    char *by, *reason;
    gboolean attached; /* its room is open and captured (a room closes when it empties; the
                        * meeting, and its recording, go on for [rooms] end_grace) */
} RecState;

/* The meeting a room's recordings belong to while it is open (its archive folder). */
typedef struct {
    int64_t id, started_ms;
    gboolean provisional; /* id made up: the store had not answered yet */
} RecMeeting;

typedef struct HnHubRecording {
    HnRecorder *rec;
    GHashTable *live;     /* room name -> RecState* */
    GHashTable *meetings; /* room name -> RecMeeting* */
} HnHubRecording;

static HnHubRecording *state(HnHub *hub)
{
    return hub->recording;
}

static void rec_state_free(gpointer p)
{
    RecState *r = p;
    hn_rec_session_unref(r->s);
    g_free(r->by);
    g_free(r->reason);
    g_free(r);
}

/* --- worker hops ---------------------------------------------------------------------------- */

typedef struct {
    HnRoom *room;
    HnRecSession *s; /* a reference; NULL: stop capturing */
} Hop;

static gboolean hop_run(gpointer data)
{
    Hop *h = data;
    if (h->s)
        hn_room_record(h->room, h->s);
    else
        hn_room_record_stop(h->room);
    return G_SOURCE_REMOVE;
}

static void hop_free(gpointer data)
{
    Hop *h = data;
    hn_rec_session_unref(h->s);
    g_free(h);
}

static void capture(HnRoomEntry *e, HnRecSession *s)
{
    Hop *h = g_new0(Hop, 1);
    h->room = e->room;
    h->s = s ? hn_rec_session_ref(s) : NULL;
    hn_worker_invoke(e->worker, hop_run, h, hop_free);
}

/* --- the indicator -------------------------------------------------------------------------- */

/* `recording` to everyone in e but except_id (a joiner: its `joined` carries the state). */
static void broadcast(HnHub *hub, HnRoomEntry *e, gboolean on, const RecState *r, const char *by,
                      const char *reason, uint64_t except_id)
{
    g_autofree char *text = hn_proto_build_recording(on, r ? r->since_ms : 0, by, reason);
    if (text && e)
        hn_hub_broadcast(hub, e, text, except_id);
}

char *hn_hub_recording_decorate(HnHub *hub, uint64_t conn_id, char *text)
{
    HnHubConn *c = hn_hub_conn(hub, conn_id);
    if (!state(hub) || !c || !c->room || !text || !strstr(text, "\"joined\""))
        return text;
    json_t *j = json_loads(text, 0, NULL);
    if (!json_is_object(j) ||
        g_strcmp0(json_string_value(json_object_get(j, "type")), "joined") != 0) {
        json_decref(j);
        return text;
    }
    RecState *r = g_hash_table_lookup(state(hub)->live, c->room->name);
    json_object_set_new(j, "recording",
                        r ? json_pack("{s:b, s:I, s:s, s:s}", "on", 1, "since",
                                      (json_int_t)r->since_ms, "by", r->by, "reason", r->reason)
                          : json_pack("{s:b}", "on", 0));
    char *out = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!out)
        return text;
    g_free(text);
    char *ret = g_strdup(out);
    free(out);
    return ret;
}

/* --- start / stop --------------------------------------------------------------------------- */

/* The meeting of e's recordings: the room's live meeting (app/hub_meeting.h). When its id is
 * not known (no store, or the store has not answered yet: a `record = true` room's first
 * join), the folder is named after the meeting's start in ms (unique per server). */
static const RecMeeting *meeting_of(HnHub *hub, HnRoomEntry *e)
{
    RecMeeting *m = g_hash_table_lookup(state(hub)->meetings, e->name);
    if (!m) {
        m = g_new(RecMeeting, 1);
        m->id = hn_hub_meeting_id(hub, e->name);
        m->started_ms = hn_hub_meeting_started_ms(hub, e->name);
        if (m->started_ms <= 0)
            m->started_ms = g_get_real_time() / 1000;
        m->provisional = m->id <= 0;
        if (m->provisional)
            m->id = m->started_ms;
        g_hash_table_insert(state(hub)->meetings, g_strdup(e->name), m);
    }
    return m;
}

static RecState *rec_start(HnHub *hub, HnRoomEntry *e, const char *by, const char *reason,
                           uint64_t except_id, GError **error)
{
    RecState *r = g_hash_table_lookup(state(hub)->live, e->name);
    if (r)
        return r;
    const RecMeeting *m = meeting_of(hub, e);
    HnRoomPolicy pol;
    gboolean declared = hn_hub_room_policy(hub, e->name, &pol);
    HnRecInfo info = {
        .room = e->name,
        .title = declared ? pol.title : NULL,
        .meeting_id = m->id,
        .meeting_started_ms = m->started_ms,
        .by = by,
        .reason = reason,
    };
    HnRecSession *s = hn_rec_session_start(state(hub)->rec, &info, error);
    if (!s)
        return NULL;
    r = g_new0(RecState, 1);
    r->s = s;
    r->since_ms = g_get_real_time() / 1000;
    r->by = g_strdup(by);
    r->reason = g_strdup(reason);
    g_hash_table_insert(state(hub)->live, g_strdup(e->name), r);
    capture(e, s);
    r->attached = TRUE;
    hn_hub_meeting_event(hub, e->name, "recording.started", by, NULL,
                         json_pack("{s:s, s:s}", "reason", reason, "dir", hn_rec_session_dir(s)));
    g_message("recording %s started (%s, by %s) into %s", e->name, reason, by,
              hn_rec_session_dir(s));
    hn_store_audit(hub->store, by, "recording-start", e->name, reason);
    broadcast(hub, e, TRUE, r, by, reason, except_id);
    return r;
}

/* Stops e's recording (e NULL: its room is gone). */
static void rec_stop(HnHub *hub, const char *room, HnRoomEntry *e, const char *by,
                     const char *reason)
{
    RecState *r = g_hash_table_lookup(state(hub)->live, room);
    if (!r)
        return;
    hn_rec_session_stop(r->s, by, reason);
    if (e && r->attached)
        capture(e, NULL);
    hn_hub_meeting_event(hub, room, "recording.stopped", by ? by : "system", NULL,
                         json_pack("{s:s}", "reason", reason));
    g_message("recording %s stopped (%s%s%s)", room, reason, by ? ", by " : "", by ? by : "");
    hn_store_audit(hub->store, by ? by : "server", "recording-stop", room, reason);
    if (e)
        broadcast(hub, e, FALSE, NULL, by, reason, 0);
    g_hash_table_remove(state(hub)->live, room);
}

/* The recorder's own news (main loop). */
static void on_recorder(void *user, const HnRecEvent *ev)
{
    HnHub *hub = user;
    if (!state(hub))
        return;
    if (ev->type == HN_REC_READY) {
        HnArchive *archive = hn_hub_archive(hub);
        if (archive) /* the clerks' catalogue reads the finished manifest (its own thread) */
            hn_archive_index_meeting(archive, ev->dir);
        g_message("recording of %s ready in %s%s", ev->room, ev->dir,
                  ev->interrupted ? " (interrupted)" : "");
        if (!ev->interrupted) /* (a recovered one's meeting is over: no event for it) */
            hn_hub_meeting_event(
                hub, ev->room, "recording.ready", "system", NULL,
                json_pack("{s:s, s:I}", "dir", ev->dir, "meeting", (json_int_t)ev->meeting_id));
        return;
    }
    RecState *r = g_hash_table_lookup(state(hub)->live, ev->room);
    if (!r || r->s != ev->session)
        return;
    HnRoomEntry *e = g_hash_table_lookup(hub->rooms, ev->room);
    rec_stop(hub, ev->room, e, NULL, ev->type == HN_REC_STOPPED_DISK ? "disk" : "error");
}

/* The meeting ends: so does its recording; the next meeting of the room gets a new folder. */
static void on_meeting(HnHub *hub, const HnMeetingEvent *ev, gpointer user)
{
    (void)user;
    if (!state(hub) || !ev->room)
        return;
    RecMeeting *m = g_hash_table_lookup(state(hub)->meetings, ev->room);
    RecState *r = g_hash_table_lookup(state(hub)->live, ev->room);
    if (m && m->provisional && ev->meeting > 0 &&
        (!g_strcmp0(ev->type, "meeting.started") || !g_strcmp0(ev->type, "meeting.resumed"))) {
        m->id = ev->meeting; /* a recording that started at the first join learns its id */
        m->provisional = FALSE;
        if (r)
            hn_rec_session_set_meeting(r->s, ev->meeting);
    }
    if (g_strcmp0(ev->type, "meeting.ended") != 0)
        return;
    rec_stop(hub, ev->room, g_hash_table_lookup(hub->rooms, ev->room), NULL, "meeting-ended");
    g_hash_table_remove(state(hub)->meetings, ev->room);
}

/* --- entry points --------------------------------------------------------------------------- */

void hn_hub_recording_init(HnHub *hub, GMainContext *main_ctx)
{
    HnHubRecording *st = g_new0(HnHubRecording, 1);
    HnRecorderConfig rc = {
        .data_dir = hub->cfg->data_dir,
        .reserve_mb = hub->cfg->recording_reserve_mb,
        .format = hub->cfg->recording_format,
        .compose = hub->cfg->recording_compose,
        .layout = hub->cfg->recording_layout,
        .main_ctx = main_ctx,
        .on_event = on_recorder,
        .user = hub,
    };
    st->rec = hn_recorder_new(&rc);
    st->live = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, rec_state_free);
    st->meetings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    hub->recording = st;
    hn_hub_meeting_observe(hub, on_meeting, NULL);
    guint n = hn_recorder_recover(st->rec);
    if (n)
        g_message("recorder: %u interrupted recording(s) found: finishing them", n);
}

void hn_hub_recording_free(HnHub *hub)
{
    HnHubRecording *st = state(hub);
    if (!st)
        return;
    hub->recording = NULL; /* the recorder's last events find no hub state */
    g_hash_table_destroy(st->live);
    hn_recorder_free(st->rec); /* ends what still runs, waits for the files */
    g_hash_table_destroy(st->meetings);
    g_free(st);
}

gboolean hn_hub_recording_message(HnHub *hub, HnHubConn *c, const HnProtoMsg *m)
{
    if (m->type != HN_PROTO_MSG_RECORD)
        return FALSE;
    if (!hn_hub_conn_may_chair(c)) {
        hn_hub_reply_error(hub, c->id, HN_PROTO_ERR_FORBIDDEN, "only a chair may record", "record",
                           m);
        return TRUE;
    }
    if (m->u.record.start) {
        g_autoptr(GError) err = NULL;
        if (!rec_start(hub, c->room, c->name, "chair", 0, &err)) {
            g_warning("recording %s: %s", c->room->name, err->message);
            hn_hub_reply_error(hub, c->id, HN_PROTO_ERR_INTERNAL, "the archive cannot be written",
                               "record", m);
            return TRUE;
        }
    } else {
        rec_stop(hub, c->room->name, c->room, c->name, "chair");
    }
    hn_hub_send(hub, c->id, hn_proto_attach_id(hn_proto_build_ack("record"), m->id_json));
    return TRUE;
}

void hn_hub_recording_entered(HnHub *hub, HnHubConn *c)
{
    if (!state(hub) || !c->room)
        return;
    RecState *r = g_hash_table_lookup(state(hub)->live, c->room->name);
    if (r && !r->attached) { /* the room reopened within end_grace: capture it again */
        capture(c->room, r->s);
        r->attached = TRUE;
    }
    const HnRoomConfig *rc = hn_config_find_room(hub->cfg, c->room->name);
    if (!rc || !rc->record || g_hash_table_contains(state(hub)->live, c->room->name))
        return;
    g_autoptr(GError) err = NULL;
    if (!rec_start(hub, c->room, "auto", "auto", c->id, &err))
        g_warning("recording %s: %s", c->room->name, err->message);
}

void hn_hub_recording_room_closed(HnHub *hub, HnRoomEntry *e)
{
    if (!state(hub))
        return;
    RecState *r = g_hash_table_lookup(state(hub)->live, e->name);
    if (r) /* the room's HnRoom goes (its capture with it); the meeting goes on */
        r->attached = FALSE;
}

void hn_hub_recording_stats(HnHub *hub, HnRecorderStats *out)
{
    hn_recorder_get_stats(state(hub) ? state(hub)->rec : NULL, out);
}

/* POST /api/v1/rooms/{name}/recording {"on": true|false}: 200 {"on", "since", "dir"};
 * GET: the same. The room must be live (someone in it): 409 otherwise. */
void hn_api_recording(HnApiCall *c)
{
    HnHub *hub = c->api->hub;
    const char *name = c->seg[1];
    if (c->method != HN_HTTP_GET && c->method != HN_HTTP_POST) {
        hn_api_not_allowed(c, "GET, POST");
        return;
    }
    HnRoomEntry *e = g_hash_table_lookup(hub->rooms, name);
    if (c->method == HN_HTTP_POST) {
        json_t *on = c->body ? json_object_get(c->body, "on") : NULL;
        if (!json_is_boolean(on)) {
            hn_api_problem(c, 400, "bad-request", "body must be {\"on\": true|false}");
            return;
        }
        if (json_is_true(on)) {
            if (!e) {
                hn_api_problem(c, 409, "conflict", "nobody is in this room: no meeting to record");
                return;
            }
            g_autoptr(GError) err = NULL;
            if (!rec_start(hub, e, c->actor ? c->actor : "api", "api", 0, &err)) {
                hn_api_problem(c, 500, "internal", err->message);
                return;
            }
        } else {
            rec_stop(hub, name, e, c->actor ? c->actor : "api", "api");
        }
        hn_api_audit(c, json_is_true(on) ? "recording-start" : "recording-stop", name, NULL);
    }
    RecState *r = g_hash_table_lookup(state(hub)->live, name);
    hn_api_json(c, 200,
                r ? json_pack("{s:b, s:I, s:s, s:s}", "on", 1, "since", (json_int_t)r->since_ms,
                              "reason", r->reason, "dir", hn_rec_session_dir(r->s))
                  : json_pack("{s:b}", "on", 0));
}

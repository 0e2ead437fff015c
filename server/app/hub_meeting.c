/* Meetings as they happen, and their event log: see hub_meeting.h. */
#include "app/hub_meeting.h"

#include "app/hub_priv.h"
#include "store/db_events.h"

/* What the main loop and the store thread share about one meeting: its ids, set on the store
 * thread by the job that starts it and read by later jobs (same thread) and by the main loop. */
typedef struct {
    gint refs;
    gint64 id;         /* atomic */
    gint64 started_ms; /* atomic */
} MeetingRef;

typedef struct {
    char *room;
    MeetingRef *ref;
    guint members;
    guint grace_src;
    gboolean chair_ended;
    gint64 last_ms; /* a meeting resumed after a restart: its last event, its end if nobody comes */
} Meeting;

typedef struct {
    HnMeetingObserverFn fn;
    gpointer user;
} Observer;

struct HnHubMeetings {
    HnHub *hub;
    GHashTable *by_room; /* room -> Meeting* */
    GArray *observers;
};

typedef enum { JOB_EVENT, JOB_START, JOB_END } JobKind;

typedef struct {
    HnHub *hub;
    JobKind kind;
    MeetingRef *ref; /* NULL: an event outside any meeting */
    HnDbEvent ev;
    json_t *data;
    char *title;      /* JOB_START: the ad hoc title */
    char *end_reason; /* JOB_END */
    gint64 end_ms;    /* JOB_END: the meeting's end */
    gboolean ok;
} Job;

static MeetingRef *ref_new(void)
{
    MeetingRef *r = g_new0(MeetingRef, 1);
    r->refs = 1;
    return r;
}

static MeetingRef *ref_ref(MeetingRef *r)
{
    if (r)
        g_atomic_int_inc(&r->refs);
    return r;
}

static void ref_unref(MeetingRef *r)
{
    if (r && g_atomic_int_dec_and_test(&r->refs))
        g_free(r);
}

static gint64 ref_id(const MeetingRef *r)
{
    return r ? __atomic_load_n(&r->id, __ATOMIC_ACQUIRE) : 0;
}

static gint64 now_ms(void)
{
    return g_get_real_time() / 1000;
}

static void job_free(gpointer p)
{
    Job *j = p;
    ref_unref(j->ref);
    hn_db_event_clear(&j->ev);
    json_decref(j->data);
    g_free(j->title);
    g_free(j->end_reason);
    g_free(j);
}

static gboolean job_tx(HnDb *db, gpointer data, GError **error)
{
    Job *j = data;
    if (j->kind == JOB_START) {
        gint64 id = 0;
        char *title = NULL;
        gboolean scheduled = FALSE, resumed = FALSE;
        if (!hn_db_meeting_begin(db, j->ev.room, j->title, j->ev.time_ms, &id, &title, &scheduled,
                                 &resumed, error))
            return FALSE;
        HnDbMeeting row = {0};
        gint64 started_ms = j->ev.time_ms;
        if (hn_db_meeting_get(db, id, &row) && row.started)
            started_ms = row.started * 1000;
        hn_db_meeting_clear(&row);
        __atomic_store_n(&j->ref->started_ms, started_ms, __ATOMIC_RELEASE);
        __atomic_store_n(&j->ref->id, id, __ATOMIC_RELEASE);
        if (resumed) {
            g_free(j->ev.type);
            j->ev.type = g_strdup("meeting.resumed");
        }
        json_object_set_new(j->data, "title", json_string(title ? title : j->ev.room));
        json_object_set_new(j->data, "scheduled", json_boolean(scheduled));
        json_object_set_new(j->data, "started_ms", json_integer(started_ms));
        g_free(title);
    }
    j->ev.meeting = ref_id(j->ref);
    j->ev.data = json_dumps(j->data, JSON_COMPACT);
    if (!hn_db_event_append(db, &j->ev, error))
        return FALSE;
    if (j->kind == JOB_END && j->ev.meeting &&
        !hn_db_meeting_finish(db, j->ev.meeting, j->end_ms, j->end_reason, error))
        return FALSE;
    return TRUE;
}

static void job_run(HnDb *db, gpointer data)
{
    Job *j = data;
    GError *err = NULL;
    j->ok = hn_db_transaction(db, job_tx, j, &err);
    if (!j->ok) {
        g_warning("meeting event %s of room %s not stored: %s", j->ev.type, j->ev.room,
                  err->message);
        g_error_free(err);
    }
}

static void notify(HnHub *hub, const Job *j)
{
    HnHubMeetings *ms = hub->meetings;
    if (!ms)
        return;
    HnMeetingEvent ev = {
        .id = j->ev.id,
        .meeting = j->ev.meeting,
        .room = j->ev.room,
        .type = j->ev.type,
        .time_ms = j->ev.time_ms,
        .actor = j->ev.actor,
        .participant = j->ev.participant,
        .data = j->data,
    };
    for (guint i = 0; i < ms->observers->len; i++) {
        Observer *o = &g_array_index(ms->observers, Observer, i);
        o->fn(hub, &ev, o->user);
    }
}

static gboolean job_reply(gpointer data)
{
    Job *j = data;
    notify(j->hub, j);
    return G_SOURCE_REMOVE;
}

/* Appends (through the store thread when there is one) and notifies. Takes data. */
static void post(HnHub *hub, JobKind kind, MeetingRef *ref, const char *room, const char *type,
                 const char *actor, const char *participant, json_t *data, const char *title,
                 const char *end_reason, gint64 end_ms)
{
    Job *j = g_new0(Job, 1);
    j->hub = hub;
    j->kind = kind;
    j->ref = ref_ref(ref);
    j->ev.room = g_strdup(room);
    j->ev.type = g_strdup(type);
    j->ev.actor = g_strdup(actor);
    j->ev.participant = g_strdup(participant);
    j->ev.time_ms = now_ms();
    j->data = json_is_object(data) ? data : json_object();
    if (data && !json_is_object(data))
        json_decref(data);
    j->title = g_strdup(title);
    j->end_reason = g_strdup(end_reason);
    j->end_ms = end_ms ? end_ms : j->ev.time_ms;
    if (!hub->store) {
        if (kind == JOB_START)
            __atomic_store_n(&ref->started_ms, j->ev.time_ms, __ATOMIC_RELEASE);
        notify(hub, j);
        job_free(j);
        return;
    }
    hn_store_query(hub->store, job_run, job_reply, hn_worker_pool_home(hub->pool), j, job_free);
}

/* --- the meetings ------------------------------------------------------------------------- */

static void meeting_free(gpointer p)
{
    Meeting *m = p;
    if (m->grace_src)
        g_source_remove(m->grace_src);
    ref_unref(m->ref);
    g_free(m->room);
    g_free(m);
}

HnHubMeetings *hn_hub_meetings_new(HnHub *hub)
{
    HnHubMeetings *ms = g_new0(HnHubMeetings, 1);
    ms->hub = hub;
    ms->by_room = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, meeting_free);
    ms->observers = g_array_new(FALSE, FALSE, sizeof(Observer));
    return ms;
}

void hn_hub_meetings_free(HnHubMeetings *ms)
{
    if (!ms)
        return;
    g_hash_table_destroy(ms->by_room);
    g_array_unref(ms->observers);
    g_free(ms);
}

void hn_hub_meeting_observe(HnHub *hub, HnMeetingObserverFn fn, gpointer user)
{
    Observer o = {fn, user};
    g_array_append_val(hub->meetings->observers, o);
}

void hn_hub_meeting_unobserve(HnHub *hub, HnMeetingObserverFn fn, gpointer user)
{
    GArray *obs = hub->meetings ? hub->meetings->observers : NULL;
    for (guint i = 0; obs && i < obs->len; i++) {
        Observer *o = &g_array_index(obs, Observer, i);
        if (o->fn == fn && o->user == user) {
            g_array_remove_index(obs, i);
            return;
        }
    }
}

static Meeting *find(HnHub *hub, const char *room)
{
    return hub->meetings ? g_hash_table_lookup(hub->meetings->by_room, room) : NULL;
}

void hn_hub_meeting_event(HnHub *hub, const char *room, const char *type, const char *actor,
                          const char *participant, json_t *data)
{
    g_return_if_fail(hub && room && type);
    Meeting *m = find(hub, room);
    post(hub, JOB_EVENT, m ? m->ref : NULL, room, type, actor, participant, data, NULL, NULL, 0);
}

gint64 hn_hub_meeting_id(HnHub *hub, const char *room)
{
    Meeting *m = find(hub, room);
    return m ? ref_id(m->ref) : 0;
}

gint64 hn_hub_meeting_started_ms(HnHub *hub, const char *room)
{
    Meeting *m = find(hub, room);
    return m ? __atomic_load_n(&m->ref->started_ms, __ATOMIC_ACQUIRE) : 0;
}

/* Ends m (reason, end time; 0: now) and forgets it. */
static void end_meeting(HnHub *hub, Meeting *m, const char *reason, const char *actor,
                        gint64 end_ms)
{
    json_t *data = json_pack("{s:s}", "reason", reason);
    post(hub, JOB_END, m->ref, m->room, "meeting.ended", actor ? actor : "system", NULL, data, NULL,
         reason, end_ms);
    g_message("room %s: meeting ended (%s)", m->room, reason);
    g_hash_table_remove(hub->meetings->by_room, m->room);
}

typedef struct {
    HnHub *hub;
    char *room;
} GraceCtx;

static void grace_ctx_free(gpointer p)
{
    GraceCtx *g = p;
    g_free(g->room);
    g_free(g);
}

static gboolean grace_over(gpointer data)
{
    GraceCtx *g = data;
    Meeting *m = find(g->hub, g->room);
    if (m && m->members == 0) {
        m->grace_src = 0; /* this source ends by returning REMOVE */
        end_meeting(g->hub, m, m->last_ms ? "interrupted" : "empty", NULL, m->last_ms);
    }
    return G_SOURCE_REMOVE;
}

static void start_grace(HnHub *hub, Meeting *m)
{
    if (m->grace_src)
        g_source_remove(m->grace_src);
    GraceCtx *g = g_new0(GraceCtx, 1);
    g->hub = hub;
    g->room = g_strdup(m->room);
    m->grace_src = g_timeout_add_seconds_full(G_PRIORITY_DEFAULT, hub->cfg->end_grace, grace_over,
                                              g, grace_ctx_free);
}

static Meeting *meeting_add(HnHub *hub, const char *room, MeetingRef *ref)
{
    Meeting *m = g_new0(Meeting, 1);
    m->room = g_strdup(room);
    m->ref = ref;
    g_hash_table_insert(hub->meetings->by_room, m->room, m);
    return m;
}

void hn_hub_meeting_joined(HnHub *hub, const char *room, guint64 pid, const char *name,
                           const char *role, const char *sub, const char *how, const char *addr,
                           const char *client)
{
    Meeting *m = find(hub, room);
    if (!m) {
        m = meeting_add(hub, room, ref_new());
        HnRoomPolicy pol;
        const char *title = hn_hub_room_policy(hub, room, &pol) ? pol.title : NULL;
        /* the sites the SIP gateway calls now (gateway/sip_dialout.c) */
        const HnRoomConfig *rc = hn_config_find_room(hub->cfg, room);
        json_t *data = NULL;
        if (rc && rc->sites && hub->cfg->sip_listen_host) {
            json_t *sites = json_array();
            for (guint i = 0; rc->sites[i]; i++)
                json_array_append_new(sites, json_string(rc->sites[i]));
            data = json_pack("{s:o}", "sites", sites);
        }
        post(hub, JOB_START, m->ref, room, "meeting.started", "system", NULL, data, title, NULL, 0);
    }
    if (m->grace_src) {
        g_source_remove(m->grace_src);
        m->grace_src = 0;
    }
    if (m->last_ms) { /* someone came back after a restart: it goes on */
        m->last_ms = 0;
        post(hub, JOB_EVENT, m->ref, room, "meeting.resumed", "system", NULL, NULL, NULL, NULL, 0);
    }
    m->members++;
    char id[32];
    g_snprintf(id, sizeof id, "p%" G_GUINT64_FORMAT, pid);
    json_t *data =
        json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s}", "id", id, "name", name, "role", role,
                  "sub", sub, "how", how, "addr", addr, "client", client ? client : "browser");
    post(hub, JOB_EVENT, m->ref, room, "participant.joined", name, id, data, NULL, NULL, 0);
}

void hn_hub_meeting_left(HnHub *hub, const char *room, guint64 pid, const char *name,
                         const char *why)
{
    Meeting *m = find(hub, room);
    char id[32];
    g_snprintf(id, sizeof id, "p%" G_GUINT64_FORMAT, pid);
    json_t *data = json_pack("{s:s, s:s?, s:s?}", "id", id, "name", name, "reason", why);
    post(hub, JOB_EVENT, m ? m->ref : NULL, room, "participant.left", name, id, data, NULL, NULL,
         0);
    if (!m || m->members == 0)
        return;
    if (--m->members > 0)
        return;
    if (m->chair_ended)
        end_meeting(hub, m, "chair", NULL, 0);
    else
        start_grace(hub, m);
}

void hn_hub_meeting_end(HnHub *hub, const char *room, const char *actor)
{
    Meeting *m = find(hub, room);
    if (!m)
        return;
    if (m->members == 0) {
        end_meeting(hub, m, "chair", actor, 0);
        return;
    }
    m->chair_ended = TRUE;
    json_t *data = json_pack("{s:s}", "by", actor ? actor : "");
    post(hub, JOB_EVENT, m->ref, room, "meeting.ending", actor, NULL, data, NULL, NULL, 0);
}

/* --- meetings left live by a previous run --------------------------------------------------- */

typedef struct {
    HnHub *hub;
    GArray *live;
} Resume;

static void resume_run(HnDb *db, gpointer data)
{
    Resume *r = data;
    GError *err = NULL;
    r->live = hn_db_meeting_list_live(db, &err);
    if (!r->live) {
        g_warning("live meetings: %s", err->message);
        g_error_free(err);
    }
}

static gboolean resume_reply(gpointer data)
{
    Resume *r = data;
    for (guint i = 0; r->live && i < r->live->len; i++) {
        HnDbLiveMeeting *lm = &g_array_index(r->live, HnDbLiveMeeting, i);
        if (find(r->hub, lm->room))
            continue; /* someone joined already: it resumed */
        MeetingRef *ref = ref_new();
        ref->id = lm->id;
        ref->started_ms = lm->started_ms;
        Meeting *m = meeting_add(r->hub, lm->room, ref);
        m->last_ms = lm->last_ms ? lm->last_ms : now_ms();
        start_grace(r->hub, m);
        g_message("room %s: meeting %" G_GINT64_FORMAT
                  " was live before the restart; it ends in %u s"
                  " unless someone joins",
                  lm->room, lm->id, r->hub->cfg->end_grace);
    }
    return G_SOURCE_REMOVE;
}

static void resume_free(gpointer data)
{
    Resume *r = data;
    if (r->live)
        g_array_unref(r->live);
    g_free(r);
}

void hn_hub_meetings_resume(HnHub *hub)
{
    if (!hub->store)
        return;
    Resume *r = g_new0(Resume, 1);
    r->hub = hub;
    hn_store_query(hub->store, resume_run, resume_reply, hn_worker_pool_home(hub->pool), r,
                   resume_free);
}

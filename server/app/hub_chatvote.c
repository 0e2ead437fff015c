/* Chat and votes: checks on the main loop, rows on the store thread, answers after the commit
 * (app/hub_chatvote.h). */
#include "app/hub_chatvote.h"

#include <string.h>

#include "app/hub_meeting.h"
#include "meeting/chat.h"
#include "meeting/vote.h"
#include "store/db_chatvote.h"

#define HISTORY_SPAN_MS (12 * 3600 * INT64_C(1000)) /* "recent": the lines of the last 12 h */

typedef struct {
    HnVoteBox *votes;
} CvRoom;

struct HnHubChatVote {
    GHashTable *rooms; /* room name -> CvRoom* (kept while the process runs: votes survive an
                          empty room) */
    HnChatFlood *flood;
    gint64 started_ms; /* participant ids are reused after a restart: older private lines by id
                          are not shown */
};

static void cv_room_free(gpointer p)
{
    CvRoom *r = p;
    hn_vote_box_free(r->votes);
    g_free(r);
}

void hn_hub_chatvote_free(HnHubChatVote *cv)
{
    if (!cv)
        return;
    g_hash_table_destroy(cv->rooms);
    hn_chat_flood_free(cv->flood);
    g_free(cv);
}

static void close_stale(HnHub *hub, gint64 now);

static HnHubChatVote *cv_of(HnHub *hub)
{
    if (!hub->chatvote) {
        HnHubChatVote *cv = g_new0(HnHubChatVote, 1);
        cv->rooms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, cv_room_free);
        cv->flood = hn_chat_flood_new();
        cv->started_ms = g_get_real_time() / 1000;
        hub->chatvote = cv;
        close_stale(hub, cv->started_ms);
    }
    return hub->chatvote;
}

static CvRoom *room_of(HnHub *hub, const char *name)
{
    HnHubChatVote *cv = cv_of(hub);
    CvRoom *r = g_hash_table_lookup(cv->rooms, name);
    if (!r) {
        r = g_new0(CvRoom, 1);
        r->votes = hn_vote_box_new();
        g_hash_table_insert(cv->rooms, g_strdup(name), r);
    }
    return r;
}

static gint64 now_ms(void)
{
    return g_get_real_time() / 1000;
}

/* The voter key: the token's sub when there is one, else the participant id. transfer full. */
static char *key_of(const HnHubConn *c)
{
    return c->sub ? g_strdup(c->sub) : g_strdup_printf("p%" G_GUINT64_FORMAT, c->id);
}

static void actor_of(const HnHubConn *c, const char *key, HnVoteActor *a)
{
    a->key = key;
    a->name = c->name;
    a->may_chair = hn_hub_conn_may_chair(c);
    a->observer = c->role == HN_ROLE_OBSERVER;
}

static void ack(HnHub *hub, uint64_t conn_id, const char *ref, const char *id_json)
{
    if (hn_hub_conn(hub, conn_id))
        hn_hub_send(hub, conn_id, hn_proto_attach_id(hn_proto_build_ack(ref), id_json));
}

/* An error to conn_id (when still there) after a store round trip: m is gone by then. */
static void late_error(HnHub *hub, uint64_t conn_id, HnProtoErrorCode code, const char *msg,
                       const char *ref, const char *id_json)
{
    if (hn_hub_conn(hub, conn_id))
        hn_hub_send(hub, conn_id,
                    hn_proto_attach_id(hn_proto_build_error(code, msg, ref), id_json));
}

static const HnProtoErrorCode vote_codes[] = {
    [HN_VOTE_OK] = HN_PROTO_ERR_INTERNAL,
    [HN_VOTE_FORBIDDEN] = HN_PROTO_ERR_FORBIDDEN,
    [HN_VOTE_BAD_STATE] = HN_PROTO_ERR_BAD_STATE,
    [HN_VOTE_BAD_FIELD] = HN_PROTO_ERR_BAD_FIELD,
};

/* --- store jobs ----------------------------------------------------------------------------- */

typedef enum { JOB_CHAT, JOB_HISTORY, JOB_OPEN, JOB_CAST, JOB_CLOSE, JOB_STALE } JobKind;

typedef struct {
    JobKind kind;
    HnHub *hub;
    uint64_t conn_id;
    char *id_json; /* the request's id */
    char *room;
    gint64 time_ms;
    char *name, *key, *role, *sub; /* sub: the token's, NULL: none */
    gboolean to_chair, may_chair, secret;
    char *text;         /* chat */
    GArray *lines;      /* history: HnDbChatLine */
    gint64 id_since_ms; /* history: private lines by participant id only from this time */
    gint64 vote;        /* open (result), cast, close */
    int option;         /* cast */
    char **options;     /* open */
    gint64 row;         /* the written row (chat, open) */
    gboolean ok;
    GError *error;
} Job;

static Job *job_new(JobKind kind, HnHub *hub, const HnHubConn *c, const HnProtoMsg *m)
{
    Job *j = g_new0(Job, 1);
    j->kind = kind;
    j->hub = hub;
    j->conn_id = c->id;
    j->id_json = m ? g_strdup(m->id_json) : NULL;
    j->room = g_strdup(c->room->name);
    j->time_ms = now_ms();
    j->name = g_strdup(c->name);
    j->key = key_of(c);
    j->sub = g_strdup(c->sub);
    j->role = g_strdup(hn_role_name(c->role));
    j->may_chair = hn_hub_conn_may_chair(c);
    return j;
}

static void job_free(gpointer p)
{
    Job *j = p;
    g_free(j->id_json);
    g_free(j->room);
    g_free(j->name);
    g_free(j->key);
    g_free(j->sub);
    g_free(j->role);
    g_free(j->text);
    if (j->lines)
        g_array_free(j->lines, TRUE);
    g_strfreev(j->options);
    g_clear_error(&j->error);
    g_free(j);
}

static void job_run(HnDb *db, gpointer p)
{
    Job *j = p;
    g_autofree char *pid = g_strdup_printf("p%" G_GUINT64_FORMAT, j->conn_id);
    switch (j->kind) {
    case JOB_CHAT:
        j->row = hn_db_chat_add(db, j->room, j->time_ms, j->name, pid, j->sub,
                                j->to_chair ? "chair" : NULL, j->text, &j->error);
        j->ok = j->row > 0;
        break;
    case JOB_HISTORY: {
        j->lines = hn_db_chat_recent(db, j->room, j->time_ms - HISTORY_SPAN_MS, j->sub, pid,
                                     j->id_since_ms, j->may_chair, HN_CHAT_HISTORY, &j->error);
        j->ok = j->lines != NULL;
        break;
    }
    case JOB_OPEN:
        j->row =
            hn_db_vote_open(db, j->room, j->text, (const char *const *)j->options,
                            g_strv_length(j->options), j->secret, j->time_ms, j->name, &j->error);
        j->ok = j->row > 0;
        break;
    case JOB_CAST:
        j->ok = hn_db_ballot_add(db, j->vote, j->key, j->name, (guint)j->option, j->secret,
                                 j->time_ms, &j->error);
        break;
    case JOB_CLOSE:
        j->ok = hn_db_vote_close(db, j->vote, j->time_ms, &j->error);
        break;
    case JOB_STALE:
        j->row = hn_db_vote_close_stale(db, j->time_ms, &j->error);
        j->ok = j->row >= 0;
        break;
    }
}

static void job_reply_dispatch(Job *j);

static gboolean job_reply(gpointer p)
{
    job_reply_dispatch(p);
    return G_SOURCE_REMOVE;
}

static void post(HnHub *hub, Job *j)
{
    hn_store_query(hub->store, job_run, job_reply, hn_worker_pool_home(hub->pool), j, job_free);
}

/* Votes still open in the store belong to an earlier run: closed before this run's first vote
 * (the store runs its jobs in order). */
static void close_stale(HnHub *hub, gint64 now)
{
    if (!hub->store)
        return;
    Job *j = g_new0(Job, 1);
    j->kind = JOB_STALE;
    j->hub = hub;
    j->time_ms = now;
    post(hub, j);
}

/* --- chat ----------------------------------------------------------------------------------- */

static void on_chat(HnHub *hub, const HnHubConn *c, const HnProtoMsg *m)
{
    g_autofree char *key = key_of(c);
    if (!hn_chat_flood_take(cv_of(hub)->flood, key, g_get_monotonic_time())) {
        hn_hub_reply_error(hub, c->id, HN_PROTO_ERR_LIMIT, "too many chat lines: wait a moment",
                           "chat", m);
        return;
    }
    Job *j = job_new(JOB_CHAT, hub, c, m);
    j->text = g_strdup(m->u.chat.text);
    j->to_chair = m->u.chat.to_chair;
    post(hub, j);
}

/* Sends text to the participants of room for whom visible(conn) holds. */
static void send_line(HnHub *hub, const Job *j, const char *text)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, hub->conns);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        HnHubConn *c = v;
        if (!c->room || strcmp(c->room->name, j->room) != 0)
            continue;
        g_autofree char *key = key_of(c);
        gboolean mine = c->id == j->conn_id || strcmp(key, j->key) == 0;
        if (hn_chat_visible(j->to_chair, j->key, mine ? j->key : key, hn_hub_conn_may_chair(c)))
            hn_hub_send(hub, c->id, g_strdup(text));
    }
}

static void chat_done(HnHub *hub, Job *j)
{
    if (!j->ok) {
        g_warning("chat line of %s in %s not stored: %s", j->name, j->room, j->error->message);
        late_error(hub, j->conn_id, HN_PROTO_ERR_INTERNAL, "the line could not be stored", "chat",
                   j->id_json);
        return;
    }
    g_autofree char *pid = g_strdup_printf("p%" G_GUINT64_FORMAT, j->conn_id);
    HnProtoChatLine line = {j->row, j->time_ms, {pid, j->name, j->role}, j->to_chair, j->text};
    g_autofree char *text = hn_proto_build_chat(&line);
    if (text)
        send_line(hub, j, text);
    ack(hub, j->conn_id, "chat", j->id_json);
    hn_hub_meeting_event(hub, j->room, "chat.message", j->name, pid,
                         json_pack("{s:I, s:s, s:s?}", "seq", (json_int_t)j->row, "text", j->text,
                                   "to", j->to_chair ? "chair" : NULL));
}

static void history_done(HnHub *hub, Job *j)
{
    if (!j->ok) {
        g_warning("chat history of %s not read: %s", j->room, j->error->message);
        return;
    }
    if (!hn_hub_conn(hub, j->conn_id) || j->lines->len == 0)
        return;
    HnProtoChatLine *lines = g_new0(HnProtoChatLine, j->lines->len);
    for (guint i = 0; i < j->lines->len; i++) {
        const HnDbChatLine *l = &g_array_index(j->lines, HnDbChatLine, i);
        lines[i] = (HnProtoChatLine){
            l->id, l->time_ms, {l->sender_id, l->sender, NULL}, l->recipient != NULL, l->text};
    }
    hn_hub_send(hub, j->conn_id, hn_proto_build_chat_history(lines, j->lines->len));
    g_free(lines);
}

/* --- votes ---------------------------------------------------------------------------------- */

/* The vote as a participant sees it: the tally when closed (a chair: live, unless secret), who
 * chose what when an open vote is closed. transfer full. */
static char *vote_text(const HnVote *v, gboolean chair, gboolean voted)
{
    gboolean closed = v->state == HN_VOTE_CLOSED;
    HnProtoVoter *voters = NULL;
    guint n = hn_vote_ballots(v);
    if (closed && !v->secret) {
        voters = g_new0(HnProtoVoter, n + 1);
        for (guint i = 0; i < n; i++) {
            const HnBallot *b = &g_array_index(v->ballots, HnBallot, i);
            voters[i] = (HnProtoVoter){b->name, b->option};
        }
    }
    HnProtoVote pv = {
        .id = v->id,
        .question = v->question,
        .options = (const char *const *)v->options,
        .n_options = v->n_options,
        .secret = v->secret,
        .closed = closed,
        .ballots = n,
        .tally = closed || (chair && !v->secret) ? v->tally : NULL,
        .voters = voters,
        .n_voters = voters ? n : 0,
        .voted = voted,
    };
    char *text = hn_proto_build_vote(&pv);
    g_free(voters);
    return text;
}

/* Sends v to one participant. */
static void send_vote(HnHub *hub, const HnVote *v, const HnHubConn *c)
{
    g_autofree char *key = key_of(c);
    hn_hub_send(hub, c->id, vote_text(v, hn_hub_conn_may_chair(c), hn_vote_has_voted(v, key)));
}

/* Sends v to everyone in room: at most four texts are built (chair or not, voted or not). */
static void broadcast_vote(HnHub *hub, const char *room, const HnVote *v)
{
    char *texts[4] = {NULL};
    GHashTableIter it;
    gpointer p;
    g_hash_table_iter_init(&it, hub->conns);
    while (g_hash_table_iter_next(&it, NULL, &p)) {
        HnHubConn *c = p;
        if (!c->room || strcmp(c->room->name, room) != 0)
            continue;
        g_autofree char *key = key_of(c);
        gboolean chair = hn_hub_conn_may_chair(c), voted = hn_vote_has_voted(v, key);
        int k = (chair ? 2 : 0) + (voted ? 1 : 0);
        if (!texts[k])
            texts[k] = vote_text(v, chair, voted);
        if (texts[k])
            hn_hub_send(hub, c->id, g_strdup(texts[k]));
    }
    for (int k = 0; k < 4; k++)
        free(texts[k]);
}

/* A vote in the meeting's event log (docs/minutes.md): the tally once closed, never who chose
 * what. transfer full. */
static json_t *vote_event_data(const HnVote *v)
{
    json_t *opts = json_array();
    for (guint i = 0; i < v->n_options; i++)
        json_array_append_new(opts, json_string(v->options[i]));
    json_t *d =
        json_pack("{s:I, s:s, s:b, s:I, s:o}", "id", (json_int_t)v->id, "question", v->question,
                  "secret", v->secret, "opened", (json_int_t)v->opened_ms, "options", opts);
    if (v->state == HN_VOTE_CLOSED) {
        json_t *counts = json_array();
        for (guint i = 0; i < v->n_options; i++)
            json_array_append_new(counts, json_integer(v->tally[i]));
        json_object_set_new(d, "counts", counts);
        json_object_set_new(d, "ballots", json_integer(hn_vote_ballots(v)));
    }
    return d;
}

static void refuse_vote(HnHub *hub, const HnHubConn *c, const HnProtoMsg *m, HnVoteResult r)
{
    static const char *const why[] = {
        [HN_VOTE_OK] = "",
        [HN_VOTE_FORBIDDEN] = "your role does not allow it",
        [HN_VOTE_BAD_STATE] = "not now: the vote is not open, or you have voted",
        [HN_VOTE_BAD_FIELD] = "no such vote or option",
    };
    hn_hub_reply_error(hub, c->id, vote_codes[r], why[r], hn_proto_msg_type_name(m->type), m);
}

static void on_vote_open(HnHub *hub, const HnHubConn *c, const HnProtoMsg *m)
{
    g_autofree char *key = key_of(c);
    HnVoteActor a;
    actor_of(c, key, &a);
    HnVote *v = NULL;
    const char *const *opts = m->u.vote_open.n_options ? m->u.vote_open.options : NULL;
    HnVoteResult r =
        hn_vote_box_open(room_of(hub, c->room->name)->votes, &a, m->u.vote_open.question, opts,
                         (guint)m->u.vote_open.n_options, m->u.vote_open.secret, now_ms(), &v);
    if (r != HN_VOTE_OK) {
        if (r == HN_VOTE_BAD_STATE)
            hn_hub_reply_error(hub, c->id, HN_PROTO_ERR_BAD_STATE,
                               "a vote is already open: close it first", "vote-open", m);
        else
            refuse_vote(hub, c, m, r);
        return;
    }
    Job *j = job_new(JOB_OPEN, hub, c, m);
    j->text = g_strdup(v->question);
    j->options = g_strdupv(v->options);
    j->secret = v->secret;
    j->time_ms = v->opened_ms;
    post(hub, j);
}

static void open_done(HnHub *hub, Job *j)
{
    HnVoteBox *box = room_of(hub, j->room)->votes;
    if (!j->ok) {
        g_warning("vote in %s not stored: %s", j->room, j->error->message);
        hn_vote_box_open_failed(box);
        late_error(hub, j->conn_id, HN_PROTO_ERR_INTERNAL, "the vote could not be stored",
                   "vote-open", j->id_json);
        return;
    }
    hn_vote_box_opened(box, j->row);
    HnVote *v = hn_vote_box_get(box, j->row);
    g_autofree char *detail =
        g_strdup_printf("vote=%" G_GINT64_FORMAT " secret=%d options=%u question=%s", j->row,
                        j->secret ? 1 : 0, v->n_options, v->question);
    hn_store_audit(hub->store, j->name, "vote-open", j->room, detail);
    ack(hub, j->conn_id, "vote-open", j->id_json);
    broadcast_vote(hub, j->room, v);
    hn_hub_meeting_event(hub, j->room, "vote.opened", j->name, NULL, vote_event_data(v));
}

static void on_vote_cast(HnHub *hub, const HnHubConn *c, const HnProtoMsg *m)
{
    HnVote *v = hn_vote_box_get(room_of(hub, c->room->name)->votes, m->u.vote.vote);
    g_autofree char *key = key_of(c);
    HnVoteActor a;
    actor_of(c, key, &a);
    HnVoteResult r = v ? hn_vote_cast(v, &a, m->u.vote.option, now_ms()) : HN_VOTE_BAD_FIELD;
    if (r == HN_VOTE_FORBIDDEN && a.observer) {
        hn_hub_reply_error(hub, c->id, HN_PROTO_ERR_FORBIDDEN, "observers do not vote", "vote-cast",
                           m);
        return;
    }
    if (r != HN_VOTE_OK) {
        refuse_vote(hub, c, m, r);
        return;
    }
    Job *j = job_new(JOB_CAST, hub, c, m);
    j->vote = v->id;
    j->option = m->u.vote.option;
    j->secret = v->secret;
    post(hub, j);
}

static void cast_done(HnHub *hub, Job *j)
{
    HnVote *v = hn_vote_box_get(room_of(hub, j->room)->votes, j->vote);
    if (!j->ok) {
        g_warning("ballot of %s in vote %" G_GINT64_FORMAT " not stored: %s", j->name, j->vote,
                  j->error->message);
        if (v)
            hn_vote_uncast(v, j->key, j->option);
        late_error(hub, j->conn_id, HN_PROTO_ERR_INTERNAL, "the ballot could not be stored",
                   "vote-cast", j->id_json);
        return;
    }
    g_autofree char *detail =
        j->secret ? g_strdup_printf("vote=%" G_GINT64_FORMAT " voter=%s", j->vote, j->key)
                  : g_strdup_printf("vote=%" G_GINT64_FORMAT " voter=%s option=%d", j->vote, j->key,
                                    j->option);
    hn_store_audit(hub->store, j->name, "vote-cast", j->room, detail);
    ack(hub, j->conn_id, "vote-cast", j->id_json);
    if (v && v->state == HN_VOTE_OPEN)
        broadcast_vote(hub, j->room, v); /* once closed, the close sends the result */
}

static void on_vote_close(HnHub *hub, const HnHubConn *c, const HnProtoMsg *m)
{
    g_autofree char *key = key_of(c);
    HnVoteActor a;
    actor_of(c, key, &a);
    HnVote *v = NULL;
    HnVoteResult r =
        hn_vote_box_close(room_of(hub, c->room->name)->votes, &a, m->u.vote.vote, now_ms(), &v);
    if (r != HN_VOTE_OK) {
        refuse_vote(hub, c, m, r);
        return;
    }
    Job *j = job_new(JOB_CLOSE, hub, c, m);
    j->vote = v->id;
    j->time_ms = v->closed_ms;
    post(hub, j);
}

static void close_done(HnHub *hub, Job *j)
{
    HnVote *v = hn_vote_box_get(room_of(hub, j->room)->votes, j->vote);
    if (!j->ok) /* the model closed it: the result stands; the row keeps closed NULL */
        g_warning("close of vote %" G_GINT64_FORMAT " not stored: %s", j->vote, j->error->message);
    if (!v)
        return;
    GString *tally = g_string_new("[");
    for (guint i = 0; i < v->n_options; i++)
        g_string_append_printf(tally, "%s%u", i ? "," : "", v->tally[i]);
    g_string_append_c(tally, ']');
    g_autofree char *detail = g_strdup_printf("vote=%" G_GINT64_FORMAT " ballots=%u tally=%s",
                                              j->vote, hn_vote_ballots(v), tally->str);
    g_string_free(tally, TRUE);
    hn_store_audit(hub->store, j->name, "vote-close", j->room, detail);
    if (j->ok)
        ack(hub, j->conn_id, "vote-close", j->id_json);
    else
        late_error(hub, j->conn_id, HN_PROTO_ERR_INTERNAL, "the close could not be stored",
                   "vote-close", j->id_json);
    broadcast_vote(hub, j->room, v);
    hn_hub_meeting_event(hub, j->room, "vote.closed", j->name, NULL, vote_event_data(v));
}

static void job_reply_dispatch(Job *j)
{
    HnHub *hub = j->hub;
    switch (j->kind) {
    case JOB_CHAT:
        chat_done(hub, j);
        break;
    case JOB_HISTORY:
        history_done(hub, j);
        break;
    case JOB_OPEN:
        open_done(hub, j);
        break;
    case JOB_CAST:
        cast_done(hub, j);
        break;
    case JOB_CLOSE:
        close_done(hub, j);
        break;
    case JOB_STALE:
        if (!j->ok) {
            g_warning("votes left open by an earlier run not closed: %s", j->error->message);
        } else if (j->row > 0) {
            g_message("closed %" G_GINT64_FORMAT " vote(s) left open by an earlier run", j->row);
            g_autofree char *d =
                g_strdup_printf("votes=%" G_GINT64_FORMAT " reason=restart", j->row);
            hn_store_audit(hub->store, "-", "vote-close-stale", NULL, d);
        }
        break;
    }
}

/* --- entry points --------------------------------------------------------------------------- */

typedef struct {
    HnHub *hub; /* read on the main loop only */
    HnMailbox *home;
    uint64_t conn_id;
} Hop;

/* After the join: the participant still there gets the open vote and its history. */
static gboolean joined_run(gpointer p)
{
    Hop *h = p;
    HnHub *hub = h->hub;
    const HnHubConn *c = hn_hub_conn(hub, h->conn_id);
    if (!c)
        return G_SOURCE_REMOVE;
    HnVoteBox *box = room_of(hub, c->room->name)->votes;
    HnVote *v = hn_vote_box_current(box);
    if (v && v->state == HN_VOTE_OPEN)
        send_vote(hub, v, c);
    if (!hub->store)
        return G_SOURCE_REMOVE;
    Job *j = job_new(JOB_HISTORY, hub, c, NULL);
    j->id_since_ms = cv_of(hub)->started_ms;
    post(hub, j);
    return G_SOURCE_REMOVE;
}

/* On the room's worker, behind the join: posts joined_run to the main loop, behind "joined". */
static gboolean joined_hop(gpointer p)
{
    const Hop *h = p;
    hn_mailbox_post(hn_worker_pool_home(h->hub->pool), joined_run, g_memdup2(h, sizeof *h), g_free);
    return G_SOURCE_REMOVE;
}

void hn_hub_chatvote_joined(HnHub *hub, const HnHubConn *c)
{
    /* "joined" is sent by the room's worker: the vote and the history go through the same worker
     * so that they arrive after it */
    Hop *h = g_new0(Hop, 1);
    h->hub = hub;
    h->home = hn_worker_pool_home(hub->pool);
    h->conn_id = c->id;
    hn_worker_invoke(c->room->worker, joined_hop, h, g_free);
}

gboolean hn_hub_chatvote_message(HnHub *hub, const HnHubConn *c, const HnProtoMsg *m)
{
    switch (m->type) {
    case HN_PROTO_MSG_CHAT:
    case HN_PROTO_MSG_VOTE_OPEN:
    case HN_PROTO_MSG_VOTE_CAST:
    case HN_PROTO_MSG_VOTE_CLOSE:
        break;
    default:
        return FALSE;
    }
    if (!hub->store) {
        hn_hub_reply_error(hub, c->id, HN_PROTO_ERR_INTERNAL, "no store",
                           hn_proto_msg_type_name(m->type), m);
        return TRUE;
    }
    if (m->type == HN_PROTO_MSG_CHAT)
        on_chat(hub, c, m);
    else if (m->type == HN_PROTO_MSG_VOTE_OPEN)
        on_vote_open(hub, c, m);
    else if (m->type == HN_PROTO_MSG_VOTE_CAST)
        on_vote_cast(hub, c, m);
    else
        on_vote_close(hub, c, m);
    return TRUE;
}

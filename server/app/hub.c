#include "app/hub.h"

#include <errno.h>

#include <string.h>
#include <sys/random.h>

#include "app/api_login.h"
#include "app/api_v1.h"
#include "app/hook_delivery.h"
#include "app/hub_admin.h"
#include "app/hub_archive.h"
#include "app/hub_hooks.h"
#include "app/hub_lobby.h"
#include "app/hub_chatvote.h"
#include "app/hub_minutes.h"
#include "app/hub_moderation.h"
#include "app/hub_picture.h"
#include "app/hub_whep.h"
#include "app/hub_recording.h"
#include "app/hub_whip.h"
#include "app/machine_load.h"
#include "app/hub_priv.h"
#include "app/join_gate.h"
#include "app/metrics.h"
#include "app/room.h"
#include "signaling/room_json.h"
#include "signaling/server.h"

/* --- worker -> main ----------------------------------------------------------------------- */

typedef struct {
    HnHub *hub;
    uint64_t conn_id;
    char *text;        /* message to send, or NULL */
    char *reason;      /* close reason when kicking */
    gboolean decorate; /* joined / participant-joined: add everyone's state (hub_moderation) */
} HnOutbound;

static void outbound_free(gpointer data)
{
    HnOutbound *o = data;
    g_free(o->text);
    g_free(o->reason);
    g_free(o);
}

/* "joined" names the room's configured (or API) title, for the top bar and the page title. */
static char *joined_title(HnHub *hub, uint64_t conn_id, char *text)
{
    HnHubConn *c = hn_hub_conn(hub, conn_id);
    HnRoomPolicy pol;
    if (!c || !c->room || !hn_hub_room_policy(hub, c->room->name, &pol) || !pol.title)
        return text;
    return hn_proto_add_title(text, pol.title);
}

static gboolean outbound_run(gpointer data)
{
    HnOutbound *o = data;
    if (o->text) {
        if (o->decorate) {
            o->text = hn_hub_moderation_decorate(o->hub, o->conn_id, o->text);
            o->text = joined_title(o->hub, o->conn_id, o->text);
            o->text = hn_hub_recording_decorate(o->hub, o->conn_id, o->text);
        }
        hn_signaling_send(o->hub->sig, o->conn_id, o->text);
        o->text = NULL;
    } else {
        hn_hub_close_conn(o->hub, o->conn_id, 1000, o->reason);
    }
    return G_SOURCE_REMOVE;
}

static void post_outbound_ex(HnHub *hub, uint64_t conn_id, char *text, const char *reason,
                             gboolean decorate)
{
    HnOutbound *o = g_new0(HnOutbound, 1);
    o->decorate = decorate;
    o->hub = hub;
    o->conn_id = conn_id;
    o->text = text;
    o->reason = g_strdup(reason);
    hn_mailbox_post(hn_worker_pool_home(hub->pool), outbound_run, o, outbound_free);
}

static void post_outbound(HnHub *hub, uint64_t conn_id, char *text, const char *reason)
{
    post_outbound_ex(hub, conn_id, text, reason, FALSE);
}

/* The room's typed output becomes wire JSON here, on the worker thread (signaling/room_json). */
static void room_deliver(void *user, uint64_t conn_id, const HnRoomOut *out)
{
    if (hn_hub_whip_owns(conn_id)) { /* signalled over HTTP (app/hub_whip.c) */
        hn_hub_whip_deliver(user, conn_id, out);
        return;
    }
    char *text = hn_room_json(out);
    gboolean roster =
        out->type == HN_ROOM_OUT_JOINED ||
        (out->type == HN_ROOM_OUT_EVENT && out->event->type == HN_RE_PARTICIPANT_JOINED);
    if (text)
        post_outbound_ex(user, conn_id, text, NULL, roster);
}

static void room_kick(void *user, uint64_t conn_id, const char *reason)
{
    if (hn_hub_whip_owns(conn_id)) {
        hn_hub_whip_kick(user, conn_id, reason);
        return;
    }
    post_outbound(user, conn_id, NULL, reason);
}

/* --- main -> worker ----------------------------------------------------------------------- */

typedef enum {
    CMD_JOIN,
    CMD_PUBLISH,
    CMD_ANSWER,
    CMD_CANDIDATE,
    CMD_VIEW,
    CMD_LEAVE,
    CMD_RESTART_ICE,
    CMD_ATTACH, /* a gateway's leg (hn_hub_site_enter) */
    CMD_FREE
} HnCmdType;

typedef struct {
    HnCmdType type;
    HnRoom *room;
    uint64_t pid;
    char *text;        /* name, sdp, candidate or leave reason */
    gboolean sub;      /* candidate for the sub transport */
    char *req_id;      /* the request's id as JSON text, or NULL */
    HnRoomTile *tiles; /* view */
    size_t n_tiles;
    HnRole role;             /* CMD_JOIN: decided by the join gate */
    char *screen_mid;        /* CMD_PUBLISH: the shared screen's section, or NULL */
    HnLeg *leg;              /* CMD_ATTACH: transfer full */
    HnRoomTrackDesc *tracks; /* CMD_ATTACH */
    size_t n_tracks;
} HnCmd;

static void cmd_free(gpointer data)
{
    HnCmd *c = data;
    g_free(c->text);
    g_free(c->req_id);
    g_free(c->tiles);
    g_free(c->screen_mid);
    g_free(c->tracks);
    hn_leg_destroy(c->leg); /* not attached: the worker is gone */
    g_free(c);
}

static gboolean cmd_run(gpointer data)
{
    HnCmd *c = data;
    switch (c->type) {
    case CMD_JOIN:
        hn_room_join(c->room, c->pid, c->text, c->role, c->req_id);
        break;
    case CMD_PUBLISH:
        hn_room_publish(c->room, c->pid, c->text, c->screen_mid, c->req_id);
        break;
    case CMD_ANSWER:
        hn_room_sub_answer(c->room, c->pid, c->text, c->req_id);
        break;
    case CMD_CANDIDATE:
        hn_room_candidate(c->room, c->pid, c->sub, c->text, c->req_id);
        break;
    case CMD_VIEW:
        hn_room_view(c->room, c->pid, c->tiles, c->n_tiles);
        break;
    case CMD_LEAVE:
        hn_room_leave(c->room, c->pid, c->text);
        break;
    case CMD_RESTART_ICE:
        hn_room_restart_ice(c->room, c->pid, c->req_id);
        break;
    case CMD_ATTACH: {
        HnLeg *leg = g_steal_pointer(&c->leg);
        int rc = hn_room_attach(c->room, c->pid, c->text, HN_ROLE_SITE, HN_PART_ROOM_SYSTEM, leg,
                                c->tracks, c->n_tracks);
        if (rc < 0)
            g_message("p%" G_GUINT64_FORMAT ": attach: %s", c->pid, g_strerror(-rc));
        break;
    }
    case CMD_FREE:
        hn_room_free(c->room);
        break;
    }
    return G_SOURCE_REMOVE;
}

static void send_cmd_as(HnRoomEntry *e, HnCmdType type, uint64_t pid, const char *text,
                        gboolean sub, const char *req_id, HnRole role)
{
    HnCmd *c = g_new0(HnCmd, 1);
    c->role = role;
    c->type = type;
    c->room = e->room;
    c->pid = pid;
    c->text = g_strdup(text);
    c->sub = sub;
    c->req_id = g_strdup(req_id);
    hn_worker_invoke(e->worker, cmd_run, c, cmd_free);
}

static void send_cmd(HnRoomEntry *e, HnCmdType type, uint64_t pid, const char *text, gboolean sub,
                     const char *req_id)
{
    send_cmd_as(e, type, pid, text, sub, req_id, HN_ROLE_MEMBER);
}

static void send_publish(HnRoomEntry *e, uint64_t pid, const HnProtoMsg *m)
{
    HnCmd *c = g_new0(HnCmd, 1);
    c->type = CMD_PUBLISH;
    c->room = e->room;
    c->pid = pid;
    c->text = g_strdup(m->u.sdp.sdp);
    c->screen_mid = g_strdup(m->u.sdp.screen_mid);
    c->req_id = g_strdup(m->id_json);
    hn_worker_invoke(e->worker, cmd_run, c, cmd_free);
}

static void send_view(HnRoomEntry *e, uint64_t pid, const HnProtoMsg *m)
{
    HnCmd *c = g_new0(HnCmd, 1);
    c->type = CMD_VIEW;
    c->room = e->room;
    c->pid = pid;
    c->n_tiles = m->u.view.n_tiles;
    c->tiles = g_new0(HnRoomTile, c->n_tiles + 1);
    for (size_t i = 0; i < c->n_tiles; i++) {
        const HnProtoTile *t = &m->u.view.tiles[i];
        g_strlcpy(c->tiles[i].participant, t->participant, sizeof c->tiles[i].participant);
        c->tiles[i].width = t->width;
        c->tiles[i].height = t->height;
    }
    hn_worker_invoke(e->worker, cmd_run, c, cmd_free);
}

void hn_hub_publish(HnHub *hub, uint64_t pid, const char *sdp, const char *req_id)
{
    HnHubConn *c = hn_hub_conn(hub, pid);
    if (c)
        send_cmd(c->room, CMD_PUBLISH, pid, sdp, FALSE, req_id);
}

void hn_hub_candidate(HnHub *hub, uint64_t pid, const char *candidate)
{
    HnHubConn *c = hn_hub_conn(hub, pid);
    if (c)
        send_cmd(c->room, CMD_CANDIDATE, pid, candidate, FALSE, NULL);
}

/* --- rooms -------------------------------------------------------------------------------- */

static HnRoomEntry *room_open(HnHub *hub, const char *name)
{
    HnRoomEntry *e = g_hash_table_lookup(hub->rooms, name);
    if (e)
        return e;
    HnRoomPolicy pol;
    if (!hn_hub_room_policy(hub, name, &pol) && !hub->cfg->auto_create)
        return NULL;
    e = g_new0(HnRoomEntry, 1);
    e->name = g_strdup(name);
    e->worker = hn_worker_pool_pick(hub->pool);
    e->max_participants = pol.max_participants;
    hn_worker_add_room(e->worker);
    HnRoomEnv env = {
        .deliver = room_deliver,
        .kick = room_kick,
        .user = hub,
        .cert = hub->cert,
        .ice = &hub->ice,
        .mux = hn_worker_mux(e->worker),
        .consent_timeout_s = (int)hub->cfg->consent_timeout,
        .ice_restart_grace_s = (int)hub->cfg->ice_restart_grace,
        .last_n = pol.last_n,
        .spread_subscribers = hub->cfg->spread_subscribers,
        .pool = hub->pool,
    };
    e->room = hn_room_new(e->worker, name, &env);
    g_hash_table_insert(hub->rooms, e->name, e);
    g_message("room %s opened on worker %u", name, hn_worker_index(e->worker));
    return e;
}

static void room_close(HnHub *hub, HnRoomEntry *e)
{
    g_message("room %s closed", e->name);
    hn_hub_recording_room_closed(hub, e);
    hn_metrics_free_room(hub->metrics, e->worker, e->room); /* keeps its counters */
    hn_worker_remove_room(e->worker);
    hn_floor_free(e->floor);
    g_hash_table_remove(hub->rooms, e->name);
    g_free(e->name);
    g_free(e);
}

gboolean hn_hub_room_policy(HnHub *hub, const char *name, HnRoomPolicy *out)
{
    return hn_room_policy_lookup(hub->cfg, hub->policies, name, out);
}

/* --- signalling handler ------------------------------------------------------------------- */

static void reply_error(HnHub *hub, uint64_t conn_id, HnProtoErrorCode code, const char *msg,
                        const char *ref, const HnProtoMsg *m)
{
    hn_hub_reply_error(hub, conn_id, code, msg, ref, m);
}

void hn_hub_reply_error(HnHub *hub, uint64_t conn_id, HnProtoErrorCode code, const char *msg,
                        const char *ref, const HnProtoMsg *m)
{
    hn_signaling_send(hub->sig, conn_id,
                      hn_proto_attach_id(hn_proto_build_error(code, msg, ref), m->id_json));
}

void hn_hub_send(HnHub *hub, uint64_t conn_id, char *text)
{
    if (text)
        hn_signaling_send(hub->sig, conn_id, text);
}

void hn_hub_broadcast(HnHub *hub, const HnRoomEntry *e, const char *text, uint64_t except_id)
{
    if (!text)
        return;
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, hub->conns);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        HnHubConn *c = v;
        if (c->room == e && c->id != except_id)
            hn_signaling_send(hub->sig, c->id, g_strdup(text));
    }
}

HnHubConn *hn_hub_conn(HnHub *hub, uint64_t conn_id)
{
    return g_hash_table_lookup(hub->conns, &conn_id);
}

gboolean hn_hub_conn_may_chair(const HnHubConn *c)
{
    return c && (c->role == HN_ROLE_CHAIR ||
                 (c->room && c->room->floor && hn_floor_may_chair(c->room->floor, c->id)));
}

/* Runs the join gate; FALSE when the join was refused (answered, audited, logged without the
 * secret). On TRUE, v holds the role and the name the token gives (if any). */
static gboolean gate_join(HnHub *hub, uint64_t conn_id, const HnProtoMsg *m, HnJoinVerdict *v)
{
    const char *room = m->u.join.room, *addr = hn_signaling_peer(hub->sig, conn_id);
    hn_join_gate_check(hub->gate, room, addr, m->u.join.token, m->u.join.pin,
                       hn_signaling_session(hub->sig, conn_id), g_get_monotonic_time(),
                       g_get_real_time() / G_USEC_PER_SEC, v);
    if (v->ok && v->name && !hn_proto_display_name_valid(v->name)) {
        hn_join_verdict_clear(v);
        v->code = HN_PROTO_ERR_BAD_TOKEN;
        v->message = "the token's name is not a valid display name";
        v->how = "token";
    }
    if (v->ok)
        return TRUE;
    const char *code = hn_proto_error_code_name(v->code);
    hub->joins_refused++;
    g_message("join refused: room %s from %s: %s (%s)", room, addr, code, v->message);
    g_autofree char *detail =
        g_strdup_printf("code=%s how=%s addr=%s", code, v->how ? v->how : "-", addr);
    hn_store_audit(hub->store, m->u.join.name, "join-refused", room, detail);
    if (v->locked_now) {
        g_message("address %s locked for %u s after %u failed attempts", addr,
                  hub->cfg->lockout_seconds, hub->cfg->lockout_failures);
        g_autofree char *d = g_strdup_printf("addr=%s seconds=%u", addr, hub->cfg->lockout_seconds);
        hn_store_audit(hub->store, addr, "address-locked", room, d);
    }
    reply_error(hub, conn_id, v->code, v->message, "join", m);
    return FALSE;
}

static void join_error(HnHub *hub, uint64_t conn_id, HnProtoErrorCode code, const char *msg,
                       const HnHubJoin *j)
{
    hn_signaling_send(hub->sig, conn_id,
                      hn_proto_attach_id(hn_proto_build_error(code, msg, "join"), j->id_json));
}

void hn_hub_join_clear(HnHubJoin *j)
{
    g_free(j->room);
    g_free(j->name);
    g_free(j->sub);
    g_free(j->how);
    g_free(j->addr);
    g_free(j->id_json);
    g_free(j->client);
    memset(j, 0, sizeof *j);
}

guint hn_hub_busy(HnHub *hub, const char *room)
{
    guint retry = 0;
    if (hub->cfg->busy_lag_ms) {
        HnRoomEntry *e = g_hash_table_lookup(hub->rooms, room);
        retry = hn_worker_busy(e ? e->worker : hn_worker_pool_pick(hub->pool));
    }
    guint machine = hn_machine_load_busy(hub->machine);
    int64_t now = g_get_monotonic_time();
    if ((retry || machine) && now - hub->busy_logged_us >= G_USEC_PER_SEC) { /* one a second */
        hub->busy_logged_us = now;
        g_message("join refused: room %s: server-busy (%s), retry in %u s", room,
                  retry ? "worker overloaded" : "machine's CPU pressure", MAX(retry, machine));
    }
    retry = MAX(retry, machine);
    if (retry)
        hub->joins_busy++;
    return retry;
}

gboolean hn_hub_enter(HnHub *hub, uint64_t conn_id, const HnHubJoin *j)
{
    /* admission control: before anything is made for the newcomer; those in keep their media */
    guint retry = hn_hub_busy(hub, j->room);
    if (retry) {
        hn_signaling_send(
            hub->sig, conn_id,
            hn_proto_attach_id(hn_proto_build_error_retry(
                                   HN_PROTO_ERR_SERVER_BUSY,
                                   "the server is overloaded, try again later", "join", retry),
                               j->id_json));
        return FALSE;
    }
    HnRoomEntry *e = room_open(hub, j->room);
    if (!e) {
        join_error(hub, conn_id, HN_PROTO_ERR_ROOM_NOT_FOUND, "no such room", j);
        return FALSE;
    }
    if (e->members >= e->max_participants) {
        join_error(hub, conn_id, HN_PROTO_ERR_ROOM_FULL, "the room is full", j);
        if (e->members == 0)
            room_close(hub, e);
        return FALSE;
    }
    /* an open room's first participant chairs it when nobody there may and no token can
     * declare a chair (no [auth] jwt_secret): hub_moderation */
    gboolean first_chairs = g_strcmp0(j->how, "open") == 0 && !hub->cfg->jwt_secret;
    HnRole role = hn_hub_moderation_join(hub, e, conn_id, j->role, first_chairs);
    HnHubConn *c = g_new0(HnHubConn, 1);
    c->id = conn_id;
    c->room = e;
    c->role = role;
    c->name = g_strdup(j->name);
    c->sub = g_strdup(j->sub);
    e->members++;
    hub->joins++;
    g_hash_table_insert(hub->conns, &c->id, c);
    g_autofree char *detail = g_strdup_printf("how=%s role=%s addr=%s p%" G_GUINT64_FORMAT "%s%s",
                                              j->how, hn_role_name(role), j->addr, conn_id,
                                              j->sub ? " sub=" : "", j->sub ? j->sub : "");
    hn_store_audit(hub->store, j->name, "join", j->room, detail);
    hn_hub_meeting_joined(hub, j->room, conn_id, j->name, hn_role_name(role), j->sub, j->how,
                          j->addr, j->client ? j->client : "browser");
    send_cmd_as(e, CMD_JOIN, conn_id, j->name, FALSE, j->id_json, role);
    hn_hub_lobby_entered(hub, c);
    hn_hub_chatvote_joined(hub, c);
    hn_hub_recording_entered(hub, c);
    hn_hub_picture_entered(hub, c);
    return TRUE;
}

static void on_join(HnHub *hub, uint64_t conn_id, const HnProtoMsg *m)
{
    if (g_hash_table_contains(hub->conns, &conn_id) || hn_hub_lobby_waits(hub, conn_id)) {
        reply_error(hub, conn_id, HN_PROTO_ERR_ALREADY_JOINED, "already joined", "join", m);
        return;
    }
    HnJoinVerdict v;
    if (!gate_join(hub, conn_id, m, &v)) {
        hn_join_verdict_clear(&v);
        return;
    }
    if (hn_hub_moderation_refuse_locked(hub, g_hash_table_lookup(hub->rooms, m->u.join.room),
                                        conn_id, v.role, v.name ? v.name : m->u.join.name, m)) {
        hn_join_verdict_clear(&v);
        return;
    }
    HnHubJoin j = {
        .room = g_strdup(m->u.join.room),
        .name = g_strdup(v.name ? v.name : m->u.join.name),
        .role = v.role,
        .sub = g_strdup(v.sub),
        .how = g_strdup(v.how),
        .addr = g_strdup(hn_signaling_peer(hub->sig, conn_id)),
        .id_json = g_strdup(m->id_json),
    };
    gboolean bypass = v.lobby_bypass;
    hn_join_verdict_clear(&v);
    if (!hn_hub_lobby_hold(hub, conn_id, &j, bypass)) /* a lobby room holds it first */
        hn_hub_enter(hub, conn_id, &j);
    hn_hub_join_clear(&j);
}

static void on_message(void *user, uint64_t conn_id, const HnProtoMsg *m)
{
    HnHub *hub = user;
    if (m->type == HN_PROTO_MSG_JOIN) {
        on_join(hub, conn_id, m);
        return;
    }
    HnHubConn *c = g_hash_table_lookup(hub->conns, &conn_id);
    if (!c && hn_hub_lobby_waits(hub, conn_id)) {
        hn_hub_lobby_waiting_message(hub, conn_id, m);
        return;
    }
    if (!c) {
        reply_error(hub, conn_id, HN_PROTO_ERR_NOT_JOINED, "join a room first",
                    hn_proto_msg_type_name(m->type), m);
        return;
    }
    if (hn_hub_chatvote_message(hub, c, m))
        return;
    if (hn_hub_moderation_message(hub, c, m) || hn_hub_minutes_message(hub, c, m))
        return;
    if (hn_hub_recording_message(hub, c, m))
        return;
    switch (m->type) {
    case HN_PROTO_MSG_PUBLISH:
        send_publish(c->room, conn_id, m);
        break;
    case HN_PROTO_MSG_ANSWER:
        send_cmd(c->room, CMD_ANSWER, conn_id, m->u.sdp.sdp, FALSE, m->id_json);
        break;
    case HN_PROTO_MSG_CANDIDATE:
        send_cmd(c->room, CMD_CANDIDATE, conn_id, m->u.candidate.candidate,
                 m->u.candidate.pc == HN_PROTO_PC_SUB, m->id_json);
        break;
    case HN_PROTO_MSG_RESTART_ICE:
        send_cmd(c->room, CMD_RESTART_ICE, conn_id, NULL, FALSE, m->id_json);
        break;
    case HN_PROTO_MSG_VIEW:
        send_view(c->room, conn_id, m);
        break;
    case HN_PROTO_MSG_ADMIT:
    case HN_PROTO_MSG_DENY:
        hn_hub_lobby_request(hub, c, m);
        break;
    case HN_PROTO_MSG_LEAVE:
        c->left = TRUE;
        hn_signaling_close(hub->sig, conn_id, 1000, "left");
        break;
    default:
        break;
    }
}

static void hub_conn_free(HnHubConn *c)
{
    g_free(c->name);
    g_free(c->sub);
    g_free(c);
}

static void conn_gone(HnHub *hub, HnHubConn *c, const char *why)
{
    hn_hub_part(hub, c->id, why);
}

static void on_close(void *user, uint64_t conn_id, HnCloseReason reason)
{
    HnHub *hub = user;
    HnHubConn *c = g_hash_table_lookup(hub->conns, &conn_id);
    if (!c) {
        hn_hub_lobby_closed(hub, conn_id); /* it may have waited in a lobby */
        return;
    }
    /* A socket that closed without "leave" (crash, lost network, killed tab) is reported as
     * "disconnected", a silent one as "timeout". */
    hn_hub_part(hub, conn_id,
                reason == HN_CLOSE_TIMEOUT ? "timeout"
                : c->left                  ? "left"
                                           : "disconnected");
}

gboolean hn_hub_part(HnHub *hub, uint64_t conn_id, const char *why)
{
    HnHubConn *c = g_hash_table_lookup(hub->conns, &conn_id);
    if (!c)
        return FALSE;
    HnRoomEntry *e = c->room;
    send_cmd(e, CMD_LEAVE, conn_id, why, FALSE, NULL);
    hn_hub_meeting_left(hub, e->name, conn_id, c->name, why);
    g_hash_table_remove(hub->conns, &conn_id);
    HnRole role = c->role;
    hn_hub_moderation_leave(hub, c);
    hub_conn_free(c);
    gboolean last = --e->members == 0;
    hn_hub_lobby_left(hub, e->name, role, last);
    if (last)
        room_close(hub, e);
    return TRUE;
}

static void healthz(void *user, GString *body)
{
    HnHub *hub = user;
    HnSignalingStats s;
    hn_signaling_get_stats(hub->sig, &s);
    g_string_append_printf(
        body,
        "{\"status\":\"ok\",\"rooms\":%u,\"participants\":%u,\"joins\":%" G_GUINT64_FORMAT
        ",\"connections\":%" G_GUINT64_FORMAT ",\"messages\":%" G_GUINT64_FORMAT
        ",\"errors\":%" G_GUINT64_FORMAT "}\n",
        g_hash_table_size(hub->rooms), g_hash_table_size(hub->conns), hub->joins,
        (guint64)s.connections, (guint64)s.messages, (guint64)s.errors);
}

/* --- metrics (GET /metrics, app/metrics.h) ------------------------------------------------ */

static void metrics_rooms(void *user, HnMetricsRoomFn fn, void *data)
{
    HnHub *hub = user;
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, hub->rooms);
    while (g_hash_table_iter_next(&it, NULL, &v))
        fn(data, ((HnRoomEntry *)v)->worker, ((HnRoomEntry *)v)->room);
}

static void metrics_hub_stats(void *user, HnMetricsHubStats *out)
{
    HnHub *hub = user;
    if (hub->sig) /* NULL while the hub shuts down */
        hn_signaling_get_stats(hub->sig, &out->sig);
    out->joins = hub->joins;
    out->joins_refused = hub->joins_refused;
    out->joins_busy = hub->joins_busy;
    out->cpu_pressure = hn_machine_load_pressure(hub->machine);
    out->machine_busy = hn_machine_load_busy(hub->machine) ? 1 : 0;
    if (hub->store) {
        HnStoreStats st;
        hn_store_get_stats(hub->store, &st);
        out->audit_rows = st.audit_rows;
        out->audit_failed = st.audit_failed;
    }
    HnHubLobbyStats lb;
    hn_hub_lobby_get_stats(hub, &lb);
    out->lobby_waiting = lb.waiting;
    out->lobby_knocks = lb.knocks;
    out->lobby_admitted = lb.admitted;
    out->lobby_denied = lb.denied;
    out->lobby_timeouts = lb.timeouts;
    HnRecorderStats rs;
    hn_hub_recording_stats(hub, &rs);
    out->rec_started = rs.recordings_started;
    out->rec_active = rs.recordings_active;
    out->rec_packets = rs.packets;
    out->rec_bytes = rs.bytes;
    out->rec_drops_queue = rs.drops_queue;
    out->rec_drops_write = rs.drops_write;
    HnPictureStats ps;
    hn_hub_picture_stats(hub, &ps);
    out->pic_packets_in = ps.packets_in;
    out->pic_drops_queue = ps.drops_queue;
    out->pic_packets_out = ps.packets_out;
    out->pic_compositions = ps.compositions;
    out->pic_encoders = ps.encoders;
    out->pic_outputs = ps.outputs;
    HnArchive *archive = hn_hub_archive(hub);
    if (archive) {
        HnArchiveStats as;
        hn_archive_get_stats(archive, &as);
        out->archive_indexed = as.indexed;
        out->archive_bad_manifests = as.bad_manifests;
        out->archive_meetings_removed = as.meetings_removed;
        out->archive_files_removed = as.files_removed;
        out->archive_verified = as.verified;
        out->archive_verify_mismatch = as.verify_mismatch;
    }
    hn_hook_delivery_get_stats(hub->hooks, &out->hooks);
}

static void metrics_start(HnHub *hub, GMainLoop *loop)
{
    hub->routes = hn_http_routes_new();
    HnMetricsSource src = {metrics_rooms, metrics_hub_stats, hub};
    hub->metrics = hn_metrics_new(hub->pool, g_main_loop_get_context(loop), hub->routes, &src);
}

static const HnSignalingHandler handler = {
    .on_message = on_message,
    .on_close = on_close,
    .healthz = healthz,
};

/* The key of account sessions: the join-token secret when there is one (sessions then survive a
 * restart), else 32 random bytes per process. transfer full. */
static char *session_secret_new(const HnConfig *cfg)
{
    if (cfg->jwt_secret)
        return g_strdup(cfg->jwt_secret);
    guint8 raw[32];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        g_error("no randomness from the kernel for the session key");
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < sizeof raw; i++)
        g_string_append_printf(s, "%02x", raw[i]);
    return g_string_free(s, FALSE);
}

HnHub *hn_hub_new(const HnConfig *cfg, HnWorkerPool *pool, HnCert *cert, GMainLoop *loop,
                  const char *client_dir, GError **error)
{
    HnHub *hub = g_new0(HnHub, 1);
    hub->cfg = cfg;
    hub->pool = pool;
    hub->cert = cert;
    hub->ice.addresses = cfg->addresses;
    hub->ice.interfaces = cfg->interfaces;
    hub->ice.public_ip = cfg->public_ip;
    hub->ice.port_min = cfg->rtp_port_min;
    hub->ice.port_max = cfg->rtp_port_max;
    hub->ice.max_queue_delay_ms = cfg->max_queue_delay_ms;
    hub->ice.rx_peak_mbps = cfg->rx_peak_mbps;
    hub->ice.handshake_budget_pct = cfg->handshake_budget_pct;
    hn_worker_pool_set_admission(pool, cfg->busy_lag_ms, cfg->busy_hold);
    hub->machine = hn_machine_load_new(cfg->cpu_pressure_file, cfg->busy_cpu_pressure,
                                       cfg->busy_hold, g_main_loop_get_context(loop), error);
    if (cfg->busy_cpu_pressure && !hub->machine) {
        g_free(hub);
        return NULL;
    }
    if (cfg->ice_lite && !hn_worker_pool_open_muxes(pool, &hub->ice, error)) {
        g_prefix_error(error, "media sockets: ");
        hn_machine_load_free(hub->machine);
        g_free(hub);
        return NULL;
    }
    if (cfg->ice_lite && cfg->spread_subscribers && hn_worker_pool_size(pool) > 1) {
        /* one room across workers: the relays between them (app/spread_leg.h) */
        hn_worker_pool_open_relays(pool, (int64_t)cfg->max_queue_delay_ms * 1000);
        g_message("rooms with %u subscribers spread new ones over %u workers",
                  cfg->spread_subscribers, hn_worker_pool_size(pool));
    }
    hub->session_secret = session_secret_new(cfg);
    hub->gate = hn_join_gate_new(cfg, hub->session_secret);
    hub->policies = hn_room_policies_new(cfg);
    hn_join_gate_set_policies(hub->gate, hub->policies);
    hub->rooms = g_hash_table_new(g_str_hash, g_str_equal);
    hub->conns = g_hash_table_new(g_int64_hash, g_int64_equal);
    hub->lobby = hn_hub_lobby_new(hub);
    hub->meetings = hn_hub_meetings_new(hub);
    metrics_start(hub, loop);
    hn_hub_recording_init(hub, g_main_loop_get_context(loop));
    hn_hub_admin_register(hub, client_dir); /* /login, /logout, /admin: before the front starts */
    hn_hub_archive_register(hub);           /* /archive: the clerks' portal */
    hn_hub_whep_register(hub, g_main_loop_get_context(loop)); /* /whep: picture viewers */
    hn_hub_whip_register(hub, g_main_loop_get_context(loop)); /* /whip: encoders (RFC 9725) */
    HnSignalingSettings s = {
        .host = cfg->listen_host,
        .port = cfg->listen_port,
        .client_dir = client_dir,
        .tls_cert = cfg->tls_cert,
        .tls_key = cfg->tls_key,
        .keepalive_timeout_s = 7, /* 3 missed pings; with the 1 s check, gone within 10 s */
        .routes = hub->routes,
        .allowed_origins = (const char *const *)cfg->allowed_origins,
    };
    hub->sig = hn_signaling_new(loop, &s, &handler, hub, error);
    if (!hub->sig) {
        hn_hub_free(hub);
        return NULL;
    }
    return hub;
}

void hn_hub_free(HnHub *hub)
{
    if (!hub)
        return;
    hn_hub_whep_free(hub);         /* WHEP viewers first: a pending answer is still due */
    hn_hub_lobby_free(hub->lobby); /* those waiting are not told: the sockets close now */
    hub->lobby = NULL;
    hn_hub_whip_free(hub);       /* pending requests answered 503; their participants go below */
    hn_signaling_free(hub->sig); /* closes sockets: on_close runs for each */
    hub->sig = NULL;
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, hub->conns);
    while (g_hash_table_iter_next(&it, NULL, &v))
        hub_conn_free(v);
    g_hash_table_destroy(hub->conns);
    GList *rooms = g_hash_table_get_values(hub->rooms);
    for (GList *l = rooms; l; l = l->next)
        room_close(hub, l->data);
    g_list_free(rooms);
    g_hash_table_destroy(hub->rooms);
    /* The rooms' last callbacks (a leave's events, on their workers) reach the hub: wait for them
     * before it goes. */
    hn_worker_pool_sync(hub->pool);
    hn_hub_picture_free(hub);
    hn_hub_recording_free(hub);
    hn_machine_load_free(hub->machine);
    hn_metrics_free(hub->metrics);
    hn_hub_admin_unregister(hub);
    hn_hub_archive_stop(hub);
    hn_http_routes_free(hub->routes);
    hn_join_gate_free(hub->gate);
    hn_hub_chatvote_free(hub->chatvote);
    hn_room_policies_free(hub->policies);
    hn_hub_meetings_free(hub->meetings);
    hn_hub_minutes_free(hub);
    hn_hub_hooks_stop(hub);
    g_free(hub->session_secret);
    g_free(hub);
}

void hn_hub_set_store(HnHub *hub, HnStore *store)
{
    hub->store = store;
    /* under the /api mount point the signalling front already serves */
    hn_api_login_register(hub->routes, hub->cfg, store, hn_worker_pool_home(hub->pool),
                          hub->session_secret);
    hn_api_v1_register(hub);
    hn_hub_meetings_resume(hub);
    hn_hub_archive_start(hub, store);
    hn_hub_minutes_start(hub);
    hn_hub_hooks_start(hub);
}

/* --- participants carried by a gateway's leg ------------------------------------------------ */

/* Room systems' pids count from HN_HUB_SITE_PID_BASE (app/hub_whip.h), above the signalling
 * front's connection ids and WHIP's range: "p<pid>" stays a safe JavaScript integer. */

HnHubSiteCheck hn_hub_site_check(HnHub *hub, const char *room, const char *addr, const char *pin,
                                 gboolean trusted, guint *retry_after_s)
{
    *retry_after_s = 0;
    HnRoomPolicy pol;
    if (!hn_hub_room_policy(hub, room, &pol) && !hub->cfg->auto_create)
        return HN_HUB_SITE_NO_ROOM;
    HnRoomEntry *e = g_hash_table_lookup(hub->rooms, room);
    if (e && e->floor && hn_floor_locked(e->floor))
        return HN_HUB_SITE_DENIED;
    if (trusted)
        return HN_HUB_SITE_OK;
    HnJoinVerdict v;
    hn_join_gate_check(hub->gate, room, addr, NULL, pin, NULL, g_get_monotonic_time(),
                       g_get_real_time() / G_USEC_PER_SEC, &v);
    HnHubSiteCheck r = v.ok ? HN_HUB_SITE_OK
                       : v.code == HN_PROTO_ERR_LOCKED || v.code == HN_PROTO_ERR_RATE_LIMITED
                           ? HN_HUB_SITE_LIMITED
                           : HN_HUB_SITE_DENIED;
    if (!v.ok) {
        const char *code = hn_proto_error_code_name(v.code);
        hub->joins_refused++;
        g_message("sip join refused: room %s from %s: %s (%s)", room, addr, code, v.message);
        g_autofree char *detail =
            g_strdup_printf("code=%s how=%s addr=%s client=sip", code, v.how ? v.how : "-", addr);
        hn_store_audit(hub->store, addr, "join-refused", room, detail);
        if (r == HN_HUB_SITE_LIMITED)
            *retry_after_s = v.code == HN_PROTO_ERR_LOCKED ? hub->cfg->lockout_seconds : 60;
    }
    hn_join_verdict_clear(&v);
    return r;
}

uint64_t hn_hub_site_enter(HnHub *hub, const char *room, const char *name, const char *addr,
                           HnHubLegFactory make, void *user, const HnRoomTrackDesc *tracks,
                           size_t n)
{
    static uint64_t next_site;
    HnRoomEntry *e = room_open(hub, room);
    if (!e)
        return 0;
    if (e->members >= e->max_participants) {
        if (e->members == 0)
            room_close(hub, e);
        return 0;
    }
    uint64_t pid = HN_HUB_SITE_PID_BASE + ++next_site;
    HnLeg *leg = make(user, e->worker, pid);
    if (!leg) {
        if (e->members == 0)
            room_close(hub, e);
        return 0;
    }
    HnRole role = hn_hub_moderation_join(hub, e, pid, HN_ROLE_SITE, FALSE);
    HnHubConn *c = g_new0(HnHubConn, 1);
    c->id = pid;
    c->room = e;
    c->role = role;
    c->name = g_strdup(name);
    e->members++;
    hub->joins++;
    g_hash_table_insert(hub->conns, &c->id, c);
    g_autofree char *detail = g_strdup_printf(
        "how=sip role=%s addr=%s p%" G_GUINT64_FORMAT " client=sip", hn_role_name(role), addr, pid);
    hn_store_audit(hub->store, name, "join", room, detail);
    hn_hub_meeting_joined(hub, room, pid, name, hn_role_name(role), NULL, "sip", addr, "sip");
    HnCmd *cmd = g_new0(HnCmd, 1);
    cmd->type = CMD_ATTACH;
    cmd->room = e->room;
    cmd->pid = pid;
    cmd->text = g_strdup(name);
    cmd->leg = leg;
    cmd->tracks = g_memdup2(tracks, n * sizeof *tracks);
    cmd->n_tracks = n;
    hn_worker_invoke(e->worker, cmd_run, cmd, cmd_free);
    return pid;
}

void hn_hub_site_leave(HnHub *hub, uint64_t pid, const char *why)
{
    HnHubConn *c = g_hash_table_lookup(hub->conns, &pid);
    if (c && pid > HN_HUB_SITE_PID_BASE)
        conn_gone(hub, c, why);
}

HnWorker *hn_hub_site_worker(HnHub *hub, uint64_t pid)
{
    HnHubConn *c = g_hash_table_lookup(hub->conns, &pid);
    return c && c->room ? c->room->worker : NULL;
}

void hn_hub_set_site_close(HnHub *hub, HnHubSiteCloseFn fn, void *user)
{
    hub->site_close = fn;
    hub->site_close_user = user;
}

void hn_hub_set_site_dial(HnHub *hub, HnHubSiteDialFn fn, void *user)
{
    hub->site_dial = fn;
    hub->site_dial_user = user;
}

int hn_hub_site_dial(HnHub *hub, const char *room, const char *site, gboolean call)
{
    return hub->site_dial ? hub->site_dial(hub->site_dial_user, room, site, call) : -ENODEV;
}

void hn_hub_close_conn(HnHub *hub, uint64_t conn_id, int code, const char *reason)
{
    if (conn_id <= HN_HUB_SITE_PID_BASE) {
        hn_signaling_close(hub->sig, conn_id, code, reason);
        return;
    }
    HnHubConn *c = g_hash_table_lookup(hub->conns, &conn_id);
    if (!c)
        return;
    if (hub->site_close)
        hub->site_close(hub->site_close_user, conn_id, reason);
    conn_gone(hub, c, c->left ? "left" : "disconnected");
}

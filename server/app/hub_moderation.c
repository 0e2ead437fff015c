/* Moderation on the hub (app/hub_moderation.h): the floor model decides, this file applies its
 * effects: messages, the room's producer mutes on its worker, disconnections, audit rows. */
#include "app/hub_moderation.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "app/hub_lobby.h"
#include "app/hub_priv.h"
#include "app/hub_whip.h"

/* --- the room command: mute on the worker ------------------------------------------------- */

typedef struct {
    HnRoom *room;
    uint64_t pid;
    HnKind kind;
    gboolean muted;
} MuteCmd;

static gboolean mute_run(gpointer data)
{
    MuteCmd *c = data;
    hn_room_set_muted(c->room, c->pid, c->kind, c->muted); /* -ENOENT: gone meanwhile */
    return G_SOURCE_REMOVE;
}

static void post_mute(HnRoomEntry *e, uint64_t pid, HnFloorKind kind, gboolean muted)
{
    MuteCmd *c = g_new0(MuteCmd, 1);
    c->room = e->room;
    c->pid = pid;
    c->kind = kind == HN_FLOOR_VIDEO ? HN_KIND_VIDEO : HN_KIND_AUDIO;
    c->muted = muted;
    hn_worker_invoke(e->worker, mute_run, c, g_free);
}

/* --- participant state -------------------------------------------------------------------- */

static const char *kind_name(HnFloorKind k)
{
    return k == HN_FLOOR_VIDEO ? "video" : "audio";
}

static gboolean parse_pid(const char *id, uint64_t *out)
{
    if (!id || id[0] != 'p' || !id[1])
        return FALSE;
    char *end;
    guint64 v = g_ascii_strtoull(id + 1, &end, 10);
    if (*end || !v)
        return FALSE;
    *out = v;
    return TRUE;
}

/* out's strings point into c and idbuf. */
static gboolean state_of(HnRoomEntry *e, HnHubConn *c, char idbuf[24], HnProtoPartState *out)
{
    const HnFloorPart *p = e && e->floor && c ? hn_floor_get(e->floor, c->id) : NULL;
    if (!p)
        return FALSE;
    snprintf(idbuf, 24, "p%" G_GUINT64_FORMAT, c->id);
    *out = (HnProtoPartState){
        .id = idbuf,
        .name = c->name,
        .role = hn_role_name(p->role),
        .audio = p->on[HN_FLOOR_AUDIO],
        .video = p->on[HN_FLOOR_VIDEO],
        .audio_locked = p->locked[HN_FLOOR_AUDIO],
        .video_locked = p->locked[HN_FLOOR_VIDEO],
        .hand = p->hand,
        .chair = p->chair,
        .presenting = p->presenting,
    };
    return TRUE;
}

typedef struct {
    HnHub *hub;
    HnRoomEntry *e;
    char idbuf[24];
} Lookup;

static bool lookup(void *user, const char *id, HnProtoPartState *out)
{
    Lookup *l = user;
    uint64_t pid;
    HnHubConn *c = parse_pid(id, &pid) ? hn_hub_conn(l->hub, pid) : NULL;
    return c && c->room == l->e && state_of(l->e, c, l->idbuf, out);
}

char *hn_hub_moderation_decorate(HnHub *hub, uint64_t conn_id, char *text)
{
    HnHubConn *c = hn_hub_conn(hub, conn_id);
    if (!c || !c->room->floor)
        return text;
    Lookup l = {.hub = hub, .e = c->room};
    return hn_proto_decorate_participants(text, lookup, &l);
}

static void broadcast_updated(HnHub *hub, HnRoomEntry *e, uint64_t pid)
{
    char idbuf[24];
    HnProtoPartState st;
    if (!state_of(e, hn_hub_conn(hub, pid), idbuf, &st))
        return;
    g_autofree char *text = hn_proto_build_participant_updated(&st);
    hn_hub_broadcast(hub, e, text, 0);
}

/* --- effects ------------------------------------------------------------------------------ */

static void close_with(HnHub *hub, uint64_t pid, char *text, int code, const char *reason)
{
    if (hn_hub_whip_owns(pid)) { /* an encoder: its HTTP session ends (app/hub_whip.h) */
        g_free(text);
        hn_hub_whip_end(hub, pid, "left");
        return;
    }
    hn_hub_send(hub, pid, text);
    HnHubConn *c = hn_hub_conn(hub, pid);
    if (c)
        c->left = TRUE; /* the others see "left", not a failure */
    hn_hub_close_conn(hub, pid, code, reason);
}

static void apply(HnHub *hub, HnRoomEntry *e, GArray *fx)
{
    char by_id[24];
    for (guint i = 0; i < fx->len; i++) {
        const HnFloorFx *x = &g_array_index(fx, HnFloorFx, i);
        snprintf(by_id, sizeof by_id, "p%" G_GUINT64_FORMAT, x->by);
        const char *by = x->by ? by_id : NULL;
        switch (x->type) {
        case HN_FLOOR_FX_UPDATED:
            broadcast_updated(hub, e, x->pid);
            break;
        case HN_FLOOR_FX_FORWARD:
            post_mute(e, x->pid, x->kind, !x->on);
            break;
        case HN_FLOOR_FX_UNMUTE_REQUEST:
            hn_hub_send(
                hub, x->pid,
                hn_proto_build_unmute_request(
                    x->kind == HN_FLOOR_VIDEO ? HN_PROTO_KIND_VIDEO : HN_PROTO_KIND_AUDIO, by));
            break;
        case HN_FLOOR_FX_REMOVE: {
            HnHubConn *t = hn_hub_conn(hub, x->pid);
            if (t && t->sub) /* a removed participant waits in the lobby again, if there is one */
                hn_hub_lobby_forget(hub, e->name, t->sub);
            close_with(hub, x->pid, hn_proto_build_removed(by), HN_HUB_CLOSE_REMOVED, "removed");
            break;
        }
        case HN_FLOOR_FX_END: {
            hn_hub_meeting_end(hub, e->name, by);
            GHashTableIter it;
            gpointer v;
            g_hash_table_iter_init(&it, hub->conns);
            while (g_hash_table_iter_next(&it, NULL, &v)) {
                HnHubConn *c = v;
                if (c->room == e)
                    close_with(hub, c->id, hn_proto_build_meeting_ended(by), HN_HUB_CLOSE_ENDED,
                               "meeting ended");
            }
            break;
        }
        case HN_FLOOR_FX_STOP_SHARE:
            /* the presenter's client stops its share and publishes without it (the others'
             * screen tile goes with that offer) */
            hn_hub_send(hub, x->pid, hn_proto_build_share_stopped(by, "chair"));
            break;
        case HN_FLOOR_FX_ROOM_STATE: {
            g_autofree char *text = hn_proto_build_room_state(x->on);
            hn_hub_broadcast(hub, e, text, 0);
            break;
        }
        }
    }
}

/* --- joins and leaves --------------------------------------------------------------------- */

gboolean hn_hub_moderation_refuse_locked(HnHub *hub, HnRoomEntry *e, uint64_t conn_id, HnRole role,
                                         const char *name, const HnProtoMsg *m)
{
    if (!e || !e->floor || !hn_floor_locked(e->floor) || role == HN_ROLE_CHAIR)
        return FALSE;
    hub->joins_refused++;
    g_autofree char *detail =
        g_strdup_printf("code=meeting-locked role=%s addr=%s", hn_role_name(role),
                        hn_signaling_peer(hub->sig, conn_id));
    hn_store_audit(hub->store, name, "join-refused", e->name, detail);
    hn_hub_reply_error(hub, conn_id, HN_PROTO_ERR_MEETING_LOCKED, "the chair locked the meeting",
                       "join", m);
    return TRUE;
}

HnRole hn_hub_moderation_join(HnHub *hub, HnRoomEntry *e, uint64_t conn_id, HnRole role,
                              gboolean open_room)
{
    (void)hub;
    if (!e->floor)
        e->floor = hn_floor_new();
    return hn_floor_join(e->floor, conn_id, role, open_room);
}

void hn_hub_moderation_leave(HnHub *hub, HnHubConn *c)
{
    HnRoomEntry *e = c->room;
    if (!e || !e->floor)
        return;
    g_autoptr(GArray) fx = g_array_new(FALSE, FALSE, sizeof(HnFloorFx));
    hn_floor_leave(e->floor, c->id, fx);
    apply(hub, e, fx); /* the room's floor is freed with the room (hub.c room_close) */
}

/* --- requests ----------------------------------------------------------------------------- */

static void reply_ack(HnHub *hub, uint64_t conn_id, const char *ref, const HnProtoMsg *m)
{
    hn_hub_send(hub, conn_id, hn_proto_attach_id(hn_proto_build_ack(ref), m->id_json));
}

static void on_state(HnHub *hub, HnHubConn *c, const HnProtoMsg *m)
{
    HnFloor *f = c->room->floor;
    const HnFloorPart *p = hn_floor_get(f, c->id);
    int want[2] = {m->u.state.audio, m->u.state.video};
    for (int k = HN_FLOOR_AUDIO; k <= HN_FLOOR_VIDEO; k++) {
        if (want[k] == 1 && p && (p->locked[k] || p->role == HN_ROLE_OBSERVER)) {
            g_autofree char *d =
                g_strdup_printf("p%" G_GUINT64_FORMAT " kind=%s", c->id, kind_name((HnFloorKind)k));
            hn_store_audit(hub->store, c->name, "unmute-refused", c->room->name, d);
            hn_hub_reply_error(hub, c->id, HN_PROTO_ERR_FORBIDDEN,
                               p->role == HN_ROLE_OBSERVER ? "an observer only receives"
                               : k == HN_FLOOR_AUDIO       ? "the chair muted your microphone"
                                                           : "the chair turned your camera off",
                               "state", m);
            return; /* nothing changes */
        }
    }
    g_autoptr(GArray) fx = g_array_new(FALSE, FALSE, sizeof(HnFloorFx));
    for (int k = HN_FLOOR_AUDIO; k <= HN_FLOOR_VIDEO; k++)
        if (want[k] >= 0)
            hn_floor_set_state(f, c->id, (HnFloorKind)k, want[k] == 1, fx);
    reply_ack(hub, c->id, "state", m);
    apply(hub, c->room, fx);
}

static void on_hand(HnHub *hub, HnHubConn *c, const HnProtoMsg *m)
{
    g_autoptr(GArray) fx = g_array_new(FALSE, FALSE, sizeof(HnFloorFx));
    hn_floor_hand(c->room->floor, c->id, m->u.hand.raised, g_get_monotonic_time(), fx);
    reply_ack(hub, c->id, "hand", m);
    apply(hub, c->room, fx);
}

/* Runs action on e as by (0: the API) named actor; audits it or its refusal. */
static int moderate(HnHub *hub, HnRoomEntry *e, uint64_t by, const char *actor, int action,
                    const char *target, HnFloorKind kind, gboolean *sent_ack, const HnProtoMsg *m)
{
    uint64_t tpid = 0;
    if (target && !parse_pid(target, &tpid))
        return -ENOENT;
    g_autoptr(GArray) fx = g_array_new(FALSE, FALSE, sizeof(HnFloorFx));
    int rc = action < 0 ? -EINVAL : hn_floor_moderate(e->floor, by, action, tpid, kind, fx);
    const char *name = action < 0 ? "unknown" : hn_floor_action_name(action);
    g_autofree char *detail = g_strdup_printf("action=%s target=%s kind=%s%s%s", name,
                                              target ? target : "-", kind_name(kind),
                                              rc == -EPERM ? " refused=forbidden"
                                              : rc < 0     ? " refused=invalid"
                                                           : "",
                                              by ? "" : " via=api");
    hn_store_audit(hub->store, actor, rc == 0 ? "moderate" : "moderate-refused", e->name, detail);
    g_message("moderation in %s by %s: %s%s", e->name, actor, detail, rc ? " (refused)" : "");
    if (rc == 0) {
        if (m) {
            reply_ack(hub, by, "moderate", m);
            *sent_ack = TRUE;
        }
        HnHubConn *t = tpid ? hn_hub_conn(hub, tpid) : NULL;
        g_autofree char *type = g_strconcat("moderation.", name, NULL);
        hn_hub_meeting_event(
            hub, e->name, type, actor, target,
            json_pack("{s:s?, s:s}", "target", t ? t->name : NULL, "kind", kind_name(kind)));
        apply(hub, e, fx);
    }
    return rc;
}

/* presentation.started / stopped in the meeting's event log when the presenter changed. */
static void presentation_events(HnHub *hub, HnRoomEntry *e, uint64_t before, uint64_t after)
{
    if (before == after)
        return;
    uint64_t pids[2] = {before, after};
    for (int i = 0; i < 2; i++) {
        HnHubConn *p = pids[i] ? hn_hub_conn(hub, pids[i]) : NULL;
        if (!p)
            continue;
        char id[32];
        g_snprintf(id, sizeof id, "p%" G_GUINT64_FORMAT, pids[i]);
        hn_hub_meeting_event(hub, e->name, i ? "presentation.started" : "presentation.stopped",
                             p->name, id, NULL);
    }
}

static void on_moderate(HnHub *hub, HnHubConn *c, const HnProtoMsg *m)
{
    int action = hn_floor_action_parse(m->u.moderate.action);
    HnFloorKind kind = m->u.moderate.kind == HN_PROTO_KIND_VIDEO ? HN_FLOOR_VIDEO : HN_FLOOR_AUDIO;
    gboolean acked = FALSE;
    int rc =
        moderate(hub, c->room, c->id, c->name, action, m->u.moderate.participant, kind, &acked, m);
    if (rc == -EPERM)
        hn_hub_reply_error(hub, c->id, HN_PROTO_ERR_FORBIDDEN, "only a chair may do this",
                           "moderate", m);
    else if (rc == -ENOENT)
        hn_hub_reply_error(hub, c->id, HN_PROTO_ERR_NO_PARTICIPANT,
                           "no such participant in this room", "moderate", m);
    else if (rc < 0)
        hn_hub_reply_error(hub, c->id, HN_PROTO_ERR_BAD_FIELD,
                           action < 0 ? "field 'action' names no moderation action"
                           : hn_floor_action_needs_target(action) && !m->u.moderate.participant
                               ? "field 'participant' is missing"
                               : "this action cannot be done to that participant",
                           "moderate", m);
}

gboolean hn_hub_moderation_message(HnHub *hub, HnHubConn *c, const HnProtoMsg *m)
{
    if (!c->room->floor)
        return FALSE;
    switch (m->type) {
    case HN_PROTO_MSG_PUBLISH: { /* the room's rule: the latest to publish a screen presents */
        g_autoptr(GArray) fx = g_array_new(FALSE, FALSE, sizeof(HnFloorFx));
        uint64_t before = hn_floor_presenter(c->room->floor);
        hn_floor_set_presenting(c->room->floor, c->id, m->u.sdp.screen_mid != NULL, fx);
        presentation_events(hub, c->room, before, hn_floor_presenter(c->room->floor));
        apply(hub, c->room, fx);
        return FALSE; /* the room handles it */
    }
    case HN_PROTO_MSG_STATE:
        on_state(hub, c, m);
        return TRUE;
    case HN_PROTO_MSG_HAND:
        on_hand(hub, c, m);
        return TRUE;
    case HN_PROTO_MSG_MODERATE:
        on_moderate(hub, c, m);
        return TRUE;
    default:
        return FALSE;
    }
}

/* --- the REST API's entry points ---------------------------------------------------------- */

/* The live room named room (any case, as joins: room names are case-insensitive). */
static HnRoomEntry *live_room(HnHub *hub, const char *room)
{
    if (!room)
        return NULL;
    g_autofree char *lower = g_ascii_strdown(room, -1);
    HnRoomEntry *e = g_hash_table_lookup(hub->rooms, lower);
    return e && e->floor ? e : NULL;
}

char *hn_hub_participants_json(HnHub *hub, const char *room)
{
    HnRoomEntry *e = live_room(hub, room);
    if (!e || !e->floor)
        return NULL;
    size_t n = hn_floor_list(e->floor, NULL, 0);
    g_autofree uint64_t *pids = g_new0(uint64_t, n + 1);
    hn_floor_list(e->floor, pids, n);
    g_autofree HnProtoPartState *st = g_new0(HnProtoPartState, n + 1);
    g_autofree char *ids = g_malloc0(24 * (n + 1));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += state_of(e, hn_hub_conn(hub, pids[i]), ids + 24 * k, &st[k]);
    return hn_proto_build_participant_list(st, k);
}

int hn_hub_moderate(HnHub *hub, const char *room, const char *actor, const char *action,
                    const char *participant, const char *kind)
{
    HnRoomEntry *e = live_room(hub, room);
    if (!e)
        return -ENOENT;
    int a = hn_floor_action_parse(action);
    if (a < 0 || (kind && strcmp(kind, "audio") != 0 && strcmp(kind, "video") != 0))
        return -EINVAL;
    HnFloorKind k = kind && strcmp(kind, "video") == 0 ? HN_FLOOR_VIDEO : HN_FLOOR_AUDIO;
    uint64_t pid;
    if (participant && (!parse_pid(participant, &pid) || !hn_hub_conn(hub, pid) ||
                        hn_hub_conn(hub, pid)->room != e))
        return -ENOENT;
    gboolean acked;
    return moderate(hub, e, 0, actor ? actor : "api", a, participant, k, &acked, NULL);
}

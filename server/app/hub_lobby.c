/* The lobby of the hub: newcomers held on the main loop until a chair admits them (hub_lobby.h).
 * One line per room (meeting/lobby.c, the pure model) while someone waits in it. */
#include "app/hub_lobby.h"

#include <errno.h>
#include <string.h>

#include "meeting/lobby.h"
#include "transport/mailbox.h"
#include "transport/worker.h"

typedef struct {
    char *room;
    HnLobby *line; /* payloads: HnHubJoin* */
} RoomLine;

struct HnHubLobbies {
    HnHub *hub;
    GHashTable *lines;    /* room name -> RoomLine* (only while someone waits) */
    GHashTable *waiting;  /* &conn id (in the HnHubJoin's box) -> RoomLine* */
    GHashTable *admitted; /* room -> set of token subs admitted while the room stays open */
    guint timer;          /* the 1 s timeout check while someone waits, else 0 */
    HnHubLobbyStats stats;
};

/* What the lobby holds for one newcomer: the join and the connection's id. */
typedef struct {
    uint64_t id;
    HnHubJoin join;
} Held;

static void held_free(gpointer data)
{
    Held *h = data;
    hn_hub_join_clear(&h->join);
    g_free(h);
}

static void line_free(gpointer data)
{
    RoomLine *l = data;
    hn_lobby_free(l->line);
    g_free(l->room);
    g_free(l);
}

HnHubLobbies *hn_hub_lobby_new(HnHub *hub)
{
    HnHubLobbies *lb = g_new0(HnHubLobbies, 1);
    lb->hub = hub;
    lb->lines = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, line_free);
    lb->waiting = g_hash_table_new(g_int64_hash, g_int64_equal);
    lb->admitted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify)g_hash_table_destroy);
    return lb;
}

void hn_hub_lobby_free(HnHubLobbies *lb)
{
    if (!lb)
        return;
    if (lb->timer)
        g_source_remove(lb->timer);
    g_hash_table_destroy(lb->waiting);
    g_hash_table_destroy(lb->lines); /* frees the held joins */
    g_hash_table_destroy(lb->admitted);
    g_free(lb);
}

gboolean hn_hub_room_lobby(HnHub *hub, const char *room)
{
    HnRoomPolicy pol; /* a [room:NAME] group or a room of the REST API */
    return hn_hub_room_policy(hub, room, &pol) && pol.lobby;
}

/* --- who is told what --------------------------------------------------------------------- */

/* The chairs in room now (HnHubConn*, transfer none; free the list). */
static GSList *room_chairs(HnHub *hub, const char *room)
{
    GSList *out = NULL;
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, hub->conns);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        HnHubConn *c = v;
        if (c->room && strcmp(c->room->name, room) == 0 && hn_hub_conn_may_chair(c))
            out = g_slist_prepend(out, c);
    }
    return out;
}

static gboolean chair_present(HnHub *hub, const char *room)
{
    GSList *chairs = room_chairs(hub, room);
    g_slist_free(chairs);
    return chairs != NULL;
}

/* The room's lobby-list now. transfer full. */
static char *build_list(HnHubLobbies *lb, const char *room)
{
    RoomLine *l = g_hash_table_lookup(lb->lines, room);
    guint n = l ? hn_lobby_size(l->line) : 0;
    HnProtoParticipant *w = g_new0(HnProtoParticipant, n + 1);
    char **ids = g_new0(char *, n + 1);
    for (guint i = 0; i < n; i++) {
        uint64_t id = 0;
        const Held *h = hn_lobby_nth(l->line, i, &id);
        ids[i] = g_strdup_printf("p%" G_GUINT64_FORMAT, id);
        w[i] = (HnProtoParticipant){ids[i], h->join.name, hn_role_name(h->join.role)};
    }
    char *text = hn_proto_build_lobby_list(room, w, n);
    g_strfreev(ids);
    g_free(w);
    return text;
}

/* Every chair of room gets the lobby-list. */
static void tell_chairs(HnHubLobbies *lb, const char *room)
{
    GSList *chairs = room_chairs(lb->hub, room);
    if (!chairs)
        return;
    g_autofree char *text = build_list(lb, room);
    for (GSList *l = chairs; l; l = l->next)
        hn_hub_send(lb->hub, ((HnHubConn *)l->data)->id, g_strdup(text));
    g_slist_free(chairs);
}

/* Everyone waiting for room gets its `lobby` (position, chair present). */
static void tell_waiting(HnHubLobbies *lb, const char *room)
{
    RoomLine *l = g_hash_table_lookup(lb->lines, room);
    if (!l)
        return;
    gboolean chair = chair_present(lb->hub, room);
    for (guint i = 0; i < hn_lobby_size(l->line); i++) {
        uint64_t id = 0;
        hn_lobby_nth(l->line, i, &id);
        hn_hub_send(lb->hub, id, hn_proto_build_lobby(room, i + 1, chair));
    }
}

static void audit(HnHubLobbies *lb, const char *actor, const char *action, const Held *h,
                  const char *extra)
{
    g_autofree char *detail = g_strdup_printf("p%" G_GUINT64_FORMAT " name=%s role=%s addr=%s%s%s",
                                              h->id, h->join.name, hn_role_name(h->join.role),
                                              h->join.addr, extra ? " " : "", extra ? extra : "");
    hn_store_audit(lb->hub->store, actor, action, h->join.room, detail);
}

/* --- the line ----------------------------------------------------------------------------- */

/* Takes id out of its room's line (dropping the line when it empties). transfer full, or NULL
 * when id does not wait. *room_out: the room's name, transfer full. */
static Held *take(HnHubLobbies *lb, uint64_t id, char **room_out)
{
    RoomLine *l = g_hash_table_lookup(lb->waiting, &id);
    if (!l)
        return NULL;
    Held *h = hn_lobby_remove(l->line, id);
    g_hash_table_remove(lb->waiting, &h->id);
    *room_out = g_strdup(l->room);
    if (hn_lobby_size(l->line) == 0)
        g_hash_table_remove(lb->lines, l->room);
    return h;
}

/* After the line of room changed: its chairs and those still waiting are told. */
static void line_changed(HnHubLobbies *lb, const char *room)
{
    tell_chairs(lb, room);
    tell_waiting(lb, room);
}

/* Ends h's wait with an error (denied, lobby-timeout) and closes its socket. */
static void turn_away(HnHubLobbies *lb, Held *h, HnProtoErrorCode code, const char *msg)
{
    HnHub *hub = lb->hub;
    hn_hub_send(hub, h->id,
                hn_proto_attach_id(hn_proto_build_error(code, msg, "join"), h->join.id_json));
    hn_signaling_close(hub->sig, h->id, 1000, hn_proto_error_code_name(code));
}

static gboolean tick(gpointer data)
{
    HnHubLobbies *lb = data;
    gint64 now = g_get_monotonic_time();
    GList *rooms = g_hash_table_get_keys(lb->lines);
    for (GList *r = rooms; r; r = r->next) {
        RoomLine *l = g_hash_table_lookup(lb->lines, r->data);
        g_autofree char *room = g_strdup(l->room);
        uint64_t id = 0;
        gboolean changed = FALSE;
        Held *h;
        while (l && (h = hn_lobby_pop_expired(l->line, now, &id))) {
            g_hash_table_remove(lb->waiting, &h->id);
            lb->stats.timeouts++;
            g_message("lobby %s: p%" G_GUINT64_FORMAT " waited %u s: turned away", room, id,
                      lb->hub->cfg->lobby_timeout);
            audit(lb, h->join.name, "lobby-timeout", h, NULL);
            turn_away(lb, h, HN_PROTO_ERR_LOBBY_TIMEOUT, "nobody admitted you in time");
            held_free(h);
            changed = TRUE;
            if (hn_lobby_size(l->line) == 0) {
                g_hash_table_remove(lb->lines, room);
                l = NULL;
            }
        }
        if (changed)
            line_changed(lb, room);
    }
    g_list_free(rooms);
    if (g_hash_table_size(lb->waiting) > 0)
        return G_SOURCE_CONTINUE;
    lb->timer = 0;
    return G_SOURCE_REMOVE;
}

/* Whether sub was admitted to room since the room opened (a rejoin after a lost connection). */
static gboolean was_admitted(HnHubLobbies *lb, const char *room, const char *sub)
{
    GHashTable *subs = sub ? g_hash_table_lookup(lb->admitted, room) : NULL;
    return subs && g_hash_table_contains(subs, sub);
}

gboolean hn_hub_lobby_hold(HnHub *hub, uint64_t conn_id, HnHubJoin *j, gboolean bypass)
{
    HnHubLobbies *lb = hub->lobby;
    if (bypass || j->role == HN_ROLE_CHAIR || !hn_hub_room_lobby(hub, j->room))
        return FALSE;
    if (was_admitted(lb, j->room, j->sub)) {
        g_autofree char *d =
            g_strdup_printf("p%" G_GUINT64_FORMAT " sub=%s addr=%s", conn_id, j->sub, j->addr);
        hn_store_audit(hub->store, j->name, "lobby-rejoin", j->room, d);
        return FALSE; /* admitted before: a rejoin does not wait again */
    }
    RoomLine *l = g_hash_table_lookup(lb->lines, j->room);
    if (!l) {
        HnRoomPolicy pol;
        hn_hub_room_policy(hub, j->room, &pol);
        l = g_new0(RoomLine, 1);
        l->room = g_strdup(j->room);
        l->line = hn_lobby_new(pol.max_participants,
                               (gint64)hub->cfg->lobby_timeout * G_USEC_PER_SEC, held_free);
        g_hash_table_insert(lb->lines, l->room, l);
    }
    Held *h = g_new0(Held, 1);
    h->id = conn_id;
    h->join = *j;
    int pos = hn_lobby_add(l->line, conn_id, g_get_monotonic_time(), h);
    if (pos < 0) {
        h->join = (HnHubJoin){0}; /* j stays the caller's */
        g_free(h);
        if (hn_lobby_size(l->line) == 0)
            g_hash_table_remove(lb->lines, j->room);
        hn_hub_send(hub, conn_id,
                    hn_proto_attach_id(
                        hn_proto_build_error(HN_PROTO_ERR_ROOM_FULL, "the lobby is full", "join"),
                        j->id_json));
        return TRUE;
    }
    memset(j, 0, sizeof *j); /* taken */
    g_hash_table_insert(lb->waiting, &h->id, l);
    lb->stats.knocks++;
    g_message("lobby %s: p%" G_GUINT64_FORMAT " waits at position %d", l->room, conn_id, pos);
    audit(lb, h->join.name, "lobby-knock", h, NULL);
    if (!lb->timer)
        lb->timer = g_timeout_add_seconds(1, tick, lb);
    hn_hub_send(hub, conn_id,
                hn_proto_build_lobby(l->room, (unsigned)pos, chair_present(hub, l->room)));
    tell_chairs(lb, l->room);
    return TRUE;
}

gboolean hn_hub_lobby_waits(HnHub *hub, uint64_t conn_id)
{
    return hub->lobby && g_hash_table_contains(hub->lobby->waiting, &conn_id);
}

void hn_hub_lobby_waiting_message(HnHub *hub, uint64_t conn_id, const HnProtoMsg *m)
{
    if (m->type == HN_PROTO_MSG_LEAVE) {
        hn_signaling_close(hub->sig, conn_id, 1000, "left");
        return;
    }
    hn_hub_reply_error(hub, conn_id, HN_PROTO_ERR_NOT_JOINED,
                       "you wait in the lobby until a chair admits you",
                       hn_proto_msg_type_name(m->type), m);
}

gboolean hn_hub_lobby_closed(HnHub *hub, uint64_t conn_id)
{
    HnHubLobbies *lb = hub->lobby;
    g_autofree char *room = NULL;
    Held *h = lb ? take(lb, conn_id, &room) : NULL; /* NULL lobbies: the hub shuts down */
    if (!h)
        return FALSE;
    g_message("lobby %s: p%" G_GUINT64_FORMAT " stopped waiting", room, conn_id);
    audit(lb, h->join.name, "lobby-leave", h, NULL);
    held_free(h);
    line_changed(lb, room);
    return TRUE;
}

/* Lets one waiting newcomer in on behalf of chair c. */
static void admit_one(HnHubLobbies *lb, const HnHubConn *c, Held *h)
{
    lb->stats.admitted++;
    g_message("lobby %s: p%" G_GUINT64_FORMAT " admitted by p%" G_GUINT64_FORMAT, h->join.room,
              h->id, c->id);
    audit(lb, c->name, "lobby-admit", h, NULL);
    if (h->join.sub) {
        GHashTable *subs = g_hash_table_lookup(lb->admitted, h->join.room);
        if (!subs) {
            subs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
            g_hash_table_insert(lb->admitted, g_strdup(h->join.room), subs);
        }
        g_hash_table_add(subs, g_strdup(h->join.sub));
    }
    hn_hub_enter(lb->hub, h->id, &h->join); /* `joined` with the join's own request id */
    held_free(h);
}

void hn_hub_lobby_request(HnHub *hub, HnHubConn *c, const HnProtoMsg *m)
{
    HnHubLobbies *lb = hub->lobby;
    const char *ref = hn_proto_msg_type_name(m->type);
    if (!hn_hub_conn_may_chair(c)) {
        g_autofree char *d =
            g_strdup_printf("p%" G_GUINT64_FORMAT " role=%s", c->id, hn_role_name(c->role));
        hn_store_audit(hub->store, c->name, "forbidden", c->room->name, d);
        hn_hub_reply_error(hub, c->id, HN_PROTO_ERR_FORBIDDEN, "only a chair may do this", ref, m);
        return;
    }
    g_autofree char *room = g_strdup(c->room->name);
    if (m->type == HN_PROTO_MSG_ADMIT && m->u.lobby.all) {
        RoomLine *l;
        while ((l = g_hash_table_lookup(lb->lines, room)) != NULL) {
            uint64_t id = 0;
            hn_lobby_nth(l->line, 0, &id);
            g_autofree char *r = NULL;
            admit_one(lb, c, take(lb, id, &r));
        }
    } else {
        uint64_t id = m->u.lobby.participant;
        RoomLine *l = g_hash_table_lookup(lb->waiting, &id);
        if (!l || strcmp(l->room, room) != 0) {
            hn_hub_reply_error(hub, c->id, HN_PROTO_ERR_BAD_FIELD,
                               "field 'participant': nobody by that id waits in your lobby", ref,
                               m);
            return;
        }
        g_autofree char *r = NULL;
        Held *h = take(lb, id, &r);
        if (m->type == HN_PROTO_MSG_ADMIT) {
            admit_one(lb, c, h);
        } else {
            lb->stats.denied++;
            g_message("lobby %s: p%" G_GUINT64_FORMAT " denied by p%" G_GUINT64_FORMAT, room, id,
                      c->id);
            audit(lb, c->name, "lobby-deny", h, NULL);
            turn_away(lb, h, HN_PROTO_ERR_DENIED, "the chair did not let you in");
            held_free(h);
        }
    }
    hn_hub_send(hub, c->id, hn_proto_attach_id(hn_proto_build_ack(ref), m->id_json));
    line_changed(lb, room);
}

/* --- a chair's list after its `joined` ------------------------------------------------------
 * `joined` comes from the room's worker through the home mailbox; the list goes the same way
 * (worker, then home) so it arrives after `joined`, and is built when it is sent. */

typedef struct {
    HnHub *hub;
    uint64_t conn_id;
} ListLater;

static gboolean list_send(gpointer data)
{
    ListLater *x = data;
    const HnHubConn *c = hn_hub_conn(x->hub, x->conn_id);
    if (c && x->hub->lobby && hn_hub_conn_may_chair(c))
        hn_hub_send(x->hub, c->id, build_list(x->hub->lobby, c->room->name));
    return G_SOURCE_REMOVE;
}

static gboolean list_relay(gpointer data)
{
    ListLater *x = data;
    ListLater *y = g_memdup2(x, sizeof *x);
    hn_mailbox_post(hn_worker_pool_home(x->hub->pool), list_send, y, g_free);
    return G_SOURCE_REMOVE;
}

void hn_hub_lobby_entered(HnHub *hub, const HnHubConn *c)
{
    if (!hub->lobby || !hn_hub_conn_may_chair(c) || !hn_hub_room_lobby(hub, c->room->name))
        return;
    ListLater *x = g_new0(ListLater, 1);
    x->hub = hub;
    x->conn_id = c->id;
    hn_worker_invoke(c->room->worker, list_relay, x, g_free);
    tell_waiting(hub->lobby, c->room->name); /* a chair is present now */
}

void hn_hub_lobby_left(HnHub *hub, const char *room, HnRole role, gboolean room_empty)
{
    if (!hub->lobby)
        return;
    if (room_empty)
        g_hash_table_remove(hub->lobby->admitted, room); /* a new session starts afresh */
    if (role == HN_ROLE_CHAIR && g_hash_table_contains(hub->lobby->lines, room))
        tell_waiting(hub->lobby, room); /* maybe no chair any more */
}

void hn_hub_lobby_forget(HnHub *hub, const char *room, const char *sub)
{
    GHashTable *subs = hub->lobby && sub ? g_hash_table_lookup(hub->lobby->admitted, room) : NULL;
    if (subs)
        g_hash_table_remove(subs, sub);
}

void hn_hub_lobby_get_stats(HnHub *hub, HnHubLobbyStats *out)
{
    memset(out, 0, sizeof *out);
    if (!hub->lobby)
        return;
    *out = hub->lobby->stats;
    out->waiting = g_hash_table_size(hub->lobby->waiting);
}

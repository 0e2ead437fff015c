/* The policy of a room, wherever it was declared: a [room:NAME] group of the configuration file,
 * or a room made through the admin REST API (app/api_v1_rooms.c, kept in the store's rooms
 * table and cached here, in memory, on the main thread). The join gate (access, PIN), the hub
 * (max_participants, last_n when a room opens) and the lobby read it through one lookup, so an
 * API room behaves exactly like a configured one. A configured room wins over an API room of
 * the same name (the API refuses to make one). Thread: main loop only. */
#pragma once

#include <glib.h>

#include "app/config.h"
#include "store/db_rooms.h"

typedef struct {
    const char *name;       /* transfer none: valid until the policies change */
    const char *title;      /* NULL: none */
    const char *pin;        /* NULL: none; never log it */
    HnAccess access;        /* effective (never HN_ACCESS_DEFAULT) */
    HnAccess access_set;    /* as written (HN_ACCESS_DEFAULT when not set) */
    gboolean lobby;         /* newcomers wait to be admitted */
    guint max_participants; /* effective */
    guint last_n;           /* effective, 0: off */
    guint retention_days;   /* effective: days the archive keeps recordings, 0: forever */
    gboolean from_config;   /* declared in the configuration file (read-only for the API) */
} HnRoomPolicy;

typedef struct HnRoomPolicies HnRoomPolicies;

/* cfg: transfer none, must outlive the policies. transfer full. */
HnRoomPolicies *hn_room_policies_new(const HnConfig *cfg);
/* NULL ok. */
void hn_room_policies_free(HnRoomPolicies *p);
/* Adds or replaces the API room r->name (copied; its name in lower case: room names ignore
 * case, and every lookup here does too). */
void hn_room_policies_put(HnRoomPolicies *p, const HnDbRoom *r);
/* Forgets the API room name; FALSE when there was none. */
gboolean hn_room_policies_remove(HnRoomPolicies *p, const char *name);
/* The API room called name, or NULL. transfer none. */
const HnDbRoom *hn_room_policies_api_room(HnRoomPolicies *p, const char *name);
/* Every API room (HnDbRoom*, transfer none), by name. transfer container (g_list_free). */
GList *hn_room_policies_api_rooms(HnRoomPolicies *p);
/* Fills *out for room name; FALSE when the room is declared nowhere (then *out holds the
 * defaults an undeclared, auto-created room gets). p NULL: configured rooms only. */
gboolean hn_room_policy_lookup(const HnConfig *cfg, HnRoomPolicies *p, const char *name,
                               HnRoomPolicy *out);
/* The access called name ("open", ...), FALSE when unknown. */
gboolean hn_access_parse(const char *name, HnAccess *out);

/* The policy of room name as the hub sees it (configured or API room); FALSE when declared
 * nowhere. For the join gate, the hub and the lobby. Thread: main loop. */
typedef struct HnHub HnHub;
gboolean hn_hub_room_policy(HnHub *hub, const char *name, HnRoomPolicy *out);

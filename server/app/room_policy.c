/* Room policy: configured rooms first, then the API rooms cached from the store. */
#include "app/room_policy.h"

#include <string.h>

struct HnRoomPolicies {
    const HnConfig *cfg;
    GHashTable *api; /* name -> HnDbRoom* */
};

static void room_free(gpointer p)
{
    hn_db_room_clear(p);
    g_free(p);
}

HnRoomPolicies *hn_room_policies_new(const HnConfig *cfg)
{
    HnRoomPolicies *p = g_new0(HnRoomPolicies, 1);
    p->cfg = cfg;
    p->api = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, room_free);
    return p;
}

void hn_room_policies_free(HnRoomPolicies *p)
{
    if (!p)
        return;
    g_hash_table_destroy(p->api);
    g_free(p);
}

void hn_room_policies_put(HnRoomPolicies *p, const HnDbRoom *r)
{
    HnDbRoom *copy = g_new0(HnDbRoom, 1);
    hn_db_room_copy(copy, r);
    g_free(copy->name); /* room names ignore case: kept in lower case */
    copy->name = g_ascii_strdown(r->name, -1);
    g_hash_table_replace(p->api, copy->name, copy);
}

gboolean hn_room_policies_remove(HnRoomPolicies *p, const char *name)
{
    g_autofree char *key = g_ascii_strdown(name, -1);
    return g_hash_table_remove(p->api, key);
}

const HnDbRoom *hn_room_policies_api_room(HnRoomPolicies *p, const char *name)
{
    if (!p || !name)
        return NULL;
    g_autofree char *key = g_ascii_strdown(name, -1);
    return g_hash_table_lookup(p->api, key);
}

static gint by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(((const HnDbRoom *)a)->name, ((const HnDbRoom *)b)->name);
}

GList *hn_room_policies_api_rooms(HnRoomPolicies *p)
{
    return g_list_sort(g_hash_table_get_values(p->api), by_name);
}

gboolean hn_access_parse(const char *name, HnAccess *out)
{
    for (HnAccess a = HN_ACCESS_OPEN; a <= HN_ACCESS_TOKEN_OR_PIN; a++) {
        if (name && strcmp(name, hn_access_name(a)) == 0) {
            *out = a;
            return TRUE;
        }
    }
    return FALSE;
}

/* The default access of a room with or without a PIN (as hn_config_room_access). */
static HnAccess default_access(const HnConfig *cfg, gboolean pin)
{
    if (cfg->jwt_secret)
        return pin ? HN_ACCESS_TOKEN_OR_PIN : HN_ACCESS_TOKEN;
    return pin ? HN_ACCESS_PIN : HN_ACCESS_OPEN;
}

gboolean hn_room_policy_lookup(const HnConfig *cfg, HnRoomPolicies *p, const char *name,
                               HnRoomPolicy *out)
{
    memset(out, 0, sizeof *out);
    out->name = name;
    const HnRoomConfig *rc = hn_config_find_room(cfg, name);
    if (rc) {
        out->title = rc->title;
        out->pin = rc->pin;
        out->access_set = rc->access;
        out->access = hn_config_room_access(cfg, name);
        out->lobby = rc->lobby;
        out->max_participants = rc->max_participants;
        out->last_n = rc->last_n;
        out->retention_days = rc->retention_days;
        out->from_config = TRUE;
        return TRUE;
    }
    const HnDbRoom *r = hn_room_policies_api_room(p, name);
    out->max_participants = cfg->max_participants;
    out->last_n = cfg->last_n;
    out->retention_days = cfg->retention_days;
    if (!r) {
        out->access = hn_config_room_access(cfg, name);
        return FALSE;
    }
    out->name = r->name;
    out->title = r->title;
    out->pin = r->pin;
    if (!r->access || !hn_access_parse(r->access, &out->access_set))
        out->access_set = HN_ACCESS_DEFAULT;
    out->access = out->access_set != HN_ACCESS_DEFAULT ? out->access_set
                                                       : default_access(cfg, r->pin != NULL);
    out->lobby = r->lobby;
    if (r->max_participants > 0)
        out->max_participants = (guint)r->max_participants;
    if (r->last_n >= 0)
        out->last_n = (guint)r->last_n;
    if (r->has_retention)
        out->retention_days = r->retention_days;
    return TRUE;
}

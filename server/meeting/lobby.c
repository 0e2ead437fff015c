/* One room's lobby: a bounded first-come line with a bounded wait (see lobby.h). */
#include "meeting/lobby.h"

#include <errno.h>

typedef struct {
    uint64_t id;
    gint64 since_us;
    gpointer data;
} Entry;

struct HnLobby {
    GArray *line; /* Entry, oldest first; at most capacity */
    guint capacity;
    gint64 max_wait_us;
    GDestroyNotify free_data;
};

HnLobby *hn_lobby_new(guint capacity, gint64 max_wait_us, GDestroyNotify free_data)
{
    g_return_val_if_fail(capacity >= 1 && max_wait_us > 0, NULL);
    HnLobby *l = g_new0(HnLobby, 1);
    l->line = g_array_new(FALSE, FALSE, sizeof(Entry));
    l->capacity = capacity;
    l->max_wait_us = max_wait_us;
    l->free_data = free_data;
    return l;
}

void hn_lobby_free(HnLobby *l)
{
    if (!l)
        return;
    for (guint i = 0; l->free_data && i < l->line->len; i++)
        l->free_data(g_array_index(l->line, Entry, i).data);
    g_array_free(l->line, TRUE);
    g_free(l);
}

static int find(const HnLobby *l, uint64_t id)
{
    for (guint i = 0; i < l->line->len; i++) {
        if (g_array_index(l->line, Entry, i).id == id)
            return (int)i;
    }
    return -1;
}

int hn_lobby_add(HnLobby *l, uint64_t id, gint64 now_us, gpointer data)
{
    if (find(l, id) >= 0)
        return -EEXIST;
    if (l->line->len >= l->capacity)
        return -ENOSPC;
    Entry e = {id, now_us, data};
    g_array_append_val(l->line, e);
    return (int)l->line->len;
}

gpointer hn_lobby_remove(HnLobby *l, uint64_t id)
{
    int i = find(l, id);
    if (i < 0)
        return NULL;
    gpointer data = g_array_index(l->line, Entry, i).data;
    g_array_remove_index(l->line, (guint)i); /* keeps the order */
    return data;
}

gpointer hn_lobby_pop_expired(HnLobby *l, gint64 now_us, uint64_t *id)
{
    if (l->line->len == 0 || now_us < hn_lobby_next_deadline(l))
        return NULL;
    Entry e = g_array_index(l->line, Entry, 0);
    g_array_remove_index(l->line, 0);
    if (id)
        *id = e.id;
    return e.data;
}

guint hn_lobby_position(const HnLobby *l, uint64_t id)
{
    return (guint)(find(l, id) + 1);
}

guint hn_lobby_size(const HnLobby *l)
{
    return l->line->len;
}

gpointer hn_lobby_nth(const HnLobby *l, guint i, uint64_t *id)
{
    if (i >= l->line->len)
        return NULL;
    const Entry *e = &g_array_index(l->line, Entry, i);
    if (id)
        *id = e->id;
    return e->data;
}

gint64 hn_lobby_next_deadline(const HnLobby *l)
{
    if (l->line->len == 0)
        return G_MAXINT64;
    /* the oldest waits longest: arrivals only append, with a clock that does not go back */
    return g_array_index(l->line, Entry, 0).since_us + l->max_wait_us;
}

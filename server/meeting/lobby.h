/* One room's lobby: the line of newcomers who passed the join gate and wait for a chair to admit
 * them (docs/signaling.md, "The lobby"). First come, first in line; a bounded number of places;
 * a bounded wait (everyone waits the same time at most, so the oldest is always the first to
 * time out).
 *
 * Pure: no I/O, no clock reads (now_us is an argument, any monotonic microseconds), so positions
 * and timeouts are unit-tested on a fake clock. Each waiting entry carries the owner's payload
 * (the held join), which the model never looks into. Thread: the owner's (the hub's main loop). */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct HnLobby HnLobby;

/* capacity: places (>= 1); max_wait_us: the longest wait (> 0). free_data frees a payload that
 * is still in the line when the lobby is freed (NULL: not freed). transfer full. */
HnLobby *hn_lobby_new(guint capacity, gint64 max_wait_us, GDestroyNotify free_data);
/* Frees the lobby and the payloads still in it. NULL: no-op. */
void hn_lobby_free(HnLobby *l);

/* Puts id at the end of the line at now_us with data (transfer full on success). Returns its
 * position (1 = next to be admitted), -EEXIST when id waits already, -ENOSPC when the line is
 * full (data stays the caller's). */
int hn_lobby_add(HnLobby *l, uint64_t id, gint64 now_us, gpointer data);
/* Takes id out of the line. Returns its payload (transfer full), NULL when id does not wait. */
gpointer hn_lobby_remove(HnLobby *l, uint64_t id);
/* Takes the entry whose wait is over at now_us out of the line (the oldest first): its payload
 * (transfer full) and *id, or NULL when nobody's wait is over. Call until NULL. */
gpointer hn_lobby_pop_expired(HnLobby *l, gint64 now_us, uint64_t *id);

/* id's place in the line (1 = first), 0 when id does not wait. */
guint hn_lobby_position(const HnLobby *l, uint64_t id);
/* Entries waiting. */
guint hn_lobby_size(const HnLobby *l);
/* The i-th in line (0 = first): its payload (transfer none) and *id, NULL when i >= size. */
gpointer hn_lobby_nth(const HnLobby *l, guint i, uint64_t *id);
/* When the first wait ends (absolute, now_us's clock); G_MAXINT64 when nobody waits. */
gint64 hn_lobby_next_deadline(const HnLobby *l);

G_END_DECLS

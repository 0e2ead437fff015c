/* The rules of a meeting's chat that are not wire format: who may read a line (everyone, or
 * only the chairs and its sender for a line "to the chair") and how fast one person may write
 * (a token bucket per sender, so a script cannot fill the store). The text itself is checked at
 * the edge (signaling/protocol.c: 1-2000 code points).
 *
 * Pure: time is an argument (monotonic microseconds); unit-tested on a fake clock.
 * Thread: one (the main loop). */
#pragma once

#include <glib.h>
#include <stdint.h>

#define HN_CHAT_HISTORY     100 /* lines of history a newcomer gets (public; plus its private ones) */
#define HN_CHAT_BURST       20 /* lines one sender may write at once */
#define HN_CHAT_PER_S       2  /* then this many a second */
#define HN_CHAT_MAX_SENDERS 4096

/* TRUE when a viewer may read a line. to_chair: the line is private to the chairs; sender_key,
 * viewer_key: token sub or participant id (transfer none). */
gboolean hn_chat_visible(gboolean to_chair, const char *sender_key, const char *viewer_key,
                         gboolean viewer_may_chair);

typedef struct HnChatFlood HnChatFlood;

/* transfer full. */
HnChatFlood *hn_chat_flood_new(void);
/* NULL ok. */
void hn_chat_flood_free(HnChatFlood *f);
/* Takes one line from key's bucket: FALSE when key writes too fast (refuse the line). */
gboolean hn_chat_flood_take(HnChatFlood *f, const char *key, int64_t now_us);
/* Senders tracked (bounded: idle ones are swept as the table grows). */
guint hn_chat_flood_size(HnChatFlood *f);

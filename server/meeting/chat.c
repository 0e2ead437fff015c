/* Chat rules: visibility and a per-sender token bucket (meeting/chat.h). */
#include "meeting/chat.h"

#include <string.h>

gboolean hn_chat_visible(gboolean to_chair, const char *sender_key, const char *viewer_key,
                         gboolean viewer_may_chair)
{
    if (!to_chair || viewer_may_chair)
        return TRUE;
    return sender_key && viewer_key && strcmp(sender_key, viewer_key) == 0;
}

typedef struct {
    double tokens;
    int64_t at_us;
} Bucket;

struct HnChatFlood {
    GHashTable *buckets; /* key -> Bucket */
};

HnChatFlood *hn_chat_flood_new(void)
{
    HnChatFlood *f = g_new0(HnChatFlood, 1);
    f->buckets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return f;
}

void hn_chat_flood_free(HnChatFlood *f)
{
    if (!f)
        return;
    g_hash_table_destroy(f->buckets);
    g_free(f);
}

static double refill(const Bucket *b, int64_t now_us)
{
    double t = b->tokens + (double)(now_us - b->at_us) * HN_CHAT_PER_S / G_USEC_PER_SEC;
    return t > HN_CHAT_BURST ? HN_CHAT_BURST : t;
}

/* Drops full buckets (senders idle long enough) when the table grows past its bound. */
static void sweep(HnChatFlood *f, int64_t now_us)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, f->buckets);
    while (g_hash_table_iter_next(&it, NULL, &v))
        if (refill(v, now_us) >= HN_CHAT_BURST)
            g_hash_table_iter_remove(&it);
}

gboolean hn_chat_flood_take(HnChatFlood *f, const char *key, int64_t now_us)
{
    Bucket *b = g_hash_table_lookup(f->buckets, key);
    if (!b) {
        if (g_hash_table_size(f->buckets) >= HN_CHAT_MAX_SENDERS)
            sweep(f, now_us);
        b = g_new0(Bucket, 1);
        b->tokens = HN_CHAT_BURST;
        b->at_us = now_us;
        g_hash_table_insert(f->buckets, g_strdup(key), b);
    }
    b->tokens = refill(b, now_us);
    b->at_us = now_us;
    if (b->tokens < 1)
        return FALSE;
    b->tokens -= 1;
    return TRUE;
}

guint hn_chat_flood_size(HnChatFlood *f)
{
    return g_hash_table_size(f->buckets);
}

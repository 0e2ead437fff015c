/* Per-address failure windows and locks, on a caller's clock. */
#include "meeting/limiter.h"

#include <string.h>

typedef struct {
    int64_t *fails; /* ring of the latest failure times, `failures` slots */
    guint nfails, next;
    int64_t locked_until; /* 0: not locked */
    int64_t window_start; /* attempts counted since */
    guint attempts;
    int64_t last_seen;
} Entry;

struct HnLimiter {
    guint failures, attempts_max;
    int64_t lock_us;
    GHashTable *addrs; /* char* -> Entry* */
};

static void entry_free(gpointer p)
{
    Entry *e = p;
    g_free(e->fails);
    g_free(e);
}

HnLimiter *hn_limiter_new(guint failures, guint lock_s, guint attempts_per_minute)
{
    HnLimiter *l = g_new0(HnLimiter, 1);
    l->failures = MAX(failures, 1);
    l->lock_us = (int64_t)MAX(lock_s, 1) * G_USEC_PER_SEC;
    l->attempts_max = MAX(attempts_per_minute, 1);
    l->addrs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, entry_free);
    return l;
}

void hn_limiter_free(HnLimiter *l)
{
    if (!l)
        return;
    g_hash_table_destroy(l->addrs);
    g_free(l);
}

static gboolean idle(Entry *e, int64_t now_us)
{
    return e->locked_until <= now_us && now_us - e->last_seen > HN_LIMITER_WINDOW_US;
}

static void sweep(HnLimiter *l, int64_t now_us)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, l->addrs);
    while (g_hash_table_iter_next(&it, NULL, &v))
        if (idle(v, now_us))
            g_hash_table_iter_remove(&it);
}

static Entry *get(HnLimiter *l, const char *addr, int64_t now_us, gboolean create)
{
    Entry *e = g_hash_table_lookup(l->addrs, addr);
    if (e || !create)
        return e;
    if (g_hash_table_size(l->addrs) >= HN_LIMITER_MAX_ADDRS / 2)
        sweep(l, now_us);
    if (g_hash_table_size(l->addrs) >= HN_LIMITER_MAX_ADDRS)
        return NULL; /* full of active addresses: rate-limit newcomers */
    e = g_new0(Entry, 1);
    e->fails = g_new0(int64_t, l->failures);
    e->window_start = now_us;
    g_hash_table_insert(l->addrs, g_strdup(addr), e);
    return e;
}

HnLimitVerdict hn_limiter_attempt(HnLimiter *l, const char *addr, int64_t now_us)
{
    Entry *e = get(l, addr, now_us, TRUE);
    if (!e)
        return HN_LIMIT_RATE;
    e->last_seen = now_us;
    if (e->locked_until > now_us)
        return HN_LIMIT_LOCKED;
    if (now_us - e->window_start >= HN_LIMITER_WINDOW_US) {
        e->window_start = now_us;
        e->attempts = 0;
    }
    if (++e->attempts > l->attempts_max)
        return HN_LIMIT_RATE;
    return HN_LIMIT_OK;
}

gboolean hn_limiter_fail(HnLimiter *l, const char *addr, int64_t now_us)
{
    Entry *e = get(l, addr, now_us, TRUE);
    if (!e)
        return FALSE;
    e->last_seen = now_us;
    e->fails[e->next] = now_us;
    e->next = (e->next + 1) % l->failures;
    if (e->nfails < l->failures)
        e->nfails++;
    /* the oldest of the last `failures` failures is the slot written next */
    int64_t oldest = e->fails[e->nfails < l->failures ? 0 : e->next];
    if (e->nfails == l->failures && now_us - oldest < HN_LIMITER_WINDOW_US) {
        e->locked_until = now_us + l->lock_us;
        e->nfails = 0;
        e->next = 0;
        return TRUE;
    }
    return FALSE;
}

void hn_limiter_success(HnLimiter *l, const char *addr)
{
    Entry *e = g_hash_table_lookup(l->addrs, addr);
    if (e) {
        e->nfails = 0;
        e->next = 0;
    }
}

guint hn_limiter_locked_for(HnLimiter *l, const char *addr, int64_t now_us)
{
    Entry *e = g_hash_table_lookup(l->addrs, addr);
    if (!e || e->locked_until <= now_us)
        return 0;
    return (guint)((e->locked_until - now_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

guint hn_limiter_size(HnLimiter *l)
{
    return g_hash_table_size(l->addrs);
}

/* Retransmission cache. See rtp_cache.h for the contracts. */
#include "core/rtp_cache.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

typedef struct {
    uint32_t ssrc;
    uint16_t seq;
    uint16_t len; /* 0 = empty */
} Slot;

struct HnRtpCache {
    unsigned capacity; /* power of two */
    Slot *slots;
    uint8_t *data; /* capacity * HN_RTP_CACHE_SLOT bytes */
};

HnRtpCache *hn_rtp_cache_new(unsigned capacity)
{
    unsigned cap = 16;
    while (cap < capacity && cap < 32768)
        cap <<= 1;
    HnRtpCache *c = g_new0(HnRtpCache, 1);
    c->capacity = cap;
    c->slots = g_new0(Slot, cap);
    c->data = g_malloc((gsize)cap * HN_RTP_CACHE_SLOT);
    return c;
}

void hn_rtp_cache_free(HnRtpCache *cache)
{
    if (!cache)
        return;
    g_free(cache->slots);
    g_free(cache->data);
    g_free(cache);
}

unsigned hn_rtp_cache_capacity(const HnRtpCache *cache)
{
    return cache->capacity;
}

int hn_rtp_cache_put(HnRtpCache *cache, uint32_t ssrc, uint16_t seq, const uint8_t *buf, size_t len)
{
    if (len == 0 || len > HN_RTP_CACHE_SLOT)
        return -EMSGSIZE;
    unsigned i = seq & (cache->capacity - 1);
    Slot *s = &cache->slots[i];
    s->ssrc = ssrc;
    s->seq = seq;
    s->len = (uint16_t)len;
    memcpy(cache->data + (size_t)i * HN_RTP_CACHE_SLOT, buf, len);
    return 0;
}

const uint8_t *hn_rtp_cache_get(const HnRtpCache *cache, uint32_t ssrc, uint16_t seq, size_t *len)
{
    unsigned i = seq & (cache->capacity - 1);
    const Slot *s = &cache->slots[i];
    if (s->len == 0 || s->ssrc != ssrc || s->seq != seq)
        return NULL;
    *len = s->len;
    return cache->data + (size_t)i * HN_RTP_CACHE_SLOT;
}

void hn_rtp_cache_clear(HnRtpCache *cache)
{
    memset(cache->slots, 0, sizeof(Slot) * cache->capacity);
}

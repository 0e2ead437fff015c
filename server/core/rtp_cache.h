/* Retransmission cache of one producer: a fixed ring of preallocated packet slots indexed by
 * input sequence number, for answering NACKs. Storing and looking up never allocate.
 * Single owner (_new/_free). Router thread only. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define HN_RTP_CACHE_SLOT 1500 /* largest packet the cache stores, bytes */

typedef struct HnRtpCache HnRtpCache;

/* Creates a cache of capacity packets, rounded up to a power of two in 16..32768.
 * Returns a new cache (transfer full). */
HnRtpCache *hn_rtp_cache_new(unsigned capacity);
/* Frees cache; NULL is a no-op. */
void hn_rtp_cache_free(HnRtpCache *cache);
unsigned hn_rtp_cache_capacity(const HnRtpCache *cache);
/* Stores a copy of the RTP packet buf[0..len) with the given input ssrc/seq, replacing whatever
 * was in its slot. Returns 0, or -EMSGSIZE when len > HN_RTP_CACHE_SLOT (nothing stored). */
int hn_rtp_cache_put(HnRtpCache *cache, uint32_t ssrc, uint16_t seq, const uint8_t *buf,
                     size_t len);
/* Looks up packet (ssrc, seq). Returns a pointer into the cache (transfer none, valid until the
 * next put or clear) and sets *len, or NULL when it was never stored or has been overwritten. */
const uint8_t *hn_rtp_cache_get(const HnRtpCache *cache, uint32_t ssrc, uint16_t seq, size_t *len);
/* Forgets every packet. */
void hn_rtp_cache_clear(HnRtpCache *cache);

/* Helpers shared by the core unit tests: packet builders and a fake router sink. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/router.h"
#include "core/rtp.h"

/* Writes a minimal RTP packet (no CSRC, no extension) and returns its length. */
static inline size_t tu_rtp(uint8_t *buf, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
                            const uint8_t *payload, size_t plen)
{
    buf[0] = 0x80;
    buf[1] = pt & 0x7f;
    hn_wr16(buf + 2, seq);
    hn_wr32(buf + 4, ts);
    hn_wr32(buf + 8, ssrc);
    if (plen)
        memcpy(buf + 12, payload, plen);
    return 12 + plen;
}

/* VP8 payloads: descriptor with S=1 PID=0, then a frame tag with P=0 (key) or P=1 (delta). */
static const uint8_t TU_VP8_KEY[] = {0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02};
static const uint8_t TU_VP8_DELTA[] = {0x10, 0x01, 0x00, 0x00, 0xaa, 0xbb};
static const uint8_t TU_VP8_CONT[] = {0x00, 0x11, 0x22, 0x33}; /* S=0: not a frame start */

/* One packet the fake sink received. */
typedef struct {
    uint32_t transport_id;
    bool rtcp;
    size_t len;
    uint8_t data[HN_ROUTER_MAX_PACKET + 64];
} TuSent;

typedef struct {
    GArray *sent; /* TuSent */
} TuSink;

static inline void tu_push(TuSink *s, uint32_t tid, bool rtcp, const uint8_t *buf, size_t len)
{
    TuSent p = {.transport_id = tid, .rtcp = rtcp, .len = len};
    memcpy(p.data, buf, len);
    g_array_append_val(s->sent, p);
}

static inline void tu_send_rtp(void *user, uint32_t tid, uint8_t *buf, size_t len)
{
    tu_push(user, tid, false, buf, len);
    memset(buf, 0xee, len); /* the callee may scribble on it: the router must not care */
}

static inline void tu_send_rtcp(void *user, uint32_t tid, uint8_t *buf, size_t len)
{
    tu_push(user, tid, true, buf, len);
    memset(buf, 0xee, len);
}

static inline void tu_sink_init(TuSink *s)
{
    s->sent = g_array_new(FALSE, TRUE, sizeof(TuSent));
}

static inline void tu_sink_clear(TuSink *s)
{
    g_array_set_size(s->sent, 0);
}

static inline void tu_sink_free(TuSink *s)
{
    g_array_free(s->sent, TRUE);
}

static inline TuSent *tu_at(TuSink *s, guint i)
{
    return &g_array_index(s->sent, TuSent, i);
}

/* Number of packets sent to tid (rtcp selects the kind). */
static inline unsigned tu_count(TuSink *s, uint32_t tid, bool rtcp)
{
    unsigned n = 0;
    for (guint i = 0; i < s->sent->len; i++)
        if (tu_at(s, i)->transport_id == tid && tu_at(s, i)->rtcp == rtcp)
            n++;
    return n;
}

/* The index-th packet sent to tid of the given kind, or NULL. */
static inline TuSent *tu_nth(TuSink *s, uint32_t tid, bool rtcp, unsigned index)
{
    for (guint i = 0; i < s->sent->len; i++) {
        TuSent *p = tu_at(s, i);
        if (p->transport_id == tid && p->rtcp == rtcp && index-- == 0)
            return p;
    }
    return NULL;
}

/* Deterministic xorshift PRNG for seeded random tests. */
static inline uint32_t tu_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return (uint32_t)(x >> 16);
}

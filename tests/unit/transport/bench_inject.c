/* bench_inject.c - cost per packet of the inject ring and of the worker-to-worker relay (not a
 * test).
 * Usage: bench_inject [packets]   (default 1000000, 1200-byte packets)
 *  1. one thread: push bursts of 256, then let the loop deliver them (push + deliver, no
 *     contention, no cross-core traffic);
 *  2. a producer thread and the consumer loop (a full ring: the producer yields and retries, so
 *     every packet is delivered): process CPU time and wall time per packet;
 *  3. the same through g_main_context_invoke_full with a copy per packet (an idle source per
 *     packet), for comparison;
 *  4. and 5. cases 1 and 2 through the single-producer relay (transport/relay.h; flushed every
 *     32 packets, as a worker does once per receive batch). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "transport/inject.h"
#include "transport/relay.h"

#define LEN 1200

static int64_t clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static uint64_t delivered;
static uint64_t checksum;

static void deliver(void *user, const HnInjectPacket *pkt, int64_t now_us)
{
    delivered++;
    checksum += pkt->data[pkt->len - 1];
}

typedef struct {
    HnInjectRing *ring;
    GMainContext *ctx;
    uint64_t n, retries;
} Prod;

static gpointer producer(gpointer data)
{
    Prod *p = data;
    uint8_t buf[LEN];
    memset(buf, 7, sizeof buf);
    for (uint64_t i = 0; i < p->n; i++) {
        buf[0] = (uint8_t)i;
        while (hn_inject_push(p->ring, NULL, 0, HN_INJECT_RTP, buf, LEN) == -ENOBUFS) {
            p->retries++;
            g_thread_yield();
        }
    }
    return NULL;
}

static void relay_deliver(void *user, const HnRelayPacket *pkt, int64_t now_us)
{
    delivered++;
    checksum += pkt->data[pkt->len - 1];
}

typedef struct {
    HnRelay *relay;
    uint64_t n, retries;
} RelayProd;

static gpointer relay_producer(gpointer data)
{
    RelayProd *p = data;
    uint8_t buf[LEN];
    memset(buf, 7, sizeof buf);
    uint64_t i = 0;
    while (i < p->n) {
        int64_t now = g_get_monotonic_time();
        for (int k = 0; k < 32 && i < p->n; k++) {
            buf[0] = (uint8_t)i;
            if (hn_relay_push(p->relay, 0, buf, LEN, now) != 0) {
                p->retries++;
                hn_relay_flush(p->relay);
                g_thread_yield();
                break;
            }
            i++;
        }
        hn_relay_flush(p->relay);
    }
    return NULL;
}

typedef struct {
    uint8_t *data;
    size_t len;
} Copy;

static gboolean invoke_cb(gpointer data)
{
    Copy *c = data;
    delivered++;
    checksum += c->data[c->len - 1];
    return G_SOURCE_REMOVE;
}

static void copy_free(gpointer data)
{
    Copy *c = data;
    g_free(c->data);
    g_free(c);
}

static gpointer invoker(gpointer data)
{
    Prod *p = data;
    uint8_t buf[LEN];
    memset(buf, 7, sizeof buf);
    for (uint64_t i = 0; i < p->n; i++) {
        Copy *c = g_new(Copy, 1);
        c->data = g_memdup2(buf, LEN);
        c->len = LEN;
        g_main_context_invoke_full(p->ctx, G_PRIORITY_DEFAULT, invoke_cb, c, copy_free);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    GMainContext *ctx = g_main_context_new();
    HnInjectRing *r = hn_inject_ring_new(ctx, 256, deliver, NULL, NULL);
    uint8_t buf[LEN];
    memset(buf, 7, sizeof buf);

    /* 1. one thread */
    delivered = 0;
    int64_t push_us = 0, c0 = clock_us(CLOCK_THREAD_CPUTIME_ID);
    for (uint64_t i = 0; i < n; i += 256) {
        int64_t s = clock_us(CLOCK_THREAD_CPUTIME_ID);
        for (int k = 0; k < 256; k++)
            hn_inject_push(r, NULL, 0, HN_INJECT_RTP, buf, LEN);
        push_us += clock_us(CLOCK_THREAD_CPUTIME_ID) - s;
        while (g_main_context_iteration(ctx, FALSE))
            ;
    }
    int64_t c1 = clock_us(CLOCK_THREAD_CPUTIME_ID);
    printf(
        "one thread, bursts of 256: %.0f ns CPU per packet (push + deliver; push alone %.0f ns), "
        "%" G_GUINT64_FORMAT " delivered\n",
        (c1 - c0) * 1000.0 / (double)delivered, push_us * 1000.0 / (double)delivered, delivered);

    /* 2. producer thread -> consumer loop */
    delivered = 0;
    HnInjectStats before;
    hn_inject_ring_get_stats(r, &before);
    Prod p = {.ring = hn_inject_ring_ref(r), .ctx = ctx, .n = n};
    int64_t w0 = g_get_monotonic_time(), p0 = clock_us(CLOCK_PROCESS_CPUTIME_ID);
    GThread *t = g_thread_new("producer", producer, &p);
    while (delivered < n)
        g_main_context_iteration(ctx, TRUE);
    g_thread_join(t);
    int64_t w1 = g_get_monotonic_time(), p1 = clock_us(CLOCK_PROCESS_CPUTIME_ID);
    HnInjectStats after;
    hn_inject_ring_get_stats(r, &after);
    printf("producer thread -> loop: %.0f ns CPU (both threads) and %.0f ns wall per packet; "
           "%" G_GUINT64_FORMAT " wake-ups, %" G_GUINT64_FORMAT " dispatches for %" G_GUINT64_FORMAT
           " packets (%" G_GUINT64_FORMAT " retries on a full ring)\n",
           (p1 - p0) * 1000.0 / (double)n, (w1 - w0) * 1000.0 / (double)n,
           after.wakeups - before.wakeups, after.dispatches - before.dispatches, n, p.retries);
    hn_inject_ring_unref(p.ring);

    /* 3. idle source per packet */
    delivered = 0;
    Prod q = {.ctx = ctx, .n = n};
    w0 = g_get_monotonic_time();
    p0 = clock_us(CLOCK_PROCESS_CPUTIME_ID);
    t = g_thread_new("invoker", invoker, &q);
    while (delivered < n)
        g_main_context_iteration(ctx, TRUE);
    g_thread_join(t);
    w1 = g_get_monotonic_time();
    p1 = clock_us(CLOCK_PROCESS_CPUTIME_ID);
    printf("g_main_context_invoke + copy per packet: %.0f ns CPU and %.0f ns wall per packet\n",
           (p1 - p0) * 1000.0 / (double)n, (w1 - w0) * 1000.0 / (double)n);

    /* 4. the relay, one thread */
    HnRelay *rl = hn_relay_new(ctx, 256, relay_deliver, NULL, NULL);
    delivered = 0;
    push_us = 0;
    c0 = clock_us(CLOCK_THREAD_CPUTIME_ID);
    for (uint64_t i = 0; i < n; i += 256) {
        int64_t s = clock_us(CLOCK_THREAD_CPUTIME_ID), now = g_get_monotonic_time();
        for (int k = 0; k < 256; k++) {
            hn_relay_push(rl, 0, buf, LEN, now);
            if (k % 32 == 31)
                hn_relay_flush(rl);
        }
        push_us += clock_us(CLOCK_THREAD_CPUTIME_ID) - s;
        while (g_main_context_iteration(ctx, FALSE))
            ;
    }
    c1 = clock_us(CLOCK_THREAD_CPUTIME_ID);
    printf("relay, one thread, bursts of 256: %.0f ns CPU per packet (push + deliver; push alone "
           "%.0f ns), %" G_GUINT64_FORMAT " delivered\n",
           (c1 - c0) * 1000.0 / (double)delivered, push_us * 1000.0 / (double)delivered, delivered);

    /* 5. the relay, producer thread -> consumer loop */
    delivered = 0;
    HnRelayStats rb, ra;
    hn_relay_get_stats(rl, &rb);
    RelayProd rp = {.relay = hn_relay_ref(rl), .n = n};
    w0 = g_get_monotonic_time();
    p0 = clock_us(CLOCK_PROCESS_CPUTIME_ID);
    t = g_thread_new("relay-producer", relay_producer, &rp);
    while (delivered < n)
        g_main_context_iteration(ctx, TRUE);
    g_thread_join(t);
    w1 = g_get_monotonic_time();
    p1 = clock_us(CLOCK_PROCESS_CPUTIME_ID);
    hn_relay_get_stats(rl, &ra);
    printf("relay, producer thread -> loop: %.0f ns CPU (both threads) and %.0f ns wall per "
           "packet; %" G_GUINT64_FORMAT " wake-ups for %" G_GUINT64_FORMAT
           " flushes (%" G_GUINT64_FORMAT " retries on a full ring)\n",
           (p1 - p0) * 1000.0 / (double)n, (w1 - w0) * 1000.0 / (double)n, ra.wakeups - rb.wakeups,
           ra.flushes - rb.flushes, rp.retries);
    hn_relay_unref(rp.relay);
    hn_relay_close(rl);
    hn_relay_unref(rl);

    hn_inject_ring_close(r);
    hn_inject_ring_unref(r);
    g_main_context_unref(ctx);
    return checksum == 0;
}

/* test_inject.c - packets pushed from other threads into a worker's loop through the inject
 * ring: what the worker receives (every packet once, in each producer's order, or counted as
 * dropped), how often it is woken, and that nothing arrives after close. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "transport/inject.h"

#define PRODUCERS 4

typedef struct {
    int64_t next_seq[PRODUCERS]; /* next sequence number expected from each producer */
    uint64_t got[PRODUCERS];
    uint64_t total;
    uint64_t out_of_order, bad_meta;
    HnInjectRing *ring;
    uint64_t close_at; /* close from inside deliver at this total (0: never) */
    gboolean closed;
    uint64_t after_close;
} Consumer;

/* Packet: producer index, 32-bit sequence number, then filler up to its length. */
static size_t make_packet(uint8_t *buf, int producer, uint32_t seq)
{
    size_t len = 12 + seq % 1000;
    buf[0] = (uint8_t)producer;
    memcpy(buf + 1, &seq, sizeof seq);
    memset(buf + 5, (uint8_t)(seq * 7), len - 5);
    return len;
}

static void deliver(void *user, const HnInjectPacket *pkt, int64_t now_us)
{
    Consumer *c = user;
    if (c->closed)
        c->after_close++;
    int p = pkt->data[0];
    uint32_t seq;
    memcpy(&seq, pkt->data + 1, sizeof seq);
    if (p >= PRODUCERS || pkt->target_id != (uint64_t)p || pkt->target != &c->next_seq[p] ||
        pkt->kind != (seq % 2 ? HN_INJECT_RTCP : HN_INJECT_RTP) || pkt->len != 12 + seq % 1000 ||
        pkt->cap != HN_INJECT_SLOT_CAP || pkt->data[pkt->len - 1] != (uint8_t)(seq * 7)) {
        c->bad_meta++;
        return;
    }
    if ((int64_t)seq < c->next_seq[p])
        c->out_of_order++;
    c->next_seq[p] = (int64_t)seq + 1;
    c->got[p]++;
    c->total++;
    if (c->close_at && c->total == c->close_at) {
        hn_inject_ring_close(c->ring);
        c->closed = TRUE;
    }
}

static int push_seq(HnInjectRing *r, Consumer *c, int p, uint32_t seq)
{
    uint8_t buf[HN_INJECT_PACKET_MAX];
    size_t len = make_packet(buf, p, seq);
    return hn_inject_push(r, &c->next_seq[p], (uint64_t)p, seq % 2 ? HN_INJECT_RTCP : HN_INJECT_RTP,
                          buf, len);
}

typedef struct {
    HnInjectRing *ring;
    Consumer *consumer; /* only for the target pointer; never read by producers */
    GMainContext *ctx;
    int index;
    uint32_t n;
    uint64_t ok, full;
    int other_errors;
    gint *done;
} Producer;

static gpointer producer_main(gpointer data)
{
    Producer *p = data;
    for (uint32_t seq = 0; seq < p->n; seq++) {
        int rc = push_seq(p->ring, p->consumer, p->index, seq);
        if (rc == 0)
            p->ok++;
        else if (rc == -ENOBUFS) {
            p->full++;        /* dropped: not pushed again */
            g_thread_yield(); /* let the worker drain, so most packets get through */
        } else
            p->other_errors++;
    }
    hn_inject_ring_unref(p->ring);
    if (p->done) {
        g_atomic_int_inc(p->done);
        g_main_context_wakeup(p->ctx);
    }
    return NULL;
}

static void start_producers(Producer *prod, GThread **threads, HnInjectRing *r, Consumer *c,
                            GMainContext *ctx, uint32_t n, gint *done)
{
    for (int i = 0; i < PRODUCERS; i++) {
        prod[i] = (Producer){.ring = hn_inject_ring_ref(r),
                             .consumer = c,
                             .ctx = ctx,
                             .index = i,
                             .n = n,
                             .done = done};
        threads[i] = g_thread_new("producer", producer_main, &prod[i]);
    }
}

/* 4 threads x 100,000 packets into 256 slots while the worker's loop drains: each packet is
 * delivered once, in its producer's order, or counted as dropped because the ring was full. */
static void test_four_producers(void **state)
{
    GMainContext *ctx = g_main_context_new();
    Consumer c = {0};
    HnInjectRing *r = hn_inject_ring_new(ctx, 256, deliver, &c, NULL);
    assert_non_null(r);
    c.ring = r;
    Producer prod[PRODUCERS];
    GThread *threads[PRODUCERS];
    gint done = 0;
    const uint32_t n = 100000;
    start_producers(prod, threads, r, &c, ctx, n, &done);
    while (g_atomic_int_get(&done) < PRODUCERS)
        g_main_context_iteration(ctx, TRUE);
    uint64_t ok = 0, full = 0;
    for (int i = 0; i < PRODUCERS; i++) {
        g_thread_join(threads[i]);
        assert_int_equal(prod[i].other_errors, 0);
        assert_int_equal(prod[i].ok + prod[i].full, n);
        ok += prod[i].ok;
        full += prod[i].full;
    }
    /* Every accepted push left a wake-up pending: the loop gets the rest. */
    while (c.total < ok)
        g_main_context_iteration(ctx, TRUE);
    assert_int_equal(c.bad_meta, 0);
    assert_int_equal(c.out_of_order, 0);
    for (int i = 0; i < PRODUCERS; i++)
        assert_int_equal(c.got[i], prod[i].ok);
    HnInjectStats st;
    hn_inject_ring_get_stats(r, &st);
    assert_int_equal(st.pushed, ok);
    assert_int_equal(st.delivered, ok);
    assert_int_equal(st.dropped_full, full);
    assert_int_equal(hn_inject_ring_dropped(r), full);
    assert_int_equal(st.pushed + st.dropped_full, (uint64_t)PRODUCERS * n);
    /* A producer writes the eventfd only after the worker saw the ring empty, at most once per
     * dispatch; the ratio itself depends on scheduling, so it is printed, not asserted. */
    assert_true(st.wakeups <= st.dispatches + 1);
    assert_true(st.wakeups <= st.delivered);
    printf("# 4 x %u packets: %" G_GUINT64_FORMAT " delivered, %" G_GUINT64_FORMAT
           " dropped (full), %" G_GUINT64_FORMAT " wake-ups, %" G_GUINT64_FORMAT " dispatches\n",
           n, st.delivered, st.dropped_full, st.wakeups, st.dispatches);
    hn_inject_ring_close(r);
    hn_inject_ring_unref(r);
    g_main_context_unref(ctx);
}

/* Packets pushed from 4 threads while the worker is busy wake it once, and arrive in one batch. */
static void test_one_wakeup_per_batch(void **state)
{
    GMainContext *ctx = g_main_context_new();
    Consumer c = {0};
    HnInjectRing *r = hn_inject_ring_new(ctx, 256, deliver, &c, NULL);
    Producer prod[PRODUCERS];
    GThread *threads[PRODUCERS];
    start_producers(prod, threads, r, &c, ctx, 50, NULL);
    for (int i = 0; i < PRODUCERS; i++) {
        g_thread_join(threads[i]);
        assert_int_equal(prod[i].ok, 50);
    }
    HnInjectStats st;
    hn_inject_ring_get_stats(r, &st);
    assert_int_equal(st.wakeups, 1);
    assert_true(g_main_context_iteration(ctx, FALSE));
    assert_int_equal(c.total, 200);
    assert_int_equal(c.out_of_order + c.bad_meta, 0);
    hn_inject_ring_get_stats(r, &st);
    assert_int_equal(st.dispatches, 1);
    /* Empty again: the next push wakes the loop again, once. */
    for (uint32_t s = 50; s < 60; s++)
        assert_int_equal(push_seq(r, &c, 0, s), 0);
    hn_inject_ring_get_stats(r, &st);
    assert_int_equal(st.wakeups, 2);
    while (g_main_context_iteration(ctx, FALSE))
        ;
    assert_int_equal(c.total, 210);
    hn_inject_ring_close(r);
    hn_inject_ring_unref(r);
    g_main_context_unref(ctx);
}

/* A full ring refuses with -ENOBUFS; a long backlog is delivered HN_INJECT_DISPATCH_BUDGET per
 * loop turn, so other sources of the worker get their turn in between. */
static void test_full_and_budget(void **state)
{
    GMainContext *ctx = g_main_context_new();
    Consumer c = {0};
    HnInjectRing *r = hn_inject_ring_new(ctx, 600, deliver, &c, NULL);
    assert_int_equal(hn_inject_ring_capacity(r), 600);
    for (uint32_t s = 0; s < 600; s++)
        assert_int_equal(push_seq(r, &c, 1, s), 0);
    assert_int_equal(push_seq(r, &c, 1, 600), -ENOBUFS);
    assert_int_equal(hn_inject_ring_dropped(r), 1);
    g_main_context_iteration(ctx, FALSE);
    assert_int_equal(c.total, HN_INJECT_DISPATCH_BUDGET);
    g_main_context_iteration(ctx, FALSE);
    assert_int_equal(c.total, 2 * HN_INJECT_DISPATCH_BUDGET);
    /* Room again: the producer continues where it left off. */
    assert_int_equal(push_seq(r, &c, 1, 601), 0);
    while (g_main_context_iteration(ctx, FALSE))
        ;
    assert_int_equal(c.total, 601);
    assert_int_equal(c.out_of_order + c.bad_meta, 0);
    hn_inject_ring_close(r);
    hn_inject_ring_unref(r);
    g_main_context_unref(ctx);
}

/* The delay bound: packets that waited longer than the ring's max age are counted, never
 * delivered late; fresh ones (here a 5 s bound) are delivered in order. */
static void test_late_packets_dropped(void **state)
{
    GMainContext *ctx = g_main_context_new();
    Consumer c = {0};
    HnInjectRing *r = hn_inject_ring_new(ctx, 64, deliver, &c, NULL);
    hn_inject_ring_set_max_age(r, 1000); /* 1 ms */
    for (uint32_t s = 0; s < 10; s++)
        assert_int_equal(push_seq(r, &c, 2, s), 0);
    g_usleep(20000); /* the worker was busy for 20 ms */
    while (g_main_context_iteration(ctx, FALSE))
        ;
    HnInjectStats st;
    hn_inject_ring_get_stats(r, &st);
    assert_int_equal(c.total, 0);
    assert_int_equal(st.dropped_late, 10);
    assert_int_equal(hn_inject_ring_dropped(r), 10);
    hn_inject_ring_set_max_age(r, 5 * G_USEC_PER_SEC);
    for (uint32_t s = 10; s < 15; s++)
        assert_int_equal(push_seq(r, &c, 2, s), 0);
    while (g_main_context_iteration(ctx, FALSE))
        ;
    assert_int_equal(c.total, 5);
    assert_int_equal(c.out_of_order + c.bad_meta, 0);
    hn_inject_ring_close(r);
    hn_inject_ring_unref(r);
    g_main_context_unref(ctx);
}

static void test_bad_sizes(void **state)
{
    GMainContext *ctx = g_main_context_new();
    Consumer c = {0};
    HnInjectRing *r = hn_inject_ring_new(ctx, 4, deliver, &c, NULL);
    uint8_t big[HN_INJECT_PACKET_MAX + 1] = {0};
    assert_int_equal(hn_inject_push(r, NULL, 0, HN_INJECT_RTP, big, 0), -EMSGSIZE);
    assert_int_equal(hn_inject_push(r, NULL, 0, HN_INJECT_RTP, big, sizeof big), -EMSGSIZE);
    assert_int_equal(hn_inject_push(r, NULL, 0, HN_INJECT_RTP, NULL, 10), -EMSGSIZE);
    HnInjectStats st;
    hn_inject_ring_get_stats(r, &st);
    assert_int_equal(st.dropped_size, 3);
    assert_int_equal(st.wakeups, 0);
    hn_inject_ring_close(r);
    hn_inject_ring_unref(r);
    g_main_context_unref(ctx);
}

/* Close with packets queued: none is delivered, they are counted, later pushes fail. */
static void test_close_with_pending(void **state)
{
    GMainContext *ctx = g_main_context_new();
    Consumer c = {0};
    HnInjectRing *r = hn_inject_ring_new(ctx, 256, deliver, &c, NULL);
    HnInjectRing *producer_ref = hn_inject_ring_ref(r);
    for (uint32_t s = 0; s < 100; s++)
        assert_int_equal(push_seq(producer_ref, &c, 2, s), 0);
    hn_inject_ring_close(r);
    hn_inject_ring_close(r); /* idempotent */
    hn_inject_ring_unref(r);
    assert_int_equal(push_seq(producer_ref, &c, 2, 100), -EPIPE);
    while (g_main_context_iteration(ctx, FALSE))
        ;
    assert_int_equal(c.total, 0);
    HnInjectStats st;
    hn_inject_ring_get_stats(producer_ref, &st);
    assert_int_equal(st.dropped_closed, 101);
    assert_int_equal(st.delivered, 0);
    hn_inject_ring_unref(producer_ref); /* the last reference: frees */
    g_main_context_unref(ctx);
}

/* The worker closes the ring from inside a delivery: the rest of the batch is not delivered. */
static void test_close_from_deliver(void **state)
{
    GMainContext *ctx = g_main_context_new();
    Consumer c = {.close_at = 3};
    HnInjectRing *r = hn_inject_ring_new(ctx, 16, deliver, &c, NULL);
    c.ring = r;
    for (uint32_t s = 0; s < 10; s++)
        assert_int_equal(push_seq(r, &c, 3, s), 0);
    while (g_main_context_iteration(ctx, FALSE))
        ;
    assert_int_equal(c.total, 3);
    assert_int_equal(c.after_close, 0);
    HnInjectStats st;
    hn_inject_ring_get_stats(r, &st);
    assert_int_equal(st.delivered, 3);
    assert_int_equal(st.dropped_closed, 7);
    hn_inject_ring_unref(r);
    g_main_context_unref(ctx);
}

typedef struct {
    HnInjectRing *ring;
    Consumer *consumer;
    uint64_t ok, refused_closed;
} Racer;

static gpointer racer_main(gpointer data)
{
    Racer *rc = data;
    for (uint32_t seq = 0;; seq++) {
        int e = push_seq(rc->ring, rc->consumer, 0, seq);
        if (e == 0)
            rc->ok++;
        if (e == -EPIPE) {
            rc->refused_closed++;
            break;
        }
        if (e == -ENOBUFS)
            g_thread_yield();
    }
    hn_inject_ring_unref(rc->ring); /* often the last reference */
    return NULL;
}

/* A producer pushing while the worker closes and drops the ring: it sees -EPIPE, frees the ring
 * with its last reference, and the worker receives nothing after the close. */
static void test_producer_races_close(void **state)
{
    for (int round = 0; round < 20; round++) {
        GMainContext *ctx = g_main_context_new();
        Consumer c = {0};
        HnInjectRing *r = hn_inject_ring_new(ctx, 32, deliver, &c, NULL);
        Racer rc = {.ring = hn_inject_ring_ref(r), .consumer = &c};
        GThread *t = g_thread_new("racer", racer_main, &rc);
        while (c.total < (uint64_t)round * 10 + 1)
            g_main_context_iteration(ctx, TRUE);
        hn_inject_ring_close(r);
        c.closed = TRUE;
        hn_inject_ring_unref(r);
        g_thread_join(t);
        while (g_main_context_iteration(ctx, FALSE))
            ;
        assert_int_equal(c.after_close, 0);
        assert_int_equal(rc.refused_closed, 1);
        assert_int_equal(c.out_of_order + c.bad_meta, 0);
        assert_true(c.total <= rc.ok);
        g_main_context_unref(ctx);
    }
}

/* A worker that goes away without closing: destroying its context releases the ring. */
static void test_context_destroyed(void **state)
{
    GMainContext *ctx = g_main_context_new();
    Consumer c = {0};
    HnInjectRing *r = hn_inject_ring_new(ctx, 8, deliver, &c, NULL);
    assert_int_equal(push_seq(r, &c, 0, 0), 0);
    hn_inject_ring_unref(r);
    g_main_context_unref(ctx); /* destroys the source, which drops the ring (leak check: ASan) */
    assert_int_equal(c.total, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_four_producers),       cmocka_unit_test(test_one_wakeup_per_batch),
        cmocka_unit_test(test_full_and_budget),      cmocka_unit_test(test_bad_sizes),
        cmocka_unit_test(test_late_packets_dropped), cmocka_unit_test(test_close_with_pending),
        cmocka_unit_test(test_close_from_deliver),   cmocka_unit_test(test_producer_races_close),
        cmocka_unit_test(test_context_destroyed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

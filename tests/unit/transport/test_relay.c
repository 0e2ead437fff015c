/* test_relay.c - the worker-to-worker relay (transport/relay.h): what the consumer receives
 * (every flushed packet once, in order, intact; nothing before a flush; late ones counted, not
 * delivered), how often it is woken, a full ring, close; and a producer thread racing the
 * consumer loop for a million packets (run under ThreadSanitizer by `scripts/test tsan-unit`). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "transport/relay.h"

typedef struct {
    uint64_t next, got, bad;
    HnRelay *relay;
    uint64_t close_at;
} Consumer;

static size_t make_packet(uint8_t *buf, uint64_t seq)
{
    size_t len = 12 + seq % 1200;
    memcpy(buf, &seq, sizeof seq);
    memset(buf + 8, (uint8_t)(seq * 13), len - 8);
    return len;
}

static void deliver(void *user, const HnRelayPacket *pkt, int64_t now_us)
{
    Consumer *c = user;
    uint64_t seq;
    memcpy(&seq, pkt->data, sizeof seq);
    if (pkt->target != seq * 3 || pkt->len != 12 + seq % 1200 || pkt->cap != HN_RELAY_SLOT_CAP ||
        pkt->data[pkt->len - 1] != (uint8_t)(seq * 13) || seq != c->next)
        c->bad++;
    c->next = seq + 1;
    c->got++;
    if (c->close_at && c->got == c->close_at)
        hn_relay_close(c->relay);
}

static int push(HnRelay *r, uint64_t seq, int64_t now)
{
    uint8_t buf[HN_RELAY_PACKET_MAX];
    size_t len = make_packet(buf, seq);
    return hn_relay_push(r, seq * 3, buf, len, now);
}

static void run(GMainContext *ctx)
{
    while (g_main_context_iteration(ctx, FALSE))
        ;
}

/* Nothing is visible before the flush; one wake-up for the batch; order and bytes intact. */
static void test_flush_publishes_a_batch(void **state)
{
    GMainContext *ctx = g_main_context_new();
    Consumer c = {0};
    HnRelay *r = hn_relay_new(ctx, 64, deliver, &c, NULL);
    int64_t now = g_get_monotonic_time();
    for (uint64_t s = 0; s < 40; s++)
        assert_int_equal(push(r, s, now), 0);
    run(ctx);
    assert_int_equal(c.got, 0);
    hn_relay_flush(r);
    hn_relay_flush(r); /* nothing new: no second wake-up */
    run(ctx);
    assert_int_equal(c.got, 40);
    assert_int_equal(c.bad, 0);
    HnRelayStats st;
    hn_relay_get_stats(r, &st);
    assert_int_equal(st.pushed, 40);
    assert_int_equal(st.delivered, 40);
    assert_int_equal(st.flushes, 1);
    assert_int_equal(st.wakeups, 1);
    hn_relay_close(r);
    hn_relay_unref(r);
    g_main_context_unref(ctx);
}

/* A full ring refuses (counted) and takes again once the consumer has caught up; the budget
 * leaves the rest for the next loop turn. */
static void test_full_and_budget(void **state)
{
    GMainContext *ctx = g_main_context_new();
    Consumer c = {0};
    HnRelay *r = hn_relay_new(ctx, 512, deliver, &c, NULL);
    int64_t now = g_get_monotonic_time();
    for (uint64_t s = 0; s < 512; s++)
        assert_int_equal(push(r, s, now), 0);
    assert_int_equal(push(r, 512, now), -ENOBUFS);
    hn_relay_flush(r);
    g_main_context_iteration(ctx, FALSE);
    assert_int_equal(c.got, HN_RELAY_DISPATCH_BUDGET);
    run(ctx);
    assert_int_equal(c.got, 512);
    assert_int_equal(push(r, 512, now), 0);
    hn_relay_flush(r);
    run(ctx);
    assert_int_equal(c.got, 513);
    assert_int_equal(c.bad, 0);
    HnRelayStats st;
    hn_relay_get_stats(r, &st);
    assert_int_equal(st.dropped_full, 1);
    uint8_t big[HN_RELAY_PACKET_MAX + 1] = {0};
    assert_int_equal(hn_relay_push(r, 0, big, sizeof big, now), -EMSGSIZE);
    assert_int_equal(hn_relay_push(r, 0, big, 0, now), -EMSGSIZE);
    hn_relay_get_stats(r, &st);
    assert_int_equal(st.dropped_size, 2);
    hn_relay_close(r);
    hn_relay_unref(r);
    g_main_context_unref(ctx);
}

/* The delay bound: packets pushed more than the max age before the consumer reaches them are
 * counted and not delivered; fresh ones are. */
static void test_late_dropped(void **state)
{
    GMainContext *ctx = g_main_context_new();
    Consumer c = {0};
    HnRelay *r = hn_relay_new(ctx, 64, deliver, &c, NULL);
    hn_relay_set_max_age(r, 100000);
    int64_t now = g_get_monotonic_time();
    for (uint64_t s = 0; s < 10; s++)
        assert_int_equal(push(r, s, now - 500000), 0); /* stamped half a second ago */
    for (uint64_t s = 10; s < 15; s++)
        assert_int_equal(push(r, s, now + 10 * G_USEC_PER_SEC), 0);
    hn_relay_flush(r);
    c.next = 10;
    run(ctx);
    HnRelayStats st;
    hn_relay_get_stats(r, &st);
    assert_int_equal(st.dropped_late, 10);
    assert_int_equal(c.got, 5);
    assert_int_equal(c.bad, 0);
    hn_relay_close(r);
    hn_relay_unref(r);
    g_main_context_unref(ctx);
}

/* Close from inside deliver: nothing more is delivered, what was queued is counted, later pushes
 * fail. */
static void test_close(void **state)
{
    GMainContext *ctx = g_main_context_new();
    Consumer c = {.close_at = 7};
    HnRelay *r = hn_relay_new(ctx, 64, deliver, &c, NULL);
    c.relay = r;
    hn_relay_ref(r); /* the producer's */
    int64_t now = g_get_monotonic_time();
    for (uint64_t s = 0; s < 20; s++)
        assert_int_equal(push(r, s, now), 0);
    hn_relay_flush(r);
    run(ctx);
    assert_int_equal(c.got, 7);
    assert_int_equal(push(r, 20, now), -EPIPE);
    HnRelayStats st;
    hn_relay_get_stats(r, &st);
    assert_int_equal(st.dropped_closed, 13 + 1);
    hn_relay_unref(r); /* the consumer's */
    hn_relay_unref(r); /* the producer's: the last */
    g_main_context_unref(ctx);
}

typedef struct {
    HnRelay *relay;
    uint64_t n, retries;
} Producer;

static gpointer producer_main(gpointer data)
{
    Producer *p = data;
    uint64_t s = 0;
    while (s < p->n) {
        int64_t now = g_get_monotonic_time();
        for (int i = 0; i < 32 && s < p->n; i++) { /* a receive batch */
            if (push(p->relay, s, now) == 0) {
                s++;
            } else {
                p->retries++;
                break;
            }
        }
        hn_relay_flush(p->relay);
        if (p->retries && s % 4096 == 0)
            g_thread_yield();
    }
    hn_relay_unref(p->relay);
    return NULL;
}

/* A producer thread and the consumer's loop: every packet arrives once, in order, intact (the
 * producer retries when full, so none is lost). */
static void test_two_threads(void **state)
{
    GMainContext *ctx = g_main_context_new();
    Consumer c = {0};
    HnRelay *r = hn_relay_new(ctx, 256, deliver, &c, NULL);
    Producer p = {.relay = hn_relay_ref(r), .n = 300000};
    GThread *t = g_thread_new("producer", producer_main, &p);
    while (c.got < p.n)
        g_main_context_iteration(ctx, TRUE);
    g_thread_join(t);
    assert_int_equal(c.got, p.n);
    assert_int_equal(c.bad, 0);
    HnRelayStats st;
    hn_relay_get_stats(r, &st);
    assert_int_equal(st.pushed, p.n);
    assert_int_equal(st.delivered, p.n);
    assert_true(st.wakeups <= st.flushes);
    hn_relay_close(r);
    hn_relay_unref(r);
    g_main_context_unref(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flush_publishes_a_batch),
        cmocka_unit_test(test_full_and_budget),
        cmocka_unit_test(test_late_dropped),
        cmocka_unit_test(test_close),
        cmocka_unit_test(test_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The relays between workers of a pool (one room across workers): packets pushed on one worker
 * reach the endpoint registered on another, in order, flushed by the producer's loop turn even
 * below the flush batch; a packet for no endpoint is counted and dropped; counters per pair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "transport/worker.h"

#define N_PACKETS 1000

typedef struct {
    HnWorkerPool *pool;
    HnWorker *w0, *w1;
    uint64_t key;
    atomic_int got;       /* written by worker 1 */
    atomic_int in_order;  /* 1 while every packet came in push order */
    atomic_int tag_wrong; /* packets whose low target bits were not as pushed */
    int next;             /* worker 1 only */
    int count;            /* packets worker 0 pushes in one call */
    atomic_int push_errors;
    atomic_int bad; /* checks that failed on a worker thread (cmocka asserts on the test's) */
} Fx;

#define CHECK(f, cond)                                                                             \
    do {                                                                                           \
        if (!(cond))                                                                               \
            atomic_fetch_add(&(f)->bad, 1);                                                        \
    } while (0)

static void on_packet(void *user, const HnRelayPacket *pkt, int64_t now_us)
{
    Fx *f = user;
    uint32_t seq;
    CHECK(f, pkt->len == 100);
    memcpy(&seq, pkt->data, sizeof seq);
    if ((int)seq != f->next)
        atomic_store(&f->in_order, 0);
    if ((pkt->target & 3) != (seq & 3))
        atomic_fetch_add(&f->tag_wrong, 1);
    f->next = (int)seq + 1;
    atomic_fetch_add(&f->got, 1);
}

static gboolean do_register(gpointer data)
{
    Fx *f = data;
    hn_worker_relay_register(f->w1, f->key, on_packet, f);
    CHECK(f, hn_worker_relay_find(f->w1, f->key, on_packet) == f);
    CHECK(f, hn_worker_relay_find(f->w1, f->key + 1, on_packet) == NULL);
    return G_SOURCE_REMOVE;
}

static gboolean do_unregister(gpointer data)
{
    Fx *f = data;
    hn_worker_relay_unregister(f->w1, f->key);
    return G_SOURCE_REMOVE;
}

static int sent; /* worker 0 only */

static gboolean do_push(gpointer data)
{
    Fx *f = data;
    uint8_t pkt[100] = {0};
    for (int i = 0; i < f->count; i++, sent++) {
        uint32_t seq = (uint32_t)sent;
        memcpy(pkt, &seq, sizeof seq);
        if (hn_worker_relay_push(f->w0, f->w1, f->key << 2 | (seq & 3), pkt, sizeof pkt,
                                 g_get_monotonic_time()) < 0)
            atomic_fetch_add(&f->push_errors, 1);
    }
    /* to itself: no relay */
    CHECK(f, hn_worker_relay_push(f->w0, f->w0, f->key << 2, pkt, sizeof pkt, 0) == -ENOTCONN);
    return G_SOURCE_REMOVE;
}

static void wait_for(Fx *f, int n)
{
    for (int i = 0; i < 400 && atomic_load(&f->got) < n; i++)
        g_usleep(5000);
    assert_int_equal(atomic_load(&f->got), n);
}

static void test_relay_between_workers(void **state)
{
    Fx f = {0};
    atomic_init(&f.in_order, 1);
    f.pool = hn_worker_pool_new(2);
    assert_false(hn_worker_pool_has_relays(f.pool));
    hn_worker_pool_open_relays(f.pool, 0);
    assert_true(hn_worker_pool_has_relays(f.pool));
    f.w0 = hn_worker_pool_get(f.pool, 0);
    f.w1 = hn_worker_pool_get(f.pool, 1);
    f.key = hn_worker_relay_key();
    assert_true(f.key != 0 && hn_worker_relay_key() != f.key);
    hn_worker_invoke(f.w1, do_register, &f, NULL);
    hn_worker_pool_sync(f.pool);

    /* fewer than a flush batch: published by the producer's next loop turn */
    f.count = 3;
    hn_worker_invoke(f.w0, do_push, &f, NULL);
    wait_for(&f, 3);
    /* many batches */
    f.count = N_PACKETS;
    hn_worker_invoke(f.w0, do_push, &f, NULL);
    wait_for(&f, 3 + N_PACKETS);
    assert_int_equal(atomic_load(&f.in_order), 1);
    assert_int_equal(atomic_load(&f.tag_wrong), 0);
    assert_int_equal(atomic_load(&f.push_errors), 0);

    /* after the endpoint is gone: counted as unknown, never delivered to it */
    hn_worker_invoke(f.w1, do_unregister, &f, NULL);
    hn_worker_pool_sync(f.pool);
    f.count = 10;
    hn_worker_invoke(f.w0, do_push, &f, NULL);
    HnRelayStats st;
    uint64_t unknown = 0;
    for (int i = 0; i < 400 && unknown < 10; i++) {
        g_usleep(5000);
        assert_true(hn_worker_pool_relay_stats(f.pool, 0, 1, &st, &unknown));
    }
    assert_int_equal(unknown, 10);
    assert_int_equal(atomic_load(&f.got), 3 + N_PACKETS);
    assert_int_equal(st.pushed, 3 + N_PACKETS + 10);
    assert_int_equal(st.delivered, 3 + N_PACKETS + 10);
    assert_int_equal(st.dropped_full, 0);
    assert_true(st.flushes >= N_PACKETS / HN_WORKER_RELAY_FLUSH_EVERY);
    assert_true(hn_worker_pool_relay_stats(f.pool, 1, 0, &st, &unknown));
    assert_int_equal(st.pushed, 0);
    assert_false(hn_worker_pool_relay_stats(f.pool, 0, 0, &st, &unknown));
    assert_int_equal(atomic_load(&f.bad), 0);
    hn_worker_pool_free(f.pool);
}

static void test_single_worker_has_no_relays(void **state)
{
    HnWorkerPool *pool = hn_worker_pool_new(1);
    hn_worker_pool_open_relays(pool, 0);
    assert_false(hn_worker_pool_has_relays(pool));
    HnRelayStats st;
    uint64_t unknown;
    assert_false(hn_worker_pool_relay_stats(pool, 0, 0, &st, &unknown));
    hn_worker_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relay_between_workers),
        cmocka_unit_test(test_single_worker_has_no_relays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

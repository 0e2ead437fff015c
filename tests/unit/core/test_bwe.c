/* Unit tests of core/bwe on a simulated link (fake clock, no network): a paced sender sends at
 * the estimate through a bottleneck of fixed capacity with a drop-tail queue; the receiver
 * answers with transport-cc feedback every 100 ms, written and parsed by core/twcc. The estimate
 * converges near the capacity (500 kbit/s, 1 Mbit/s, 2.5 Mbit/s) within 15 s, backs off under
 * random loss, and recovers when the link improves. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/bwe.h"
#include "core/rtcp.h"
#include "core/twcc.h"

static uint32_t rnd(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

#define MAXP 200000

typedef struct {
    double cap_bps;       /* bottleneck capacity */
    int64_t queue_us;     /* drop-tail queue, in time at capacity */
    int64_t prop_us;      /* one-way propagation delay */
    unsigned loss_pct;    /* random loss on top, per mille x 10 */
    double app_limit_bps; /* the sender never sends more than this (0: no limit) */
} Link;

typedef struct {
    HnBwe bwe;
    HnTwccFeedback fb;
    int64_t arrival[MAXP]; /* by transport seq (not wrapped in these runs: < 65536 per phase) */
    int64_t now, link_free_us;
    uint32_t seed;
    unsigned next_fb_seq, sent;
    double credit_bytes;
    double sum_est, n_est; /* average over the measured window */
    uint64_t min_est, max_est;
} Sim;

static Sim *sim_new(uint64_t start)
{
    Sim *s = calloc(1, sizeof *s);
    HnBweConfig cfg = HN_BWE_CONFIG_DEFAULT;
    cfg.start_bps = start;
    hn_bwe_init(&s->bwe, &cfg);
    s->now = 1000000;
    s->seed = 12345;
    return s;
}

/* Sends the packets the receiver has (or has lost) at s->now as feedback, as a real receiver
 * would: up to the last packet that arrived, in chunks of at most 1200 bytes. */
static void feedback(Sim *s)
{
    unsigned last = s->next_fb_seq;
    for (unsigned q = s->next_fb_seq; q < s->sent; q++) {
        if (s->arrival[q] != HN_TWCC_LOST && s->arrival[q] <= s->now)
            last = q + 1;
    }
    uint8_t buf[1200];
    while (s->next_fb_seq < last) {
        unsigned first = s->next_fb_seq;
        while (first < last && s->arrival[first] == HN_TWCC_LOST)
            first++;
        if (first == last)
            break;
        int64_t arr[HN_TWCC_MAX_STATUS];
        size_t n = last - first < HN_TWCC_MAX_STATUS ? last - first : HN_TWCC_MAX_STATUS;
        for (size_t i = 0; i < n; i++)
            arr[i] = s->arrival[first + i] <= s->now ? s->arrival[first + i] : HN_TWCC_LOST;
        size_t covered;
        int len = hn_twcc_write(buf, sizeof buf, 1, 2, (uint16_t)first, 0, arr, n, &covered);
        assert_true(len > 0);
        assert_int_equal(hn_twcc_parse(buf, (size_t)len, &s->fb), 0);
        hn_bwe_on_feedback(&s->bwe, &s->fb, s->now + 20000);
        s->next_fb_seq = first + (unsigned)covered;
    }
}

/* Runs the link for dur_us; the estimate is averaged over the last measure_us. */
static void run(Sim *s, const Link *l, int64_t dur_us, int64_t measure_us)
{
    int64_t end = s->now + dur_us;
    s->sum_est = s->n_est = 0;
    s->min_est = UINT64_MAX;
    s->max_est = 0;
    int64_t next_fb = s->now + 100000;
    for (; s->now < end; s->now += 1000) {
        double rate = (double)hn_bwe_estimate(&s->bwe);
        if (l->app_limit_bps > 0 && rate > l->app_limit_bps)
            rate = l->app_limit_bps;
        s->credit_bytes += rate / 8 / 1000; /* a pacer: 1 ms of the rate */
        while (s->credit_bytes >= 1200 && s->sent < MAXP) {
            s->credit_bytes -= 1200;
            uint16_t seq = hn_bwe_on_send(&s->bwe, 1200, s->now);
            assert_int_equal(seq, (uint16_t)s->sent);
            int64_t start = s->link_free_us > s->now ? s->link_free_us : s->now;
            bool dropped = start - s->now > l->queue_us ||
                           (l->loss_pct && rnd(&s->seed) % 1000 < l->loss_pct * 10);
            if (dropped) {
                s->arrival[s->sent++] = HN_TWCC_LOST;
                continue;
            }
            s->link_free_us = start + (int64_t)(1200 * 8 * 1e6 / l->cap_bps);
            s->arrival[s->sent++] = s->link_free_us + l->prop_us;
        }
        if (s->now >= next_fb) {
            feedback(s);
            next_fb += 100000;
        }
        if (end - s->now <= measure_us) {
            uint64_t e = hn_bwe_estimate(&s->bwe);
            s->sum_est += (double)e;
            s->n_est++;
            s->min_est = e < s->min_est ? e : s->min_est;
            s->max_est = e > s->max_est ? e : s->max_est;
        }
    }
}

static double avg(const Sim *s)
{
    return s->sum_est / s->n_est;
}

static void converge(double cap, uint64_t start)
{
    Sim *s = sim_new(start);
    Link l = {.cap_bps = cap, .queue_us = 300000, .prop_us = 20000};
    /* 15 s to converge, then the average over the next 10 s is near the capacity and the
     * estimate never strays far */
    run(s, &l, 15000000, 0);
    run(s, &l, 10000000, 10000000);
    printf("# cap %.0f start %llu: avg %.0f min %llu max %llu, delay cuts %llu loss cuts %llu\n",
           cap, (unsigned long long)start, avg(s), (unsigned long long)s->min_est,
           (unsigned long long)s->max_est, (unsigned long long)s->bwe.stats.decreases_delay,
           (unsigned long long)s->bwe.stats.decreases_loss);
    assert_true(avg(s) > 0.7 * cap);
    assert_true(avg(s) < 1.15 * cap);
    assert_true((double)s->min_est > 0.5 * cap);
    assert_true((double)s->max_est < 1.4 * cap);
    assert_true(s->bwe.stats.decreases_delay > 0); /* the delay signal found the capacity */
    free(s);
}

static void test_converges_500k(void **state)
{
    (void)state;
    converge(500000, 800000); /* start above the link */
}

static void test_converges_1m(void **state)
{
    (void)state;
    converge(1000000, 300000); /* start below the link */
}

static void test_converges_2500k(void **state)
{
    (void)state;
    converge(2500000, 800000);
}

static void test_backs_off_on_loss(void **state)
{
    (void)state;
    /* a fat link with 20 % random loss: the loss-based estimate falls */
    Sim *s = sim_new(2000000);
    Link l = {.cap_bps = 50e6, .queue_us = 300000, .prop_us = 20000, .loss_pct = 20};
    run(s, &l, 10000000, 2000000);
    printf("# 20%% loss: avg %.0f loss %.3f\n", avg(s), hn_bwe_loss(&s->bwe));
    assert_true(hn_bwe_loss(&s->bwe) > 0.1);
    assert_true(s->bwe.stats.decreases_loss > 0);
    assert_true(avg(s) < 500000);
    /* 1 % loss: no longer a reason to cut; the estimate grows again */
    l.loss_pct = 1;
    uint64_t before = hn_bwe_estimate(&s->bwe);
    run(s, &l, 15000000, 1000000);
    printf("# then 1%% loss: avg %.0f (from %llu)\n", avg(s), (unsigned long long)before);
    assert_true(avg(s) > 2.0 * (double)before);
    free(s);
}

static void test_capacity_drop(void **state)
{
    (void)state;
    /* 2 Mbit/s, then the link falls to 500 kbit/s: the estimate follows within 5 s */
    Sim *s = sim_new(800000);
    Link l = {.cap_bps = 2e6, .queue_us = 300000, .prop_us = 20000};
    run(s, &l, 15000000, 1000000);
    assert_true(avg(s) > 1.4e6);
    l.cap_bps = 500000;
    run(s, &l, 5000000, 1000000);
    printf("# 2M -> 500k: avg %.0f over the 5th second\n", avg(s));
    assert_true(avg(s) < 700000);
    free(s);
}

static void test_app_limited(void **state)
{
    (void)state;
    /* a subscriber receiving only 100 kbit/s on a fat link: the estimate stays bounded by what
     * the link has shown (headroom x received + 200 kbit/s), then rises as the traffic does */
    Sim *s = sim_new(800000);
    Link l = {.cap_bps = 50e6, .queue_us = 300000, .prop_us = 20000, .app_limit_bps = 100000};
    run(s, &l, 10000000, 1000000);
    printf("# app-limited at 100 kbit/s: max %llu over the 10th second\n",
           (unsigned long long)s->max_est);
    assert_true(s->max_est <= 1000000); /* start 800 kbit/s, grown at most 25 % */
    l.app_limit_bps = 1000000;
    run(s, &l, 20000000, 1000000);
    printf("# then 1 Mbit/s of traffic: avg %.0f\n", avg(s));
    assert_true(avg(s) > 1000000);
    /* bad config is repaired */
    HnBwe *b = malloc(sizeof *b);
    HnBweConfig cfg = {.start_bps = 1, .min_bps = 0, .max_bps = 0};
    hn_bwe_init(b, &cfg);
    assert_true(hn_bwe_estimate(b) > 0);
    free(b);
    free(s);
}

static void test_unknown_feedback(void **state)
{
    (void)state;
    /* feedback about packets never sent is counted and ignored */
    HnBwe *b = malloc(sizeof *b);
    hn_bwe_init(b, NULL);
    HnTwccFeedback *fb = calloc(1, sizeof *fb);
    fb->base_seq = 500;
    fb->status_count = 10;
    for (int i = 0; i < 10; i++)
        fb->arrival_us[i] = 1000 * i;
    hn_bwe_on_feedback(b, fb, 1000000);
    assert_int_equal(b->stats.packets_unknown, 10);
    assert_int_equal(hn_bwe_estimate(b), HN_BWE_CONFIG_DEFAULT.start_bps);
    free(fb);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_converges_500k),   cmocka_unit_test(test_converges_1m),
        cmocka_unit_test(test_converges_2500k),  cmocka_unit_test(test_backs_off_on_loss),
        cmocka_unit_test(test_capacity_drop),    cmocka_unit_test(test_app_limited),
        cmocka_unit_test(test_unknown_feedback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

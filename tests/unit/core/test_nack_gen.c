/* Unit tests of core/nack_gen: seeded random loss against a simulated publisher that answers
 * NACKs after an RTT (what is recovered, what is given up), reordering, wrap, retry timing, the
 * list bound. Fake clock, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/nack_gen.h"

/* Deterministic PRNG (xorshift32): the same seed gives the same losses on every machine. */
static uint32_t rnd(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static bool lose(uint32_t *s, unsigned pct)
{
    return rnd(s) % 1000 < pct * 10;
}

typedef struct {
    unsigned packets, lost, recovered_at_receiver, never_arrived;
    HnNackGenStats st;
} SimResult;

/* A publisher sends `packets` packets 2 ms apart starting at seq first (so a run can cross the
 * wrap); each is lost with loss_pct; every NACKed seq is retransmitted, the retransmission
 * arriving rtt_us later and lost with the same probability (answer == false: never answered).
 * known_rtt: the generator is told the RTT. Runs until 2 s after the last packet. */
static SimResult simulate(unsigned packets, unsigned loss_pct, int64_t rtt_us, bool known_rtt,
                          bool answer, uint32_t seed, uint16_t first)
{
    HnNackGen g;
    hn_nack_gen_init(&g, NULL);
    if (known_rtt)
        hn_nack_gen_set_rtt(&g, rtt_us);
    SimResult res = {.packets = packets};
    bool *have = calloc(packets, sizeof(bool));
    /* retransmissions in flight: (arrival time, index) */
    enum { MAXQ = 65536 };
    int64_t *q_at = calloc(MAXQ, sizeof(int64_t));
    unsigned *q_idx = calloc(MAXQ, sizeof(unsigned));
    unsigned qn = 0;
    uint32_t s = seed;
    int64_t t0 = 1000000, now = t0, end = t0 + (int64_t)packets * 2000 + 2000000;
    unsigned next = 0;
    for (; now <= end; now += 1000) {
        if (next < packets && now >= t0 + (int64_t)next * 2000) {
            if (next > 0 && next + 1 < packets && lose(&s, loss_pct)) { /* unseen if first/last */
                res.lost++;
            } else {
                have[next] = true;
                hn_nack_gen_on_rtp(&g, (uint16_t)(first + next), next % 300 == 0, now);
            }
            next++;
        }
        for (unsigned i = 0; i < qn;) {
            if (q_at[i] > now) {
                i++;
                continue;
            }
            unsigned idx = q_idx[i];
            have[idx] = true;
            hn_nack_gen_on_rtp(&g, (uint16_t)(first + idx), false, now);
            q_at[i] = q_at[qn - 1];
            q_idx[i] = q_idx[qn - 1];
            qn--;
        }
        if (hn_nack_gen_next_deadline(&g) <= now) {
            uint16_t seqs[HN_NACK_GEN_MAX];
            size_t n = hn_nack_gen_on_timeout(&g, now, seqs, HN_NACK_GEN_MAX);
            for (size_t k = 0; k < n && answer; k++) {
                if (lose(&s, loss_pct) || qn == MAXQ)
                    continue;
                q_at[qn] = now + rtt_us;
                q_idx[qn++] = (uint16_t)(seqs[k] - first);
            }
        }
    }
    for (unsigned i = 0; i < packets; i++)
        res.never_arrived += !have[i];
    res.st = g.stats;
    free(have);
    free(q_at);
    free(q_idx);
    return res;
}

static void report(const char *name, const SimResult *r)
{
    print_message("%s: %u packets, %u lost, %llu NACKs sent, %llu recovered (%.2f %%), %llu given "
                  "up, %llu duplicates, %u never arrived\n",
                  name, r->packets, r->lost, (unsigned long long)r->st.nack_sent,
                  (unsigned long long)r->st.recovered,
                  r->lost ? 100.0 * (double)r->st.recovered / r->lost : 100.0,
                  (unsigned long long)r->st.given_up, (unsigned long long)r->st.duplicates,
                  r->never_arrived);
}

static void test_loss_5_percent(void **state)
{
    (void)state;
    SimResult r = simulate(2000, 5, 60000, true, true, 12345, 1000);
    report("5% loss, RTT 60 ms known", &r);
    assert_true(r.lost > 50 && r.lost < 150);
    /* every lost packet is either recovered or given up, and nothing was missing twice */
    assert_int_equal(r.st.recovered + r.st.given_up, r.lost);
    assert_int_equal(r.st.reordered, 0);
    assert_true(r.st.recovered * 100 >= r.lost * 99);
    assert_int_equal(r.never_arrived, r.st.given_up);
    assert_int_equal(r.st.duplicates, 0);
}

static void test_loss_20_percent_default_rtt(void **state)
{
    (void)state;
    /* the RTT is unknown (default 100 ms) and the real one is 200 ms: retries come before the
     * answers, so some retransmissions arrive twice (duplicates) */
    SimResult r = simulate(2000, 20, 200000, false, true, 777, 65000); /* crosses the wrap */
    report("20% loss, RTT 200 ms unknown", &r);
    assert_true(r.lost > 300 && r.lost < 500);
    assert_int_equal(r.st.recovered + r.st.given_up, r.lost);
    assert_true(r.st.recovered * 100 >= r.lost * 98);
    assert_int_equal(r.never_arrived, r.st.given_up);
    assert_true(r.st.duplicates > 0);
}

static void test_no_answer_gives_up(void **state)
{
    (void)state;
    SimResult r = simulate(2000, 5, 60000, true, false, 4242, 0);
    report("5% loss, publisher never answers", &r);
    assert_int_equal(r.st.recovered, 0);
    assert_int_equal(r.st.given_up, r.lost);
    /* each seq was asked max_retries times: 10 x 90 ms < 1 s */
    assert_int_equal(r.st.nack_sent, (uint64_t)r.lost * HN_NACK_GEN_DEFAULTS.max_retries);
}

static void feed(HnNackGen *g, const uint16_t *seqs, size_t n, int64_t *now, int64_t step)
{
    for (size_t i = 0; i < n; i++) {
        hn_nack_gen_on_rtp(g, seqs[i], false, *now);
        *now += step;
    }
}

static void test_reordering_is_not_a_loss(void **state)
{
    (void)state;
    HnNackGen g;
    hn_nack_gen_init(&g, NULL);
    int64_t now = 0;
    /* swaps of neighbours, and one packet two places late, 1 ms apart */
    const uint16_t seqs[] = {1, 2, 4, 3, 5, 6, 8, 7, 9, 12, 10, 11, 13, 14, 15, 16, 17, 18};
    for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
        hn_nack_gen_on_rtp(&g, seqs[i], false, now);
        uint16_t out[8];
        if (hn_nack_gen_next_deadline(&g) <= now)
            assert_int_equal(hn_nack_gen_on_timeout(&g, now, out, 8), 0);
        now += 1000;
    }
    assert_int_equal(hn_nack_gen_missing(&g), 0);
    assert_int_equal(hn_nack_gen_next_deadline(&g), INT64_MAX);
    assert_int_equal(g.stats.nack_sent, 0);
    assert_int_equal(g.stats.reordered, 4);
}

static void test_wrap_and_retry_timing(void **state)
{
    (void)state;
    HnNackGen g;
    hn_nack_gen_init(&g, NULL);
    hn_nack_gen_set_rtt(&g, 40000);
    int64_t now = 5000000;
    const uint16_t seqs[] = {65532, 65533, 65535, 0, 2};
    feed(&g, seqs, 5, &now, 100); /* fast: the packet count has not passed them */
    assert_int_equal(hn_nack_gen_missing(&g), 2);
    int64_t seen = 5000000 + 200; /* 65534 was found missing at the third packet */
    assert_int_equal(hn_nack_gen_next_deadline(&g), seen + 10000);

    uint16_t out[8];
    assert_int_equal(hn_nack_gen_on_timeout(&g, seen + 9999, out, 8), 0);
    assert_int_equal(hn_nack_gen_on_timeout(&g, seen + 10000, out, 8), 1);
    assert_int_equal(out[0], 65534);
    /* the packet count passes seq 1: due at once */
    now = seen + 10100;
    const uint16_t more[] = {3, 4, 5, 6};
    feed(&g, more, 4, &now, 0);
    assert_int_equal(hn_nack_gen_next_deadline(&g), now);
    assert_int_equal(hn_nack_gen_on_timeout(&g, now, out, 8), 1);
    assert_int_equal(out[0], 1);
    /* the retry of 65534 comes 1.5 x RTT after its first NACK */
    assert_int_equal(hn_nack_gen_next_deadline(&g), seen + 10000 + 60000);
    assert_int_equal(hn_nack_gen_on_rtp(&g, 65534, false, now), HN_NACK_GEN_RECOVERED);
    assert_int_equal(hn_nack_gen_on_rtp(&g, 65534, false, now), HN_NACK_GEN_DUPLICATE);
    assert_int_equal(hn_nack_gen_on_rtp(&g, 1, false, now), HN_NACK_GEN_RECOVERED);
    assert_int_equal(hn_nack_gen_next_deadline(&g), INT64_MAX);
    assert_int_equal(g.stats.recovered, 2);
    assert_int_equal(g.stats.duplicates, 1);
}

static void test_list_bound_and_keyframe(void **state)
{
    (void)state;
    HnNackGen g;
    hn_nack_gen_init(&g, NULL);
    int64_t now = 0;
    hn_nack_gen_on_rtp(&g, 100, false, now);
    hn_nack_gen_on_rtp(&g, 1101, false, now); /* 1000 missing: only the newest 256 are kept */
    assert_int_equal(hn_nack_gen_missing(&g), HN_NACK_GEN_MAX);
    assert_int_equal(g.stats.given_up, 1000 - HN_NACK_GEN_MAX);
    /* a key frame, then more loss: the entries older than the key frame make room first */
    hn_nack_gen_on_rtp(&g, 1102, true, now);
    hn_nack_gen_on_rtp(&g, 1104, false, now);
    assert_int_equal(hn_nack_gen_missing(&g), 1);
    assert_int_equal(g.stats.given_up, 1000);
    /* a sender restart (a jump beyond HN_NACK_GEN_RESYNC) clears the list without counting */
    hn_nack_gen_on_rtp(&g, 30000, false, now);
    assert_int_equal(hn_nack_gen_missing(&g), 0);
    assert_int_equal(g.stats.given_up, 1000);
    /* a gap older than max_age is given up when it falls due */
    hn_nack_gen_on_rtp(&g, 30002, false, now);
    uint16_t out[4];
    assert_int_equal(hn_nack_gen_on_timeout(&g, now + 1000000, out, 4), 0);
    assert_int_equal(g.stats.given_up, 1001);
}

static void test_rtt_learnt_from_round_trips(void **state)
{
    (void)state;
    HnNackGen g;
    hn_nack_gen_init(&g, NULL);
    int64_t now = 0;
    hn_nack_gen_on_rtp(&g, 1, false, now);
    hn_nack_gen_on_rtp(&g, 3, false, now);
    uint16_t out[4];
    now = 10000;
    assert_int_equal(hn_nack_gen_on_timeout(&g, now, out, 4), 1);
    /* unknown RTT: the default (100 ms) spaces the retries */
    assert_int_equal(hn_nack_gen_next_deadline(&g), now + 150000);
    now += 20000; /* the retransmission comes back 20 ms later */
    assert_int_equal(hn_nack_gen_on_rtp(&g, 2, false, now), HN_NACK_GEN_RECOVERED);
    hn_nack_gen_on_rtp(&g, 5, false, now);
    assert_int_equal(hn_nack_gen_on_timeout(&g, now + 10000, out, 4), 1);
    assert_int_equal(hn_nack_gen_next_deadline(&g), now + 10000 + 30000); /* 1.5 x 20 ms */
    /* a known RTT wins over the estimate */
    hn_nack_gen_set_rtt(&g, 100000);
    assert_int_equal(hn_nack_gen_on_timeout(&g, now + 40000, out, 4), 1);
    assert_int_equal(hn_nack_gen_next_deadline(&g), now + 40000 + 150000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loss_5_percent),
        cmocka_unit_test(test_loss_20_percent_default_rtt),
        cmocka_unit_test(test_no_answer_gives_up),
        cmocka_unit_test(test_reordering_is_not_a_loss),
        cmocka_unit_test(test_wrap_and_retry_timing),
        cmocka_unit_test(test_list_bound_and_keyframe),
        cmocka_unit_test(test_rtt_learnt_from_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

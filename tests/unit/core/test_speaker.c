/* core/speaker: active speaker detection on a fake clock (20 ms audio packets). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <glib.h>

#include "core/speaker.h"

#define MS 1000
#define A  1
#define B  2
#define C  3

typedef struct {
    int64_t t;
    uint64_t dominant;
    bool changed;
    uint64_t speaking[HN_SPEAKER_MAX_LIST];
    size_t n;
} Update;

typedef struct {
    GArray *updates; /* Update */
    HnSpeaker *s;
    int64_t now;
} Fx;

static void on_update(void *user, const HnSpeakerUpdate *u, int64_t now)
{
    Fx *fx = user;
    Update r = {
        .t = now, .dominant = u->dominant, .changed = u->dominant_changed, .n = u->n_speaking};
    memcpy(r.speaking, u->speaking, u->n_speaking * sizeof *u->speaking);
    g_array_append_val(fx->updates, r);
}

static void fx_init(Fx *fx)
{
    fx->updates = g_array_new(FALSE, TRUE, sizeof(Update));
    fx->s = hn_speaker_new(NULL, on_update, fx);
    fx->now = 1000000;
}

static void fx_clear(Fx *fx)
{
    hn_speaker_free(fx->s);
    g_array_free(fx->updates, TRUE);
}

/* Level of each participant (index 1..3) at time t, -1: no packet (muted, or a DTX gap). */
typedef int (*LevelFn)(uint64_t id, int64_t t);

/* Runs the clock for dur_us: a packet per participant every 20 ms, timers when due. */
static void run(Fx *fx, int64_t dur_us, LevelFn level)
{
    int64_t end = fx->now + dur_us;
    for (; fx->now < end; fx->now += 10 * MS) {
        if ((fx->now / MS) % 20 == 0) {
            for (uint64_t id = A; id <= C; id++) {
                int l = level(id, fx->now);
                if (l >= 0)
                    assert_int_equal(hn_speaker_on_level(fx->s, id, (uint8_t)l, l < 60, fx->now),
                                     0);
            }
        }
        while (hn_speaker_next_deadline(fx->s) <= fx->now)
            hn_speaker_on_timeout(fx->s, fx->now);
    }
}

/* The first update from t on that names `dominant`, or NULL. */
static const Update *first_dominant(const Fx *fx, int64_t t, uint64_t dominant)
{
    for (guint i = 0; i < fx->updates->len; i++) {
        const Update *u = &g_array_index(fx->updates, Update, i);
        if (u->t >= t && u->dominant == dominant && u->changed)
            return u;
    }
    return NULL;
}

static int64_t t0; /* start of the current phase, for the level functions */

/* DTX silence: one packet per 400 ms at 127 dBov. */
static int dtx(int64_t t)
{
    return ((t - t0) / MS) % 400 == 0 ? 127 : -1;
}

static int a_only(uint64_t id, int64_t t)
{
    return id == A ? 30 : dtx(t);
}

static int b_only(uint64_t id, int64_t t)
{
    return id == B ? 35 : dtx(t);
}

static int all_silent(uint64_t id, int64_t t)
{
    (void)id;
    return dtx(t);
}

/* Two speakers alternating: the first one to speak is dominant at once (as soon as the window
 * says so); the second takes over after the 1 s hold; each update names the speaking list. */
static void test_alternating(void **state)
{
    (void)state;
    Fx fx;
    fx_init(&fx);
    t0 = fx.now;
    run(&fx, 3000 * MS, a_only);
    const Update *u = first_dominant(&fx, t0, A);
    assert_non_null(u);
    int64_t first_ms = (u->t - t0) / MS;
    assert_true(first_ms <= 300); /* the window fills */
    assert_int_equal(u->n, 1);
    assert_int_equal(u->speaking[0], A);

    int64_t t1 = fx.now;
    t0 = t1;
    run(&fx, 3000 * MS, b_only);
    u = first_dominant(&fx, t1, B);
    assert_non_null(u);
    int64_t switch_ms = (u->t - t1) / MS;
    /* A's window empties in 300 ms, then B must stay louder for 1 s: switch in 1.0-1.6 s. */
    assert_true(switch_ms >= 1000 && switch_ms <= 1600);
    assert_int_equal(u->n, 1);
    assert_int_equal(u->speaking[0], B);
    print_message("speaker: first dominant after %lld ms, switch after %lld ms, %u updates in "
                  "6 s\n",
                  (long long)first_ms, (long long)switch_ms, fx.updates->len);
    /* Before the switch, A was reported silent while still dominant. */
    bool a_silent_dominant = false;
    for (guint i = 0; i < fx.updates->len; i++) {
        const Update *x = &g_array_index(fx.updates, Update, i);
        if (x->t >= t1 && x->t < u->t && x->dominant == A && x->n == 1 && x->speaking[0] == B)
            a_silent_dominant = true;
    }
    assert_true(a_silent_dominant);
    HnSpeakerStats st;
    hn_speaker_get_stats(fx.s, &st);
    assert_int_equal(st.changes, 2);
    fx_clear(&fx);
}

/* B is louder than A in bursts of 700 ms with 700 ms pauses: never the 1 s it takes, so A stays
 * dominant; once B is louder for long enough it takes over. */
static int bursts(uint64_t id, int64_t t)
{
    if (id == A)
        return 40;
    if (id == B)
        return ((t - t0) / MS) % 1400 < 700 ? 20 : -1;
    return -1;
}

static void test_hysteresis_holds(void **state)
{
    (void)state;
    Fx fx;
    fx_init(&fx);
    t0 = fx.now;
    run(&fx, 1000 * MS, a_only);
    assert_int_equal(hn_speaker_dominant(fx.s), A);
    t0 = fx.now;
    run(&fx, 7000 * MS, bursts);
    assert_int_equal(hn_speaker_dominant(fx.s), A);
    bool b_spoke = false;
    for (guint i = 0; i < fx.updates->len; i++) {
        const Update *x = &g_array_index(fx.updates, Update, i);
        assert_int_equal(x->dominant, A);
        for (size_t k = 0; k < x->n; k++)
            b_spoke |= x->speaking[k] == B;
    }
    assert_true(b_spoke); /* B is in the speaking list during its bursts */
    t0 = fx.now;
    run(&fx, 2000 * MS, b_only);
    assert_int_equal(hn_speaker_dominant(fx.s), B);
    fx_clear(&fx);
}

/* Silence (127 dBov in DTX packets, then no packet at all): nobody speaks, the last dominant
 * speaker stays, and the timer stops once the windows are empty. */
static void test_silence(void **state)
{
    (void)state;
    Fx fx;
    fx_init(&fx);
    t0 = fx.now;
    run(&fx, 2000 * MS, all_silent);
    assert_int_equal(fx.updates->len, 0); /* silence from the start: nothing to say */
    assert_int_equal(hn_speaker_dominant(fx.s), 0);
    run(&fx, 1000 * MS, a_only);
    assert_int_equal(hn_speaker_dominant(fx.s), A);
    guint n = fx.updates->len;
    t0 = fx.now;
    run(&fx, 2000 * MS, all_silent);
    const Update *last = &g_array_index(fx.updates, Update, fx.updates->len - 1);
    assert_true(fx.updates->len > n);
    assert_int_equal(last->dominant, A); /* still the dominant speaker */
    assert_int_equal(last->n, 0);        /* but nobody speaks */
    /* No packets at all (microphones muted): the detector goes idle. */
    for (int i = 0; i < 100; i++) {
        fx.now += 10 * MS;
        while (hn_speaker_next_deadline(fx.s) <= fx.now)
            hn_speaker_on_timeout(fx.s, fx.now);
    }
    assert_true(hn_speaker_next_deadline(fx.s) == INT64_MAX);
    fx_clear(&fx);
}

/* Speech and silence every 250 ms: never more than one update per 300 ms. */
static int hover(uint64_t id, int64_t t)
{
    if (id != A)
        return -1;
    return ((t - t0) / MS) % 500 < 250 ? 30 : 127; /* speaking, silent, every 250 ms */
}

static void test_rate_limited(void **state)
{
    (void)state;
    Fx fx;
    fx_init(&fx);
    t0 = fx.now;
    run(&fx, 10000 * MS, hover);
    for (guint i = 1; i < fx.updates->len; i++) {
        const Update *p = &g_array_index(fx.updates, Update, i - 1);
        const Update *u = &g_array_index(fx.updates, Update, i);
        assert_true(u->t - p->t >= 300 * MS);
    }
    print_message("speaker: %u updates in 10 s of speech and silence every 250 ms\n",
                  fx.updates->len);
    assert_true(fx.updates->len >= 5 && fx.updates->len <= 10000 / 300 + 1);
    fx_clear(&fx);
}

/* The dominant speaker leaves: the loudest speaking participant takes over at once. */
static int a_and_c(uint64_t id, int64_t t)
{
    (void)t;
    return id == A ? 20 : id == C ? 45 : -1;
}

static int c_only(uint64_t id, int64_t t)
{
    (void)t;
    return id == C ? 45 : -1;
}

static void test_remove(void **state)
{
    (void)state;
    Fx fx;
    fx_init(&fx);
    run(&fx, 1000 * MS, a_and_c);
    assert_int_equal(hn_speaker_dominant(fx.s), A);
    hn_speaker_remove(fx.s, A);
    hn_speaker_remove(fx.s, 99); /* unknown: ignored */
    int64_t t = fx.now;
    run(&fx, 200 * MS, c_only);
    assert_int_equal(hn_speaker_dominant(fx.s), C);
    const Update *u = first_dominant(&fx, t, C);
    assert_non_null(u);
    assert_true(u->t - t <= 100 * MS); /* at the next evaluation */
    assert_int_equal(hn_speaker_on_level(fx.s, 0, 10, true, fx.now), -EINVAL);
    fx_clear(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alternating), cmocka_unit_test(test_hysteresis_holds),
        cmocka_unit_test(test_silence),     cmocka_unit_test(test_rate_limited),
        cmocka_unit_test(test_remove),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

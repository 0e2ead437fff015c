/* The mailbox hands calls from any thread to one context's thread: every call runs once, in the
 * order each poster made them, with what the poster wrote before visible (plain memory, no
 * atomics: under ThreadSanitizer this test is the proof); calls posted while dispatching run at the
 * next turn; a freed mailbox destroys what it did not run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "transport/mailbox.h"

#define POSTERS 4
#define CALLS   20000

typedef struct {
    int poster, seq;
    int payload[4]; /* written by the poster before posting, read by the receiver */
} Msg;

typedef struct {
    int next_seq[POSTERS];
    int received, bad_order, bad_payload, destroyed;
    GMainLoop *loop;
} Sink;

static Sink sink;

static gboolean on_msg(gpointer data)
{
    Msg *m = data;
    if (m->seq != sink.next_seq[m->poster])
        sink.bad_order++;
    sink.next_seq[m->poster] = m->seq + 1;
    for (int i = 0; i < 4; i++)
        if (m->payload[i] != m->seq * 4 + i)
            sink.bad_payload++;
    if (++sink.received == POSTERS * CALLS)
        g_main_loop_quit(sink.loop);
    return G_SOURCE_CONTINUE; /* ignored: runs once */
}

static void on_destroy(gpointer data)
{
    sink.destroyed++;
    g_free(data);
}

typedef struct {
    HnMailbox *mb;
    int poster;
} Poster;

static gpointer poster_main(gpointer data)
{
    Poster *p = data;
    for (int i = 0; i < CALLS; i++) {
        Msg *m = g_new(Msg, 1);
        m->poster = p->poster;
        m->seq = i;
        for (int k = 0; k < 4; k++)
            m->payload[k] = i * 4 + k;
        hn_mailbox_post(p->mb, on_msg, m, on_destroy);
    }
    return NULL;
}

static void test_many_posters_in_order(void **state)
{
    memset(&sink, 0, sizeof sink);
    GMainContext *ctx = g_main_context_new();
    sink.loop = g_main_loop_new(ctx, FALSE);
    HnMailbox *mb = hn_mailbox_new(ctx, NULL);
    assert_non_null(mb);
    Poster ps[POSTERS];
    GThread *th[POSTERS];
    for (int i = 0; i < POSTERS; i++) {
        ps[i] = (Poster){mb, i};
        th[i] = g_thread_new("poster", poster_main, &ps[i]);
    }
    g_main_loop_run(sink.loop);
    for (int i = 0; i < POSTERS; i++)
        g_thread_join(th[i]);
    assert_int_equal(sink.received, POSTERS * CALLS);
    assert_int_equal(sink.destroyed, POSTERS * CALLS);
    assert_int_equal(sink.bad_order, 0);
    assert_int_equal(sink.bad_payload, 0);
    assert_int_equal(hn_mailbox_pending(mb), 0);
    hn_mailbox_free(mb);
    g_main_loop_unref(sink.loop);
    g_main_context_unref(ctx);
}

typedef struct {
    HnMailbox *mb;
    int runs, depth, max_depth;
} Self;

static gboolean self_post(gpointer data)
{
    Self *s = data;
    s->depth++;
    s->max_depth = MAX(s->max_depth, s->depth);
    if (++s->runs < 3)
        hn_mailbox_post(s->mb, self_post, s, NULL);
    s->depth--;
    return G_SOURCE_REMOVE;
}

/* A call that posts to its own mailbox: the new call waits for the next loop turn. */
static void test_self_post_runs_next_turn(void **state)
{
    GMainContext *ctx = g_main_context_new();
    Self s = {0};
    s.mb = hn_mailbox_new(ctx, NULL);
    hn_mailbox_post(s.mb, self_post, &s, NULL);
    assert_int_equal(s.runs, 0); /* nothing runs inside post */
    g_main_context_iteration(ctx, FALSE);
    assert_int_equal(s.runs, 1);
    assert_int_equal(hn_mailbox_pending(s.mb), 1);
    while (g_main_context_iteration(ctx, FALSE))
        ;
    assert_int_equal(s.runs, 3);
    assert_int_equal(s.max_depth, 1);
    hn_mailbox_free(s.mb);
    g_main_context_unref(ctx);
}

static gboolean must_not_run(gpointer data)
{
    fail_msg("a call ran after its mailbox was freed");
    return G_SOURCE_REMOVE;
}

static void test_free_destroys_unrun_calls(void **state)
{
    memset(&sink, 0, sizeof sink);
    GMainContext *ctx = g_main_context_new();
    HnMailbox *mb = hn_mailbox_new(ctx, NULL);
    for (int i = 0; i < 5; i++)
        hn_mailbox_post(mb, must_not_run, g_new0(Msg, 1), on_destroy);
    assert_int_equal(hn_mailbox_pending(mb), 5);
    hn_mailbox_free(mb);
    assert_int_equal(sink.destroyed, 5);
    while (g_main_context_iteration(ctx, FALSE))
        ;
    g_main_context_unref(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_posters_in_order),
        cmocka_unit_test(test_self_post_runs_next_turn),
        cmocka_unit_test(test_free_destroys_unrun_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

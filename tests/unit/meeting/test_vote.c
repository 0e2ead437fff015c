/* Unit tests of server/meeting/vote.c and chat.c (fake clock: times are arguments). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "meeting/chat.h"
#include "meeting/vote.h"

#define T0 1800000000000 /* ms */

static const HnVoteActor chair = {"u-chair", "Chủ trì", TRUE, FALSE};
static const HnVoteActor an = {"u-an", "An", FALSE, FALSE};
static const HnVoteActor binh = {"p7", "Bình", FALSE, FALSE};
static const HnVoteActor obs = {"u-obs", "Quan sát", FALSE, TRUE};

static HnVote *open_vote(HnVoteBox *box, gboolean secret, int64_t id)
{
    HnVote *v = NULL;
    assert_int_equal(
        hn_vote_box_open(box, &chair, "Thông qua nghị quyết?", NULL, 0, secret, T0, &v),
        HN_VOTE_OK);
    assert_int_equal(v->state, HN_VOTE_PENDING);
    hn_vote_box_opened(box, id);
    assert_int_equal(v->state, HN_VOTE_OPEN);
    return v;
}

static void test_defaults_and_once_per_voter(void **state)
{
    (void)state;
    HnVoteBox *box = hn_vote_box_new();
    HnVote *v = open_vote(box, FALSE, 5);
    assert_int_equal(v->n_options, 3);
    assert_string_equal(v->options[0], "Đồng ý");
    assert_string_equal(v->options[2], "Không ý kiến");
    assert_int_equal(hn_vote_cast(v, &an, 0, T0 + 1), HN_VOTE_OK);
    assert_int_equal(hn_vote_cast(v, &an, 1, T0 + 2), HN_VOTE_BAD_STATE); /* once */
    assert_int_equal(hn_vote_cast(v, &binh, 1, T0 + 3), HN_VOTE_OK);
    assert_int_equal(hn_vote_cast(v, &chair, 1, T0 + 4), HN_VOTE_OK); /* chairs vote too */
    assert_int_equal(hn_vote_cast(v, &obs, 0, T0 + 5), HN_VOTE_FORBIDDEN);
    assert_int_equal(hn_vote_cast(v, &binh, 0, T0 + 6), HN_VOTE_BAD_STATE);
    HnVoteActor c2 = {"u-c2", "C2", FALSE, FALSE};
    assert_int_equal(hn_vote_cast(v, &c2, 3, T0 + 6), HN_VOTE_BAD_FIELD);
    assert_int_equal(hn_vote_cast(v, &c2, -1, T0 + 6), HN_VOTE_BAD_FIELD);
    assert_int_equal(hn_vote_ballots(v), 3);
    assert_int_equal(v->tally[0], 1);
    assert_int_equal(v->tally[1], 2);
    assert_int_equal(v->tally[2], 0);
    /* an open vote keeps who chose what */
    assert_int_equal(g_array_index(v->ballots, HnBallot, 1).option, 1);
    assert_string_equal(g_array_index(v->ballots, HnBallot, 1).name, "Bình");
    assert_true(hn_vote_has_voted(v, "p7"));
    assert_false(hn_vote_has_voted(v, "u-c2"));
    hn_vote_box_free(box);
}

static void test_secret_keeps_tally_not_choice(void **state)
{
    (void)state;
    HnVoteBox *box = hn_vote_box_new();
    HnVote *v = open_vote(box, TRUE, 9);
    assert_int_equal(hn_vote_cast(v, &an, 2, T0 + 1), HN_VOTE_OK);
    assert_int_equal(hn_vote_cast(v, &binh, 2, T0 + 2), HN_VOTE_OK);
    assert_int_equal(hn_vote_cast(v, &an, 0, T0 + 3), HN_VOTE_BAD_STATE);
    assert_int_equal(v->tally[2], 2);
    for (guint i = 0; i < v->ballots->len; i++)
        assert_int_equal(g_array_index(v->ballots, HnBallot, i).option, -1);
    /* a ballot whose row was not written is taken back */
    hn_vote_uncast(v, "p7", 2);
    assert_int_equal(v->tally[2], 1);
    assert_false(hn_vote_has_voted(v, "p7"));
    assert_int_equal(hn_vote_cast(v, &binh, 1, T0 + 4), HN_VOTE_OK);
    assert_int_equal(hn_vote_ballots(v), 2);
    hn_vote_box_free(box);
}

static void test_chair_only_and_closed(void **state)
{
    (void)state;
    HnVoteBox *box = hn_vote_box_new();
    HnVote *v = NULL;
    assert_int_equal(hn_vote_box_open(box, &an, "Q", NULL, 0, FALSE, T0, &v), HN_VOTE_FORBIDDEN);
    assert_null(hn_vote_box_current(box));
    v = open_vote(box, FALSE, 3);
    /* one open vote per room */
    assert_int_equal(hn_vote_box_open(box, &chair, "Q2", NULL, 0, FALSE, T0, NULL),
                     HN_VOTE_BAD_STATE);
    assert_int_equal(hn_vote_cast(v, &an, 0, T0 + 1), HN_VOTE_OK);
    HnVote *closed = NULL;
    assert_int_equal(hn_vote_box_close(box, &an, 3, T0 + 2, &closed), HN_VOTE_FORBIDDEN);
    assert_int_equal(hn_vote_box_close(box, &chair, 4, T0 + 2, &closed), HN_VOTE_BAD_FIELD);
    assert_int_equal(hn_vote_box_close(box, &chair, 3, T0 + 2, &closed), HN_VOTE_OK);
    assert_ptr_equal(closed, v);
    assert_int_equal(v->state, HN_VOTE_CLOSED);
    assert_int_equal(v->closed_ms, T0 + 2);
    assert_int_equal(hn_vote_cast(v, &binh, 0, T0 + 3), HN_VOTE_BAD_STATE);
    assert_int_equal(hn_vote_box_close(box, &chair, 3, T0 + 4, NULL), HN_VOTE_BAD_STATE);
    assert_int_equal(v->tally[0], 1);
    /* the last closed vote is kept; a new one may open */
    assert_ptr_equal(hn_vote_box_get(box, 3), v);
    HnVote *v2 = open_vote(box, FALSE, 4);
    assert_ptr_equal(hn_vote_box_current(box), v2);
    hn_vote_box_free(box);
}

static void test_pending_and_fields(void **state)
{
    (void)state;
    HnVoteBox *box = hn_vote_box_new();
    const char *two[] = {"Có", "Không"};
    const char *same[] = {"Có", "Có"};
    const char *one[] = {"Có"};
    HnVote *v = NULL;
    assert_int_equal(hn_vote_box_open(box, &chair, "Q", same, 2, FALSE, T0, &v), HN_VOTE_BAD_FIELD);
    assert_int_equal(hn_vote_box_open(box, &chair, "Q", one, 1, FALSE, T0, &v), HN_VOTE_BAD_FIELD);
    assert_int_equal(hn_vote_box_open(box, &chair, "   ", NULL, 0, FALSE, T0, &v),
                     HN_VOTE_BAD_FIELD);
    assert_int_equal(hn_vote_box_open(box, &chair, "Q", two, 2, FALSE, T0, &v), HN_VOTE_OK);
    /* pending: nobody votes, nobody else opens; a failed write forgets it */
    assert_int_equal(hn_vote_cast(v, &an, 0, T0), HN_VOTE_BAD_STATE);
    assert_int_equal(hn_vote_box_open(box, &chair, "Q", two, 2, FALSE, T0, NULL),
                     HN_VOTE_BAD_STATE);
    hn_vote_box_open_failed(box);
    assert_null(hn_vote_box_current(box));
    assert_int_equal(hn_vote_box_open(box, &chair, "Q", two, 2, FALSE, T0, &v), HN_VOTE_OK);
    hn_vote_box_opened(box, 1);
    assert_int_equal(v->n_options, 2);
    hn_vote_box_free(box);
}

static void test_chat_visibility(void **state)
{
    (void)state;
    assert_true(hn_chat_visible(FALSE, "a", "b", FALSE));
    assert_false(hn_chat_visible(TRUE, "a", "b", FALSE)); /* private to the chair */
    assert_true(hn_chat_visible(TRUE, "a", "b", TRUE));   /* the chair reads it */
    assert_true(hn_chat_visible(TRUE, "a", "a", FALSE));  /* its sender too */
}

static void test_chat_flood(void **state)
{
    (void)state;
    HnChatFlood *f = hn_chat_flood_new();
    int64_t t = 1000 * G_USEC_PER_SEC;
    for (int i = 0; i < HN_CHAT_BURST; i++)
        assert_true(hn_chat_flood_take(f, "a", t));
    assert_false(hn_chat_flood_take(f, "a", t));
    assert_true(hn_chat_flood_take(f, "b", t)); /* per sender */
    /* HN_CHAT_PER_S lines a second come back */
    t += G_USEC_PER_SEC;
    for (int i = 0; i < HN_CHAT_PER_S; i++)
        assert_true(hn_chat_flood_take(f, "a", t));
    assert_false(hn_chat_flood_take(f, "a", t));
    /* the table stays bounded: idle senders are swept */
    for (int i = 0; i < HN_CHAT_MAX_SENDERS + 10; i++) {
        char key[16];
        g_snprintf(key, sizeof key, "k%d", i);
        t += 100 * G_USEC_PER_SEC; /* each one idle long enough to be full again */
        assert_true(hn_chat_flood_take(f, key, t));
    }
    assert_true(hn_chat_flood_size(f) <= HN_CHAT_MAX_SENDERS);
    hn_chat_flood_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_once_per_voter),
        cmocka_unit_test(test_secret_keeps_tally_not_choice),
        cmocka_unit_test(test_chair_only_and_closed),
        cmocka_unit_test(test_pending_and_fields),
        cmocka_unit_test(test_chat_visibility),
        cmocka_unit_test(test_chat_flood),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

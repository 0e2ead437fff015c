/* A meeting's votes: the rules of meeting/vote.h, on plain data. */
#include "meeting/vote.h"

#include <string.h>

struct HnVoteBox {
    HnVote *current; /* pending or open, NULL: none */
    HnVote *last;    /* the last closed one, NULL: none */
};

static const char *const default_options[] = {"Đồng ý", "Không đồng ý", "Không ý kiến", NULL};

const char *const *hn_vote_default_options(void)
{
    return default_options;
}

static void ballot_clear(gpointer p)
{
    HnBallot *b = p;
    g_free(b->key);
    g_free(b->name);
}

static void vote_free(HnVote *v)
{
    if (!v)
        return;
    g_free(v->question);
    g_strfreev(v->options);
    g_free(v->opened_by);
    g_array_free(v->ballots, TRUE);
    g_hash_table_destroy(v->voters);
    g_free(v);
}

HnVoteBox *hn_vote_box_new(void)
{
    return g_new0(HnVoteBox, 1);
}

void hn_vote_box_free(HnVoteBox *box)
{
    if (!box)
        return;
    vote_free(box->current);
    vote_free(box->last);
    g_free(box);
}

/* 1..max code points of valid UTF-8, no control character, not only spaces. */
static gboolean text_valid(const char *s, guint max)
{
    if (!s || !g_utf8_validate(s, -1, NULL))
        return FALSE;
    guint n = 0;
    gboolean visible = FALSE;
    for (const char *p = s; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_iscntrl(c) || ++n > max)
            return FALSE;
        if (!g_unichar_isspace(c))
            visible = TRUE;
    }
    return visible;
}

gboolean hn_vote_fields_valid(const char *question, const char *const *options, guint n_options)
{
    if (!text_valid(question, HN_VOTE_QUESTION_MAX))
        return FALSE;
    if (!options)
        return TRUE;
    if (n_options < HN_VOTE_OPTIONS_MIN || n_options > HN_VOTE_OPTIONS_MAX)
        return FALSE;
    for (guint i = 0; i < n_options; i++) {
        if (!text_valid(options[i], HN_VOTE_OPTION_MAX))
            return FALSE;
        for (guint j = 0; j < i; j++)
            if (strcmp(options[i], options[j]) == 0)
                return FALSE;
    }
    return TRUE;
}

HnVoteResult hn_vote_box_open(HnVoteBox *box, const HnVoteActor *who, const char *question,
                              const char *const *options, guint n_options, gboolean secret,
                              int64_t now_ms, HnVote **out)
{
    if (!who->may_chair)
        return HN_VOTE_FORBIDDEN;
    if (box->current)
        return HN_VOTE_BAD_STATE;
    if (!hn_vote_fields_valid(question, options, n_options))
        return HN_VOTE_BAD_FIELD;
    if (!options) {
        options = default_options;
        n_options = 3;
    }
    HnVote *v = g_new0(HnVote, 1);
    v->question = g_strdup(question);
    v->options = g_new0(char *, n_options + 1);
    for (guint i = 0; i < n_options; i++)
        v->options[i] = g_strdup(options[i]);
    v->n_options = n_options;
    v->secret = secret;
    v->state = HN_VOTE_PENDING;
    v->opened_by = g_strdup(who->name);
    v->opened_ms = now_ms;
    v->ballots = g_array_new(FALSE, TRUE, sizeof(HnBallot));
    g_array_set_clear_func(v->ballots, ballot_clear);
    v->voters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    box->current = v;
    if (out)
        *out = v;
    return HN_VOTE_OK;
}

void hn_vote_box_opened(HnVoteBox *box, int64_t id)
{
    g_return_if_fail(box->current && box->current->state == HN_VOTE_PENDING && id > 0);
    box->current->id = id;
    box->current->state = HN_VOTE_OPEN;
}

void hn_vote_box_open_failed(HnVoteBox *box)
{
    g_return_if_fail(box->current && box->current->state == HN_VOTE_PENDING);
    vote_free(box->current);
    box->current = NULL;
}

HnVote *hn_vote_box_get(HnVoteBox *box, int64_t id)
{
    if (id <= 0)
        return NULL;
    if (box->current && box->current->id == id)
        return box->current;
    if (box->last && box->last->id == id)
        return box->last;
    return NULL;
}

HnVote *hn_vote_box_current(HnVoteBox *box)
{
    return box->current ? box->current : box->last;
}

gboolean hn_vote_has_voted(const HnVote *v, const char *key)
{
    return key && g_hash_table_contains(v->voters, key);
}

HnVoteResult hn_vote_cast(HnVote *v, const HnVoteActor *who, int option, int64_t now_ms)
{
    if (who->observer)
        return HN_VOTE_FORBIDDEN;
    if (v->state != HN_VOTE_OPEN)
        return HN_VOTE_BAD_STATE;
    if (option < 0 || (guint)option >= v->n_options)
        return HN_VOTE_BAD_FIELD;
    if (hn_vote_has_voted(v, who->key))
        return HN_VOTE_BAD_STATE;
    HnBallot b = {g_strdup(who->key), g_strdup(who->name), v->secret ? -1 : option, now_ms};
    g_array_append_val(v->ballots, b);
    g_hash_table_add(v->voters, g_strdup(who->key));
    v->tally[option]++;
    return HN_VOTE_OK;
}

void hn_vote_uncast(HnVote *v, const char *key, int option)
{
    for (guint i = 0; i < v->ballots->len; i++) {
        if (strcmp(g_array_index(v->ballots, HnBallot, i).key, key) == 0) {
            g_array_remove_index(v->ballots, i);
            g_hash_table_remove(v->voters, key);
            if (option >= 0 && (guint)option < v->n_options && v->tally[option] > 0)
                v->tally[option]--;
            return;
        }
    }
}

HnVoteResult hn_vote_box_close(HnVoteBox *box, const HnVoteActor *who, int64_t id, int64_t now_ms,
                               HnVote **out)
{
    if (!who->may_chair)
        return HN_VOTE_FORBIDDEN;
    HnVote *v = hn_vote_box_get(box, id);
    if (!v)
        return HN_VOTE_BAD_FIELD;
    if (v->state != HN_VOTE_OPEN)
        return HN_VOTE_BAD_STATE;
    v->state = HN_VOTE_CLOSED;
    v->closed_ms = now_ms;
    vote_free(box->last);
    box->last = v;
    box->current = NULL;
    if (out)
        *out = v;
    return HN_VOTE_OK;
}

guint hn_vote_ballots(const HnVote *v)
{
    return v->ballots->len;
}

const char *hn_vote_state_name(HnVoteState s)
{
    return s == HN_VOTE_CLOSED ? "closed" : "open";
}

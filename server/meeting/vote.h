/* A vote (biểu quyết) of a meeting: a question with 2-10 options, opened and closed by a chair,
 * one ballot per voter key (the join token's `sub` when there is one, else the participant id),
 * observers may not vote. An open vote keeps who chose what; a secret vote keeps who voted (once
 * only) and the tally, never a voter's option.
 *
 * Pure model: no I/O, no clock reads (time is an argument, milliseconds since the epoch), no
 * store. The hub (app/hub_chatvote.c) checks with it, then writes the row, then answers.
 * Thread: one (the main loop). */
#pragma once

#include <glib.h>
#include <stdint.h>

#define HN_VOTE_OPTIONS_MIN  2
#define HN_VOTE_OPTIONS_MAX  10
#define HN_VOTE_QUESTION_MAX 500 /* code points */
#define HN_VOTE_OPTION_MAX   100 /* code points of one option */

typedef enum {
    HN_VOTE_OK = 0,
    HN_VOTE_FORBIDDEN, /* not a chair (open, close) or an observer (cast) */
    HN_VOTE_BAD_STATE, /* closed, already voted, another vote is open */
    HN_VOTE_BAD_FIELD, /* no such option, bad question or options */
} HnVoteResult;

typedef enum {
    HN_VOTE_PENDING, /* opened by a chair, its row not yet written: nobody may vote yet */
    HN_VOTE_OPEN,
    HN_VOTE_CLOSED,
} HnVoteState;

/* Who acts on a vote. Strings: transfer none. */
typedef struct {
    const char *key;    /* the voter key: token sub or participant id */
    const char *name;   /* display name */
    gboolean may_chair; /* hn_hub_conn_may_chair */
    gboolean observer;  /* receives only: may not vote */
} HnVoteActor;

typedef struct {
    char *key, *name;
    int option; /* -1 in a secret vote */
    int64_t time_ms;
} HnBallot;

typedef struct {
    int64_t id; /* the votes row id (0 while pending) */
    char *question;
    char **options; /* NULL-terminated */
    guint n_options;
    gboolean secret;
    HnVoteState state;
    char *opened_by;
    int64_t opened_ms, closed_ms;
    guint tally[HN_VOTE_OPTIONS_MAX];
    GArray *ballots;    /* HnBallot, in order of casting */
    GHashTable *voters; /* key -> TRUE: who has a ballot (private to vote.c) */
} HnVote;

/* The votes of one room: at most one pending or open vote at a time, plus the last closed one. */
typedef struct HnVoteBox HnVoteBox;

/* transfer full. */
HnVoteBox *hn_vote_box_new(void);
/* NULL ok. */
void hn_vote_box_free(HnVoteBox *box);

/* The default options: "Đồng ý", "Không đồng ý", "Không ý kiến". transfer none. */
const char *const *hn_vote_default_options(void);

/* TRUE when question (1-500 code points, not only spaces, no control characters) and options
 * (NULL: the defaults; else 2-10 distinct texts of 1-100 code points) make a valid vote. */
gboolean hn_vote_fields_valid(const char *question, const char *const *options, guint n_options);

/* A chair opens a vote; it is PENDING until hn_vote_box_opened gives it its row id. options NULL:
 * the defaults. *out (transfer none) is the pending vote. FORBIDDEN, BAD_STATE (one is pending or
 * open), BAD_FIELD. */
HnVoteResult hn_vote_box_open(HnVoteBox *box, const HnVoteActor *who, const char *question,
                              const char *const *options, guint n_options, gboolean secret,
                              int64_t now_ms, HnVote **out);
/* The pending vote's row was written (id > 0): it is OPEN. */
void hn_vote_box_opened(HnVoteBox *box, int64_t id);
/* The pending vote's row could not be written: forgotten. */
void hn_vote_box_open_failed(HnVoteBox *box);

/* The vote of row id (the current one or the last closed one), or NULL. transfer none. */
HnVote *hn_vote_box_get(HnVoteBox *box, int64_t id);
/* The current (pending or open) vote, else the last closed one, or NULL. transfer none. */
HnVote *hn_vote_box_current(HnVoteBox *box);

/* Casts who's ballot for option in vote id. FORBIDDEN (observer), BAD_STATE (not open, already
 * voted), BAD_FIELD (no such vote or option). The ballot counts at once (so a second one is
 * refused while the first is written); hn_vote_uncast takes it back if the write fails. */
HnVoteResult hn_vote_cast(HnVote *vote, const HnVoteActor *who, int option, int64_t now_ms);
/* Takes back key's ballot (its row could not be written). */
void hn_vote_uncast(HnVote *vote, const char *key, int option);
/* TRUE when key has a ballot in vote. */
gboolean hn_vote_has_voted(const HnVote *vote, const char *key);
/* A chair closes vote id: it becomes the box's last closed vote (*out, transfer none) and a new
 * one may open. FORBIDDEN, BAD_STATE (not open: pending or closed), BAD_FIELD (no such vote). */
HnVoteResult hn_vote_box_close(HnVoteBox *box, const HnVoteActor *who, int64_t id, int64_t now_ms,
                               HnVote **out);
/* Ballots cast so far. */
guint hn_vote_ballots(const HnVote *vote);
/* "open", "closed" ("pending" shows as "open"). transfer none. */
const char *hn_vote_state_name(HnVoteState s);

/* The hook outbox's policy, pure (no clock, no I/O, no randomness of its own): what happens to a
 * delivery after an attempt, when it is tried next, and which rows may be sent now.
 *
 * - 2xx: delivered.
 * - 410 Gone: the endpoint is disabled (the row stays pending; it goes on when the endpoint is
 *   enabled again through the API).
 * - anything else (another status, a connection or TLS error, a timeout): retried after an
 *   exponential backoff with "equal jitter" (half fixed, half random) capped at max_delay, or
 *   after the receiver's Retry-After (seconds or an HTTP date) when it gave one, capped at
 *   max_delay too; once retry_period has passed since the row was made (or since "deliver
 *   again"), the row is dead (a dead letter, kept and shown, retried only by hand).
 * - ordering: per endpoint and meeting, a row waits for every earlier row (lower id) of the
 *   same endpoint and meeting that is not delivered or dead.
 * Times are milliseconds (any epoch, the same for all arguments). Thread: any. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    gint64 base_delay_ms;   /* the first retry's delay before jitter (default 5 s) */
    gint64 max_delay_ms;    /* cap of one delay (default 1 h) */
    gint64 retry_period_ms; /* then dead (default 3 days) */
} HnOutboxPolicy;

#define HN_OUTBOX_DEFAULT_BASE_MS   5000
#define HN_OUTBOX_DEFAULT_MAX_MS    (3600 * 1000)
#define HN_OUTBOX_DEFAULT_PERIOD_MS ((gint64)3 * 86400 * 1000)

typedef enum {
    HN_OUTBOX_PENDING,   /* waiting for next_ms */
    HN_OUTBOX_INFLIGHT,  /* being sent (back to pending at start after a crash) */
    HN_OUTBOX_DELIVERED, /* a 2xx */
    HN_OUTBOX_DEAD,      /* retry period over */
} HnOutboxState;

/* "pending", "inflight", "delivered", "dead"; FALSE from parse when unknown. */
const char *hn_outbox_state_name(HnOutboxState s);
gboolean hn_outbox_state_parse(const char *s, HnOutboxState *out);

/* The defaults above. */
void hn_outbox_policy_default(HnOutboxPolicy *p);

/* One attempt's outcome. status 0: no HTTP answer (error says why). retry_after_ms: the
 * receiver's Retry-After as a delay, -1 when none. */
typedef struct {
    int status;
    gint64 retry_after_ms;
} HnOutboxAttempt;

typedef struct {
    HnOutboxState state;       /* DELIVERED, PENDING (retry at next_ms) or DEAD */
    gint64 next_ms;            /* when PENDING */
    gboolean disable_endpoint; /* a 410: the endpoint is disabled, the row stays PENDING */
} HnOutboxDecision;

/* The delay before retry number attempts (1: after the first failure), jitter in [0, 1): the
 * random part. */
gint64 hn_outbox_backoff_ms(const HnOutboxPolicy *p, guint attempts, double jitter);

/* What follows an attempt made at now_ms; attempts counts it; since_ms: when the row was made
 * or last retried by hand (the retry period runs from there). */
void hn_outbox_decide(const HnOutboxPolicy *p, const HnOutboxAttempt *a, guint attempts,
                      gint64 since_ms, gint64 now_ms, double jitter, HnOutboxDecision *out);

/* A Retry-After header (delay-seconds or an IMF-fixdate, RFC 9110 10.2.3) as a delay from
 * now_ms (>= 0), or -1 when value is NULL or malformed. */
gint64 hn_outbox_parse_retry_after(const char *value, gint64 now_ms);

/* A row as the picker sees it. */
typedef struct {
    gint64 id;
    gint64 endpoint;
    gint64 meeting; /* 0: not a meeting's */
    HnOutboxState state;
    gint64 next_ms;
    gboolean endpoint_enabled;
} HnOutboxRow;

/* The rows of rows[n] (any order, any subset that holds every undelivered row of the groups it
 * touches) that may be sent at now_ms: per (endpoint, meeting) the lowest id not delivered or
 * dead, when it is pending, due and its endpoint enabled. Writes at most max indexes into out,
 * by next_ms then id; returns how many. */
guint hn_outbox_pick(const HnOutboxRow *rows, guint n, gint64 now_ms, guint *out, guint max);

/* The earliest next_ms among the heads that are pending (enabled endpoints), G_MAXINT64 when
 * none: when to look again. */
gint64 hn_outbox_next_due(const HnOutboxRow *rows, guint n);

G_END_DECLS

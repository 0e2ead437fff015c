/* The hook outbox's retry and ordering policy (meeting/outbox.h). */
#include "meeting/outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {"pending", "inflight", "delivered", "dead"};

const char *hn_outbox_state_name(HnOutboxState s)
{
    return (guint)s < G_N_ELEMENTS(state_names) ? state_names[s] : "unknown";
}

gboolean hn_outbox_state_parse(const char *s, HnOutboxState *out)
{
    for (guint i = 0; s && i < G_N_ELEMENTS(state_names); i++) {
        if (strcmp(s, state_names[i]) == 0) {
            *out = (HnOutboxState)i;
            return TRUE;
        }
    }
    return FALSE;
}

void hn_outbox_policy_default(HnOutboxPolicy *p)
{
    p->base_delay_ms = HN_OUTBOX_DEFAULT_BASE_MS;
    p->max_delay_ms = HN_OUTBOX_DEFAULT_MAX_MS;
    p->retry_period_ms = HN_OUTBOX_DEFAULT_PERIOD_MS;
}

gint64 hn_outbox_backoff_ms(const HnOutboxPolicy *p, guint attempts, double jitter)
{
    gint64 d = p->base_delay_ms;
    for (guint i = 1; i < attempts && d < p->max_delay_ms; i++)
        d *= 2;
    if (d > p->max_delay_ms)
        d = p->max_delay_ms;
    if (jitter < 0)
        jitter = 0;
    if (jitter >= 1)
        jitter = 0.999999;
    return d / 2 + (gint64)((double)(d - d / 2) * jitter);
}

void hn_outbox_decide(const HnOutboxPolicy *p, const HnOutboxAttempt *a, guint attempts,
                      gint64 since_ms, gint64 now_ms, double jitter, HnOutboxDecision *out)
{
    memset(out, 0, sizeof *out);
    if (a->status >= 200 && a->status < 300) {
        out->state = HN_OUTBOX_DELIVERED;
        return;
    }
    gint64 delay = a->retry_after_ms >= 0 ? MIN(a->retry_after_ms, p->max_delay_ms)
                                          : hn_outbox_backoff_ms(p, attempts, jitter);
    out->next_ms = now_ms + delay;
    if (a->status == 410) { /* Gone: stop sending to this endpoint, keep the row */
        out->disable_endpoint = TRUE;
        out->state = HN_OUTBOX_PENDING;
        out->next_ms = now_ms;
        return;
    }
    out->state = now_ms - since_ms >= p->retry_period_ms ? HN_OUTBOX_DEAD : HN_OUTBOX_PENDING;
    /* the last retry falls at the end of the period, not past it */
    if (out->state == HN_OUTBOX_PENDING && out->next_ms > since_ms + p->retry_period_ms)
        out->next_ms = since_ms + p->retry_period_ms;
}

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

gint64 hn_outbox_parse_retry_after(const char *value, gint64 now_ms)
{
    if (!value)
        return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    if (g_ascii_isdigit(*value)) {
        guint64 s = 0;
        g_autofree char *v = g_strstrip(g_strdup(value));
        if (!g_ascii_string_to_unsigned(v, 10, 0, G_MAXINT32, &s, NULL))
            return -1;
        return (gint64)s * 1000;
    }
    /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
    char wd[4], mon[4], tz[4];
    int day, year, hh, mm, ss;
    if (sscanf(value, "%3[A-Za-z], %d %3s %d %d:%d:%d %3s", wd, &day, mon, &year, &hh, &mm, &ss,
               tz) != 8 ||
        strlen(wd) != 3 || strcmp(tz, "GMT") != 0)
        return -1;
    int m = -1;
    for (int i = 0; i < 12; i++)
        if (strcmp(mon, months[i]) == 0)
            m = i + 1;
    if (m < 0 || year < 1970 || year > 9999)
        return -1;
    g_autoptr(GDateTime) dt = g_date_time_new_utc(year, m, day, hh, mm, ss);
    if (!dt)
        return -1;
    gint64 at = g_date_time_to_unix(dt) * 1000;
    return at > now_ms ? at - now_ms : 0;
}

/* Sorts indexes by the row's (endpoint, meeting, id). */
static const HnOutboxRow *sort_rows;
static int by_group(const void *a, const void *b)
{
    const HnOutboxRow *x = &sort_rows[*(const guint *)a], *y = &sort_rows[*(const guint *)b];
    if (x->endpoint != y->endpoint)
        return x->endpoint < y->endpoint ? -1 : 1;
    if (x->meeting != y->meeting)
        return x->meeting < y->meeting ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static gboolean is_final(HnOutboxState s)
{
    return s == HN_OUTBOX_DELIVERED || s == HN_OUTBOX_DEAD;
}

/* The indexes of the groups' heads (lowest unfinished id per endpoint and meeting). transfer
 * full; *nheads set. */
static guint *heads_of(const HnOutboxRow *rows, guint n, guint *nheads)
{
    guint *idx = g_new(guint, n ? n : 1);
    guint k = 0;
    for (guint i = 0; i < n; i++)
        if (!is_final(rows[i].state))
            idx[k++] = i;
    G_LOCK_DEFINE_STATIC(sort);
    G_LOCK(sort); /* qsort has no user pointer; the picker is rarely called */
    sort_rows = rows;
    qsort(idx, k, sizeof *idx, by_group);
    sort_rows = NULL;
    G_UNLOCK(sort);
    guint h = 0;
    for (guint i = 0; i < k; i++) {
        const HnOutboxRow *r = &rows[idx[i]];
        if (i > 0) {
            const HnOutboxRow *q = &rows[idx[i - 1]];
            if (q->endpoint == r->endpoint && q->meeting == r->meeting)
                continue;
        }
        idx[h++] = idx[i];
    }
    *nheads = h;
    return idx;
}

static const HnOutboxRow *due_rows;
static int by_due(const void *a, const void *b)
{
    const HnOutboxRow *x = &due_rows[*(const guint *)a], *y = &due_rows[*(const guint *)b];
    if (x->next_ms != y->next_ms)
        return x->next_ms < y->next_ms ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

guint hn_outbox_pick(const HnOutboxRow *rows, guint n, gint64 now_ms, guint *out, guint max)
{
    guint nh = 0;
    g_autofree guint *heads = heads_of(rows, n, &nh);
    guint k = 0;
    for (guint i = 0; i < nh; i++) {
        const HnOutboxRow *r = &rows[heads[i]];
        if (r->state == HN_OUTBOX_PENDING && r->endpoint_enabled && r->next_ms <= now_ms)
            heads[k++] = heads[i];
    }
    G_LOCK_DEFINE_STATIC(sort);
    G_LOCK(sort);
    due_rows = rows;
    qsort(heads, k, sizeof *heads, by_due);
    due_rows = NULL;
    G_UNLOCK(sort);
    guint m = MIN(k, max);
    memcpy(out, heads, m * sizeof *out);
    return m;
}

gint64 hn_outbox_next_due(const HnOutboxRow *rows, guint n)
{
    guint nh = 0;
    g_autofree guint *heads = heads_of(rows, n, &nh);
    gint64 next = G_MAXINT64;
    for (guint i = 0; i < nh; i++) {
        const HnOutboxRow *r = &rows[heads[i]];
        if (r->state == HN_OUTBOX_PENDING && r->endpoint_enabled && r->next_ms < next)
            next = r->next_ms;
    }
    return next;
}

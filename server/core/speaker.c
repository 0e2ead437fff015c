/* Active speaker detection: sliding-window levels, hysteresis, rate-limited updates. */
#include "core/speaker.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

typedef struct {
    uint64_t id;
    int64_t t[HN_SPEAKER_MAX_SAMPLES];
    uint8_t level[HN_SPEAKER_MAX_SAMPLES];
    unsigned head, n; /* ring: newest at head - 1 */
    bool speaking;
    double loudness; /* 127 - average level, at the last evaluation */
} Part;

struct HnSpeaker {
    HnSpeakerConfig cfg;
    HnSpeakerFn fn;
    void *user;
    GHashTable *parts; /* uint64 id -> Part* */
    uint64_t dominant, reported_dominant;
    uint64_t challenger;
    int64_t challenger_since;
    uint64_t reported[HN_SPEAKER_MAX_LIST]; /* last reported list, sorted by id */
    size_t n_reported;
    bool pending;     /* a change not reported yet */
    bool ever_output; /* an update went out (last_out valid) */
    int64_t last_out, next_tick, last_level_us;
    bool have_level;
    unsigned n_speaking;
    HnSpeakerStats stats;
};

HnSpeaker *hn_speaker_new(const HnSpeakerConfig *cfg, HnSpeakerFn fn, void *user)
{
    g_return_val_if_fail(fn != NULL, NULL);
    HnSpeaker *s = g_new0(HnSpeaker, 1);
    s->cfg = cfg ? *cfg : HN_SPEAKER_CONFIG_DEFAULT;
    if (s->cfg.tick_us <= 0)
        s->cfg.tick_us = 100000;
    if (s->cfg.packet_us <= 0)
        s->cfg.packet_us = 20000;
    s->fn = fn;
    s->user = user;
    s->parts = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
    s->next_tick = INT64_MIN / 4; /* due at once; no overflow in next_deadline */
    return s;
}

void hn_speaker_free(HnSpeaker *s)
{
    if (!s)
        return;
    g_hash_table_destroy(s->parts);
    g_free(s);
}

int hn_speaker_on_level(HnSpeaker *s, uint64_t id, uint8_t level_dbov, bool voice, int64_t now_us)
{
    (void)voice; /* Chromium's V bit follows its VAD, which calls a steady tone silence: unused */
    if (id == 0)
        return -EINVAL;
    Part *p = g_hash_table_lookup(s->parts, &id);
    if (!p) {
        p = g_new0(Part, 1);
        p->id = id;
        g_hash_table_insert(s->parts, &p->id, p);
    }
    p->t[p->head] = now_us;
    p->level[p->head] = level_dbov > 127 ? 127 : level_dbov;
    p->head = (p->head + 1) % HN_SPEAKER_MAX_SAMPLES;
    if (p->n < HN_SPEAKER_MAX_SAMPLES)
        p->n++;
    s->stats.levels++;
    if (!s->have_level || now_us > s->last_level_us)
        s->last_level_us = now_us;
    s->have_level = true;
    return 0;
}

void hn_speaker_remove(HnSpeaker *s, uint64_t id)
{
    Part *p = g_hash_table_lookup(s->parts, &id);
    if (!p)
        return;
    if (p->speaking)
        s->n_speaking--;
    g_hash_table_remove(s->parts, &id);
    if (s->challenger == id)
        s->challenger = 0;
    if (s->dominant == id) {
        s->dominant = 0;
        s->pending = true; /* the next evaluation hands over (or reports none) */
    }
    for (size_t i = 0; i < s->n_reported; i++) {
        if (s->reported[i] == id)
            s->pending = true;
    }
}

/* 127 - the average level over the window, gaps counted as silence. */
static double window_loudness(const HnSpeaker *s, const Part *p, int64_t now)
{
    int64_t from = now - s->cfg.window_us;
    double sum = 0;
    unsigned n = 0;
    for (unsigned k = 0; k < p->n; k++) {
        unsigned i = (p->head + HN_SPEAKER_MAX_SAMPLES - 1 - k) % HN_SPEAKER_MAX_SAMPLES;
        if (p->t[i] <= from || p->t[i] > now)
            continue;
        sum += 127 - p->level[i];
        n++;
    }
    double nominal = (double)s->cfg.window_us / (double)s->cfg.packet_us;
    double denom = n > nominal ? n : nominal;
    return denom > 0 ? sum / denom : 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    uint64_t id;
    double loudness;
} Ranked;

static int cmp_louder(const void *a, const void *b)
{
    const Ranked *x = a, *y = b;
    if (x->loudness != y->loudness)
        return x->loudness > y->loudness ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id; /* stable order for equal levels */
}

/* Updates every participant's loudness and speaking flag; fills the speaking ones, loudest first
 * (transfer full, *n entries). */
static Ranked *evaluate(HnSpeaker *s, int64_t now, size_t *n)
{
    Ranked *r = g_new(Ranked, g_hash_table_size(s->parts) + 1);
    *n = 0;
    double on = 127.0 - s->cfg.speaking_dbov;
    double off = on - s->cfg.hysteresis_db;
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, s->parts);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        Part *p = v;
        p->loudness = window_loudness(s, p, now);
        bool was = p->speaking;
        p->speaking = was ? p->loudness >= off : p->loudness > on;
        s->n_speaking += p->speaking - was;
        if (p->speaking)
            r[(*n)++] = (Ranked){p->id, p->loudness};
    }
    qsort(r, *n, sizeof *r, cmp_louder);
    return r;
}

static void choose_dominant(HnSpeaker *s, const Ranked *r, size_t n, int64_t now)
{
    if (s->dominant == 0) {
        s->challenger = 0;
        if (n > 0) {
            s->dominant = r[0].id;
            s->pending = true;
        }
        return;
    }
    const Part *d = g_hash_table_lookup(s->parts, &s->dominant);
    double dl = d ? d->loudness : 0;
    uint64_t c = 0;
    for (size_t i = 0; i < n && !c; i++) {
        if (r[i].id != s->dominant && r[i].loudness > dl)
            c = r[i].id;
    }
    if (c == 0 || c != s->challenger) {
        s->challenger = c;
        s->challenger_since = now;
        return;
    }
    if (now - s->challenger_since >= s->cfg.switch_hold_us) {
        s->dominant = c;
        s->challenger = 0;
        s->pending = true;
    }
}

void hn_speaker_on_timeout(HnSpeaker *s, int64_t now_us)
{
    if (now_us < s->next_tick)
        return;
    s->next_tick = now_us + s->cfg.tick_us;
    size_t n = 0;
    Ranked *r = evaluate(s, now_us, &n);
    choose_dominant(s, r, n, now_us);
    size_t nl = n < HN_SPEAKER_MAX_LIST ? n : HN_SPEAKER_MAX_LIST;
    uint64_t list[HN_SPEAKER_MAX_LIST], sorted[HN_SPEAKER_MAX_LIST];
    for (size_t i = 0; i < nl; i++)
        list[i] = sorted[i] = r[i].id;
    qsort(sorted, nl, sizeof *sorted, cmp_u64);
    if (nl != s->n_reported || memcmp(sorted, s->reported, nl * sizeof *sorted) != 0)
        s->pending = true;
    if (s->pending && (!s->ever_output || now_us - s->last_out >= s->cfg.min_interval_us)) {
        const Part *d = s->dominant ? g_hash_table_lookup(s->parts, &s->dominant) : NULL;
        HnSpeakerUpdate u = {
            .dominant = s->dominant,
            .dominant_changed = s->dominant != s->reported_dominant,
            .speaking = list,
            .n_speaking = nl,
            .dominant_level = (uint8_t)(d ? 127.0 - d->loudness + 0.5 : 127),
        };
        s->pending = false;
        s->ever_output = true;
        s->last_out = now_us;
        s->stats.updates++;
        s->stats.changes += u.dominant_changed;
        s->reported_dominant = s->dominant;
        memcpy(s->reported, sorted, nl * sizeof *sorted);
        s->n_reported = nl;
        s->fn(s->user, &u, now_us);
    }
    g_free(r);
}

int64_t hn_speaker_next_deadline(const HnSpeaker *s)
{
    bool recent =
        s->have_level && s->last_level_us + s->cfg.window_us >= s->next_tick - s->cfg.tick_us;
    if (s->pending || s->n_speaking > 0 || s->challenger != 0 || recent)
        return s->next_tick;
    return INT64_MAX;
}

uint64_t hn_speaker_dominant(const HnSpeaker *s)
{
    return s->dominant;
}

void hn_speaker_get_stats(const HnSpeaker *s, HnSpeakerStats *out)
{
    *out = s->stats;
}

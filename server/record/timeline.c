/* One timeline from the sender reports: see timeline.h. */
#include "record/timeline.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define WINDOW_US      (10 * G_USEC_PER_SEC) /* one mapping point per window of NTP time */
#define SLOPE_SPAN_US  (30 * G_USEC_PER_SEC) /* the slope only from points this far apart */
#define SLOPE_MAX      1e-3                  /* +-1000 ppm */
#define REANCHOR_US    G_USEC_PER_SEC
#define NTP_UNIX_DELTA 2208988800ULL /* seconds from 1900 to 1970 */

typedef struct {
    int64_t ntp_us;
    int64_t off_us; /* arrival - ntp: offset plus that SR's network delay */
} Point;

typedef struct {
    char *id;
    GArray *points; /* Point: the lowest-delay SR of each window, in NTP order */
    gboolean have;
    int64_t x0; /* wall = ntp + c + s * (ntp - x0) */
    double c, s;
} Pub;

typedef struct {
    uint32_t ssrc;
    uint32_t rtp;
    int64_t ntp_us;
    int64_t arr_us;
} Sr;

typedef struct {
    int pub;
    uint32_t rate;
    GArray *srs; /* Sr, in arrival order */
    gboolean anchored;
    uint32_t a_ssrc, a_rtp;
    int64_t a_arr;
} Track;

struct HnTimeline {
    GPtrArray *pubs;   /* Pub* */
    GPtrArray *tracks; /* Track* */
    gboolean frozen;
};

int64_t hn_timeline_ntp_to_us(uint64_t ntp)
{
    uint64_t sec = ntp >> 32, frac = ntp & 0xffffffffu;
    return ((int64_t)sec - (int64_t)NTP_UNIX_DELTA) * G_USEC_PER_SEC +
           (int64_t)((frac * G_USEC_PER_SEC) >> 32);
}

uint64_t hn_timeline_us_to_ntp(int64_t us)
{
    int64_t sec = us / G_USEC_PER_SEC, rem = us % G_USEC_PER_SEC;
    if (rem < 0) {
        rem += G_USEC_PER_SEC;
        sec--;
    }
    return ((uint64_t)(sec + (int64_t)NTP_UNIX_DELTA) << 32) |
           (((uint64_t)rem << 32) / G_USEC_PER_SEC);
}

static void pub_free(gpointer p)
{
    Pub *pub = p;
    g_array_unref(pub->points);
    g_free(pub->id);
    g_free(pub);
}

static void track_free(gpointer p)
{
    Track *t = p;
    g_array_unref(t->srs);
    g_free(t);
}

HnTimeline *hn_timeline_new(void)
{
    HnTimeline *tl = g_new0(HnTimeline, 1);
    tl->pubs = g_ptr_array_new_with_free_func(pub_free);
    tl->tracks = g_ptr_array_new_with_free_func(track_free);
    return tl;
}

void hn_timeline_free(HnTimeline *tl)
{
    if (!tl)
        return;
    g_ptr_array_unref(tl->pubs);
    g_ptr_array_unref(tl->tracks);
    g_free(tl);
}

int hn_timeline_add_track(HnTimeline *tl, const char *publisher, uint32_t clock_rate)
{
    const char *id = publisher ? publisher : "";
    int pi = -1;
    for (guint i = 0; i < tl->pubs->len && pi < 0; i++)
        if (strcmp(((Pub *)tl->pubs->pdata[i])->id, id) == 0)
            pi = (int)i;
    if (pi < 0) {
        Pub *pub = g_new0(Pub, 1);
        pub->id = g_strdup(id);
        pub->points = g_array_new(FALSE, FALSE, sizeof(Point));
        g_ptr_array_add(tl->pubs, pub);
        pi = (int)tl->pubs->len - 1;
    }
    Track *t = g_new0(Track, 1);
    t->pub = pi;
    t->rate = clock_rate ? clock_rate : 90000;
    t->srs = g_array_new(FALSE, FALSE, sizeof(Sr));
    g_ptr_array_add(tl->tracks, t);
    return (int)tl->tracks->len - 1;
}

/* Least squares of the offset over the points: off = c + s * (ntp - x0); s only when the points
 * span SLOPE_SPAN_US, else the lowest offset with s = 0. */
static void pub_fit(Pub *pub)
{
    GArray *pts = pub->points;
    if (pts->len == 0)
        return;
    const Point *first = &g_array_index(pts, Point, 0);
    const Point *last = &g_array_index(pts, Point, pts->len - 1);
    pub->have = TRUE;
    pub->x0 = first->ntp_us;
    if (last->ntp_us - first->ntp_us < SLOPE_SPAN_US) {
        int64_t best = first->off_us;
        for (guint i = 1; i < pts->len; i++)
            best = MIN(best, g_array_index(pts, Point, i).off_us);
        pub->c = (double)best;
        pub->s = 0;
        return;
    }
    double n = pts->len, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (guint i = 0; i < pts->len; i++) {
        const Point *p = &g_array_index(pts, Point, i);
        double x = (double)(p->ntp_us - pub->x0), y = (double)(p->off_us - first->off_us);
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    double den = n * sxx - sx * sx;
    double s = den > 0 ? (n * sxy - sx * sy) / den : 0;
    s = CLAMP(s, -SLOPE_MAX, SLOPE_MAX);
    pub->s = s;
    pub->c = (double)first->off_us + (sy - s * sx) / n;
}

static void pub_take(Pub *pub, int64_t ntp_us, int64_t arr_us)
{
    Point p = {ntp_us, arr_us - ntp_us};
    GArray *pts = pub->points;
    guint i = pts->len; /* the points stay in NTP order (the after mode feeds track by track) */
    while (i > 0 && g_array_index(pts, Point, i - 1).ntp_us / WINDOW_US > ntp_us / WINDOW_US)
        i--;
    Point *same = i > 0 ? &g_array_index(pts, Point, i - 1) : NULL;
    if (same && same->ntp_us / WINDOW_US == ntp_us / WINDOW_US) {
        if (p.off_us >= same->off_us)
            return;
        *same = p;
    } else {
        g_array_insert_val(pts, i, p);
    }
    pub_fit(pub);
}

int hn_timeline_on_rtcp(HnTimeline *tl, int track, const uint8_t *rtcp, size_t len,
                        uint64_t arrival_us)
{
    g_return_val_if_fail(track >= 0 && (guint)track < tl->tracks->len, -EINVAL);
    if (tl->frozen)
        return 0;
    /* validate the whole compound first: nothing is taken from a malformed one */
    size_t off = 0;
    while (off < len) {
        if (len - off < 4 || (rtcp[off] >> 6) != 2)
            return -EBADMSG;
        size_t plen = 4 * ((size_t)((rtcp[off + 2] << 8) | rtcp[off + 3]) + 1);
        if (plen > len - off)
            return -EBADMSG;
        off += plen;
    }
    if (len == 0)
        return -EBADMSG;
    Track *t = tl->tracks->pdata[track];
    int taken = 0;
    for (off = 0; off < len;) {
        size_t plen = 4 * ((size_t)((rtcp[off + 2] << 8) | rtcp[off + 3]) + 1);
        const uint8_t *p = rtcp + off;
        if (p[1] == 200 && plen >= 28) {
            uint64_t ntp = ((uint64_t)p[8] << 56) | ((uint64_t)p[9] << 48) |
                           ((uint64_t)p[10] << 40) | ((uint64_t)p[11] << 32) |
                           ((uint64_t)p[12] << 24) | ((uint64_t)p[13] << 16) |
                           ((uint64_t)p[14] << 8) | p[15];
            Sr sr = {.ssrc = ((uint32_t)p[4] << 24) | ((uint32_t)p[5] << 16) |
                             ((uint32_t)p[6] << 8) | p[7],
                     .rtp = ((uint32_t)p[16] << 24) | ((uint32_t)p[17] << 16) |
                            ((uint32_t)p[18] << 8) | p[19],
                     .ntp_us = hn_timeline_ntp_to_us(ntp),
                     .arr_us = (int64_t)arrival_us};
            g_array_append_val(t->srs, sr);
            pub_take(tl->pubs->pdata[t->pub], sr.ntp_us, sr.arr_us);
            taken++;
        }
        off += plen;
    }
    return taken;
}

void hn_timeline_freeze(HnTimeline *tl)
{
    tl->frozen = TRUE;
}

/* The SR of ssrc to place a packet that arrived at arr: the latest (live) or the nearest in
 * arrival time (frozen). NULL when the SSRC has none. */
static const Sr *find_sr(const HnTimeline *tl, const Track *t, uint32_t ssrc, int64_t arr)
{
    GArray *srs = t->srs;
    if (!tl->frozen) {
        for (guint i = srs->len; i-- > 0;)
            if (g_array_index(srs, Sr, i).ssrc == ssrc)
                return &g_array_index(srs, Sr, i);
        return NULL;
    }
    guint lo = 0, hi = srs->len; /* first SR arriving at or after arr */
    while (lo < hi) {
        guint mid = (lo + hi) / 2;
        if (g_array_index(srs, Sr, mid).arr_us < arr)
            lo = mid + 1;
        else
            hi = mid;
    }
    const Sr *best = NULL;
    for (guint i = lo; i < srs->len && !best; i++)
        if (g_array_index(srs, Sr, i).ssrc == ssrc)
            best = &g_array_index(srs, Sr, i);
    for (guint i = lo; i-- > 0;) {
        const Sr *sr = &g_array_index(srs, Sr, i);
        if (sr->ssrc != ssrc)
            continue;
        if (!best || arr - sr->arr_us < best->arr_us - arr)
            best = sr;
        break;
    }
    return best;
}

static int64_t rtp_diff_us(uint32_t a, uint32_t b, uint32_t rate)
{
    return (int64_t)(int32_t)(a - b) * G_USEC_PER_SEC / (int64_t)rate;
}

int64_t hn_timeline_place(HnTimeline *tl, int track, uint32_t ssrc, uint32_t rtp_ts,
                          uint64_t arrival_us)
{
    g_return_val_if_fail(track >= 0 && (guint)track < tl->tracks->len, (int64_t)arrival_us);
    Track *t = tl->tracks->pdata[track];
    const Pub *pub = tl->pubs->pdata[t->pub];
    int64_t arr = (int64_t)arrival_us;
    const Sr *sr = pub->have ? find_sr(tl, t, ssrc, arr) : NULL;
    if (sr) {
        int64_t ntp = sr->ntp_us + rtp_diff_us(rtp_ts, sr->rtp, t->rate);
        return ntp + (int64_t)llround(pub->c + pub->s * (double)(ntp - pub->x0));
    }
    /* by arrival: anchored at the fastest packet so far, re-anchored on a jump */
    int64_t pred = t->a_arr + rtp_diff_us(rtp_ts, t->a_rtp, t->rate);
    if (!t->anchored || t->a_ssrc != ssrc || llabs(arr - pred) > REANCHOR_US) {
        t->anchored = TRUE;
        t->a_ssrc = ssrc;
        t->a_rtp = rtp_ts;
        t->a_arr = arr;
        return arr;
    }
    if (arr < pred) {
        t->a_arr -= pred - arr;
        pred = arr;
    }
    return pred;
}

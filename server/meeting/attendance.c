/* Attendance in the four official states from joins and leaves (see attendance.h). */
#include "meeting/attendance.h"

#include <string.h>

/* An open or closed stretch of one connection. */
typedef struct {
    char *pid;
    HnAttendEntry *person; /* NULL: a hall (site role) */
    HnAttendEntry *site;   /* NULL: no site */
    gint64 start_ms;
    gboolean hall;
} Conn;

struct HnAttendance {
    GPtrArray *people; /* HnAttendEntry* */
    GPtrArray *sites;  /* HnAttendEntry* */
    GPtrArray *open;   /* Conn* present now */
    guint stray;
    gboolean finished;
};

const char *hn_attend_state_name(HnAttendState s)
{
    switch (s) {
    case HN_ATTEND_PRESENT_HALL:
        return "present_hall";
    case HN_ATTEND_PRESENT_ONLINE:
        return "present_online";
    case HN_ATTEND_ABSENT:
        return "absent";
    case HN_ATTEND_NOT_CHECKED_IN:
        break;
    }
    return "not_checked_in";
}

static void entry_free(gpointer p)
{
    HnAttendEntry *e = p;
    g_free(e->name);
    g_free(e->role);
    g_free(e->site);
    g_free(e->sub);
    g_free(e->reason);
    g_array_unref(e->intervals);
    g_free(e);
}

static HnAttendEntry *entry_new(const char *name)
{
    HnAttendEntry *e = g_new0(HnAttendEntry, 1);
    e->name = g_strdup(name ? name : "");
    e->state = HN_ATTEND_NOT_CHECKED_IN;
    e->intervals = g_array_new(FALSE, FALSE, sizeof(HnAttendInterval));
    return e;
}

static void conn_free(gpointer p)
{
    Conn *c = p;
    g_free(c->pid);
    g_free(c);
}

HnAttendance *hn_attendance_new(void)
{
    HnAttendance *a = g_new0(HnAttendance, 1);
    a->people = g_ptr_array_new_with_free_func(entry_free);
    a->sites = g_ptr_array_new_with_free_func(entry_free);
    a->open = g_ptr_array_new_with_free_func(conn_free);
    return a;
}

void hn_attendance_free(HnAttendance *a)
{
    if (!a)
        return;
    g_ptr_array_unref(a->people);
    g_ptr_array_unref(a->sites);
    g_ptr_array_unref(a->open);
    g_free(a);
}

/* Names compare after Unicode normalization and case folding ("Lê Văn C" == "lê văn c"). */
static gboolean same_name(const char *x, const char *y)
{
    if (!x || !y)
        return FALSE;
    char *nx = g_utf8_normalize(x, -1, G_NORMALIZE_NFC),
         *ny = g_utf8_normalize(y, -1, G_NORMALIZE_NFC);
    char *fx = nx ? g_utf8_casefold(nx, -1) : NULL, *fy = ny ? g_utf8_casefold(ny, -1) : NULL;
    gboolean eq = fx && fy && strcmp(fx, fy) == 0;
    g_free(nx);
    g_free(ny);
    g_free(fx);
    g_free(fy);
    return eq;
}

static HnAttendEntry *find(GPtrArray *list, const char *name)
{
    for (guint i = 0; i < list->len; i++) {
        HnAttendEntry *e = g_ptr_array_index(list, i);
        if (same_name(e->name, name))
            return e;
    }
    return NULL;
}

static HnAttendEntry *site_get(HnAttendance *a, const char *site)
{
    if (!site || !*site)
        return NULL;
    HnAttendEntry *e = find(a->sites, site);
    if (!e) {
        e = entry_new(site);
        g_ptr_array_add(a->sites, e);
    }
    return e;
}

void hn_attendance_invite_site(HnAttendance *a, const char *site)
{
    HnAttendEntry *e = site_get(a, site);
    if (e)
        e->invited = TRUE;
}

void hn_attendance_invite_person(HnAttendance *a, const char *name, const char *site)
{
    if (!name || !*name || find(a->people, name))
        return;
    HnAttendEntry *e = entry_new(name);
    e->site = g_strdup(site && *site ? site : NULL);
    e->invited = TRUE;
    g_ptr_array_add(a->people, e);
}

void hn_attendance_reason(HnAttendance *a, gboolean is_site, const char *name, const char *reason)
{
    HnAttendEntry *e = find(is_site ? a->sites : a->people, name);
    if (!e) {
        if (!reason || !*reason)
            return;
        if (is_site)
            e = site_get(a, name);
        else {
            e = entry_new(name);
            g_ptr_array_add(a->people, e);
        }
    }
    g_free(e->reason);
    e->reason = reason && *reason ? g_strdup(reason) : NULL;
}

/* The person a join is: the same sub, else (no sub on one side) the same name. */
static HnAttendEntry *person_get(HnAttendance *a, const char *name, const char *sub)
{
    for (guint i = 0; i < a->people->len; i++) {
        HnAttendEntry *e = g_ptr_array_index(a->people, i);
        if (sub && e->sub ? strcmp(sub, e->sub) == 0 : same_name(e->name, name))
            return e;
    }
    HnAttendEntry *e = entry_new(name);
    g_ptr_array_add(a->people, e);
    return e;
}

static void add_interval(HnAttendEntry *e, gint64 start, gint64 end)
{
    if (!e)
        return;
    HnAttendInterval iv = {start, end < start ? start : end};
    g_array_append_val(e->intervals, iv);
}

static void conn_close(HnAttendance *a, guint i, gint64 now_ms)
{
    Conn *c = g_ptr_array_index(a->open, i);
    add_interval(c->person, c->start_ms, now_ms);
    add_interval(c->site, c->start_ms, now_ms);
    g_ptr_array_remove_index(a->open, i);
}

static int open_index(HnAttendance *a, const char *pid)
{
    for (guint i = 0; i < a->open->len; i++)
        if (strcmp(((Conn *)g_ptr_array_index(a->open, i))->pid, pid) == 0)
            return (int)i;
    return -1;
}

void hn_attendance_join(HnAttendance *a, const char *pid, const char *name, const char *role,
                        const char *sub, const char *site, gint64 now_ms)
{
    if (!pid || a->finished)
        return;
    int i = open_index(a, pid);
    if (i >= 0)
        conn_close(a, (guint)i, now_ms);
    Conn *c = g_new0(Conn, 1);
    c->pid = g_strdup(pid);
    c->start_ms = now_ms;
    c->hall = role && strcmp(role, "site") == 0;
    if (c->hall) {
        /* a hall's endpoint: its site is its site, else its name */
        c->site = site_get(a, site && *site ? site : name);
        if (c->site)
            c->site->state = HN_ATTEND_PRESENT_HALL;
    } else {
        c->person = person_get(a, name, sub && *sub ? sub : NULL);
        if (!c->person->role)
            c->person->role = g_strdup(role ? role : "member");
        if (!c->person->sub && sub && *sub)
            c->person->sub = g_strdup(sub);
        if (!c->person->site && site && *site)
            c->person->site = g_strdup(site);
        c->person->state = HN_ATTEND_PRESENT_ONLINE;
        c->site = site_get(a, c->person->site);
        if (c->site && c->site->state != HN_ATTEND_PRESENT_HALL)
            c->site->state = HN_ATTEND_PRESENT_ONLINE;
    }
    g_ptr_array_add(a->open, c);
}

void hn_attendance_leave(HnAttendance *a, const char *pid, gint64 now_ms)
{
    int i = pid && !a->finished ? open_index(a, pid) : -1;
    if (i < 0) {
        a->stray++;
        return;
    }
    conn_close(a, (guint)i, now_ms);
}

static gint cmp_interval(gconstpointer x, gconstpointer y)
{
    const HnAttendInterval *a = x, *b = y;
    return a->start_ms < b->start_ms ? -1 : a->start_ms > b->start_ms ? 1 : 0;
}

/* Sorts and merges e's intervals, sums them, and settles the state of one never present. */
static void settle(HnAttendEntry *e)
{
    g_array_sort(e->intervals, cmp_interval);
    GArray *merged = g_array_new(FALSE, FALSE, sizeof(HnAttendInterval));
    for (guint i = 0; i < e->intervals->len; i++) {
        HnAttendInterval iv = g_array_index(e->intervals, HnAttendInterval, i);
        HnAttendInterval *last =
            merged->len ? &g_array_index(merged, HnAttendInterval, merged->len - 1) : NULL;
        if (last && iv.start_ms <= last->end_ms) {
            if (iv.end_ms > last->end_ms)
                last->end_ms = iv.end_ms;
        } else
            g_array_append_val(merged, iv);
    }
    g_array_unref(e->intervals);
    e->intervals = merged;
    e->presence_ms = 0;
    for (guint i = 0; i < merged->len; i++) {
        HnAttendInterval *iv = &g_array_index(merged, HnAttendInterval, i);
        e->presence_ms += iv->end_ms - iv->start_ms;
    }
    if (e->state == HN_ATTEND_PRESENT_HALL || e->state == HN_ATTEND_PRESENT_ONLINE) {
        g_clear_pointer(&e->reason, g_free); /* came after all */
        return;
    }
    e->state = e->reason ? HN_ATTEND_ABSENT : HN_ATTEND_NOT_CHECKED_IN;
}

void hn_attendance_finish(HnAttendance *a, gint64 end_ms)
{
    if (a->finished)
        return;
    while (a->open->len)
        conn_close(a, a->open->len - 1, end_ms);
    a->finished = TRUE;
    for (guint i = 0; i < a->people->len; i++)
        settle(g_ptr_array_index(a->people, i));
    for (guint i = 0; i < a->sites->len; i++)
        settle(g_ptr_array_index(a->sites, i));
}

guint hn_attendance_n_people(const HnAttendance *a)
{
    return a->people->len;
}

const HnAttendEntry *hn_attendance_person(const HnAttendance *a, guint i)
{
    return i < a->people->len ? g_ptr_array_index(a->people, i) : NULL;
}

guint hn_attendance_n_sites(const HnAttendance *a)
{
    return a->sites->len;
}

const HnAttendEntry *hn_attendance_site(const HnAttendance *a, guint i)
{
    return i < a->sites->len ? g_ptr_array_index(a->sites, i) : NULL;
}

guint hn_attendance_stray(const HnAttendance *a)
{
    return a->stray;
}

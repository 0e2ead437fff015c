#include "meeting/floor.h"

#include <errno.h>
#include <string.h>

struct HnFloor {
    GPtrArray *parts; /* HnFloorPart*, join order */
    bool locked;
    uint64_t hand_seq;  /* raised hands are ordered by hand_at, then by this */
    uint64_t presenter; /* who shares a screen now (spared by mute-all), 0: none */
};

typedef struct {
    HnFloorPart pub;
    bool granted;      /* a secretary given chair rights */
    uint64_t hand_seq; /* 0: not raised */
} Part;

static const char *const action_names[HN_FLOOR_N_ACTIONS] = {
    [HN_FLOOR_MUTE] = "mute",
    [HN_FLOOR_ALLOW_UNMUTE] = "allow-unmute",
    [HN_FLOOR_ASK_UNMUTE] = "ask-unmute",
    [HN_FLOOR_MUTE_ALL] = "mute-all",
    [HN_FLOOR_REMOVE] = "remove",
    [HN_FLOOR_LOCK] = "lock",
    [HN_FLOOR_UNLOCK] = "unlock",
    [HN_FLOOR_GIVE_FLOOR] = "give-floor",
    [HN_FLOOR_LOWER_HAND] = "lower-hand",
    [HN_FLOOR_LOWER_HANDS] = "lower-hands",
    [HN_FLOOR_GRANT_CHAIR] = "grant-chair",
    [HN_FLOOR_REVOKE_CHAIR] = "revoke-chair",
    [HN_FLOOR_END] = "end",
    [HN_FLOOR_STOP_SHARE] = "stop-share",
};

const char *hn_floor_action_name(HnFloorAction a)
{
    return (unsigned)a < HN_FLOOR_N_ACTIONS ? action_names[a] : "unknown";
}

int hn_floor_action_parse(const char *name)
{
    for (int i = 0; name && i < HN_FLOOR_N_ACTIONS; i++)
        if (strcmp(name, action_names[i]) == 0)
            return i;
    return -1;
}

bool hn_floor_action_needs_target(HnFloorAction a)
{
    switch (a) {
    case HN_FLOOR_MUTE:
    case HN_FLOOR_ALLOW_UNMUTE:
    case HN_FLOOR_ASK_UNMUTE:
    case HN_FLOOR_REMOVE:
    case HN_FLOOR_GIVE_FLOOR:
    case HN_FLOOR_LOWER_HAND:
    case HN_FLOOR_GRANT_CHAIR:
    case HN_FLOOR_REVOKE_CHAIR:
    case HN_FLOOR_STOP_SHARE:
        return true;
    default:
        return false;
    }
}

HnFloor *hn_floor_new(void)
{
    HnFloor *f = g_new0(HnFloor, 1);
    f->parts = g_ptr_array_new_with_free_func(g_free);
    return f;
}

void hn_floor_free(HnFloor *f)
{
    if (!f)
        return;
    g_ptr_array_free(f->parts, TRUE);
    g_free(f);
}

static Part *find(const HnFloor *f, uint64_t pid)
{
    for (guint i = 0; i < f->parts->len; i++) {
        Part *p = f->parts->pdata[i];
        if (p->pub.pid == pid)
            return p;
    }
    return NULL;
}

static bool may_chair(const Part *p)
{
    return p && (p->pub.role == HN_ROLE_CHAIR || (p->pub.role == HN_ROLE_SECRETARY && p->granted));
}

static void fx_add(GArray *fx, HnFloorFxType type, uint64_t pid, uint64_t by, HnFloorKind kind,
                   bool on)
{
    if (!fx)
        return;
    HnFloorFx e = {.type = type, .pid = pid, .by = by, .kind = kind, .on = on};
    g_array_append_val(fx, e);
}

static void updated(GArray *fx, const Part *p)
{
    fx_add(fx, HN_FLOOR_FX_UPDATED, p->pub.pid, 0, HN_FLOOR_AUDIO, false);
}

/* Renumbers the queue of raised hands (1-based, by raise time then arrival); reports everyone
 * whose place changed except skip (the caller reports it). */
static void renumber(HnFloor *f, GArray *fx, const Part *skip)
{
    for (guint i = 0; i < f->parts->len; i++) {
        Part *p = f->parts->pdata[i];
        unsigned place = 0;
        if (p->hand_seq) {
            place = 1;
            for (guint j = 0; j < f->parts->len; j++) {
                const Part *q = f->parts->pdata[j];
                if (q != p && q->hand_seq &&
                    (q->pub.hand_at < p->pub.hand_at ||
                     (q->pub.hand_at == p->pub.hand_at && q->hand_seq < p->hand_seq)))
                    place++;
            }
        }
        if (place != p->pub.hand) {
            p->pub.hand = place;
            if (p != skip)
                updated(fx, p);
        }
    }
}

HnRole hn_floor_join(HnFloor *f, uint64_t pid, HnRole role, bool open_room)
{
    Part *p = find(f, pid);
    if (!p) {
        p = g_new0(Part, 1);
        p->pub.pid = pid;
        g_ptr_array_add(f->parts, p);
    }
    if (open_room && role == HN_ROLE_MEMBER) {
        bool chair_present = false;
        for (guint i = 0; i < f->parts->len; i++)
            chair_present |= may_chair(f->parts->pdata[i]);
        if (!chair_present)
            role = HN_ROLE_CHAIR;
    }
    p->pub.role = role;
    p->pub.chair = may_chair(p);
    p->pub.on[HN_FLOOR_AUDIO] = p->pub.on[HN_FLOOR_VIDEO] = role != HN_ROLE_OBSERVER;
    return role;
}

void hn_floor_leave(HnFloor *f, uint64_t pid, GArray *fx)
{
    Part *p = find(f, pid);
    if (!p)
        return;
    g_ptr_array_remove(f->parts, p);
    if (f->presenter == pid)
        f->presenter = 0;
    renumber(f, fx, NULL);
}

int hn_floor_set_state(HnFloor *f, uint64_t pid, HnFloorKind kind, bool on, GArray *fx)
{
    Part *p = find(f, pid);
    if (!p)
        return -ENOENT;
    if (on && (p->pub.locked[kind] || p->pub.role == HN_ROLE_OBSERVER))
        return -EPERM;
    if (p->pub.on[kind] != on) {
        p->pub.on[kind] = on;
        updated(fx, p);
    }
    return 0;
}

static void set_hand(HnFloor *f, Part *p, bool raised, int64_t now_us, GArray *fx)
{
    if (raised == (p->hand_seq != 0))
        return;
    p->hand_seq = raised ? ++f->hand_seq : 0;
    p->pub.hand_at = raised ? now_us : 0;
    renumber(f, fx, p);
    updated(fx, p);
}

int hn_floor_hand(HnFloor *f, uint64_t pid, bool raised, int64_t now_us, GArray *fx)
{
    Part *p = find(f, pid);
    if (!p)
        return -ENOENT;
    set_hand(f, p, raised, now_us, fx);
    return 0;
}

/* Locks kind of p off (mute) or lifts the lock; forwarding follows the lock. */
static void lock_kind(Part *p, HnFloorKind kind, bool lock, uint64_t by, GArray *fx)
{
    bool changed = p->pub.locked[kind] != lock || (lock && p->pub.on[kind]);
    if (p->pub.locked[kind] != lock)
        fx_add(fx, HN_FLOOR_FX_FORWARD, p->pub.pid, by, kind, !lock);
    p->pub.locked[kind] = lock;
    if (lock)
        p->pub.on[kind] = false;
    if (changed)
        updated(fx, p);
}

static int target_checks(HnFloor *f, HnFloorAction action, uint64_t by, uint64_t target, Part **out)
{
    *out = NULL;
    if (!hn_floor_action_needs_target(action))
        return 0;
    if (!target)
        return -EINVAL;
    Part *t = find(f, target);
    if (!t)
        return -ENOENT;
    if (action == HN_FLOOR_GRANT_CHAIR && t->pub.role != HN_ROLE_SECRETARY)
        return -EINVAL;
    if (action == HN_FLOOR_REMOVE && target == by)
        return -EINVAL;
    *out = t;
    return 0;
}

int hn_floor_moderate(HnFloor *f, uint64_t by, HnFloorAction action, uint64_t target,
                      HnFloorKind kind, GArray *fx)
{
    if ((unsigned)action >= HN_FLOOR_N_ACTIONS ||
        (kind != HN_FLOOR_AUDIO && kind != HN_FLOOR_VIDEO))
        return -EINVAL;
    if (by && !may_chair(find(f, by)))
        return -EPERM;
    Part *t;
    int rc = target_checks(f, action, by, target, &t);
    if (rc < 0)
        return rc;
    switch (action) {
    case HN_FLOOR_MUTE:
        lock_kind(t, kind, true, by, fx);
        break;
    case HN_FLOOR_ALLOW_UNMUTE:
        lock_kind(t, kind, false, by, fx);
        break;
    case HN_FLOOR_ASK_UNMUTE:
        lock_kind(t, kind, false, by, fx);
        fx_add(fx, HN_FLOOR_FX_UNMUTE_REQUEST, t->pub.pid, by, kind, true);
        break;
    case HN_FLOOR_MUTE_ALL:
        for (guint i = 0; i < f->parts->len; i++) {
            Part *p = f->parts->pdata[i];
            if (!may_chair(p) && p->pub.pid != by && p->pub.role != HN_ROLE_OBSERVER &&
                p->pub.pid != f->presenter)
                lock_kind(p, kind, true, by, fx);
        }
        break;
    case HN_FLOOR_REMOVE:
        fx_add(fx, HN_FLOOR_FX_REMOVE, t->pub.pid, by, kind, false);
        break;
    case HN_FLOOR_LOCK:
    case HN_FLOOR_UNLOCK:
        if (f->locked != (action == HN_FLOOR_LOCK)) {
            f->locked = action == HN_FLOOR_LOCK;
            fx_add(fx, HN_FLOOR_FX_ROOM_STATE, 0, by, kind, f->locked);
        }
        break;
    case HN_FLOOR_GIVE_FLOOR:
        set_hand(f, t, false, 0, fx);
        lock_kind(t, HN_FLOOR_AUDIO, false, by, fx);
        fx_add(fx, HN_FLOOR_FX_UNMUTE_REQUEST, t->pub.pid, by, HN_FLOOR_AUDIO, true);
        break;
    case HN_FLOOR_LOWER_HAND:
        set_hand(f, t, false, 0, fx);
        break;
    case HN_FLOOR_LOWER_HANDS:
        for (guint i = 0; i < f->parts->len; i++) {
            Part *p = f->parts->pdata[i];
            if (p->hand_seq) {
                p->hand_seq = 0;
                p->pub.hand_at = 0;
                p->pub.hand = 0;
                updated(fx, p);
            }
        }
        break;
    case HN_FLOOR_GRANT_CHAIR:
    case HN_FLOOR_REVOKE_CHAIR:
        if (t->granted != (action == HN_FLOOR_GRANT_CHAIR)) {
            t->granted = action == HN_FLOOR_GRANT_CHAIR;
            t->pub.chair = may_chair(t);
            updated(fx, t);
        }
        break;
    case HN_FLOOR_END:
        fx_add(fx, HN_FLOOR_FX_END, 0, by, kind, false);
        break;
    case HN_FLOOR_STOP_SHARE:
        if (f->presenter != target)
            return -EINVAL;
        fx_add(fx, HN_FLOOR_FX_STOP_SHARE, target, by, kind, false);
        hn_floor_set_presenting(f, target, false, fx);
        break;
    case HN_FLOOR_N_ACTIONS:
        return -EINVAL;
    }
    return 0;
}

void hn_floor_set_presenting(HnFloor *f, uint64_t pid, bool presenting, GArray *fx)
{
    uint64_t before = f->presenter;
    if (presenting && find(f, pid))
        f->presenter = pid; /* one presenter at a time: a new one takes over */
    else if (!presenting && f->presenter == pid)
        f->presenter = 0;
    if (before == f->presenter)
        return;
    Part *old = before ? find(f, before) : NULL;
    if (old) {
        old->pub.presenting = false;
        updated(fx, old);
    }
    Part *now = f->presenter ? find(f, f->presenter) : NULL;
    if (now) {
        now->pub.presenting = true;
        updated(fx, now);
    }
}

bool hn_floor_locked(const HnFloor *f)
{
    return f->locked;
}

bool hn_floor_may_chair(const HnFloor *f, uint64_t pid)
{
    return may_chair(find(f, pid));
}

const HnFloorPart *hn_floor_get(const HnFloor *f, uint64_t pid)
{
    Part *p = find(f, pid);
    return p ? &p->pub : NULL;
}

size_t hn_floor_list(const HnFloor *f, uint64_t *pids, size_t max)
{
    for (guint i = 0; i < f->parts->len && i < max; i++)
        pids[i] = ((Part *)f->parts->pdata[i])->pub.pid;
    return f->parts->len;
}

uint64_t hn_floor_presenter(const HnFloor *f)
{
    return f->presenter;
}

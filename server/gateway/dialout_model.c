/* Dial-out to one site for one room: see dialout_model.h. */
#include "gateway/dialout_model.h"

#define US 1000000LL

/* A call that lasted this long before it dropped was a good one: the failures start again. */
#define GOOD_CALL_S 60

void hn_dialout_init(HnDialout *d, guint redial_s, guint max_failures)
{
    *d = (HnDialout){0};
    d->redial_us = (int64_t)(redial_s ? redial_s : 1) * US;
    d->max_failures = max_failures ? max_failures : HN_DIALOUT_MAX_FAILURES;
}

static HnDialoutOut out(HnDialoutAction a, HnDialoutEvent e)
{
    return (HnDialoutOut){a, e};
}

static HnDialoutOut dial(HnDialout *d, int64_t now_us)
{
    d->state = HN_DIALOUT_CALLING;
    d->deadline_us = now_us + HN_DIALOUT_RING_S * US;
    d->calls++;
    return out(HN_DIALOUT_DO_DIAL, HN_DIALOUT_EV_CALLING);
}

HnDialoutOut hn_dialout_start(HnDialout *d, int64_t now_us)
{
    if (d->state == HN_DIALOUT_CALLING || d->state == HN_DIALOUT_IN_CALL)
        return out(HN_DIALOUT_DO_NOTHING, HN_DIALOUT_EV_NONE);
    d->failures = 0;
    d->calls = 0;
    return dial(d, now_us);
}

HnDialoutOut hn_dialout_stop(HnDialout *d, int64_t now_us)
{
    (void)now_us;
    HnDialoutState was = d->state;
    d->state = HN_DIALOUT_IDLE;
    d->deadline_us = 0;
    if (was == HN_DIALOUT_CALLING || was == HN_DIALOUT_IN_CALL)
        return out(HN_DIALOUT_DO_HANGUP, HN_DIALOUT_EV_HUNG_UP);
    return out(HN_DIALOUT_DO_NOTHING, HN_DIALOUT_EV_NONE);
}

HnDialoutOut hn_dialout_answered(HnDialout *d, int64_t now_us)
{
    if (d->state != HN_DIALOUT_CALLING)
        return out(HN_DIALOUT_DO_HANGUP, HN_DIALOUT_EV_NONE); /* an answer nobody waits for */
    d->state = HN_DIALOUT_IN_CALL;
    d->deadline_us = 0;
    d->answered_us = now_us;
    return out(HN_DIALOUT_DO_NOTHING, HN_DIALOUT_EV_CONNECTED);
}

/* A failed or dropped call: wait and redial, or give up. */
static HnDialoutOut retry(HnDialout *d, int64_t now_us)
{
    if (++d->failures >= d->max_failures) {
        d->state = HN_DIALOUT_FAILED;
        d->deadline_us = 0;
        return out(HN_DIALOUT_DO_NOTHING, HN_DIALOUT_EV_FAILED);
    }
    d->state = HN_DIALOUT_WAITING;
    d->deadline_us = now_us + d->redial_us;
    return out(HN_DIALOUT_DO_NOTHING, HN_DIALOUT_EV_DROPPED);
}

HnDialoutOut hn_dialout_ended(HnDialout *d, HnDialoutEnd how, int64_t now_us)
{
    if (d->state != HN_DIALOUT_CALLING && d->state != HN_DIALOUT_IN_CALL)
        return out(HN_DIALOUT_DO_NOTHING, HN_DIALOUT_EV_NONE); /* a call we had let go */
    if (how == HN_DIALOUT_END_REMOVED) {
        d->state = HN_DIALOUT_IDLE;
        d->deadline_us = 0;
        return out(HN_DIALOUT_DO_NOTHING, HN_DIALOUT_EV_HUNG_UP);
    }
    if (d->state == HN_DIALOUT_IN_CALL && now_us - d->answered_us >= GOOD_CALL_S * US)
        d->failures = 0;
    return retry(d, now_us);
}

HnDialoutOut hn_dialout_tick(HnDialout *d, int64_t now_us)
{
    if (!d->deadline_us || now_us < d->deadline_us)
        return out(HN_DIALOUT_DO_NOTHING, HN_DIALOUT_EV_NONE);
    if (d->state == HN_DIALOUT_WAITING)
        return dial(d, now_us);
    if (d->state == HN_DIALOUT_CALLING) { /* rang too long */
        HnDialoutOut o = retry(d, now_us);
        o.action = HN_DIALOUT_DO_HANGUP;
        return o;
    }
    return out(HN_DIALOUT_DO_NOTHING, HN_DIALOUT_EV_NONE);
}

int64_t hn_dialout_next_deadline(const HnDialout *d)
{
    return d->deadline_us;
}

const char *hn_dialout_state_name(HnDialoutState s)
{
    static const char *const names[] = {"idle", "calling", "in-call", "waiting", "failed"};
    return (unsigned)s < G_N_ELEMENTS(names) ? names[s] : "?";
}

const char *hn_dialout_event_name(HnDialoutEvent e)
{
    static const char *const names[] = {NULL,           "site.calling", "site.connected",
                                        "site.dropped", "site.failed",  "site.hung-up"};
    return (unsigned)e < G_N_ELEMENTS(names) ? names[e] : NULL;
}

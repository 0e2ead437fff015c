/* Dial-out to one configured site for one room (docs/room-systems.md, "Dial-out"): when to call,
 * when to redial, when to give up. I/O-free: every verb takes `now` (monotonic µs) and returns
 * what the shell (gateway/sip_dialout.c) must do and which event to report; the shell asks
 * hn_dialout_next_deadline() when to call hn_dialout_tick(). Unit-tested on a fake clock
 * (tests/unit/gateway/test_dialout_model.c). Any thread, one at a time.
 *
 *   idle ──start──> calling ──answered──> in-call
 *     ^               │ refused/no answer     │ the site's BYE, media silent
 *     │               v                       v
 *     │            waiting ◄─────────────── (dropped)
 *     │               │ redial_s passed: calling again
 *     │               │ max_failures calls in a row without an answer or a call that
 *     │               v   lasted: failed (until the next start)
 *   stop (meeting over, API DELETE), removed by the chair: idle, no redial */
#pragma once

#include <glib.h>
#include <stdint.h>

#define HN_DIALOUT_RING_S       30 /* seconds a call may ring before it counts as failed */
#define HN_DIALOUT_MAX_FAILURES 5  /* failed calls in a row, then give up */

typedef enum {
    HN_DIALOUT_IDLE = 0,
    HN_DIALOUT_CALLING, /* INVITE sent, no final answer yet */
    HN_DIALOUT_IN_CALL, /* answered, in the room */
    HN_DIALOUT_WAITING, /* dropped or refused: redial at the deadline */
    HN_DIALOUT_FAILED,  /* gave up */
} HnDialoutState;

/* What the shell must do after a verb. */
typedef enum {
    HN_DIALOUT_DO_NOTHING = 0,
    HN_DIALOUT_DO_DIAL,   /* send an INVITE (a new call) */
    HN_DIALOUT_DO_HANGUP, /* end the current call: CANCEL before the answer, BYE after */
} HnDialoutAction;

/* Which event to report into the meeting (site.calling ...). */
typedef enum {
    HN_DIALOUT_EV_NONE = 0,
    HN_DIALOUT_EV_CALLING,
    HN_DIALOUT_EV_CONNECTED,
    HN_DIALOUT_EV_DROPPED, /* a call ended or was refused; a redial follows */
    HN_DIALOUT_EV_FAILED,  /* gave up */
    HN_DIALOUT_EV_HUNG_UP, /* ended on purpose (meeting over, API DELETE, chair's remove) */
} HnDialoutEvent;

/* How a call ended, as the shell saw it. */
typedef enum {
    HN_DIALOUT_END_REFUSED, /* a final error answer to the INVITE, or no answer at all */
    HN_DIALOUT_END_DROPPED, /* the site's BYE, or its media went silent */
    HN_DIALOUT_END_REMOVED, /* the chair removed it (no redial) */
} HnDialoutEnd;

typedef struct {
    HnDialoutAction action;
    HnDialoutEvent event;
} HnDialoutOut;

typedef struct {
    HnDialoutState state;
    int64_t deadline_us; /* CALLING: ring timeout; WAITING: redial; else 0 */
    int64_t redial_us;
    int64_t answered_us; /* when the current call was answered */
    guint failures;      /* calls in a row that failed */
    guint max_failures;
    guint calls; /* INVITEs sent since the last start (for tests and metrics) */
} HnDialout;

/* redial_s: seconds between a drop and the redial (>= 1); max_failures: 0 for the default. */
void hn_dialout_init(HnDialout *d, guint redial_s, guint max_failures);
/* The meeting started, or the API asked for a call: dial unless a call is up or ringing. */
HnDialoutOut hn_dialout_start(HnDialout *d, int64_t now_us);
/* The meeting is over, or the API hung up: end any call, no redial. */
HnDialoutOut hn_dialout_stop(HnDialout *d, int64_t now_us);
/* The site answered (200 with a usable answer; in the room). */
HnDialoutOut hn_dialout_answered(HnDialout *d, int64_t now_us);
/* The current call ended (how). */
HnDialoutOut hn_dialout_ended(HnDialout *d, HnDialoutEnd how, int64_t now_us);
/* A deadline passed (call it at or after hn_dialout_next_deadline; early calls do nothing). */
HnDialoutOut hn_dialout_tick(HnDialout *d, int64_t now_us);
/* Absolute time of the next tick, 0 when none is due. */
int64_t hn_dialout_next_deadline(const HnDialout *d);

/* "idle", "calling", "in-call", "waiting", "failed" (static). */
const char *hn_dialout_state_name(HnDialoutState s);
/* "site.calling" ... ; NULL for NONE (static). */
const char *hn_dialout_event_name(HnDialoutEvent e);

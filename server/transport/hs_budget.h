/* hs_budget.h - the handshake budget of one worker (issue 14, "shed packets, not participants").
 *
 * A DTLS handshake costs the worker about a millisecond of key agreement and signatures, against
 * microseconds for a forwarded packet: forty officials joining at once would hold every existing
 * participant's media for tens of milliseconds, and under the delay bound that media would be
 * dropped. So new handshakes get a share of the worker's time, not all of it: a token bucket
 * that fills at `pct` percent of wall time up to `pct` percent of a window. A new handshake (the
 * peer's first DTLS flight) is admitted while the bucket holds time; the time each handshake step
 * takes is charged (the bucket may go into debt). A first flight refused is held by its transport
 * (the latest copy) and offered again after hn_hs_budget_wait_us plus a little jitter, so a join
 * storm is let in as fast as the share allows, without waiting for the peers' retransmission
 * timers (which back off in lock step: dropping would admit a few per wave), while a handshake
 * already under way always goes on, so an admitted newcomer finishes. STUN
 * (ICE checks) and DTLS are never dropped for lateness (rx_age.h), so handshakes are not starved
 * by media either.
 *
 * Pure, no I/O, times in microseconds on the caller's clock; thread: the owner's. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define HN_HS_BUDGET_DEFAULT_PCT 25     /* [media] handshake_budget_pct */
#define HN_HS_BUDGET_WINDOW_US   100000 /* the bucket holds at most pct % of this */

typedef struct {
    unsigned pct;    /* 0: no budget (every handshake admitted) */
    int64_t tokens;  /* in 1/100 us (no rounding loss at any pct); negative: a step's debt */
    int64_t last_us; /* when tokens_us was last refilled */
    uint64_t admitted, deferred;
    int64_t spent_us; /* handshake time charged, in all */
} HnHsBudget;

/* A full bucket at now_us. pct 0..100 (0: off). */
void hn_hs_budget_init(HnHsBudget *b, unsigned pct, int64_t now_us);
/* TRUE when a new handshake may start at now_us (counted as admitted), FALSE to hold its first
 * flight (counted as deferred when first_try: a handshake held back, not each retry). */
bool hn_hs_budget_admit(HnHsBudget *b, int64_t now_us, bool first_try);
/* Microseconds from now_us until the bucket holds time again (0: it does now). */
int64_t hn_hs_budget_wait_us(HnHsBudget *b, int64_t now_us);
/* Charges us microseconds of handshake work done at now_us. */
void hn_hs_budget_spend(HnHsBudget *b, int64_t us, int64_t now_us);

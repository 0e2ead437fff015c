/* Brute-force limiter per client address, for PINs, join tokens and passwords: after `failures`
 * failed attempts within a minute an address is locked for lock_s seconds and refused even with
 * the right secret; independently, more than attempts_per_minute attempts in a minute are
 * refused as rate-limited. A success clears the address's failures.
 *
 * Sans-IO: every entry takes now_us (monotonic microseconds); unit-tested on a fake clock. The
 * table is bounded (HN_LIMITER_MAX_ADDRS): idle entries are swept as it grows. Thread: one. */
#pragma once

#include <glib.h>
#include <stdint.h>

#define HN_LIMITER_WINDOW_US (60 * G_USEC_PER_SEC)
#define HN_LIMITER_MAX_ADDRS 65536

typedef enum {
    HN_LIMIT_OK,     /* go on and check the secret */
    HN_LIMIT_LOCKED, /* locked after too many failures */
    HN_LIMIT_RATE,   /* too many attempts this minute */
} HnLimitVerdict;

typedef struct HnLimiter HnLimiter;

/* transfer full. failures >= 1, lock_s >= 1, attempts_per_minute >= 1. */
HnLimiter *hn_limiter_new(guint failures, guint lock_s, guint attempts_per_minute);
void hn_limiter_free(HnLimiter *l);
/* Counts an attempt from addr and says whether to check it. */
HnLimitVerdict hn_limiter_attempt(HnLimiter *l, const char *addr, int64_t now_us);
/* Records a failed attempt; TRUE when it locked the address (log it once). */
gboolean hn_limiter_fail(HnLimiter *l, const char *addr, int64_t now_us);
/* Records a success: the address's failures are forgotten (a lock stays until it expires). */
void hn_limiter_success(HnLimiter *l, const char *addr);
/* Seconds until addr's lock ends (0: not locked). */
guint hn_limiter_locked_for(HnLimiter *l, const char *addr, int64_t now_us);
/* Addresses tracked now (for tests and /metrics). */
guint hn_limiter_size(HnLimiter *l);

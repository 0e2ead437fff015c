/* hs_budget.c - the handshake budget (hs_budget.h). Tokens are kept in 1/100 us, so a refill
 * of dt us at pct percent is exactly dt x pct, whatever the interval between calls. */
#include "transport/hs_budget.h"

static int64_t depth(const HnHsBudget *b)
{
    return (int64_t)HN_HS_BUDGET_WINDOW_US * b->pct; /* pct % of the window, in 1/100 us */
}

static void refill(HnHsBudget *b, int64_t now_us)
{
    if (now_us <= b->last_us)
        return;
    int64_t t = b->tokens + (now_us - b->last_us) * (int64_t)b->pct;
    b->tokens = t > depth(b) ? depth(b) : t;
    b->last_us = now_us;
}

static bool unlimited(const HnHsBudget *b)
{
    return b->pct == 0 || b->pct >= 100;
}

void hn_hs_budget_init(HnHsBudget *b, unsigned pct, int64_t now_us)
{
    *b = (HnHsBudget){.pct = pct > 100 ? 100 : pct, .last_us = now_us};
    b->tokens = depth(b);
}

bool hn_hs_budget_admit(HnHsBudget *b, int64_t now_us, bool first_try)
{
    if (!unlimited(b)) {
        refill(b, now_us);
        if (b->tokens <= 0) {
            b->deferred += first_try;
            return false;
        }
    }
    b->admitted++;
    return true;
}

void hn_hs_budget_spend(HnHsBudget *b, int64_t us, int64_t now_us)
{
    if (us <= 0)
        return;
    b->spent_us += us;
    if (unlimited(b))
        return;
    refill(b, now_us);
    b->tokens -= us * 100;
}

int64_t hn_hs_budget_wait_us(HnHsBudget *b, int64_t now_us)
{
    if (unlimited(b))
        return 0;
    refill(b, now_us);
    return b->tokens > 0 ? 0 : -b->tokens / (int64_t)b->pct + 1;
}

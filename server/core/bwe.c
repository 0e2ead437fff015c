/* Downlink bandwidth estimator: delay-based (trendline over send-time groups) and loss-based,
 * the lower wins. See bwe.h for the model and its constants. */
#include "core/bwe.h"

#include <string.h>

/* No libm: the few operations needed, on doubles. */
static double fmin_(double a, double b)
{
    return a < b ? a : b;
}
static double fmax_(double a, double b)
{
    return a > b ? a : b;
}
static double fabs_(double a)
{
    return a < 0 ? -a : a;
}
/* Growth by `rate` per second over dt (0..1 s): 1 + rate x dt, the linear interpolation of
 * (1 + rate)^dt (within 1 % of it for the rates used). */
static double growth(double rate, double dt)
{
    return 1 + rate * dt;
}

#define MASK             (HN_BWE_HISTORY - 1)
#define GROUP_US         5000   /* packets sent within 5 ms form one group */
#define TREND_WINDOW     20     /* points in the least-squares slope */
#define SMOOTHING        0.9    /* of the accumulated delay */
#define TREND_GAIN       4.0    /* slope x min(deltas, 60) x gain is compared with the threshold */
#define OVERUSE_TIME_MS  10.0   /* time over the threshold before overuse is declared */
#define K_UP             0.0087 /* threshold adaptation rates, per ms */
#define K_DOWN           0.039
#define BETA             0.85   /* delay cut: BETA x received rate */
#define DECREASE_GAP_US  300000 /* between two delay cuts, and between two loss cuts */
#define ACK_WINDOW_US    500000 /* received-rate window */
#define LOSS_MIN_PACKETS 20
#define LOSS_HIGH        0.10
#define LOSS_LOW         0.02
#define HEADROOM_ADD_BPS 200000.0
#define ADDITIVE_BPS_S   48000.0 /* one 1200-byte packet per 200 ms, per second */

void hn_bwe_init(HnBwe *b, const HnBweConfig *cfg)
{
    memset(b, 0, sizeof *b);
    b->cfg = cfg ? *cfg : HN_BWE_CONFIG_DEFAULT;
    if (b->cfg.min_bps == 0)
        b->cfg.min_bps = 10000;
    if (b->cfg.max_bps < b->cfg.min_bps)
        b->cfg.max_bps = b->cfg.min_bps;
    if (b->cfg.start_bps < b->cfg.min_bps)
        b->cfg.start_bps = b->cfg.min_bps;
    if (b->cfg.start_bps > b->cfg.max_bps)
        b->cfg.start_bps = b->cfg.max_bps;
    if (b->cfg.headroom <= 0)
        b->cfg.headroom = 2.5;
    b->delay_bps = b->loss_bps = (double)b->cfg.start_bps;
    b->estimate_bps = b->cfg.start_bps;
    b->threshold_ms = 12.5;
    b->over_ms = -1;
}

uint16_t hn_bwe_on_send(HnBwe *b, size_t size, int64_t now_us)
{
    uint16_t seq = b->next_seq++;
    HnBweSent *s = &b->sent[seq & MASK];
    s->sent_us = now_us;
    s->size = (uint32_t)size;
    s->seq = seq;
    s->valid = true;
    return seq;
}

static void update_threshold(HnBwe *b, double modified, int64_t at_us)
{
    if (b->last_threshold_us == 0)
        b->last_threshold_us = at_us;
    double a = fabs_(modified);
    if (a > b->threshold_ms + 15.0) { /* a spike: do not adapt to it */
        b->last_threshold_us = at_us;
        return;
    }
    double k = a < b->threshold_ms ? K_DOWN : K_UP;
    double dt = (double)(at_us - b->last_threshold_us) / 1000.0;
    if (dt > 100.0)
        dt = 100.0;
    if (dt < 0)
        dt = 0;
    b->threshold_ms += k * (a - b->threshold_ms) * dt;
    b->threshold_ms = fmin_(fmax_(b->threshold_ms, 6.0), 600.0);
    b->last_threshold_us = at_us;
}

static double slope(const HnBwe *b)
{
    double mx = 0, my = 0;
    for (unsigned i = 0; i < TREND_WINDOW; i++) {
        mx += b->tx[i];
        my += b->ty[i];
    }
    mx /= TREND_WINDOW;
    my /= TREND_WINDOW;
    double num = 0, den = 0;
    for (unsigned i = 0; i < TREND_WINDOW; i++) {
        num += (b->tx[i] - mx) * (b->ty[i] - my);
        den += (b->tx[i] - mx) * (b->tx[i] - mx);
    }
    return den > 0 ? num / den : 0;
}

/* One inter-group delay variation (ms), the later group's arrival time, its send delta (ms). */
static void trend_update(HnBwe *b, double delta_ms, int64_t arrival_us, double send_delta_ms)
{
    if (b->n_deltas < 1000)
        b->n_deltas++;
    b->acc_ms += delta_ms;
    b->smoothed_ms = SMOOTHING * b->smoothed_ms + (1 - SMOOTHING) * b->acc_ms;
    if (b->tn == 0 && b->tpos == 0)
        b->first_arrival_us = arrival_us;
    b->tx[b->tpos] = (double)(arrival_us - b->first_arrival_us) / 1000.0;
    b->ty[b->tpos] = b->smoothed_ms;
    b->tpos = (b->tpos + 1) % TREND_WINDOW;
    if (b->tn < TREND_WINDOW) {
        b->tn++;
        return; /* not enough points for a slope yet */
    }
    double trend = slope(b);
    double modified = (b->n_deltas < 60 ? b->n_deltas : 60) * trend * TREND_GAIN;
    if (modified > b->threshold_ms) {
        if (b->over_ms < 0)
            b->over_ms = send_delta_ms / 2;
        else
            b->over_ms += send_delta_ms;
        b->over_count++;
        if (b->over_ms > OVERUSE_TIME_MS && b->over_count > 1 && trend >= b->prev_trend) {
            b->over_ms = 0;
            b->over_count = 0;
            if (b->usage != HN_BWE_OVERUSE)
                b->stats.overuse++;
            b->usage = HN_BWE_OVERUSE;
        }
    } else if (modified < -b->threshold_ms) {
        b->over_ms = -1;
        b->over_count = 0;
        b->usage = HN_BWE_UNDERUSE;
    } else {
        b->over_ms = -1;
        b->over_count = 0;
        b->usage = HN_BWE_NORMAL;
    }
    b->prev_trend = trend;
    update_threshold(b, modified, arrival_us);
}

static void on_acked(HnBwe *b, const HnBweSent *s, int64_t arrival_us)
{
    /* received rate over ACK_WINDOW_US of arrival time */
    if (b->win_start_us == 0 || arrival_us < b->win_start_us) {
        b->win_start_us = arrival_us;
        b->win_bytes = 0;
    }
    b->win_bytes += s->size;
    if (arrival_us - b->win_start_us >= ACK_WINDOW_US) {
        double rate = (double)b->win_bytes * 8e6 / (double)(arrival_us - b->win_start_us);
        b->acked_bps = b->acked_bps > 0 ? 0.5 * b->acked_bps + 0.5 * rate : rate;
        b->win_start_us = arrival_us;
        b->win_bytes = 0;
    }
    /* send-time groups */
    if (!b->in_group) {
        b->in_group = true;
        b->g_first_send = b->g_last_send = s->sent_us;
        b->g_last_arrival = arrival_us;
        return;
    }
    if (s->sent_us >= b->g_first_send && s->sent_us - b->g_first_send <= GROUP_US) {
        if (s->sent_us > b->g_last_send)
            b->g_last_send = s->sent_us;
        if (arrival_us > b->g_last_arrival)
            b->g_last_arrival = arrival_us;
        return;
    }
    if (s->sent_us < b->g_first_send)
        return; /* reordered into an older group: ignored */
    if (b->have_prev) {
        double sd = (double)(b->g_last_send - b->p_last_send) / 1000.0;
        double ad = (double)(b->g_last_arrival - b->p_last_arrival) / 1000.0;
        trend_update(b, ad - sd, b->g_last_arrival, sd);
    }
    b->p_last_send = b->g_last_send;
    b->p_last_arrival = b->g_last_arrival;
    b->have_prev = true;
    b->g_first_send = b->g_last_send = s->sent_us;
    b->g_last_arrival = arrival_us;
}

static double clamp_rate(const HnBwe *b, double v)
{
    return fmin_(fmax_(v, (double)b->cfg.min_bps), (double)b->cfg.max_bps);
}

/* Growth bound: a rate may rise up to headroom x received + 200 kbit/s, never be cut by it. */
static double bounded_increase(const HnBwe *b, double old, double want)
{
    if (b->acked_bps <= 0)
        return want;
    double cap = b->cfg.headroom * b->acked_bps + HEADROOM_ADD_BPS;
    return fmin_(want, fmax_(old, cap));
}

static void update_delay_rate(HnBwe *b, double dt, int64_t now_us)
{
    double old = b->delay_bps;
    switch (b->usage) {
    case HN_BWE_OVERUSE:
        if (b->last_decrease_us && now_us - b->last_decrease_us < DECREASE_GAP_US)
            break;
        double base = b->acked_bps > 0 ? b->acked_bps : b->delay_bps;
        double cut = BETA * base;
        b->delay_bps = cut < b->delay_bps ? cut : BETA * b->delay_bps;
        b->last_decrease_bps = base;
        b->decreased_once = true;
        b->last_decrease_us = now_us;
        b->stats.decreases_delay++;
        break;
    case HN_BWE_UNDERUSE:
        break; /* a queue is draining: hold */
    case HN_BWE_NORMAL:
        if (!b->decreased_once)
            b->delay_bps *= growth(0.25, dt);
        else if (b->delay_bps < 1.5 * b->last_decrease_bps)
            b->delay_bps += ADDITIVE_BPS_S * dt;
        else
            b->delay_bps *= growth(0.08, dt);
        b->delay_bps = bounded_increase(b, old, b->delay_bps);
        break;
    }
    b->delay_bps = clamp_rate(b, b->delay_bps);
}

static void update_loss_rate(HnBwe *b, unsigned lost, unsigned total, double dt, int64_t now_us)
{
    b->loss_lost += lost;
    b->loss_total += total;
    if (b->loss_total < LOSS_MIN_PACKETS) {
        if (b->last_loss < LOSS_LOW) /* keep pace with the delay-based increase */
            b->loss_bps = bounded_increase(b, b->loss_bps, b->loss_bps * growth(0.08, dt));
        b->loss_bps = clamp_rate(b, b->loss_bps);
        return;
    }
    double loss = (double)b->loss_lost / b->loss_total;
    b->last_loss = loss;
    b->loss_lost = b->loss_total = 0;
    if (loss > LOSS_HIGH) {
        if (!b->last_loss_decrease_us || now_us - b->last_loss_decrease_us >= DECREASE_GAP_US) {
            double cur = fmin_(b->loss_bps, (double)b->estimate_bps);
            b->loss_bps = cur * (1 - 0.5 * loss);
            b->last_loss_decrease_us = now_us;
            b->stats.decreases_loss++;
        }
    } else if (loss < LOSS_LOW) {
        b->loss_bps = bounded_increase(b, b->loss_bps, b->loss_bps * growth(0.08, dt));
    }
    b->loss_bps = clamp_rate(b, b->loss_bps);
}

void hn_bwe_on_feedback(HnBwe *b, const HnTwccFeedback *fb, int64_t now_us)
{
    unsigned lost = 0, total = 0;
    b->stats.feedback++;
    for (unsigned i = 0; i < fb->status_count; i++) {
        uint16_t seq = (uint16_t)(fb->base_seq + i);
        HnBweSent *s = &b->sent[seq & MASK];
        if (!s->valid || s->seq != seq) {
            b->stats.packets_unknown++;
            continue;
        }
        total++;
        if (fb->arrival_us[i] == HN_TWCC_LOST) {
            lost++;
            continue;
        }
        s->valid = false; /* reported once: a later report of it is not counted again */
        b->stats.packets_acked++;
        on_acked(b, s, fb->arrival_us[i]);
    }
    b->stats.packets_lost += lost;
    double dt = b->last_update_us ? (double)(now_us - b->last_update_us) / 1e6 : 0;
    dt = fmin_(fmax_(dt, 0), 1.0);
    b->last_update_us = now_us;
    update_delay_rate(b, dt, now_us);
    update_loss_rate(b, lost, total, dt, now_us);
    b->estimate_bps = (uint64_t)clamp_rate(b, fmin_(b->delay_bps, b->loss_bps));
}

uint64_t hn_bwe_estimate(const HnBwe *b)
{
    return b->estimate_bps;
}

double hn_bwe_loss(const HnBwe *b)
{
    return b->last_loss;
}

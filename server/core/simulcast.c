/* Simulcast layer selector. See simulcast.h. */
#include "core/simulcast.h"

void hn_sim_sel_init(HnSimSel *s, unsigned n_layers)
{
    *s = (HnSimSel){.current = -1,
                    .target = n_layers ? (int)n_layers - 1 : 0,
                    .desired = n_layers ? (int)n_layers - 1 : 0,
                    .max_tid = HN_SIM_ALL_TID};
}

void hn_sim_sel_set_tile(HnSimSel *s, unsigned width, unsigned height)
{
    s->tile_w = (uint16_t)(width > 0xffff ? 0xffff : width);
    s->tile_h = (uint16_t)(height > 0xffff ? 0xffff : height);
}

/* Width and height of layer i: measured, else derived from a larger measured layer (each layer
 * halves the one above), else 0. */
static void layer_size(const HnSimLayerInfo *l, unsigned n, unsigned i, unsigned *w, unsigned *h)
{
    for (unsigned k = i; k < n; k++) {
        if (l[k].width && l[k].height) {
            *w = l[k].width >> (k - i);
            *h = l[k].height >> (k - i);
            return;
        }
    }
    *w = *h = 0;
}

/* The smallest layer at least as large as the tile (in either dimension). */
static int tile_target(const HnSimSel *s, const HnSimLayerInfo *l, unsigned n)
{
    if (!s->tile_w && !s->tile_h)
        return (int)n - 1;
    for (unsigned i = 0; i + 1 < n; i++) {
        unsigned w, h;
        layer_size(l, n, i, &w, &h);
        if (!w) { /* sizes unknown: the client's 4/2/1 scales of a 720p camera */
            w = 1280u >> (n - 1 - i);
            h = 720u >> (n - 1 - i);
        }
        if (w >= s->tile_w && h >= s->tile_h)
            return (int)i;
    }
    return (int)n - 1;
}

bool hn_sim_sel_update(HnSimSel *s, const HnSimLayerInfo *l, unsigned n, uint64_t est,
                       int64_t now_us)
{
    if (n == 0)
        return false;
    int want = tile_target(s, l, n);
    uint8_t tid = HN_SIM_ALL_TID;
    bool bw_limited = false;
    if (est) {
        /* going up needs headroom; staying or going down needs the layer to fit */
        while (want > 0) {
            double need = (double)l[want].bps * (want > s->target ? HN_SIM_UP_MARGIN : 1.0);
            if (!l[want].bps || need <= (double)est)
                break;
            if (want > s->target) { /* no headroom to go up: stay */
                want--;
                continue;
            }
            if ((double)est >= 0.75 * need) { /* just below: drop the top temporal layer */
                tid = 1;
                break;
            }
            /* Further below, a smaller picture at the full frame rate: TID 0 alone is a quarter
             * of it (5 fps), which a viewer sees as a frozen picture. */
            want--;
            bw_limited = true;
        }
    }
    s->desired = want;
    /* only layers that flow: the highest active one at or below, else the lowest above */
    if (!l[want].active) {
        int below = -1, above = -1;
        for (int i = want - 1; i >= 0 && below < 0; i--)
            if (l[i].active)
                below = i;
        for (int i = want + 1; i < (int)n && above < 0; i++)
            if (l[i].active)
                above = i;
        if (below >= 0)
            want = below;
        else if (above >= 0)
            want = above;
    }
    if (want > s->target && s->down_by_bw && now_us - s->down_us < HN_SIM_UP_HOLD_US) {
        want = s->target; /* hold: the link just proved too thin for more */
        tid = s->max_tid < tid ? s->max_tid : tid;
    }
    bool changed = want != s->target || tid != s->max_tid;
    if (want < s->target || tid < s->max_tid) {
        s->down_by_bw = bw_limited || tid < s->max_tid;
        s->down_us = now_us;
    }
    s->target = want;
    s->max_tid = tid;
    return changed;
}

HnSimAction hn_sim_sel_on_packet(HnSimSel *s, unsigned layer, bool keyframe, uint8_t tid)
{
    if ((int)layer == s->target && (int)layer != s->current) {
        if (!keyframe)
            return HN_SIM_DROP_WAIT_KEY;
        if (s->current >= 0)
            s->switches++;
        s->current = (int)layer;
        return HN_SIM_SWITCH;
    }
    if ((int)layer != s->current)
        return HN_SIM_DROP_LAYER;
    if (tid > s->max_tid && !keyframe)
        return HN_SIM_DROP_TEMPORAL;
    return HN_SIM_FORWARD;
}

void hn_sim_pause_init(HnSimPause *p, unsigned n_layers)
{
    *p = (HnSimPause){.n_layers = n_layers, .active = (1u << n_layers) - 1};
}

bool hn_sim_pause_update(HnSimPause *p, unsigned wanted, int64_t now_us)
{
    unsigned active = p->active;
    wanted |= 1u; /* the lowest layer always flows: a new subscriber starts at once */
    for (unsigned i = 0; i < p->n_layers; i++) {
        unsigned bit = 1u << i;
        if (wanted & bit) {
            active |= bit;
            p->unwanted_since[i] = 0;
        } else if (active & bit) {
            if (!p->unwanted_since[i])
                p->unwanted_since[i] = now_us ? now_us : 1;
            else if (now_us - p->unwanted_since[i] >= HN_SIM_PAUSE_AFTER_US)
                active &= ~bit;
        }
    }
    bool changed = active != p->active;
    p->active = active;
    return changed;
}

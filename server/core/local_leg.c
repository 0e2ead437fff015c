#include "core/local_leg.h"

#include <glib.h>

typedef struct {
    HnLeg base; /* first */
    HnLocalLegRecvFn on_recv;
    HnLocalLegStreamsFn on_streams;
    void *user;
    int64_t last_rx;
    HnLegStats stats;
} HnLocalLeg;

static void send_rtp(HnLeg *leg, uint8_t *buf, size_t len, size_t cap)
{
    HnLocalLeg *l = (HnLocalLeg *)leg;
    l->stats.tx_packets++;
    l->stats.tx_bytes += len;
    if (l->on_recv)
        l->on_recv(l->user, leg, false, buf, len);
}

static void send_rtcp(HnLeg *leg, const uint8_t *buf, size_t len)
{
    HnLocalLeg *l = (HnLocalLeg *)leg;
    l->stats.tx_packets++;
    l->stats.tx_bytes += len;
    if (l->on_recv)
        l->on_recv(l->user, leg, true, buf, len);
}

static bool is_connected(const HnLeg *leg)
{
    return true;
}

static int64_t last_rx_us(const HnLeg *leg)
{
    return ((const HnLocalLeg *)leg)->last_rx;
}

static void get_stats(const HnLeg *leg, HnLegStats *out)
{
    *out = ((const HnLocalLeg *)leg)->stats;
}

static void destroy(HnLeg *leg)
{
    g_free(leg);
}

static void set_streams(HnLeg *leg, const HnLegStream *streams, size_t n)
{
    HnLocalLeg *l = (HnLocalLeg *)leg;
    if (l->on_streams)
        l->on_streams(l->user, leg, streams, n);
}

static const HnLegClass local_leg_class = {
    .name = "local",
    .send_rtp = send_rtp,
    .send_rtcp = send_rtcp,
    .is_connected = is_connected,
    .last_rx_us = last_rx_us,
    .get_stats = get_stats,
    .destroy = destroy,
    .set_streams = set_streams,
};

HnLeg *hn_local_leg_new(HnLocalLegRecvFn on_recv, HnLocalLegStreamsFn on_streams, void *user)
{
    HnLocalLeg *l = g_new0(HnLocalLeg, 1);
    l->base.cls = &local_leg_class;
    l->base.kind = HN_LEG_LOCAL;
    l->on_recv = on_recv;
    l->on_streams = on_streams;
    l->user = user;
    return &l->base;
}

void hn_local_leg_feed(HnLeg *leg, uint8_t *buf, size_t len, int64_t now_us)
{
    g_return_if_fail(leg && leg->cls == &local_leg_class);
    HnLocalLeg *l = (HnLocalLeg *)leg;
    l->last_rx = now_us;
    l->stats.rx_packets++;
    l->stats.rx_bytes += len;
    if (len >= 2 && buf[1] >= 192 && buf[1] <= 223)
        hn_leg_emit_rtcp(leg, buf, len);
    else
        hn_leg_emit_rtp(leg, buf, len);
}

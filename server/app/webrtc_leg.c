#include "app/webrtc_leg.h"

struct HnWebrtcLeg {
    HnLeg base; /* first: an HnLeg* is an HnWebrtcLeg* */
    HnWebrtcTransport *t;
    HnWebrtcLegCandidateFn on_candidate;
};

static void t_candidate(void *user, HnWebrtcTransport *t, const char *cand)
{
    HnWebrtcLeg *w = user;
    if (w->base.events && w->on_candidate)
        w->on_candidate(w->base.owner, &w->base, cand);
}

static void t_connected(void *user, HnWebrtcTransport *t)
{
    HnWebrtcLeg *w = user;
    if (w->base.events && w->base.events->on_connected)
        w->base.events->on_connected(w->base.owner, &w->base);
}

static void t_failed(void *user, HnWebrtcTransport *t, const char *reason)
{
    HnWebrtcLeg *w = user;
    if (w->base.events && w->base.events->on_failed)
        w->base.events->on_failed(w->base.owner, &w->base, reason);
}

static void t_rtp(void *user, HnWebrtcTransport *t, uint8_t *buf, size_t len)
{
    hn_leg_emit_rtp(user, buf, len);
}

static void t_rtcp(void *user, HnWebrtcTransport *t, uint8_t *buf, size_t len)
{
    hn_leg_emit_rtcp(user, buf, len);
}

static const HnWebrtcTransportCallbacks transport_cb = {
    .on_candidate = t_candidate,
    .on_connected = t_connected,
    .on_failed = t_failed,
    .on_rtp = t_rtp,
    .on_rtcp = t_rtcp,
};

static void leg_send_rtp(HnLeg *leg, uint8_t *buf, size_t len, size_t cap)
{
    /* the router's scratch buffer: protected in place, then copied once into the send batch */
    hn_webrtc_transport_send_rtp_inplace(((HnWebrtcLeg *)leg)->t, buf, len, cap);
}

static void leg_send_rtcp(HnLeg *leg, const uint8_t *buf, size_t len)
{
    hn_webrtc_transport_send_rtcp(((HnWebrtcLeg *)leg)->t, buf, len);
}

static bool leg_is_connected(const HnLeg *leg)
{
    return hn_webrtc_transport_is_connected(((const HnWebrtcLeg *)leg)->t);
}

static int64_t leg_last_rx(const HnLeg *leg)
{
    return hn_webrtc_transport_last_rx(((const HnWebrtcLeg *)leg)->t);
}

static void leg_stats(const HnLeg *leg, HnLegStats *out)
{
    HnWebrtcTransportStats st;
    hn_webrtc_transport_get_stats(((const HnWebrtcLeg *)leg)->t, &st);
    *out = (HnLegStats){
        .rx_packets = st.rx_packets,
        .rx_bytes = st.rx_bytes,
        .tx_packets = st.tx_packets,
        .tx_bytes = st.tx_bytes,
        .rx_errors = st.rx_srtp_errors + st.rx_unknown,
        .tx_errors = st.tx_srtp_errors + st.tx_send_errors,
    };
}

static void leg_mark_audio(HnLeg *leg, uint32_t ssrc)
{
    hn_webrtc_transport_mark_audio(((HnWebrtcLeg *)leg)->t, ssrc);
}

static void leg_destroy(HnLeg *leg)
{
    HnWebrtcLeg *w = (HnWebrtcLeg *)leg;
    hn_webrtc_transport_free(w->t); /* deferred: safe from within the transport's callbacks */
    g_free(w);
}

static const HnLegClass webrtc_leg_class = {
    .name = "webrtc",
    .send_rtp = leg_send_rtp,
    .send_rtcp = leg_send_rtcp,
    .is_connected = leg_is_connected,
    .last_rx_us = leg_last_rx,
    .get_stats = leg_stats,
    .destroy = leg_destroy,
    .mark_audio = leg_mark_audio,
};

HnLeg *hn_webrtc_leg_new(GMainContext *ctx, const HnIceSettings *ice, HnUdpMux *mux, HnCert *cert,
                         gboolean controlling, HnWebrtcLegCandidateFn on_candidate)
{
    HnWebrtcLeg *w = g_new0(HnWebrtcLeg, 1);
    w->base.cls = &webrtc_leg_class;
    w->base.kind = HN_LEG_WEBRTC;
    w->on_candidate = on_candidate;
    w->t = hn_webrtc_transport_new(ctx, ice, mux, cert, controlling, &transport_cb, w);
    if (!w->t) {
        g_free(w);
        return NULL;
    }
    return &w->base;
}

HnWebrtcTransport *hn_webrtc_leg_transport(HnLeg *leg)
{
    return leg && leg->cls == &webrtc_leg_class ? ((HnWebrtcLeg *)leg)->t : NULL;
}

#include "app/negotiate.h"

#include <string.h>

#include "sdp/sdp.h"
#include "sdp/sdp_negotiate.h"

G_STATIC_ASSERT(HN_NEG_MAX_SUB_SLOTS == HN_SDP_MAX_MEDIA);
G_STATIC_ASSERT(HN_NEG_MID_MAX <= HN_SDP_MID_LEN);

G_DEFINE_QUARK(hn - neg - error - quark, hn_neg_error)

struct HnNegOffer {
    HnSdp *sdp;
};

HnNegOffer *hn_neg_parse_offer(const char *sdp, GError **error)
{
    HnNegOffer *o = g_new0(HnNegOffer, 1);
    if (hn_sdp_parse(sdp, strlen(sdp), &o->sdp, error) < 0) {
        g_free(o);
        return NULL;
    }
    return o;
}

void hn_neg_offer_free(HnNegOffer *offer)
{
    if (!offer)
        return;
    hn_sdp_free(offer->sdp);
    g_free(offer);
}

const char *hn_neg_offer_ufrag(const HnNegOffer *offer)
{
    if (offer->sdp->transport.ice_ufrag[0])
        return offer->sdp->transport.ice_ufrag;
    for (size_t i = 0; i < offer->sdp->n_media; i++)
        if (offer->sdp->media[i].port && offer->sdp->media[i].transport.ice_ufrag[0])
            return offer->sdp->media[i].transport.ice_ufrag;
    return "";
}

const char *hn_neg_offer_fingerprint(const HnNegOffer *offer)
{
    if (offer->sdp->transport.fingerprint[0])
        return offer->sdp->transport.fingerprint;
    for (size_t i = 0; i < offer->sdp->n_media; i++)
        if (offer->sdp->media[i].port && offer->sdp->media[i].transport.fingerprint[0])
            return offer->sdp->media[i].transport.fingerprint;
    return "";
}

static void remote_from(HnNegRemote *r, const HnSdpTransport *t, gboolean dtls_server,
                        const HnSdp *sdp)
{
    r->ufrag = g_strdup(t->ice_ufrag);
    r->pwd = g_strdup(t->ice_pwd);
    r->fp_alg = g_strdup(t->fingerprint_alg);
    r->fp = g_strdup(t->fingerprint);
    r->dtls_server = dtls_server;
    r->candidates = g_ptr_array_new_with_free_func(g_free);
    /* With BUNDLE only the first m= section's candidates matter; take every section's, the
     * agent ignores duplicates. */
    for (size_t i = 0; sdp && i < sdp->n_media; i++)
        for (size_t k = 0; k < sdp->media[i].n_candidates; k++)
            g_ptr_array_add(r->candidates, g_strdup(sdp->media[i].candidates[k]));
}

void hn_neg_remote_clear(HnNegRemote *r)
{
    g_clear_pointer(&r->ufrag, g_free);
    g_clear_pointer(&r->pwd, g_free);
    g_clear_pointer(&r->fp_alg, g_free);
    g_clear_pointer(&r->fp, g_free);
    if (r->candidates)
        g_ptr_array_free(r->candidates, TRUE);
    r->candidates = NULL;
}

static uint64_t session_id_of(const char *ufrag)
{
    /* Stable per transport, positive in 63 bits as RFC 8866 asks. */
    return (g_str_hash(ufrag) * G_GUINT64_CONSTANT(2654435761)) &
           G_GUINT64_CONSTANT(0x7fffffffffff);
}

char *hn_neg_answer_publish(const HnNegOffer *offer, const HnNegLocal *local, HnNegPublish *res,
                            GError **error)
{
    memset(res, 0, sizeof *res);
    HnSdpLocal l = {
        .ice_ufrag = local->ufrag,
        .ice_pwd = local->pwd,
        .fingerprint_alg = "sha-256",
        .fingerprint = local->fingerprint,
        .session_id = session_id_of(local->ufrag),
        .ice_lite = local->ice_lite,
        .candidates = (const char *const *)local->candidates,
        .n_candidates = local->candidates ? g_strv_length((char **)local->candidates) : 0,
        .end_of_candidates = local->candidates != NULL,
    };
    HnSdpPubAnswer *a = NULL;
    /* transport-cc accepted: the router answers with feedback (router_bwe.c) */
    HnSdpCaps caps = HN_SDP_CAPS_DEFAULT;
    caps.transport_cc = true;
    if (hn_sdp_pub_answer(offer->sdp, &l, &caps, offer->sdp->session_version + 1, &a, error) < 0)
        return NULL;
    size_t n_receiving = 0;
    for (size_t i = 0; i < a->n_tracks; i++)
        n_receiving += a->tracks[i].receiving;
    if (n_receiving > HN_NEG_MAX_PUB_TRACKS) {
        g_set_error(error, HN_NEG_ERROR, HN_NEG_ERROR_TOO_MANY,
                    "a participant may publish at most %d tracks, this offer has %zu",
                    HN_NEG_MAX_PUB_TRACKS, n_receiving);
        hn_sdp_pub_answer_free(a);
        return NULL;
    }
    remote_from(&res->remote, &a->remote, a->dtls_server, offer->sdp);
    for (size_t i = 0; i < a->n_tracks; i++) {
        const HnSdpPubTrack *t = &a->tracks[i];
        if (!t->receiving)
            continue;
        HnNegTrack *out = &res->tracks[res->n_tracks++];
        g_strlcpy(out->mid, t->mid, sizeof out->mid);
        out->kind = t->kind;
        out->codec = t->codec;
        out->ssrc = t->ssrc_signalled ? t->ssrc : 0;
        out->rtx_pt = t->has_rtx ? t->rtx_pt : 0;
        out->rtx_ssrc = t->has_rtx ? t->rtx_ssrc : 0;
        out->ext_transport_cc = t->ext_transport_cc;
        out->ext_audio_level = t->ext_audio_level;
        out->sim = t->sim;
    }
    char *text = g_strdup(a->sdp);
    hn_sdp_pub_answer_free(a);
    return text;
}

void hn_neg_publish_clear(HnNegPublish *res)
{
    hn_neg_remote_clear(&res->remote);
    res->n_tracks = 0;
}

static HnSdpSendSlot *to_send_slots(const HnNegSlot *slots, size_t n)
{
    HnSdpSendSlot *s = g_new0(HnSdpSendSlot, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        s[i].mid = slots[i].mid;
        s[i].kind = slots[i].kind;
        s[i].active = slots[i].consumer_id != 0 && !slots[i].rejected;
        s[i].codec = slots[i].codec;
        s[i].ssrc = slots[i].ssrc;
        s[i].rtx_pt = slots[i].rtx_pt;
        s[i].rtx_ssrc = slots[i].rtx_ssrc;
        s[i].cname = slots[i].cname;
        s[i].stream_id = slots[i].participant;
        s[i].track_id = slots[i].track_id;
    }
    return s;
}

char *hn_neg_sub_offer(const HnNegLocal *local, const HnNegSlot *slots, size_t n, uint64_t version,
                       GError **error)
{
    if (n > HN_NEG_MAX_SUB_SLOTS) {
        g_set_error(error, HN_NEG_ERROR, HN_NEG_ERROR_TOO_MANY,
                    "a subscriber offer may carry at most %d tracks, this one needs %zu",
                    HN_NEG_MAX_SUB_SLOTS, n);
        return NULL;
    }
    HnSdpLocal l = {
        .ice_ufrag = local->ufrag,
        .ice_pwd = local->pwd,
        .fingerprint_alg = "sha-256",
        .fingerprint = local->fingerprint,
        .session_id = session_id_of(local->ufrag),
        .ice_lite = local->ice_lite,
        .candidates = (const char *const *)local->candidates,
        .n_candidates = local->candidates ? g_strv_length((char **)local->candidates) : 0,
        .end_of_candidates = local->candidates != NULL,
    };
    HnSdpSendSlot *s = to_send_slots(slots, n);
    char *sdp = hn_sdp_build_sub_offer(&l, s, n, version, error);
    g_free(s);
    return sdp;
}

gboolean hn_neg_check_sub_answer(const char *sdp, HnNegSlot *slots, size_t n, HnNegRemote *res,
                                 GError **error)
{
    memset(res, 0, sizeof *res);
    HnSdpSendSlot *s = to_send_slots(slots, n);
    HnSdpSubAnswer *a = NULL;
    int rc = hn_sdp_check_sub_answer(sdp, strlen(sdp), s, n, &a, error);
    g_free(s);
    if (rc < 0)
        return FALSE;
    for (size_t i = 0; i < a->n_mids && i < n; i++) {
        if (!a->mids[i].accepted && slots[i].consumer_id)
            slots[i].rejected = TRUE;
        if (a->mids[i].accepted && !a->mids[i].rtx)
            slots[i].rtx_pt = 0; /* the client takes plain retransmissions only */
    }
    remote_from(res, &a->remote, a->dtls_server, a->sdp);
    res->transport_cc = a->transport_cc;
    hn_sdp_sub_answer_free(a);
    return TRUE;
}

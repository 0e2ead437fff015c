#include "sdp_client.h"

#include <inttypes.h>
#include <string.h>

static GQuark load_sdp_error_quark(void)
{
    return g_quark_from_static_string("load-sdp-error");
}

static void write_session(GString *s, const LoadSdpLocal *l, uint64_t version)
{
    g_string_append_printf(s,
                           "v=0\r\n"
                           "o=- %" PRIu64 " %" PRIu64 " IN IP4 127.0.0.1\r\n"
                           "s=-\r\n"
                           "t=0 0\r\n",
                           l->session_id & INT64_MAX, version);
}

static void write_transport(GString *s, const LoadSdpLocal *l, const char *setup)
{
    g_string_append_printf(s,
                           "c=IN IP4 0.0.0.0\r\n"
                           "a=rtcp:9 IN IP4 0.0.0.0\r\n"
                           "a=ice-ufrag:%s\r\n"
                           "a=ice-pwd:%s\r\n"
                           "a=ice-options:trickle\r\n"
                           "a=fingerprint:sha-256 %s\r\n"
                           "a=setup:%s\r\n",
                           l->ufrag, l->pwd, l->fingerprint, setup);
}

static void write_opus(GString *s, unsigned pt)
{
    g_string_append_printf(s,
                           "a=rtpmap:%u opus/48000/2\r\n"
                           "a=fmtp:%u minptime=10;useinbandfec=1\r\n",
                           pt, pt);
}

static void write_vp8(GString *s, unsigned pt, bool remb_nack)
{
    g_string_append_printf(s, "a=rtpmap:%u VP8/90000\r\n", pt);
    if (remb_nack)
        g_string_append_printf(s, "a=rtcp-fb:%u goog-remb\r\na=rtcp-fb:%u nack\r\n", pt, pt);
    g_string_append_printf(s, "a=rtcp-fb:%u ccm fir\r\na=rtcp-fb:%u nack pli\r\n", pt, pt);
}

static void write_pub_media(GString *s, const LoadSdpLocal *l, const LoadPubDesc *d, bool video,
                            const char *mid)
{
    unsigned pt = video ? LOAD_PT_VP8 : LOAD_PT_OPUS;
    uint32_t ssrc = video ? d->video_ssrc : d->audio_ssrc;
    const char *track = video ? "video" : "audio";
    g_string_append_printf(s, "m=%s 9 UDP/TLS/RTP/SAVPF %u\r\n", track, pt);
    write_transport(s, l, "actpass");
    g_string_append_printf(s,
                           "a=mid:%s\r\n"
                           "a=sendonly\r\n"
                           "a=msid:%s %s-%s\r\n"
                           "a=rtcp-mux\r\n"
                           "a=rtcp-rsize\r\n",
                           mid, d->stream_id, d->stream_id, track);
    if (video)
        write_vp8(s, pt, true);
    else
        write_opus(s, pt);
    g_string_append_printf(s,
                           "a=ssrc:%" PRIu32 " cname:%s\r\n"
                           "a=ssrc:%" PRIu32 " msid:%s %s-%s\r\n",
                           ssrc, d->cname, ssrc, d->stream_id, d->stream_id, track);
}

char *load_sdp_publish_offer(const LoadSdpLocal *local, const LoadPubDesc *desc)
{
    GString *s = g_string_sized_new(2048);
    write_session(s, local, 2);
    g_string_append(s, desc->audio ? "a=group:BUNDLE 0 1\r\n" : "a=group:BUNDLE 0\r\n");
    g_string_append(s, "a=msid-semantic: WMS *\r\n");
    if (desc->audio)
        write_pub_media(s, local, desc, false, "0");
    write_pub_media(s, local, desc, true, desc->audio ? "1" : "0");
    return g_string_free(s, FALSE);
}

/* The primary SSRC of a section: the first of an a=ssrc-group (FID/SIM), else the first a=ssrc. */
static uint32_t primary_ssrc(const HnSdpMedia *m)
{
    if (m->n_ssrc_groups > 0 && m->ssrc_groups[0].n_ssrcs > 0)
        return m->ssrc_groups[0].ssrcs[0];
    return m->n_ssrcs > 0 ? m->ssrcs[0].ssrc : 0;
}

/* Decides how one offered section is answered; fills t. */
static void plan_track(const HnSdpMedia *m, const LoadMidPlan *plan, LoadSdpRecvTrack *t)
{
    memset(t, 0, sizeof *t);
    g_strlcpy(t->mid, m->mid, sizeof t->mid);
    t->pub = plan->pub;
    if (!plan->want || m->port == 0 || m->mid[0] == '\0')
        return;
    HnCodecId want = m->type == HN_SDP_MEDIA_AUDIO   ? HN_CODEC_OPUS
                     : m->type == HN_SDP_MEDIA_VIDEO ? HN_CODEC_VP8
                                                     : HN_CODEC_UNKNOWN;
    for (size_t i = 0; want != HN_CODEC_UNKNOWN && i < m->n_codecs; i++) {
        if (m->codecs[i].id == want) {
            t->accepted = true;
            t->kind = want == HN_CODEC_OPUS ? HN_KIND_AUDIO : HN_KIND_VIDEO;
            t->codec = want;
            t->pt = m->codecs[i].pt;
            t->clock_rate = m->codecs[i].clock_rate ? m->codecs[i].clock_rate
                            : want == HN_CODEC_OPUS ? 48000
                                                    : 90000;
            break;
        }
    }
    t->receiving =
        t->accepted && (m->direction == HN_SDP_DIR_SENDONLY || m->direction == HN_SDP_DIR_SENDRECV);
    t->ssrc = t->receiving ? primary_ssrc(m) : 0;
}

static void write_rejected(GString *s, const HnSdpMedia *m)
{
    if (m->fmt[0])
        g_string_append_printf(s, "m=%s 0 %s %s\r\n", m->media, m->proto, m->fmt);
    else
        g_string_append_printf(s, "m=%s 0 %s %u\r\n", m->media, m->proto,
                               m->n_codecs ? (unsigned)m->codecs[0].pt : 0u);
    g_string_append(s, "c=IN IP4 0.0.0.0\r\n");
    if (m->mid[0])
        g_string_append_printf(s, "a=mid:%s\r\n", m->mid);
    g_string_append(s, "a=inactive\r\n");
}

static void write_accepted(GString *s, const LoadSdpLocal *l, const LoadSdpRecvTrack *t)
{
    g_string_append_printf(s, "m=%s 9 UDP/TLS/RTP/SAVPF %u\r\n",
                           t->kind == HN_KIND_AUDIO ? "audio" : "video", (unsigned)t->pt);
    write_transport(s, l, "active");
    g_string_append_printf(s, "a=mid:%s\r\n%s\r\na=rtcp-mux\r\na=rtcp-rsize\r\n", t->mid,
                           t->receiving ? "a=recvonly" : "a=inactive");
    if (t->kind == HN_KIND_AUDIO)
        write_opus(s, t->pt);
    else
        write_vp8(s, t->pt, false);
}

char *load_sdp_subscribe_answer(const LoadSdpLocal *local, const HnSdp *offer,
                                const LoadMidPlan *plan, LoadSdpRecvTrack *tracks, GError **error)
{
    size_t n_accepted = 0;
    for (size_t i = 0; i < offer->n_media; i++) {
        plan_track(&offer->media[i], &plan[i], &tracks[i]);
        n_accepted += tracks[i].accepted;
    }
    if (offer->n_media == 0) {
        g_set_error(error, load_sdp_error_quark(), 0, "the offer has no m= line");
        return NULL;
    }
    GString *s = g_string_sized_new(1024 + 512 * offer->n_media);
    write_session(s, local, 2);
    if (local->ice_lite)
        g_string_append(s, "a=ice-lite\r\n");
    if (n_accepted > 0) {
        g_string_append(s, "a=group:BUNDLE");
        for (size_t i = 0; i < offer->n_media; i++) {
            if (tracks[i].accepted)
                g_string_append_printf(s, " %s", tracks[i].mid);
        }
        g_string_append(s, "\r\n");
    }
    for (size_t i = 0; i < offer->n_media; i++) {
        if (tracks[i].accepted)
            write_accepted(s, local, &tracks[i]);
        else
            write_rejected(s, &offer->media[i]);
    }
    return g_string_free(s, FALSE);
}

bool load_sdp_remote_get(const HnSdp *sdp, LoadSdpRemote *r, GError **error)
{
    memset(r, 0, sizeof *r);
    r->candidates = g_ptr_array_new_with_free_func(g_free);
    const HnSdpMedia *tagged = NULL;
    for (size_t i = 0; i < sdp->n_media; i++) {
        const HnSdpMedia *m = &sdp->media[i];
        if (m->port == 0 && !m->bundle_only)
            continue;
        if (!tagged && m->transport.ice_ufrag[0] && m->transport.ice_pwd[0])
            tagged = m;
        for (size_t k = 0; k < m->n_candidates; k++)
            g_ptr_array_add(r->candidates, g_strdup(m->candidates[k]));
    }
    if (!tagged) {
        g_set_error(error, load_sdp_error_quark(), 0,
                    "no section with a port and ICE credentials in the SFU's description");
        return false;
    }
    if (!tagged->transport.fingerprint[0]) {
        g_set_error(error, load_sdp_error_quark(), 0, "no DTLS fingerprint for mid \"%s\"",
                    tagged->mid);
        return false;
    }
    g_strlcpy(r->ufrag, tagged->transport.ice_ufrag, sizeof r->ufrag);
    g_strlcpy(r->pwd, tagged->transport.ice_pwd, sizeof r->pwd);
    g_strlcpy(r->fp_alg, tagged->transport.fingerprint_alg, sizeof r->fp_alg);
    g_strlcpy(r->fp, tagged->transport.fingerprint, sizeof r->fp);
    r->setup = tagged->transport.setup;
    return true;
}

void load_sdp_remote_clear(LoadSdpRemote *r)
{
    if (r->candidates)
        g_ptr_array_free(r->candidates, TRUE);
    r->candidates = NULL;
}

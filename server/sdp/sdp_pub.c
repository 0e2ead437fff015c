/* Publisher answers: the client offers sendonly audio/video, the server answers recvonly. */
#include "sdp/sdp_internal.h"

#include <errno.h>
#include <string.h>

/* The decision for one m= line of the offer. */
typedef struct {
    const char *reason; /* NULL when accepted */
    const HnSdpCodec *codec;
    const HnSdpCodec *rtx;
    HnSdpPubTrack track; /* track.codec.fmtp: the fmtp answered */
} Plan;

/* Opus parameters the answer always carries (RFC 7587): the server's wish as a receiver, which
 * the publisher's encoder follows. In-band FEC repairs a lost packet from the next one; DTX sends
 * one packet per 400 ms of silence instead of 50 per second, on the publisher's uplink (the thin
 * link of a commune) and on every subscriber's downlink. */
static const char *const opus_answer_params[] = {"useinbandfec=1", "usedtx=1"};

/* The answered fmtp of an Opus payload type: the offer's parameters (minptime, stereo...) kept in
 * order, useinbandfec and usedtx set to 1 whatever the offer said. Written to out (cap bytes);
 * the offer's fmtp unchanged when the result would not fit. */
static void opus_answer_fmtp(const char *offer, char *out, size_t cap)
{
    GString *s = g_string_new(NULL);
    gchar **params = g_strsplit(offer, ";", -1);
    for (gchar **p = params; *p; p++) {
        char *kv = g_strstrip(*p);
        if (*kv == '\0' || g_ascii_strncasecmp(kv, "useinbandfec=", 13) == 0 ||
            g_ascii_strncasecmp(kv, "usedtx=", 7) == 0)
            continue;
        g_string_append_printf(s, "%s%s", s->len ? ";" : "", kv);
    }
    g_strfreev(params);
    for (size_t i = 0; i < G_N_ELEMENTS(opus_answer_params); i++)
        g_string_append_printf(s, "%s%s", s->len ? ";" : "", opus_answer_params[i]);
    if (!hn_sdp_copy(out, cap, s->str))
        g_strlcpy(out, offer, cap);
    g_string_free(s, TRUE);
}

static bool is_dtls_srtp(const char *proto)
{
    static const char *const ok[] = {"UDP/TLS/RTP/SAVPF", "UDP/TLS/RTP/SAVP", "TCP/TLS/RTP/SAVPF",
                                     "RTP/SAVPF", "RTP/SAVP"};
    for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
        if (strcmp(proto, ok[i]) == 0)
            return true;
    }
    return false;
}

/* Rank of an H264 payload type, lower is better; -1 when it cannot be forwarded. */
static int h264_rank(const HnSdpCodec *c)
{
    char mode[8], plid[16];
    if (!hn_sdp_fmtp_get(c->fmtp, "packetization-mode", mode, sizeof mode) ||
        strcmp(mode, "1") != 0)
        return -1;
    if (!hn_sdp_fmtp_get(c->fmtp, "profile-level-id", plid, sizeof plid))
        return 2; /* RFC 6184 default: 420010, baseline */
    if (strlen(plid) != 6)
        return -1;
    for (int i = 0; i < 6; i++) {
        if (!g_ascii_isxdigit(plid[i]))
            return -1;
    }
    if (g_ascii_strcasecmp(plid, "42e01f") == 0)
        return 0;
    if (g_ascii_strcasecmp(plid, "42001f") == 0)
        return 1;
    int profile_idc = g_ascii_xdigit_value(plid[0]) * 16 + g_ascii_xdigit_value(plid[1]);
    return profile_idc == 0x42 ? 2 : 3;
}

/* Whether a codec is usable at all: known, right clock, fmtp fits an HnCodec. */
static bool usable(const HnSdpCodec *c, HnCodecId id)
{
    if (c->id != id || strlen(c->fmtp) >= sizeof(((HnCodec *)0)->fmtp))
        return false;
    if (id == HN_CODEC_OPUS)
        return c->clock_rate == 48000 && (c->channels == 0 || c->channels == 2);
    return c->clock_rate == 90000;
}

static const HnSdpCodec *choose_codec(const HnSdpMedia *m, const HnSdpCaps *caps)
{
    const HnSdpCodec *best = NULL;
    int best_rank = 99;
    for (size_t i = 0; i < m->n_codecs; i++) {
        const HnSdpCodec *c = &m->codecs[i];
        int rank = -1;
        if (m->type == HN_SDP_MEDIA_AUDIO && caps->opus && usable(c, HN_CODEC_OPUS))
            rank = 0;
        else if (m->type == HN_SDP_MEDIA_VIDEO && caps->vp8 && usable(c, HN_CODEC_VP8))
            rank = 0;
        else if (m->type == HN_SDP_MEDIA_VIDEO && caps->h264 && usable(c, HN_CODEC_H264)) {
            rank = h264_rank(c);
            rank = rank < 0 ? -1 : rank + 1;
        }
        if (rank >= 0 && rank < best_rank) {
            best = c;
            best_rank = rank;
        }
    }
    return best;
}

static const HnSdpCodec *find_rtx(const HnSdpMedia *m, const HnSdpCodec *codec)
{
    for (size_t i = 0; i < m->n_codecs; i++) {
        const HnSdpCodec *c = &m->codecs[i];
        if (g_ascii_strcasecmp(c->name, "rtx") == 0 && c->apt == codec->pt &&
            c->clock_rate == codec->clock_rate)
            return c;
    }
    return NULL;
}

/* Whether ssrc is a repair/FEC stream: a non-first member of a FID or FEC-FR group. */
static bool is_secondary(const HnSdpMedia *m, uint32_t ssrc)
{
    for (size_t i = 0; i < m->n_ssrc_groups; i++) {
        const HnSdpSsrcGroup *g = &m->ssrc_groups[i];
        if (strcmp(g->semantics, "FID") != 0 && strcmp(g->semantics, "FEC-FR") != 0)
            continue;
        for (size_t k = 1; k < g->n_ssrcs; k++) {
            if (g->ssrcs[k] == ssrc)
                return true;
        }
    }
    return false;
}

/* Media and RTX SSRCs, cname and msid of the track. Legacy simulcast (SIM) uses the first
 * layer until simulcast is negotiated properly. */
static void pick_ssrcs(const HnSdpMedia *m, HnSdpPubTrack *t)
{
    const HnSdpSsrcGroup *sim = NULL, *fid = NULL;
    for (size_t i = 0; i < m->n_ssrc_groups; i++) {
        const HnSdpSsrcGroup *g = &m->ssrc_groups[i];
        if (!sim && strcmp(g->semantics, "SIM") == 0)
            sim = g;
        if (!fid && strcmp(g->semantics, "FID") == 0)
            fid = g;
    }
    if (sim || fid) {
        t->ssrc = (sim ? sim : fid)->ssrcs[0];
        t->ssrc_signalled = true;
    }
    for (size_t i = 0; !t->ssrc_signalled && i < m->n_ssrcs; i++) {
        if (!is_secondary(m, m->ssrcs[i].ssrc)) {
            t->ssrc = m->ssrcs[i].ssrc;
            t->ssrc_signalled = true;
        }
    }
    for (size_t i = 0; t->ssrc_signalled && t->has_rtx && i < m->n_ssrc_groups; i++) {
        const HnSdpSsrcGroup *g = &m->ssrc_groups[i];
        if (strcmp(g->semantics, "FID") == 0 && g->n_ssrcs >= 2 && g->ssrcs[0] == t->ssrc) {
            t->rtx_ssrc = g->ssrcs[1];
            break;
        }
    }
    const HnSdpSsrc *s = t->ssrc_signalled ? hn_sdp_media_find_ssrc(m, t->ssrc) : NULL;
    if (s) {
        strcpy(t->cname, s->cname);
        strcpy(t->msid_stream, s->msid_stream);
        strcpy(t->msid_track, s->msid_track);
    }
    if (m->msid_stream[0] != '\0') { /* a=msid is the current form and wins */
        strcpy(t->msid_stream, m->msid_stream);
        strcpy(t->msid_track, m->msid_track);
    }
}

static const HnSdpRid *find_send_rid(const HnSdpMedia *m, const char *id)
{
    for (size_t i = 0; i < m->n_rids; i++)
        if (m->rids[i].send && strcmp(m->rids[i].id, id) == 0)
            return &m->rids[i];
    return NULL;
}

/* RID simulcast (RFC 8853): "a=simulcast:send q;h;f" naming a=rid:<id> send lines, lowest
 * first (the order our client sends them). The first alternative of each stream is taken, a
 * paused one ("~f") too (it may be resumed), at most HN_SIM_MAX_LAYERS; the header extension
 * of the rid is required to tell the layers apart. */
static void pick_rid_layers(const HnSdpMedia *m, HnSimulcastDesc *sim)
{
    const char *v = m->simulcast;
    if (g_ascii_strncasecmp(v, "send ", 5) != 0 || m->n_rids == 0)
        return;
    uint8_t ext_rid = (uint8_t)hn_sdp_media_find_extmap(m, HN_SDP_EXT_RID);
    if (!ext_rid)
        return;
    gchar **dir = g_strsplit(v + 5, " ", 2); /* "q;h;f" [recv ...] */
    gchar **streams = g_strsplit(dir[0], ";", -1);
    HnSimulcastDesc d = {.ext_rid = ext_rid};
    for (gchar **st = streams; *st && d.n_layers < HN_SIM_MAX_LAYERS; st++) {
        gchar **alts = g_strsplit(*st, ",", 2);
        const char *id = alts[0][0] == '~' ? alts[0] + 1 : alts[0];
        if (*id && strlen(id) < HN_SIM_RID_LEN && find_send_rid(m, id))
            strcpy(d.rids[d.n_layers++], id);
        g_strfreev(alts);
    }
    g_strfreev(streams);
    g_strfreev(dir);
    if (d.n_layers < 2)
        return;
    d.ext_rrid = (uint8_t)hn_sdp_media_find_extmap(m, HN_SDP_EXT_REPAIRED_RID);
    *sim = d;
}

/* SSRC simulcast: a=ssrc-group:SIM of 2-3 SSRCs, lowest first, their RTX from FID groups. */
static void pick_sim_group(const HnSdpMedia *m, HnSimulcastDesc *sim)
{
    for (size_t i = 0; i < m->n_ssrc_groups; i++) {
        const HnSdpSsrcGroup *g = &m->ssrc_groups[i];
        if (strcmp(g->semantics, "SIM") != 0 || g->n_ssrcs < 2 || g->n_ssrcs > HN_SIM_MAX_LAYERS)
            continue;
        HnSimulcastDesc d = {.n_layers = (uint8_t)g->n_ssrcs};
        for (size_t k = 0; k < g->n_ssrcs; k++) {
            d.ssrcs[k] = g->ssrcs[k];
            for (size_t j = 0; j < m->n_ssrc_groups; j++) {
                const HnSdpSsrcGroup *f = &m->ssrc_groups[j];
                if (strcmp(f->semantics, "FID") == 0 && f->n_ssrcs >= 2 &&
                    f->ssrcs[0] == g->ssrcs[k])
                    d.rtx_ssrcs[k] = f->ssrcs[1];
            }
        }
        *sim = d;
        return;
    }
}

static void fill_track(const HnSdpMedia *m, const HnSdpCaps *caps, Plan *p)
{
    HnSdpPubTrack *t = &p->track;
    const HnSdpCodec *c = p->codec;
    strcpy(t->mid, m->mid);
    t->kind = m->type == HN_SDP_MEDIA_AUDIO ? HN_KIND_AUDIO : HN_KIND_VIDEO;
    t->codec.id = c->id;
    t->codec.kind = t->kind;
    t->codec.pt = c->pt;
    t->codec.clock_rate = c->clock_rate;
    t->codec.channels = c->id == HN_CODEC_OPUS ? 2 : 0;
    if (c->id == HN_CODEC_OPUS)
        opus_answer_fmtp(c->fmtp, t->codec.fmtp, sizeof t->codec.fmtp);
    else
        strcpy(t->codec.fmtp, c->fmtp);
    uint32_t allowed = t->kind == HN_KIND_VIDEO ? HN_FB_NACK | HN_FB_PLI | HN_FB_FIR : HN_FB_NACK;
    if (caps->transport_cc)
        allowed |= HN_FB_TRANSPORT_CC;
    t->codec.feedback = c->feedback & allowed;
    t->receiving = m->direction == HN_SDP_DIR_SENDONLY || m->direction == HN_SDP_DIR_SENDRECV;
    t->rtcp_rsize = m->rtcp_rsize;
    if (p->rtx) {
        t->has_rtx = true;
        t->rtx_pt = p->rtx->pt;
    }
    t->ext_mid = (uint8_t)hn_sdp_media_find_extmap(m, HN_SDP_EXT_MID);
    t->ext_abs_send_time = (uint8_t)hn_sdp_media_find_extmap(m, HN_SDP_EXT_ABS_SEND_TIME);
    if (caps->transport_cc)
        t->ext_transport_cc = (uint8_t)hn_sdp_media_find_extmap(m, HN_SDP_EXT_TRANSPORT_CC);
    if (t->kind == HN_KIND_AUDIO)
        t->ext_audio_level = (uint8_t)hn_sdp_media_find_extmap(m, HN_SDP_EXT_AUDIO_LEVEL);
    pick_ssrcs(m, t);
    if (t->kind == HN_KIND_VIDEO) {
        pick_rid_layers(m, &t->sim);
        if (!t->sim.n_layers)
            pick_sim_group(m, &t->sim);
    }
}

/* Decides one m= line; n_accepted counts the m= lines accepted before it. */
static void plan_media(const HnSdp *offer, const HnSdpMedia *m, const HnSdpCaps *caps,
                       size_t n_accepted, Plan *p)
{
    if (m->type == HN_SDP_MEDIA_APPLICATION)
        p->reason = "data channels are not supported";
    else if (m->type == HN_SDP_MEDIA_OTHER)
        p->reason = "unsupported media type";
    else if (m->port == 0 && !m->bundle_only)
        p->reason = "disabled in the offer (port 0)";
    else if (!is_dtls_srtp(m->proto))
        p->reason = "protocol is not DTLS-SRTP";
    else if (offer->has_bundle && !hn_sdp_in_bundle(offer, m->mid))
        p->reason = "not in the BUNDLE group";
    else if (!offer->has_bundle && n_accepted > 0)
        p->reason = "not bundled (the server runs one transport per connection)";
    else if (!m->rtcp_mux)
        p->reason = "rtcp-mux is required";
    else if (!(p->codec = choose_codec(m, caps)))
        p->reason = m->type == HN_SDP_MEDIA_AUDIO ? "no supported audio codec (Opus)"
                                                  : "no supported video codec (VP8, H264 "
                                                    "packetization-mode=1)";
    if (p->reason)
        return;
    if (m->type == HN_SDP_MEDIA_VIDEO)
        p->rtx = find_rtx(m, p->codec);
    fill_track(m, caps, p);
}

static void write_accepted(GString *s, const HnSdpMedia *m, const Plan *p, const HnSdpLocal *local,
                           const char *setup, bool first)
{
    const HnSdpPubTrack *t = &p->track;
    g_string_append_printf(s, "m=%s 9 %s %u", m->media, m->proto, (unsigned)p->codec->pt);
    if (p->rtx)
        g_string_append_printf(s, " %u", (unsigned)p->rtx->pt);
    g_string_append(s, "\r\n");
    hn_sdp_write_transport(s, local, setup);
    if (m->mid[0] != '\0')
        g_string_append_printf(s, "a=mid:%s\r\n", m->mid);
    if (t->ext_mid)
        g_string_append_printf(s, "a=extmap:%u %s\r\n", t->ext_mid, HN_SDP_EXT_MID);
    if (t->ext_abs_send_time)
        g_string_append_printf(s, "a=extmap:%u %s\r\n", t->ext_abs_send_time,
                               HN_SDP_EXT_ABS_SEND_TIME);
    if (t->ext_transport_cc)
        g_string_append_printf(s, "a=extmap:%u %s\r\n", t->ext_transport_cc,
                               HN_SDP_EXT_TRANSPORT_CC);
    if (t->ext_audio_level)
        g_string_append_printf(s, "a=extmap:%u %s\r\n", t->ext_audio_level, HN_SDP_EXT_AUDIO_LEVEL);
    if (t->sim.ext_rid)
        g_string_append_printf(s, "a=extmap:%u %s\r\n", t->sim.ext_rid, HN_SDP_EXT_RID);
    if (t->sim.ext_rrid)
        g_string_append_printf(s, "a=extmap:%u %s\r\n", t->sim.ext_rrid, HN_SDP_EXT_REPAIRED_RID);
    g_string_append(s, t->receiving ? "a=recvonly\r\n" : "a=inactive\r\n");
    g_string_append(s, "a=rtcp-mux\r\n");
    if (t->rtcp_rsize) /* the router sends reduced-size RTCP (RFC 5506): say so when offered */
        g_string_append(s, "a=rtcp-rsize\r\n");
    const HnSdpCodec *c = p->codec;
    hn_sdp_write_codec(s, c->pt, c->name, c->clock_rate, c->channels, t->codec.fmtp,
                       t->codec.feedback);
    if (p->rtx) {
        char apt[16];
        g_snprintf(apt, sizeof apt, "apt=%u", (unsigned)c->pt);
        hn_sdp_write_codec(s, p->rtx->pt, p->rtx->name, p->rtx->clock_rate, 0, apt, 0);
    }
    if (t->sim.ext_rid) { /* RID simulcast: each layer answered as one we receive */
        for (unsigned i = 0; i < t->sim.n_layers; i++)
            g_string_append_printf(s, "a=rid:%s recv\r\n", t->sim.rids[i]);
        g_string_append(s, "a=simulcast:recv ");
        for (unsigned i = 0; i < t->sim.n_layers; i++)
            g_string_append_printf(s, "%s%s", i ? ";" : "", t->sim.rids[i]);
        g_string_append(s, "\r\n");
    }
    if (first)
        hn_sdp_write_candidates(s, local);
}

/* A rejected m= line still carries the transport attributes: webrtcbin (1.22) checks every
 * m= line for ice-ufrag, ice-pwd, fingerprint and setup, rejected or not. */
static void write_rejected(GString *s, const HnSdpMedia *m, const HnSdpLocal *local,
                           const char *setup)
{
    bool rtp = m->n_codecs > 0;
    if (rtp)
        g_string_append_printf(s, "m=%s 0 %s %u\r\n", m->media, m->proto,
                               (unsigned)m->codecs[0].pt);
    else
        g_string_append_printf(s, "m=%s 0 %s %s\r\n", m->media, m->proto, m->fmt);
    hn_sdp_write_transport(s, local, setup);
    if (m->mid[0] != '\0')
        g_string_append_printf(s, "a=mid:%s\r\n", m->mid);
    if (rtp)
        g_string_append(s, "a=inactive\r\n");
}

static char *write_answer(const HnSdp *offer, const Plan *plans, const HnSdpLocal *local,
                          const char *setup, uint64_t version)
{
    GString *s = g_string_sized_new(2048);
    hn_sdp_write_session(s, local->session_id, version);
    if (offer->has_bundle) {
        g_string_append(s, "a=group:BUNDLE");
        for (size_t i = 0; i < offer->n_media; i++) {
            if (!plans[i].reason)
                g_string_append_printf(s, " %s", offer->media[i].mid);
        }
        g_string_append(s, "\r\n");
    }
    if (local->ice_lite)
        g_string_append(s, "a=ice-lite\r\n");
    g_string_append(s, "a=ice-options:trickle\r\n"
                       "a=msid-semantic:WMS *\r\n");
    bool first = true;
    for (size_t i = 0; i < offer->n_media; i++) {
        if (plans[i].reason) {
            write_rejected(s, &offer->media[i], local, setup);
        } else {
            write_accepted(s, &offer->media[i], &plans[i], local, setup, first);
            first = false;
        }
    }
    return g_string_free(s, FALSE);
}

/* The m= line whose transport carries the bundle: the first accepted BUNDLE member. */
static const HnSdpMedia *tagged_media(const HnSdp *offer, const Plan *plans)
{
    for (size_t b = 0; b < offer->n_bundle; b++) {
        const HnSdpMedia *m = hn_sdp_find_media(offer, offer->bundle[b]);
        if (m && !plans[m - offer->media].reason)
            return m;
    }
    for (size_t i = 0; i < offer->n_media; i++) {
        if (!plans[i].reason)
            return &offer->media[i];
    }
    return NULL;
}

static int negotiation_error(GError **error, const HnSdp *offer, const Plan *plans)
{
    GString *msg = g_string_new("no m= line of the offer can be accepted");
    for (size_t i = 0; i < offer->n_media; i++) {
        g_string_append_printf(msg, "%s m=%s mid \"%s\": %s", i == 0 ? ":" : ";",
                               offer->media[i].media, offer->media[i].mid, plans[i].reason);
    }
    if (offer->n_media == 0)
        g_string_append(msg, " (it has none)");
    g_set_error_literal(error, HN_SDP_ERROR, HN_SDP_ERROR_NEGOTIATION, msg->str);
    g_string_free(msg, TRUE);
    return -EINVAL;
}

/* Checks the client's transport and picks our DTLS role. */
static int remote_transport(const HnSdpMedia *tagged, HnSdpPubAnswer *a, GError **error)
{
    const HnSdpTransport *t = &tagged->transport;
    if (t->ice_ufrag[0] == '\0' || t->ice_pwd[0] == '\0') {
        g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_NEGOTIATION,
                    "offer has no ICE credentials (a=ice-ufrag/a=ice-pwd) for mid \"%s\"",
                    tagged->mid);
        return -EINVAL;
    }
    if (t->fingerprint[0] == '\0') {
        g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_NEGOTIATION,
                    "offer has no DTLS fingerprint (a=fingerprint) for mid \"%s\"", tagged->mid);
        return -EINVAL;
    }
    if (t->setup == HN_SDP_SETUP_HOLDCONN) {
        g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_UNSUPPORTED,
                    "offer uses a=setup:holdconn, which is not supported");
        return -EINVAL;
    }
    a->remote = *t;
    a->dtls_server = t->setup != HN_SDP_SETUP_PASSIVE;
    return 0;
}

int hn_sdp_pub_answer(const HnSdp *offer, const HnSdpLocal *local, const HnSdpCaps *caps,
                      uint64_t version, HnSdpPubAnswer **out, GError **error)
{
    g_return_val_if_fail(offer != NULL && out != NULL, -EINVAL);
    *out = NULL;
    if (!hn_sdp_local_check(local, error))
        return -EINVAL;
    HnSdpCaps defaults = HN_SDP_CAPS_DEFAULT;
    if (!caps)
        caps = &defaults;
    Plan *plans = g_new0(Plan, offer->n_media ? offer->n_media : 1);
    size_t n_accepted = 0;
    for (size_t i = 0; i < offer->n_media; i++) {
        plan_media(offer, &offer->media[i], caps, n_accepted, &plans[i]);
        n_accepted += plans[i].reason == NULL;
    }
    HnSdpPubAnswer *a = g_new0(HnSdpPubAnswer, 1);
    int r = n_accepted == 0 ? negotiation_error(error, offer, plans)
                            : remote_transport(tagged_media(offer, plans), a, error);
    if (r < 0) {
        g_free(plans);
        g_free(a);
        return r;
    }
    a->sdp = write_answer(offer, plans, local, a->dtls_server ? "passive" : "active", version);
    a->tracks = g_new0(HnSdpPubTrack, n_accepted);
    a->rejected = g_new0(HnSdpRejected, offer->n_media - n_accepted + 1);
    for (size_t i = 0; i < offer->n_media; i++) {
        if (!plans[i].reason) {
            a->tracks[a->n_tracks++] = plans[i].track;
            continue;
        }
        HnSdpRejected *rej = &a->rejected[a->n_rejected++];
        strcpy(rej->mid, offer->media[i].mid);
        rej->index = (unsigned)i;
        rej->reason = plans[i].reason;
    }
    g_free(plans);
    *out = a;
    return 0;
}

void hn_sdp_pub_answer_free(HnSdpPubAnswer *a)
{
    if (!a)
        return;
    g_free(a->sdp);
    g_free(a->tracks);
    g_free(a->rejected);
    g_free(a);
}

/* Plain RTP legs: answers to and offers for SIP room systems (no ICE, DTLS, BUNDLE, mid). */
#include "sdp/sdp_plain.h"

#include "sdp/sdp_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define H264_OFFER_FMTP "packetization-mode=1;profile-level-id=42e01f"

HnSdpProfile hn_sdp_profile_from_proto(const char *proto)
{
    static const char *const names[] = {NULL,       "RTP/AVP",   "RTP/SAVP",
                                        "RTP/AVPF", "RTP/SAVPF", "UDP/TLS/RTP/SAVPF"};
    for (size_t i = 1; i < G_N_ELEMENTS(names); i++) {
        if (strcmp(proto, names[i]) == 0)
            return (HnSdpProfile)i;
    }
    return HN_SDP_PROFILE_OTHER;
}

const char *hn_sdp_profile_name(HnSdpProfile profile)
{
    switch (profile) {
    case HN_SDP_PROFILE_AVP:
        return "RTP/AVP";
    case HN_SDP_PROFILE_SAVP:
        return "RTP/SAVP";
    case HN_SDP_PROFILE_AVPF:
        return "RTP/AVPF";
    case HN_SDP_PROFILE_SAVPF:
        return "RTP/SAVPF";
    case HN_SDP_PROFILE_DTLS_SAVPF:
        return "UDP/TLS/RTP/SAVPF";
    case HN_SDP_PROFILE_OTHER:
        break;
    }
    return NULL;
}

static bool is_srtp(HnSdpProfile p)
{
    return p == HN_SDP_PROFILE_SAVP || p == HN_SDP_PROFILE_SAVPF;
}

static bool has_feedback(HnSdpProfile p)
{
    return p == HN_SDP_PROFILE_AVPF || p == HN_SDP_PROFILE_SAVPF;
}

/* The codec of one payload type: by a=rtpmap, else by the static table of RFC 3551. */
static HnSdpPlainCodec codec_of(const HnSdpCodec *c, uint32_t *bit)
{
    static const struct {
        const char *name;
        uint32_t rate;
        HnSdpPlainCodec codec;
        uint32_t bit;
    } known[] = {
        {"opus", 48000, HN_SDP_PLAIN_CODEC_OPUS, HN_SDP_PLAIN_OPUS},
        {"G722", 8000, HN_SDP_PLAIN_CODEC_G722, HN_SDP_PLAIN_G722},
        {"PCMU", 8000, HN_SDP_PLAIN_CODEC_PCMU, HN_SDP_PLAIN_PCMU},
        {"PCMA", 8000, HN_SDP_PLAIN_CODEC_PCMA, HN_SDP_PLAIN_PCMA},
        {"H264", 90000, HN_SDP_PLAIN_CODEC_H264, HN_SDP_PLAIN_H264},
        {"VP8", 90000, HN_SDP_PLAIN_CODEC_VP8, HN_SDP_PLAIN_VP8},
    };
    const char *name = c->name;
    uint32_t rate = c->clock_rate;
    if (name[0] == '\0') { /* static payload types, RFC 3551 */
        name = c->pt == 0 ? "PCMU" : c->pt == 8 ? "PCMA" : c->pt == 9 ? "G722" : "";
        rate = 8000;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(known); i++) {
        if (g_ascii_strcasecmp(name, known[i].name) == 0 && rate == known[i].rate) {
            *bit = known[i].bit;
            return known[i].codec;
        }
    }
    *bit = 0;
    return HN_SDP_PLAIN_CODEC_NONE;
}

/* H.264 we can forward: packetization-mode=1 (mode0: 0, written or not, RFC 6184's default)
 * and a well-formed profile-level-id (or none). The answer's fmtp is written to `fmtp`. */
static bool h264_ok(const HnSdpCodec *c, bool mode0, char *fmtp, size_t size)
{
    char mode[8] = "", plid[16] = "";
    bool has_mode = hn_sdp_fmtp_get(c->fmtp, "packetization-mode", mode, sizeof mode);
    if (mode0 ? has_mode && strcmp(mode, "0") != 0 : !has_mode || strcmp(mode, "1") != 0)
        return false;
    const char *m = mode0 ? "0" : "1";
    if (!hn_sdp_fmtp_get(c->fmtp, "profile-level-id", plid, sizeof plid)) {
        g_snprintf(fmtp, size, "packetization-mode=%s", m);
        return true;
    }
    if (strlen(plid) != 6)
        return false;
    for (int i = 0; i < 6; i++) {
        if (!g_ascii_isxdigit(plid[i]))
            return false;
    }
    g_snprintf(fmtp, size, "profile-level-id=%s;packetization-mode=%s", plid, m);
    return true;
}

/* Picks the codec and DTMF payload types of m (offerer's order). */
static const char *choose_codec(const HnSdpMedia *m, uint32_t caps, HnSdpPlainStream *st)
{
    const HnSdpCodec *chosen = NULL;
    /* H.264 packetization-mode 0 (single NAL units) only when nothing else fits: forwarded to
     * browsers as is (a mode 1 receiver takes single NAL units) */
    for (size_t k = 0; k < 2 * m->n_codecs && !chosen; k++) {
        bool mode0 = k >= m->n_codecs;
        const HnSdpCodec *c = &m->codecs[k % m->n_codecs];
        uint32_t bit;
        HnSdpPlainCodec id = codec_of(c, &bit);
        bool video = id == HN_SDP_PLAIN_CODEC_H264 || id == HN_SDP_PLAIN_CODEC_VP8;
        if (id == HN_SDP_PLAIN_CODEC_NONE || !(caps & bit) ||
            video != (st->kind == HN_KIND_VIDEO) || (mode0 && id != HN_SDP_PLAIN_CODEC_H264))
            continue;
        st->fmtp[0] = '\0';
        if (id == HN_SDP_PLAIN_CODEC_H264 && !h264_ok(c, mode0, st->fmtp, sizeof st->fmtp))
            continue;
        if (id == HN_SDP_PLAIN_CODEC_OPUS && strlen(c->fmtp) < sizeof st->fmtp)
            strcpy(st->fmtp, c->fmtp);
        chosen = c;
        st->codec = id;
    }
    if (!chosen)
        return st->kind == HN_KIND_AUDIO ? "no supported audio codec (Opus, G722, PCMU, PCMA)"
                                         : "no supported video codec (H264, VP8)";
    st->pt = chosen->pt;
    st->clock_rate = st->codec == HN_SDP_PLAIN_CODEC_OPUS ? 48000
                     : st->kind == HN_KIND_VIDEO          ? 90000
                                                          : 8000;
    st->channels = st->codec == HN_SDP_PLAIN_CODEC_OPUS ? 2 : 1;
    if (has_feedback(st->profile) && st->kind == HN_KIND_VIDEO)
        st->feedback = chosen->feedback & (HN_FB_NACK | HN_FB_PLI | HN_FB_FIR);
    st->dtmf_pt = -1;
    for (size_t i = 0; i < m->n_codecs && (caps & HN_SDP_PLAIN_DTMF) && st->kind == HN_KIND_AUDIO;
         i++) {
        const HnSdpCodec *c = &m->codecs[i];
        if (g_ascii_strcasecmp(c->name, "telephone-event") == 0 &&
            c->clock_rate == st->clock_rate) {
            st->dtmf_pt = c->pt;
            break;
        }
    }
    return NULL;
}

/* Where to send: c= address, RTP port, RTCP port and address. */
static const char *remote_of(const HnSdpMedia *m, HnSdpPlainStream *st)
{
    if (m->conn.addr[0] == '\0')
        return "no c= address for the m= line or the session";
    st->remote = m->conn;
    st->remote_port = m->port;
    st->rtcp_mux = m->rtcp_mux;
    st->remote_rtcp = m->rtcp_conn.addr[0] != '\0' ? m->rtcp_conn : m->conn;
    if (m->rtcp_mux)
        st->remote_rtcp_port = m->port;
    else if (m->rtcp_port != 0)
        st->remote_rtcp_port = m->rtcp_port;
    else
        st->remote_rtcp_port = m->port == 65535 ? 0 : (uint16_t)(m->port + 1);
    st->ptime = m->ptime;
    return NULL;
}

/* The offer's crypto line for our key's suite (no MKI, no session parameters). */
static const HnSdpCrypto *find_crypto(const HnSdpMedia *m, const HnSdpSdesKey *key)
{
    for (size_t i = 0; key && i < m->n_cryptos; i++) {
        const HnSdpCrypto *c = &m->cryptos[i];
        if (c->suite == key->suite && c->key_len > 0 && c->mki_len == 0 && !c->session_params)
            return c;
    }
    return NULL;
}

static HnSdpDirection mirror(HnSdpDirection d)
{
    return d == HN_SDP_DIR_SENDONLY   ? HN_SDP_DIR_RECVONLY
           : d == HN_SDP_DIR_RECVONLY ? HN_SDP_DIR_SENDONLY
                                      : d;
}

/* Decides one m= line of an offer. */
static void plan(const HnSdpMedia *m, const HnSdpPlainPort *port, uint32_t caps,
                 HnSdpPlainStream *st)
{
    st->dtmf_pt = -1;
    st->profile = hn_sdp_profile_from_proto(m->proto);
    st->kind = m->type == HN_SDP_MEDIA_VIDEO ? HN_KIND_VIDEO : HN_KIND_AUDIO;
    if (m->type != HN_SDP_MEDIA_AUDIO && m->type != HN_SDP_MEDIA_VIDEO)
        st->reason = "not audio or video";
    else if (m->port == 0)
        st->reason = "disabled in the offer (port 0)";
    else if (st->profile == HN_SDP_PROFILE_DTLS_SAVPF)
        st->reason = "DTLS-SRTP is the WebRTC path, not a plain leg";
    else if (st->profile == HN_SDP_PROFILE_OTHER)
        st->reason = "protocol is not RTP/AVP, RTP/AVPF, RTP/SAVP or RTP/SAVPF";
    else if (is_srtp(st->profile) && !port->key)
        st->reason = "SRTP offered, but this leg has no SDES key";
    else if (is_srtp(st->profile) && !find_crypto(m, port->key))
        st->reason = "no a=crypto line with our suite (and without MKI or session parameters)";
    if (!st->reason)
        st->reason = remote_of(m, st);
    if (!st->reason)
        st->reason = choose_codec(m, caps, st);
    if (st->reason)
        return;
    st->accepted = true;
    st->direction = mirror(m->direction);
    if (is_srtp(st->profile)) {
        st->srtp = true;
        st->remote_key = *find_crypto(m, port->key);
    }
}

static const char *addr_type(const char *addr)
{
    return strchr(addr, ':') ? "IP6" : "IP4";
}

static bool session_check(const HnSdpPlainSession *s, GError **error)
{
    HnSdpConn c;
    if (!s || !s->address ||
        (!hn_sdp_conn_set(&c, false, s->address) && !hn_sdp_conn_set(&c, true, s->address))) {
        g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_INVALID,
                    "plain SDP: session address must be an IPv4 or IPv6 literal");
        return false;
    }
    return true;
}

static bool port_check(const HnSdpPlainPort *p, size_t i, GError **error)
{
    HnSdpConn c;
    const char *why = NULL;
    if (!p->address ||
        (!hn_sdp_conn_set(&c, false, p->address) && !hn_sdp_conn_set(&c, true, p->address)))
        why = "address must be an IPv4 or IPv6 literal";
    else if (p->port == 0)
        why = "port must be 1-65535";
    else if (p->key && hn_sdp_crypto_key_len(p->key->suite) == 0)
        why = "SDES key of an unknown suite";
    if (why)
        g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_INVALID, "plain SDP: m= line %zu: %s", i,
                    why);
    return why == NULL;
}

static void write_session(GString *s, const HnSdpPlainSession *ss)
{
    const char *t = addr_type(ss->address);
    g_string_append_printf(s,
                           "v=0\r\no=hoinghi %" PRIu64 " %" PRIu64 " IN %s %s\r\ns=-\r\n"
                           "c=IN %s %s\r\nt=0 0\r\n",
                           ss->session_id & INT64_MAX, ss->version, t, ss->address, t, ss->address);
}

/* c= (when not the session's), b= (video_kbps > 0) and a=rtcp of our side. */
static void write_port(GString *s, const HnSdpPlainSession *ss, const HnSdpPlainPort *p,
                       uint32_t video_kbps)
{
    if (strcmp(p->address, ss->address) != 0)
        g_string_append_printf(s, "c=IN %s %s\r\n", addr_type(p->address), p->address);
    if (video_kbps > 0)
        g_string_append_printf(s, "b=AS:%u\r\nb=TIAS:%" PRIu64 "\r\n", video_kbps,
                               (uint64_t)video_kbps * 1000);
    if (p->rtcp_port != 0 && p->rtcp_port != p->port + 1)
        g_string_append_printf(s, "a=rtcp:%u\r\n", p->rtcp_port);
}

static void write_crypto(GString *s, uint32_t tag, const HnSdpSdesKey *key)
{
    char *b64 = g_base64_encode(key->key, hn_sdp_crypto_key_len(key->suite));
    g_string_append_printf(s, "a=crypto:%u %s inline:%s\r\n", (unsigned)tag,
                           hn_sdp_crypto_suite_name(key->suite), b64);
    g_free(b64);
}

static const char *codec_name(HnSdpPlainCodec c)
{
    static const char *const names[] = {"", "opus", "G722", "PCMU", "PCMA", "H264", "VP8"};
    return names[c];
}

static void write_stream(GString *s, const HnSdpMedia *m, const HnSdpPlainStream *st,
                         const HnSdpPlainSession *ss, const HnSdpPlainPort *p)
{
    if (!st->accepted) {
        if (m->n_codecs > 0)
            g_string_append_printf(s, "m=%s 0 %s %u\r\n", m->media, m->proto, m->codecs[0].pt);
        else
            g_string_append_printf(s, "m=%s 0 %s %s\r\n", m->media, m->proto, m->fmt);
    } else {
        g_string_append_printf(s, "m=%s %u %s %u", m->media, p->port, m->proto, st->pt);
        if (st->dtmf_pt >= 0)
            g_string_append_printf(s, " %d", st->dtmf_pt);
        g_string_append(s, "\r\n");
        write_port(s, ss, p, st->kind == HN_KIND_VIDEO ? ss->video_kbps : 0);
        hn_sdp_write_codec(s, st->pt, codec_name(st->codec), st->clock_rate,
                           st->channels > 1 ? st->channels : 0, st->fmtp, st->feedback);
        if (st->dtmf_pt >= 0)
            hn_sdp_write_codec(s, (unsigned)st->dtmf_pt, "telephone-event", st->clock_rate, 0,
                               "0-15", 0);
        g_string_append_printf(s, "a=%s\r\n", hn_sdp_direction_name(st->direction));
        if (st->rtcp_mux)
            g_string_append(s, "a=rtcp-mux\r\n");
        if (st->srtp)
            write_crypto(s, st->remote_key.tag, p->key);
    }
    if (m->mid[0] != '\0')
        g_string_append_printf(s, "a=mid:%s\r\n", m->mid);
}

int hn_sdp_plain_answer(const HnSdp *offer, const HnSdpPlainSession *session,
                        const HnSdpPlainPort *ports, size_t n_ports, HnSdpPlainAnswer **out,
                        GError **error)
{
    g_return_val_if_fail(offer != NULL && out != NULL, -EINVAL);
    *out = NULL;
    if (!session_check(session, error))
        return -EINVAL;
    if (n_ports != offer->n_media || (n_ports > 0 && !ports)) {
        g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_INVALID,
                    "plain SDP: %zu local ports for %zu m= lines", n_ports, offer->n_media);
        return -EINVAL;
    }
    for (size_t i = 0; i < n_ports; i++) {
        if (!port_check(&ports[i], i, error))
            return -EINVAL;
    }
    uint32_t caps = session->codecs ? session->codecs : HN_SDP_PLAIN_ALL;
    HnSdpPlainAnswer *a = g_new0(HnSdpPlainAnswer, 1);
    a->streams = g_new0(HnSdpPlainStream, offer->n_media ? offer->n_media : 1);
    a->n_streams = offer->n_media;
    size_t n_accepted = 0;
    for (size_t i = 0; i < offer->n_media; i++) {
        plan(&offer->media[i], &ports[i], caps, &a->streams[i]);
        a->streams[i].max_kbps = hn_sdp_media_max_kbps(offer, &offer->media[i]);
        n_accepted += a->streams[i].accepted;
    }
    if (n_accepted == 0) {
        GString *msg = g_string_new("plain SDP: no m= line of the offer can be accepted");
        for (size_t i = 0; i < offer->n_media; i++)
            g_string_append_printf(msg, "%s m=%s: %s", i == 0 ? ":" : ";", offer->media[i].media,
                                   a->streams[i].reason);
        if (offer->n_media == 0)
            g_string_append(msg, " (it has none)");
        g_set_error_literal(error, HN_SDP_ERROR, HN_SDP_ERROR_NEGOTIATION, msg->str);
        g_string_free(msg, TRUE);
        hn_sdp_plain_answer_free(a);
        return -EINVAL;
    }
    GString *s = g_string_sized_new(512 + 256 * offer->n_media);
    write_session(s, session);
    for (size_t i = 0; i < offer->n_media; i++)
        write_stream(s, &offer->media[i], &a->streams[i], session, &ports[i]);
    a->sdp = g_string_free(s, FALSE);
    *out = a;
    return 0;
}

void hn_sdp_plain_answer_free(HnSdpPlainAnswer *a)
{
    if (!a)
        return;
    g_free(a->sdp);
    g_free(a->streams);
    g_free(a);
}

/* ---- the offer side ---- */

/* Payload types we offer, per codec bit. */
static const struct {
    uint32_t bit;
    HnKind kind;
    unsigned pt;
    const char *name;
    uint32_t rate;
    unsigned channels;
    const char *fmtp;
} offered[] = {
    {HN_SDP_PLAIN_OPUS, HN_KIND_AUDIO, 111, "opus", 48000, 2, "minptime=10;useinbandfec=1"},
    {HN_SDP_PLAIN_G722, HN_KIND_AUDIO, 9, "G722", 8000, 0, ""},
    {HN_SDP_PLAIN_PCMU, HN_KIND_AUDIO, 0, "PCMU", 8000, 0, ""},
    {HN_SDP_PLAIN_PCMA, HN_KIND_AUDIO, 8, "PCMA", 8000, 0, ""},
    {HN_SDP_PLAIN_DTMF, HN_KIND_AUDIO, 101, "telephone-event", 8000, 0, "0-15"},
    {HN_SDP_PLAIN_DTMF, HN_KIND_AUDIO, 110, "telephone-event", 48000, 0, "0-15"},
    {HN_SDP_PLAIN_H264, HN_KIND_VIDEO, 96, "H264", 90000, 0, H264_OFFER_FMTP},
    {HN_SDP_PLAIN_VP8, HN_KIND_VIDEO, 97, "VP8", 90000, 0, ""},
};

/* Whether entry i is offered for this kind and codec set (DTMF only beside a codec of its rate). */
static bool offers(size_t i, HnKind kind, uint32_t caps)
{
    if (offered[i].kind != kind || !(caps & offered[i].bit))
        return false;
    if (offered[i].bit != HN_SDP_PLAIN_DTMF)
        return true;
    uint32_t same_rate = offered[i].rate == 48000
                             ? HN_SDP_PLAIN_OPUS
                             : HN_SDP_PLAIN_G722 | HN_SDP_PLAIN_PCMU | HN_SDP_PLAIN_PCMA;
    return (caps & same_rate) != 0;
}

static bool offer_check(const HnSdpPlainOffer *m, size_t i, uint32_t caps, GError **error)
{
    if (!port_check(&m->port, i, error))
        return false;
    const char *why = NULL;
    if (m->kind != HN_KIND_AUDIO && m->kind != HN_KIND_VIDEO)
        why = "kind must be audio or video";
    else if (m->profile == HN_SDP_PROFILE_OTHER || m->profile == HN_SDP_PROFILE_DTLS_SAVPF ||
             hn_sdp_profile_name(m->profile) == NULL)
        why = "profile must be RTP/AVP, RTP/AVPF, RTP/SAVP or RTP/SAVPF";
    else if (is_srtp(m->profile) && !m->port.key)
        why = "an SRTP profile needs an SDES key";
    else if (m->direction > HN_SDP_DIR_INACTIVE)
        why = "bad direction";
    bool any = false;
    for (size_t k = 0; k < G_N_ELEMENTS(offered) && !why; k++)
        any = any || (offers(k, m->kind, caps) && offered[k].bit != HN_SDP_PLAIN_DTMF);
    if (!why && !any)
        why = "no codec of this kind in the session's codec set";
    if (why)
        g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_INVALID, "plain SDP: m= line %zu: %s", i,
                    why);
    return why == NULL;
}

char *hn_sdp_plain_offer(const HnSdpPlainSession *session, const HnSdpPlainOffer *media, size_t n,
                         GError **error)
{
    if (!session_check(session, error))
        return NULL;
    uint32_t caps = session->codecs ? session->codecs : HN_SDP_PLAIN_ALL;
    if (n == 0 || !media || n > HN_SDP_MAX_MEDIA) {
        g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_INVALID,
                    "plain SDP: an offer needs 1-%d m= lines", HN_SDP_MAX_MEDIA);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!offer_check(&media[i], i, caps, error))
            return NULL;
    }
    GString *s = g_string_sized_new(512 + 512 * n);
    write_session(s, session);
    for (size_t i = 0; i < n; i++) {
        const HnSdpPlainOffer *m = &media[i];
        bool video = m->kind == HN_KIND_VIDEO;
        g_string_append_printf(s, "m=%s %u %s", video ? "video" : "audio", m->port.port,
                               hn_sdp_profile_name(m->profile));
        for (size_t k = 0; k < G_N_ELEMENTS(offered); k++) {
            if (offers(k, m->kind, caps))
                g_string_append_printf(s, " %u", offered[k].pt);
        }
        g_string_append(s, "\r\n");
        write_port(s, session, &m->port, 0);
        uint32_t fb = video && has_feedback(m->profile) ? HN_FB_NACK | HN_FB_PLI | HN_FB_FIR : 0;
        for (size_t k = 0; k < G_N_ELEMENTS(offered); k++) {
            if (offers(k, m->kind, caps))
                hn_sdp_write_codec(s, offered[k].pt, offered[k].name, offered[k].rate,
                                   offered[k].channels, offered[k].fmtp, fb);
        }
        g_string_append_printf(s, "a=%s\r\n", hn_sdp_direction_name(m->direction));
        if (is_srtp(m->profile))
            write_crypto(s, 1, m->port.key);
    }
    return g_string_free(s, FALSE);
}

static int answer_fail(GError **error, size_t i, const char *why)
{
    g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_NEGOTIATION, "plain SDP answer: m= line %zu: %s",
                i, why);
    return -EINVAL;
}

/* One m= line of the answer to our offer. */
static int read_stream(const HnSdpMedia *m, const HnSdpPlainOffer *o, uint32_t caps, size_t i,
                       HnSdpPlainStream *st, GError **error)
{
    memset(st, 0, sizeof *st);
    st->dtmf_pt = -1;
    st->kind = o->kind;
    st->profile = o->profile;
    if (m->type != (o->kind == HN_KIND_VIDEO ? HN_SDP_MEDIA_VIDEO : HN_SDP_MEDIA_AUDIO))
        return answer_fail(error, i, "the media type differs from the offer");
    if (m->port == 0) {
        st->reason = "rejected by the answer (port 0)";
        return 0;
    }
    if (hn_sdp_profile_from_proto(m->proto) != o->profile)
        return answer_fail(error, i, "the protocol differs from the offer");
    for (size_t k = 0; k < m->n_codecs; k++) {
        bool ours = false;
        for (size_t j = 0; j < G_N_ELEMENTS(offered) && !ours; j++)
            ours = offers(j, o->kind, caps) && offered[j].pt == m->codecs[k].pt;
        if (!ours)
            return answer_fail(error, i, "the answer has a payload type we did not offer");
    }
    const char *why = remote_of(m, st);
    if (!why)
        why = choose_codec(m, caps, st);
    if (why)
        return answer_fail(error, i, why);
    if (is_srtp(o->profile)) {
        const HnSdpCrypto *c = find_crypto(m, o->port.key);
        if (!c || c->tag != 1)
            return answer_fail(error, i, "SRTP answered without an a=crypto:1 of our suite");
        st->srtp = true;
        st->remote_key = *c;
    }
    HnSdpDirection theirs = mirror(m->direction);
    bool send = (o->direction == HN_SDP_DIR_SENDRECV || o->direction == HN_SDP_DIR_SENDONLY) &&
                (theirs == HN_SDP_DIR_SENDRECV || theirs == HN_SDP_DIR_SENDONLY);
    bool recv = (o->direction == HN_SDP_DIR_SENDRECV || o->direction == HN_SDP_DIR_RECVONLY) &&
                (theirs == HN_SDP_DIR_SENDRECV || theirs == HN_SDP_DIR_RECVONLY);
    st->direction = send && recv ? HN_SDP_DIR_SENDRECV
                    : send       ? HN_SDP_DIR_SENDONLY
                    : recv       ? HN_SDP_DIR_RECVONLY
                                 : HN_SDP_DIR_INACTIVE;
    st->accepted = true;
    return 0;
}

int hn_sdp_plain_read_answer(const HnSdp *answer, const HnSdpPlainSession *session,
                             const HnSdpPlainOffer *media, size_t n, HnSdpPlainStream *streams,
                             GError **error)
{
    g_return_val_if_fail(answer != NULL && session != NULL && (n == 0 || (media && streams)),
                         -EINVAL);
    uint32_t caps = session->codecs ? session->codecs : HN_SDP_PLAIN_ALL;
    if (answer->n_media != n) {
        g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_NEGOTIATION,
                    "plain SDP answer: %zu m= lines, the offer had %zu", answer->n_media, n);
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        int r = read_stream(&answer->media[i], &media[i], caps, i, &streams[i], error);
        if (r < 0)
            return r;
    }
    return 0;
}

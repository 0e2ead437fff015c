/* Subscriber connections: the server offers one sendonly m= line per forwarded track and checks
 * the client's answer against the same slots. */
#include "sdp/sdp_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#define SUB_PROTO "UDP/TLS/RTP/SAVPF"

static bool slot_fail(GError **error, size_t i, const char *what)
{
    g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_INVALID, "sub offer slot %zu: %s", i, what);
    return false;
}

/* The codec written for a slot: its own, or a placeholder for an inactive, recycled slot. */
static HnCodec slot_codec(const HnSdpSendSlot *s)
{
    if (s->active || s->codec.id != HN_CODEC_UNKNOWN)
        return s->codec;
    if (s->kind == HN_KIND_AUDIO)
        return (HnCodec){
            HN_CODEC_OPUS, HN_KIND_AUDIO, 111, 48000, 2, 0, "minptime=10;useinbandfec=1"};
    return (HnCodec){HN_CODEC_VP8, HN_KIND_VIDEO, 96, 90000, 0, 0, ""};
}

static bool mid_ok(const char *mid)
{
    size_t n = mid ? strlen(mid) : 0;
    if (n == 0 || n >= HN_SDP_MID_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!g_ascii_isalnum(mid[i]) && mid[i] != '_' && mid[i] != '-' && mid[i] != '.')
            return false;
    }
    return true;
}

/* A payload type usable with rtcp-mux (RFC 5761 keeps 64-95 away from RTCP packet types). */
static bool pt_ok(unsigned pt)
{
    return pt <= 127 && (pt < 64 || pt > 95);
}

static bool codec_ok(const HnCodec *c, HnKind kind)
{
    bool id_ok = kind == HN_KIND_AUDIO ? c->id == HN_CODEC_OPUS
                                       : c->id == HN_CODEC_VP8 || c->id == HN_CODEC_H264;
    if (!id_ok || c->kind != kind || !pt_ok(c->pt) || c->clock_rate == 0)
        return false;
    if (!memchr(c->fmtp, '\0', sizeof c->fmtp))
        return false;
    for (const char *p = c->fmtp; *p; p++) {
        if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
            return false;
    }
    return true;
}

static bool slot_check(const HnSdpSendSlot *slots, size_t i, GError **error)
{
    const HnSdpSendSlot *s = &slots[i];
    if (!mid_ok(s->mid))
        return slot_fail(error, i, "mid must be 1-32 characters of [A-Za-z0-9_.-]");
    if (s->kind != HN_KIND_AUDIO && s->kind != HN_KIND_VIDEO)
        return slot_fail(error, i, "kind must be audio or video");
    HnCodec c = slot_codec(s);
    if (!codec_ok(&c, s->kind))
        return slot_fail(error, i, "codec does not fit the kind, or bad PT/clock rate/fmtp");
    if (s->rtx_pt != 0 && (s->kind != HN_KIND_VIDEO || !pt_ok(s->rtx_pt) || s->rtx_pt == c.pt))
        return slot_fail(error, i, "bad RTX payload type");
    if (!s->active)
        return true;
    if (!s->cname || !hn_sdp_is_token(s->cname, HN_SDP_CNAME_LEN - 1))
        return slot_fail(error, i, "cname must be 1-128 visible characters");
    if (!s->stream_id || !hn_sdp_is_token(s->stream_id, HN_SDP_ID_LEN - 1) || !s->track_id ||
        !hn_sdp_is_token(s->track_id, HN_SDP_ID_LEN - 1))
        return slot_fail(error, i, "stream and track ids must be 1-64 visible characters");
    return true;
}

/* Checks the slot list: count, each slot, unique mids (a hash set: linear in n). */
static bool slots_check(const HnSdpSendSlot *slots, size_t n, const char *what, GError **error)
{
    if (n == 0 || !slots) {
        g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_INVALID, "%s needs at least 1 slot", what);
        return false;
    }
    if (n > HN_SDP_MAX_MEDIA) {
        g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_TOO_MANY,
                    "%s has %zu slots, more than the %d m= lines an SDP may have", what, n,
                    HN_SDP_MAX_MEDIA);
        return false;
    }
    GHashTable *mids = g_hash_table_new(g_str_hash, g_str_equal);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        ok = slot_check(slots, i, error);
        if (ok && !g_hash_table_add(mids, (gpointer)slots[i].mid))
            ok = slot_fail(error, i, "mid is used by an earlier slot");
    }
    g_hash_table_destroy(mids);
    return ok;
}

static void write_slot(GString *s, const HnSdpSendSlot *slot, const HnSdpLocal *local, bool first)
{
    HnCodec c = slot_codec(slot);
    bool rtx = slot->rtx_pt != 0;
    g_string_append_printf(s, "m=%s 9 " SUB_PROTO " %u",
                           slot->kind == HN_KIND_AUDIO ? "audio" : "video", (unsigned)c.pt);
    if (rtx)
        g_string_append_printf(s, " %u", (unsigned)slot->rtx_pt);
    g_string_append(s, "\r\n");
    hn_sdp_write_transport(s, local, "actpass");
    g_string_append_printf(s, "a=mid:%s\r\n", slot->mid);
    g_string_append(s, slot->active ? "a=sendonly\r\n" : "a=inactive\r\n");
    if (slot->active)
        g_string_append_printf(s, "a=msid:%s %s\r\n", slot->stream_id, slot->track_id);
    /* transport-cc: the router stamps its own transport-wide sequence number into every packet
     * of the connection (one id for all sections, as BUNDLE requires) and estimates the
     * downlink from the subscriber's feedback; goog-remb stays offered as the fallback. */
    g_string_append_printf(s, "a=extmap:%u %s\r\n", HN_SDP_SUB_EXT_TRANSPORT_CC_ID,
                           HN_SDP_EXT_TRANSPORT_CC);
    g_string_append(s, "a=rtcp-mux\r\n"
                       "a=rtcp-rsize\r\n");
    /* Subscribers' NACK/PLI/FIR drive retransmission and keyframe requests upstream. */
    uint32_t fb = slot->kind == HN_KIND_VIDEO
                      ? HN_FB_NACK | HN_FB_PLI | HN_FB_FIR | HN_FB_TRANSPORT_CC | HN_FB_REMB
                      : (c.feedback & HN_FB_NACK) | HN_FB_TRANSPORT_CC;
    hn_sdp_write_codec(s, c.pt, hn_codec_name(c.id), c.clock_rate,
                       c.id == HN_CODEC_OPUS ? 2 : c.channels, c.fmtp, fb);
    if (rtx) {
        char apt[16];
        g_snprintf(apt, sizeof apt, "apt=%u", (unsigned)c.pt);
        hn_sdp_write_codec(s, slot->rtx_pt, "rtx", c.clock_rate, 0, apt, 0);
    }
    if (slot->active) {
        uint32_t ssrcs[2] = {slot->ssrc, slot->rtx_ssrc};
        if (rtx)
            g_string_append_printf(s, "a=ssrc-group:FID %u %u\r\n", (unsigned)ssrcs[0],
                                   (unsigned)ssrcs[1]);
        /* a=msid above names the stream and track (RFC 8830); the legacy a=ssrc:<n> msid: lines
         * would repeat it, 2 x 70 bytes per section in a meeting of hundreds of sections. */
        for (int k = 0; k < (rtx ? 2 : 1); k++)
            g_string_append_printf(s, "a=ssrc:%u cname:%s\r\n", (unsigned)ssrcs[k], slot->cname);
    }
    if (first)
        hn_sdp_write_candidates(s, local);
}

char *hn_sdp_build_sub_offer(const HnSdpLocal *local, const HnSdpSendSlot *slots, size_t n,
                             uint64_t version, GError **error)
{
    if (!hn_sdp_local_check(local, error) || !slots_check(slots, n, "sub offer", error))
        return NULL;
    GString *s = g_string_sized_new(1024 + 768 * n);
    hn_sdp_write_session(s, local->session_id, version);
    g_string_append(s, "a=group:BUNDLE");
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(s, " %s", slots[i].mid);
    g_string_append(s, "\r\n");
    if (local->ice_lite)
        g_string_append(s, "a=ice-lite\r\n");
    g_string_append(s, "a=ice-options:trickle\r\n"
                       "a=msid-semantic:WMS *\r\n");
    for (size_t i = 0; i < n; i++)
        write_slot(s, &slots[i], local, i == 0);
    return g_string_free(s, FALSE);
}

/* Why the answer for one slot is not usable, or NULL. */
static const char *check_mid(const HnSdp *sdp, const HnSdpMedia *m, const HnSdpSendSlot *slot,
                             size_t n_accepted)
{
    HnCodec c = slot_codec(slot);
    if (m->port == 0)
        return "rejected by the client (port 0)";
    if (sdp->has_bundle && !hn_sdp_in_bundle(sdp, m->mid))
        return "not in the answer's BUNDLE group";
    if (!sdp->has_bundle && n_accepted > 0)
        return "not bundled";
    if (!m->rtcp_mux)
        return "answer lacks a=rtcp-mux";
    const HnSdpCodec *ac = hn_sdp_media_find_codec(m, c.pt);
    if (!ac)
        return "the offered payload type is missing from the answer";
    if (ac->name[0] != '\0' &&
        (hn_codec_id_from_name(ac->name) != c.id || ac->clock_rate != c.clock_rate))
        return "the offered payload type was answered with another codec";
    for (size_t i = 0; i < m->n_codecs; i++) {
        unsigned pt = m->codecs[i].pt;
        if (pt != c.pt && (slot->rtx_pt == 0 || pt != slot->rtx_pt))
            return "the answer has a payload type that was not offered";
    }
    return NULL;
}

static int sub_fail(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static int sub_fail(GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_NEGOTIATION, "sub answer: %s", msg);
    g_free(msg);
    return -EINVAL;
}

static int check_mids(HnSdpSubAnswer *a, const HnSdpSendSlot *slots, size_t n, GError **error)
{
    const HnSdp *sdp = a->sdp;
    if (sdp->n_media != n)
        return sub_fail(error, "%zu m= lines, the offer had %zu", sdp->n_media, n);
    a->mids = g_new0(HnSdpSubMid, n);
    a->n_mids = n;
    size_t n_accepted = 0;
    for (size_t i = 0; i < n; i++) {
        const HnSdpMedia *m = &sdp->media[i];
        HnSdpSubMid *r = &a->mids[i];
        if (strcmp(m->mid, slots[i].mid) != 0)
            return sub_fail(error, "m= line %zu has mid \"%s\", the offer had \"%s\"", i, m->mid,
                            slots[i].mid);
        bool audio = slots[i].kind == HN_KIND_AUDIO;
        if (m->type != (audio ? HN_SDP_MEDIA_AUDIO : HN_SDP_MEDIA_VIDEO))
            return sub_fail(error, "mid \"%s\" is m=%s, the offer had %s", m->mid, m->media,
                            audio ? "audio" : "video");
        strcpy(r->mid, m->mid);
        r->reason = check_mid(sdp, m, &slots[i], n_accepted);
        r->accepted = r->reason == NULL;
        if (!r->accepted)
            continue;
        n_accepted++;
        r->pt = slot_codec(&slots[i]).pt;
        r->rtx = slots[i].rtx_pt != 0 && hn_sdp_media_find_codec(m, slots[i].rtx_pt) != NULL;
        r->receiving = m->direction == HN_SDP_DIR_RECVONLY || m->direction == HN_SDP_DIR_SENDRECV;
        /* transport-cc: kept with the offered id (an answerer may not change it) */
        if (!a->transport_cc &&
            hn_sdp_media_find_extmap(m, HN_SDP_EXT_TRANSPORT_CC) == HN_SDP_SUB_EXT_TRANSPORT_CC_ID)
            a->transport_cc = HN_SDP_SUB_EXT_TRANSPORT_CC_ID;
    }
    return 0;
}

/* The transport of the first accepted m= line in BUNDLE order; DTLS role from its setup. */
static int check_transport(HnSdpSubAnswer *a, GError **error)
{
    const HnSdp *sdp = a->sdp;
    const HnSdpMedia *tagged = NULL;
    for (size_t b = 0; b < sdp->n_bundle && !tagged; b++) {
        const HnSdpMedia *m = hn_sdp_find_media(sdp, sdp->bundle[b]);
        if (m && a->mids[m - sdp->media].accepted)
            tagged = m;
    }
    for (size_t i = 0; i < a->n_mids && !tagged; i++) {
        if (a->mids[i].accepted)
            tagged = &sdp->media[i];
    }
    a->dtls_server = true;
    if (!tagged) /* everything rejected: there is no transport to set up */
        return 0;
    const HnSdpTransport *t = &tagged->transport;
    if (t->ice_ufrag[0] == '\0' || t->ice_pwd[0] == '\0')
        return sub_fail(error, "no ICE credentials (a=ice-ufrag/a=ice-pwd) for mid \"%s\"",
                        tagged->mid);
    if (t->fingerprint[0] == '\0')
        return sub_fail(error, "no DTLS fingerprint for mid \"%s\"", tagged->mid);
    if (t->setup == HN_SDP_SETUP_ACTPASS || t->setup == HN_SDP_SETUP_HOLDCONN)
        return sub_fail(error, "a=setup:%s is not valid in an answer (active or passive)",
                        hn_sdp_setup_name(t->setup));
    a->remote = *t;
    /* RFC 4145: without a=setup the answerer is active, so the server stays DTLS server. */
    a->dtls_server = t->setup != HN_SDP_SETUP_PASSIVE;
    return 0;
}

int hn_sdp_check_sub_answer(const char *text, size_t len, const HnSdpSendSlot *slots, size_t n,
                            HnSdpSubAnswer **out, GError **error)
{
    g_return_val_if_fail(out != NULL, -EINVAL);
    *out = NULL;
    if (!slots_check(slots, n, "sub answer", error))
        return -EINVAL;
    HnSdpSubAnswer *a = g_new0(HnSdpSubAnswer, 1);
    int r = hn_sdp_parse(text, len, &a->sdp, error);
    if (r < 0)
        g_prefix_error(error, "sub answer: ");
    if (r == 0)
        r = check_mids(a, slots, n, error);
    if (r == 0)
        r = check_transport(a, error);
    if (r < 0) {
        hn_sdp_sub_answer_free(a);
        return r;
    }
    *out = a;
    return 0;
}

void hn_sdp_sub_answer_free(HnSdpSubAnswer *a)
{
    if (!a)
        return;
    hn_sdp_free(a->sdp);
    g_free(a->mids);
    g_free(a);
}

/* Shared pieces of the descriptions the server writes (publisher answers, subscriber offers). */
#include "sdp/sdp_candidate.h"
#include "sdp/sdp_internal.h"

#include <inttypes.h>
#include <string.h>

static bool invalid(GError **error, const char *what)
{
    g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_INVALID, "local SDP parameters: %s", what);
    return false;
}

bool hn_sdp_local_check(const HnSdpLocal *l, GError **error)
{
    if (!l)
        return invalid(error, "missing");
    if (!l->ice_ufrag || !hn_sdp_is_ice_string(l->ice_ufrag, 4, HN_SDP_UFRAG_LEN - 1))
        return invalid(error, "ICE ufrag must be 4-256 characters of [A-Za-z0-9+/]");
    if (!l->ice_pwd || !hn_sdp_is_ice_string(l->ice_pwd, 22, HN_SDP_PWD_LEN - 1))
        return invalid(error, "ICE password must be 22-256 characters of [A-Za-z0-9+/]");
    if (!l->fingerprint_alg || !hn_sdp_is_token(l->fingerprint_alg, HN_SDP_FP_ALG_LEN - 1))
        return invalid(error, "bad fingerprint hash name");
    if (!l->fingerprint || !hn_sdp_is_fingerprint(l->fingerprint))
        return invalid(error, "fingerprint must be colon-separated hex bytes");
    if (l->n_candidates > 0 && !l->candidates)
        return invalid(error, "n_candidates without candidates");
    for (size_t i = 0; i < l->n_candidates; i++) {
        HnCandidate c;
        GError *e = NULL;
        if (!l->candidates[i] || hn_sdp_candidate_parse(l->candidates[i], &c, &e) < 0 ||
            strncmp(l->candidates[i], "candidate:", 10) != 0 ||
            strpbrk(l->candidates[i], "\r\n") != NULL) {
            g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_INVALID,
                        "local SDP parameters: candidate %zu: %s", i,
                        e ? e->message : "must be \"candidate:...\" on one line");
            g_clear_error(&e);
            return false;
        }
    }
    return true;
}

void hn_sdp_write_session(GString *s, uint64_t session_id, uint64_t version)
{
    /* JSEP: the session id is a 63-bit number. */
    g_string_append_printf(s,
                           "v=0\r\n"
                           "o=- %" PRIu64 " %" PRIu64 " IN IP4 0.0.0.0\r\n"
                           "s=-\r\n"
                           "t=0 0\r\n",
                           session_id & INT64_MAX, version);
}

void hn_sdp_write_transport(GString *s, const HnSdpLocal *l, const char *setup)
{
    g_string_append_printf(s,
                           "c=IN IP4 0.0.0.0\r\n"
                           "a=ice-ufrag:%s\r\n"
                           "a=ice-pwd:%s\r\n"
                           "a=fingerprint:%s %s\r\n"
                           "a=setup:%s\r\n",
                           l->ice_ufrag, l->ice_pwd, l->fingerprint_alg, l->fingerprint, setup);
}

void hn_sdp_write_candidates(GString *s, const HnSdpLocal *l)
{
    for (size_t i = 0; i < l->n_candidates; i++)
        g_string_append_printf(s, "a=%s\r\n", l->candidates[i]);
    if (l->end_of_candidates)
        g_string_append(s, "a=end-of-candidates\r\n");
}

void hn_sdp_write_codec(GString *s, unsigned pt, const char *name, uint32_t clock_rate,
                        unsigned channels, const char *fmtp, uint32_t feedback)
{
    g_string_append_printf(s, "a=rtpmap:%u %s/%u", pt, name, (unsigned)clock_rate);
    if (channels > 1)
        g_string_append_printf(s, "/%u", channels);
    g_string_append(s, "\r\n");
    static const struct {
        uint32_t bit;
        const char *text;
    } fb[] = {
        {HN_FB_NACK, "nack"},
        {HN_FB_PLI, "nack pli"},
        {HN_FB_FIR, "ccm fir"},
        {HN_FB_REMB, "goog-remb"},
        {HN_FB_TRANSPORT_CC, "transport-cc"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(fb); i++) {
        if (feedback & fb[i].bit)
            g_string_append_printf(s, "a=rtcp-fb:%u %s\r\n", pt, fb[i].text);
    }
    if (fmtp && fmtp[0] != '\0')
        g_string_append_printf(s, "a=fmtp:%u %s\r\n", pt, fmtp);
}

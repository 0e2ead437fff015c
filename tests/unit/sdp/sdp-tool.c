/* sdp-tool: command-line front of server/sdp for tests and manual checks.
 *   sdp-tool parse            < sdp        summary of a parsed description
 *   sdp-tool answer [--tcc]   < pub-offer  the server's answer to a publisher offer
 *   sdp-tool sub-offer        < pub-offer  a sub offer forwarding the offer's accepted tracks,
 *                                          plus one inactive (recycled) video slot
 *   sdp-tool sub-check OFFER  < sub-answer checks an answer to `sub-offer < OFFER`
 *   sdp-tool candidate LINE                parses and re-formats a candidate line
 * Exit status: 0 ok, 1 refused (reason on stderr), 2 usage. */
#include "sdp/sdp.h"
#include "sdp/sdp_candidate.h"
#include "sdp/sdp_negotiate.h"

#include <stdio.h>
#include <string.h>

#define TOOL_MAX_INPUT (1024 * 1024)

static const HnSdpLocal tool_local = {
    .ice_ufrag = "hnSv",
    .ice_pwd = "hoinghiServerPassword0123",
    .fingerprint_alg = "sha-256",
    .fingerprint = "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:"
                   "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9",
    .session_id = 4242424242424242ULL,
};

static const char *codec_name(HnCodecId id)
{
    return id == HN_CODEC_OPUS   ? "opus"
           : id == HN_CODEC_VP8  ? "VP8"
           : id == HN_CODEC_H264 ? "H264"
                                 : "?";
}

static GString *read_all(FILE *f)
{
    GString *s = g_string_new(NULL);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0 && s->len < TOOL_MAX_INPUT)
        g_string_append_len(s, buf, (gssize)n);
    return s;
}

static int fail(GError *e)
{
    fprintf(stderr, "sdp-tool: %s\n", e ? e->message : "failed");
    g_clear_error(&e);
    return 1;
}

static int cmd_parse(void)
{
    GString *in = read_all(stdin);
    HnSdp *sdp = NULL;
    GError *e = NULL;
    int r = hn_sdp_parse(in->str, in->len, &sdp, &e);
    g_string_free(in, TRUE);
    if (r < 0)
        return fail(e);
    printf("session %s version %" G_GUINT64_FORMAT " bundle %zu m-lines %zu\n", sdp->session_id,
           sdp->session_version, sdp->n_bundle, sdp->n_media);
    for (size_t i = 0; i < sdp->n_media; i++) {
        const HnSdpMedia *m = &sdp->media[i];
        printf("m=%s mid=%s port=%u %s codecs=%zu ssrcs=%zu extmaps=%zu candidates=%zu\n", m->media,
               m->mid, m->port, hn_sdp_direction_name(m->direction), m->n_codecs, m->n_ssrcs,
               m->n_extmaps, m->n_candidates);
    }
    hn_sdp_free(sdp);
    return 0;
}

/* Parses stdin or a file and answers it. */
static int answer_text(const GString *in, bool tcc, HnSdpPubAnswer **out)
{
    HnSdp *offer = NULL;
    GError *e = NULL;
    HnSdpCaps caps = HN_SDP_CAPS_DEFAULT;
    caps.transport_cc = tcc;
    if (hn_sdp_parse(in->str, in->len, &offer, &e) < 0 ||
        hn_sdp_pub_answer(offer, &tool_local, &caps, 1, out, &e) < 0) {
        hn_sdp_free(offer);
        return fail(e);
    }
    hn_sdp_free(offer);
    return 0;
}

static int cmd_answer(bool tcc)
{
    GString *in = read_all(stdin);
    HnSdpPubAnswer *a = NULL;
    int r = answer_text(in, tcc, &a);
    g_string_free(in, TRUE);
    if (r)
        return r;
    fputs(a->sdp, stdout);
    for (size_t i = 0; i < a->n_tracks; i++) {
        const HnSdpPubTrack *t = &a->tracks[i];
        fprintf(stderr, "accepted mid=%s %s pt=%u ssrc=%u%s rtx_pt=%u rtx_ssrc=%u\n", t->mid,
                codec_name(t->codec.id), t->codec.pt, t->ssrc,
                t->ssrc_signalled ? "" : " (unsignalled)", t->has_rtx ? t->rtx_pt : 0, t->rtx_ssrc);
    }
    for (size_t i = 0; i < a->n_rejected; i++)
        fprintf(stderr, "rejected mid=%s: %s\n", a->rejected[i].mid, a->rejected[i].reason);
    hn_sdp_pub_answer_free(a);
    return 0;
}

/* The slots a server would offer to a subscriber of the publisher whose offer is `in`. Strings
 * point into static storage; *n_out includes one inactive, recycled video slot. */
static int slots_for(const GString *in, HnSdpSendSlot *slots, size_t *n_out)
{
    static char mids[HN_SDP_MAX_MEDIA][8];
    static const char *const track_ids[] = {"p1-audio", "p1-video"};
    HnSdpPubAnswer *a = NULL;
    int r = answer_text(in, false, &a);
    if (r)
        return r;
    size_t n = 0;
    for (size_t i = 0; i < a->n_tracks && n + 1 < HN_SDP_MAX_MEDIA; i++, n++) {
        const HnSdpPubTrack *t = &a->tracks[i];
        g_snprintf(mids[n], sizeof mids[n], "m%zu", n);
        slots[n] = (HnSdpSendSlot){
            .mid = mids[n],
            .kind = t->kind,
            .active = true,
            .codec = t->codec,
            .ssrc = 0x10000000u + (uint32_t)n,
            .cname = "hoinghi",
            .stream_id = "p1",
            .track_id = track_ids[t->kind == HN_KIND_VIDEO],
        };
    }
    g_snprintf(mids[n], sizeof mids[n], "m%zu", n);
    slots[n] = (HnSdpSendSlot){.mid = mids[n], .kind = HN_KIND_VIDEO, .active = false};
    *n_out = n + 1;
    hn_sdp_pub_answer_free(a);
    return 0;
}

static int cmd_sub_offer(void)
{
    GString *in = read_all(stdin);
    HnSdpSendSlot slots[HN_SDP_MAX_MEDIA];
    size_t n = 0;
    int r = slots_for(in, slots, &n);
    g_string_free(in, TRUE);
    if (r)
        return r;
    GError *e = NULL;
    char *offer = hn_sdp_build_sub_offer(&tool_local, slots, n, 1, &e);
    if (!offer)
        return fail(e);
    fputs(offer, stdout);
    g_free(offer);
    return 0;
}

static int cmd_sub_check(const char *offer_path)
{
    FILE *f = fopen(offer_path, "rb");
    if (!f) {
        fprintf(stderr, "sdp-tool: cannot open %s\n", offer_path);
        return 1;
    }
    GString *pub = read_all(f);
    fclose(f);
    HnSdpSendSlot slots[HN_SDP_MAX_MEDIA];
    size_t n = 0;
    int r = slots_for(pub, slots, &n);
    g_string_free(pub, TRUE);
    if (r)
        return r;
    GString *in = read_all(stdin);
    HnSdpSubAnswer *a = NULL;
    GError *e = NULL;
    r = hn_sdp_check_sub_answer(in->str, in->len, slots, n, &a, &e);
    g_string_free(in, TRUE);
    if (r < 0)
        return fail(e);
    int status = 0;
    printf("dtls %s\n", a->dtls_server ? "server" : "client");
    for (size_t i = 0; i < a->n_mids; i++) {
        const HnSdpSubMid *m = &a->mids[i];
        printf("mid=%s %s pt=%u%s%s\n", m->mid, m->accepted ? "accepted" : "rejected", m->pt,
               m->receiving ? " receiving" : "", m->reason ? m->reason : "");
        if (slots[i].active && (!m->accepted || !m->receiving))
            status = 1;
    }
    hn_sdp_sub_answer_free(a);
    return status;
}

static int cmd_candidate(const char *line)
{
    HnCandidate c;
    GError *e = NULL;
    if (hn_sdp_candidate_parse(line, &c, &e) < 0)
        return fail(e);
    char *s = hn_sdp_candidate_format(&c, &e);
    if (!s)
        return fail(e);
    printf("%s\n", s);
    g_free(s);
    return 0;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    if (strcmp(cmd, "parse") == 0 && argc == 2)
        return cmd_parse();
    if (strcmp(cmd, "answer") == 0 && argc <= 3)
        return cmd_answer(argc == 3 && strcmp(argv[2], "--tcc") == 0);
    if (strcmp(cmd, "sub-offer") == 0 && argc == 2)
        return cmd_sub_offer();
    if (strcmp(cmd, "sub-check") == 0 && argc == 3)
        return cmd_sub_check(argv[2]);
    if (strcmp(cmd, "candidate") == 0 && argc == 3)
        return cmd_candidate(argv[2]);
    fprintf(stderr,
            "usage: sdp-tool parse|answer [--tcc]|sub-offer|sub-check OFFER|candidate LINE\n");
    return 2;
}

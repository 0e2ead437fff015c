/* SDP a= attribute parsers. Unknown attributes are ignored; known ones are validated strictly. */
#include "sdp/sdp_internal.h"

#include <errno.h>
#include <string.h>

static HnSdpTransport *transport_of(HnSdpParser *p)
{
    return p->m ? &p->m->transport : &p->sdp->transport;
}

/* Reads a PT token ("0"-"127"); -1 for "*" when allow_star. */
static int parse_pt(HnSdpParser *p, const char **cur, bool allow_star, int *pt, GError **error)
{
    char tok[16];
    uint64_t v;
    if (hn_sdp_next_token(cur, tok, sizeof tok) != 1)
        return hn_sdp_fail(p, error, "missing payload type");
    if (allow_star && strcmp(tok, "*") == 0) {
        *pt = -1;
        return 0;
    }
    if (!hn_sdp_parse_uint(tok, 127, &v))
        return hn_sdp_fail(p, error, "payload type \"%s\" is not a number in 0-127", tok);
    *pt = (int)v;
    return 0;
}

static int attr_group(HnSdpParser *p, const char *value, GError **error)
{
    HnSdp *sdp = p->sdp;
    char tok[HN_SDP_MID_LEN];
    const char *cur = value;
    int r = hn_sdp_next_token(&cur, tok, sizeof tok);
    if (r != 1)
        return hn_sdp_fail(p, error, "a=group without semantics");
    /* Only the first BUNDLE group is kept: the server runs one transport per peer connection,
     * so m= lines of any other group are rejected by the negotiation. */
    if (strcmp(tok, "BUNDLE") != 0 || sdp->has_bundle || p->m)
        return 0;
    sdp->has_bundle = true;
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    int ret = 0;
    while (ret == 0 && (r = hn_sdp_next_token(&cur, tok, sizeof tok)) == 1) {
        char(*slot)[HN_SDP_MID_LEN] = hn_sdp_array_push((void **)&sdp->bundle, &sdp->n_bundle,
                                                        sizeof *sdp->bundle, HN_SDP_MAX_MEDIA);
        if (!slot)
            ret = hn_sdp_fail(p, error, "a=group:BUNDLE has more than %d mids", HN_SDP_MAX_MEDIA);
        else if (!g_hash_table_add(seen, g_strdup(tok)))
            ret = hn_sdp_fail(p, error, "a=group:BUNDLE lists mid \"%s\" twice", tok);
        else
            memcpy(*slot, tok, sizeof tok);
    }
    g_hash_table_destroy(seen);
    if (ret == 0 && r < 0)
        ret = hn_sdp_fail(p, error, "a=group:BUNDLE mid longer than %d", HN_SDP_MID_LEN - 1);
    return ret;
}

static int attr_ice_ufrag(HnSdpParser *p, const char *value, GError **error)
{
    HnSdpTransport *t = transport_of(p);
    if (t->ice_ufrag[0] != '\0')
        return hn_sdp_fail(p, error, "duplicate a=ice-ufrag");
    if (!hn_sdp_is_ice_string(value, 4, HN_SDP_UFRAG_LEN - 1))
        return hn_sdp_fail(p, error, "a=ice-ufrag must be 4-256 characters of [A-Za-z0-9+/]");
    strcpy(t->ice_ufrag, value);
    return 0;
}

static int attr_ice_pwd(HnSdpParser *p, const char *value, GError **error)
{
    HnSdpTransport *t = transport_of(p);
    if (t->ice_pwd[0] != '\0')
        return hn_sdp_fail(p, error, "duplicate a=ice-pwd");
    if (!hn_sdp_is_ice_string(value, 22, HN_SDP_PWD_LEN - 1))
        return hn_sdp_fail(p, error, "a=ice-pwd must be 22-256 characters of [A-Za-z0-9+/]");
    strcpy(t->ice_pwd, value);
    return 0;
}

static int attr_ice_options(HnSdpParser *p, const char *value, GError **error)
{
    char tok[HN_SDP_MAX_LINE + 1]; /* a token cannot be longer than its line */
    const char *cur = value;
    while (hn_sdp_next_token(&cur, tok, sizeof tok) == 1) {
        if (strcmp(tok, "trickle") == 0)
            transport_of(p)->ice_trickle = true;
    }
    return 0;
}

static int attr_fingerprint(HnSdpParser *p, const char *value, GError **error)
{
    HnSdpTransport *t = transport_of(p);
    char alg[HN_SDP_FP_ALG_LEN], hex[HN_SDP_FP_LEN];
    const char *cur = value;
    if (hn_sdp_next_token(&cur, alg, sizeof alg) != 1)
        return hn_sdp_fail(p, error, "a=fingerprint: missing or too long hash name");
    if (hn_sdp_next_token(&cur, hex, sizeof hex) != 1 || !hn_sdp_is_fingerprint(hex) ||
        *hn_sdp_skip_blanks(cur) != '\0')
        return hn_sdp_fail(p, error, "a=fingerprint: expected \"<hash> XX:XX:...\" (1-64 bytes)");
    if (t->fingerprint[0] != '\0') /* several fingerprints: keep the first */
        return 0;
    for (char *c = alg; *c; c++)
        *c = g_ascii_tolower(*c);
    for (char *c = hex; *c; c++)
        *c = g_ascii_toupper(*c);
    strcpy(t->fingerprint_alg, alg);
    strcpy(t->fingerprint, hex);
    return 0;
}

static int attr_setup(HnSdpParser *p, const char *value, GError **error)
{
    static const char *const names[] = {"", "actpass", "active", "passive", "holdconn"};
    HnSdpTransport *t = transport_of(p);
    if (t->setup != HN_SDP_SETUP_NONE)
        return hn_sdp_fail(p, error, "duplicate a=setup");
    for (int i = 1; i < 5; i++) {
        if (strcmp(value, names[i]) == 0) {
            t->setup = (HnSdpSetup)i;
            return 0;
        }
    }
    return hn_sdp_fail(p, error, "unknown a=setup role \"%.32s\"", value);
}

static int attr_mid(HnSdpParser *p, const char *value, GError **error)
{
    if (p->m->mid[0] != '\0')
        return hn_sdp_fail(p, error, "duplicate a=mid");
    if (!hn_sdp_is_token(value, HN_SDP_MID_LEN - 1))
        return hn_sdp_fail(p, error, "a=mid must be 1-%d visible characters", HN_SDP_MID_LEN - 1);
    strcpy(p->m->mid, value);
    return 0;
}

/* a=rtpmap:<pt> <name>/<rate>[/<channels>] */
static int attr_rtpmap(HnSdpParser *p, const char *value, GError **error)
{
    const char *cur = value;
    char enc[96];
    int pt, r = parse_pt(p, &cur, false, &pt, error);
    if (r < 0)
        return r;
    if (hn_sdp_next_token(&cur, enc, sizeof enc) != 1)
        return hn_sdp_fail(p, error, "a=rtpmap: missing or too long encoding");
    char **parts = g_strsplit(enc, "/", 4);
    guint n = g_strv_length(parts);
    uint64_t rate = 0, channels = 0;
    bool name_ok = n >= 2 && parts[0][0] != '\0' && strlen(parts[0]) < HN_SDP_NAME_LEN;
    for (const char *c = parts[0]; name_ok && *c; c++)
        name_ok = g_ascii_isalnum(*c) || *c == '-' || *c == '_' || *c == '.';
    if (!name_ok || n > 3 || !hn_sdp_parse_uint(parts[1], UINT32_MAX, &rate) || rate == 0 ||
        (n == 3 && (!hn_sdp_parse_uint(parts[2], 255, &channels) || channels == 0))) {
        g_strfreev(parts);
        return hn_sdp_fail(p, error, "a=rtpmap: expected \"<pt> <name>/<rate>[/<channels>]\"");
    }
    HnSdpCodec *c = (HnSdpCodec *)hn_sdp_media_find_codec(p->m, pt);
    if (c && c->name[0] != '\0') {
        g_strfreev(parts);
        return hn_sdp_fail(p, error, "duplicate a=rtpmap for payload type %d", pt);
    }
    if (c) { /* a payload type not on the m= line is ignored */
        strcpy(c->name, parts[0]);
        c->id = hn_codec_id_from_name(parts[0]);
        c->clock_rate = (uint32_t)rate;
        c->channels = (uint8_t)channels;
    }
    g_strfreev(parts);
    return 0;
}

/* a=fmtp:<pt> <parameters> */
static int attr_fmtp(HnSdpParser *p, const char *value, GError **error)
{
    const char *cur = value;
    int pt, r = parse_pt(p, &cur, false, &pt, error);
    if (r < 0)
        return r;
    const char *params = hn_sdp_skip_blanks(cur);
    HnSdpCodec *c = (HnSdpCodec *)hn_sdp_media_find_codec(p->m, pt);
    if (!c)
        return 0;
    if (c->fmtp[0] != '\0')
        return hn_sdp_fail(p, error, "duplicate a=fmtp for payload type %d", pt);
    if (!hn_sdp_copy(c->fmtp, sizeof c->fmtp, params))
        return hn_sdp_fail(p, error, "a=fmtp parameters longer than %d", HN_SDP_FMTP_LEN - 1);
    char apt[8];
    uint64_t v;
    if (hn_sdp_fmtp_get(c->fmtp, "apt", apt, sizeof apt)) {
        if (!hn_sdp_parse_uint(apt, 127, &v))
            return hn_sdp_fail(p, error, "a=fmtp: apt=\"%s\" is not a payload type", apt);
        c->apt = (int)v;
    }
    return 0;
}

/* a=rtcp-fb:<pt|*> <type> [<subtype>] */
static int attr_rtcp_fb(HnSdpParser *p, const char *value, GError **error)
{
    const char *cur = value;
    char type[32] = "", sub[32] = "";
    int pt, r = parse_pt(p, &cur, true, &pt, error);
    if (r < 0)
        return r;
    if (hn_sdp_next_token(&cur, type, sizeof type) != 1)
        return hn_sdp_fail(p, error, "a=rtcp-fb: missing feedback type");
    if (hn_sdp_next_token(&cur, sub, sizeof sub) < 0)
        sub[0] = '\0';
    uint32_t fb = 0;
    if (strcmp(type, "nack") == 0 && sub[0] == '\0')
        fb = HN_FB_NACK;
    else if (strcmp(type, "nack") == 0 && strcmp(sub, "pli") == 0)
        fb = HN_FB_PLI;
    else if (strcmp(type, "ccm") == 0 && strcmp(sub, "fir") == 0)
        fb = HN_FB_FIR;
    else if (strcmp(type, "goog-remb") == 0)
        fb = HN_FB_REMB;
    else if (strcmp(type, "transport-cc") == 0)
        fb = HN_FB_TRANSPORT_CC;
    if (pt < 0) {
        p->m->fb_wildcard |= fb;
        return 0;
    }
    HnSdpCodec *c = (HnSdpCodec *)hn_sdp_media_find_codec(p->m, pt);
    if (c)
        c->feedback |= fb;
    return 0;
}

/* a=extmap:<id>[/<direction>] <uri> [<attributes>] */
static int attr_extmap(HnSdpParser *p, const char *value, GError **error)
{
    const char *cur = value;
    char idtok[32], uri[HN_SDP_URI_LEN];
    uint64_t id;
    if (hn_sdp_next_token(&cur, idtok, sizeof idtok) != 1)
        return hn_sdp_fail(p, error, "a=extmap: missing id");
    char *slash = strchr(idtok, '/');
    if (slash)
        *slash = '\0';
    if (!hn_sdp_parse_uint(idtok, 255, &id) || id == 0)
        return hn_sdp_fail(p, error, "a=extmap id \"%s\" is not a number in 1-255", idtok);
    if (hn_sdp_next_token(&cur, uri, sizeof uri) != 1)
        return hn_sdp_fail(p, error, "a=extmap: missing or too long URI");
    HnSdpExtmap *arr = p->m ? p->m->extmaps : p->sess_extmaps;
    size_t n = p->m ? p->m->n_extmaps : p->n_sess_extmaps;
    for (size_t i = 0; i < n; i++) {
        if (arr[i].id == id)
            return hn_sdp_fail(p, error, "a=extmap id %u is used twice", (unsigned)id);
    }
    HnSdpExtmap *e;
    if (p->m)
        e = hn_sdp_array_push((void **)&p->m->extmaps, &p->m->n_extmaps, sizeof *e,
                              HN_SDP_MAX_EXTMAPS);
    else
        e = p->n_sess_extmaps < HN_SDP_MAX_EXTMAPS ? &p->sess_extmaps[p->n_sess_extmaps++] : NULL;
    if (!e)
        return hn_sdp_fail(p, error, "more than %d a=extmap", HN_SDP_MAX_EXTMAPS);
    e->id = (uint16_t)id;
    strcpy(e->uri, uri);
    return 0;
}

static HnSdpSsrc *ssrc_entry(HnSdpParser *p, uint32_t ssrc, GError **error)
{
    HnSdpSsrc *s = (HnSdpSsrc *)hn_sdp_media_find_ssrc(p->m, ssrc);
    if (s)
        return s;
    s = hn_sdp_array_push((void **)&p->m->ssrcs, &p->m->n_ssrcs, sizeof *s, HN_SDP_MAX_SSRCS);
    if (!s) {
        hn_sdp_fail(p, error, "more than %d SSRCs in one m= section", HN_SDP_MAX_SSRCS);
        return NULL;
    }
    s->ssrc = ssrc;
    return s;
}

/* "<stream> [<track>]" of a=msid and a=ssrc:<ssrc> msid: */
static int parse_msid(HnSdpParser *p, const char *value, char *stream, char *track, GError **error)
{
    const char *cur = value;
    char extra[4];
    if (hn_sdp_next_token(&cur, stream, HN_SDP_ID_LEN) != 1)
        return hn_sdp_fail(p, error, "msid: missing or too long stream id");
    int r = hn_sdp_next_token(&cur, track, HN_SDP_ID_LEN);
    if (r < 0 || hn_sdp_next_token(&cur, extra, sizeof extra) != 0)
        return hn_sdp_fail(p, error, "msid: expected \"<stream id> [<track id>]\" of 1-%d chars",
                           HN_SDP_ID_LEN - 1);
    if (r == 0)
        track[0] = '\0';
    return 0;
}

/* a=ssrc:<ssrc> <attribute>[:<value>] */
static int attr_ssrc(HnSdpParser *p, const char *value, GError **error)
{
    const char *cur = value;
    char tok[16];
    uint64_t ssrc;
    if (hn_sdp_next_token(&cur, tok, sizeof tok) != 1 || !hn_sdp_parse_uint(tok, UINT32_MAX, &ssrc))
        return hn_sdp_fail(p, error, "a=ssrc: SSRC is not a number in 0-4294967295");
    cur = hn_sdp_skip_blanks(cur);
    if (*cur == '\0')
        return hn_sdp_fail(p, error, "a=ssrc: missing attribute");
    HnSdpSsrc *s = ssrc_entry(p, (uint32_t)ssrc, error);
    if (!s)
        return -EINVAL;
    if (strncmp(cur, "cname:", 6) == 0) {
        if (!hn_sdp_is_token(cur + 6, HN_SDP_CNAME_LEN - 1))
            return hn_sdp_fail(p, error, "a=ssrc cname must be 1-%d visible characters",
                               HN_SDP_CNAME_LEN - 1);
        strcpy(s->cname, cur + 6);
    } else if (strncmp(cur, "msid:", 5) == 0) {
        return parse_msid(p, cur + 5, s->msid_stream, s->msid_track, error);
    }
    return 0;
}

/* a=ssrc-group:<semantics> <ssrc> ... */
static int attr_ssrc_group(HnSdpParser *p, const char *value, GError **error)
{
    const char *cur = value;
    char tok[16];
    HnSdpSsrcGroup g = {0};
    if (hn_sdp_next_token(&cur, g.semantics, sizeof g.semantics) != 1)
        return hn_sdp_fail(p, error, "a=ssrc-group: missing or too long semantics");
    int r;
    while ((r = hn_sdp_next_token(&cur, tok, sizeof tok)) == 1) {
        uint64_t v;
        if (!hn_sdp_parse_uint(tok, UINT32_MAX, &v))
            return hn_sdp_fail(p, error, "a=ssrc-group: \"%s\" is not an SSRC", tok);
        if (g.n_ssrcs >= HN_SDP_MAX_GROUP_SSRCS)
            return hn_sdp_fail(p, error, "a=ssrc-group with more than %d SSRCs",
                               HN_SDP_MAX_GROUP_SSRCS);
        g.ssrcs[g.n_ssrcs++] = (uint32_t)v;
    }
    if (r < 0 || g.n_ssrcs == 0)
        return hn_sdp_fail(p, error, "a=ssrc-group: expected \"<semantics> <ssrc>...\"");
    HnSdpSsrcGroup *d = hn_sdp_array_push((void **)&p->m->ssrc_groups, &p->m->n_ssrc_groups,
                                          sizeof *d, HN_SDP_MAX_SSRC_GROUPS);
    if (!d)
        return hn_sdp_fail(p, error, "more than %d a=ssrc-group", HN_SDP_MAX_SSRC_GROUPS);
    *d = g;
    return 0;
}

static int attr_msid(HnSdpParser *p, const char *value, GError **error)
{
    return parse_msid(p, value, p->m->msid_stream, p->m->msid_track, error);
}

static int attr_simulcast(HnSdpParser *p, const char *value, GError **error)
{
    if (!hn_sdp_copy(p->m->simulcast, sizeof p->m->simulcast, hn_sdp_skip_blanks(value)))
        return hn_sdp_fail(p, error, "a=simulcast longer than %d", HN_SDP_TEXT_LEN - 1);
    return 0;
}

/* a=rid:<id> <send|recv> [<params>] */
static int attr_rid(HnSdpParser *p, const char *value, GError **error)
{
    const char *cur = value;
    char dir[8];
    HnSdpRid rid = {0};
    if (hn_sdp_next_token(&cur, rid.id, sizeof rid.id) != 1)
        return hn_sdp_fail(p, error, "a=rid: missing or too long id");
    for (const char *c = rid.id; *c; c++) {
        if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_')
            return hn_sdp_fail(p, error, "a=rid id \"%s\" has a character other than [A-Za-z0-9_-]",
                               rid.id);
    }
    if (hn_sdp_next_token(&cur, dir, sizeof dir) != 1 ||
        (strcmp(dir, "send") != 0 && strcmp(dir, "recv") != 0))
        return hn_sdp_fail(p, error, "a=rid: direction must be \"send\" or \"recv\"");
    rid.send = strcmp(dir, "send") == 0;
    if (!hn_sdp_copy(rid.params, sizeof rid.params, hn_sdp_skip_blanks(cur)))
        return hn_sdp_fail(p, error, "a=rid parameters longer than %d", HN_SDP_TEXT_LEN - 1);
    HnSdpRid *d =
        hn_sdp_array_push((void **)&p->m->rids, &p->m->n_rids, sizeof *d, HN_SDP_MAX_RIDS);
    if (!d)
        return hn_sdp_fail(p, error, "more than %d a=rid", HN_SDP_MAX_RIDS);
    *d = rid;
    return 0;
}

static int attr_candidate(HnSdpParser *p, const char *value, GError **error)
{
    HnSdpMedia *m = p->m;
    if (m->n_candidates >= HN_SDP_MAX_CANDIDATES)
        return hn_sdp_fail(p, error, "more than %d a=candidate", HN_SDP_MAX_CANDIDATES);
    if (*hn_sdp_skip_blanks(value) == '\0')
        return hn_sdp_fail(p, error, "empty a=candidate");
    m->candidates = g_renew(char *, m->candidates, m->n_candidates + 1);
    m->candidates[m->n_candidates++] = g_strconcat("candidate:", value, NULL);
    return 0;
}

static int attr_direction(HnSdpParser *p, HnSdpDirection dir)
{
    if (p->m) {
        p->m->direction = dir;
        p->m->direction_set = true;
    } else {
        p->sess_dir = dir;
        p->sess_has_dir = true;
    }
    return 0;
}

/* Attributes without a value. Returns 1 when `name` is not one of them. */
static int parse_flag(HnSdpParser *p, const char *name)
{
    static const char *const dirs[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, dirs[i]) == 0)
            return attr_direction(p, (HnSdpDirection)i);
    }
    if (strcmp(name, "ice-lite") == 0) {
        p->sdp->ice_lite = !p->m;
        return 0;
    }
    HnSdpMedia *m = p->m;
    if (!m)
        return 1;
    if (strcmp(name, "rtcp-mux") == 0)
        m->rtcp_mux = true;
    else if (strcmp(name, "rtcp-mux-only") == 0)
        m->rtcp_mux_only = true;
    else if (strcmp(name, "rtcp-rsize") == 0)
        m->rtcp_rsize = true;
    else if (strcmp(name, "bundle-only") == 0)
        m->bundle_only = true;
    else if (strcmp(name, "end-of-candidates") == 0)
        m->end_of_candidates = true;
    else
        return 1;
    return 0;
}

typedef int (*AttrFn)(HnSdpParser *p, const char *value, GError **error);

enum { SESSION = 1, MEDIA = 2, BOTH = 3 };

static const struct {
    const char *name;
    AttrFn fn;
    int where;
} attrs[] = {
    {"group", attr_group, SESSION},          {"ice-ufrag", attr_ice_ufrag, BOTH},
    {"ice-pwd", attr_ice_pwd, BOTH},         {"ice-options", attr_ice_options, BOTH},
    {"fingerprint", attr_fingerprint, BOTH}, {"setup", attr_setup, BOTH},
    {"extmap", attr_extmap, BOTH},           {"mid", attr_mid, MEDIA},
    {"rtpmap", attr_rtpmap, MEDIA},          {"fmtp", attr_fmtp, MEDIA},
    {"rtcp-fb", attr_rtcp_fb, MEDIA},        {"ssrc", attr_ssrc, MEDIA},
    {"ssrc-group", attr_ssrc_group, MEDIA},  {"msid", attr_msid, MEDIA},
    {"simulcast", attr_simulcast, MEDIA},    {"rid", attr_rid, MEDIA},
    {"candidate", attr_candidate, MEDIA},    {"rtcp", hn_sdp_attr_rtcp, MEDIA},
    {"ptime", hn_sdp_attr_ptime, MEDIA},     {"crypto", hn_sdp_attr_crypto, MEDIA},
};

int hn_sdp_parse_attribute(HnSdpParser *p, const char *name, const char *value, GError **error)
{
    if (!value) {
        parse_flag(p, name);
        return 0;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(attrs); i++) {
        if (strcmp(name, attrs[i].name) != 0)
            continue;
        if (!(attrs[i].where & (p->m ? MEDIA : SESSION)))
            return 0; /* out of place: ignored, as unknown attributes are */
        return attrs[i].fn(p, value, error);
    }
    return 0;
}

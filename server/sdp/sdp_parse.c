/* SDP parser: line splitting, v=/o=/m= lines, session defaults. Attributes: sdp_attr.c. */
#include "sdp/sdp_internal.h"

#include <errno.h>
#include <string.h>

static int parse_version(HnSdpParser *p, const char *value, GError **error)
{
    if (strcmp(value, "0") != 0)
        return hn_sdp_fail(p, error, "unsupported SDP version \"v=%s\" (only v=0)", value);
    return 0;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> */
static int parse_origin(HnSdpParser *p, const char *value, GError **error)
{
    char tok[6][HN_SDP_URI_LEN];
    const char *cur = value;
    for (int i = 0; i < 6; i++) {
        int r = hn_sdp_next_token(&cur, tok[i], sizeof tok[i]);
        if (r < 0)
            return hn_sdp_fail(p, error, "o= field %d is too long", i + 1);
        if (r == 0)
            return hn_sdp_fail(p, error, "o= line needs 6 fields, has %d", i);
    }
    /* Session ids are often 19 digits: more than hn_sdp_parse_uint() takes. */
    size_t n = strlen(tok[1]);
    for (size_t i = 0; i < n; i++) {
        if (!g_ascii_isdigit(tok[1][i]))
            return hn_sdp_fail(p, error, "o= session id \"%s\" is not a number", tok[1]);
    }
    if (n > 20)
        return hn_sdp_fail(p, error, "o= session id is longer than 20 digits");
    memcpy(p->sdp->session_id, tok[1], n + 1);
    uint64_t version = 0;
    for (const char *c = tok[2]; *c; c++) {
        if (!g_ascii_isdigit(*c) || version > (UINT64_MAX - 9) / 10)
            return hn_sdp_fail(p, error, "o= session version \"%s\" is not a number", tok[2]);
        version = version * 10 + (uint64_t)(*c - '0');
    }
    p->sdp->session_version = version;
    return 0;
}

static HnSdpMediaType media_type(const char *media)
{
    if (strcmp(media, "audio") == 0)
        return HN_SDP_MEDIA_AUDIO;
    if (strcmp(media, "video") == 0)
        return HN_SDP_MEDIA_VIDEO;
    if (strcmp(media, "application") == 0)
        return HN_SDP_MEDIA_APPLICATION;
    return HN_SDP_MEDIA_OTHER;
}

/* Reads "<port>[/<count>]". */
static int parse_port(HnSdpParser *p, const char *tok, uint16_t *port, GError **error)
{
    char buf[16];
    const char *slash = strchr(tok, '/');
    size_t n = slash ? (size_t)(slash - tok) : strlen(tok);
    uint64_t v, count;
    if (n >= sizeof buf)
        return hn_sdp_fail(p, error, "m= port \"%s\" is not a number", tok);
    memcpy(buf, tok, n);
    buf[n] = '\0';
    if (!hn_sdp_parse_uint(buf, 65535, &v))
        return hn_sdp_fail(p, error, "m= port \"%s\" is not a number in 0-65535", tok);
    if (slash && !hn_sdp_parse_uint(slash + 1, 65535, &count))
        return hn_sdp_fail(p, error, "m= port count \"%s\" is not a number", slash + 1);
    *port = (uint16_t)v;
    return 0;
}

/* Reads the payload types of an RTP m= line into codecs. */
static int parse_fmts(HnSdpParser *p, const char *cur, GError **error)
{
    HnSdpMedia *m = p->m;
    char tok[16];
    int r;
    while ((r = hn_sdp_next_token(&cur, tok, sizeof tok)) == 1) {
        uint64_t pt;
        if (!hn_sdp_parse_uint(tok, 127, &pt))
            return hn_sdp_fail(p, error, "m= payload type \"%s\" is not a number in 0-127", tok);
        if (hn_sdp_media_find_codec(m, (int)pt))
            return hn_sdp_fail(p, error, "m= payload type %u is listed twice", (unsigned)pt);
        HnSdpCodec *c =
            hn_sdp_array_push((void **)&m->codecs, &m->n_codecs, sizeof *c, HN_SDP_MAX_CODECS);
        if (!c)
            return hn_sdp_fail(p, error, "more than %d payload types on one m= line",
                               HN_SDP_MAX_CODECS);
        c->pt = (uint8_t)pt;
        c->apt = -1;
    }
    if (r < 0)
        return hn_sdp_fail(p, error, "m= payload type is too long");
    if (m->n_codecs == 0)
        return hn_sdp_fail(p, error, "m= line has no payload types");
    return 0;
}

/* m=<media> <port>[/<count>] <proto> <fmt> ... */
static int parse_media_line(HnSdpParser *p, const char *value, GError **error)
{
    HnSdp *sdp = p->sdp;
    char media[16], port[32], proto[64];
    const char *cur = value;
    if (hn_sdp_next_token(&cur, media, sizeof media) != 1 ||
        hn_sdp_next_token(&cur, port, sizeof port) != 1 ||
        hn_sdp_next_token(&cur, proto, sizeof proto) != 1)
        return hn_sdp_fail(p, error, "bad m= line: expected \"m=<media> <port> <proto> <fmt>...\"");
    for (const char *c = media; *c; c++) {
        if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_')
            return hn_sdp_fail(p, error, "bad m= media type \"%s\"", media);
    }
    if (!hn_sdp_is_token(proto, sizeof proto - 1))
        return hn_sdp_fail(p, error, "bad m= protocol \"%s\"", proto);
    HnSdpMedia *m =
        hn_sdp_array_push((void **)&sdp->media, &sdp->n_media, sizeof *m, HN_SDP_MAX_MEDIA);
    if (!m)
        return hn_sdp_fail(p, error, "more than %d m= lines", HN_SDP_MAX_MEDIA);
    p->m = m;
    m->line = p->line;
    m->type = media_type(media);
    memcpy(m->media, media, sizeof media);
    memcpy(m->proto, proto, sizeof proto);
    int r = parse_port(p, port, &m->port, error);
    if (r < 0)
        return r;
    if (strstr(proto, "RTP/") != NULL)
        return parse_fmts(p, cur, error);
    cur = hn_sdp_skip_blanks(cur);
    if (*cur == '\0')
        return hn_sdp_fail(p, error, "m= line has no format");
    if (!hn_sdp_copy(m->fmt, sizeof m->fmt, cur))
        return hn_sdp_fail(p, error, "m= format list is too long");
    return 0;
}

/* b=AS:<kbit/s> and b=TIAS:<bit/s> (RFC 3890) of the session or the current m= section; other
 * types (CT, RR, RS, X-...) are ignored; a malformed value of AS or TIAS is an error. */
static int parse_bandwidth(HnSdpParser *p, const char *value, GError **error)
{
    const char *colon = strchr(value, ':');
    if (!colon || colon == value)
        return hn_sdp_fail(p, error, "b= line is not <type>:<bandwidth>");
    size_t tlen = (size_t)(colon - value);
    bool as = tlen == 2 && g_ascii_strncasecmp(value, "AS", 2) == 0;
    bool tias = tlen == 4 && g_ascii_strncasecmp(value, "TIAS", 4) == 0;
    if (!as && !tias)
        return 0;
    uint64_t v = 0;
    if (!hn_sdp_parse_uint(colon + 1, UINT32_MAX, &v))
        return hn_sdp_fail(p, error, "b=%s: bandwidth is not a number", as ? "AS" : "TIAS");
    uint32_t *field =
        p->m ? (as ? &p->m->bw_as : &p->m->bw_tias) : (as ? &p->sdp->bw_as : &p->sdp->bw_tias);
    *field = (uint32_t)v;
    return 0;
}

/* Checks the characters of one line (already without its line end). */
static int check_line(HnSdpParser *p, const char *line, size_t n, GError **error)
{
    size_t max =
        n > 8 && memcmp(line, "a=group:", 8) == 0 ? HN_SDP_MAX_GROUP_LINE : HN_SDP_MAX_LINE;
    if (n > max)
        return hn_sdp_fail(p, error, "line is %zu bytes, longer than %zu", n, max);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return hn_sdp_fail(p, error, "control character 0x%02x", c);
    }
    if (n < 2 || line[1] != '=')
        return hn_sdp_fail(p, error, "expected \"<letter>=<value>\"");
    if (line[0] < 'a' || line[0] > 'z')
        return hn_sdp_fail(p, error, "bad line type '%c'",
                           g_ascii_isprint(line[0]) ? line[0] : '?');
    return 0;
}

static int parse_line(HnSdpParser *p, char *line, bool first, GError **error)
{
    char type = line[0];
    char *value = line + 2;
    if (first && type != 'v')
        return hn_sdp_fail(p, error, "SDP must start with a v= line");
    if (!first && type == 'v')
        return hn_sdp_fail(p, error, "v= line after the first line");
    switch (type) {
    case 'v':
        return parse_version(p, value, error);
    case 'o':
        if (p->m)
            return hn_sdp_fail(p, error, "o= line inside an m= section");
        return parse_origin(p, value, error);
    case 'm':
        return parse_media_line(p, value, error);
    case 'c':
        return hn_sdp_parse_connection(p, value, error);
    case 'b':
        return parse_bandwidth(p, value, error);
    case 'a': {
        char *colon = strchr(value, ':');
        if (colon)
            *colon = '\0';
        if (*value == '\0')
            return hn_sdp_fail(p, error, "a= line without an attribute name");
        return hn_sdp_parse_attribute(p, value, colon ? colon + 1 : NULL, error);
    }
    default: /* s= i= u= e= p= t= r= z= k= and unknown types carry nothing we use */
        return 0;
    }
}

/* Splits the text into lines and parses each. buf is a NUL-terminated private copy. */
static int parse_lines(HnSdpParser *p, char *buf, size_t len, GError **error)
{
    char *s = buf, *end = buf + len;
    bool first = true;
    while (s < end) {
        char *nl = memchr(s, '\n', (size_t)(end - s));
        char *line_end = nl ? nl : end;
        p->line++;
        size_t n = (size_t)(line_end - s);
        if (n > 0 && s[n - 1] == '\r')
            n--;
        s[n] = '\0';
        if (n > 0) {
            int r = check_line(p, s, n, error);
            if (r == 0)
                r = parse_line(p, s, first, error);
            if (r < 0)
                return r;
            first = false;
        }
        s = line_end + 1;
    }
    if (first) {
        p->line = 1;
        return hn_sdp_fail(p, error, "missing v= line (empty SDP)");
    }
    return 0;
}

/* Applies session-level values to every m= section and checks cross-line consistency. */
static int finish(HnSdpParser *p, GError **error)
{
    HnSdp *sdp = p->sdp;
    const HnSdpTransport *st = &sdp->transport;
    /* Keys point into media[], which no longer moves. */
    sdp->mid_index = g_hash_table_new(g_str_hash, g_str_equal);
    for (size_t i = 0; i < sdp->n_media; i++) {
        HnSdpMedia *m = &sdp->media[i];
        HnSdpTransport *t = &m->transport;
        p->line = m->line;
        if (t->ice_ufrag[0] == '\0')
            memcpy(t->ice_ufrag, st->ice_ufrag, sizeof t->ice_ufrag);
        if (t->ice_pwd[0] == '\0')
            memcpy(t->ice_pwd, st->ice_pwd, sizeof t->ice_pwd);
        if (t->fingerprint[0] == '\0') {
            memcpy(t->fingerprint_alg, st->fingerprint_alg, sizeof t->fingerprint_alg);
            memcpy(t->fingerprint, st->fingerprint, sizeof t->fingerprint);
        }
        if (t->setup == HN_SDP_SETUP_NONE)
            t->setup = st->setup;
        if (m->conn.addr[0] == '\0')
            m->conn = sdp->conn;
        t->ice_trickle = t->ice_trickle || st->ice_trickle;
        if (!m->direction_set && p->sess_has_dir)
            m->direction = p->sess_dir;
        for (size_t k = 0; k < m->n_codecs; k++)
            m->codecs[k].feedback |= m->fb_wildcard;
        for (size_t k = 0; k < p->n_sess_extmaps; k++) {
            const HnSdpExtmap *e = &p->sess_extmaps[k];
            bool taken = hn_sdp_media_find_extmap(m, e->uri) != 0;
            for (size_t j = 0; j < m->n_extmaps && !taken; j++)
                taken = m->extmaps[j].id == e->id;
            if (taken) /* the m= section's own mapping wins */
                continue;
            HnSdpExtmap *d = hn_sdp_array_push((void **)&m->extmaps, &m->n_extmaps, sizeof *d,
                                               HN_SDP_MAX_EXTMAPS);
            if (!d)
                return hn_sdp_fail(p, error, "more than %d a=extmap", HN_SDP_MAX_EXTMAPS);
            *d = *e;
        }
        if (m->mid[0] != '\0' &&
            !g_hash_table_insert(sdp->mid_index, m->mid, GSIZE_TO_POINTER(i + 1)))
            return hn_sdp_fail(p, error, "mid \"%s\" is used by two m= lines", m->mid);
    }
    for (size_t b = 0; b < sdp->n_bundle; b++) {
        HnSdpMedia *m = (HnSdpMedia *)hn_sdp_find_media(sdp, sdp->bundle[b]);
        if (m)
            m->in_bundle = true;
        else {
            p->line = 0;
            g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_PARSE,
                        "SDP: a=group:BUNDLE names mid \"%s\", which no m= line has",
                        sdp->bundle[b]);
            return -EINVAL;
        }
    }
    return 0;
}

int hn_sdp_parse(const char *text, size_t len, HnSdp **out, GError **error)
{
    g_return_val_if_fail(out != NULL, -EINVAL);
    *out = NULL;
    if (text == NULL || len == 0) {
        g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_PARSE, "SDP is empty");
        return -EINVAL;
    }
    if (len > HN_SDP_MAX_SIZE) {
        g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_PARSE,
                    "SDP is %zu bytes, larger than the %d-byte limit", len, HN_SDP_MAX_SIZE);
        return -EINVAL;
    }
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        unsigned line = 1;
        for (const char *c = text; c < nul; c++)
            line += *c == '\n';
        g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_PARSE, "SDP line %u: NUL byte", line);
        return -EINVAL;
    }
    char *buf = g_strndup(text, len);
    HnSdpParser *p = g_new0(HnSdpParser, 1);
    p->sdp = g_new0(HnSdp, 1);
    int r = parse_lines(p, buf, len, error);
    if (r == 0)
        r = finish(p, error);
    g_free(buf);
    if (r == 0)
        *out = p->sdp;
    else
        hn_sdp_free(p->sdp);
    g_free(p);
    return r;
}

static void media_clear(HnSdpMedia *m)
{
    g_free(m->codecs);
    g_free(m->extmaps);
    g_free(m->ssrcs);
    g_free(m->ssrc_groups);
    g_free(m->rids);
    for (size_t i = 0; i < m->n_candidates; i++)
        g_free(m->candidates[i]);
    g_free(m->candidates);
    g_free(m->cryptos);
}

void hn_sdp_free(HnSdp *sdp)
{
    if (!sdp)
        return;
    for (size_t i = 0; i < sdp->n_media; i++)
        media_clear(&sdp->media[i]);
    g_free(sdp->media);
    g_free(sdp->bundle);
    if (sdp->mid_index)
        g_hash_table_destroy(sdp->mid_index);
    g_free(sdp);
}

const HnSdpMedia *hn_sdp_find_media(const HnSdp *sdp, const char *mid)
{
    if (!mid || mid[0] == '\0')
        return NULL;
    if (sdp->mid_index) {
        size_t i = GPOINTER_TO_SIZE(g_hash_table_lookup(sdp->mid_index, mid));
        return i ? &sdp->media[i - 1] : NULL;
    }
    for (size_t i = 0; i < sdp->n_media; i++) {
        if (strcmp(sdp->media[i].mid, mid) == 0)
            return &sdp->media[i];
    }
    return NULL;
}

bool hn_sdp_in_bundle(const HnSdp *sdp, const char *mid)
{
    if (sdp->mid_index) { /* parsed: every BUNDLE mid names an m= line */
        const HnSdpMedia *m = hn_sdp_find_media(sdp, mid);
        return m && m->in_bundle;
    }
    for (size_t i = 0; i < sdp->n_bundle; i++) {
        if (strcmp(sdp->bundle[i], mid) == 0)
            return true;
    }
    return false;
}

const HnSdpCodec *hn_sdp_media_find_codec(const HnSdpMedia *m, int pt)
{
    for (size_t i = 0; i < m->n_codecs; i++) {
        if (m->codecs[i].pt == pt)
            return &m->codecs[i];
    }
    return NULL;
}

unsigned hn_sdp_media_find_extmap(const HnSdpMedia *m, const char *uri)
{
    for (size_t i = 0; i < m->n_extmaps; i++) {
        if (strcmp(m->extmaps[i].uri, uri) == 0)
            return m->extmaps[i].id;
    }
    return 0;
}

const HnSdpSsrc *hn_sdp_media_find_ssrc(const HnSdpMedia *m, uint32_t ssrc)
{
    for (size_t i = 0; i < m->n_ssrcs; i++) {
        if (m->ssrcs[i].ssrc == ssrc)
            return &m->ssrcs[i];
    }
    return NULL;
}

/* The lower of a b=AS (kbit/s) and a b=TIAS (bit/s), in kbit/s; 0 when both are absent. */
static uint32_t lower_kbps(uint32_t as, uint32_t tias)
{
    uint32_t t = tias ? MAX(tias / 1000, 1u) : 0;
    if (as && t)
        return MIN(as, t);
    return as ? as : t;
}

uint32_t hn_sdp_media_max_kbps(const HnSdp *sdp, const HnSdpMedia *m)
{
    uint32_t k = m ? lower_kbps(m->bw_as, m->bw_tias) : 0;
    return k ? k : lower_kbps(sdp->bw_as, sdp->bw_tias);
}

/* ICE candidate lines: parse what a client trickles, format what the server gathered. */
#include "sdp/sdp_candidate.h"
#include "sdp/sdp_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#define CAND_MAX_TEXT 1024

static const char *const type_names[] = {"host", "srflx", "prflx", "relay"};
static const char *const tcptype_names[] = {"", "active", "passive", "so"};

const char *hn_sdp_candidate_type_name(HnCandType type)
{
    return (unsigned)type < G_N_ELEMENTS(type_names) ? type_names[type] : "?";
}

static int cand_fail(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static int cand_fail(GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_PARSE, "candidate: %s", msg);
    g_free(msg);
    return -EINVAL;
}

static bool is_ip(const char *s, bool *ipv6)
{
    unsigned char bin[16];
    if (inet_pton(AF_INET, s, bin) == 1) {
        *ipv6 = false;
        return true;
    }
    if (inet_pton(AF_INET6, s, bin) == 1) {
        *ipv6 = true;
        return true;
    }
    return false;
}

/* Checks a numeric address; mDNS and other host names are reported as unsupported. */
static int parse_address(const char *tok, char *out, bool *ipv6, GError **error)
{
    if (!is_ip(tok, ipv6)) {
        size_t n = strlen(tok);
        bool hostname = n > 0 && n < 256, letter = false;
        for (size_t i = 0; hostname && i < n; i++) {
            hostname = g_ascii_isalnum(tok[i]) || tok[i] == '-' || tok[i] == '.';
            letter = letter || g_ascii_isalpha(tok[i]);
        }
        if (!hostname || !letter) /* "999.0.0.1" is a broken address, not a name */
            return cand_fail(error, "\"%.64s\" is not an IP address", tok);
        bool mdns = n > 6 && g_ascii_strcasecmp(tok + n - 6, ".local") == 0;
        g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_UNSUPPORTED,
                    "candidate: %s \"%s\" is not supported (a numeric address is needed)",
                    mdns ? "mDNS address" : "host name", tok);
        return -ENOTSUP;
    }
    if (strlen(tok) >= HN_CAND_ADDR_LEN)
        return cand_fail(error, "address \"%.64s\" is too long", tok);
    strcpy(out, tok);
    return 0;
}

static int parse_port(const char *tok, uint16_t *port, GError **error)
{
    uint64_t v;
    if (!hn_sdp_parse_uint(tok, 65535, &v))
        return cand_fail(error, "port \"%.32s\" is not a number in 0-65535", tok);
    *port = (uint16_t)v;
    return 0;
}

/* foundation component transport priority address port */
static int parse_head(char **tok, HnCandidate *c, GError **error)
{
    uint64_t v;
    if (!hn_sdp_is_ice_string(tok[0], 1, HN_CAND_FOUNDATION_LEN - 1))
        return cand_fail(error, "foundation \"%.32s\" is not 1-32 ice characters", tok[0]);
    strcpy(c->foundation, tok[0]);
    if (!hn_sdp_parse_uint(tok[1], 256, &v) || v == 0)
        return cand_fail(error, "component \"%.32s\" is not a number in 1-256", tok[1]);
    c->component = (uint16_t)v;
    if (g_ascii_strcasecmp(tok[2], "udp") == 0)
        c->transport = HN_CAND_UDP;
    else if (g_ascii_strcasecmp(tok[2], "tcp") == 0)
        c->transport = HN_CAND_TCP;
    else
        return cand_fail(error, "transport \"%.32s\" is neither udp nor tcp", tok[2]);
    if (!hn_sdp_parse_uint(tok[3], UINT32_MAX, &v) || v == 0)
        return cand_fail(error, "priority \"%.32s\" is not a number in 1-4294967295", tok[3]);
    c->priority = (uint32_t)v;
    int r = parse_address(tok[4], c->address, &c->ipv6, error);
    if (r < 0)
        return r;
    return parse_port(tok[5], &c->port, error);
}

/* typ <type> and the key/value extensions after it. */
static int parse_tail(char **tok, guint n, HnCandidate *c, GError **error)
{
    if (strcmp(tok[6], "typ") != 0)
        return cand_fail(error, "expected \"typ\", got \"%.32s\"", tok[6]);
    int type = -1;
    for (int i = 0; i < 4; i++) {
        if (strcmp(tok[7], type_names[i]) == 0)
            type = i;
    }
    if (type < 0)
        return cand_fail(error, "unknown type \"%.32s\"", tok[7]);
    c->type = (HnCandType)type;
    for (guint i = 8; i + 1 < n; i += 2) {
        const char *k = tok[i], *v = tok[i + 1];
        bool v6;
        if (strcmp(k, "raddr") == 0 && is_ip(v, &v6) && strlen(v) < HN_CAND_ADDR_LEN) {
            strcpy(c->raddr, v); /* informational only: a hidden (mDNS) raddr is skipped */
        } else if (strcmp(k, "rport") == 0) {
            int r = parse_port(v, &c->rport, error);
            if (r < 0)
                return r;
        } else if (strcmp(k, "tcptype") == 0) {
            c->tcptype = HN_CAND_TCP_NONE;
            for (int t = 1; t < 4; t++) {
                if (strcmp(v, tcptype_names[t]) == 0)
                    c->tcptype = (HnCandTcpType)t;
            }
            if (c->tcptype == HN_CAND_TCP_NONE)
                return cand_fail(error, "unknown tcptype \"%.32s\"", v);
        }
    }
    return 0;
}

int hn_sdp_candidate_parse(const char *text, HnCandidate *out, GError **error)
{
    g_return_val_if_fail(out != NULL, -EINVAL);
    memset(out, 0, sizeof *out);
    if (!text)
        return cand_fail(error, "missing");
    if (strnlen(text, CAND_MAX_TEXT + 1) > CAND_MAX_TEXT)
        return cand_fail(error, "longer than %d bytes", CAND_MAX_TEXT);
    if (strncmp(text, "a=", 2) == 0)
        text += 2;
    if (strncmp(text, "candidate:", 10) != 0)
        return cand_fail(error, "does not start with \"candidate:\"");
    char *copy = g_strchomp(g_strdup(text + 10));
    for (const char *c = copy; *c; c++) {
        unsigned char ch = (unsigned char)*c;
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            g_free(copy);
            return cand_fail(error, "control character 0x%02x", ch);
        }
    }
    char **tok = g_strsplit_set(copy, " \t", -1);
    guint n = 0; /* drop the empty tokens that repeated blanks leave */
    for (guint i = 0; tok[i]; i++) {
        if (tok[i][0] != '\0')
            tok[n++] = tok[i];
        else
            g_free(tok[i]);
    }
    tok[n] = NULL;
    int r = n < 8 ? cand_fail(error, "needs at least 8 fields, has %u", n)
                  : parse_head(tok, out, error);
    if (r == 0)
        r = parse_tail(tok, n, out, error);
    g_strfreev(tok);
    g_free(copy);
    if (r < 0)
        memset(out, 0, sizeof *out);
    return r;
}

char *hn_sdp_candidate_format(const HnCandidate *c, GError **error)
{
    g_return_val_if_fail(c != NULL, NULL);
    unsigned char bin[16];
    bool v6;
    int af = c->ipv6 ? AF_INET6 : AF_INET;
    if (!hn_sdp_is_ice_string(c->foundation, 1, HN_CAND_FOUNDATION_LEN - 1) || c->component == 0 ||
        c->component > 256 || c->priority == 0 || (unsigned)c->type >= G_N_ELEMENTS(type_names) ||
        (unsigned)c->tcptype >= G_N_ELEMENTS(tcptype_names) ||
        !memchr(c->address, '\0', sizeof c->address) || inet_pton(af, c->address, bin) != 1 ||
        !memchr(c->raddr, '\0', sizeof c->raddr) ||
        (c->raddr[0] != '\0' && !is_ip(c->raddr, &v6))) {
        g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_INVALID, "invalid local candidate fields");
        return NULL;
    }
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "candidate:%s %u %s %u %s %u typ %s", c->foundation,
                           (unsigned)c->component, c->transport == HN_CAND_TCP ? "tcp" : "udp",
                           (unsigned)c->priority, c->address, (unsigned)c->port,
                           type_names[c->type]);
    if (c->raddr[0] != '\0')
        g_string_append_printf(s, " raddr %s rport %u", c->raddr, (unsigned)c->rport);
    if (c->transport == HN_CAND_TCP && c->tcptype != HN_CAND_TCP_NONE)
        g_string_append_printf(s, " tcptype %s", tcptype_names[c->tcptype]);
    return g_string_free(s, FALSE);
}

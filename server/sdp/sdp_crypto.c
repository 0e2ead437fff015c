/* Plain-RTP attributes of the parser: c= lines, a=rtcp, a=ptime and SDES a=crypto (RFC 4568). */
#include "sdp/sdp_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

static const struct {
    const char *name;
    HnSdpCryptoSuite suite;
    uint8_t key_len; /* master key + salt */
} suites[] = {
    {"AES_CM_128_HMAC_SHA1_80", HN_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80, 30},
    {"AES_CM_128_HMAC_SHA1_32", HN_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_32, 30},
    {"AES_256_CM_HMAC_SHA1_80", HN_SDP_CRYPTO_AES_256_CM_HMAC_SHA1_80, 46},
    {"AES_256_CM_HMAC_SHA1_32", HN_SDP_CRYPTO_AES_256_CM_HMAC_SHA1_32, 46},
    {"AEAD_AES_128_GCM", HN_SDP_CRYPTO_AEAD_AES_128_GCM, 28},
    {"AEAD_AES_256_GCM", HN_SDP_CRYPTO_AEAD_AES_256_GCM, 44},
};

const char *hn_sdp_crypto_suite_name(HnSdpCryptoSuite suite)
{
    for (size_t i = 0; i < G_N_ELEMENTS(suites); i++) {
        if (suites[i].suite == suite)
            return suites[i].name;
    }
    return NULL;
}

size_t hn_sdp_crypto_key_len(HnSdpCryptoSuite suite)
{
    for (size_t i = 0; i < G_N_ELEMENTS(suites); i++) {
        if (suites[i].suite == suite)
            return suites[i].key_len;
    }
    return 0;
}

bool hn_sdp_conn_set(HnSdpConn *c, bool ipv6, const char *addr)
{
    unsigned char buf[16];
    if (strlen(addr) >= sizeof c->addr || inet_pton(ipv6 ? AF_INET6 : AF_INET, addr, buf) != 1)
        return false;
    strcpy(c->addr, addr);
    c->ipv6 = ipv6;
    return true;
}

/* "IN IP4 <addr>" / "IN IP6 <addr>" of c= and a=rtcp; a /ttl or /count suffix is dropped. */
static int parse_conn(HnSdpParser *p, const char **cur, HnSdpConn *c, const char *what,
                      GError **error)
{
    char net[8], type[8], addr[64];
    if (hn_sdp_next_token(cur, net, sizeof net) != 1 || strcmp(net, "IN") != 0 ||
        hn_sdp_next_token(cur, type, sizeof type) != 1 ||
        (strcmp(type, "IP4") != 0 && strcmp(type, "IP6") != 0) ||
        hn_sdp_next_token(cur, addr, sizeof addr) != 1)
        return hn_sdp_fail(p, error, "%s: expected \"IN IP4|IP6 <address>\"", what);
    char *slash = strchr(addr, '/');
    if (slash)
        *slash = '\0';
    if (!hn_sdp_conn_set(c, strcmp(type, "IP6") == 0, addr))
        return hn_sdp_fail(p, error, "%s: \"%.46s\" is not an %s address literal", what, addr,
                           type);
    return 0;
}

int hn_sdp_parse_connection(HnSdpParser *p, const char *value, GError **error)
{
    HnSdpConn *c = p->m ? &p->m->conn : &p->sdp->conn;
    if (c->addr[0] != '\0')
        return hn_sdp_fail(p, error, "duplicate c= line");
    const char *cur = value;
    int r = parse_conn(p, &cur, c, "c=", error);
    if (r == 0 && *hn_sdp_skip_blanks(cur) != '\0')
        return hn_sdp_fail(p, error, "c=: unexpected text after the address");
    return r;
}

/* a=rtcp:<port> [IN IP4 <addr>] (RFC 3605) */
int hn_sdp_attr_rtcp(HnSdpParser *p, const char *value, GError **error)
{
    const char *cur = value;
    char tok[16];
    uint64_t port;
    if (hn_sdp_next_token(&cur, tok, sizeof tok) != 1 || !hn_sdp_parse_uint(tok, 65535, &port))
        return hn_sdp_fail(p, error, "a=rtcp: port is not a number in 0-65535");
    p->m->rtcp_port = (uint16_t)port;
    if (*hn_sdp_skip_blanks(cur) == '\0')
        return 0;
    return parse_conn(p, &cur, &p->m->rtcp_conn, "a=rtcp", error);
}

int hn_sdp_attr_ptime(HnSdpParser *p, const char *value, GError **error)
{
    uint64_t v;
    if (!hn_sdp_parse_uint(hn_sdp_skip_blanks(value), 10000, &v) || v == 0)
        return hn_sdp_fail(p, error, "a=ptime must be a number of milliseconds in 1-10000");
    p->m->ptime = (uint32_t)v;
    return 0;
}

/* <lifetime> is "2^N" (N <= 64) or a decimal number of packets. */
static bool parse_lifetime(const char *s, uint64_t *out)
{
    uint64_t v;
    if (g_str_has_prefix(s, "2^")) {
        if (!hn_sdp_parse_uint(s + 2, 63, &v) || v == 0)
            return false;
        *out = (uint64_t)1 << v;
        return true;
    }
    if (!hn_sdp_parse_uint(s, UINT32_MAX, &v) || v == 0)
        return false;
    *out = v;
    return true;
}

/* "inline:<base64>[|<lifetime>][|<mki>:<length>]" of a known suite. */
static int parse_key_param(HnSdpParser *p, const char *param, size_t key_len, HnSdpCrypto *c,
                           GError **error)
{
    if (!g_str_has_prefix(param, "inline:"))
        return hn_sdp_fail(p, error, "a=crypto: key method must be \"inline:\"");
    if (param[7] == '\0' || param[7] == '|') /* g_strsplit("") has no first part */
        return hn_sdp_fail(p, error, "a=crypto: empty key");
    char **parts = g_strsplit(param + 7, "|", 4);
    guint n = g_strv_length(parts);
    int r = 0;
    size_t b64 = strlen(parts[0]);
    for (size_t i = 0; i < b64 && r == 0; i++) {
        char ch = parts[0][i];
        if (!g_ascii_isalnum(ch) && ch != '+' && ch != '/' && ch != '=')
            r = hn_sdp_fail(p, error, "a=crypto: key is not base64");
    }
    /* RFC 4568: the key is base64 of exactly key||salt; padding optional in practice. */
    if (r == 0 && (b64 == 0 || b64 > 4 * ((HN_SDP_CRYPTO_KEY_MAX + 2) / 3) || n > 3))
        r = hn_sdp_fail(p, error, "a=crypto: bad key parameter");
    if (r == 0) {
        char padded[72];
        memcpy(padded, parts[0], b64 + 1);
        while (b64 % 4 != 0)
            padded[b64++] = '=', padded[b64] = '\0';
        gsize got = 0;
        guchar *raw = g_base64_decode(padded, &got);
        if (got != key_len)
            r = hn_sdp_fail(p, error, "a=crypto: %s needs a %zu-byte key and salt, the key has %zu",
                            c->suite_name, key_len, (size_t)got);
        else {
            memcpy(c->key, raw, got);
            c->key_len = (uint8_t)got;
        }
        g_free(raw);
    }
    for (guint i = 1; i < n && r == 0; i++) {
        char *colon = strchr(parts[i], ':');
        if (!colon) {
            if (c->lifetime != 0 || c->mki_len != 0 || !parse_lifetime(parts[i], &c->lifetime))
                r = hn_sdp_fail(p, error, "a=crypto: bad key lifetime \"%.20s\"", parts[i]);
            continue;
        }
        *colon = '\0';
        uint64_t mki, len;
        if (c->mki_len != 0 || !hn_sdp_parse_uint(parts[i], UINT32_MAX, &mki) ||
            !hn_sdp_parse_uint(colon + 1, 128, &len) || len == 0 || len > 4)
            r = hn_sdp_fail(p, error, "a=crypto: bad MKI (expected <value>:<1-4 bytes>)");
        else {
            c->mki = (uint32_t)mki;
            c->mki_len = (uint8_t)len;
        }
    }
    g_strfreev(parts);
    return r;
}

/* a=crypto:<tag> <crypto-suite> <key-params> [<session-params>] */
int hn_sdp_attr_crypto(HnSdpParser *p, const char *value, GError **error)
{
    HnSdpMedia *m = p->m;
    HnSdpCrypto c = {0};
    const char *cur = value;
    char tag[16], keys[256];
    uint64_t v;
    if (hn_sdp_next_token(&cur, tag, sizeof tag) != 1 || !hn_sdp_parse_uint(tag, 999999999, &v))
        return hn_sdp_fail(p, error, "a=crypto: tag is not a number in 0-999999999");
    c.tag = (uint32_t)v;
    if (hn_sdp_next_token(&cur, c.suite_name, sizeof c.suite_name) != 1)
        return hn_sdp_fail(p, error, "a=crypto: missing or too long crypto suite");
    if (hn_sdp_next_token(&cur, keys, sizeof keys) != 1)
        return hn_sdp_fail(p, error, "a=crypto: missing or too long key parameters");
    c.session_params = *hn_sdp_skip_blanks(cur) != '\0';
    for (size_t i = 0; i < m->n_cryptos; i++) {
        if (m->cryptos[i].tag == c.tag)
            return hn_sdp_fail(p, error, "a=crypto tag %u is used twice", (unsigned)c.tag);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(suites); i++) {
        if (strcmp(c.suite_name, suites[i].name) != 0)
            continue;
        c.suite = suites[i].suite;
        char *semi = strchr(keys, ';'); /* several keys: the first one is used */
        if (semi)
            *semi = '\0';
        int r = parse_key_param(p, keys, suites[i].key_len, &c, error);
        if (r < 0)
            return r;
    }
    HnSdpCrypto *d =
        hn_sdp_array_push((void **)&m->cryptos, &m->n_cryptos, sizeof *d, HN_SDP_MAX_CRYPTOS);
    if (!d)
        return hn_sdp_fail(p, error, "more than %d a=crypto", HN_SDP_MAX_CRYPTOS);
    *d = c;
    return 0;
}

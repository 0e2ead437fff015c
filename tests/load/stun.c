#include "stun.h"

#include <glib.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "core/rtp.h"

#define STUN_HEADER          20
#define STUN_COOKIE          0x2112A442u
#define STUN_BINDING_REQ     0x0001
#define STUN_BINDING_OK      0x0101
#define STUN_BINDING_ERR     0x0111
#define ATTR_PRIORITY        0x0024
#define ATTR_ICE_CONTROLLING 0x802A
#define ATTR_USERNAME        0x0006
#define ATTR_INTEGRITY       0x0008
#define ATTR_XOR_MAPPED      0x0020
#define ATTR_USE_CAND        0x0025
#define ATTR_FINGERPRINT     0x8028
#define FP_XOR               0x5354554eu
#define HMAC_LEN             20
#define STUN_MAX             1500

static uint32_t crc_table[256];

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    static gsize ready;
    if (g_once_init_enter(&ready)) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            crc_table[i] = c;
        }
        g_once_init_leave(&ready, 1);
    }
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* HMAC-SHA1 over buf[0..end) with the header's length field set as if the message ended right
 * after the MESSAGE-INTEGRITY attribute starting at `end`. False when the message is too long. */
static bool integrity(const uint8_t *buf, size_t end, const char *pwd, uint8_t out[HMAC_LEN])
{
    uint8_t tmp[STUN_MAX];
    if (end > sizeof tmp)
        return false;
    memcpy(tmp, buf, end);
    hn_wr16(tmp + 2, (uint16_t)(end - STUN_HEADER + 4 + HMAC_LEN));
    unsigned int n = HMAC_LEN;
    return HMAC(EVP_sha1(), pwd, (int)strlen(pwd), tmp, end, out, &n) != NULL;
}

bool load_stun_is_stun(const uint8_t *buf, size_t len)
{
    return len >= STUN_HEADER && buf[0] < 4 && hn_rd32(buf + 4) == STUN_COOKIE;
}

bool load_stun_username(const uint8_t *buf, size_t len, char *out, size_t cap)
{
    if (!load_stun_is_stun(buf, len) || hn_rd16(buf) != STUN_BINDING_REQ ||
        STUN_HEADER + (size_t)hn_rd16(buf + 2) != len)
        return false;
    for (size_t off = STUN_HEADER; off + 4 <= len;) {
        uint16_t type = hn_rd16(buf + off), alen = hn_rd16(buf + off + 2);
        if (off + 4 + alen > len)
            return false;
        if (type == ATTR_USERNAME) {
            const uint8_t *colon = memchr(buf + off + 4, ':', alen);
            size_t n = colon ? (size_t)(colon - (buf + off + 4)) : 0;
            if (n == 0 || n >= cap)
                return false;
            memcpy(out, buf + off + 4, n);
            out[n] = '\0';
            return true;
        }
        off += 4 + ((alen + 3u) & ~3u);
    }
    return false;
}

int load_stun_check_request(const uint8_t *buf, size_t len, const char *ufrag, const char *pwd,
                            LoadStunRequest *req)
{
    if (!load_stun_is_stun(buf, len))
        return -1;
    size_t mlen = hn_rd16(buf + 2);
    if (mlen % 4 || STUN_HEADER + mlen != len)
        return -1;
    if (hn_rd16(buf) != STUN_BINDING_REQ)
        return 0;
    memset(req, 0, sizeof *req);
    memcpy(req->txid, buf + 8, sizeof req->txid);
    size_t ulen = strlen(ufrag), off = STUN_HEADER;
    bool user_ok = false, mi_ok = false;
    while (off + 4 <= len) {
        uint16_t type = hn_rd16(buf + off), alen = hn_rd16(buf + off + 2);
        const uint8_t *v = buf + off + 4;
        size_t next = off + 4 + ((alen + 3u) & ~3u);
        if (next > len)
            return -1;
        if (mi_ok && type != ATTR_FINGERPRINT)
            return -1; /* only FINGERPRINT may follow MESSAGE-INTEGRITY */
        if (type == ATTR_USERNAME) {
            user_ok = alen > ulen && memcmp(v, ufrag, ulen) == 0 && v[ulen] == ':';
        } else if (type == ATTR_USE_CAND) {
            req->use_candidate = true;
        } else if (type == ATTR_INTEGRITY) {
            uint8_t mac[HMAC_LEN];
            if (alen != HMAC_LEN)
                return -1;
            if (!integrity(buf, off, pwd, mac) || CRYPTO_memcmp(mac, v, HMAC_LEN) != 0)
                return -1;
            mi_ok = true;
        } else if (type == ATTR_FINGERPRINT) {
            if (alen != 4 || next != len || (crc32_of(buf, off) ^ FP_XOR) != hn_rd32(v))
                return -1;
        }
        off = next;
    }
    return user_ok && mi_ok ? 1 : -1;
}

static size_t put_xor_mapped(uint8_t *p, const LoadStunRequest *req, const struct sockaddr *from)
{
    if (from->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)from;
        hn_wr16(p, ATTR_XOR_MAPPED);
        hn_wr16(p + 2, 8);
        p[4] = 0;
        p[5] = 0x01;
        hn_wr16(p + 6, (uint16_t)(ntohs(a->sin_port) ^ (STUN_COOKIE >> 16)));
        hn_wr32(p + 8, ntohl(a->sin_addr.s_addr) ^ STUN_COOKIE);
        return 12;
    }
    if (from->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)from;
        uint8_t mask[16];
        hn_wr32(mask, STUN_COOKIE);
        memcpy(mask + 4, req->txid, 12);
        hn_wr16(p, ATTR_XOR_MAPPED);
        hn_wr16(p + 2, 20);
        p[4] = 0;
        p[5] = 0x02;
        hn_wr16(p + 6, (uint16_t)(ntohs(a->sin6_port) ^ (STUN_COOKIE >> 16)));
        for (int i = 0; i < 16; i++)
            p[8 + i] = a->sin6_addr.s6_addr[i] ^ mask[i];
        return 24;
    }
    return 0;
}

/* Appends MESSAGE-INTEGRITY (keyed with pwd) and FINGERPRINT at off; returns the total length. */
static size_t seal(uint8_t *out, size_t off, const char *pwd)
{
    integrity(out, off, pwd, out + off + 4);
    hn_wr16(out + off, ATTR_INTEGRITY);
    hn_wr16(out + off + 2, HMAC_LEN);
    off += 4 + HMAC_LEN;
    hn_wr16(out + 2, (uint16_t)(off - STUN_HEADER + 8));
    uint32_t fp = crc32_of(out, off) ^ FP_XOR;
    hn_wr16(out + off, ATTR_FINGERPRINT);
    hn_wr16(out + off + 2, 4);
    hn_wr32(out + off + 4, fp);
    return off + 8;
}

size_t load_stun_write_response(uint8_t *out, const LoadStunRequest *req,
                                const struct sockaddr *from, const char *pwd)
{
    hn_wr16(out, STUN_BINDING_OK);
    hn_wr32(out + 4, STUN_COOKIE);
    memcpy(out + 8, req->txid, 12);
    size_t off = STUN_HEADER;
    size_t n = put_xor_mapped(out + off, req, from);
    if (n == 0)
        return 0;
    off += n;
    return seal(out, off, pwd);
}

size_t load_stun_write_request(uint8_t *out, const uint8_t txid[12], const char *username,
                               const char *pwd, uint32_t priority, uint64_t tiebreaker,
                               bool use_candidate)
{
    size_t ulen = strlen(username);
    if (ulen > 256)
        return 0;
    hn_wr16(out, STUN_BINDING_REQ);
    hn_wr32(out + 4, STUN_COOKIE);
    memcpy(out + 8, txid, 12);
    size_t off = STUN_HEADER;
    hn_wr16(out + off, ATTR_USERNAME);
    hn_wr16(out + off + 2, (uint16_t)ulen);
    memcpy(out + off + 4, username, ulen);
    size_t padded = (ulen + 3u) & ~3u;
    memset(out + off + 4 + ulen, 0, padded - ulen);
    off += 4 + padded;
    hn_wr16(out + off, ATTR_PRIORITY);
    hn_wr16(out + off + 2, 4);
    hn_wr32(out + off + 4, priority);
    off += 8;
    hn_wr16(out + off, ATTR_ICE_CONTROLLING);
    hn_wr16(out + off + 2, 8);
    hn_wr32(out + off + 4, (uint32_t)(tiebreaker >> 32));
    hn_wr32(out + off + 8, (uint32_t)tiebreaker);
    off += 12;
    if (use_candidate) {
        hn_wr16(out + off, ATTR_USE_CAND);
        hn_wr16(out + off + 2, 0);
        off += 4;
    }
    return seal(out, off, pwd);
}

int load_stun_check_response(const uint8_t *buf, size_t len, const uint8_t txid[12],
                             const char *pwd)
{
    if (!load_stun_is_stun(buf, len) || STUN_HEADER + (size_t)hn_rd16(buf + 2) != len ||
        memcmp(buf + 8, txid, 12) != 0)
        return 0;
    uint16_t type = hn_rd16(buf);
    if (type == STUN_BINDING_ERR)
        return -1;
    if (type != STUN_BINDING_OK)
        return 0;
    for (size_t off = STUN_HEADER; off + 4 <= len;) {
        uint16_t at = hn_rd16(buf + off), alen = hn_rd16(buf + off + 2);
        size_t next = off + 4 + ((alen + 3u) & ~3u);
        if (next > len)
            return 0;
        if (at == ATTR_INTEGRITY) {
            uint8_t mac[HMAC_LEN];
            return alen == HMAC_LEN && integrity(buf, off, pwd, mac) &&
                           CRYPTO_memcmp(mac, buf + off + 4, HMAC_LEN) == 0
                       ? 1
                       : 0;
        }
        off = next;
    }
    return 0;
}

/* RTP header parsing and in-place rewriting. See rtp.h for the contracts. */
#include "core/rtp.h"

#include <errno.h>
#include <string.h>

int hn_rtp_parse(const uint8_t *buf, size_t len, HnRtpHeader *out)
{
    if (!buf || !out || len < HN_RTP_HEADER_MIN)
        return -EINVAL;
    if ((buf[0] >> 6) != HN_RTP_VERSION)
        return -EINVAL;

    HnRtpHeader h = {0};
    h.padding = (buf[0] & 0x20) != 0;
    h.extension = (buf[0] & 0x10) != 0;
    h.csrc_count = buf[0] & 0x0f;
    h.marker = (buf[1] & 0x80) != 0;
    h.pt = buf[1] & 0x7f;
    h.seq = hn_rd16(buf + 2);
    h.ts = hn_rd32(buf + 4);
    h.ssrc = hn_rd32(buf + 8);

    size_t off = HN_RTP_HEADER_MIN + 4u * h.csrc_count;
    if (off > len)
        return -EINVAL;
    if (h.extension) {
        if (len - off < 4)
            return -EINVAL;
        h.ext_profile = hn_rd16(buf + off);
        h.ext_len = 4u * hn_rd16(buf + off + 2);
        h.ext_offset = off + 4;
        if (len - h.ext_offset < h.ext_len)
            return -EINVAL;
        off = h.ext_offset + h.ext_len;
    }
    h.header_len = off;

    size_t body = len - off;
    if (h.padding) {
        uint8_t pad = buf[len - 1];
        /* The count includes itself, so 0 is invalid; it may not eat into the header. */
        if (pad == 0 || pad > body)
            return -EINVAL;
        h.padding_len = pad;
        body -= pad;
    }
    h.payload_len = body;
    *out = h;
    return 0;
}

bool hn_rtp_is_rtcp(const uint8_t *buf, size_t len)
{
    if (!buf || len < 2)
        return false;
    return buf[1] >= 192 && buf[1] <= 223;
}

void hn_rtp_set_seq(uint8_t *buf, uint16_t seq)
{
    hn_wr16(buf + 2, seq);
}

void hn_rtp_set_ts(uint8_t *buf, uint32_t ts)
{
    hn_wr32(buf + 4, ts);
}

void hn_rtp_set_ssrc(uint8_t *buf, uint32_t ssrc)
{
    hn_wr32(buf + 8, ssrc);
}

void hn_rtp_set_pt(uint8_t *buf, uint8_t pt)
{
    buf[1] = (uint8_t)((buf[1] & 0x80) | (pt & 0x7f));
}

void hn_rtp_set_marker(uint8_t *buf, bool marker)
{
    buf[1] = (uint8_t)((buf[1] & 0x7f) | (marker ? 0x80 : 0));
}

size_t hn_rtp_copy_without_extension(uint8_t *dst, const uint8_t *src, size_t len,
                                     const HnRtpHeader *h)
{
    if (!h->extension) {
        memcpy(dst, src, len);
        return len;
    }
    size_t fixed = h->ext_offset - 4; /* fixed header + CSRCs */
    size_t rest = len - h->header_len;
    memcpy(dst, src, fixed);
    memcpy(dst + fixed, src + h->header_len, rest);
    dst[0] &= (uint8_t)~0x10;
    return fixed + rest;
}

int hn_rtp_find_extension(const uint8_t *buf, const HnRtpHeader *h, unsigned id,
                          const uint8_t **data)
{
    if (!h->extension || h->ext_len == 0 || id == 0 || id > 255)
        return -ENOENT;
    const uint8_t *p = buf + h->ext_offset;
    size_t n = h->ext_len, i = 0;
    bool one_byte = h->ext_profile == 0xBEDE;
    if (!one_byte && (h->ext_profile & 0xFFF0) != 0x1000)
        return -ENOENT;
    if (one_byte && id > 14)
        return -ENOENT;
    while (i < n) {
        if (p[i] == 0) { /* padding */
            i++;
            continue;
        }
        unsigned eid, elen;
        if (one_byte) {
            eid = p[i] >> 4;
            elen = (p[i] & 0x0F) + 1u;
            if (eid == 15)
                return -ENOENT; /* reserved: stop parsing (RFC 8285 section 4.2) */
            i += 1;
        } else {
            if (i + 2 > n)
                return -EINVAL;
            eid = p[i];
            elen = p[i + 1];
            i += 2;
        }
        if (i + elen > n)
            return -EINVAL;
        if (eid == id) {
            *data = p + i;
            return (int)elen;
        }
        i += elen;
    }
    return -ENOENT;
}

int hn_rtp_audio_level(const uint8_t *buf, const HnRtpHeader *h, unsigned id, uint8_t *level_dbov,
                       bool *voice)
{
    const uint8_t *d = NULL;
    int n = hn_rtp_find_extension(buf, h, id, &d);
    if (n < 0)
        return n;
    if (n < 1)
        return -EINVAL;
    *level_dbov = d[0] & 0x7F;
    *voice = (d[0] & 0x80) != 0;
    return 0;
}

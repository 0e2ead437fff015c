/* RTX wrap/unwrap. See rtx.h for the contracts. */
#include "core/rtx.h"

#include <errno.h>
#include <string.h>

int hn_rtx_unwrap(uint8_t *dst, const uint8_t *src, size_t len, const HnRtpHeader *h, uint32_t ssrc,
                  uint8_t pt, uint16_t *osn)
{
    if (h->header_len + h->payload_len > len)
        return -EINVAL;
    if (h->payload_len == 0 || h->payload_len == 2) /* padding only (libwebrtc sends no OSN) */
        return -ENODATA;
    if (h->payload_len < 2)
        return -EINVAL;
    const uint8_t *payload = src + h->header_len;
    *osn = hn_rd16(payload);
    size_t body = h->payload_len - 2;
    memcpy(dst, src, h->header_len);
    memcpy(dst + h->header_len, payload + 2, body);
    dst[0] &= (uint8_t)~0x20; /* no padding */
    hn_rtp_set_seq(dst, *osn);
    hn_rtp_set_ssrc(dst, ssrc);
    hn_rtp_set_pt(dst, pt);
    return (int)(h->header_len + body);
}

int hn_rtx_wrap(uint8_t *buf, size_t len, size_t cap, uint16_t rtx_seq, uint32_t rtx_ssrc,
                uint8_t rtx_pt)
{
    HnRtpHeader h;
    if (hn_rtp_parse(buf, len, &h) < 0)
        return -EINVAL;
    if (cap < len + 2)
        return -ENOSPC;
    memmove(buf + h.header_len + 2, buf + h.header_len, len - h.header_len);
    hn_wr16(buf + h.header_len, h.seq);
    hn_rtp_set_seq(buf, rtx_seq);
    hn_rtp_set_ssrc(buf, rtx_ssrc);
    hn_rtp_set_pt(buf, rtx_pt);
    return (int)(len + 2);
}

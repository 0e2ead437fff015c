/* RTCP compound packet validation, iteration and field accessors. See rtcp.h. */
#include "core/rtcp.h"
#include "core/rtp.h"

#include <errno.h>
#include <string.h>

#define RTCP_HDR   4
#define FB_HDR     12 /* header + sender SSRC + media SSRC */
#define SR_FIXED   28 /* header + sender SSRC + sender info */
#define RR_FIXED   8
#define FIR_ENTRY  8
#define REMB_FIXED 20 /* FB header + "REMB" + num/exp/mantissa */
#define TWCC_FIXED 20 /* FB header + base seq, count, ref time, fb count */

void hn_rtcp_iter_init(HnRtcpIter *it, const uint8_t *buf, size_t len)
{
    it->buf = buf;
    it->len = buf ? len : 0;
    it->off = 0;
}

/* SDES: count chunks, each an SSRC then items up to a 0 type, then padding to 32 bits. */
static int check_sdes(const uint8_t *d, size_t len, unsigned chunks)
{
    size_t off = RTCP_HDR;
    for (unsigned c = 0; c < chunks; c++) {
        if (len - off < 4)
            return -EINVAL;
        off += 4;
        for (;;) {
            if (off >= len)
                return -EINVAL;
            if (d[off] == 0) {
                off = (off + 4) & ~(size_t)3; /* end byte, then pad to the next word */
                if (off > len)
                    return -EINVAL;
                break;
            }
            if (len - off < 2 || len - off - 2 < d[off + 1])
                return -EINVAL;
            off += 2u + d[off + 1];
        }
    }
    return 0;
}

static int check_bye(const uint8_t *d, size_t len, unsigned n)
{
    size_t need = RTCP_HDR + 4u * n;
    if (len < need)
        return -EINVAL;
    if (len > need && len - need - 1 < d[need]) /* optional reason: length byte + text */
        return -EINVAL;
    return 0;
}

static int classify_rtpfb(HnRtcpPacket *p)
{
    size_t fci = p->len - FB_HDR;
    switch (p->fmt) {
    case HN_RTPFB_FMT_NACK:
        if (fci == 0 || fci % 4)
            return -EINVAL;
        p->kind = HN_RTCP_KIND_NACK;
        p->count = (unsigned)(fci / 4);
        return 0;
    case HN_RTPFB_FMT_TWCC:
        if (p->len < TWCC_FIXED)
            return -EINVAL;
        p->kind = HN_RTCP_KIND_TWCC;
        return 0;
    default:
        p->kind = HN_RTCP_KIND_RTPFB_OTHER;
        return 0;
    }
}

static int classify_psfb(HnRtcpPacket *p)
{
    size_t fci = p->len - FB_HDR;
    switch (p->fmt) {
    case HN_PSFB_FMT_PLI:
        p->kind = HN_RTCP_KIND_PLI; /* PLI has no FCI; trailing words are ignored */
        return 0;
    case HN_PSFB_FMT_FIR:
        if (fci == 0 || fci % FIR_ENTRY)
            return -EINVAL;
        p->kind = HN_RTCP_KIND_FIR;
        p->count = (unsigned)(fci / FIR_ENTRY);
        return 0;
    case HN_PSFB_FMT_AFB:
        if (p->len >= REMB_FIXED && memcmp(p->data + FB_HDR, "REMB", 4) == 0) {
            unsigned n = p->data[16];
            if (p->len - REMB_FIXED < 4u * n)
                return -EINVAL;
            p->kind = HN_RTCP_KIND_REMB;
            p->count = n;
            return 0;
        }
        p->kind = HN_RTCP_KIND_PSFB_OTHER;
        return 0;
    default:
        p->kind = HN_RTCP_KIND_PSFB_OTHER;
        return 0;
    }
}

/* Fills kind/count/ssrcs of p (data, len, type, fmt set) after checking its structure. */
static int classify(HnRtcpPacket *p)
{
    const uint8_t *d = p->data;
    switch (p->type) {
    case HN_RTCP_SR:
        if (p->len < SR_FIXED + (size_t)HN_RTCP_REPORT_BLOCK_LEN * p->fmt)
            return -EINVAL;
        p->kind = HN_RTCP_KIND_SR;
        p->sender_ssrc = hn_rd32(d + 4);
        p->count = p->fmt;
        return 0;
    case HN_RTCP_RR:
        if (p->len < RR_FIXED + (size_t)HN_RTCP_REPORT_BLOCK_LEN * p->fmt)
            return -EINVAL;
        p->kind = HN_RTCP_KIND_RR;
        p->sender_ssrc = hn_rd32(d + 4);
        p->count = p->fmt;
        return 0;
    case HN_RTCP_SDES:
        p->kind = HN_RTCP_KIND_SDES;
        p->count = p->fmt;
        return check_sdes(d, p->len, p->fmt);
    case HN_RTCP_BYE:
        p->kind = HN_RTCP_KIND_BYE;
        p->count = p->fmt;
        return check_bye(d, p->len, p->fmt);
    case HN_RTCP_APP:
        if (p->len < 12)
            return -EINVAL;
        p->kind = HN_RTCP_KIND_APP;
        p->sender_ssrc = hn_rd32(d + 4);
        return 0;
    case HN_RTCP_RTPFB:
    case HN_RTCP_PSFB:
        if (p->len < FB_HDR)
            return -EINVAL;
        p->sender_ssrc = hn_rd32(d + 4);
        p->media_ssrc = hn_rd32(d + 8);
        return p->type == HN_RTCP_RTPFB ? classify_rtpfb(p) : classify_psfb(p);
    default:
        p->kind = HN_RTCP_KIND_UNKNOWN;
        return 0;
    }
}

int hn_rtcp_iter_next(HnRtcpIter *it, HnRtcpPacket *pkt)
{
    if (it->off >= it->len)
        return 0;
    size_t rem = it->len - it->off;
    const uint8_t *d = it->buf + it->off;
    if (rem < RTCP_HDR || (d[0] >> 6) != 2 || d[1] < 192 || d[1] > 223)
        return -EINVAL;
    size_t plen = 4u * ((size_t)hn_rd16(d + 2) + 1);
    if (plen > rem)
        return -EINVAL;

    HnRtcpPacket p = {0};
    p.type = d[1];
    p.fmt = d[0] & 0x1f;
    p.data = d;
    p.len = plen;
    if (d[0] & 0x20) { /* padding: the last byte counts it, never into the header */
        uint8_t pad = d[plen - 1];
        if (pad == 0 || pad > plen - RTCP_HDR)
            return -EINVAL;
        p.len -= pad;
    }
    if (classify(&p) < 0)
        return -EINVAL;
    it->off += plen;
    *pkt = p;
    return 1;
}

int hn_rtcp_validate(const uint8_t *buf, size_t len)
{
    HnRtcpIter it;
    HnRtcpPacket p;
    int n = 0, rc;
    hn_rtcp_iter_init(&it, buf, len);
    while ((rc = hn_rtcp_iter_next(&it, &p)) > 0)
        n++;
    if (rc < 0 || n == 0)
        return -EINVAL;
    return n;
}

void hn_rtcp_sr_info(const HnRtcpPacket *p, HnRtcpSenderInfo *out)
{
    const uint8_t *d = p->data + 8;
    out->ntp = ((uint64_t)hn_rd32(d) << 32) | hn_rd32(d + 4);
    out->rtp_ts = hn_rd32(d + 8);
    out->packet_count = hn_rd32(d + 12);
    out->octet_count = hn_rd32(d + 16);
}

void hn_rtcp_report_block(const HnRtcpPacket *p, unsigned i, HnRtcpReportBlock *out)
{
    size_t base = p->kind == HN_RTCP_KIND_SR ? SR_FIXED : RR_FIXED;
    const uint8_t *d = p->data + base + (size_t)HN_RTCP_REPORT_BLOCK_LEN * i;
    uint32_t lost = hn_rd24(d + 5);
    out->ssrc = hn_rd32(d);
    out->fraction_lost = d[4];
    out->cumulative_lost = (lost & 0x800000) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
    out->ext_highest_seq = hn_rd32(d + 8);
    out->jitter = hn_rd32(d + 12);
    out->lsr = hn_rd32(d + 16);
    out->dlsr = hn_rd32(d + 20);
}

void hn_rtcp_nack_item(const HnRtcpPacket *p, unsigned i, uint16_t *pid, uint16_t *blp)
{
    const uint8_t *d = p->data + FB_HDR + 4u * i;
    *pid = hn_rd16(d);
    *blp = hn_rd16(d + 2);
}

void hn_rtcp_fir_item(const HnRtcpPacket *p, unsigned i, uint32_t *ssrc, uint8_t *seq_nr)
{
    const uint8_t *d = p->data + FB_HDR + (size_t)FIR_ENTRY * i;
    *ssrc = hn_rd32(d);
    *seq_nr = d[4];
}

uint64_t hn_rtcp_remb_bitrate(const HnRtcpPacket *p)
{
    const uint8_t *d = p->data + 17;
    unsigned exp = d[0] >> 2;
    uint64_t mantissa = ((uint64_t)(d[0] & 3) << 16) | hn_rd16(d + 1);
    if (mantissa && exp > 46) /* 18-bit mantissa << exp would overflow 64 bits */
        return UINT64_MAX;
    return mantissa << exp;
}

uint32_t hn_rtcp_remb_ssrc(const HnRtcpPacket *p, unsigned i)
{
    return hn_rd32(p->data + REMB_FIXED + 4u * i);
}

void hn_rtcp_twcc(const HnRtcpPacket *p, HnRtcpTwcc *out)
{
    const uint8_t *d = p->data + FB_HDR;
    uint32_t ref = hn_rd24(d + 4);
    out->base_seq = hn_rd16(d);
    out->status_count = hn_rd16(d + 2);
    out->reference_time = (ref & 0x800000) ? (int32_t)ref - 0x1000000 : (int32_t)ref;
    out->fb_count = d[7];
}

uint32_t hn_rtcp_bye_ssrc(const HnRtcpPacket *p, unsigned i)
{
    return hn_rd32(p->data + RTCP_HDR + 4u * i);
}

unsigned hn_rtcp_nack_expand(uint16_t pid, uint16_t blp, uint16_t out[17])
{
    unsigned n = 0;
    out[n++] = pid;
    for (unsigned b = 0; b < 16; b++)
        if (blp & (1u << b))
            out[n++] = (uint16_t)(pid + b + 1);
    return n;
}

uint64_t hn_ntp_add_us(uint64_t ntp, int64_t us)
{
    uint64_t mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    uint64_t delta = ((mag / 1000000u) << 32) + (((mag % 1000000u) << 32) / 1000000u);
    return us < 0 ? ntp - delta : ntp + delta;
}

uint32_t hn_rtcp_dlsr_from_us(int64_t us)
{
    if (us <= 0)
        return 0;
    if (us >= (int64_t)65536 * 1000000) /* 2^32 units of 1/65536 s */
        return UINT32_MAX;
    uint64_t v = ((uint64_t)us * 65536u) / 1000000u;
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

int64_t hn_rtcp_us_from_dlsr(uint32_t dlsr)
{
    return (int64_t)(((uint64_t)dlsr * 1000000u) >> 16);
}

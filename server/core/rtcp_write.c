/* RTCP writers: the packets the SFU originates. See rtcp.h for the contracts. */
#include "core/rtcp.h"
#include "core/rtp.h"

#include <errno.h>
#include <string.h>

/* Writes the common header for a packet of total length len (a multiple of 4). */
static void put_header(uint8_t *buf, uint8_t fmt, uint8_t type, size_t len)
{
    buf[0] = (uint8_t)(0x80 | (fmt & 0x1f));
    buf[1] = type;
    hn_wr16(buf + 2, (uint16_t)(len / 4 - 1));
}

static void put_report_block(uint8_t *d, const HnRtcpReportBlock *b)
{
    int32_t lost = b->cumulative_lost;
    if (lost > 0x7fffff)
        lost = 0x7fffff;
    if (lost < -0x800000)
        lost = -0x800000;
    hn_wr32(d, b->ssrc);
    d[4] = b->fraction_lost;
    hn_wr24(d + 5, (uint32_t)lost & 0xffffff);
    hn_wr32(d + 8, b->ext_highest_seq);
    hn_wr32(d + 12, b->jitter);
    hn_wr32(d + 16, b->lsr);
    hn_wr32(d + 20, b->dlsr);
}

int hn_rtcp_write_pli(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc)
{
    if (!buf)
        return -EINVAL;
    if (cap < 12)
        return -ENOSPC;
    put_header(buf, HN_PSFB_FMT_PLI, HN_RTCP_PSFB, 12);
    hn_wr32(buf + 4, sender_ssrc);
    hn_wr32(buf + 8, media_ssrc);
    return 12;
}

int hn_rtcp_write_fir(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                      uint8_t seq_nr)
{
    if (!buf)
        return -EINVAL;
    if (cap < 20)
        return -ENOSPC;
    put_header(buf, HN_PSFB_FMT_FIR, HN_RTCP_PSFB, 20);
    hn_wr32(buf + 4, sender_ssrc);
    hn_wr32(buf + 8, 0);
    hn_wr32(buf + 12, media_ssrc);
    buf[16] = seq_nr;
    buf[17] = buf[18] = buf[19] = 0;
    return 20;
}

int hn_rtcp_write_rr(uint8_t *buf, size_t cap, uint32_t sender_ssrc,
                     const HnRtcpReportBlock *blocks, unsigned n)
{
    if (!buf || n > HN_RTCP_MAX_REPORT_BLOCKS || (n && !blocks))
        return -EINVAL;
    size_t len = 8 + (size_t)HN_RTCP_REPORT_BLOCK_LEN * n;
    if (cap < len)
        return -ENOSPC;
    put_header(buf, (uint8_t)n, HN_RTCP_RR, len);
    hn_wr32(buf + 4, sender_ssrc);
    for (unsigned i = 0; i < n; i++)
        put_report_block(buf + 8 + HN_RTCP_REPORT_BLOCK_LEN * i, &blocks[i]);
    return (int)len;
}

int hn_rtcp_write_sr(uint8_t *buf, size_t cap, uint32_t sender_ssrc, const HnRtcpSenderInfo *si,
                     const HnRtcpReportBlock *blocks, unsigned n)
{
    if (!buf || !si || n > HN_RTCP_MAX_REPORT_BLOCKS || (n && !blocks))
        return -EINVAL;
    size_t len = 28 + (size_t)HN_RTCP_REPORT_BLOCK_LEN * n;
    if (cap < len)
        return -ENOSPC;
    put_header(buf, (uint8_t)n, HN_RTCP_SR, len);
    hn_wr32(buf + 4, sender_ssrc);
    hn_wr32(buf + 8, (uint32_t)(si->ntp >> 32));
    hn_wr32(buf + 12, (uint32_t)si->ntp);
    hn_wr32(buf + 16, si->rtp_ts);
    hn_wr32(buf + 20, si->packet_count);
    hn_wr32(buf + 24, si->octet_count);
    for (unsigned i = 0; i < n; i++)
        put_report_block(buf + 28 + HN_RTCP_REPORT_BLOCK_LEN * i, &blocks[i]);
    return (int)len;
}

int hn_rtcp_write_nack(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       const uint16_t *seqs, size_t n)
{
    if (!buf || !seqs || n == 0)
        return -EINVAL;
    if (cap < 16)
        return -ENOSPC;
    size_t off = 12;
    uint16_t pid = seqs[0], blp = 0;
    for (size_t i = 1; i <= n; i++) {
        uint16_t d = i < n ? (uint16_t)(seqs[i] - pid) : 0;
        if (i < n && d == 0)
            continue; /* duplicate of pid */
        if (i < n && d <= 16) {
            blp |= (uint16_t)(1u << (d - 1));
            continue;
        }
        if (cap - off < 4) /* flush the current item */
            return -ENOSPC;
        hn_wr16(buf + off, pid);
        hn_wr16(buf + off + 2, blp);
        off += 4;
        if (off / 4 - 1 > UINT16_MAX)
            return -EINVAL;
        if (i < n) {
            pid = seqs[i];
            blp = 0;
        }
    }
    put_header(buf, HN_RTPFB_FMT_NACK, HN_RTCP_RTPFB, off);
    hn_wr32(buf + 4, sender_ssrc);
    hn_wr32(buf + 8, media_ssrc);
    return (int)off;
}

int hn_rtcp_write_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname)
{
    size_t n = cname ? strlen(cname) : 0;
    if (!buf || n == 0 || n > 255)
        return -EINVAL;
    /* header, SSRC, type, length, text, at least one null octet, padded to a word */
    size_t len = (4 + 4 + 2 + n + 1 + 3) & ~(size_t)3;
    if (cap < len)
        return -ENOSPC;
    put_header(buf, 1, HN_RTCP_SDES, len);
    hn_wr32(buf + 4, ssrc);
    buf[8] = 1; /* CNAME */
    buf[9] = (uint8_t)n;
    memcpy(buf + 10, cname, n);
    memset(buf + 10 + n, 0, len - 10 - n);
    return (int)len;
}

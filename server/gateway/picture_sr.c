/* RTCP sender reports of the picture and the mix-minus: see picture_sr.h. */
#include "gateway/picture_sr.h"

#include <string.h>

#define NTP_UNIX_OFFSET 2208988800ULL /* seconds from 1900 to 1970 */
#define MAX_JUMP_US     1000000       /* a packet this far off the anchor starts a new one */

void hn_picture_sr_init(HnPictureSr *sr, uint32_t clock_rate)
{
    memset(sr, 0, sizeof *sr);
    sr->clock_rate = clock_rate ? clock_rate : 90000;
}

void hn_picture_sr_sent(HnPictureSr *sr, const uint8_t *rtp, size_t len, int64_t at_us)
{
    if (len < 12 || (rtp[0] >> 6) != 2)
        return;
    size_t hdr = 12 + 4 * (size_t)(rtp[0] & 0x0f);
    if (rtp[0] & 0x10) { /* header extension */
        if (len < hdr + 4)
            return;
        hdr += 4 + 4 * (size_t)(rtp[hdr + 2] << 8 | rtp[hdr + 3]);
    }
    if (hdr > len)
        return;
    size_t pad = (rtp[0] & 0x20) ? rtp[len - 1] : 0;
    size_t payload = len - hdr >= pad ? len - hdr - pad : 0;
    sr->ssrc = (uint32_t)rtp[8] << 24 | (uint32_t)rtp[9] << 16 | (uint32_t)rtp[10] << 8 | rtp[11];
    uint32_t ts = (uint32_t)rtp[4] << 24 | (uint32_t)rtp[5] << 16 | (uint32_t)rtp[6] << 8 | rtp[7];
    /* the anchor: the packet of the window that left least late for its timestamp (a packet
     * held up by a busy thread would place every timestamp late); a new window after each SR,
     * and a jump of more than MAX_JUMP_US either way (a new timestamp base) re-anchors at once */
    bool anchor = !sr->have || sr->rebase;
    if (!anchor) {
        int64_t d = (int64_t)(int32_t)(ts - sr->rtp_ts) * 1000000 / (int64_t)sr->clock_rate;
        int64_t early = sr->at_us + d - at_us; /* > 0: this one left earlier for its time */
        anchor = early >= 0 || early < -MAX_JUMP_US || early > MAX_JUMP_US;
    }
    if (anchor) {
        sr->rtp_ts = ts;
        sr->at_us = at_us;
        sr->rebase = false;
    }
    sr->packets++;
    sr->octets += (uint32_t)payload;
    sr->have = true;
}

bool hn_picture_sr_due(const HnPictureSr *sr, int64_t now_us)
{
    return sr->have &&
           (sr->last_sr_us == 0 || now_us - sr->last_sr_us >= HN_PICTURE_SR_INTERVAL_US);
}

uint32_t hn_picture_sr_rtp_at(const HnPictureSr *sr, int64_t t_us)
{
    int64_t d = t_us - sr->at_us; /* may be negative: a clock step */
    int64_t ticks = d >= 0 ? (int64_t)((uint64_t)d * sr->clock_rate / 1000000u)
                           : -(int64_t)((uint64_t)(-d) * sr->clock_rate / 1000000u);
    return sr->rtp_ts + (uint32_t)ticks;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

size_t hn_picture_sr_build(HnPictureSr *sr, int64_t now_us, const char *cname, uint8_t *buf,
                           size_t cap)
{
    if (!sr->have || now_us < 0)
        return 0;
    size_t cl = cname ? strlen(cname) : 0;
    if (cl > 255)
        cl = 255;
    /* SDES: header 4, SSRC 4, item 2 + cl, end 1, padded to 4 */
    size_t sdes = (4 + 4 + 2 + cl + 1 + 3) & ~(size_t)3;
    size_t n = 28 + sdes;
    if (cap < n)
        return 0;
    memset(buf, 0, n);
    buf[0] = 0x80; /* V=2, no padding, RC=0 */
    buf[1] = 200;
    buf[3] = 6; /* 7 words - 1 */
    put32(buf + 4, sr->ssrc);
    uint64_t secs = (uint64_t)now_us / 1000000u + NTP_UNIX_OFFSET;
    uint64_t frac = ((uint64_t)now_us % 1000000u << 32) / 1000000u;
    put32(buf + 8, (uint32_t)secs);
    put32(buf + 12, (uint32_t)frac);
    put32(buf + 16, hn_picture_sr_rtp_at(sr, now_us));
    put32(buf + 20, sr->packets);
    put32(buf + 24, sr->octets);
    uint8_t *s = buf + 28;
    s[0] = 0x81; /* SC=1 */
    s[1] = 202;
    s[2] = (uint8_t)((sdes / 4 - 1) >> 8);
    s[3] = (uint8_t)(sdes / 4 - 1);
    put32(s + 4, sr->ssrc);
    s[8] = 1; /* CNAME */
    s[9] = (uint8_t)cl;
    if (cl)
        memcpy(s + 10, cname, cl);
    /* the END item and the padding are the zeros left by memset */
    sr->last_sr_us = now_us;
    sr->rebase = true;
    return n;
}

/* Transport-wide congestion control feedback: parse, write, and the sequence number extension.
 * See twcc.h for the wire format. */
#include "core/twcc.h"

#include <errno.h>
#include <string.h>

#define FIXED      20 /* RTCP header, sender and media SSRC, base seq, count, ref time, fb count */
#define RUN_MAX    8191
#define VEC1_SYMS  14
#define VEC2_SYMS  7
#define SYM_LOST   0
#define SYM_SMALL  1
#define SYM_LARGE  2
#define SYM_RESERV 3

/* Reads the chunks at pkt[*off..len) into sym[0..count). */
static int parse_chunks(const uint8_t *pkt, size_t len, size_t *off, uint8_t *sym, unsigned count)
{
    unsigned n = 0;
    while (n < count) {
        if (*off + 2 > len)
            return -EINVAL;
        uint16_t c = hn_rd16(pkt + *off);
        *off += 2;
        if (!(c & 0x8000)) { /* run length */
            uint8_t s = (uint8_t)((c >> 13) & 3);
            unsigned run = c & 0x1fff;
            if (s == SYM_RESERV || run == 0 || run > count - n)
                return -EINVAL;
            memset(sym + n, s, run);
            n += run;
            continue;
        }
        bool two = c & 0x4000;
        unsigned k_max = two ? VEC2_SYMS : VEC1_SYMS;
        for (unsigned k = 0; k < k_max; k++) {
            uint8_t s = two ? (uint8_t)((c >> (12 - 2 * k)) & 3) : (uint8_t)((c >> (13 - k)) & 1);
            if (s == SYM_RESERV)
                return -EINVAL;
            if (n < count)
                sym[n++] = s;
            else if (s != SYM_LOST) /* a vector past the count may only be padded with 0 */
                return -EINVAL;
        }
    }
    return 0;
}

int hn_twcc_parse(const uint8_t *pkt, size_t len, HnTwccFeedback *out)
{
    if (!pkt || !out || len < FIXED || (pkt[0] >> 6) != 2 || pkt[1] != 205 || (pkt[0] & 0x1f) != 15)
        return -EINVAL;
    out->sender_ssrc = hn_rd32(pkt + 4);
    out->media_ssrc = hn_rd32(pkt + 8);
    out->base_seq = hn_rd16(pkt + 12);
    out->status_count = hn_rd16(pkt + 14);
    uint32_t ref = hn_rd24(pkt + 16);
    out->reference_time = (ref & 0x800000) ? (int32_t)ref - 0x1000000 : (int32_t)ref;
    out->fb_count = pkt[19];
    out->received = 0;
    unsigned count = out->status_count;
    if (count == 0)
        return -EINVAL;
    if (count > HN_TWCC_MAX_STATUS)
        return -E2BIG;
    uint8_t sym[HN_TWCC_MAX_STATUS];
    size_t off = FIXED;
    int rc = parse_chunks(pkt, len, &off, sym, count);
    if (rc < 0)
        return rc;
    int64_t t = (int64_t)out->reference_time * HN_TWCC_REF_US;
    for (unsigned i = 0; i < count; i++) {
        if (sym[i] == SYM_LOST) {
            out->arrival_us[i] = HN_TWCC_LOST;
            continue;
        }
        if (sym[i] == SYM_SMALL) {
            if (off + 1 > len)
                return -EINVAL;
            t += (int64_t)pkt[off] * HN_TWCC_DELTA_US;
            off += 1;
        } else {
            if (off + 2 > len)
                return -EINVAL;
            t += (int64_t)(int16_t)hn_rd16(pkt + off) * HN_TWCC_DELTA_US;
            off += 2;
        }
        out->arrival_us[i] = t;
        out->received++;
    }
    if (len - off > 3)
        return -EINVAL;
    return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Packs sym[0..m) into chunks at out (NULL: only count). Returns the chunk bytes. */
static size_t encode_chunks(const uint8_t *sym, size_t m, uint8_t *out)
{
    size_t i = 0, bytes = 0;
    while (i < m) {
        size_t run = 1;
        while (i + run < m && run < RUN_MAX && sym[i + run] == sym[i])
            run++;
        size_t v1 = m - i < VEC1_SYMS ? m - i : VEC1_SYMS;
        bool one_bit = true;
        for (size_t k = 0; k < v1; k++)
            one_bit = one_bit && sym[i + k] <= SYM_SMALL;
        uint16_t c;
        size_t used;
        if (run >= VEC1_SYMS || (run >= VEC2_SYMS && !one_bit) || run == m - i) {
            c = (uint16_t)((unsigned)sym[i] << 13 | run);
            used = run;
        } else if (one_bit) {
            c = 0x8000;
            for (size_t k = 0; k < v1; k++)
                c |= (uint16_t)(sym[i + k] << (13 - k));
            used = v1;
        } else {
            size_t v2 = m - i < VEC2_SYMS ? m - i : VEC2_SYMS;
            c = 0xc000;
            for (size_t k = 0; k < v2; k++)
                c |= (uint16_t)(sym[i + k] << (12 - 2 * k));
            used = v2;
        }
        if (out)
            hn_wr16(out + bytes, c);
        bytes += 2;
        i += used;
    }
    return bytes;
}

static size_t delta_bytes(const uint8_t *sym, size_t m)
{
    size_t b = 0;
    for (size_t i = 0; i < m; i++)
        b += sym[i];
    return b; /* SYM_SMALL: 1 byte, SYM_LARGE: 2 bytes */
}

int hn_twcc_write(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                  uint16_t base_seq, uint8_t fb_count, const int64_t *arrival_us, size_t n,
                  size_t *covered)
{
    if (!buf || !arrival_us || !covered || n == 0 || n > HN_TWCC_MAX_STATUS ||
        arrival_us[0] == HN_TWCC_LOST)
        return -EINVAL;
    int64_t ref = floor_div(arrival_us[0], HN_TWCC_REF_US);
    if (ref < -0x800000 || ref > 0x7fffff)
        ref &= 0xffffff; /* the field wraps; only the deltas matter to the sender */
    uint8_t sym[HN_TWCC_MAX_STATUS];
    int16_t delta[HN_TWCC_MAX_STATUS];
    int64_t prev_tick =
        floor_div(arrival_us[0], HN_TWCC_REF_US) * (HN_TWCC_REF_US / HN_TWCC_DELTA_US);
    size_t m = 0;
    for (; m < n; m++) {
        if (arrival_us[m] == HN_TWCC_LOST) {
            sym[m] = SYM_LOST;
            continue;
        }
        int64_t tick = floor_div(arrival_us[m], HN_TWCC_DELTA_US);
        int64_t d = tick - prev_tick;
        if (d < INT16_MIN || d > INT16_MAX)
            break;
        sym[m] = d >= 0 && d <= 255 ? SYM_SMALL : SYM_LARGE;
        delta[m] = (int16_t)d;
        prev_tick = tick;
    }
    while (m > 0 && sym[m - 1] == SYM_LOST) /* end on a received packet */
        m--;
    size_t total;
    for (;;) {
        total = FIXED + encode_chunks(sym, m, NULL) + delta_bytes(sym, m);
        total = (total + 3) & ~(size_t)3;
        if (total <= cap)
            break;
        if (m == 1)
            return -ENOSPC;
        m = m * 3 / 4 > 0 ? m * 3 / 4 : 1;
        while (m > 1 && sym[m - 1] == SYM_LOST)
            m--;
    }
    size_t off = FIXED + encode_chunks(sym, m, buf + FIXED);
    for (size_t i = 0; i < m; i++) {
        if (sym[i] == SYM_SMALL)
            buf[off++] = (uint8_t)delta[i];
        else if (sym[i] == SYM_LARGE) {
            hn_wr16(buf + off, (uint16_t)delta[i]);
            off += 2;
        }
    }
    size_t pad = total - off;
    memset(buf + off, 0, pad);
    if (pad)
        buf[total - 1] = (uint8_t)pad;
    buf[0] = (uint8_t)(0x80 | (pad ? 0x20 : 0) | 15);
    buf[1] = 205;
    hn_wr16(buf + 2, (uint16_t)(total / 4 - 1));
    hn_wr32(buf + 4, sender_ssrc);
    hn_wr32(buf + 8, media_ssrc);
    hn_wr16(buf + 12, base_seq);
    hn_wr16(buf + 14, (uint16_t)m);
    hn_wr24(buf + 16, (uint32_t)ref & 0xffffff);
    buf[19] = fb_count;
    *covered = m;
    return (int)total;
}

int hn_twcc_read_seq(const uint8_t *buf, const HnRtpHeader *h, unsigned id, uint16_t *seq)
{
    const uint8_t *d;
    int n = hn_rtp_find_extension(buf, h, id, &d);
    if (n < 0)
        return n;
    if (n != 2)
        return -EINVAL;
    *seq = hn_rd16(d);
    return 0;
}

size_t hn_twcc_copy_with_seq(uint8_t *dst, const uint8_t *src, size_t len, const HnRtpHeader *h,
                             unsigned id, uint16_t seq)
{
    size_t fixed = HN_RTP_HEADER_MIN + 4u * h->csrc_count;
    memcpy(dst, src, fixed);
    dst[0] |= 0x10;
    uint8_t *e = dst + fixed;
    e[0] = 0xBE;
    e[1] = 0xDE;
    e[2] = 0;
    e[3] = 1;
    e[4] = (uint8_t)((id << 4) | 1);
    e[5] = (uint8_t)(seq >> 8);
    e[6] = (uint8_t)seq;
    e[7] = 0;
    size_t rest = len - h->header_len;
    memcpy(e + 8, src + h->header_len, rest);
    return fixed + 8 + rest;
}

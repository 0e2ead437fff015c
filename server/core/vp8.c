/* VP8 payload descriptor parse/rewrite and picture ID continuity. See vp8.h. */
#include "core/vp8.h"

#include <errno.h>

#define PID_MASK_15 0x7fff
#define PID_MASK_7  0x7f

int hn_vp8_parse(const uint8_t *p, size_t len, HnVp8Descriptor *out)
{
    *out = (HnVp8Descriptor){0};
    if (len < 1)
        return -EINVAL;
    size_t i = 1;
    out->start_of_partition = (p[0] & 0x10) != 0;
    out->partition_id = p[0] & 0x07;
    if (p[0] & 0x80) { /* X: extension byte */
        if (len < 2)
            return -EINVAL;
        uint8_t x = p[1];
        i = 2;
        if (x & 0x80) { /* I: picture ID */
            if (len < i + 1)
                return -EINVAL;
            out->has_picture_id = true;
            out->picture_id_offset = i;
            if (p[i] & 0x80) {
                if (len < i + 2)
                    return -EINVAL;
                out->picture_id_15 = true;
                out->picture_id = (uint16_t)(((p[i] & 0x7f) << 8) | p[i + 1]);
                i += 2;
            } else {
                out->picture_id = p[i] & 0x7f;
                i += 1;
            }
        }
        if (x & 0x40) { /* L: TL0PICIDX */
            if (len < i + 1)
                return -EINVAL;
            out->has_tl0picidx = true;
            out->tl0picidx_offset = i;
            out->tl0picidx = p[i++];
        }
        if (x & 0x30) { /* T or K: TID/Y/KEYIDX byte */
            if (len < i + 1)
                return -EINVAL;
            if (x & 0x20) {
                out->has_tid = true;
                out->tid = (uint8_t)(p[i] >> 6);
                out->layer_sync = (p[i] & 0x20) != 0;
            }
            i++;
        }
    }
    out->descriptor_len = i;
    if (out->start_of_partition && out->partition_id == 0 && len > i) {
        const uint8_t *h = p + i;
        out->is_keyframe = (h[0] & 0x01) == 0; /* P bit of the frame tag: 0 = key frame */
        /* a key frame: 3-byte frame tag, start code 9d 01 2a, 14-bit width and height (LE) */
        if (out->is_keyframe && len >= i + 10 && h[3] == 0x9d && h[4] == 0x01 && h[5] == 0x2a) {
            out->width = (uint16_t)((h[6] | (h[7] << 8)) & 0x3fff);
            out->height = (uint16_t)((h[8] | (h[9] << 8)) & 0x3fff);
        }
    }
    return 0;
}

void hn_vp8_write(uint8_t *p, const HnVp8Descriptor *d, uint16_t picture_id, uint8_t tl0picidx)
{
    if (d->has_picture_id) {
        size_t o = d->picture_id_offset;
        if (d->picture_id_15) {
            p[o] = (uint8_t)(0x80 | ((picture_id >> 8) & 0x7f));
            p[o + 1] = (uint8_t)picture_id;
        } else {
            p[o] = (uint8_t)(picture_id & PID_MASK_7);
        }
    }
    if (d->has_tl0picidx)
        p[d->tl0picidx_offset] = tl0picidx;
}

void hn_vp8_munger_init(HnVp8Munger *m)
{
    *m = (HnVp8Munger){0};
}

void hn_vp8_munger_switch(HnVp8Munger *m)
{
    if (m->started)
        m->switch_pending = true;
}

/* a is after b in a space of mask + 1 values (half-range rule) */
static bool after(uint16_t a, uint16_t b, uint16_t mask)
{
    uint16_t d = (uint16_t)((a - b) & mask);
    return d != 0 && d <= mask / 2;
}

int hn_vp8_munger_apply(HnVp8Munger *m, uint8_t *payload, size_t len)
{
    HnVp8Descriptor d;
    if (hn_vp8_parse(payload, len, &d) < 0)
        return -EINVAL;
    uint16_t mask = d.picture_id_15 ? PID_MASK_15 : PID_MASK_7;
    if (!m->started || m->switch_pending) {
        if (!m->started) {
            m->pid_off = 0;
            m->tl0_off = 0;
            m->last_pid = d.picture_id;
            m->last_tl0 = d.tl0picidx;
        } else {
            m->pid_off = (uint16_t)((m->last_pid + 1 - d.picture_id) & PID_MASK_15);
            m->tl0_off = (uint8_t)(m->last_tl0 + 1 - d.tl0picidx);
        }
        m->started = true;
        m->switch_pending = false;
    }
    uint16_t pid = (uint16_t)((d.picture_id + m->pid_off) & mask);
    uint8_t tl0 = (uint8_t)(d.tl0picidx + m->tl0_off);
    if (d.has_picture_id && (pid == m->last_pid || after(pid, m->last_pid & mask, mask)))
        m->last_pid = pid;
    if (d.has_tl0picidx && (uint8_t)(tl0 - m->last_tl0) < 128)
        m->last_tl0 = tl0;
    hn_vp8_write(payload, &d, pid, tl0);
    return 0;
}

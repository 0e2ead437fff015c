/* Codec names and key frame detection. See codec.h for the contracts. */
#include "core/codec.h"

#include <strings.h>

HnCodecId hn_codec_id_from_name(const char *name)
{
    if (!name)
        return HN_CODEC_UNKNOWN;
    if (strcasecmp(name, "opus") == 0)
        return HN_CODEC_OPUS;
    if (strcasecmp(name, "VP8") == 0)
        return HN_CODEC_VP8;
    if (strcasecmp(name, "H264") == 0)
        return HN_CODEC_H264;
    return HN_CODEC_UNKNOWN;
}

const char *hn_codec_name(HnCodecId id)
{
    switch (id) {
    case HN_CODEC_OPUS:
        return "opus";
    case HN_CODEC_VP8:
        return "VP8";
    case HN_CODEC_H264:
        return "H264";
    case HN_CODEC_UNKNOWN:
        break;
    }
    return "unknown";
}

/* RFC 7741 section 4.2: payload descriptor, then the VP8 payload header. */
static bool vp8_is_keyframe(const uint8_t *p, size_t len)
{
    size_t off = 1;
    if (len < 1)
        return false;
    bool start = (p[0] & 0x10) != 0;
    unsigned pid = p[0] & 0x07;
    if (p[0] & 0x80) { /* X: extension byte I L T K */
        if (len < 2)
            return false;
        uint8_t x = p[1];
        off = 2;
        if (x & 0x80) { /* I: picture id, 7 or 15 bits (M) */
            if (off >= len)
                return false;
            off += (p[off] & 0x80) ? 2 : 1;
        }
        if (x & 0x40) /* L: TL0PICIDX */
            off += 1;
        if (x & 0x30) /* T or K: TID/Y/KEYIDX byte */
            off += 1;
    }
    if (!start || pid != 0 || off >= len)
        return false;
    return (p[off] & 0x01) == 0; /* P bit of the frame tag: 0 = key frame */
}

static bool h264_nal_is_key(uint8_t nal)
{
    unsigned type = nal & 0x1f;
    return type == 5 || type == 7; /* IDR slice, SPS */
}

/* RFC 6184 section 5: single NAL unit, STAP-A (24) and FU-A (28). */
static bool h264_is_keyframe(const uint8_t *p, size_t len)
{
    if (len < 1)
        return false;
    unsigned type = p[0] & 0x1f;
    if (type >= 1 && type <= 23)
        return h264_nal_is_key(p[0]);
    if (type == 24) {
        size_t off = 1;
        while (len - off >= 2) {
            size_t n = ((size_t)p[off] << 8) | p[off + 1];
            off += 2;
            if (n == 0 || n > len - off)
                return false;
            if (h264_nal_is_key(p[off]))
                return true;
            off += n;
        }
        return false;
    }
    if (type == 28) {
        if (len < 2)
            return false;
        bool start = (p[1] & 0x80) != 0;
        return start && h264_nal_is_key(p[1]);
    }
    return false;
}

bool hn_codec_is_keyframe(HnCodecId id, const uint8_t *payload, size_t len)
{
    if (!payload && len)
        return false;
    switch (id) {
    case HN_CODEC_OPUS:
        return true;
    case HN_CODEC_VP8:
        return vp8_is_keyframe(payload, len);
    case HN_CODEC_H264:
        return h264_is_keyframe(payload, len);
    case HN_CODEC_UNKNOWN:
        break;
    }
    return false;
}

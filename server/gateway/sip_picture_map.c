/* The output classes of a SIP call's streams: see sip_picture.h (pure, unit-tested). */
#include <stdlib.h>
#include <string.h>

#include "gateway/sip_picture.h"

/* fmtp "a=b;c=d": the value of key (copied into val), FALSE when absent. */
static gboolean fmtp_get(const char *fmtp, const char *key, char *val, size_t vlen)
{
    size_t klen = strlen(key);
    const char *p = fmtp;
    while (p && *p) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > klen && g_ascii_strncasecmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t m = MIN(n - klen - 1, vlen - 1);
            memcpy(val, p + klen + 1, m);
            val[m] = '\0';
            g_strstrip(val);
            return TRUE;
        }
        p = end;
    }
    return FALSE;
}

int hn_sip_picture_map(const HnSipMediaCall *call, int bitrate_kbps, HnPictureVideoCfg *v,
                       char plid[7], HnPictureAudioCfg *a)
{
    int got = 0;
    memset(v, 0, sizeof *v);
    memset(a, 0, sizeof *a);
    plid[0] = '\0';
    for (size_t i = 0; i < call->n_streams; i++) {
        const HnSipMediaStream *s = &call->streams[i];
        const char *fmtp = s->fmtp ? s->fmtp : "";
        if (s->kind == HN_KIND_VIDEO && !(got & 1)) {
            int codec = hn_picture_video_codec_parse(s->encoding);
            if (!codec)
                continue;
            v->codec = codec;
            v->pt = s->pt;
            v->width = 1280;
            v->height = 720;
            int kbps = HN_SIP_PICTURE_KBPS_720;
            if (codec == HN_PICTURE_H264) {
                char val[16];
                if (fmtp_get(fmtp, "profile-level-id", val, sizeof val) && strlen(val) == 6) {
                    memcpy(plid, val, 7);
                    v->h264_profile_level_id = plid;
                    int level = (int)strtol(val + 4, NULL, 16);
                    if (level < 31 && level >= 22) {
                        v->width = 640, v->height = 360, kbps = HN_SIP_PICTURE_KBPS_360;
                    } else if (level < 22 && level >= 11) {
                        v->width = 320, v->height = 180, kbps = HN_SIP_PICTURE_KBPS_LOW;
                    } else if (level < 11) {
                        v->width = 160, v->height = 90, kbps = HN_SIP_PICTURE_KBPS_LOW;
                    }
                }
                if (fmtp_get(fmtp, "packetization-mode", val, sizeof val))
                    v->packetization_mode = atoi(val);
            }
            if (bitrate_kbps > 0)
                kbps = MIN(kbps, bitrate_kbps);
            if (s->max_kbps > 0) /* b=AS / b=TIAS of its offer */
                kbps = (int)MIN((uint32_t)kbps, s->max_kbps);
            v->bitrate_kbps = kbps;
            got |= 1;
        } else if (s->kind == HN_KIND_AUDIO && !(got & 2)) {
            int codec = hn_picture_audio_codec_parse(s->encoding);
            if (!codec)
                continue;
            a->codec = codec;
            a->pt = s->pt;
            a->clock_rate = s->clock_rate;
            got |= 2;
        }
    }
    return got;
}

int hn_sip_picture_video_kbps(const char *encoding, uint8_t pt, const char *fmtp, uint32_t max_kbps)
{
    HnSipMediaStream st = {.kind = HN_KIND_VIDEO,
                           .encoding = encoding,
                           .pt = pt,
                           .clock_rate = 90000,
                           .fmtp = fmtp,
                           .max_kbps = max_kbps};
    HnSipMediaCall call = {.streams = &st, .n_streams = 1};
    HnPictureVideoCfg v, out;
    HnPictureAudioCfg a;
    char plid[7], plid2[7], err[128];
    if (!(hn_sip_picture_map(&call, 0, &v, plid, &a) & 1) ||
        !hn_picture_video_normalize(&v, 0, &out, plid2, err, sizeof err))
        return 0;
    return out.bitrate_kbps;
}

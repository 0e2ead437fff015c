/* Output classes of the composed picture: see picture_class.h. */
#include "gateway/picture_class.h"

#include <stdio.h>
#include <string.h>

gboolean hn_picture_video_normalize(const HnPictureVideoCfg *in, int max_fps,
                                    HnPictureVideoCfg *out, char plid[7], char *err, size_t errlen)
{
    *out = *in;
    if (in->codec != HN_PICTURE_VP8 && in->codec != HN_PICTURE_H264) {
        g_snprintf(err, errlen, "video codec %d: VP8 or H.264 only", in->codec);
        return FALSE;
    }
    out->width = in->width > 0 ? CLAMP(in->width, 64, 1920) & ~1 : 1280;
    out->height = in->height > 0 ? CLAMP(in->height, 64, 1080) & ~1 : 720;
    int kbps = in->bitrate_kbps > 0 ? in->bitrate_kbps : 1500;
    kbps = CLAMP(kbps, HN_PICTURE_KBPS_MIN, HN_PICTURE_KBPS_MAX);
    out->bitrate_kbps = kbps / HN_PICTURE_KBPS_STEP * HN_PICTURE_KBPS_STEP;
    if (max_fps <= 0)
        max_fps = 30;
    out->fps = in->fps > 0 ? MIN(in->fps, max_fps) : max_fps;
    out->h264_profile_level_id = NULL;
    out->packetization_mode = 0;
    plid[0] = '\0';
    if (in->codec == HN_PICTURE_VP8)
        return TRUE;
    const char *p = in->h264_profile_level_id ? in->h264_profile_level_id : "42e01f";
    if (strlen(p) != 6) {
        g_snprintf(err, errlen, "profile-level-id %.16s: six hex digits", p);
        return FALSE;
    }
    for (int i = 0; i < 6; i++) {
        if (!g_ascii_isxdigit(p[i])) {
            g_snprintf(err, errlen, "profile-level-id %.16s: six hex digits", p);
            return FALSE;
        }
        plid[i] = g_ascii_tolower(p[i]);
    }
    plid[6] = '\0';
    if (strncmp(plid, "42", 2) != 0 && strncmp(plid, "4d", 2) != 0 && strncmp(plid, "64", 2) != 0) {
        g_snprintf(err, errlen, "profile-level-id %s: baseline, main or high only", plid);
        return FALSE;
    }
    if (in->packetization_mode != 0 && in->packetization_mode != 1) {
        g_snprintf(err, errlen, "packetization-mode %d: 0 or 1 only", in->packetization_mode);
        return FALSE;
    }
    out->h264_profile_level_id = plid;
    out->packetization_mode = in->packetization_mode;
    return TRUE;
}

gboolean hn_picture_audio_valid(const HnPictureAudioCfg *a)
{
    return a && a->codec >= HN_PICTURE_OPUS && a->codec <= HN_PICTURE_PCMA && a->pt < 128;
}

char *hn_picture_video_class_key(const HnPictureVideoCfg *v)
{
    if (v->codec == HN_PICTURE_VP8)
        return g_strdup_printf("VP8 %dx%d %dk %dfps", v->width, v->height, v->bitrate_kbps, v->fps);
    return g_strdup_printf("H264 %dx%d %dk %dfps %s pm%d", v->width, v->height, v->bitrate_kbps,
                           v->fps, v->h264_profile_level_id ? v->h264_profile_level_id : "?",
                           v->packetization_mode);
}

int hn_picture_assign_classes(const HnPictureVideoCfg *v, int n, int *class_of)
{
    char **keys = g_new0(char *, n + 1);
    int classes = 0;
    for (int i = 0; i < n; i++) {
        keys[i] = hn_picture_video_class_key(&v[i]);
        class_of[i] = i;
        for (int k = 0; k < i; k++)
            if (strcmp(keys[k], keys[i]) == 0) {
                class_of[i] = class_of[k];
                break;
            }
        if (class_of[i] == i)
            classes++;
    }
    g_strfreev(keys);
    return classes;
}

char *hn_picture_video_desc(const HnPictureVideoCfg *v)
{
    char *scale = g_strdup_printf("videoscale ! videorate drop-only=true ! "
                                  "video/x-raw,width=%d,height=%d,framerate=%d/1,"
                                  "pixel-aspect-ratio=1/1",
                                  v->width, v->height, v->fps);
    int gop = v->fps * 10; /* a key frame every 10 s, and on request (FIR, PLI, INFO) */
    char *out;
    if (v->codec == HN_PICTURE_VP8) {
        out = g_strdup_printf("%s ! vp8enc name=enc deadline=1 cpu-used=8 threads=2 "
                              "end-usage=cbr target-bitrate=%d keyframe-max-dist=%d "
                              "lag-in-frames=0 error-resilient=partitions ! "
                              "rtpvp8pay pt=96 mtu=1200 picture-id-mode=15-bit",
                              scale, v->bitrate_kbps * 1000, gop);
    } else {
        const char *plid = v->h264_profile_level_id ? v->h264_profile_level_id : "42e01f";
        const char *profile = strncmp(plid, "64", 2) == 0   ? "high"
                              : strncmp(plid, "4d", 2) == 0 ? "main"
                                                            : "constrained-baseline";
        /* mode 0: one NAL unit per packet, so no slice may exceed the MTU and nothing is
         * aggregated; mode 1: SPS/PPS aggregated with the frame (STAP-A), FU-A for the rest */
        out = g_strdup_printf(
            "%s ! x264enc name=enc tune=zerolatency speed-preset=ultrafast bitrate=%d "
            "key-int-max=%d threads=2 %s ! video/x-h264,profile=%s,stream-format=byte-stream ! "
            "rtph264pay pt=96 mtu=1200 config-interval=-1 aggregate-mode=%s",
            scale, v->bitrate_kbps, gop,
            v->packetization_mode == 0 ? "option-string=slice-max-size=1100" : "", profile,
            v->packetization_mode == 0 ? "none" : "zero-latency");
    }
    g_free(scale);
    return out;
}

char *hn_picture_audio_desc(const HnPictureAudioCfg *a)
{
    const char *ptime = "min-ptime=20000000 max-ptime=20000000";
    switch (a->codec) {
    case HN_PICTURE_OPUS:
        return g_strdup_printf("audio/x-raw,rate=48000,channels=2 ! opusenc bitrate=64000 "
                               "frame-size=20 ! rtpopuspay pt=%u",
                               a->pt);
    case HN_PICTURE_G722:
        return g_strdup_printf("audio/x-raw,rate=16000,channels=1 ! avenc_g722 ! "
                               "rtpg722pay pt=%u %s",
                               a->pt, ptime);
    case HN_PICTURE_PCMU:
        return g_strdup_printf("audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay pt=%u %s",
                               a->pt, ptime);
    case HN_PICTURE_PCMA:
        return g_strdup_printf("audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay pt=%u %s",
                               a->pt, ptime);
    default:
        return NULL;
    }
}

int hn_picture_video_codec_parse(const char *s)
{
    if (!s)
        return 0;
    if (g_ascii_strcasecmp(s, "vp8") == 0)
        return HN_PICTURE_VP8;
    if (g_ascii_strcasecmp(s, "h264") == 0)
        return HN_PICTURE_H264;
    return 0;
}

int hn_picture_audio_codec_parse(const char *s)
{
    static const char *const names[] = {NULL, "opus", "g722", "pcmu", "pcma"};
    for (int i = 1; s && i < (int)G_N_ELEMENTS(names); i++)
        if (g_ascii_strcasecmp(s, names[i]) == 0)
            return i;
    return 0;
}

size_t hn_picture_forward_rewrite(const uint8_t *in, size_t len, uint8_t pt, uint8_t *out,
                                  size_t cap)
{
    if (len < 12 || (in[0] >> 6) != 2)
        return 0;
    size_t hdr = 12 + 4 * (size_t)(in[0] & 0x0f), ext = 0;
    if (in[0] & 0x10) {
        if (len < hdr + 4)
            return 0;
        ext = 4 + 4 * (size_t)(in[hdr + 2] << 8 | in[hdr + 3]);
    }
    if (hdr + ext > len || len - ext > cap)
        return 0;
    memcpy(out, in, hdr);
    memcpy(out + hdr, in + hdr + ext, len - hdr - ext);
    out[0] &= (uint8_t)~0x10;
    out[1] = (uint8_t)((in[1] & 0x80) | (pt & 0x7f));
    return len - ext;
}

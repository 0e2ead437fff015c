/* The outputs of a room's composed picture, as pure data: which outputs share one encoder (their
 * "class"), and the GStreamer descriptions of an encoder and of a mix-minus's codec. No
 * GStreamer here (gateway/picture.c builds what these describe), unit-tested.
 *
 * A video class is (codec, width x height, bitrate step, fps, and for H.264 the profile-level-id
 * and packetization-mode): outputs with the same class key get the packets of one encoder, each
 * with its own payload type written in. The bitrate is rounded down to a step of
 * HN_PICTURE_KBPS_STEP so that endpoints that negotiated nearly the same bandwidth (b=AS 1920
 * and 2000) share an encoder; nobody is sent more than it asked for. */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef enum {
    HN_PICTURE_VP8 = 1,
    HN_PICTURE_H264 = 2,
} HnPictureVideoCodec;

typedef enum {
    HN_PICTURE_OPUS = 1, /* 48 kHz stereo */
    HN_PICTURE_G722 = 2, /* 16 kHz audio, RTP clock 8000 */
    HN_PICTURE_PCMU = 3,
    HN_PICTURE_PCMA = 4,
} HnPictureAudioCodec;

#define HN_PICTURE_KBPS_STEP 128
#define HN_PICTURE_KBPS_MIN  128
#define HN_PICTURE_KBPS_MAX  8192

typedef struct {
    int codec; /* HnPictureVideoCodec */
    uint8_t pt;
    int width, height;                 /* 0: 1280 x 720 */
    int bitrate_kbps;                  /* 0: 1500 */
    int fps;                           /* 0: the composition's */
    const char *h264_profile_level_id; /* NULL: "42e01f" */
    int packetization_mode;            /* 0 or 1 (H.264) */
} HnPictureVideoCfg;

typedef struct {
    int codec; /* HnPictureAudioCodec */
    uint8_t pt;
    uint32_t clock_rate; /* informative: the codec decides it (G.722: 8000) */
} HnPictureAudioCfg;

/* in with its defaults filled and values clamped (fps at most max_fps), into out
 * (out->h264_profile_level_id points to a static or to in's string, lower-cased copy in
 * plid[7]). FALSE + a reason in err for what cannot be encoded (unknown codec, bad
 * profile-level-id, packetization-mode other than 0/1). */
gboolean hn_picture_video_normalize(const HnPictureVideoCfg *in, int max_fps,
                                    HnPictureVideoCfg *out, char plid[7], char *err, size_t errlen);
gboolean hn_picture_audio_valid(const HnPictureAudioCfg *a);
/* The class key of a normalised cfg (transfer full): equal keys share an encoder. */
char *hn_picture_video_class_key(const HnPictureVideoCfg *v);
/* Groups n normalised cfgs: class_of[i] is the index of the first cfg of i's class. Returns the
 * number of classes (encoders). */
int hn_picture_assign_classes(const HnPictureVideoCfg *v, int n, int *class_of);
/* The encoder of a normalised class: scale, rate, encode, payload (pt 96; the output's own pt
 * is written into each packet). transfer full. */
char *hn_picture_video_desc(const HnPictureVideoCfg *v);
/* A mix-minus's codec and payloader (after audioconvert ! audioresample). transfer full; NULL
 * for an unknown codec. */
char *hn_picture_audio_desc(const HnPictureAudioCfg *a);
/* "vp8"|"h264" -> codec, "opus"|"g722"|"pcmu"|"pcma" -> codec (case-insensitive); 0 if unknown. */
int hn_picture_video_codec_parse(const char *s);
int hn_picture_audio_codec_parse(const char *s);
/* A participant's packet as a forward output sends it (hn_picture_attach_participant): its
 * header extension removed (the ids are the publisher's negotiation), the X bit cleared, the
 * payload type pt (marker kept). Writes into out (cap bytes); returns the length, 0 for what is
 * not RTP or does not fit. */
size_t hn_picture_forward_rewrite(const uint8_t *in, size_t len, uint8_t pt, uint8_t *out,
                                  size_t cap);

/* Unit tests of server/gateway/picture_class.c: which outputs of a room's composed picture share
 * an encoder (same codec, size, bitrate step, fps, H.264 profile and packetization-mode; never
 * the payload type), the defaults and refusals, and the encoder descriptions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gateway/picture_class.h"

static HnPictureVideoCfg norm(HnPictureVideoCfg in, char plid[7])
{
    HnPictureVideoCfg out;
    char err[128];
    assert_true(hn_picture_video_normalize(&in, 25, &out, plid, err, sizeof err));
    return out;
}

static void test_sharing(void **state)
{
    (void)state;
    char p[8][7];
    HnPictureVideoCfg in[8] = {
        /* 0: a Poly at 720p, b=AS 1920, constrained baseline, mode 1, PT 109 */
        {HN_PICTURE_H264, 109, 1280, 720, 1920, 30, "42e01f", 1},
        /* 1: a Cisco, PT 97, b=AS 2000 (the same 128 kbit/s step), fps 25 */
        {HN_PICTURE_H264, 97, 1280, 720, 2000, 25, "42E01F", 1},
        /* 2: the same in packetization-mode 0: another encoder (slices fit the MTU) */
        {HN_PICTURE_H264, 97, 1280, 720, 2048, 30, "42e01f", 0},
        /* 3: high profile */
        {HN_PICTURE_H264, 97, 1280, 720, 2048, 30, "64001f", 1},
        /* 4: 1 Mbit/s */
        {HN_PICTURE_H264, 97, 1280, 720, 1024, 30, "42e01f", 1},
        /* 5: VP8 (WHEP) at the defaults */
        {HN_PICTURE_VP8, 96, 0, 0, 0, 0, NULL, 0},
        /* 6: VP8 again, profile and mode ignored */
        {HN_PICTURE_VP8, 100, 1280, 720, 1500, 30, "64001f", 1},
        /* 7: H.264 defaults: 1280x720, 1500 kbit/s -> 1408, 42e01f, mode 0 */
        {HN_PICTURE_H264, 96, 0, 0, 0, 0, NULL, 0},
    };
    HnPictureVideoCfg v[8];
    for (int i = 0; i < 8; i++)
        v[i] = norm(in[i], p[i]);
    int cls[8];
    assert_int_equal(hn_picture_assign_classes(v, 8, cls), 6);
    int want[8] = {0, 0, 2, 3, 4, 5, 5, 7};
    for (int i = 0; i < 8; i++)
        assert_int_equal(cls[i], want[i]);
    assert_int_equal(v[1].bitrate_kbps, 1920);
    assert_int_equal(v[0].fps, 25); /* at most the composition's */
    assert_int_equal(v[5].width, 1280);
    assert_int_equal(v[5].height, 720);
    assert_int_equal(v[7].bitrate_kbps, 1408);
    assert_string_equal(v[7].h264_profile_level_id, "42e01f");
    char *k = hn_picture_video_class_key(&v[1]);
    assert_string_equal(k, "H264 1280x720 1920k 25fps 42e01f pm1");
    g_free(k);
}

static void test_refused(void **state)
{
    (void)state;
    char plid[7], err[128];
    HnPictureVideoCfg out;
    HnPictureVideoCfg bad[] = {
        {7, 96, 0, 0, 0, 0, NULL, 0},                   /* unknown codec */
        {HN_PICTURE_H264, 96, 0, 0, 0, 0, "42e0", 1},   /* short */
        {HN_PICTURE_H264, 96, 0, 0, 0, 0, "zze01f", 1}, /* not hex */
        {HN_PICTURE_H264, 96, 0, 0, 0, 0, "58e01f", 1}, /* extended profile */
        {HN_PICTURE_H264, 96, 0, 0, 0, 0, "42e01f", 2}, /* interleaved mode */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        err[0] = '\0';
        assert_false(hn_picture_video_normalize(&bad[i], 25, &out, plid, err, sizeof err));
        assert_true(err[0] != '\0');
    }
    HnPictureVideoCfg huge = {HN_PICTURE_H264, 96, 99999, 99999, 999999, 240, "4d001f", 1};
    assert_true(hn_picture_video_normalize(&huge, 30, &out, plid, err, sizeof err));
    assert_int_equal(out.width, 1920);
    assert_int_equal(out.height, 1080);
    assert_int_equal(out.bitrate_kbps, HN_PICTURE_KBPS_MAX);
    assert_int_equal(out.fps, 30);
    HnPictureAudioCfg a = {HN_PICTURE_PCMA, 8, 8000};
    assert_true(hn_picture_audio_valid(&a));
    a.codec = 9;
    assert_false(hn_picture_audio_valid(&a));
    assert_null(hn_picture_audio_desc(&a));
}

static void test_descriptions(void **state)
{
    (void)state;
    char p0[7], p1[7];
    HnPictureVideoCfg m0 =
        norm((HnPictureVideoCfg){HN_PICTURE_H264, 96, 640, 360, 512, 15, "42e01f", 0}, p0);
    char *d = hn_picture_video_desc(&m0);
    assert_non_null(strstr(d, "width=640,height=360,framerate=15/1"));
    assert_non_null(strstr(d, "slice-max-size"));
    assert_non_null(strstr(d, "aggregate-mode=none"));
    assert_non_null(strstr(d, "profile=constrained-baseline"));
    assert_non_null(strstr(d, "bitrate=512"));
    g_free(d);
    HnPictureVideoCfg hi =
        norm((HnPictureVideoCfg){HN_PICTURE_H264, 96, 0, 0, 0, 0, "64001f", 1}, p1);
    d = hn_picture_video_desc(&hi);
    assert_non_null(strstr(d, "profile=high"));
    assert_null(strstr(d, "slice-max-size"));
    g_free(d);
    const struct {
        int codec;
        const char *want;
    } audio[] = {{HN_PICTURE_OPUS, "rtpopuspay pt=111"},
                 {HN_PICTURE_G722, "rtpg722pay pt=111"},
                 {HN_PICTURE_PCMU, "rtppcmupay pt=111"},
                 {HN_PICTURE_PCMA, "rtppcmapay pt=111"}};
    for (size_t i = 0; i < G_N_ELEMENTS(audio); i++) {
        HnPictureAudioCfg a = {audio[i].codec, 111, 0};
        d = hn_picture_audio_desc(&a);
        assert_non_null(strstr(d, audio[i].want));
        g_free(d);
    }
    assert_int_equal(hn_picture_video_codec_parse("H264"), HN_PICTURE_H264);
    assert_int_equal(hn_picture_audio_codec_parse("G722"), HN_PICTURE_G722);
    assert_int_equal(hn_picture_audio_codec_parse("gsm"), 0);
}

static void test_forward_rewrite(void **state)
{
    (void)state;
    /* V=2, X=1, CC=1, marker + PT 100; one CSRC; a one-word extension; 5 bytes payload */
    uint8_t in[] = {0x91, 0x80 | 100, 0,    7, 0, 0,    0,    9, 1, 2,   3,   4,   0xc, 0xc, 0xc,
                    0xc,  0xbe,       0xde, 0, 1, 0x10, 0xff, 0, 0, 'h', 'e', 'l', 'l', 'o'};
    uint8_t out[64];
    size_t n = hn_picture_forward_rewrite(in, sizeof in, 96, out, sizeof out);
    assert_int_equal(n, sizeof in - 8);
    assert_int_equal(out[0], 0x81); /* X cleared, CC kept */
    assert_int_equal(out[1], 0x80 | 96);
    assert_memory_equal(out + 2, in + 2, 14); /* seq, ts, SSRC, CSRC */
    assert_memory_equal(out + 16, "hello", 5);
    /* without an extension: the same packet, the PT written */
    uint8_t plain[] = {0x80, 111, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 'x'};
    assert_int_equal(hn_picture_forward_rewrite(plain, sizeof plain, 101, out, sizeof out),
                     sizeof plain);
    assert_int_equal(out[1], 101);
    /* not RTP, truncated extension, too small an output */
    assert_int_equal(hn_picture_forward_rewrite(plain, 11, 96, out, sizeof out), 0);
    uint8_t v1[] = {0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(hn_picture_forward_rewrite(v1, sizeof v1, 96, out, sizeof out), 0);
    in[19] = 40; /* the extension says 40 words */
    assert_int_equal(hn_picture_forward_rewrite(in, sizeof in, 96, out, sizeof out), 0);
    assert_int_equal(hn_picture_forward_rewrite(plain, sizeof plain, 96, out, 5), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_rewrite),
        cmocka_unit_test(test_sharing),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_descriptions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

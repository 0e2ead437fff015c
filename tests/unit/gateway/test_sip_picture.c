/* Unit tests of server/gateway/sip_picture_map.c: what picture output class and mix-minus codec
 * a SIP call's negotiated streams get (codec, payload type, H.264 profile-level-id and
 * packetization-mode, size from the H.264 level, default bitrate by size, capped by the call's
 * bandwidth), and the streams the picture cannot encode. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gateway/sip_picture.h"

static int map(const HnSipMediaStream *s, size_t n, int kbps, HnPictureVideoCfg *v, char plid[7],
               HnPictureAudioCfg *a)
{
    HnSipMediaCall call = {.room = "hall", .pid = 7, .streams = s, .n_streams = n};
    return hn_sip_picture_map(&call, kbps, v, plid, a);
}

static void test_h264_and_pcmu(void **state)
{
    (void)state;
    HnSipMediaStream s[] = {
        {HN_KIND_AUDIO, "PCMU", 0, 8000, "", 0, 0},
        {HN_KIND_VIDEO, "H264", 109, 90000, "profile-level-id=42E01F; packetization-mode=1", 0, 0},
    };
    HnPictureVideoCfg v;
    HnPictureAudioCfg a;
    char plid[7];
    assert_int_equal(map(s, 2, 0, &v, plid, &a), 3);
    assert_int_equal(v.codec, HN_PICTURE_H264);
    assert_int_equal(v.pt, 109);
    assert_int_equal(v.width, 1280);
    assert_int_equal(v.height, 720);
    assert_int_equal(v.bitrate_kbps, HN_SIP_PICTURE_KBPS_720);
    assert_string_equal(v.h264_profile_level_id, "42E01F");
    assert_int_equal(v.packetization_mode, 1);
    assert_int_equal(a.codec, HN_PICTURE_PCMU);
    assert_int_equal(a.pt, 0);
    /* the call's bandwidth caps the default, never raises it */
    assert_int_equal(map(s, 2, 768, &v, plid, &a), 3);
    assert_int_equal(v.bitrate_kbps, 768);
    assert_int_equal(map(s, 2, 4000, &v, plid, &a), 3);
    assert_int_equal(v.bitrate_kbps, HN_SIP_PICTURE_KBPS_720);
}

static void test_levels_and_mode0(void **state)
{
    (void)state;
    static const struct {
        const char *fmtp;
        int w, h, kbps, mode;
    } cases[] = {
        {"profile-level-id=42e01e", 640, 360, HN_SIP_PICTURE_KBPS_360, 0}, /* 3.0 */
        {"profile-level-id=4d0016", 640, 360, HN_SIP_PICTURE_KBPS_360, 0}, /* 2.2 */
        {"profile-level-id=42e015;packetization-mode=0", 320, 180, HN_SIP_PICTURE_KBPS_LOW, 0},
        {"profile-level-id=42e00a", 160, 90, HN_SIP_PICTURE_KBPS_LOW, 0}, /* 1.0 */
        {"packetization-mode=1;profile-level-id=640028", 1280, 720, HN_SIP_PICTURE_KBPS_720, 1},
        {"", 1280, 720, HN_SIP_PICTURE_KBPS_720, 0}, /* nothing said: the defaults, mode 0 */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        HnSipMediaStream s = {HN_KIND_VIDEO, "H264", 96, 90000, cases[i].fmtp, 0, 0};
        HnPictureVideoCfg v;
        HnPictureAudioCfg a;
        char plid[7];
        assert_int_equal(map(&s, 1, 0, &v, plid, &a), 1);
        assert_int_equal(v.width, cases[i].w);
        assert_int_equal(v.height, cases[i].h);
        assert_int_equal(v.bitrate_kbps, cases[i].kbps);
        assert_int_equal(v.packetization_mode, cases[i].mode);
    }
}

static void test_vp8_opus_g722_and_unknown(void **state)
{
    (void)state;
    HnSipMediaStream s[] = {
        {HN_KIND_AUDIO, "telephone-event", 101, 8000, "0-15", 0, 0},
        {HN_KIND_AUDIO, "G722", 9, 8000, "", 0, 0},
        {HN_KIND_AUDIO, "opus", 111, 48000, "", 0, 0},
        {HN_KIND_VIDEO, "H263", 34, 90000, "", 0, 0},
        {HN_KIND_VIDEO, "VP8", 100, 90000, NULL, 0, 0},
    };
    HnPictureVideoCfg v;
    HnPictureAudioCfg a;
    char plid[7];
    assert_int_equal(map(s, 5, 0, &v, plid, &a), 3);
    assert_int_equal(a.codec, HN_PICTURE_G722); /* the first the picture can encode */
    assert_int_equal(a.pt, 9);
    assert_int_equal(v.codec, HN_PICTURE_VP8);
    assert_int_equal(v.pt, 100);
    assert_null(v.h264_profile_level_id);
    /* nothing encodable: nothing mapped */
    assert_int_equal(map(s + 3, 1, 0, &v, plid, &a), 0);
    assert_int_equal(map(s, 1, 0, &v, plid, &a), 0);
    assert_int_equal(map(s, 0, 0, &v, plid, &a), 0);
}

/* b=AS / b=TIAS of the offer (HnSipMediaStream.max_kbps) cap the class's bitrate, never raise
 * it; the answer's b=AS is the encoder's rounded bitrate. */
static void test_offer_bandwidth_caps_the_class(void **state)
{
    (void)state;
    HnSipMediaStream s = {HN_KIND_VIDEO, "H264", 96, 90000, "profile-level-id=42e01f", 0, 512};
    HnPictureVideoCfg v, n;
    HnPictureAudioCfg a;
    char plid[7], plid2[7], err[64];
    assert_int_equal(map(&s, 1, 0, &v, plid, &a), 1);
    assert_int_equal(v.width, 1280);
    assert_int_equal(v.bitrate_kbps, 512);
    assert_int_equal(map(&s, 1, 384, &v, plid, &a), 1); /* the lower of both */
    assert_int_equal(v.bitrate_kbps, 384);
    s.max_kbps = 5000; /* above the default: the default */
    assert_int_equal(map(&s, 1, 0, &v, plid, &a), 1);
    assert_int_equal(v.bitrate_kbps, HN_SIP_PICTURE_KBPS_720);
    /* two endpoints of b=AS 1000 and 1020 share one encoder (both 896 kbit/s) */
    HnSipMediaStream t = s;
    s.max_kbps = 1000, t.max_kbps = 1020;
    HnPictureVideoCfg c[2];
    assert_int_equal(map(&s, 1, 0, &v, plid, &a), 1);
    assert_true(hn_picture_video_normalize(&v, 25, &c[0], plid2, err, sizeof err));
    char plid3[7], plid4[7];
    assert_int_equal(map(&t, 1, 0, &n, plid3, &a), 1);
    assert_true(hn_picture_video_normalize(&n, 25, &c[1], plid4, err, sizeof err));
    int class_of[2];
    assert_int_equal(hn_picture_assign_classes(c, 2, class_of), 1);
    assert_int_equal(c[0].bitrate_kbps, 896);
    /* what the answer's b=AS says */
    assert_int_equal(hn_sip_picture_video_kbps("H264", 96, "profile-level-id=42e01f", 512), 512);
    assert_int_equal(hn_sip_picture_video_kbps("H264", 96, "profile-level-id=42e01f", 600), 512);
    assert_int_equal(hn_sip_picture_video_kbps("H264", 96, "profile-level-id=42e01f", 0), 1408);
    assert_int_equal(hn_sip_picture_video_kbps("H264", 96, "profile-level-id=42e01e", 0), 640);
    assert_int_equal(hn_sip_picture_video_kbps("VP8", 100, "", 2000), 1408);
    assert_int_equal(hn_sip_picture_video_kbps("H263", 34, "", 512), 0);
    assert_int_equal(hn_sip_picture_video_kbps("H264", 96, "profile-level-id=58a01e", 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_h264_and_pcmu),
        cmocka_unit_test(test_levels_and_mode0),
        cmocka_unit_test(test_vp8_opus_g722_and_unknown),
        cmocka_unit_test(test_offer_bandwidth_caps_the_class),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

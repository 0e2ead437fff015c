/* Unit tests of core/codec: names and key frame detection for VP8 and H264. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <glib.h>

#include "core/codec.h"

#define KEY(id, ...)                                                                               \
    hn_codec_is_keyframe(id, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static void test_names(void **state)
{
    assert_int_equal(hn_codec_id_from_name("opus"), HN_CODEC_OPUS);
    assert_int_equal(hn_codec_id_from_name("OPUS"), HN_CODEC_OPUS);
    assert_int_equal(hn_codec_id_from_name("vp8"), HN_CODEC_VP8);
    assert_int_equal(hn_codec_id_from_name("H264"), HN_CODEC_H264);
    assert_int_equal(hn_codec_id_from_name("VP9"), HN_CODEC_UNKNOWN);
    assert_int_equal(hn_codec_id_from_name(""), HN_CODEC_UNKNOWN);
    assert_int_equal(hn_codec_id_from_name(NULL), HN_CODEC_UNKNOWN);
    assert_string_equal(hn_codec_name(HN_CODEC_OPUS), "opus");
    assert_string_equal(hn_codec_name(HN_CODEC_VP8), "VP8");
    assert_string_equal(hn_codec_name(HN_CODEC_H264), "H264");
    assert_string_equal(hn_codec_name(HN_CODEC_UNKNOWN), "unknown");
}

static void test_vp8(void **state)
{
    /* no extension: S=1 PID=0, frame tag P=0 */
    assert_true(KEY(HN_CODEC_VP8, 0x10, 0x00));
    assert_false(KEY(HN_CODEC_VP8, 0x10, 0x01)); /* P=1: inter frame */
    assert_false(KEY(HN_CODEC_VP8, 0x00, 0x00)); /* S=0: continuation */
    assert_false(KEY(HN_CODEC_VP8, 0x11, 0x00)); /* PID=1 */
    assert_false(KEY(HN_CODEC_VP8, 0x10));       /* no payload header */
    /* X with I (7-bit picture id) */
    assert_true(KEY(HN_CODEC_VP8, 0x90, 0x80, 0x05, 0x00));
    assert_false(KEY(HN_CODEC_VP8, 0x90, 0x80, 0x05, 0x01));
    /* X with I (15-bit M), L, T and K: 1 + 1 + 2 + 1 + 1 descriptor bytes */
    assert_true(KEY(HN_CODEC_VP8, 0x90, 0xf0, 0x81, 0x23, 0x07, 0x40, 0x9c));
    assert_false(KEY(HN_CODEC_VP8, 0x90, 0xf0, 0x81, 0x23, 0x07, 0x40, 0x9d));
    /* the frame tag would be at offset 6: truncated descriptors are never key frames */
    assert_false(KEY(HN_CODEC_VP8, 0x90, 0xf0, 0x81, 0x23, 0x07, 0x40));
    assert_false(KEY(HN_CODEC_VP8, 0x90, 0xf0, 0x81));
    assert_false(KEY(HN_CODEC_VP8, 0x90, 0x80));
    assert_false(KEY(HN_CODEC_VP8, 0x90));
    /* T only (no K) still takes one byte */
    assert_true(KEY(HN_CODEC_VP8, 0x90, 0x20, 0x40, 0x00));
    assert_false(hn_codec_is_keyframe(HN_CODEC_VP8, NULL, 0));
}

static void test_h264(void **state)
{
    assert_true(KEY(HN_CODEC_H264, 0x65, 0x88));  /* IDR */
    assert_true(KEY(HN_CODEC_H264, 0x67, 0x42));  /* SPS */
    assert_false(KEY(HN_CODEC_H264, 0x68, 0xce)); /* PPS alone */
    assert_false(KEY(HN_CODEC_H264, 0x41, 0x9a)); /* non-IDR slice */
    /* STAP-A: PPS then IDR, and SPS + PPS */
    assert_true(KEY(HN_CODEC_H264, 0x78, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x65, 0x88));
    assert_true(KEY(HN_CODEC_H264, 0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce));
    assert_false(KEY(HN_CODEC_H264, 0x78, 0x00, 0x02, 0x41, 0x9a, 0x00, 0x01, 0x68));
    /* STAP-A whose second NAL size runs past the end: not trusted */
    assert_false(KEY(HN_CODEC_H264, 0x78, 0x00, 0x02, 0x68, 0xce, 0x00, 0x09, 0x65));
    assert_false(KEY(HN_CODEC_H264, 0x78, 0x00, 0x00, 0x65));
    assert_false(KEY(HN_CODEC_H264, 0x78, 0x00));
    /* FU-A: start of an IDR, middle of an IDR, start of a non-IDR */
    assert_true(KEY(HN_CODEC_H264, 0x7c, 0x85, 0x88));
    assert_false(KEY(HN_CODEC_H264, 0x7c, 0x05, 0x88));
    assert_false(KEY(HN_CODEC_H264, 0x7c, 0x81, 0x9a));
    assert_false(KEY(HN_CODEC_H264, 0x7c));
    assert_false(hn_codec_is_keyframe(HN_CODEC_H264, NULL, 0));
}

static void test_opus_and_unknown(void **state)
{
    assert_true(KEY(HN_CODEC_OPUS, 0xfc));
    assert_true(hn_codec_is_keyframe(HN_CODEC_OPUS, NULL, 0));
    assert_false(KEY(HN_CODEC_UNKNOWN, 0x10, 0x00));
}

static void test_random_payloads(void **state)
{
    uint8_t buf[64];
    uint32_t x = 1;
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = (x = x * 1103515245u + 12345u) % sizeof(buf);
        uint8_t *heap = g_malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++)
            heap[i] = (uint8_t)((x = x * 1103515245u + 12345u) >> 16);
        (void)hn_codec_is_keyframe(HN_CODEC_VP8, heap, len);
        (void)hn_codec_is_keyframe(HN_CODEC_H264, heap, len);
        g_free(heap);
    }
    (void)buf;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_vp8),
        cmocka_unit_test(test_h264),
        cmocka_unit_test(test_opus_and_unknown),
        cmocka_unit_test(test_random_payloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

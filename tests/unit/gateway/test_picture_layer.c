/* Unit tests of gateway/picture_layer.c: a composed tile follows its publisher's simulcast layer
 * changes at a key frame, with sequence numbers, timestamps and SSRC continuous for the composer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gateway/picture_layer.h"

static void pkt(uint8_t *b, uint32_t ssrc, uint16_t seq, uint32_t ts)
{
    b[0] = 0x80;
    b[1] = 96;
    b[2] = (uint8_t)(seq >> 8);
    b[3] = (uint8_t)seq;
    for (int i = 0; i < 4; i++) {
        b[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
        b[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
    }
}

static uint16_t seq_of(const uint8_t *b)
{
    return (uint16_t)(b[2] << 8 | b[3]);
}

static uint32_t u32_of(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Starts at a key frame; a lower layer appears (the top one paused): dropped until its key
 * frame, then it continues the output's sequence numbers and timestamps under the first SSRC;
 * the old layer's late packets are dropped. */
static void test_follows_a_layer_change(void **state)
{
    (void)state;
    HnPicLayer l;
    hn_pic_layer_init(&l, 90000);
    uint8_t b[12];
    pkt(b, 0xf, 100, 5000);
    assert_int_equal(hn_pic_layer_on_packet(&l, b, sizeof b, false, 0), HN_PIC_LAYER_WAIT_KEY);
    int64_t t = 1000000;
    for (uint16_t i = 0; i < 10; i++, t += 40000) {
        pkt(b, 0xf, (uint16_t)(65530 + i), 5000 + 3600u * i);
        assert_int_equal(hn_pic_layer_on_packet(&l, b, sizeof b, i == 0, t), HN_PIC_LAYER_FORWARD);
        assert_int_equal(seq_of(b), (uint16_t)(65530 + i)); /* the first layer: unchanged */
        assert_int_equal(u32_of(b + 4), 5000 + 3600u * i);
        assert_int_equal(u32_of(b + 8), 0xf);
    }
    /* last out: seq 3 (wrapped), ts 5000 + 32400, at t - 40000 */
    t += 1500000; /* the tap moves after the old layer went quiet */
    pkt(b, 0x9, 7000, 123456);
    assert_int_equal(hn_pic_layer_on_packet(&l, b, sizeof b, false, t), HN_PIC_LAYER_WAIT_KEY);
    t += 100000;
    pkt(b, 0x9, 7001, 123456 + 9000);
    assert_int_equal(hn_pic_layer_on_packet(&l, b, sizeof b, true, t), HN_PIC_LAYER_FORWARD);
    assert_int_equal(seq_of(b), 4);
    assert_int_equal(u32_of(b + 8), 0xf);
    /* 1.64 s after the last output: 147600 ticks later */
    assert_int_equal(u32_of(b + 4), 5000 + 32400 + 147600);
    pkt(b, 0x9, 7002, 123456 + 9000 + 3600);
    assert_int_equal(hn_pic_layer_on_packet(&l, b, sizeof b, false, t + 40000),
                     HN_PIC_LAYER_FORWARD);
    assert_int_equal(seq_of(b), 5);
    assert_int_equal(u32_of(b + 4), 5000 + 32400 + 147600 + 3600);
    /* a late packet of the old layer: not forwarded */
    pkt(b, 0xf, 4, 5000 + 36000);
    assert_int_equal(hn_pic_layer_on_packet(&l, b, sizeof b, false, t + 50000),
                     HN_PIC_LAYER_WAIT_KEY);
    assert_int_equal(l.switches, 1);
}

/* Reordered packets of the followed layer keep their order; a switch at once (no gap) still
 * advances the timestamp by a tick. */
static void test_reorder_and_immediate_switch(void **state)
{
    (void)state;
    HnPicLayer l;
    hn_pic_layer_init(&l, 90000);
    uint8_t b[12];
    pkt(b, 1, 10, 100);
    assert_int_equal(hn_pic_layer_on_packet(&l, b, sizeof b, true, 0), HN_PIC_LAYER_FORWARD);
    pkt(b, 1, 12, 200);
    assert_int_equal(hn_pic_layer_on_packet(&l, b, sizeof b, false, 10), HN_PIC_LAYER_FORWARD);
    pkt(b, 1, 11, 100);
    assert_int_equal(hn_pic_layer_on_packet(&l, b, sizeof b, false, 20), HN_PIC_LAYER_FORWARD);
    assert_int_equal(seq_of(b), 11);
    pkt(b, 2, 500, 9);
    assert_int_equal(hn_pic_layer_on_packet(&l, b, sizeof b, true, 10), HN_PIC_LAYER_FORWARD);
    assert_int_equal(seq_of(b), 13);
    assert_int_equal(u32_of(b + 4), 201);
    assert_int_equal(hn_pic_layer_on_packet(&l, b, 11, true, 10), HN_PIC_LAYER_WAIT_KEY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_follows_a_layer_change),
        cmocka_unit_test(test_reorder_and_immediate_switch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

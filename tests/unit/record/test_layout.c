/* Unit tests of server/record/layout.c: a shared screen is large, else the active speaker; the
 * grid fills the canvas; the speaker changes only after a hold and when clearly louder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "record/layout.h"

static void test_speaker_layout(void **state)
{
    (void)state;
    HnRect r[3];
    HnTileIn in[3] = {{FALSE, FALSE}, {FALSE, TRUE}, {FALSE, FALSE}};
    assert_int_equal(hn_layout_compute(HN_LAYOUT_SPEAKER, 1280, 720, in, 3, r), 1);
    assert_int_equal(r[1].w, 1280);
    assert_int_equal(r[1].h, 576);
    assert_int_equal(r[0].y, 576);
    assert_true(r[0].x + r[0].w <= r[2].x);
    in[2].screen = TRUE; /* a screen wins over the speaker */
    assert_int_equal(hn_layout_compute(HN_LAYOUT_SPEAKER, 1280, 720, in, 3, r), 2);
    assert_int_equal(r[2].w, 1280);
    HnTileIn one = {FALSE, FALSE};
    assert_int_equal(hn_layout_compute(HN_LAYOUT_SPEAKER, 640, 360, &one, 1, r), 0);
    assert_int_equal(r[0].w * r[0].h, 640 * 360);
    assert_int_equal(hn_layout_compute(HN_LAYOUT_SPEAKER, 640, 360, in, 0, r), -1);
}

static void test_grid_layout(void **state)
{
    (void)state;
    HnRect r[9];
    HnTileIn in[9] = {0};
    assert_int_equal(hn_layout_compute(HN_LAYOUT_GRID, 1280, 720, in, 9, r), -1);
    assert_int_equal(r[8].x, (1280 - 3 * 426) / 2 + 2 * 426);
    assert_int_equal(r[8].y, 2 * 240);
    hn_layout_compute(HN_LAYOUT_GRID, 1280, 720, in, 3, r); /* 2 columns, the last row centred */
    assert_int_equal(r[2].x, 320);
    assert_int_equal(r[2].y, 360);
    assert_int_equal(hn_layout_parse("grid"), HN_LAYOUT_GRID);
    assert_int_equal(hn_layout_parse("tiles"), -1);
}

static void test_speaker_pick(void **state)
{
    (void)state;
    HnSpeakerPick p;
    hn_speaker_pick_init(&p);
    double lv[3] = {NAN, -70, -60};
    assert_int_equal(hn_speaker_pick(&p, lv, 3, 0), -1); /* nobody speaks */
    lv[1] = -20;
    assert_int_equal(hn_speaker_pick(&p, lv, 3, 100000), 1);
    lv[2] = -10; /* louder, but too soon */
    assert_int_equal(hn_speaker_pick(&p, lv, 3, 500000), 1);
    lv[2] = -17; /* later, but not clearly louder */
    assert_int_equal(hn_speaker_pick(&p, lv, 3, 3000000), 1);
    lv[2] = -10;
    assert_int_equal(hn_speaker_pick(&p, lv, 3, 3000000), 2);
    lv[2] = -80; /* the speaker stops: whoever talks takes over */
    assert_int_equal(hn_speaker_pick(&p, lv, 3, 3100000), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_speaker_layout),
        cmocka_unit_test(test_grid_layout),
        cmocka_unit_test(test_speaker_pick),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

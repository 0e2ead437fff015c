/* Unit tests of server/record/hnr.c: what is written reads back; a tail cut by a crash ends the
 * reading cleanly with every whole record before it; bad files are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "record/hnr.h"

static char *tmp_path(char **dir)
{
    *dir = g_dir_make_tmp("hnr-XXXXXX", NULL);
    assert_non_null(*dir);
    return g_build_filename(*dir, "t.hnr", NULL);
}

static void cleanup(char *dir, char *path)
{
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

static void write_n(const char *path, int n)
{
    json_t *h = json_pack("{s:i, s:s, s:s, s:i}", "v", 1, "kind", "video", "codec", "VP8",
                          "clock_rate", 90000);
    GError *err = NULL;
    HnHnrWriter *w = hn_hnr_writer_open(path, h, &err);
    assert_non_null(w);
    json_decref(h);
    uint8_t pkt[1200];
    for (int i = 0; i < n; i++) {
        size_t len = 12 + (size_t)(i * 37 % 1100) + 1;
        memset(pkt, i & 0xff, len);
        assert_int_equal(hn_hnr_writer_append(w, i % 10 == 9 ? HN_HNR_RTCP : HN_HNR_RTP,
                                              1000000 + (uint64_t)i * 20000, pkt, len),
                         0);
        if (i % 100 == 0)
            assert_int_equal(hn_hnr_writer_flush(w, i % 200 == 0), 0);
    }
    assert_int_equal(hn_hnr_writer_append(w, HN_HNR_RTP, 1, pkt, 0), -EINVAL);
    assert_int_equal(hn_hnr_writer_append(w, 7, 1, pkt, 10), -EINVAL);
    hn_hnr_writer_close(w);
}

static int read_all(const char *path, gboolean *truncated)
{
    GError *err = NULL;
    HnHnrReader *r = hn_hnr_reader_open(path, &err);
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(hn_hnr_reader_header(r), "codec")),
                        "VP8");
    HnHnrRecord rec;
    int n = 0, rc;
    while ((rc = hn_hnr_reader_next(r, &rec)) == 1) {
        size_t len = 12 + (size_t)(n * 37 % 1100) + 1;
        assert_int_equal(rec.len, len);
        assert_int_equal(rec.type, n % 10 == 9 ? HN_HNR_RTCP : HN_HNR_RTP);
        assert_int_equal(rec.arrival_us, 1000000 + (uint64_t)n * 20000);
        assert_int_equal(rec.data[0], n & 0xff);
        assert_int_equal(rec.data[len - 1], n & 0xff);
        n++;
    }
    assert_int_equal(rc, 0);
    *truncated = hn_hnr_reader_truncated(r);
    hn_hnr_reader_close(r);
    return n;
}

static void test_round_trip(void **state)
{
    (void)state;
    char *dir, *path = tmp_path(&dir);
    write_n(path, 1000);
    gboolean trunc;
    assert_int_equal(read_all(path, &trunc), 1000);
    assert_false(trunc);
    /* O_EXCL: a second writer never overwrites a recording */
    json_t *h = json_object();
    assert_null(hn_hnr_writer_open(path, h, NULL));
    json_decref(h);
    cleanup(dir, path);
}

static void test_truncated_tail_keeps_whole_records(void **state)
{
    (void)state;
    char *dir, *path = tmp_path(&dir);
    write_n(path, 50);
    GStatBuf st;
    assert_int_equal(g_stat(path, &st), 0);
    /* cut inside the last record's payload, then inside a record header */
    assert_int_equal(truncate(path, st.st_size - 5), 0);
    gboolean trunc;
    assert_int_equal(read_all(path, &trunc), 49);
    assert_true(trunc);
    size_t last = 12 + (size_t)(49 * 37 % 1100) + 1;
    assert_int_equal(truncate(path, st.st_size - (off_t)last - 12 + 3), 0);
    assert_int_equal(read_all(path, &trunc), 49);
    assert_true(trunc);
    cleanup(dir, path);
}

static void test_bad_files_refused(void **state)
{
    (void)state;
    char *dir, *path = tmp_path(&dir);
    assert_true(g_file_set_contents(path, "not a recording at all", -1, NULL));
    GError *err = NULL;
    assert_null(hn_hnr_reader_open(path, &err));
    assert_non_null(err);
    g_clear_error(&err);
    assert_true(g_file_set_contents(path, "HNREC001\0\0\0\x05{bad}", 17, NULL));
    assert_null(hn_hnr_reader_open(path, &err));
    g_clear_error(&err);
    cleanup(dir, path);
}

static void test_archive_dir(void **state)
{
    (void)state;
    g_setenv("TZ", "Asia/Ho_Chi_Minh", TRUE);
    tzset();
    /* 2026-12-04 23:30 UTC is 2026-12-05 06:30 in Vietnam */
    char *d = hn_archive_meeting_dir("/data", 42, G_GINT64_CONSTANT(1796427000000));
    assert_string_equal(d, "/data/archive/2026/12/05/42");
    g_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_truncated_tail_keeps_whole_records),
        cmocka_unit_test(test_bad_files_refused),
        cmocka_unit_test(test_archive_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

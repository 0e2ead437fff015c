/* Unit tests of server/meeting/minutes.c and minutes_html.c (TZ=Asia/Ho_Chi_Minh, set by meson
 * and again here; times are arguments). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meeting/minutes.h"

#define T0  1796432400000LL /* 2026-12-05 08:00:00 +07:00, in ms */
#define SEC 1000LL

static json_t *ev(gint64 t, const char *type, const char *actor, const char *pid, json_t *data)
{
    return json_pack("{s:I, s:s, s:o, s:o, s:o}", "time", (json_int_t)t, "type", type, "actor",
                     actor ? json_string(actor) : json_null(), "participant",
                     pid ? json_string(pid) : json_null(), "data", data ? data : json_object());
}

static json_t *joined(gint64 t, const char *pid, const char *name, const char *role,
                      const char *site)
{
    return ev(t, "participant.joined", name, pid,
              json_pack("{s:s, s:s, s:o}", "name", name, "role", role, "site",
                        site ? json_string(site) : json_null()));
}

static HnMinutesInput input(void)
{
    HnMinutesInput in = {0};
    in.id = 12;
    in.room = "so-noi-vu";
    in.title = "Giao ban tháng 12";
    in.started_ms = T0 + 131 * SEC;
    in.ended_ms = T0 + 3600 * SEC;
    in.agenda = json_pack("[ss]", "Tình hình kinh tế", "Công tác <cải cách>");
    in.sites = json_pack("[ss]", "Xã Hải Phú", "Xã Gio Linh");
    in.invited = json_pack("[{s:s, s:s}]", "name", "Lê Văn C", "site", "Xã Hải Phú");
    in.notes = json_pack("[{s:i, s:s, s:s, s:s}, {s:i, s:s, s:s}, {s:i, s:s, s:s}]", "item", 2,
                         "kind", "opinion", "who", "Lê Văn C", "text", "Đề nghị bổ sung", "item", 2,
                         "kind", "conclusion", "text", "Giao Sở Nội vụ chủ trì", "item", 0, "kind",
                         "decision", "text", "Họp lại tuần sau");
    in.absent =
        json_pack("[{s:s, s:s, s:s}]", "kind", "person", "name", "Lê Văn C", "reason", "Ốm");
    in.events = json_array();
    json_array_append_new(in.events, ev(T0 + 131 * SEC, "meeting.started", NULL, NULL, NULL));
    json_array_append_new(in.events, joined(T0 + 131 * SEC, "p1", "Nguyễn Văn A", "chair", NULL));
    json_array_append_new(in.events,
                          joined(T0 + 135 * SEC, "p2", "Hội trường", "site", "Xã Hải Phú"));
    json_array_append_new(in.events, joined(T0 + 140 * SEC, "p3", "Trần Thị B", "secretary", NULL));
    json_array_append_new(in.events,
                          ev(T0 + 600 * SEC, "presentation.started", "Trần Thị B", "p3", NULL));
    json_array_append_new(in.events, ev(T0 + 1800 * SEC, "vote.opened", "Nguyễn Văn A", "p1",
                                        json_pack("{s:s}", "question", "Thông qua?")));
    json_array_append_new(
        in.events, ev(T0 + 2100 * SEC, "vote.closed", "Nguyễn Văn A", "p1",
                      json_pack("{s:s, s:b, s:I, s:[ss], s:[ii], s:i}", "question", "Thông qua?",
                                "secret", 0, "opened", (json_int_t)(T0 + 1800 * SEC), "options",
                                "Đồng ý", "Không đồng ý", "counts", 2, 1, "ballots", 3)));
    json_array_append_new(in.events,
                          ev(T0 + 2200 * SEC, "participant.left", "Hội trường", "p2", NULL));
    return in;
}

static void input_clear(HnMinutesInput *in)
{
    json_decref(in->agenda);
    json_decref(in->sites);
    json_decref(in->invited);
    json_decref(in->notes);
    json_decref(in->absent);
    json_decref(in->events);
}

static const char *s_at(json_t *m, const char *path)
{
    json_t *v = m;
    char **parts = g_strsplit(path, ".", -1);
    for (char **p = parts; *p && v; p++)
        v = g_ascii_isdigit(**p) ? json_array_get(v, (size_t)atoi(*p)) : json_object_get(v, *p);
    g_strfreev(parts);
    return json_string_value(v);
}

static json_int_t i_at(json_t *m, const char *path)
{
    json_t *v = m;
    char **parts = g_strsplit(path, ".", -1);
    for (char **p = parts; *p && v; p++)
        v = g_ascii_isdigit(**p) ? json_array_get(v, (size_t)atoi(*p)) : json_object_get(v, *p);
    g_strfreev(parts);
    return json_integer_value(v);
}

static void test_build(void **state)
{
    (void)state;
    HnMinutesConfig cfg = {.agency_parent = "ỦY BAN NHÂN DÂN TỈNH QUẢNG TRỊ",
                           .agency_code = "VP",
                           .agency_place = "Quảng Trị"};
    HnMinutesInput in = input();
    json_t *m = hn_minutes_build(&cfg, &in);
    assert_non_null(m);
    assert_int_equal(i_at(m, "version"), 1);
    assert_true(json_is_true(json_object_get(m, "draft")));
    assert_string_equal(s_at(m, "number"), "12/BB-VP");
    assert_string_equal(s_at(m, "date"), "2026-12-05");
    assert_string_equal(s_at(m, "meeting.started"), "2026-12-05T08:02:11+07:00");
    assert_string_equal(s_at(m, "meeting.ended"), "2026-12-05T09:00:00+07:00");
    assert_string_equal(s_at(m, "chair.name"), "Nguyễn Văn A");
    assert_string_equal(s_at(m, "secretary.name"), "Trần Thị B");
    /* sites: the hall from 08:02:15 to 08:36:40; Gio Linh never came */
    assert_string_equal(s_at(m, "sites.0.name"), "Xã Hải Phú");
    assert_string_equal(s_at(m, "sites.0.state"), "present_hall");
    assert_string_equal(s_at(m, "sites.0.intervals.0.0"), "08:02:15");
    assert_string_equal(s_at(m, "sites.0.intervals.0.1"), "08:36:40");
    assert_int_equal(i_at(m, "sites.0.presence_s"), 2200 - 135);
    assert_string_equal(s_at(m, "sites.1.state"), "not_checked_in");
    /* the invited person did not come: absent with the reason */
    assert_string_equal(s_at(m, "attendance.0.name"), "Lê Văn C");
    assert_string_equal(s_at(m, "attendance.0.state"), "absent");
    assert_string_equal(s_at(m, "attendance.0.reason"), "Ốm");
    assert_string_equal(s_at(m, "attendance.1.name"), "Nguyễn Văn A");
    assert_int_equal(i_at(m, "attendance.1.presence_s"), 3600 - 131);
    /* agenda: notes under item 2, the general one last */
    assert_int_equal(json_array_size(json_object_get(m, "agenda")), 3);
    assert_string_equal(s_at(m, "agenda.1.title"), "Công tác <cải cách>");
    assert_string_equal(s_at(m, "agenda.1.opinions.0.who"), "Lê Văn C");
    assert_string_equal(s_at(m, "agenda.1.conclusions.0"), "Giao Sở Nội vụ chủ trì");
    assert_int_equal(i_at(m, "agenda.2.n"), 0);
    assert_string_equal(s_at(m, "agenda.2.decisions.0"), "Họp lại tuần sau");
    /* the vote's result */
    assert_string_equal(s_at(m, "votes.0.result"), "Đồng ý 2/3");
    assert_string_equal(s_at(m, "votes.0.opened"), "08:30:00");
    assert_string_equal(s_at(m, "votes.0.closed"), "08:35:00");
    /* event lines */
    assert_string_equal(s_at(m, "events.1.text"), "Trần Thị B trình chiếu màn hình");
    assert_string_equal(s_at(m, "events.1.time"), "08:10:00");

    char *html = hn_minutes_html(m);
    assert_non_null(strstr(html, "Công tác &lt;cải cách&gt;"));
    assert_null(strstr(html, "<cải cách>"));
    assert_non_null(strstr(html, "BIÊN BẢN"));
    assert_non_null(strstr(html, "Số: 12/BB-VP"));
    assert_non_null(strstr(html, "ngày 05 tháng 12 năm 2026"));
    assert_non_null(strstr(html, "data-n=\"2\""));
    assert_non_null(strstr(html, "Kết quả: Đồng ý 2/3"));
    assert_non_null(strstr(html, "Chưa điểm danh"));
    assert_true(g_utf8_validate(html, -1, NULL));
    g_free(html);
    json_decref(m);
    input_clear(&in);
}

static void test_edit(void **state)
{
    (void)state;
    HnMinutesConfig cfg = {0};
    HnMinutesInput in = input();
    json_t *m = hn_minutes_build(&cfg, &in);
    const char *why = NULL;
    json_t *edit =
        json_loads("{\"agenda\": [{\"title\": \"Một\", \"opinions\": [{\"who\": \"X\","
                   " \"text\": \"<b>sửa</b>\"}], \"conclusions\": [\"KL\"]}],"
                   " \"reasons\": [{\"kind\": \"site\", \"name\": \"Xã Gio Linh\","
                   " \"reason\": \"Bão\"}, {\"kind\": \"site\", \"name\": \"Xã Hải Phú\","
                   " \"reason\": \"x\"}], \"summary\": \"Về việc A\"}",
                   0, NULL);
    json_t *m2 = hn_minutes_edit(m, edit, &why);
    assert_non_null(m2);
    assert_int_equal(i_at(m2, "minutes_version"), 2);
    assert_string_equal(s_at(m2, "agenda.0.opinions.0.text"), "<b>sửa</b>");
    assert_int_equal(json_array_size(json_object_get(m2, "agenda")), 1);
    assert_string_equal(s_at(m2, "sites.1.state"), "absent");
    assert_string_equal(s_at(m2, "sites.1.reason"), "Bão");
    /* a site that came keeps its state */
    assert_string_equal(s_at(m2, "sites.0.state"), "present_hall");
    assert_string_equal(s_at(m2, "meeting.summary"), "Về việc A");
    char *html = hn_minutes_html(m2);
    assert_non_null(strstr(html, "&lt;b&gt;sửa&lt;/b&gt;"));
    g_free(html);
    json_decref(edit);
    json_decref(m2);

    /* malformed edits are refused with a reason, the minutes unchanged */
    static const char *const bad[] = {
        "{\"agenda\": 3}",
        "{\"agenda\": [{\"title\": \"\"}]}",
        "{\"agenda\": [{\"title\": \"a\", \"opinions\": [{\"text\": 5}]}]}",
        "{\"reasons\": [{\"kind\": \"room\", \"name\": \"a\"}]}",
        "{\"owner\": 1}",
        "[]",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        json_t *e = json_loads(bad[i], 0, NULL);
        why = NULL;
        assert_null(hn_minutes_edit(m, e, &why));
        assert_non_null(why);
        json_decref(e);
    }
    assert_int_equal(i_at(m, "minutes_version"), 1);
    json_decref(m);
    input_clear(&in);
}

int main(void)
{
    setenv("TZ", "Asia/Ho_Chi_Minh", 1);
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_edit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

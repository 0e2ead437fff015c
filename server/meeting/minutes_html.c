/* minutes.html: the minutes.json of a meeting as a printable Vietnamese page (see minutes.h).
 * Every value goes through esc(); the page has no script and loads nothing. */
#include <string.h>

#include "meeting/minutes.h"

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* Appends s HTML-escaped. */
static void esc(GString *out, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        switch (*p) {
        case '<':
            g_string_append(out, "&lt;");
            break;
        case '>':
            g_string_append(out, "&gt;");
            break;
        case '&':
            g_string_append(out, "&amp;");
            break;
        case '"':
            g_string_append(out, "&quot;");
            break;
        case '\'':
            g_string_append(out, "&#39;");
            break;
        default:
            g_string_append_c(out, *p);
        }
    }
}

static void tag(GString *out, const char *open, const char *text, const char *close)
{
    g_string_append(out, open);
    esc(out, text);
    g_string_append(out, close);
}

static const char *state_label(const char *state)
{
    if (!state)
        return "";
    if (strcmp(state, "present_hall") == 0)
        return "Có mặt tại hội trường";
    if (strcmp(state, "present_online") == 0)
        return "Có mặt trực tuyến";
    if (strcmp(state, "absent") == 0)
        return "Vắng mặt có lý do";
    return "Chưa điểm danh";
}

static void duration(GString *out, json_int_t s)
{
    g_string_append_printf(out, "%d:%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
}

/* "08:02:11 ngày 05/12/2026" of an ISO time. */
static void when(GString *out, const char *iso)
{
    if (!iso || strlen(iso) < 19) {
        g_string_append(out, "…");
        return;
    }
    g_string_append_printf(out, "%.8s ngày %.2s/%.2s/%.4s", iso + 11, iso + 8, iso + 5, iso);
}

static void attendance_table(GString *out, const json_t *list, gboolean people)
{
    g_string_append(out, people
                             ? "<table class=\"attendance\"><tr><th>TT</th><th>Họ và tên</th>"
                               "<th>Điểm cầu</th><th>Trạng thái</th><th>Thời gian tham dự</th>"
                               "<th>Tổng</th></tr>\n"
                             : "<table class=\"sites\"><tr><th>TT</th><th>Điểm cầu</th>"
                               "<th>Trạng thái</th><th>Thời gian kết nối</th><th>Tổng</th></tr>\n");
    size_t i, k;
    json_t *e, *iv;
    json_array_foreach(list, i, e)
    {
        g_string_append_printf(out, "<tr data-state=\"%s\"><td>%zu</td>", jstr(e, "state"), i + 1);
        tag(out, "<td class=\"name\">", jstr(e, "name"), "</td>");
        if (people)
            tag(out, "<td>", jstr(e, "site"), "</td>");
        tag(out, "<td class=\"state\">", state_label(jstr(e, "state")), "");
        if (*jstr(e, "reason"))
            tag(out, " (", jstr(e, "reason"), ")");
        g_string_append(out, "</td><td>");
        json_array_foreach(json_object_get(e, "intervals"), k, iv)
        {
            g_string_append(out, k ? ", " : "");
            esc(out, json_string_value(json_array_get(iv, 0)));
            g_string_append(out, "–");
            esc(out, json_string_value(json_array_get(iv, 1)));
        }
        g_string_append(out, "</td><td>");
        duration(out, json_integer_value(json_object_get(e, "presence_s")));
        g_string_append(out, "</td></tr>\n");
    }
    g_string_append(out, "</table>\n");
}

static void agenda(GString *out, const json_t *items)
{
    size_t i, k;
    json_t *it, *x;
    json_array_foreach(items, i, it)
    {
        json_int_t n = json_integer_value(json_object_get(it, "n"));
        g_string_append_printf(out, "<section class=\"agenda-item\" data-n=\"%d\"><h3>%zu. ",
                               (int)n, i + 1);
        esc(out, jstr(it, "title"));
        g_string_append(out, "</h3>\n");
        if (json_array_size(json_object_get(it, "opinions"))) {
            g_string_append(out, "<p><b>Ý kiến:</b></p><ul class=\"opinions\">\n");
            json_array_foreach(json_object_get(it, "opinions"), k, x)
            {
                g_string_append(out, "<li>");
                if (*jstr(x, "who"))
                    tag(out, "<b>", jstr(x, "who"), ":</b> ");
                esc(out, jstr(x, "text"));
                g_string_append(out, "</li>\n");
            }
            g_string_append(out, "</ul>\n");
        }
        static const char *const lists[][2] = {{"conclusions", "Kết luận"},
                                               {"decisions", "Quyết định"}};
        for (int l = 0; l < 2; l++) {
            json_t *arr = json_object_get(it, lists[l][0]);
            if (!json_array_size(arr))
                continue;
            g_string_append_printf(out, "<p><b>%s:</b></p><ul class=\"%s\">\n", lists[l][1],
                                   lists[l][0]);
            json_array_foreach(arr, k, x) tag(out, "<li>", json_string_value(x), "</li>\n");
            g_string_append(out, "</ul>\n");
        }
        g_string_append(out, "</section>\n");
    }
}

static void votes(GString *out, const json_t *list)
{
    size_t i, k;
    json_t *v, *o;
    json_array_foreach(list, i, v)
    {
        g_string_append(out, "<div class=\"vote\"><p><b>");
        esc(out, jstr(v, "question"));
        g_string_append(out, "</b>");
        if (json_is_true(json_object_get(v, "secret")))
            g_string_append(out, " (bỏ phiếu kín)");
        g_string_append(out, " — ");
        esc(out, jstr(v, "opened"));
        g_string_append(out, "–");
        esc(out, jstr(v, "closed"));
        g_string_append(out, "</p><ul>");
        json_array_foreach(json_object_get(v, "options"), k, o)
        {
            g_string_append(out, "<li>");
            esc(out, jstr(o, "label"));
            g_string_append_printf(out, ": %d</li>",
                                   (int)json_integer_value(json_object_get(o, "count")));
        }
        g_string_append(out, "</ul>");
        tag(out, "<p class=\"result\">Kết quả: ", jstr(v, "result"), "</p></div>\n");
    }
}

char *hn_minutes_html(const json_t *m)
{
    GString *out = g_string_new(NULL);
    const json_t *ag = json_object_get(m, "agency"), *mt = json_object_get(m, "meeting");
    const char *date = jstr(m, "date");
    gboolean draft = json_is_true(json_object_get(m, "draft"));
    g_string_append(out, "<!doctype html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
                         "<meta name=\"viewport\" content=\"width=device-width\"><title>Biên bản ");
    esc(out, jstr(mt, "title"));
    g_string_append(
        out,
        "</title><style>body{font-family:'Times New Roman','Liberation Serif',serif;font-size:14pt;"
        "max-width:21cm;margin:auto;padding:1.5cm 2cm 2cm 3cm;line-height:1.4}"
        ".head{display:flex;justify-content:space-between;text-align:center}"
        ".head div{flex:1}h1{text-align:center;font-size:14pt;margin:1em 0 0}"
        ".sub{text-align:center;font-weight:bold}.draft{color:#b00;text-align:center;"
        "font-weight:bold;border:2px solid #b00;padding:.2em}table{border-collapse:collapse;"
        "width:100%;font-size:12pt}td,th{border:1px solid #000;padding:2px 4px}"
        ".signs{display:flex;justify-content:space-between;text-align:center;margin-top:2em}"
        ".signs div{flex:1;min-height:6em}h2{font-size:14pt}h3{font-size:14pt;font-style:italic}"
        "@media print{.draft{border:none}}</style></head><body>\n");
    if (draft)
        g_string_append_printf(out, "<p class=\"draft\">DỰ THẢO (phiên bản %d)</p>\n",
                               (int)json_integer_value(json_object_get(m, "minutes_version")));
    g_string_append(out, "<div class=\"head\"><div>");
    esc(out, jstr(ag, "parent"));
    g_string_append(out, "<br><b>");
    esc(out, jstr(ag, "name"));
    g_string_append(out, "</b><br>Số: ");
    esc(out, jstr(m, "number"));
    g_string_append(out, "</div><div><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br>"
                         "<b><u>Độc lập - Tự do - Hạnh phúc</u></b><br><i>");
    esc(out, jstr(ag, "place"));
    if (strlen(date) == 10)
        g_string_append_printf(out, "%sngày %.2s tháng %.2s năm %.4s",
                               *jstr(ag, "place") ? ", " : "", date + 8, date + 5, date);
    g_string_append(out, "</i></div></div>\n<h1>BIÊN BẢN</h1>\n");
    tag(out, "<p class=\"sub\">", jstr(mt, "title"), "</p>\n");
    if (*jstr(mt, "summary"))
        tag(out, "<p class=\"sub\">", jstr(mt, "summary"), "</p>\n");

    g_string_append(out,
                    "<h2>I. THỜI GIAN, ĐỊA ĐIỂM VÀ THÀNH PHẦN</h2>\n<p>Thời gian: bắt đầu lúc ");
    when(out, jstr(mt, "started"));
    g_string_append(out, ", kết thúc lúc ");
    when(out, jstr(mt, "ended"));
    g_string_append(out, ".</p>\n");
    tag(out, "<p>Địa điểm: ", *jstr(mt, "place") ? jstr(mt, "place") : "trực tuyến", "</p>\n");
    const json_t *chair = json_object_get(m, "chair"), *sec = json_object_get(m, "secretary");
    tag(out, "<p>Chủ trì: <span class=\"chair\">", jstr(chair, "name"), "</span>");
    if (*jstr(chair, "title"))
        tag(out, ", ", jstr(chair, "title"), "");
    tag(out, ".</p>\n<p>Thư ký: <span class=\"secretary\">", jstr(sec, "name"), "</span>");
    if (*jstr(sec, "title"))
        tag(out, ", ", jstr(sec, "title"), "");
    g_string_append(out, ".</p>\n");
    if (json_array_size(json_object_get(m, "sites"))) {
        g_string_append(out, "<p>Các điểm cầu:</p>\n");
        attendance_table(out, json_object_get(m, "sites"), FALSE);
    }
    g_string_append(out, "<p>Thành phần tham dự:</p>\n");
    attendance_table(out, json_object_get(m, "attendance"), TRUE);

    g_string_append(out, "<h2>II. NỘI DUNG CUỘC HỌP</h2>\n");
    agenda(out, json_object_get(m, "agenda"));
    if (json_array_size(json_object_get(m, "votes"))) {
        g_string_append(out, "<h2>III. BIỂU QUYẾT</h2>\n");
        votes(out, json_object_get(m, "votes"));
    }
    size_t i;
    json_t *v;
    if (json_array_size(json_object_get(m, "events"))) {
        g_string_append(out, "<h2>DIỄN BIẾN</h2>\n<ul class=\"events\">\n");
        json_array_foreach(json_object_get(m, "events"), i, v)
        {
            tag(out, "<li>", jstr(v, "time"), " — ");
            esc(out, jstr(v, "text"));
            g_string_append(out, "</li>\n");
        }
        g_string_append(out, "</ul>\n");
    }
    if (json_array_size(json_object_get(m, "recordings"))) {
        g_string_append(out, "<h2>TỆP GHI HÌNH</h2>\n<ul class=\"recordings\">\n");
        json_array_foreach(json_object_get(m, "recordings"), i, v)
        {
            tag(out, "<li>", jstr(v, "file"), "");
            g_string_append_printf(out, " (%" JSON_INTEGER_FORMAT " byte), SHA-256: <code>",
                                   json_integer_value(json_object_get(v, "bytes")));
            esc(out, jstr(v, "sha256"));
            g_string_append(out, "</code></li>\n");
        }
        g_string_append(out, "</ul>\n");
    }
    g_string_append(out, "<p>Cuộc họp kết thúc lúc ");
    when(out, jstr(mt, "ended"));
    g_string_append(out, ".</p>\n<div class=\"signs\"><div><b>");
    const json_t *s1 = json_object_get(m, "secretary_signature"),
                 *s2 = json_object_get(m, "signature");
    esc(out, jstr(s1, "title"));
    g_string_append(out, "</b><br><br><br><br>");
    esc(out, jstr(s1, "signer"));
    g_string_append(out, "</div><div><b>");
    esc(out, jstr(s2, "title"));
    g_string_append(out, "</b><br><br><br><br>");
    esc(out, jstr(s2, "signer"));
    g_string_append(out, "</div></div>\n<p><i><b>Nơi nhận:</b></i></p><ul class=\"recipients\">");
    json_array_foreach(json_object_get(m, "recipients"), i, v)
        tag(out, "<li>", json_string_value(v), "</li>");
    g_string_append(out, "</ul>\n</body></html>\n");
    return g_string_free(out, FALSE);
}

/* minutes.pdf in the layout of Decree 30/2020/NĐ-CP (see minutes_pdf.h).
 *
 * A tiny flow layout: a cursor d->y walks down the page; a paragraph is a PangoLayout drawn
 * line by line so that it breaks across pages; a table row is drawn whole (rows are short) and
 * the header row is repeated on each new page. Units are PostScript points (1/72 in), the
 * PangoContext's resolution is 72 dpi so that a font size is in points. */
#include "meeting/minutes_pdf.h"

#include <cairo-pdf.h>
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <glib/gstdio.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <string.h>

#define MM       (72.0 / 25.4)
#define PAGE_W   (210 * MM)
#define PAGE_H   (297 * MM)
#define M_TOP    (20 * MM)
#define M_BOTTOM (20 * MM)
#define M_LEFT   (30 * MM)
#define M_RIGHT  (15 * MM)
#define TEXT_W   (PAGE_W - M_LEFT - M_RIGHT)
#define INDENT   (10 * MM) /* first line of a paragraph: 1-1.27 cm */
#define FONT     "Times New Roman"
#define MONO     "Liberation Mono"
#define BODY     14.0
#define PARA_GAP 6.0 /* at least 6 pt between paragraphs */
#define LINE     1.1 /* line height: single to 1.5 lines */
#define CELL_PAD 3.0
#define ELLIPSIS "…"

G_DEFINE_QUARK(hn - minutes - pdf - error - quark, hn_minutes_pdf_error)

typedef struct {
    cairo_surface_t *surface;
    cairo_t *cr;
    PangoContext *pc;
    double y;
    int page;
    char *draft; /* the draft mark of every page, or NULL */
} Doc;

typedef enum { ST_PLAIN = 0, ST_CENTER = 1, ST_JUSTIFY = 2, ST_INDENT = 4 } Style;

/* ---- minutes.json access: a missing or mistyped field is NULL ---- */

static const char *jstr(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

static json_int_t jint(const json_t *o, const char *key, json_int_t dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static json_t *jarr(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_array(v) ? v : NULL;
}

static json_t *jobj(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_object(v) ? v : NULL;
}

/* s, or an ellipsis, made safe for pango markup (control characters become spaces). */
static char *esc(const char *s)
{
    char *t = g_strdup(s ? s : ELLIPSIS);
    for (char *p = t; *p; p++) {
        if ((guchar)*p < 0x20 && *p != '\n')
            *p = ' ';
    }
    char *m = g_markup_escape_text(t, -1);
    g_free(t);
    return m;
}

/* Vietnamese administrative dates: a day below 10 and the months 1 and 2 get a leading 0. */
static char *date_vn(int y, int m, int d)
{
    return g_strdup_printf("ngày %02d tháng %s%d năm %d", d, m < 3 ? "0" : "", m, y);
}

/* "08 giờ 02 phút, ngày 05 tháng 12 năm 2026" from an ISO 8601 time. transfer full. */
static char *time_vn(const char *iso)
{
    GDateTime *t = iso ? g_date_time_new_from_iso8601(iso, NULL) : NULL;
    if (!t)
        return g_strdup(ELLIPSIS);
    g_autofree char *date =
        date_vn(g_date_time_get_year(t), g_date_time_get_month(t), g_date_time_get_day_of_month(t));
    char *s = g_strdup_printf("%02d giờ %02d phút, %s", g_date_time_get_hour(t),
                              g_date_time_get_minute(t), date);
    g_date_time_unref(t);
    return s;
}

static char *duration_vn(json_int_t s)
{
    if (s <= 0)
        return g_strdup("—");
    if (s < 60)
        return g_strdup("dưới 1 phút");
    if (s < 3600)
        return g_strdup_printf("%d phút", (int)(s / 60));
    return g_strdup_printf("%d giờ %02d phút", (int)(s / 3600), (int)(s % 3600 / 60));
}

/* 123456 -> "123.456" */
static char *thousands(json_int_t v)
{
    char digits[32];
    g_snprintf(digits, sizeof digits, "%" JSON_INTEGER_FORMAT, v < 0 ? 0 : v);
    GString *s = g_string_new(NULL);
    gsize n = strlen(digits);
    for (gsize i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            g_string_append_c(s, '.');
        g_string_append_c(s, digits[i]);
    }
    return g_string_free(s, FALSE);
}

static const char *state_vn(const char *state)
{
    static const char *const names[][2] = {
        {"present_hall", "Có mặt tại hội trường"},
        {"present_online", "Tham dự trực tuyến"},
        {"absent", "Vắng mặt"},
        {"not_checked_in", "Chưa điểm danh"},
    };
    for (guint i = 0; state && i < G_N_ELEMENTS(names); i++) {
        if (strcmp(state, names[i][0]) == 0)
            return names[i][1];
    }
    return ELLIPSIS;
}

/* ---- drawing ---- */

static PangoLayout *layout(Doc *d, const char *family, double size, double width,
                           PangoAlignment align, gboolean justify, double indent,
                           const char *markup)
{
    PangoLayout *l = pango_layout_new(d->pc);
    PangoFontDescription *fd = pango_font_description_new();
    pango_font_description_set_family(fd, family);
    pango_font_description_set_size(fd, (int)(size * PANGO_SCALE));
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_width(l, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment(l, align);
    pango_layout_set_justify(l, justify);
    pango_layout_set_indent(l, (int)(indent * PANGO_SCALE));
    pango_layout_set_markup(l, markup, -1);
    return l;
}

static double layout_h(PangoLayout *l)
{
    int w, h;
    pango_layout_get_size(l, &w, &h);
    return h / (double)PANGO_SCALE;
}

static double layout_w(PangoLayout *l)
{
    PangoRectangle ink, logical;
    pango_layout_get_extents(l, &ink, &logical);
    return logical.width / (double)PANGO_SCALE;
}

static void show_at(Doc *d, PangoLayout *l, double x, double y)
{
    cairo_move_to(d->cr, x, y);
    pango_cairo_show_layout(d->cr, l);
}

static void hrule(Doc *d, double cx, double w, double y)
{
    cairo_set_line_width(d->cr, 0.6);
    cairo_move_to(d->cr, cx - w / 2, y);
    cairo_line_to(d->cr, cx + w / 2, y);
    cairo_stroke(d->cr);
}

/* A bold mark in a frame, centred on cx, its top at y (the draft mark, the secrecy mark). */
static double boxed_mark(Doc *d, const char *text, double cx, double y, double size, gboolean red)
{
    g_autofree char *m = g_markup_printf_escaped("<b>%s</b>", text);
    PangoLayout *l = layout(d, FONT, size, -1, PANGO_ALIGN_LEFT, FALSE, 0, m);
    double w = layout_w(l), h = layout_h(l);
    if (red)
        cairo_set_source_rgb(d->cr, 0.8, 0, 0);
    show_at(d, l, cx - w / 2, y + 2);
    cairo_set_line_width(d->cr, 1.0);
    cairo_rectangle(d->cr, cx - w / 2 - 4, y, w + 8, h + 4);
    cairo_stroke(d->cr);
    cairo_set_source_rgb(d->cr, 0, 0, 0);
    g_object_unref(l);
    return h + 4;
}

/* The page number (from page 2, centred in the top margin) and the draft mark. */
static void furniture(Doc *d)
{
    if (d->page >= 2) {
        g_autofree char *n = g_strdup_printf("%d", d->page);
        PangoLayout *l = layout(d, FONT, 13, TEXT_W, PANGO_ALIGN_CENTER, FALSE, 0, n);
        show_at(d, l, M_LEFT, 9 * MM);
        g_object_unref(l);
    }
    if (d->draft)
        boxed_mark(d, d->draft, PAGE_W - M_RIGHT - 18 * MM, 8 * MM, 11, FALSE);
}

static void new_page(Doc *d)
{
    cairo_show_page(d->cr);
    d->page++;
    d->y = M_TOP;
    furniture(d);
}

static double bottom(void)
{
    return PAGE_H - M_BOTTOM;
}

/* Starts a new page unless h more points fit on this one. */
static void ensure(Doc *d, double h)
{
    if (d->y + h > bottom() && d->y > M_TOP + 1)
        new_page(d);
}

/* Draws l at x from the cursor, line by line, breaking pages between lines. */
static void flow(Doc *d, PangoLayout *l, double x, double gap)
{
    PangoLayoutIter *it = pango_layout_get_iter(l);
    do {
        PangoRectangle logical;
        pango_layout_iter_get_line_extents(it, NULL, &logical);
        double h = logical.height / (double)PANGO_SCALE * LINE;
        double base = (pango_layout_iter_get_baseline(it) - logical.y) / (double)PANGO_SCALE;
        ensure(d, h);
        cairo_move_to(d->cr, x + logical.x / (double)PANGO_SCALE, d->y + base);
        pango_cairo_show_layout_line(d->cr, pango_layout_iter_get_line_readonly(it));
        d->y += h;
    } while (pango_layout_iter_next_line(it));
    pango_layout_iter_free(it);
    d->y += gap;
}

/* A body paragraph (markup), 14 pt. */
static void para(Doc *d, int style, const char *markup)
{
    PangoLayout *l =
        layout(d, FONT, BODY, TEXT_W, style & ST_CENTER ? PANGO_ALIGN_CENTER : PANGO_ALIGN_LEFT,
               (style & ST_JUSTIFY) != 0, style & ST_INDENT ? INDENT : 0, markup);
    flow(d, l, M_LEFT, PARA_GAP);
    g_object_unref(l);
}

static void paraf(Doc *d, int style, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void paraf(Doc *d, int style, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *m = g_markup_vprintf_escaped(fmt, ap);
    va_end(ap);
    para(d, style, m);
}

/* A heading kept with at least two lines of what follows. */
static void heading(Doc *d, const char *text)
{
    ensure(d, 3 * BODY * 1.3);
    paraf(d, ST_INDENT, "<b>%s</b>", text);
}

/* ---- the header (page 1) ---- */

static void header(Doc *d, const json_t *m)
{
    const json_t *agency = jobj(m, "agency");
    const json_t *meeting = jobj(m, "meeting");
    double wl = TEXT_W * 0.42, wr = TEXT_W - wl, xl = M_LEFT, xr = M_LEFT + wl;
    double yl = M_TOP, yr = M_TOP;

    g_autofree char *parent =
        g_utf8_strup(jstr(agency, "parent") ? jstr(agency, "parent") : "", -1);
    g_autofree char *name =
        g_utf8_strup(jstr(agency, "name") ? jstr(agency, "name") : ELLIPSIS, -1);
    g_autofree char *mp = esc(parent), *mn = g_markup_printf_escaped("<b>%s</b>", name);
    if (*parent) {
        PangoLayout *l = layout(d, FONT, 12.5, wl, PANGO_ALIGN_CENTER, FALSE, 0, mp);
        show_at(d, l, xl, yl);
        yl += layout_h(l);
        g_object_unref(l);
    }
    PangoLayout *l = layout(d, FONT, 12.5, wl, PANGO_ALIGN_CENTER, FALSE, 0, mn);
    show_at(d, l, xl, yl);
    yl += layout_h(l) + 3;
    hrule(d, xl + wl / 2, MIN(layout_w(l), wl) * 0.4, yl); /* 1/3 to 1/2 of the line */
    g_object_unref(l);
    yl += 6;

    l = layout(d, FONT, 12.5, wr, PANGO_ALIGN_CENTER, FALSE, 0,
               "<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b>");
    show_at(d, l, xr, yr);
    yr += layout_h(l);
    g_object_unref(l);
    l = layout(d, FONT, 13.5, wr, PANGO_ALIGN_CENTER, FALSE, 0,
               "<b>Độc lập - Tự do - Hạnh phúc</b>");
    show_at(d, l, xr, yr);
    yr += layout_h(l) + 2;
    hrule(d, xr + wr / 2, layout_w(l), yr); /* as long as the motto */
    g_object_unref(l);
    yr += 6;

    double y = MAX(yl, yr) + 4;
    g_autofree char *num = g_markup_printf_escaped(
        "Số: %s", jstr(m, "number") ? jstr(m, "number") : "     /BB-" ELLIPSIS);
    l = layout(d, FONT, 13, wl, PANGO_ALIGN_CENTER, FALSE, 0, num);
    show_at(d, l, xl, y);
    double hl = layout_h(l);
    g_object_unref(l);

    int yy = 0, mo = 0, dd = 0;
    const char *date = jstr(m, "date");
    g_autofree char *dv = date && sscanf(date, "%4d-%2d-%2d", &yy, &mo, &dd) == 3 && mo >= 1 &&
                                  mo <= 12 && dd >= 1 && dd <= 31
                              ? date_vn(yy, mo, dd)
                              : g_strdup("ngày " ELLIPSIS);
    g_autofree char *place = g_markup_printf_escaped(
        "<i>%s, %s</i>", jstr(agency, "place") ? jstr(agency, "place") : ELLIPSIS, dv);
    l = layout(d, FONT, 13.5, wr, PANGO_ALIGN_CENTER, FALSE, 0, place);
    show_at(d, l, xr, y);
    double hr = layout_h(l);
    g_object_unref(l);
    y += MAX(hl, hr) + 4;

    /* a confidential meeting: the secrecy mark under the number (Decree 30, box 10a) */
    if (json_is_true(json_object_get(meeting, "confidential")))
        y += boxed_mark(d, "MẬT", xl + wl / 2, y + 2, 13, TRUE) + 4;
    d->y = y + 18;
}

/* ---- the body ---- */

static void title(Doc *d, const json_t *m)
{
    const json_t *meeting = jobj(m, "meeting");
    para(d, ST_CENTER, "<b>BIÊN BẢN</b>");
    d->y -= PARA_GAP;
    const char *summary = jstr(meeting, "summary");
    g_autofree char *s =
        summary ? g_strdup(summary)
                : g_strdup_printf("Cuộc họp %s",
                                  jstr(meeting, "title") ? jstr(meeting, "title") : ELLIPSIS);
    paraf(d, ST_CENTER, "<b>%s</b>", s);
    hrule(d, M_LEFT + TEXT_W / 2, TEXT_W / 4, d->y - 2);
    d->y += 12;
}

static void person_line(Doc *d, const char *label, const json_t *p)
{
    const char *name = jstr(p, "name"), *t = jstr(p, "title");
    if (t)
        paraf(d, ST_INDENT | ST_JUSTIFY, "- %s: %s, %s.", label, name ? name : ELLIPSIS, t);
    else
        paraf(d, ST_INDENT | ST_JUSTIFY, "- %s: %s.", label, name ? name : ELLIPSIS);
}

static void opening(Doc *d, const json_t *m)
{
    const json_t *meeting = jobj(m, "meeting");
    g_autofree char *start = time_vn(jstr(meeting, "started"));
    paraf(d, ST_INDENT | ST_JUSTIFY, "- Thời gian bắt đầu: %s.", start);
    const char *place = jstr(meeting, "place");
    paraf(d, ST_INDENT | ST_JUSTIFY, "- Địa điểm: %s.", place ? place : ELLIPSIS);
    json_t *sites = jarr(m, "sites");
    if (sites && json_array_size(sites) > 0) {
        GString *s = g_string_new("- Các điểm cầu kết nối: ");
        size_t i;
        json_t *site;
        json_array_foreach(sites, i, site)
        {
            g_autofree char *n = esc(jstr(site, "name"));
            g_autofree char *dur = duration_vn(jint(site, "presence_s", 0));
            g_string_append_printf(s, "%s%s (%s, %s)", i ? "; " : "", n,
                                   state_vn(jstr(site, "state")), dur);
        }
        g_string_append(s, ".");
        para(d, ST_INDENT | ST_JUSTIFY, s->str);
        g_string_free(s, TRUE);
    }
    person_line(d, "Chủ trì (chủ tọa)", jobj(m, "chair"));
    person_line(d, "Thư ký (người ghi biên bản)", jobj(m, "secretary"));
}

typedef struct {
    const char *title;
    double frac;
    PangoAlignment align;
} Col;

static const Col att_cols[] = {
    {"TT", 0.07, PANGO_ALIGN_CENTER},           {"Họ và tên", 0.29, PANGO_ALIGN_LEFT},
    {"Điểm cầu", 0.24, PANGO_ALIGN_LEFT},       {"Tình trạng", 0.25, PANGO_ALIGN_LEFT},
    {"Thời gian dự", 0.15, PANGO_ALIGN_CENTER},
};
#define N_COLS G_N_ELEMENTS(att_cols)

/* One row of markup cells; the header row again at the top of a new page. */
static void table_row(Doc *d, char *const *cells, gboolean is_header)
{
    PangoLayout *ls[N_COLS];
    double h = 0;
    for (guint c = 0; c < N_COLS; c++) {
        double w = TEXT_W * att_cols[c].frac - 2 * CELL_PAD;
        ls[c] = layout(d, FONT, 12, w, is_header ? PANGO_ALIGN_CENTER : att_cols[c].align, FALSE, 0,
                       cells[c]);
        h = MAX(h, layout_h(ls[c]) + 2 * CELL_PAD);
    }
    if (d->y + h > bottom() && !is_header) {
        new_page(d);
        char *hdr[N_COLS];
        for (guint c = 0; c < N_COLS; c++)
            hdr[c] = g_markup_printf_escaped("<b>%s</b>", att_cols[c].title);
        table_row(d, hdr, TRUE);
        for (guint c = 0; c < N_COLS; c++)
            g_free(hdr[c]);
    }
    double x = M_LEFT;
    cairo_set_line_width(d->cr, 0.5);
    for (guint c = 0; c < N_COLS; c++) {
        double w = TEXT_W * att_cols[c].frac;
        cairo_rectangle(d->cr, x, d->y, w, h);
        cairo_stroke(d->cr);
        show_at(d, ls[c], x + CELL_PAD, d->y + CELL_PAD);
        g_object_unref(ls[c]);
        x += w;
    }
    d->y += h;
}

static void attendance(Doc *d, const json_t *m)
{
    json_t *att = jarr(m, "attendance");
    size_t n = att ? json_array_size(att) : 0;
    int count[4] = {0};
    static const char *const states[] = {"present_hall", "present_online", "absent",
                                         "not_checked_in"};
    size_t i;
    json_t *a;
    json_array_foreach(att, i, a)
    {
        const char *st = jstr(a, "state");
        for (guint k = 0; st && k < G_N_ELEMENTS(states); k++)
            count[k] += strcmp(st, states[k]) == 0;
    }
    paraf(d, ST_INDENT | ST_JUSTIFY,
          "- Thành phần tham dự: %zu người; có mặt tại hội trường %d, tham dự trực tuyến %d, "
          "vắng mặt %d, chưa điểm danh %d (danh sách dưới đây).",
          n, count[0], count[1], count[2], count[3]);
    if (n == 0)
        return;
    ensure(d, 60);
    char *cells[N_COLS];
    for (guint c = 0; c < N_COLS; c++)
        cells[c] = g_markup_printf_escaped("<b>%s</b>", att_cols[c].title);
    table_row(d, cells, TRUE);
    for (guint c = 0; c < N_COLS; c++)
        g_free(cells[c]);
    json_array_foreach(att, i, a)
    {
        const char *st = jstr(a, "state"), *reason = jstr(a, "reason");
        cells[0] = g_strdup_printf("%zu", i + 1);
        cells[1] = esc(jstr(a, "name"));
        cells[2] = esc(jstr(a, "site") ? jstr(a, "site") : "—");
        cells[3] = st && strcmp(st, "absent") == 0 && reason
                       ? g_markup_printf_escaped("Vắng mặt (lý do: %s)", reason)
                       : esc(state_vn(st));
        cells[4] = duration_vn(jint(a, "presence_s", 0));
        table_row(d, cells, FALSE);
        for (guint c = 0; c < N_COLS; c++)
            g_free(cells[c]);
    }
    d->y += PARA_GAP * 2;
}

static void string_list(Doc *d, const json_t *item, const char *key, const char *label)
{
    json_t *list = jarr(item, key);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (json_is_string(v))
            paraf(d, ST_INDENT | ST_JUSTIFY, "<i>%s:</i> %s", label, json_string_value(v));
    }
}

static void agenda(Doc *d, const json_t *m)
{
    json_t *items = jarr(m, "agenda");
    heading(d, "- Nội dung cuộc họp:");
    if (!items || json_array_size(items) == 0) {
        para(d, ST_INDENT, "(Không có nội dung được ghi.)");
        return;
    }
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        json_int_t n = jint(it, "n", (json_int_t)i + 1);
        const char *t = jstr(it, "title");
        ensure(d, 3 * BODY * 1.3);
        paraf(d, ST_INDENT | ST_JUSTIFY, "<b>%" JSON_INTEGER_FORMAT ". %s</b>", n,
              t ? t : ELLIPSIS);
        size_t k;
        json_t *op;
        json_array_foreach(jarr(it, "opinions"), k, op)
        {
            const char *who = jstr(op, "who"), *text = jstr(op, "text");
            paraf(d, ST_INDENT | ST_JUSTIFY, "Ý kiến của %s: %s", who ? who : ELLIPSIS,
                  text ? text : ELLIPSIS);
        }
        string_list(d, it, "conclusions", "Kết luận");
        string_list(d, it, "decisions", "Quyết định");
    }
}

static void votes(Doc *d, const json_t *m)
{
    json_t *list = jarr(m, "votes");
    if (!list || json_array_size(list) == 0)
        return;
    heading(d, "- Biểu quyết:");
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        GString *opts = g_string_new(NULL);
        size_t k;
        json_t *o;
        json_array_foreach(jarr(v, "options"), k, o)
        {
            g_autofree char *label = esc(jstr(o, "label"));
            g_string_append_printf(opts, "%s%s: %" JSON_INTEGER_FORMAT, k ? "; " : "", label,
                                   jint(o, "count", 0));
        }
        const char *q = jstr(v, "question"), *res = jstr(v, "result");
        g_autofree char *head = g_markup_printf_escaped(
            "%zu. %s (%s, từ %s đến %s). ", i + 1, q ? q : ELLIPSIS,
            json_is_true(json_object_get(v, "secret")) ? "bỏ phiếu kín" : "biểu quyết công khai",
            jstr(v, "opened") ? jstr(v, "opened") : ELLIPSIS,
            jstr(v, "closed") ? jstr(v, "closed") : ELLIPSIS);
        g_autofree char *tail =
            g_markup_printf_escaped(" Số phiếu: %" JSON_INTEGER_FORMAT ". Kết quả: %s.",
                                    jint(v, "ballots", 0), res ? res : ELLIPSIS);
        g_autofree char *all = g_strconcat(head, opts->str, ".", tail, NULL);
        para(d, ST_INDENT | ST_JUSTIFY, all);
        g_string_free(opts, TRUE);
    }
}

static void events(Doc *d, const json_t *m)
{
    json_t *list = jarr(m, "events");
    if (!list || json_array_size(list) == 0)
        return;
    heading(d, "- Diễn biến:");
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *t = jstr(e, "time"), *text = jstr(e, "text");
        paraf(d, ST_INDENT | ST_JUSTIFY, "%s: %s", t ? t : ELLIPSIS, text ? text : ELLIPSIS);
    }
}

static void recordings(Doc *d, const json_t *m)
{
    json_t *list = jarr(m, "recordings");
    if (!list || json_array_size(list) == 0)
        return;
    heading(d, "- Tệp ghi hình lưu kèm biên bản (mã kiểm tra SHA-256):");
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r)
    {
        g_autofree char *bytes = thousands(jint(r, "bytes", 0));
        const char *f = jstr(r, "file");
        ensure(d, 2 * BODY * 1.3);
        paraf(d, ST_INDENT, "%zu. %s (%s byte)", i + 1, f ? f : ELLIPSIS, bytes);
        d->y -= PARA_GAP;
        g_autofree char *h = esc(jstr(r, "sha256"));
        PangoLayout *l = layout(d, MONO, 9.5, TEXT_W - INDENT, PANGO_ALIGN_LEFT, FALSE, 0, h);
        flow(d, l, M_LEFT + INDENT, PARA_GAP);
        g_object_unref(l);
    }
}

static void closing(Doc *d, const json_t *m)
{
    g_autofree char *end = time_vn(jstr(jobj(m, "meeting"), "ended"));
    paraf(d, ST_INDENT | ST_JUSTIFY, "Cuộc họp kết thúc vào %s./.", end);
    d->y += 6;
}

/* Secretary left, chair right: title in bold capitals, room for the signature, the name bold. */
static void signatures(Doc *d, const json_t *m)
{
    const json_t *sides[2][2] = {{jobj(m, "secretary_signature"), jobj(m, "secretary")},
                                 {jobj(m, "signature"), jobj(m, "chair")}};
    static const char *const dflt[2] = {"THƯ KÝ", "CHỦ TỌA"};
    ensure(d, 120);
    double w = TEXT_W / 2, top = d->y, low = top;
    for (int s = 0; s < 2; s++) {
        const char *t = jstr(sides[s][0], "title");
        const char *who =
            jstr(sides[s][0], "signer") ? jstr(sides[s][0], "signer") : jstr(sides[s][1], "name");
        g_autofree char *up = g_utf8_strup(t ? t : dflt[s], -1);
        g_autofree char *mt = g_markup_printf_escaped("<b>%s</b>", up);
        g_autofree char *mn = g_markup_printf_escaped("<b>%s</b>", who ? who : "");
        double x = M_LEFT + s * w, y = top;
        PangoLayout *l = layout(d, FONT, BODY, w, PANGO_ALIGN_CENTER, FALSE, 0, mt);
        show_at(d, l, x, y);
        y += layout_h(l) + 72; /* room for the signature (and the seal) */
        g_object_unref(l);
        l = layout(d, FONT, BODY, w, PANGO_ALIGN_CENTER, FALSE, 0, mn);
        show_at(d, l, x, y);
        y += layout_h(l);
        g_object_unref(l);
        low = MAX(low, y);
    }
    d->y = low + 18;
}

static void recipients(Doc *d, const json_t *m)
{
    json_t *list = jarr(m, "recipients");
    ensure(d, 3 * 14);
    PangoLayout *l =
        layout(d, FONT, 12, TEXT_W * 0.5, PANGO_ALIGN_LEFT, FALSE, 0, "<b><i>Nơi nhận:</i></b>");
    flow(d, l, M_LEFT, 0);
    g_object_unref(l);
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r)
    {
        if (!json_is_string(r))
            continue;
        g_autofree char *t = g_markup_printf_escaped("- %s", json_string_value(r));
        l = layout(d, FONT, 11, TEXT_W * 0.5, PANGO_ALIGN_LEFT, FALSE, 0, t);
        flow(d, l, M_LEFT, 0);
        g_object_unref(l);
    }
}

static void metadata(Doc *d, const json_t *m)
{
    const json_t *meeting = jobj(m, "meeting");
    g_autofree char *t = g_strdup_printf(
        "Biên bản %s%s%s", jstr(m, "number") ? jstr(m, "number") : "",
        jstr(meeting, "title") ? " - " : "", jstr(meeting, "title") ? jstr(meeting, "title") : "");
    cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_TITLE, t);
    const char *author = jstr(jobj(m, "agency"), "name");
    if (author)
        cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_AUTHOR, author);
    if (jstr(meeting, "summary"))
        cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_SUBJECT,
                                       jstr(meeting, "summary"));
    cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_CREATOR, "hoinghi");
}

static void render(Doc *d, const json_t *m)
{
    metadata(d, m);
    furniture(d);
    header(d, m);
    title(d, m);
    opening(d, m);
    attendance(d, m);
    agenda(d, m);
    votes(d, m);
    events(d, m);
    recordings(d, m);
    closing(d, m);
    signatures(d, m);
    recipients(d, m);
    cairo_show_page(d->cr);
}

gboolean hn_minutes_pdf_render(const json_t *minutes, const char *path, GError **error)
{
    if (!json_is_object(minutes) || jint(minutes, "version", 0) != 1) {
        g_set_error(error, HN_MINUTES_PDF_ERROR, HN_MINUTES_PDF_ERROR_INPUT,
                    "not a minutes.json of version 1");
        return FALSE;
    }
    g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
    Doc d = {.page = 1};
    d.surface = cairo_pdf_surface_create(tmp, PAGE_W, PAGE_H);
    cairo_pdf_surface_restrict_to_version(d.surface, CAIRO_PDF_VERSION_1_4);
    d.cr = cairo_create(d.surface);
    d.pc = pango_cairo_create_context(d.cr);
    pango_cairo_context_set_resolution(d.pc, 72.0);
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    pango_cairo_context_set_font_options(d.pc, fo);
    cairo_font_options_destroy(fo);
    if (json_is_true(json_object_get(minutes, "draft"))) {
        json_int_t v = jint(minutes, "minutes_version", 1);
        d.draft = v > 1 ? g_strdup_printf("DỰ THẢO LẦN %d", (int)v) : g_strdup("DỰ THẢO");
    }
    d.y = M_TOP;
    cairo_set_source_rgb(d.cr, 0, 0, 0);
    if (cairo_surface_status(d.surface) == CAIRO_STATUS_SUCCESS)
        render(&d, minutes);
    g_object_unref(d.pc);
    cairo_status_t st = cairo_status(d.cr);
    cairo_destroy(d.cr);
    cairo_surface_finish(d.surface);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(d.surface);
    cairo_surface_destroy(d.surface);
    g_free(d.draft);
    if (st != CAIRO_STATUS_SUCCESS) {
        g_set_error(error, HN_MINUTES_PDF_ERROR, HN_MINUTES_PDF_ERROR_CAIRO, "%s: %s", path,
                    cairo_status_to_string(st));
        g_unlink(tmp);
        return FALSE;
    }
    if (g_rename(tmp, path) != 0) {
        int e = errno;
        g_set_error(error, HN_MINUTES_PDF_ERROR, HN_MINUTES_PDF_ERROR_CAIRO, "%s: %s", path,
                    g_strerror(e));
        g_unlink(tmp);
        return FALSE;
    }
    return TRUE;
}

gboolean hn_minutes_pdf_write(const json_t *minutes, const char *pdf_path,
                              const HnPdfSigner *signer, gint64 now_unix, GError **error)
{
    if (signer && json_is_object(minutes) && !json_is_false(json_object_get(minutes, "draft"))) {
        g_set_error(error, HN_MINUTES_PDF_ERROR, HN_MINUTES_PDF_ERROR_DRAFT,
                    "the minutes are a draft (\"draft\" is not false): approve them before "
                    "signing");
        return FALSE;
    }
    if (!hn_minutes_pdf_render(minutes, pdf_path, error))
        return FALSE;
    if (!signer)
        return TRUE;
    g_autofree char *p7s = g_strconcat(pdf_path, ".p7s", NULL);
    HnPdfSignParams params = {
        .reason = "Phê duyệt biên bản cuộc họp",
        .location = jstr(jobj(minutes, "agency"), "place"),
        .now_unix = now_unix,
    };
    return hn_pdf_sign_file(pdf_path, pdf_path, p7s, signer, &params, error);
}

void hn_minutes_pdf_shutdown(void)
{
    pango_cairo_font_map_set_default(NULL);
#if defined(__SANITIZE_ADDRESS__)
    /* Only for LeakSanitizer: both assert that nothing of theirs is alive, and pango loads
     * fontconfig's configuration on a thread of its own, so now and then something is: the
     * CLI aborted at exit after writing a good PDF (seen once in CI, in test_minutes_pdf). */
    cairo_debug_reset_static_data();
    FcFini();
#endif
}

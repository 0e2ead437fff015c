/* A small, strict PDF structure reader (see pdf_parse.h). */
#include "meeting/pdf_parse.h"

#include <string.h>

#define MAX_DEPTH    32 /* nesting of arrays and dictionaries */
#define MAX_SECTIONS 64 /* cross-reference sections followed through /Prev */
#define MAX_TREE     16 /* levels of the page tree */
#define TAIL_SCAN    2048

G_DEFINE_QUARK(hn - pdf - error - quark, hn_pdf_error)

static gboolean is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\0';
}

static gboolean is_delim(char c)
{
    return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' ||
           c == '}' || c == '/' || c == '%';
}

/* Skips white space and comments. */
static const char *skip_ws(const char *p, const char *end)
{
    while (p < end) {
        if (is_ws(*p)) {
            p++;
        } else if (*p == '%') {
            while (p < end && *p != '\n' && *p != '\r')
                p++;
        } else {
            break;
        }
    }
    return p;
}

static const char *skip_literal(const char *p, const char *end)
{
    int nest = 0;
    for (; p < end; p++) {
        if (*p == '\\') {
            p++;
        } else if (*p == '(') {
            nest++;
        } else if (*p == ')' && --nest == 0) {
            return p + 1;
        }
    }
    return NULL;
}

/* Skips one object (a token, or a whole array or dictionary) at p, after white space.
 * Returns the first byte after it, or NULL when it is malformed or runs past end. */
static const char *skip_obj(const char *p, const char *end, int depth)
{
    p = skip_ws(p, end);
    if (p >= end || depth > MAX_DEPTH)
        return NULL;
    if (p + 1 < end && p[0] == '<' && p[1] == '<') {
        p += 2;
        for (;;) {
            p = skip_ws(p, end);
            if (p + 1 < end && p[0] == '>' && p[1] == '>')
                return p + 2;
            if (p >= end || (p = skip_obj(p, end, depth + 1)) == NULL)
                return NULL;
        }
    }
    switch (*p) {
    case '[':
        p++;
        for (;;) {
            p = skip_ws(p, end);
            if (p < end && *p == ']')
                return p + 1;
            if (p >= end || (p = skip_obj(p, end, depth + 1)) == NULL)
                return NULL;
        }
    case '(':
        return skip_literal(p, end);
    case '<': {
        const char *q = memchr(p, '>', (gsize)(end - p));
        return q ? q + 1 : NULL;
    }
    case '/':
        p++;
        while (p < end && !is_ws(*p) && !is_delim(*p))
            p++;
        return p;
    case ')':
    case '>':
    case ']':
    case '{':
    case '}':
        return NULL;
    default: /* number, keyword (true, null, R, obj ...) */
        while (p < end && !is_ws(*p) && !is_delim(*p))
            p++;
        return p;
    }
}

static gboolean all_digits(const char *p, const char *e)
{
    if (p == e)
        return FALSE;
    for (; p < e; p++) {
        if (!g_ascii_isdigit(*p))
            return FALSE;
    }
    return TRUE;
}

/* Skips one value: an object, or a reference "N G R" (three tokens). */
static const char *skip_value(const char *p, const char *end)
{
    p = skip_ws(p, end);
    const char *e1 = skip_obj(p, end, 1);
    if (!e1 || !all_digits(p, e1))
        return e1;
    const char *g = skip_ws(e1, end);
    const char *e2 = skip_obj(g, end, 1);
    if (!e2 || !all_digits(g, e2))
        return e1;
    const char *r = skip_ws(e2, end);
    if (r < end && *r == 'R' && (r + 1 == end || is_ws(r[1]) || is_delim(r[1])))
        return r + 1;
    return e1;
}

static gboolean dict_get(const char *p, const char *end, const char *key, const char **vs,
                         const char **ve)
{
    p = skip_ws(p, end);
    if (p + 1 >= end || p[0] != '<' || p[1] != '<')
        return FALSE;
    p += 2;
    gsize klen = strlen(key);
    for (;;) {
        p = skip_ws(p, end);
        if (p >= end || *p != '/')
            return FALSE; /* ">>" or garbage: not found */
        const char *name = p + 1;
        const char *name_end = skip_obj(p, end, 0);
        if (!name_end)
            return FALSE;
        const char *v = skip_ws(name_end, end);
        const char *v_end = skip_value(v, end);
        if (!v_end)
            return FALSE;
        if ((gsize)(name_end - name) == klen && memcmp(name, key, klen) == 0) {
            *vs = v;
            *ve = v_end;
            return TRUE;
        }
        p = v_end;
    }
}

gboolean hn_pdf_dict_get(const char *dict, const char *key, const char **value,
                         const char **value_end)
{
    return dict_get(dict, dict + strlen(dict), key, value, value_end);
}

/* A non-negative integer of at most 10 digits at p (after white space). */
static const char *parse_uint(const char *p, const char *end, guint64 *out)
{
    p = skip_ws(p, end);
    const char *s = p;
    guint64 v = 0;
    while (p < end && g_ascii_isdigit(*p) && p - s < 10)
        v = v * 10 + (guint64)(*p++ - '0');
    if (p == s || (p < end && !is_ws(*p) && !is_delim(*p)))
        return NULL;
    *out = v;
    return p;
}

static const char *parse_keyword(const char *p, const char *end, const char *kw)
{
    p = skip_ws(p, end);
    gsize n = strlen(kw);
    if ((gsize)(end - p) < n || memcmp(p, kw, n) != 0)
        return NULL;
    p += n;
    if (p < end && !is_ws(*p) && !is_delim(*p))
        return NULL;
    return p;
}

/* "N G R" in [p, end). */
static gboolean parse_ref(const char *p, const char *end, guint *num, guint *gen)
{
    guint64 n, g;
    if (!(p = parse_uint(p, end, &n)) || !(p = parse_uint(p, end, &g)) ||
        !(p = parse_keyword(p, end, "R")) || n == 0 || n > G_MAXINT || g > 65535)
        return FALSE;
    *num = (guint)n;
    *gen = (guint)g;
    return skip_ws(p, end) == end;
}

static gboolean fail(GError **error, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static gboolean fail(GError **error, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, HN_PDF_ERROR, code, "%s", msg);
    return FALSE;
}

typedef struct {
    const char *data;
    const char *end;
} Buf;

/* Offset of the last "startxref" section's value. */
static gboolean find_startxref(const Buf *b, gsize *out, GError **error)
{
    gsize len = (gsize)(b->end - b->data);
    gsize from = len > TAIL_SCAN ? len - TAIL_SCAN : 0;
    const char *hit = NULL;
    for (const char *p = b->data + from; p + 9 <= b->end; p++) {
        if (memcmp(p, "startxref", 9) == 0)
            hit = p;
    }
    guint64 off;
    const char *p = hit ? parse_uint(hit + 9, b->end, &off) : NULL;
    if (!p)
        return fail(error, HN_PDF_ERROR_PARSE, "no startxref at the end of the file");
    while (p < b->end && is_ws(*p)) /* not skip_ws: %%EOF looks like a comment */
        p++;
    if ((gsize)(b->end - p) < 5 || memcmp(p, "%%EOF", 5) != 0)
        return fail(error, HN_PDF_ERROR_PARSE, "no %%EOF after startxref");
    if (off >= len)
        return fail(error, HN_PDF_ERROR_PARSE, "startxref %" G_GUINT64_FORMAT " is past the end",
                    off);
    *out = (gsize)off;
    return TRUE;
}

/* One 20-byte entry "oooooooooo ggggg n" + a two-byte end of line. */
static gboolean parse_entry(const char *e, guint64 *off, guint *gen, char *type)
{
    for (int i = 0; i < 10; i++) {
        if (!g_ascii_isdigit(e[i]))
            return FALSE;
    }
    for (int i = 11; i < 16; i++) {
        if (!g_ascii_isdigit(e[i]))
            return FALSE;
    }
    if (e[10] != ' ' || e[16] != ' ' || (e[17] != 'n' && e[17] != 'f'))
        return FALSE;
    if (!((e[18] == ' ' && (e[19] == '\n' || e[19] == '\r')) || (e[18] == '\r' && e[19] == '\n')))
        return FALSE;
    *off = g_ascii_strtoull(e, NULL, 10);
    *gen = (guint)g_ascii_strtoull(e + 11, NULL, 10);
    *type = e[17];
    return TRUE;
}

/* Reads the section at off: looks num up (*found_off 0 when absent, or when free) and sets
 * [*trailer, *trailer_end) to its trailer dictionary. */
static gboolean read_section(const Buf *b, gsize off, guint num, guint64 *found_off,
                             guint *found_gen, const char **trailer, const char **trailer_end,
                             GError **error)
{
    const char *p = b->data + off;
    const char *q = parse_keyword(p, b->end, "xref");
    if (!q) {
        guint64 n;
        if (parse_uint(p, b->end, &n))
            return fail(error, HN_PDF_ERROR_UNSUPPORTED,
                        "the file uses a cross-reference stream (PDF 1.5 compressed objects): "
                        "not supported, render it as PDF 1.4");
        return fail(error, HN_PDF_ERROR_PARSE, "no xref table at offset %zu", off);
    }
    p = q;
    for (;;) {
        const char *t = parse_keyword(p, b->end, "trailer");
        if (t) {
            t = skip_ws(t, b->end);
            const char *te = skip_obj(t, b->end, 0);
            if (!te || te - t < 2 || t[0] != '<' || t[1] != '<')
                return fail(error, HN_PDF_ERROR_PARSE, "bad trailer dictionary");
            *trailer = t;
            *trailer_end = te;
            return TRUE;
        }
        guint64 first, count;
        if (!(p = parse_uint(p, b->end, &first)) || !(p = parse_uint(p, b->end, &count)))
            return fail(error, HN_PDF_ERROR_PARSE, "bad xref subsection header");
        /* the header line ends with one end of line, then the 20-byte entries */
        while (p < b->end && (*p == ' ' || *p == '\t'))
            p++;
        if (p < b->end && *p == '\r')
            p++;
        if (p < b->end && *p == '\n')
            p++;
        if (count > (guint64)(b->end - p) / 20)
            return fail(error, HN_PDF_ERROR_PARSE, "xref subsection runs past the end");
        if (num >= first && num < first + count && *found_off == 0) {
            guint64 o;
            guint g;
            char type;
            if (!parse_entry(p + (num - first) * 20, &o, &g, &type))
                return fail(error, HN_PDF_ERROR_PARSE, "bad xref entry for object %u", num);
            if (type == 'n') {
                *found_off = o;
                *found_gen = g;
            }
        }
        for (guint64 i = 0; i < count; i++) {
            guint64 o;
            guint g;
            char type;
            if (!parse_entry(p + i * 20, &o, &g, &type))
                return fail(error, HN_PDF_ERROR_PARSE, "bad xref entry %" G_GUINT64_FORMAT,
                            first + i);
        }
        p += count * 20;
    }
}

/* The offset of object num, through the chain of sections from the last one. */
static gboolean lookup(const Buf *b, gsize xref, guint num, guint64 *off, guint *gen,
                       GError **error)
{
    gsize at = xref;
    for (int i = 0; i < MAX_SECTIONS; i++) {
        const char *t, *te;
        *off = 0;
        if (!read_section(b, at, num, off, gen, &t, &te, error))
            return FALSE;
        if (*off != 0)
            return TRUE;
        const char *v, *ve;
        guint64 prev;
        if (!dict_get(t, te, "Prev", &v, &ve))
            break;
        if (!parse_uint(v, ve, &prev) || prev >= (guint64)(b->end - b->data) || prev == at)
            return fail(error, HN_PDF_ERROR_PARSE, "bad /Prev in a trailer");
        at = (gsize)prev;
    }
    return fail(error, HN_PDF_ERROR_PARSE, "object %u is not in the cross-reference table", num);
}

/* The dictionary of object num ("num gen obj << ... >>"). transfer full. */
static char *read_dict(const Buf *b, gsize xref, guint num, guint *gen_out, GError **error)
{
    guint64 off, n, g;
    guint gen;
    if (!lookup(b, xref, num, &off, &gen, error))
        return NULL;
    const char *p = off < (guint64)(b->end - b->data) ? b->data + off : NULL;
    if (!p || !(p = parse_uint(p, b->end, &n)) || !(p = parse_uint(p, b->end, &g)) ||
        !(p = parse_keyword(p, b->end, "obj")) || n != num || g != gen) {
        fail(error, HN_PDF_ERROR_PARSE, "object %u is not at offset %" G_GUINT64_FORMAT, num, off);
        return NULL;
    }
    p = skip_ws(p, b->end);
    const char *e = skip_obj(p, b->end, 0);
    if (!e || e - p < 2 || p[0] != '<' || p[1] != '<') {
        fail(error, HN_PDF_ERROR_PARSE, "object %u is not a dictionary", num);
        return NULL;
    }
    *gen_out = gen;
    return g_strndup(p, (gsize)(e - p));
}

static gboolean name_is(const char *dict, const char *key, const char *name)
{
    const char *v, *ve;
    if (!hn_pdf_dict_get(dict, key, &v, &ve))
        return FALSE;
    gsize n = strlen(name);
    return (gsize)(ve - v) == n + 1 && v[0] == '/' && memcmp(v + 1, name, n) == 0;
}

/* Follows /Pages and the first /Kids down to the first /Page. */
static gboolean first_page(const Buf *b, HnPdfDoc *doc, GError **error)
{
    const char *v, *ve;
    guint num, gen;
    if (!hn_pdf_dict_get(doc->catalog, "Pages", &v, &ve) || !parse_ref(v, ve, &num, &gen))
        return fail(error, HN_PDF_ERROR_PARSE, "the catalog has no /Pages reference");
    for (int level = 0; level < MAX_TREE; level++) {
        char *d = read_dict(b, doc->startxref, num, &gen, error);
        if (!d)
            return FALSE;
        if (name_is(d, "Type", "Page")) {
            doc->page = num;
            doc->page_gen = gen;
            doc->page_dict = d;
            return TRUE;
        }
        const char *k = NULL, *ke = NULL;
        gboolean ok =
            name_is(d, "Type", "Pages") && hn_pdf_dict_get(d, "Kids", &k, &ke) && *k == '[';
        const char *r = ok ? skip_ws(k + 1, ke) : NULL;
        const char *re = r ? skip_obj(r, ke, 1) : NULL;
        re = re ? skip_obj(re, ke, 1) : NULL;
        re = re ? skip_obj(re, ke, 1) : NULL;
        ok = re && parse_ref(r, re, &num, &gen);
        g_free(d);
        if (!ok)
            return fail(error, HN_PDF_ERROR_PARSE, "bad page tree node");
    }
    return fail(error, HN_PDF_ERROR_PARSE, "the page tree is too deep");
}

static char *dup_value(const char *t, const char *te, const char *key)
{
    const char *v, *ve;
    return dict_get(t, te, key, &v, &ve) ? g_strndup(v, (gsize)(ve - v)) : NULL;
}

gboolean hn_pdf_doc_parse(const guint8 *data, gsize len, HnPdfDoc *doc, GError **error)
{
    memset(doc, 0, sizeof *doc);
    Buf b = {(const char *)data, (const char *)data + len};
    if (len < 16 || memcmp(data, "%PDF-1.", 7) != 0)
        return fail(error, HN_PDF_ERROR_PARSE, "not a PDF file (no %%PDF-1.x header)");
    if (!find_startxref(&b, &doc->startxref, error))
        return FALSE;
    guint64 unused_off = 0;
    guint unused_gen;
    const char *t, *te, *v, *ve;
    /* object 0 is always free: this only reads the last section and its trailer */
    if (!read_section(&b, doc->startxref, 0, &unused_off, &unused_gen, &t, &te, error))
        return FALSE;
    guint64 size;
    if (dict_get(t, te, "Encrypt", &v, &ve)) {
        fail(error, HN_PDF_ERROR_UNSUPPORTED, "the file is encrypted: not supported");
        goto bad;
    }
    if (!dict_get(t, te, "Size", &v, &ve) || !parse_uint(v, ve, &size) || size < 2 ||
        size > G_MAXINT - 16) {
        fail(error, HN_PDF_ERROR_PARSE, "the trailer has no valid /Size");
        goto bad;
    }
    doc->size = (guint)size;
    if (!dict_get(t, te, "Root", &v, &ve) || !parse_ref(v, ve, &doc->root, &doc->root_gen) ||
        doc->root >= doc->size) {
        fail(error, HN_PDF_ERROR_PARSE, "the trailer has no valid /Root");
        goto bad;
    }
    doc->info = dup_value(t, te, "Info");
    doc->id = dup_value(t, te, "ID");
    guint gen;
    doc->catalog = read_dict(&b, doc->startxref, doc->root, &gen, error);
    if (!doc->catalog)
        goto bad;
    if (!name_is(doc->catalog, "Type", "Catalog")) {
        fail(error, HN_PDF_ERROR_PARSE, "object %u is not the catalog", doc->root);
        goto bad;
    }
    if (hn_pdf_dict_get(doc->catalog, "AcroForm", &v, &ve)) {
        fail(error, HN_PDF_ERROR_UNSUPPORTED,
             "the file already has a form (/AcroForm): signing it again is not supported");
        goto bad;
    }
    if (!first_page(&b, doc, error))
        goto bad;
    if (doc->page >= doc->size) {
        fail(error, HN_PDF_ERROR_PARSE, "page object %u is beyond /Size", doc->page);
        goto bad;
    }
    /* count the sections, checking every /Prev on the way */
    gsize at = doc->startxref;
    for (doc->n_sections = 1; doc->n_sections <= MAX_SECTIONS; doc->n_sections++) {
        guint64 prev;
        if (!read_section(&b, at, 0, &unused_off, &unused_gen, &t, &te, error))
            goto bad;
        if (!dict_get(t, te, "Prev", &v, &ve))
            return TRUE;
        if (!parse_uint(v, ve, &prev) || prev >= len || prev == at) {
            fail(error, HN_PDF_ERROR_PARSE, "bad /Prev in a trailer");
            goto bad;
        }
        at = (gsize)prev;
    }
    fail(error, HN_PDF_ERROR_PARSE, "too many incremental updates");
bad:
    hn_pdf_doc_clear(doc);
    return FALSE;
}

void hn_pdf_doc_clear(HnPdfDoc *doc)
{
    g_free(doc->catalog);
    g_free(doc->page_dict);
    g_free(doc->info);
    g_free(doc->id);
    memset(doc, 0, sizeof *doc);
}

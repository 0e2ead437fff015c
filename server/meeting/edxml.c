/* The edXML package of signed minutes and its structure check (meeting/edxml.h). */
#include "meeting/edxml.h"

#include <stdio.h>
#include <string.h>

#define XLINK_NS "http://www.w3.org/1999/xlink"

gboolean hn_edxml_organ_id_valid(const char *c)
{
    /* DDD.DD.DD.LDD */
    static const char pat[] = "999.99.99.A99";
    if (!c || strlen(c) != sizeof pat - 1)
        return FALSE;
    for (size_t i = 0; pat[i]; i++) {
        gboolean ok = pat[i] == '9'   ? g_ascii_isdigit(c[i])
                      : pat[i] == 'A' ? g_ascii_isupper(c[i])
                                      : c[i] == pat[i];
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

static void el(GString *s, int depth, const char *name, const char *text)
{
    g_autofree char *esc = g_markup_escape_text(text ? text : "", -1);
    g_string_append_printf(s, "%*s<edXML:%s>%s</edXML:%s>\n", depth * 2, "", name, esc, name);
}

static void open_el(GString *s, int depth, const char *name)
{
    g_string_append_printf(s, "%*s<edXML:%s>\n", depth * 2, "", name);
}

static void close_el(GString *s, int depth, const char *name)
{
    g_string_append_printf(s, "%*s</edXML:%s>\n", depth * 2, "", name);
}

static void organ(GString *s, const char *tag, const char *code, const char *name)
{
    open_el(s, 4, tag);
    el(s, 5, "OrganId", code);
    el(s, 5, "OrganizationInCharge", name ? name : code);
    el(s, 5, "OrganName", name ? name : code);
    close_el(s, 4, tag);
}

char *hn_edxml_build(const HnEdxmlDoc *d)
{
    GTimeZone *tz = d->tz ? g_time_zone_new_identifier(d->tz) : NULL;
    if (!tz)
        tz = g_time_zone_new_utc();
    g_autoptr(GDateTime) signed_at = g_date_time_new_from_unix_utc(d->date_s);
    g_autoptr(GDateTime) local = g_date_time_to_timezone(signed_at, tz);
    g_autoptr(GDateTime) now_utc = g_date_time_new_from_unix_utc(d->now_s);
    g_autoptr(GDateTime) now = g_date_time_to_timezone(now_utc, tz);
    g_time_zone_unref(tz);
    g_autofree char *date = g_date_time_format(local, "%Y/%m/%d");
    g_autofree char *stamp = g_date_time_format(now, "%Y/%m/%d %H:%M:%S");
    /* "12/BB-UBND": number 12, notation BB-UBND */
    const char *num = d->number && *d->number ? d->number : "0";
    const char *slash = strchr(num, '/');
    g_autofree char *code_number = slash ? g_strndup(num, (gsize)(slash - num)) : g_strdup(num);
    const char *notation = slash ? slash + 1 : "BB";
    g_autofree char *doc_id =
        g_strdup_printf("%s,%s,%s/%s", d->from_code, date, code_number, notation);
    GString *s = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    g_string_append(s, "<edXML xmlns=\"" HN_EDXML_NS "\">\n");
    g_string_append(s, "  <edXML:edXMLEnvelope xmlns:edXML=\"" HN_EDXML_NS
                       "\" xmlns:xlink=\"" XLINK_NS "\">\n");
    open_el(s, 2, "edXMLHeader");
    open_el(s, 3, "MessageHeader");
    organ(s, "From", d->from_code, d->from_name);
    organ(s, "To", d->to_code, d->to_name);
    open_el(s, 4, "Code");
    el(s, 5, "CodeNumber", code_number);
    el(s, 5, "CodeNotation", notation);
    close_el(s, 4, "Code");
    open_el(s, 4, "PromulgationInfo");
    el(s, 5, "Place", d->place);
    el(s, 5, "PromulgationDate", date);
    close_el(s, 4, "PromulgationInfo");
    open_el(s, 4, "DocumentType");
    el(s, 5, "Type", "BB"); /* the abbreviation of "Biên bản" (Decree 30/2020, appendix III) */
    el(s, 5, "TypeName", "Biên bản");
    close_el(s, 4, "DocumentType");
    el(s, 4, "Subject", d->title);
    el(s, 4, "Content", d->title);
    open_el(s, 4, "SignerInfo");
    el(s, 5, "Competence", "");
    el(s, 5, "Position", d->signer_position);
    el(s, 5, "FullName", d->signer);
    close_el(s, 4, "SignerInfo");
    open_el(s, 4, "ToPlaces");
    el(s, 5, "Place", d->to_name ? d->to_name : d->to_code);
    close_el(s, 4, "ToPlaces");
    open_el(s, 4, "OtherInfo");
    el(s, 5, "Priority", "0");
    el(s, 5, "PromulgationAmount", "1");
    close_el(s, 4, "OtherInfo");
    el(s, 4, "SteeringType", "0");
    el(s, 4, "DocumentId", doc_id);
    close_el(s, 3, "MessageHeader");
    open_el(s, 3, "TraceHeaderList");
    open_el(s, 4, "TraceHeader");
    el(s, 5, "OrganId", d->from_code);
    el(s, 5, "Timestamp", stamp);
    close_el(s, 4, "TraceHeader");
    open_el(s, 4, "Bussiness");
    el(s, 5, "BussinessDocType", "0"); /* a new document */
    el(s, 5, "BussinessDocReason", "");
    el(s, 5, "Paper", "0");
    close_el(s, 4, "Bussiness");
    close_el(s, 3, "TraceHeaderList");
    close_el(s, 2, "edXMLHeader");
    open_el(s, 2, "edXMLBody");
    g_string_append(s, "      <edXML:edXMLManifest version=\"1.0\">\n");
    g_autofree char *cid = g_markup_escape_text(d->content_id, -1);
    g_string_append_printf(
        s, "        <edXML:Reference xlink:href=\"cid:%s\" xlink:type=\"simple\">\n", cid);
    el(s, 5, "AttachmentName", d->attachment_name);
    el(s, 5, "ContentType", "application/pdf");
    el(s, 5, "ContentId", d->content_id);
    close_el(s, 4, "Reference");
    close_el(s, 3, "edXMLManifest");
    close_el(s, 2, "edXMLBody");
    close_el(s, 1, "edXMLEnvelope");
    g_autofree char *b64 = g_base64_encode(d->attachment, d->attachment_len);
    g_autofree char *name = g_markup_escape_text(d->attachment_name, -1);
    g_string_append_printf(s,
                           "  <AttachmentEncoded>\n    <Attachment>\n"
                           "      <ContentType>application/pdf</ContentType>\n"
                           "      <ContentId>%s</ContentId>\n"
                           "      <AttachmentName>%s</AttachmentName>\n"
                           "      <ContentTransferEncoded>%s</ContentTransferEncoded>\n"
                           "    </Attachment>\n  </AttachmentEncoded>\n</edXML>\n",
                           cid, name, b64);
    return g_string_free(s, FALSE);
}

/* ---- the structure check ---- */

typedef struct {
    GPtrArray *stack; /* local names */
    GString *text;
    GHashTable *seen; /* path relative to the envelope -> its text */
    GPtrArray *refs, *att_ids, *att_values;
    int envelopes;
    gboolean ns_ok;
    char *cur_att_id, *cur_att_value;
} Check;

static const char *local_name(const char *n)
{
    const char *c = strchr(n, ':');
    return c ? c + 1 : n;
}

/* The path from the envelope (or from the root for what is outside it). transfer full. */
static char *cur_path(Check *c)
{
    guint from = 0;
    for (guint i = 0; i < c->stack->len; i++)
        if (strcmp(g_ptr_array_index(c->stack, i), "edXMLEnvelope") == 0)
            from = i;
    GString *p = g_string_new(NULL);
    for (guint i = from ? from : (c->stack->len > 1 ? 1 : 0); i < c->stack->len; i++)
        g_string_append_printf(p, "%s%s", p->len ? "/" : "",
                               (const char *)g_ptr_array_index(c->stack, i));
    return g_string_free(p, FALSE);
}

static void on_start(GMarkupParseContext *ctx, const char *name, const char **an, const char **av,
                     gpointer user, GError **error)
{
    Check *c = user;
    const char *ln = local_name(name);
    g_ptr_array_add(c->stack, g_strdup(ln));
    g_string_truncate(c->text, 0);
    if (strcmp(ln, "edXMLEnvelope") == 0) {
        c->envelopes++;
        const char *pfx_end = strchr(name, ':');
        g_autofree char *want = pfx_end ? g_strdup_printf("xmlns:%.*s", (int)(pfx_end - name), name)
                                        : g_strdup("xmlns");
        for (guint i = 0; an[i]; i++)
            if (strcmp(an[i], want) == 0 && strcmp(av[i], HN_EDXML_NS) == 0)
                c->ns_ok = TRUE;
    }
    if (strcmp(ln, "Reference") == 0) {
        for (guint i = 0; an[i]; i++)
            if (strcmp(local_name(an[i]), "href") == 0 && g_str_has_prefix(av[i], "cid:"))
                g_ptr_array_add(c->refs, g_strdup(av[i] + 4));
    }
}

static void on_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer user,
                    GError **error)
{
    g_string_append_len(((Check *)user)->text, text, (gssize)len);
}

static void on_end(GMarkupParseContext *ctx, const char *name, gpointer user, GError **error)
{
    Check *c = user;
    char *path = cur_path(c);
    char *text = g_strstrip(g_strdup(c->text->str));
    const char *ln = local_name(name);
    if (g_str_has_suffix(path, "Attachment/ContentId"))
        g_ptr_array_add(c->att_ids, g_strdup(text));
    else if (g_str_has_suffix(path, "Attachment/ContentTransferEncoded"))
        g_ptr_array_add(c->att_values, g_strdup(text));
    g_hash_table_replace(c->seen, path, text);
    g_string_truncate(c->text, 0);
    (void)ln;
    g_ptr_array_remove_index(c->stack, c->stack->len - 1);
}

static gboolean date_valid(const char *s)
{
    int y, m, d;
    char tail;
    return s && strlen(s) == 10 && sscanf(s, "%4d/%2d/%2d%c", &y, &m, &d, &tail) == 3 &&
           g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y);
}

static gboolean base64_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n % 4)
        return FALSE;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isalnum(s[i]) && s[i] != '+' && s[i] != '/' && !(s[i] == '=' && i >= n - 2))
            return FALSE;
    return TRUE;
}

#define H  "edXMLEnvelope/edXMLHeader/"
#define MH H "MessageHeader/"

static gboolean check_fail(char **reason, const char *fmt, const char *arg)
{
    *reason = g_strdup_printf(fmt, arg);
    return FALSE;
}

static gboolean check_tree(Check *c, char **reason)
{
    if (c->envelopes != 1)
        return check_fail(reason, "%s", "not exactly one edXMLEnvelope");
    if (!c->ns_ok)
        return check_fail(reason, "the envelope is not in the namespace %s", HN_EDXML_NS);
    static const char *const required[] = {MH "From/OrganId",
                                           MH "From/OrganName",
                                           MH "To/OrganId",
                                           MH "Code/CodeNumber",
                                           MH "Code/CodeNotation",
                                           MH "PromulgationInfo/PromulgationDate",
                                           MH "DocumentType/TypeName",
                                           MH "Subject",
                                           MH "SignerInfo/FullName",
                                           MH "DocumentId",
                                           H "TraceHeaderList/TraceHeader/OrganId",
                                           H "TraceHeaderList/TraceHeader/Timestamp",
                                           "edXMLEnvelope/edXMLBody/edXMLManifest/Reference"};
    for (guint i = 0; i < G_N_ELEMENTS(required); i++) {
        const char *v = g_hash_table_lookup(c->seen, required[i]);
        gboolean container = g_str_has_suffix(required[i], "Reference");
        if (!v || (!container && !*v))
            return check_fail(reason, "%s is missing or empty", required[i]);
    }
    const char *organs[] = {MH "From/OrganId", MH "To/OrganId",
                            H "TraceHeaderList/TraceHeader/OrganId"};
    for (guint i = 0; i < G_N_ELEMENTS(organs); i++) {
        const char *v = g_hash_table_lookup(c->seen, organs[i]);
        if (!hn_edxml_organ_id_valid(v))
            return check_fail(reason, "%s is not an agency identifier like 000.00.00.H41",
                              organs[i]);
    }
    if (!date_valid(g_hash_table_lookup(c->seen, MH "PromulgationInfo/PromulgationDate")))
        return check_fail(reason, "%s", "PromulgationDate is not a YYYY/MM/DD date");
    if (c->refs->len == 0)
        return check_fail(reason, "%s", "the manifest references no attachment (cid:)");
    if (c->att_ids->len != c->att_values->len)
        return check_fail(reason, "%s", "an attachment has no encoded content");
    for (guint i = 0; i < c->refs->len; i++) {
        const char *id = g_ptr_array_index(c->refs, i);
        gboolean found = FALSE;
        for (guint j = 0; j < c->att_ids->len && !found; j++) {
            if (strcmp(id, g_ptr_array_index(c->att_ids, j)) == 0) {
                if (!base64_valid(g_ptr_array_index(c->att_values, j)))
                    return check_fail(reason, "the attachment %s is not base64", id);
                found = TRUE;
            }
        }
        if (!found)
            return check_fail(reason, "the reference cid:%s has no attachment", id);
    }
    return TRUE;
}

gboolean hn_edxml_check(const char *text, gsize len, char **reason)
{
    Check c = {.stack = g_ptr_array_new_with_free_func(g_free),
               .text = g_string_new(NULL),
               .seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
               .refs = g_ptr_array_new_with_free_func(g_free),
               .att_ids = g_ptr_array_new_with_free_func(g_free),
               .att_values = g_ptr_array_new_with_free_func(g_free)};
    static const GMarkupParser parser = {on_start, on_end, on_text, NULL, NULL};
    GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, &c, NULL);
    GError *err = NULL;
    gboolean ok = g_markup_parse_context_parse(ctx, text, (gssize)len, &err) &&
                  g_markup_parse_context_end_parse(ctx, &err);
    if (!ok) {
        *reason = g_strdup_printf("not well-formed XML: %s", err->message);
        g_error_free(err);
    } else {
        ok = check_tree(&c, reason);
    }
    g_markup_parse_context_free(ctx);
    g_ptr_array_unref(c.stack);
    g_string_free(c.text, TRUE);
    g_hash_table_unref(c.seen);
    g_ptr_array_unref(c.refs);
    g_ptr_array_unref(c.att_ids);
    g_ptr_array_unref(c.att_values);
    return ok;
}
